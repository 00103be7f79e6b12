// Test target for crash dumps: dies the way production services die.
//
//   Crasher <kind>
//
// kind: throw (an unhandled InvalidOperationException), nested (an
// exception with inner exceptions thrown through several frames),
// stackoverflow (unbounded recursion), divzero (a hardware divide by zero),
// nullref (a null reference: a hardware fault), async (an exception thrown
// after an await, rethrown on the main thread by GetResult),
// task (an exception on a thread-pool thread), wait (no crash: print TRUTH
// and READY and wait; for live tests).
//
// Before it dies it prints TRUTH (its runtime directory and the addresses
// of objects it holds on the dying thread's stack) and READY; then it
// waits for a line on stdin (or dies at once with "now" as the 2nd
// argument), so a test can attach first.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Crasher;

public sealed class Order
{
    public int Id;
    public string Customer = "";
}

public static class Program
{
    static int s_zero;

    public static int Main(string[] args)
    {
        string kind = args.Length > 0 ? args[0] : "throw";
        bool now = args.Length > 1 && args[1] == "now";
        var order = new Order { Id = 4242, Customer = "crash-customer" };
        var truth = new Dictionary<string, object>
        {
            ["runtimeDirectory"] = RuntimeEnvironment.GetRuntimeDirectory(),
            ["pid"] = Environment.ProcessId,
            ["kind"] = kind,
            ["orderAddress"] = "0x" + AddressOf(order).ToString("x"),
        };
        Console.WriteLine("TRUTH " + JsonSerializer.Serialize(truth));
        Console.WriteLine("READY");
        Console.Out.Flush();
        if (!now)
            Console.ReadLine();
        Die(kind, order);
        GC.KeepAlive(order);
        return 0;
    }

    static unsafe nint AddressOf(object o) => *(nint*)Unsafe.AsPointer(ref o);

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void Die(string kind, Order order)
    {
        switch (kind)
        {
            case "throw":
                Fail(order);
                break;
            case "nested":
                Outer(order);
                break;
            case "stackoverflow":
                Recurse(order, 0);
                break;
            case "divzero":
                Console.WriteLine(order.Id / s_zero);
                break;
            case "nullref":
                Console.WriteLine(Lookup(order).Customer.Length);
                break;
            case "async":
                ShipAsync(order).GetAwaiter().GetResult();
                break;
            case "task":
                var t = new Thread(() => Fail(order));
                t.Start();
                t.Join();
                break;
            case "wait":
                Thread.Sleep(Timeout.Infinite);
                break;
        }
        GC.KeepAlive(order);
    }

    static Order? s_missing;

    [MethodImpl(MethodImplOptions.NoInlining)]
    static Order Lookup(Order order) => order.Id < 0 ? order : s_missing!;

    [MethodImpl(MethodImplOptions.NoInlining)]
    static async Task ShipAsync(Order order)
    {
        await Task.Yield();
        Fail(order);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void Fail(Order order) =>
        throw new InvalidOperationException("order " + order.Id + " cannot be shipped");

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void Outer(Order order)
    {
        try
        {
            Middle(order);
        }
        catch (Exception e)
        {
            throw new ApplicationException("outer failure for " + order.Customer, e);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void Middle(Order order)
    {
        try
        {
            Fail(order);
        }
        catch (Exception e)
        {
            throw new FormatException("middle failure", e);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static int Recurse(Order order, int depth) => Recurse(order, depth + 1) + order.Id;
}
