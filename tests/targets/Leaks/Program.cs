// Test target for inspect: known leak suspects, each held by a field of the
// one Leaks.Holder object (or a static), built so their waste is exact.
//
//   Leaks
//
// Prints TRUTH: for each suspect what inspect should find (counts, lengths,
// element sizes read from the runtime's own fields by reflection); then
// READY, and sleeps. A full collection runs before TRUTH so that no dead
// copy (an invocation list or a List's old array) is left on the heap.
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;

namespace Leaks;

public sealed class Finalizable
{
    public long Payload;
    ~Finalizable() { Payload++; }
}

public sealed class Subscriber
{
    public byte[] Buffer;
    public Subscriber(int size) => Buffer = new byte[size];
    public void OnTick(object? sender, EventArgs e) => Buffer[0]++;
}

public sealed class Holder
{
    public string[] Copies = Array.Empty<string>();
    public List<object> SparseList = new();
    public Dictionary<int, int> SparseDictionary = new();
    public HashSet<long> SparseSet = new();
    public List<string> EmptyList = new(4096);
    public object?[] MostlyNull = Array.Empty<object>();
    public Finalizable[] Finalizables = Array.Empty<Finalizable>();
    public byte[][] PinnedBuffers = Array.Empty<byte[]>();
    public byte[][] LargeKept = Array.Empty<byte[]>();
    public Func<int>? Closure;
    public StringBuilder? Builder;
    public Task? Pending;
}

public static class Program
{
    public static event EventHandler? Tick;
    static Holder? s_holder;
    static GCHandle[] s_pins = Array.Empty<GCHandle>();

    const int CopyCount = 500, CopyLength = 40, ListCapacity = 100000, ListItems = 10;
    const int DictionaryCapacity = 50000, DictionaryItems = 5, SetCapacity = 20000, SetItems = 3;
    const int ArrayLength = 10000, ArrayNonNull = 50, FinalizableCount = 7;
    const int LargeCount = 8, LargeSize = 200_000;
    const int Subscribers = 300, SubscriberBuffer = 1000, PinnedCount = 4, PinnedSize = 4096;

    const int ClosureBytes = 500_000, BuilderCapacity = 200_000, BuilderChars = 150_000, AsyncBytes = 300_000;

    // A closure: its display class holds the array.
    static Func<int> MakeClosure()
    {
        var big = new byte[ClosureBytes];
        return () => big.Length;
    }

    // An async method waiting for ever: its boxed state machine holds the array.
    static async Task HoldAsync(TaskCompletionSource never)
    {
        var big = new byte[AsyncBytes];
        await never.Task;
        GC.KeepAlive(big);
    }

    static int SizeOf(Type t) =>
        (int)typeof(Unsafe).GetMethod("SizeOf")!.MakeGenericMethod(t).Invoke(null, null)!;

    static Array Field(object o, string name) =>
        (Array)o.GetType().GetField(name, BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(o)!;

    // A dictionary or set's slots: its _entries and _buckets lengths and the entry's size.
    static JsonObject Slots(string field, object collection, int count)
    {
        Array entries = Field(collection, "_entries"), buckets = Field(collection, "_buckets");
        return new JsonObject
        {
            ["field"] = field,
            ["count"] = count,
            ["entries"] = entries.Length,
            ["buckets"] = buckets.Length,
            ["entrySize"] = SizeOf(entries.GetType().GetElementType()!),
        };
    }

    public static void Main()
    {
        var h = new Holder();
        // The text is built at run time: no literal of it is interned anywhere.
        var chars = new char[CopyLength];
        for (int i = 0; i < CopyLength; i++)
            chars[i] = (char)('a' + (i * 7) % 26);
        string text = "dup:" + new string(chars, 4, CopyLength - 4);
        h.Copies = new string[CopyCount];
        for (int i = 0; i < CopyCount; i++)
            h.Copies[i] = new string(text.AsSpan());

        h.SparseList = new List<object>(ListCapacity);
        for (int i = 0; i < ListItems; i++)
            h.SparseList.Add(new object());
        h.SparseDictionary = new Dictionary<int, int>(DictionaryCapacity);
        for (int i = 0; i < DictionaryItems; i++)
            h.SparseDictionary[i * 3] = i;
        h.SparseSet = new HashSet<long>(SetCapacity);
        for (int i = 0; i < SetItems; i++)
            h.SparseSet.Add(i * 11L);

        h.MostlyNull = new object?[ArrayLength];
        for (int i = 0; i < ArrayNonNull; i++)
            h.MostlyNull[i * (ArrayLength / ArrayNonNull)] = new object();

        h.Finalizables = new Finalizable[FinalizableCount];
        for (int i = 0; i < FinalizableCount; i++)
            h.Finalizables[i] = new Finalizable();

        h.PinnedBuffers = new byte[PinnedCount][];
        s_pins = new GCHandle[PinnedCount];
        for (int i = 0; i < PinnedCount; i++)
        {
            h.PinnedBuffers[i] = new byte[PinnedSize];
            s_pins[i] = GCHandle.Alloc(h.PinnedBuffers[i], GCHandleType.Pinned);
        }

        // Large arrays, every other one dropped: free space between the kept ones on the LOH.
        var large = new byte[LargeCount][];
        for (int i = 0; i < LargeCount; i++)
            large[i] = new byte[LargeSize];
        h.LargeKept = new byte[LargeCount / 2][];
        for (int i = 0; i < LargeCount / 2; i++)
            h.LargeKept[i] = large[2 * i];
        large = null;

        h.Closure = MakeClosure();
        h.Builder = new StringBuilder(BuilderCapacity).Append('x', BuilderChars);
        h.Pending = HoldAsync(new TaskCompletionSource());

        for (int i = 0; i < Subscribers; i++)
            Tick += new Subscriber(SubscriberBuffer).OnTick;
        s_holder = h;

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        var truth = new JsonObject
        {
            ["runtimeDirectory"] = RuntimeEnvironment.GetRuntimeDirectory(),
            // The copies and the text they were made from.
            ["duplicate"] = new JsonObject { ["text"] = text, ["count"] = CopyCount + 1, ["length"] = text.Length },
            ["list"] = new JsonObject
            {
                ["field"] = "SparseList", ["type"] = "System.Collections.Generic.List<System.Object>",
                ["capacity"] = h.SparseList.Capacity, ["count"] = h.SparseList.Count, ["elementSize"] = IntPtr.Size,
            },
            ["emptyList"] = new JsonObject
            {
                ["field"] = "EmptyList", ["type"] = "System.Collections.Generic.List<System.String>",
                ["capacity"] = h.EmptyList.Capacity, ["count"] = h.EmptyList.Count, ["elementSize"] = IntPtr.Size,
            },
            ["dictionary"] = Slots("SparseDictionary", h.SparseDictionary, h.SparseDictionary.Count),
            ["set"] = Slots("SparseSet", h.SparseSet, h.SparseSet.Count),
            ["mostlyNull"] = new JsonObject { ["field"] = "MostlyNull", ["length"] = ArrayLength, ["nonNull"] = ArrayNonNull },
            ["finalizable"] = new JsonObject { ["type"] = typeof(Finalizable).FullName, ["count"] = FinalizableCount },
            ["pinned"] = new JsonObject { ["field"] = "PinnedBuffers", ["count"] = PinnedCount, ["size"] = PinnedSize },
            ["large"] = new JsonObject { ["field"] = "LargeKept", ["kept"] = LargeCount / 2, ["dropped"] = LargeCount - LargeCount / 2, ["size"] = LargeSize },
            ["retainers"] = new JsonObject
            {
                ["closureBytes"] = ClosureBytes, ["builderCapacity"] = BuilderCapacity, ["asyncBytes"] = AsyncBytes,
                ["asyncMethod"] = "HoldAsync",
            },
            ["event"] = new JsonObject
            {
                ["subscribers"] = Tick!.GetInvocationList().Length, ["target"] = typeof(Subscriber).FullName,
                ["buffer"] = SubscriberBuffer,
            },
        };
        GC.KeepAlive(s_pins);
        Console.WriteLine("TRUTH " + truth.ToJsonString());
        Console.WriteLine("READY");
        Console.Out.Flush();
        Thread.Sleep(Timeout.Infinite);
    }
}
