// Retention: a test target for retained sizes and dominators.
//
//   Retention [<nodes>] [<grow>]
//
// Builds shapes whose dominators are known, each held by a static field of
// Retention.Roots so that it is named:
//   - Chain: a cache retaining <nodes> nodes through a Dictionary (cache ->
//     Dictionary -> Entry[] -> nodes -> payload byte[]s and names);
//   - Left and Right: two caches sharing some items (the shared items are
//     dominated by neither); Pair: a holder of two more such caches (their
//     shared items are dominated by the holder);
//   - Diamond: A -> B, A -> C, B -> D, C -> D (D's immediate dominator is A);
//   - Ring: a cycle of nodes, the static holding one of them;
//   - CwtKeys and Cwt: values held only by a ConditionalWeakTable's
//     dependent handles (each retained by its key);
//   - DhPrimary: an object held by a DependentHandle (Roots.Dh) only,
//     retained by the handle's primary;
//   - Both: an object held by a static and by a thread's stack local.
//
// The truth is computed here, not written down: every object reachable
// from these roots (references read by reflection, dependent handles as
// edges from their primary) makes a graph, whose dominators are computed
// with the iterative algorithm of Cooper, Harvey and Kennedy; retained
// sizes are sums over the dominator tree, with sizes as the GC computes
// them. Nothing else in the process refers into these objects, so the
// answer is the heap's.
//
// Prints `TRUTH {json}` and `READY`, then waits. Each line "grow" on stdin
// adds <grow> nodes to the Chain cache and prints TRUTH and READY again; at
// the end of the input it waits forever.
//
// stdout contract: only lines starting with "# ", "TRUTH " and "READY".
using System.Reflection;
using System.Runtime;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Retention;

public sealed class ChainCache
{
    public Dictionary<int, ChainNode> Map = new();
}

public sealed class ChainNode
{
    public byte[] Payload;
    public string Name;

    public ChainNode(int i)
    {
        Payload = new byte[32 + i % 97];
        Name = "chain-node-" + i.ToString("D6");
    }
}

public sealed class SharedCache
{
    public SharedItem[] Items;

    public SharedCache(int n) => Items = new SharedItem[n];
}

public sealed class SharedItem
{
    public byte[] Data;

    public SharedItem(int size) => Data = new byte[size];
}

public sealed class CacheHolder
{
    public SharedCache? First, Second;
}

public sealed class DiamondNode
{
    public DiamondNode? Left, Right;
    public byte[] Data;

    public DiamondNode(int size) => Data = new byte[size];
}

public sealed class RingNode
{
    public RingNode? Next;
    public byte[] Data;

    public RingNode(int size) => Data = new byte[size];
}

public sealed class CwtKey
{
    public int Id;
}

public sealed class CwtValue
{
    public byte[] Data;

    public CwtValue(int size) => Data = new byte[size];
}

public sealed class DhPrimary
{
    public int Id;
}

public sealed class DhSecondary
{
    public byte[] Data;

    public DhSecondary(int size) => Data = new byte[size];
}

public sealed class BothHeld
{
    public byte[] Data;

    public BothHeld(int size) => Data = new byte[size];
}

public static class Roots
{
    public static ChainCache? Chain;
    public static SharedCache? Left, Right;
    public static CacheHolder? Pair;
    public static DiamondNode? Diamond;
    public static RingNode? Ring;
    public static ConditionalWeakTable<CwtKey, CwtValue>? Cwt;
    public static CwtKey[]? CwtKeys;
    public static DhPrimary? DhPrimary;
    public static DependentHandle Dh;
    public static BothHeld? Both;
}

public static unsafe class Program
{
    const int RingSize = 12, CwtCount = 8, Shared = 6, PrivateItems = 10;
    static int s_nodes = 200, s_grow = 100, s_rounds;
    static readonly ManualResetEventSlim s_stackReady = new();
    static readonly ManualResetEventSlim s_stackRelease = new();

    public static void Main(string[] args)
    {
        if (args.Length > 0) s_nodes = int.Parse(args[0]);
        if (args.Length > 1) s_grow = int.Parse(args[1]);
        Build();
        var t = new Thread(StackHolder) { Name = "RetentionStackHolder", IsBackground = true };
        t.Start();
        s_stackReady.Wait();
        Report();
        string? line;
        while ((line = Console.ReadLine()) != null)
        {
            if (line != "grow")
                continue;
            Grow(s_grow);
            s_rounds++;
            Report();
        }
        // No more input (none at all without a pipe): wait to be debugged.
        Thread.Sleep(Timeout.Infinite);
    }

    // A local of a blocked thread: Roots.Both is held by the stack too.
    static void StackHolder()
    {
        BothHeld? local = Roots.Both;
        s_stackReady.Set();
        s_stackRelease.Wait(); // never set
        GC.KeepAlive(local);
    }

    // Not inlined: no reference to an object made here stays in Main's frame.
    [MethodImpl(MethodImplOptions.NoInlining)]
    static void Build()
    {
        var chain = new ChainCache();
        for (int i = 0; i < s_nodes; i++)
            chain.Map.Add(i, new ChainNode(i));
        Roots.Chain = chain;

        // Two caches held by two statics, sharing Shared items: those are dominated by neither.
        Roots.Left = new SharedCache(Shared + PrivateItems);
        Roots.Right = new SharedCache(Shared + PrivateItems + 3);
        FillShared(Roots.Left, Roots.Right, 100);
        // Two more under one holder: their shared items are dominated by the holder.
        var pair = new CacheHolder { First = new SharedCache(Shared + PrivateItems), Second = new SharedCache(Shared + PrivateItems + 1) };
        FillShared(pair.First, pair.Second, 300);
        Roots.Pair = pair;

        var a = new DiamondNode(64);
        var b = new DiamondNode(128);
        var c = new DiamondNode(256);
        var d = new DiamondNode(512);
        a.Left = b;
        a.Right = c;
        b.Left = d;
        c.Right = d;
        Roots.Diamond = a;

        var first = new RingNode(40);
        RingNode last = first;
        for (int i = 1; i < RingSize; i++)
        {
            var n = new RingNode(40 + 8 * i);
            last.Next = n;
            last = n;
        }
        last.Next = first;
        // Entered at the fourth node.
        Roots.Ring = first.Next!.Next!.Next;

        Roots.Cwt = new ConditionalWeakTable<CwtKey, CwtValue>();
        Roots.CwtKeys = new CwtKey[CwtCount];
        for (int i = 0; i < CwtCount; i++)
        {
            Roots.CwtKeys[i] = new CwtKey { Id = i };
            Roots.Cwt.Add(Roots.CwtKeys[i], new CwtValue(200 + 16 * i));
        }

        Roots.DhPrimary = new DhPrimary { Id = 1 };
        Roots.Dh = new DependentHandle(Roots.DhPrimary, new DhSecondary(1000));

        Roots.Both = new BothHeld(700);
    }

    static void FillShared(SharedCache one, SharedCache two, int size)
    {
        for (int i = 0; i < Shared; i++)
            one.Items[i] = two.Items[i] = new SharedItem(size + 8 * i);
        for (int i = Shared; i < one.Items.Length; i++)
            one.Items[i] = new SharedItem(size + 16 + i);
        for (int i = Shared; i < two.Items.Length; i++)
            two.Items[i] = new SharedItem(size + 24 + i);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void Grow(int n)
    {
        var map = Roots.Chain!.Map;
        int start = map.Count;
        for (int i = 0; i < n; i++)
            map.Add(start + i, new ChainNode(start + i));
    }

    static void Info(string message) => Console.WriteLine("# " + message);

    // ------------------------------------------------------------ sizes

    static nint AddressOf(object o) => Unsafe.As<object, nint>(ref o);

    static string Hex(nint v) => "0x" + ((ulong)v).ToString("x");

    static uint MtFlags(Type t) => *(uint*)t.TypeHandle.Value;

    static int BaseSizeOf(Type t) => *(int*)((byte*)t.TypeHandle.Value + 4);

    static int ComponentSizeOf(Type t) => (MtFlags(t) & 0x80000000u) != 0 ? (int)(MtFlags(t) & 0xFFFF) : 0;

    /// <summary>The object's size as the GC lays it out (aligned to 8, at least 24).</summary>
    static long ObjectSize(object o)
    {
        Type t = o.GetType();
        long size = BaseSizeOf(t);
        int comp = ComponentSizeOf(t);
        if (comp != 0)
            size += (o is string s ? s.Length : o is Array a ? a.LongLength : 0) * comp;
        size = (size + 7) & ~7L;
        return Math.Max(size, 24);
    }

    /// <summary>A type's name as clrsos prints it: C#-like, nested types with '+'.</summary>
    static string CsName(Type t)
    {
        if (t.IsArray)
            return CsName(t.GetElementType()!) + "[" + new string(',', t.GetArrayRank() - 1) + "]";
        if (!t.IsGenericType)
            return t.FullName ?? t.Name;
        Type[] args = t.GetGenericArguments();
        int used = 0;
        var sb = new StringBuilder();
        foreach (string part in t.GetGenericTypeDefinition().FullName!.Split('+'))
        {
            if (sb.Length > 0) sb.Append('+');
            int tick = part.IndexOf('`');
            if (tick < 0)
            {
                sb.Append(part);
                continue;
            }
            int n = int.Parse(part.Substring(tick + 1));
            sb.Append(part, 0, tick).Append('<').Append(string.Join(", ", args.Skip(used).Take(n).Select(CsName))).Append('>');
            used += n;
        }
        return sb.ToString();
    }

    /// <summary>Whether the type exists only in this program's shapes (its name has a Retention type).</summary>
    static bool Exclusive(Type t) => CsName(t).Contains("Retention.");

    // ------------------------------------------------------------ the graph

    static readonly Dictionary<Type, FieldInfo[]> s_fields = new();

    static FieldInfo[] FieldsOf(Type t)
    {
        if (s_fields.TryGetValue(t, out var f)) return f;
        var list = new List<FieldInfo>();
        for (Type? c = t; c is not null; c = c.BaseType)
            list.AddRange(c.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly));
        return s_fields[t] = list.ToArray();
    }

    /// <summary>The references a value of type t holds, read as the GC reads them (struct fields inline).</summary>
    static void ReferencesOf(object boxed, Type t, List<object> into)
    {
        foreach (var f in FieldsOf(t))
        {
            Type ft = f.FieldType;
            if (ft.IsPointer || ft.IsFunctionPointer || ft.IsPrimitive || ft.IsEnum || ft == typeof(IntPtr) || ft == typeof(UIntPtr))
                continue;
            object? v = f.GetValue(boxed);
            if (v is null) continue;
            if (ft.IsValueType) ReferencesOf(v, ft, into);
            else into.Add(v);
        }
    }

    static List<object> ReferencesOf(object o)
    {
        var refs = new List<object>();
        if (o is string) return refs;
        if (o is Array arr)
        {
            Type e = arr.GetType().GetElementType()!;
            if (e.IsPrimitive || e.IsEnum || e.IsPointer) return refs;
            foreach (object? x in arr)
            {
                if (x is null) continue;
                if (e.IsValueType) ReferencesOf(x, e, refs);
                else refs.Add(x);
            }
            return refs;
        }
        ReferencesOf(o, o.GetType(), refs);
        return refs;
    }

    sealed class Graph
    {
        public readonly List<object> Objects = new() { null! }; // 0: the virtual root
        public readonly Dictionary<object, int> Index = new(ReferenceEqualityComparer.Instance);
        public readonly List<List<int>> Succ = new() { new() };
        public int[] Idom = Array.Empty<int>();
        public long[] Size = Array.Empty<long>(), Retained = Array.Empty<long>(), Count = Array.Empty<long>();
        public readonly Dictionary<string, int> RootOf = new(); // static field -> node

        public int Node(object o)
        {
            if (Index.TryGetValue(o, out int n)) return n;
            n = Objects.Count;
            Objects.Add(o);
            Index[o] = n;
            Succ.Add(new List<int>());
            return n;
        }
    }

    static Graph BuildGraph()
    {
        var g = new Graph();
        var roots = new List<(string field, object o)>
        {
            ("Retention.Roots.Chain", Roots.Chain!), ("Retention.Roots.Left", Roots.Left!),
            ("Retention.Roots.Right", Roots.Right!), ("Retention.Roots.Pair", Roots.Pair!),
            ("Retention.Roots.Diamond", Roots.Diamond!), ("Retention.Roots.Ring", Roots.Ring!),
            ("Retention.Roots.Cwt", Roots.Cwt!), ("Retention.Roots.CwtKeys", Roots.CwtKeys!),
            ("Retention.Roots.DhPrimary", Roots.DhPrimary!), ("Retention.Roots.Both", Roots.Both!),
        };
        // Dependent handles: an edge from the primary to the secondary.
        var dependent = new Dictionary<object, List<object>>(ReferenceEqualityComparer.Instance);
        foreach (var k in Roots.CwtKeys!)
            if (Roots.Cwt!.TryGetValue(k, out var v))
                dependent[k] = new List<object> { v };
        (object? target, object? dep) = Roots.Dh.TargetAndDependent;
        if (target is not null && dep is not null)
        {
            if (!dependent.TryGetValue(target, out var list))
                dependent[target] = list = new List<object>();
            list.Add(dep);
        }

        var todo = new Stack<int>();
        foreach (var (field, o) in roots)
        {
            bool fresh = !g.Index.ContainsKey(o);
            int n = g.Node(o);
            g.RootOf[field] = n;
            g.Succ[0].Add(n);
            if (fresh) todo.Push(n);
        }
        // The stack local of the holder thread: one more root of Both.
        g.Succ[0].Add(g.Node(Roots.Both!));
        while (todo.Count > 0)
        {
            int n = todo.Pop();
            object o = g.Objects[n];
            var refs = ReferencesOf(o);
            if (dependent.TryGetValue(o, out var deps)) refs.AddRange(deps);
            foreach (var r in refs)
            {
                bool fresh = !g.Index.ContainsKey(r);
                int m = g.Node(r);
                g.Succ[n].Add(m);
                if (fresh) todo.Push(m);
                if (fresh && GC.GetGeneration(r) == int.MaxValue)
                    Info("WARNING: the shapes reach a frozen " + CsName(r.GetType()));
                else if (fresh && !Exclusive(r.GetType()) && r is not byte[] && r is not string && r is not int[]
                         && r.GetType() != typeof(object) /* the table's own lock */ && r.GetType().FullName != "System.Threading.Lock")
                    Info("WARNING: the shapes reach a " + CsName(r.GetType()) + " that others may share");
            }
        }
        Dominators(g);
        return g;
    }

    /// <summary>Cooper, Harvey and Kennedy's iterative dominators, then sizes summed up the tree.</summary>
    static void Dominators(Graph g)
    {
        int count = g.Objects.Count;
        // Reverse postorder from the virtual root, iteratively.
        var order = new List<int>(count);
        var visited = new bool[count];
        var stack = new Stack<(int node, int next)>();
        stack.Push((0, 0));
        visited[0] = true;
        while (stack.Count > 0)
        {
            var (n, i) = stack.Pop();
            if (i < g.Succ[n].Count)
            {
                stack.Push((n, i + 1));
                int m = g.Succ[n][i];
                if (!visited[m])
                {
                    visited[m] = true;
                    stack.Push((m, 0));
                }
            }
            else
            {
                order.Add(n);
            }
        }
        order.Reverse();
        var rpo = new int[count];
        for (int i = 0; i < order.Count; i++) rpo[order[i]] = i;
        var preds = new List<int>[count];
        for (int i = 0; i < count; i++) preds[i] = new List<int>();
        for (int n = 0; n < count; n++)
            foreach (int m in g.Succ[n]) preds[m].Add(n);
        var idom = new int[count];
        Array.Fill(idom, -1);
        idom[0] = 0;
        bool changed = true;
        while (changed)
        {
            changed = false;
            foreach (int b in order)
            {
                if (b == 0) continue;
                int best = -1;
                foreach (int p in preds[b])
                {
                    if (idom[p] < 0) continue;
                    if (best < 0)
                    {
                        best = p;
                        continue;
                    }
                    int x = p, y = best;
                    while (x != y)
                    {
                        while (rpo[x] > rpo[y]) x = idom[x];
                        while (rpo[y] > rpo[x]) y = idom[y];
                    }
                    best = x;
                }
                if (idom[b] != best)
                {
                    idom[b] = best;
                    changed = true;
                }
            }
        }
        g.Idom = idom;
        g.Size = new long[count];
        g.Retained = new long[count];
        g.Count = new long[count];
        for (int n = 1; n < count; n++)
        {
            g.Size[n] = ObjectSize(g.Objects[n]);
            g.Retained[n] = g.Size[n];
            g.Count[n] = 1;
        }
        // Children come after their dominator in reverse postorder: sum from the end.
        for (int i = order.Count - 1; i > 0; i--)
        {
            int n = order[i];
            g.Retained[idom[n]] += g.Retained[n];
            g.Count[idom[n]] += g.Count[n];
        }
    }

    /// <summary>n's dominators, nearest first, without the virtual root.</summary>
    static List<int> Chain(Graph g, int n)
    {
        var chain = new List<int>();
        for (int d = g.Idom[n]; d != 0; d = g.Idom[d]) chain.Add(d);
        return chain;
    }

    // ------------------------------------------------------------ truth

    // The truth is computed in a frame of its own: once Truth returns, nothing
    // of the graph it built stays on the stack. A core taken right after READY,
    // while a frame holding the graph was still there, saw it as live.
    static void Report()
    {
        string text = Truth();
        Console.WriteLine(text);
        Console.WriteLine("READY");
        Console.Out.Flush();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static string Truth()
    {
        Graph g = BuildGraph();
        var named = new List<(string name, int node)>();
        void Name(string name, object o) => named.Add((name, g.Index[o]));
        var chain = Roots.Chain!;
        Name("chain", chain);
        Name("chainMap", chain.Map);
        Name("chainNode0", chain.Map[0]);
        Name("chainPayload0", chain.Map[0].Payload);
        Name("left", Roots.Left!);
        Name("right", Roots.Right!);
        Name("leftSharedItem", Roots.Left!.Items[0]);
        Name("leftPrivateItem", Roots.Left!.Items[Shared]);
        Name("pair", Roots.Pair!);
        Name("pairFirst", Roots.Pair!.First!);
        Name("pairSecond", Roots.Pair!.Second!);
        Name("pairSharedItem", Roots.Pair!.First!.Items[1]);
        Name("pairPrivateItem", Roots.Pair!.Second!.Items[Shared]);
        var a = Roots.Diamond!;
        Name("diamondA", a);
        Name("diamondB", a.Left!);
        Name("diamondC", a.Right!);
        Name("diamondD", a.Left!.Left!);
        Name("ringEntry", Roots.Ring!);
        Name("ringNext", Roots.Ring!.Next!);
        RingNode before = Roots.Ring!;
        while (before.Next != Roots.Ring) before = before.Next!;
        Name("ringBeforeEntry", before);
        Name("cwt", Roots.Cwt!);
        Name("cwtKeys", Roots.CwtKeys!);
        Name("cwtKey0", Roots.CwtKeys![0]);
        Roots.Cwt!.TryGetValue(Roots.CwtKeys[0], out var value0);
        Name("cwtValue0", value0!);
        Name("dhPrimary", Roots.DhPrimary!);
        Name("dhSecondary", Roots.Dh.Dependent!);
        Name("both", Roots.Both!);

        // Per type: instances, bytes, and what the topmost instances on each chain retain.
        var types = new SortedDictionary<string, long[]>(StringComparer.Ordinal);
        for (int n = 1; n < g.Objects.Count; n++)
        {
            Type t = g.Objects[n].GetType();
            if (!Exclusive(t)) continue;
            string tn = CsName(t);
            if (!types.TryGetValue(tn, out var row)) types[tn] = row = new long[3];
            row[0]++;
            row[1] += g.Size[n];
            bool topmost = true;
            for (int d = g.Idom[n]; d != 0 && topmost; d = g.Idom[d])
                topmost = g.Objects[d].GetType() != t;
            if (topmost) row[2] += g.Retained[n];
        }

        // The addresses last, after the GCs that compact the heap, and with no GC while they are read.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        bool noGc = false;
        try
        {
            noGc = GC.TryStartNoGCRegion(16 << 20);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentOutOfRangeException)
        {
            Info("no no-GC region (" + e.GetType().Name + "): addresses are read right after the GC");
        }
        var ms = new MemoryStream(1 << 20);
        var w = new Utf8JsonWriter(ms);
        w.WriteStartObject();
        w.WriteNumber("pid", Environment.ProcessId);
        w.WriteString("runtimeDirectory", RuntimeEnvironment.GetRuntimeDirectory());
        w.WriteNumber("rounds", s_rounds);
        w.WriteNumber("chainNodes", chain.Map.Count);
        w.WriteNumber("graphObjects", g.Objects.Count - 1);
        w.WriteStartObject("objects");
        foreach (var (name, n) in named)
        {
            object o = g.Objects[n];
            w.WriteStartObject(name);
            w.WriteString("address", Hex(AddressOf(o)));
            w.WriteString("type", CsName(o.GetType()));
            w.WriteNumber("size", g.Size[n]);
            w.WriteNumber("retained", g.Retained[n]);
            w.WriteNumber("objects", g.Count[n]);
            w.WriteStartArray("dominators");
            foreach (int d in Chain(g, n)) w.WriteStringValue(Hex(AddressOf(g.Objects[d])));
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndObject();
        // Each static's object, and whether it is at the top of the dominator tree.
        w.WriteStartObject("statics");
        foreach (var (field, n) in g.RootOf)
        {
            w.WriteStartObject(field);
            w.WriteString("address", Hex(AddressOf(g.Objects[n])));
            w.WriteString("type", CsName(g.Objects[n].GetType()));
            w.WriteNumber("retained", g.Retained[n]);
            w.WriteNumber("objects", g.Count[n]);
            w.WriteBoolean("topLevel", g.Idom[n] == 0);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteStartObject("types");
        foreach (var (tn, row) in types)
        {
            w.WriteStartObject(tn);
            w.WriteNumber("count", row[0]);
            w.WriteNumber("totalSize", row[1]);
            w.WriteNumber("retained", row[2]);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteBoolean("noGcRegion", noGc);
        w.WriteEndObject();
        w.Flush();
        string text = "TRUTH " + Encoding.UTF8.GetString(ms.GetBuffer(), 0, (int)ms.Length);
        if (noGc && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
            GC.EndNoGCRegion();
        else if (noGc)
            Info("WARNING: a GC ended the no-GC region; addresses may be stale");
        return text;
    }
}
