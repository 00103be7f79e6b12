// ClrmdBench <core> <op> [address]: one heap command done with ClrMD on a
// core, timed from inside. The command runs twice in this process, each time
// on a DataTarget and ClrRuntime of its own: the first run compiles ClrMD's
// and this program's code (the JIT) and is not the figure; the second, with
// the code compiled but ClrMD's caches new (a new DataTarget, runtime and
// heap), is: load (open the dump, create the runtime, the DAC loaded) and
// the command itself, which starts at runtime.Heap (the heap's segments are
// read inside it). Prints CLRMD {json} with both runs' times.
//   load             only open the dump and the runtime
//   stat             objects per type, as dumpheap -stat
//   live-stat        objects per type reachable from the roots, as dumpheap -live -stat
//   gcroot <addr>    a path from a root to the object (GCRoot, as SOS's gcroot)
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Diagnostics.Runtime;

string core = args[0], op = args[1];
string? address = args.Length > 2 ? args[2] : null;
var first = Run(core, op, address);
GC.Collect(); // the first run's objects gone before the timed one
GC.WaitForPendingFinalizers();
GC.Collect();
var timed = Run(core, op, address);
Console.WriteLine("CLRMD " + JsonSerializer.Serialize(new { op, load = timed.Load, command = timed.Command,
    firstLoad = first.Load, firstCommand = first.Command, objects = timed.Objects, types = timed.Types,
    found = timed.Found, version = typeof(ClrHeap).Assembly.GetName().Version?.ToString() }));

// One run on a DataTarget and runtime of its own: (load seconds, command seconds, objects counted, types, roots found).
static (double Load, double Command, long Objects, long Types, long Found) Run(string core, string op, string? address)
{
    var sw = Stopwatch.StartNew();
    using DataTarget dt = DataTarget.LoadDump(core);
    using ClrRuntime runtime = dt.ClrVersions[0].CreateRuntime();
    double load = sw.Elapsed.TotalSeconds;
    sw.Restart();
    ClrHeap heap = runtime.Heap;
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
            ulong target = Convert.ToUInt64(address!.Replace("0x", ""), 16);
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
    return (load, command, objects, types, found);
}

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
