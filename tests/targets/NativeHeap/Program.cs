// NativeHeap: glibc's malloc arenas with known contents, for nativeheap.
//
// The main thread (the process's first thread: main_arena) and Threads
// threads (each gets an arena of its own) malloc known counts of known,
// unusual sizes, free some of them (so tcaches, bins and fastbins hold
// chunks), one block above the mmap threshold, and Marshal.AllocHGlobal and
// NativeMemory.Alloc blocks. The threads then wait, alive, so that their
// arenas and tcaches stay. Last, glibc's own mallinfo2() totals are taken:
// everything that prints the truth has run once before, so that no code is
// compiled (and nothing malloc'd by the JIT) between mallinfo2 and READY.
//
// TRUTH {"runtimeDirectory", "main": {"size", "count", "addresses"},
//        "threads": [{"size", "count", "addresses"}], "freedMain": {...},
//        "mmapped": {"size", "address"}, "hglobal": {...}, "nativeMemory": {...},
//        "mallinfo2": {"arena", "ordblks", "smblks", "hblks", "hblkhd",
//                      "fsmblks", "uordblks", "fordblks", "keepcost"}}
using System.Runtime.InteropServices;
using System.Text;

static unsafe class Program
{
    [StructLayout(LayoutKind.Sequential)]
    struct Mallinfo2
    {
        public nuint arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
    }

    [DllImport("libc", EntryPoint = "mallinfo2")]
    static extern Mallinfo2 mallinfo2();
    [DllImport("libc", EntryPoint = "malloc")]
    static extern IntPtr malloc(nuint size);
    [DllImport("libc", EntryPoint = "free")]
    static extern void free(IntPtr p);

    const int Threads = 3;
    const int MainSize = 3000, MainCount = 100;     // chunk 3008
    const int FreedSize = 1000, FreedCount = 12;    // chunk 1008: 7 to the tcache, 5 to the bins
    const int FastSize = 40, FastCount = 9;         // chunk 48: 7 to the tcache, 2 to a fastbin
    const int ThreadBase = 5000, ThreadCount = 40;  // thread k: ThreadBase + 256 * k
    const int MmapSize = 8 << 20;
    const int HGlobalSize = 7000, NativeSize = 9000;

    static readonly List<IntPtr> keep = new();

    static string Addresses(IEnumerable<IntPtr> list) =>
        "[" + string.Join(",", list.Select(p => "\"0x" + ((ulong)p).ToString("x") + "\"")) + "]";

    static string Block(int size, List<IntPtr> list) =>
        "{\"size\":" + size + ",\"count\":" + list.Count + ",\"addresses\":" + Addresses(list) + "}";

    static string Truth(string rest)
    {
        Mallinfo2 m = mallinfo2();
        var sb = new StringBuilder();
        sb.Append("{\"runtimeDirectory\":\"").Append(RuntimeEnvironment.GetRuntimeDirectory()).Append("\",");
        sb.Append(rest);
        sb.Append("\"mallinfo2\":{\"arena\":").Append((ulong)m.arena)
          .Append(",\"ordblks\":").Append((ulong)m.ordblks)
          .Append(",\"smblks\":").Append((ulong)m.smblks)
          .Append(",\"hblks\":").Append((ulong)m.hblks)
          .Append(",\"hblkhd\":").Append((ulong)m.hblkhd)
          .Append(",\"fsmblks\":").Append((ulong)m.fsmblks)
          .Append(",\"uordblks\":").Append((ulong)m.uordblks)
          .Append(",\"fordblks\":").Append((ulong)m.fordblks)
          .Append(",\"keepcost\":").Append((ulong)m.keepcost).Append("}}");
        return sb.ToString();
    }

    static void Main()
    {
        var stdout = Console.Out;
        stdout.WriteLine("START");
        stdout.Flush();

        var main = new List<IntPtr>();
        for (int i = 0; i < MainCount; i++)
            main.Add(malloc(MainSize));
        var freed = new List<IntPtr>();
        for (int i = 0; i < FreedCount; i++)
            freed.Add(malloc(FreedSize));
        var fast = new List<IntPtr>();
        for (int i = 0; i < FastCount; i++)
            fast.Add(malloc(FastSize));
        // Something between the freed blocks and top, so that they do not merge into it.
        keep.Add(malloc(64));
        foreach (var p in freed) free(p);
        foreach (var p in fast) free(p);

        IntPtr mmapped = malloc(MmapSize);
        IntPtr hglobal = Marshal.AllocHGlobal(HGlobalSize);
        IntPtr native = (IntPtr)NativeMemory.Alloc(NativeSize);

        var perThread = new List<IntPtr>[Threads];
        var ready = new CountdownEvent(Threads);
        var hold = new ManualResetEventSlim(false);
        for (int k = 0; k < Threads; k++)
        {
            int id = k;
            var t = new Thread(() =>
            {
                var mine = new List<IntPtr>();
                int size = ThreadBase + 256 * id;
                for (int i = 0; i < ThreadCount; i++)
                    mine.Add(malloc((nuint)size));
                // Freed small blocks: this thread's tcache.
                var tmp = new List<IntPtr>();
                for (int i = 0; i < 5; i++)
                    tmp.Add(malloc(24));
                mine.Add(malloc(64)); // keeps them off top
                foreach (var p in tmp) free(p);
                mine.RemoveAt(mine.Count - 1);
                perThread[id] = mine;
                ready.Signal();
                hold.Wait();
            }) { IsBackground = true };
            t.Start();
        }
        ready.Wait();

        var rest = new StringBuilder();
        rest.Append("\"main\":").Append(Block(MainSize, main)).Append(',');
        rest.Append("\"freedMain\":{\"size\":").Append(FreedSize).Append(",\"count\":").Append(FreedCount)
            .Append(",\"fastSize\":").Append(FastSize).Append(",\"fastCount\":").Append(FastCount).Append("},");
        rest.Append("\"threads\":[")
            .Append(string.Join(",", Enumerable.Range(0, Threads).Select(k => Block(ThreadBase + 256 * k, perThread[k]))))
            .Append("],");
        rest.Append("\"mmapped\":{\"size\":").Append(MmapSize).Append(",\"address\":\"0x")
            .Append(((ulong)mmapped).ToString("x")).Append("\"},");
        rest.Append("\"hglobal\":{\"size\":").Append(HGlobalSize).Append(",\"address\":\"0x")
            .Append(((ulong)hglobal).ToString("x")).Append("\"},");
        rest.Append("\"nativeMemory\":{\"size\":").Append(NativeSize).Append(",\"address\":\"0x")
            .Append(((ulong)native).ToString("x")).Append("\"},");
        string restText = rest.ToString();

        // Once to compile every method on the way; then the real one.
        // The wait below, once, so that its event exists before mallinfo2.
        hold.Wait(10);
        string warm = Truth(restText);
        stdout.WriteLine("WARM " + warm.Length);
        stdout.Flush();
        string truth = Truth(restText);
        stdout.WriteLine("TRUTH " + truth);
        stdout.WriteLine("READY");
        stdout.Flush();
        GC.KeepAlive(keep);
        hold.Wait();
    }
}
