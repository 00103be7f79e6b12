// BenchHeap: builds a heap of about N million objects with a realistic mix,
// prints what the benchmark asks about (BENCH {json}), then READY, and
// waits to be attached to or dumped.
//
// The mix, per "unit" of about 31 objects: an Order with a Customer and a
// List<OrderLine> of 8 lines (each line a class with a string SKU and a
// Product reference), 20 strings (half of them duplicates of a few texts),
// an object[] of 16 references, a struct array of 8 LineValue structs with
// references, boxed ints, and, every 1000 units, a long chain of 1000
// nodes and a wide fan-out node with 1000 children. A few large arrays
// (byte[1 MB], object[100 000]) go to the LOH.
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace BenchHeap;

public sealed class Customer { public string Name = ""; public int Id; public Order? LastOrder; }
public sealed class Product { public string Sku = ""; public decimal Price; }
public sealed class OrderLine { public Product? Product; public string Note = ""; public int Quantity; }
public sealed class Order { public Customer? Customer; public List<OrderLine> Lines = new(); public long Id; public object[]? Tags; public LineValue[]? Values; }
public struct LineValue { public Product? Product; public double Amount; }
public sealed class ChainNode { public ChainNode? Next; public int Depth; }
public sealed class FanNode { public object[] Children = Array.Empty<object>(); }

public static class Roots
{
    public static List<object> All = new();
}

public static unsafe class Program
{
    static nint AddressOf(object o) => *(nint*)Unsafe.AsPointer(ref o);

    public static int Main(string[] args)
    {
        double millions = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1;
        long target = (long)(millions * 1_000_000);
        var shared = new[] { "pending", "shipped", "delivered", "cancelled", "returned" };
        var products = new Product[1000];
        for (int i = 0; i < products.Length; i++) products[i] = new Product { Sku = "SKU-" + i, Price = i };
        Roots.All.Add(products);
        ChainNode? deepLeaf = null;
        FanNode? fan = null;
        Order? lastOrder = null;
        long units = target / 31; // about 31 objects per unit (measured with dumpheap -stat)
        for (long u = 0; u < units; u++)
        {
            var customer = new Customer { Name = "customer " + u, Id = (int)u };
            var order = new Order { Customer = customer, Id = u };
            customer.LastOrder = order;
            for (int l = 0; l < 8; l++)
                order.Lines.Add(new OrderLine { Product = products[(u + l) % products.Length], Note = (l & 1) == 0 ? shared[l % shared.Length] : "note " + u + "/" + l, Quantity = l });
            order.Tags = new object[16];
            for (int t = 0; t < 16; t++)
                order.Tags[t] = (t & 3) == 0 ? (object)(int)(u + t) : (t & 3) == 1 ? "tag" + (u * 16 + t) : (t & 3) == 2 ? shared[t % shared.Length] : products[t];
            order.Values = new LineValue[8];
            for (int v = 0; v < 8; v++) order.Values[v] = new LineValue { Product = products[v], Amount = v };
            for (int s = 0; s < 20; s++) order.Tags[s % 16] ??= new string('x', 8 + s);
            Roots.All.Add(order);
            lastOrder = order;
            if (u % 1000 == 0)
            {
                ChainNode? head = null;
                for (int d = 0; d < 1000; d++) head = new ChainNode { Next = head, Depth = d };
                Roots.All.Add(head!);
                deepLeaf ??= FindLeaf(head!);
                var f = new FanNode { Children = new object[1000] };
                for (int c = 0; c < 1000; c++) f.Children[c] = new Customer { Name = "fan " + c, Id = c };
                Roots.All.Add(f);
                fan ??= f;
            }
        }
        for (int i = 0; i < 10; i++) Roots.All.Add(new byte[1 << 20]);
        var big = new object[100_000];
        for (int i = 0; i < big.Length; i++) big[i] = products[i % products.Length];
        Roots.All.Add(big);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);

        var info = new Dictionary<string, object>
        {
            ["pid"] = Environment.ProcessId,
            ["runtime"] = Environment.Version.ToString(),
            ["runtimeDir"] = System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(),
            ["units"] = units,
            ["heapBytes"] = GC.GetGCMemoryInfo().HeapSizeBytes,
            ["gcrootTarget"] = "0x" + AddressOf(deepLeaf ?? (object)lastOrder!).ToString("x"),
            ["gcrootTarget2"] = "0x" + AddressOf(lastOrder!.Lines[3]).ToString("x"),
            ["objsizeTarget"] = "0x" + AddressOf(fan ?? (object)lastOrder!).ToString("x"),
            ["typeName"] = "BenchHeap.OrderLine",
        };
        Console.WriteLine("BENCH " + JsonSerializer.Serialize(info));
        Console.WriteLine("READY");
        Console.Out.Flush();
        Thread.Sleep(Timeout.Infinite);
        GC.KeepAlive(Roots.All);
        return 0;
    }

    static ChainNode FindLeaf(ChainNode head)
    {
        var n = head;
        while (n.Next is not null) n = n.Next;
        return n;
    }
}
