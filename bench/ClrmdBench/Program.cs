// ClrmdBench <core> <op> [address]: one heap command done with ClrMD on a
// core, timed from inside: load (open the dump, create the runtime) and the
// command itself. Prints CLRMD {json}.
//   load             only open the dump and the runtime
//   stat             objects per type, as dumpheap -stat
//   live-stat        objects per type reachable from the roots, as dumpheap -live -stat
//   gcroot <addr>    a path from a root to the object (GCRoot, as SOS's gcroot)
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Diagnostics.Runtime;

string core = args[0], op = args[1];
var sw = Stopwatch.StartNew();
using DataTarget dt = DataTarget.LoadDump(core);
using ClrRuntime runtime = dt.ClrVersions[0].CreateRuntime();
ClrHeap heap = runtime.Heap;
double load = sw.Elapsed.TotalSeconds;
sw.Restart();
long objects = 0, types = 0, found = 0;
switch (op)
{
    case "load":
        break;
    case "stat":
    {
        (objects, types) = CountByType(heap, _ => true);
        break;
    }
    case "live-stat":
    {
        // Marks in a bitmap per segment (one bit per 8 bytes), as SOS's
        // live-object set does, not a hash set.
        ClrSegment[] segs = heap.Segments.OrderBy(s => s.ObjectRange.Start).ToArray();
        ulong[] starts = segs.Select(s => s.ObjectRange.Start).ToArray();
        ulong[][] bits = segs.Select(s => new ulong[(s.ObjectRange.Length / 8 + 63) / 64]).ToArray();
        // The word and bit of an address, or false if no segment holds it.
        bool Bit(ulong a, out ulong[] words, out ulong index, out ulong mask)
        {
            int i = Array.BinarySearch(starts, a);
            if (i < 0)
                i = ~i - 1;
            words = i >= 0 ? bits[i] : Array.Empty<ulong>();
            ulong k = i >= 0 ? (a - starts[i]) / 8 : 0;
            index = k / 64;
            mask = 1UL << (int)(k % 64);
            return i >= 0 && a < segs[i].ObjectRange.End;
        }
        bool Mark(ulong a)
        {
            if (!Bit(a, out ulong[] w, out ulong i, out ulong m) || (w[i] & m) != 0)
                return false;
            w[i] |= m;
            return true;
        }
        bool IsMarked(ulong a) => Bit(a, out ulong[] w, out ulong i, out ulong m) && (w[i] & m) != 0;
        var stack = new Stack<ulong>();
        foreach (ClrRoot root in heap.EnumerateRoots())
        {
            if (root.Object.Address != 0 && Mark(root.Object.Address))
                stack.Push(root.Object.Address);
        }
        while (stack.Count > 0)
        {
            ClrObject o = heap.GetObject(stack.Pop());
            if (!o.IsValid || !o.ContainsPointers)
                continue;
            foreach (ulong r in o.EnumerateReferenceAddresses(carefully: false, considerDependantHandles: true))
            {
                if (r != 0 && Mark(r))
                    stack.Push(r);
            }
        }
        (objects, types) = CountByType(heap, IsMarked);
        break;
    }
    case "gcroot":
    {
        ulong target = Convert.ToUInt64(args[2].Replace("0x", ""), 16);
        var gcroot = new GCRoot(heap, new[] { target });
        foreach (ClrRoot root in heap.EnumerateRoots())
        {
            if (gcroot.FindPathFrom(root.Object) is not null)
                found++;
        }
        break;
    }
    default:
        throw new ArgumentException("unknown op " + op);
}
double command = sw.Elapsed.TotalSeconds;
Console.WriteLine("CLRMD " + JsonSerializer.Serialize(new { op, load, command, objects, types, found,
    version = typeof(ClrHeap).Assembly.GetName().Version?.ToString() }));

// Objects and bytes per type of the objects that pass, their names looked
// up as dumpheap -stat prints them: (objects counted, types).
static (long, long) CountByType(ClrHeap heap, Func<ulong, bool> pass)
{
    var stats = new Dictionary<ulong, (long Count, ulong Size)>();
    long objects = 0;
    foreach (ClrObject o in heap.EnumerateObjects())
    {
        if (!pass(o.Address))
            continue;
        ulong mt = o.Type?.MethodTable ?? 0;
        stats.TryGetValue(mt, out var s);
        stats[mt] = (s.Count + 1, s.Size + o.Size);
        objects++;
    }
    foreach (ulong mt in stats.Keys)
        _ = heap.GetTypeByMethodTable(mt)?.Name;
    return (objects, stats.Count);
}
