// DiagScenario: a small web API with the classic .NET memory problems, for
// the leak hunt in scripts/demo.sh and docs/walkthrough.md.
//
//   GET /api/diagscenario/memleak/{kb}       the cache of a static Processor
//                                            grows by {kb} customers (~1 KB each)
//                                            and is never trimmed
//   GET /api/diagscenario/memspike/{seconds} starts, in the background, and
//                                            returns at once: for that many
//                                            seconds memory rises to about
//                                            DIAG_SPIKE_MB (default 200) MB and
//                                            falls back to the baseline, every
//                                            few seconds
//   GET /api/diagscenario/xmlevents/{count}  raises {count} order events whose
//                                            XML payload (~39 KB) an audit
//                                            listener keeps, a new copy each
//   GET /api/diagscenario/stats              what the service holds, as JSON
//
// Run: dotnet DiagScenario.dll [--urls http://127.0.0.1:0]; it prints
// "Now listening on: http://127.0.0.1:<port>" once it serves.

using System.Text;
using DiagScenario;

// The content root is the service's own folder, wherever it is started from:
// ASP.NET Core watches its content root for configuration changes.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
if (string.IsNullOrEmpty(builder.Configuration["urls"]) &&
    string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ASPNETCORE_URLS")))
    builder.WebHost.UseUrls("http://127.0.0.1:0"); // any free port; the log line names it
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

var app = builder.Build();
var api = app.MapGroup("/api/diagscenario");

api.MapGet("/memleak/{kb:int}", (int kb) =>
{
    if (kb < 0 || kb > 100_000)
        return Results.BadRequest("kb: 0 to 100000");
    int total = Endpoints.Processor.ProcessTransactions(kb);
    return Results.Text($"cached {kb} more customers, {total} in all\n");
});

api.MapGet("/memspike/{seconds:int}", (int seconds) =>
{
    if (seconds < 1 || seconds > 600)
        return Results.BadRequest("seconds: 1 to 600");
    if (!MemorySpike.Start(seconds))
        return Results.Conflict("a spike is already running\n");
    return Results.Text($"spiking for {seconds} s in the background (up to {MemorySpike.PeakMegabytes} MB)\n");
});

api.MapGet("/xmlevents/{count:int}", (int count) =>
{
    if (count < 0 || count > 100_000)
        return Results.BadRequest("count: 0 to 100000");
    for (int i = 0; i < count; i++)
        OrderEvents.Raise();
    return Results.Text($"raised {count} order events, {AuditListener.Count} kept\n");
});

api.MapGet("/stats", () => Results.Text(Endpoints.StatsJson(), "application/json"));

app.Run();

namespace DiagScenario
{
    /// <summary>A customer record, ~1 KB with its strings: each one built fresh.</summary>
    public sealed class Customer
    {
        public int Id;
        public string Name;
        public string Address;
        public string Email;

        public Customer(int id)
        {
            Id = id;
            Name = $"Customer {id:D6} Lastname{id % 997}";
            var sb = new StringBuilder(400);
            sb.Append(id).Append(" Leaky Lane, Building ").Append(id % 40).Append(", Springfield; deliveries: ");
            while (sb.Length < 390)
                sb.Append("ring twice, leave at the back door; ");
            Address = sb.ToString(0, 390);
            Email = $"customer{id:D6}@example.com";
        }
    }

    /// <summary>The leak: every processed customer is cached, and the cache is never trimmed.</summary>
    public sealed class Processor
    {
        private readonly CustomerCache cache = new CustomerCache();

        public int ProcessTransactions(int count)
        {
            lock (cache)
            {
                for (int i = 0; i < count; i++)
                    cache.Add(new Customer(cache.Count + 1));
                return cache.Count;
            }
        }

        public int CachedCustomers { get { lock (cache) return cache.Count; } }
    }

    public sealed class CustomerCache
    {
        private readonly List<Customer> customers = new List<Customer>();
        public int Count => customers.Count;
        public void Add(Customer c) => customers.Add(c);
    }

    public static class Endpoints
    {
        // The static field that roots the whole leak.
        public static readonly Processor Processor = new Processor();

        // Written by hand: a fixed shape, no serializer set-up.
        public static string StatsJson()
        {
            var s = MemorySpike.Snapshot();
            return "{\"customers\":" + Processor.CachedCustomers +
                   ",\"customerBytesApprox\":1024" +
                   ",\"xmlCopies\":" + AuditListener.Count +
                   ",\"xmlLength\":" + OrderEvents.PayloadLength +
                   ",\"spike\":{\"running\":" + (s.Running ? "true" : "false") +
                   ",\"heldMegabytes\":" + s.HeldMegabytes +
                   ",\"peakMegabytes\":" + MemorySpike.PeakMegabytes +
                   ",\"cycles\":" + s.Cycles + "}" +
                   ",\"gcHeapBytes\":" + GC.GetTotalMemory(false) +
                   ",\"gcCommittedBytes\":" + GC.GetGCMemoryInfo().TotalCommittedBytes +
                   ",\"pid\":" + Environment.ProcessId + "}\n";
        }
    }

    /// <summary>The payload of an order event: an XML document of 19,477 characters (~39 KB).</summary>
    public sealed class OrderEventArgs : EventArgs
    {
        public OrderEventArgs(string xml) { Xml = xml; }
        public string Xml { get; }
    }

    /// <summary>
    /// The event source. A plain .NET event rather than an EventSource with an
    /// EventListener: no enabling, levels or keywords to set up, and the
    /// handler runs synchronously on the raising thread, once per event, so
    /// {count} raises leave exactly {count} copies and the demo can check the
    /// number. The leak is the same either way: a listener that keeps what it
    /// is handed.
    /// </summary>
    public static class OrderEvents
    {
        public static event EventHandler<OrderEventArgs>? OrderPlaced;
        private static readonly string[] s_lines = BuildLines();
        public static readonly int PayloadLength = string.Concat(s_lines).Length;

        static OrderEvents()
        {
            AuditListener.Subscribe(); // the listener is wired at start-up, as in an app's composition root
        }

        private static string[] BuildLines()
        {
            var lines = new List<string> { "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n", "<OrderPlaced xmlns=\"urn:diagscenario:orders\" version=\"1\">\n",
                                           "  <Customer id=\"42\"><Name>Ada Example</Name><Email>ada@example.com</Email></Customer>\n", "  <Lines>\n" };
            for (int i = 1; i <= 250; i++)
                lines.Add($"    <Line no=\"{i}\" sku=\"SKU-{i * 7919 % 100000:D5}\" quantity=\"{i % 9 + 1}\" price=\"{i * 3 % 97}.{i % 100:D2}\">Item {i}</Line>\n");
            lines.Add("  </Lines>\n");
            lines.Add("</OrderPlaced>\n");
            return lines.ToArray();
        }

        public static void Raise()
        {
            // The same text every time, but a new string instance: built here,
            // as a serializer would build it for each event.
            string xml = string.Concat(s_lines);
            OrderPlaced?.Invoke(null, new OrderEventArgs(xml));
        }
    }

    /// <summary>An audit listener that keeps every payload it sees, forever.</summary>
    public static class AuditListener
    {
        private static readonly List<string> s_received = new List<string>();

        public static void Subscribe() => OrderEvents.OrderPlaced += OnOrderPlaced;

        private static void OnOrderPlaced(object? sender, OrderEventArgs e)
        {
            lock (s_received)
                s_received.Add(e.Xml);
        }

        public static int Count { get { lock (s_received) return s_received.Count; } }
    }

    /// <summary>
    /// The spike: memory climbs in 8 MB steps to PeakMegabytes (1 MB byte
    /// arrays, every page written, and small records pointing at them), is held
    /// 3 s, then dropped and given back to the OS (an aggressive GC);
    /// a cycle takes about 7 s: about 2 s rising, 3 s at the top, 2 s at the baseline.
    /// </summary>
    public sealed class SpikeChunk
    {
        public byte[] Data;
        public int Cycle;
        public SpikeChunk(int cycle, byte fill) { Cycle = cycle; Data = new byte[1 << 20]; Array.Fill(Data, fill); }
    }

    public static class MemorySpike
    {
        public static readonly int PeakMegabytes =
            int.TryParse(Environment.GetEnvironmentVariable("DIAG_SPIKE_MB"), out var mb) && mb > 0 ? mb : 200;
        private static readonly object s_lock = new object();
        private static List<SpikeChunk>? s_held;
        private static bool s_running;
        private static int s_cycles;

        public readonly record struct State(bool Running, int HeldMegabytes, int Cycles);

        public static State Snapshot()
        {
            lock (s_lock) return new State(s_running, s_held?.Count ?? 0, s_cycles);
        }

        public static bool Start(int seconds)
        {
            lock (s_lock)
            {
                if (s_running)
                    return false;
                s_running = true;
            }
            var thread = new Thread(() => Run(seconds)) { IsBackground = true, Name = "memspike" };
            thread.Start();
            return true;
        }

        private static void Run(int seconds)
        {
            var end = DateTime.UtcNow.AddSeconds(seconds);
            try
            {
                while (DateTime.UtcNow < end)
                {
                    Rise(end); // ~2 s
                    Thread.Sleep(3000); // hold the peak: long enough for a dump to be taken there
                    Drop();
                    Thread.Sleep(2200); // the baseline
                }
            }
            finally
            {
                lock (s_lock) s_running = false;
                Drop();
            }
        }

        // Rise and Drop are methods of their own (not inlined) so that no
        // reference to the chunks outlives Rise's frame: unoptimized (tier 0)
        // code keeps every local and temporary alive to the method's end.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static void Rise(DateTime end)
        {
            int cycle;
            lock (s_lock) { cycle = ++s_cycles; s_held = new List<SpikeChunk>(); }
            for (int mb = 0; mb < PeakMegabytes && DateTime.UtcNow < end; mb++)
            {
                var chunk = new SpikeChunk(cycle, (byte)(mb + 1));
                lock (s_lock) s_held.Add(chunk);
                if (mb % 8 == 7)
                    Thread.Sleep(80);
            }
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static void Drop()
        {
            lock (s_lock) s_held = null;
            // Collect and give the memory back to the OS.
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
    }
}
