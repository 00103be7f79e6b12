// Test target for the live tool (clrsos counters, trigger, collect): a
// managed heap whose shape over time is known, and the process's own view
// of the counters the tool reads from outside.
//
//   Spiker steady <MB> <seconds>
//       Holds <MB> of live byte arrays, collects once, then allocates a
//       little garbage and throws a known number of exceptions each tick.
//   Spiker spike <baseMB> <peakMB> <highSeconds> <lowSeconds> <seconds>
//       Holds <baseMB>; every cycle grows to <peakMB> for <highSeconds>,
//       then drops back to <baseMB> (with a full GC) for <lowSeconds>.
//
// Prints "READY <pid>" once, then every 250 ms one line
//   TRUTH {"t":..., "phase":"high|low|steady", "heapSize":..., "totalMemory":...,
//          "gen0Count":..., "gen1Count":..., "gen2Count":..., "workingSet":...,
//          "allocated":..., "exceptions":..., "gen0Size":..., ..., "pohSize":...}
// where t is seconds since the Unix epoch, heapSize is GCMemoryInfo's
// HeapSizeBytes after the last GC, totalMemory GC.GetTotalMemory(false),
// and the generation sizes GCMemoryInfo's SizeAfterBytes. Exits after
// <seconds>, or when stdin closes.
using System.Text.Json;

namespace Spiker;

public static class Program
{
    static readonly List<byte[]> s_base = new();
    static readonly List<byte[]> s_peak = new();
    static long s_exceptions;

    const int Chunk = 64 * 1024; // below the LOH threshold: the spike lives in gen0-2

    public static int Main(string[] args)
    {
        string mode = args.Length > 0 ? args[0] : "steady";
        int baseMb = args.Length > 1 ? int.Parse(args[1]) : 50;
        int peakMb = mode == "spike" && args.Length > 2 ? int.Parse(args[2]) : baseMb;
        double high = mode == "spike" && args.Length > 3 ? double.Parse(args[3]) : 0;
        double low = mode == "spike" && args.Length > 4 ? double.Parse(args[4]) : 0;
        double seconds = double.Parse(args.Length > (mode == "spike" ? 5 : 2) ? args[mode == "spike" ? 5 : 2] : "60");

        Fill(s_base, baseMb);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        Console.WriteLine("READY " + Environment.ProcessId);
        Console.Out.Flush();
        // Stdin closing ends the run early (the test died).
        var stdin = new Thread(() => { while (Console.In.ReadLine() != null) { } Environment.Exit(0); })
            { IsBackground = true };
        stdin.Start();

        var start = DateTime.UtcNow;
        var cycleStart = start;
        string phase = mode == "spike" ? "low" : "steady";
        var rng = new Random(1);
        while ((DateTime.UtcNow - start).TotalSeconds < seconds)
        {
            if (mode == "spike")
            {
                double inCycle = (DateTime.UtcNow - cycleStart).TotalSeconds;
                if (phase == "low" && inCycle >= low)
                {
                    phase = "high";
                    cycleStart = DateTime.UtcNow;
                    Fill(s_peak, peakMb - baseMb, phase);
                }
                else if (phase == "high" && inCycle >= high)
                {
                    phase = "low";
                    cycleStart = DateTime.UtcNow;
                    s_peak.Clear();
                    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                }
            }
            // A little garbage and a few exceptions each tick.
            for (int i = 0; i < 100; i++)
                _ = new byte[rng.Next(100, 2000)];
            for (int i = 0; i < 5; i++)
            {
                try { throw new InvalidOperationException("tick"); }
                catch (InvalidOperationException) { Interlocked.Increment(ref s_exceptions); }
            }
            Report(phase);
            Thread.Sleep(250);
        }
        return 0;
    }

    // With a phase, a TRUTH line every 16 MB: on a loaded machine the fill
    // takes seconds, and a watcher may see the heap grow before it ends.
    static void Fill(List<byte[]> list, int mb, string? phase = null)
    {
        for (long done = 0; done < (long)mb * 1024 * 1024; done += Chunk)
        {
            var a = new byte[Chunk];
            a[0] = 1;
            list.Add(a);
            if (phase != null && done % (16 << 20) == 0 && done > 0)
                Report(phase);
        }
    }

    static void Report(string phase)
    {
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        var stream = new MemoryStream();
        var w = new Utf8JsonWriter(stream);
        w.WriteStartObject();
        w.WriteNumber("t", (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds);
        w.WriteString("phase", phase);
        w.WriteNumber("pid", Environment.ProcessId);
        w.WriteString("runtime", Environment.Version.ToString());
        w.WriteNumber("heapSize", info.HeapSizeBytes);
        w.WriteNumber("committed", info.TotalCommittedBytes);
        w.WriteNumber("fragmented", info.FragmentedBytes);
        w.WriteNumber("totalMemory", GC.GetTotalMemory(false));
        w.WriteNumber("gen0Count", GC.CollectionCount(0));
        w.WriteNumber("gen1Count", GC.CollectionCount(1));
        w.WriteNumber("gen2Count", GC.CollectionCount(2));
        w.WriteNumber("workingSet", Environment.WorkingSet);
        w.WriteNumber("allocated", GC.GetTotalAllocatedBytes(false));
        w.WriteNumber("exceptions", Interlocked.Read(ref s_exceptions));
        w.WriteNumber("threads", System.Threading.ThreadPool.ThreadCount);
        string[] names = { "gen0Size", "gen1Size", "gen2Size", "lohSize", "pohSize" };
        var gens = info.GenerationInfo;
        for (int i = 0; i < names.Length && i < gens.Length; i++)
            w.WriteNumber(names[i], gens[i].SizeAfterBytes);
        w.WriteEndObject();
        w.Flush();
        Console.WriteLine("TRUTH " + System.Text.Encoding.UTF8.GetString(stream.ToArray()));
        Console.Out.Flush();
    }
}
