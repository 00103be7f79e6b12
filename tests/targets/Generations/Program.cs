// Test target for ephrefs and ephtoloh: references across generations,
// made after the last GC and printed with their objects' addresses.
//
//   Generations
//
// Makes Old objects and promotes them to generation 2, a Middle one to
// generation 1, a large object[] (LOH), then, with no GC allowed from
// there on (a no-GC region), young Leaf objects in generation 0 and the
// references: Old -> two Leafs (gen2 -> gen0), Old2 -> Middle (gen2 ->
// gen1), Middle -> Leaf (gen1 -> gen0), the large array -> Leaf (LOH ->
// gen0), and a young Holder -> the large array (gen0 -> LOH). Prints TRUTH
// (each object's address, generation and size) and READY, then sleeps.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace Generations;

public sealed class Old
{
    public object? A;
    public object? B;
}

public sealed class Middle
{
    public object? Next;
}

public sealed class Leaf
{
    public long Value;
}

public sealed class YoungHolder
{
    public object? Large;
}

public static class Program
{
    static Old? s_old, s_old2, s_oldEmpty;
    static Middle? s_middle;
    static object?[]? s_large;
    static YoungHolder? s_young;

    static unsafe nint AddressOf(object o) => *(nint*)Unsafe.AsPointer(ref o);

    static JsonObject Describe(object o) => new()
    {
        ["address"] = AddressOf(o).ToString("x"),
        ["generation"] = GC.GetGeneration(o),
    };

    public static void Main()
    {
        s_old = new Old();
        s_old2 = new Old();
        s_oldEmpty = new Old();
        s_large = new object?[20000];
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        s_middle = new Middle();
        GC.Collect(0, GCCollectionMode.Forced, blocking: true);
        // From here no GC: the young objects stay young and where they are.
        if (!GC.TryStartNoGCRegion(16 << 20))
            throw new InvalidOperationException("no no-GC region");
        var leaf1 = new Leaf { Value = 1 };
        var leaf2 = new Leaf { Value = 2 };
        var leaf3 = new Leaf { Value = 3 };
        var leaf4 = new Leaf { Value = 4 };
        s_old.A = leaf1;
        s_old.B = leaf2;
        s_old2.A = s_middle;
        s_middle.Next = leaf3;
        s_large[7] = leaf4;
        s_young = new YoungHolder { Large = s_large };
        var truth = new JsonObject
        {
            ["pid"] = Environment.ProcessId,
            ["runtimeDirectory"] = RuntimeEnvironment.GetRuntimeDirectory(),
            ["old"] = Describe(s_old),
            ["old2"] = Describe(s_old2),
            ["oldEmpty"] = Describe(s_oldEmpty),
            ["middle"] = Describe(s_middle),
            ["large"] = Describe(s_large),
            ["young"] = Describe(s_young),
            ["leaf1"] = Describe(leaf1),
            ["leaf2"] = Describe(leaf2),
            ["leaf3"] = Describe(leaf3),
            ["leaf4"] = Describe(leaf4),
            ["leafSize"] = 24,
        };
        Console.WriteLine("TRUTH " + truth.ToJsonString());
        Console.WriteLine("READY");
        Console.Out.Flush();
        Thread.Sleep(Timeout.Infinite);
        GC.KeepAlive(leaf1);
    }
}
