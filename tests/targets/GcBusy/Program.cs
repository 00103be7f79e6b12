// GcBusy: builds a large graph of small objects, then runs full compacting
// GCs back to back forever, so that most of the time the process is inside
// a garbage collection. Tests stop it with a debugger and expect clrsos to
// say that the GC heap cannot be read mid-GC.
//
// Prints "TRUTH {json}" with its pid and the node count, then "READY".

using System.Runtime;

namespace GcBusy;

sealed class Node
{
    public Node? Next;
    public object? Payload;
}

public static class Program
{
    static Node? s_head;

    public static int Main(string[] args)
    {
        int count = args.Length > 0 ? int.Parse(args[0]) : 2_000_000;
        Node? head = null;
        for (int i = 0; i < count; i++)
        {
            // Every other node carries a small array, so compaction has work to do.
            head = new Node { Next = head, Payload = (i & 1) == 0 ? new byte[16] : null };
        }
        s_head = head;
        Console.Out.WriteLine($"TRUTH {{\"pid\":{Environment.ProcessId},\"nodes\":{count},\"serverGC\":{(GCSettings.IsServerGC ? "true" : "false")}}}");
        Console.Out.WriteLine("READY");
        Console.Out.Flush();
        while (true)
        {
            // Garbage between collections keeps every GC compacting real work.
            for (int i = 0; i < 10_000; i++)
                _ = new byte[64];
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.KeepAlive(s_head);
        }
    }
}
