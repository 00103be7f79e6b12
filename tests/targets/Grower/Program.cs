// Test target for heapdiff: a heap that changes by known counts.
//
//   Grower <items> <grow>
//
// Allocates <items> Grower.Item (each with a string and a byte[16]) and
// <items>/10 Grower.Vanishing, then prints TRUTH and READY. Each line
// "grow" on stdin adds <grow> more Items, drops every Vanishing, creates
// <grow>/5 Grower.Appearing (the first time), and prints TRUTH and READY
// again. Every report follows a full blocking GC, so what is dropped is
// gone from the heap.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Grower;

public sealed class Item
{
    public readonly string Name;
    public readonly byte[] Payload = new byte[16];

    public Item(int i) => Name = "item-" + i.ToString("D8");
}

public sealed class Vanishing
{
    public long Value;
}

public sealed class Appearing
{
    public long Value;
    public object? Next;
}

public static class Program
{
    static readonly List<Item> s_items = new();
    static readonly List<Vanishing> s_vanishing = new();
    static readonly List<Appearing> s_appearing = new();
    static int s_rounds;

    public static void Main(string[] args)
    {
        int items = int.Parse(args[0]);
        int grow = int.Parse(args[1]);
        // Room for every Item ahead: the list's array is not reallocated between reports.
        s_items.Capacity = items + 4 * grow;
        s_appearing.Capacity = grow;
        Add(items);
        AddVanishing(items / 10);
        Report();
        string? line;
        while ((line = Console.ReadLine()) != null)
        {
            if (line != "grow")
                continue;
            Add(grow);
            s_vanishing.Clear();
            if (s_rounds++ == 0)
                AddAppearing(grow / 5);
            Report();
        }
    }

    // Not inlined: no reference to the last object made stays in Main's frame.
    [MethodImpl(MethodImplOptions.NoInlining)]
    static void AddVanishing(int n)
    {
        for (int i = 0; i < n; i++)
            s_vanishing.Add(new Vanishing { Value = i });
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void AddAppearing(int n)
    {
        for (int i = 0; i < n; i++)
            s_appearing.Add(new Appearing { Value = i });
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void Add(int n)
    {
        int start = s_items.Count;
        for (int i = 0; i < n; i++)
            s_items.Add(new Item(start + i));
    }

    static void Report()
    {
        // The report's own objects first, then the GC: what is printed allocates nothing listed.
        var stream = new MemoryStream();
        var w = new Utf8JsonWriter(stream);
        w.WriteStartObject();
        w.WriteNumber("pid", Environment.ProcessId);
        w.WriteString("runtimeDirectory", RuntimeEnvironment.GetRuntimeDirectory());
        w.WriteNumber("items", s_items.Count);
        w.WriteNumber("vanishing", s_vanishing.Count);
        w.WriteNumber("appearing", s_appearing.Count);
        w.WriteNumber("rounds", s_rounds);
        w.WriteEndObject();
        w.Flush();
        string text = "TRUTH " + System.Text.Encoding.UTF8.GetString(stream.ToArray());
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        Console.WriteLine(text);
        Console.WriteLine("READY");
        Console.Out.Flush();
    }
}
