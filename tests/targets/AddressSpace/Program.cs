// AddressSpace: the test target of maddress. Allocates known amounts of
// native memory (malloc through P/Invoke into libc, Marshal.AllocHGlobal,
// NativeMemory.Alloc: each 64 MiB, so glibc mmaps each one), pins known
// byte arrays, starts a known number of named threads that block, and maps
// a known file (MemoryMappedFile). Each native block is written whole, so
// it is resident and in a full core.
//
// Prints "TRUTH {json}" with its pid, the blocks' addresses and sizes, the
// pinned buffers, the threads' OS ids and names and the mapped file's view,
// then "READY", and waits.
//
// Arguments: [dir]: where to create the mapped file (default: the temp dir).

using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Runtime;
using System.Text;

namespace AddressSpace;

public static unsafe class Program
{
    const long NativeBlock = 64L << 20;
    const long FileSize = 24L << 20;
    const int PinnedCount = 4;
    const int PinnedSize = 1 << 20;
    const int ThreadCount = 3;

    [DllImport("libc", EntryPoint = "malloc")]
    static extern IntPtr Malloc(nuint size);

    [DllImport("libc", EntryPoint = "gettid")]
    static extern int GetTid();

    static readonly List<GCHandle> s_pins = new();
    static readonly ManualResetEventSlim s_forever = new(false);

    static void Fill(IntPtr p, long size)
    {
        byte* b = (byte*)p;
        for (long i = 0; i < size; i += 4096)
            b[i] = 0x5a;
        b[size - 1] = 0x5a;
    }

    public static int Main(string[] args)
    {
        string dir = args.Length > 0 ? args[0] : Path.GetTempPath();
        var json = new StringBuilder();
        string runtimeDir = System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory().Replace("\\", "/");
        json.Append($"{{\"pid\":{Environment.ProcessId},\"runtimeDirectory\":\"{runtimeDir}\",\"serverGC\":{(GCSettings.IsServerGC ? "true" : "false")},\"native\":[");

        IntPtr m = Malloc((nuint)NativeBlock);
        IntPtr h = Marshal.AllocHGlobal((IntPtr)NativeBlock);
        IntPtr n = (IntPtr)NativeMemory.Alloc((nuint)NativeBlock);
        var blocks = new (string, IntPtr)[] { ("malloc", m), ("AllocHGlobal", h), ("NativeMemory.Alloc", n) };
        for (int i = 0; i < blocks.Length; i++)
        {
            Fill(blocks[i].Item2, NativeBlock);
            json.Append(i > 0 ? "," : "").Append($"{{\"how\":\"{blocks[i].Item1}\",\"address\":{(long)blocks[i].Item2},\"size\":{NativeBlock}}}");
        }
        json.Append("],\"pinned\":[");
        for (int i = 0; i < PinnedCount; i++)
        {
            var buffer = new byte[PinnedSize];
            var pin = GCHandle.Alloc(buffer, GCHandleType.Pinned);
            s_pins.Add(pin);
            json.Append(i > 0 ? "," : "").Append($"{{\"address\":{(long)pin.AddrOfPinnedObject()},\"size\":{PinnedSize}}}");
        }

        json.Append("],\"threads\":[");
        var started = new CountdownEvent(ThreadCount);
        var tids = new int[ThreadCount];
        var managed = new int[ThreadCount];
        for (int i = 0; i < ThreadCount; i++)
        {
            int index = i;
            var t = new Thread(() =>
            {
                tids[index] = GetTid();
                managed[index] = Environment.CurrentManagedThreadId;
                started.Signal();
                s_forever.Wait();
            }, 256 * 1024) { IsBackground = true, Name = $"AddressSpace worker {i}" };
            t.Start();
        }
        started.Wait();
        for (int i = 0; i < ThreadCount; i++)
            json.Append(i > 0 ? "," : "").Append($"{{\"name\":\"AddressSpace worker {i}\",\"osId\":{tids[i]},\"managedId\":{managed[i]}}}");

        string path = Path.Combine(dir, $"addressspace-{Environment.ProcessId}.bin");
        using (var f = new FileStream(path, FileMode.Create))
            f.SetLength(FileSize);
        var mmf = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, FileSize, MemoryMappedFileAccess.ReadWrite);
        var view = mmf.CreateViewAccessor(0, FileSize, MemoryMappedFileAccess.ReadWrite);
        byte* v = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref v);
        Fill((IntPtr)v, FileSize);
        json.Append($"],\"file\":{{\"path\":\"{path}\",\"address\":{(long)v},\"size\":{FileSize}}}}}");

        Console.Out.WriteLine("TRUTH " + json);
        Console.Out.WriteLine("READY");
        Console.Out.Flush();
        s_forever.Wait();
        GC.KeepAlive(mmf);
        GC.KeepAlive(view);
        return 0;
    }
}
