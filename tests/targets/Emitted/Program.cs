// Emitted: types made at run time with Reflection.Emit, as Castle
// DynamicProxy, Moq, NSubstitute, Dapper and EF Core's proxies make them,
// with known numbers of instances held by statics. Also many threads that
// each allocated a little and now wait (their allocation contexts are
// open), for checking that a healthy heap walks without warnings.
//
// Prints one "TRUTH {json}" line, then "READY", then waits forever.
//
// Emitted types (namespace Castle.Proxies unless said):
//   CustomerProxy { int Id; string Name; Emitted.Customer Target }  (assembly
//     built with AssemblyBuilderAccess.Run)
//   OrderProxy : Emitted.Order { int Extra }  (derives from a normal class;
//     RunAndCollect assembly: collectible)
//   Castle.Proxies.Holder`1[T] { T Value; int Tag }, instantiated as
//     Holder<System.Int32> and Holder<System.String>
// Normal types: Emitted.Customer { string Email }, Emitted.Order { int Number; string Note }.

using System.Reflection;
using System.Reflection.Emit;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Text;

namespace Emitted;

public class Customer
{
    public string? Email;
}

public class Order
{
    public int Number;
    public string? Note;
}

public static class Holders
{
    public static object[]? Customers;
    public static object[]? Orders;
    public static object[]? HolderInts;
    public static object[]? HolderStrings;
    public static Array? CustomerArray;
    public static object? CustomerList;
}

public static class Program
{
    const int CustomerProxies = 37;
    const int OrderProxies = 23;
    const int HolderIntCount = 11;
    const int HolderStringCount = 13;
    const int Threads = 24;

    static Type EmitCustomerProxy(ModuleBuilder mb)
    {
        TypeBuilder tb = mb.DefineType("Castle.Proxies.CustomerProxy", TypeAttributes.Public | TypeAttributes.Class);
        tb.DefineField("Id", typeof(int), FieldAttributes.Public);
        tb.DefineField("Name", typeof(string), FieldAttributes.Public);
        tb.DefineField("Target", typeof(Customer), FieldAttributes.Public);
        tb.DefineDefaultConstructor(MethodAttributes.Public);
        return tb.CreateType()!;
    }

    static Type EmitOrderProxy(ModuleBuilder mb)
    {
        TypeBuilder tb = mb.DefineType("Castle.Proxies.OrderProxy", TypeAttributes.Public | TypeAttributes.Class, typeof(Order));
        tb.DefineField("Extra", typeof(int), FieldAttributes.Public);
        tb.DefineDefaultConstructor(MethodAttributes.Public);
        return tb.CreateType()!;
    }

    static Type EmitHolder(ModuleBuilder mb)
    {
        TypeBuilder tb = mb.DefineType("Castle.Proxies.Holder`1", TypeAttributes.Public | TypeAttributes.Class);
        GenericTypeParameterBuilder[] gp = tb.DefineGenericParameters("T");
        tb.DefineField("Value", gp[0], FieldAttributes.Public);
        tb.DefineField("Tag", typeof(int), FieldAttributes.Public);
        tb.DefineDefaultConstructor(MethodAttributes.Public);
        return tb.CreateType()!;
    }

    // Threads that allocate a little, then wait forever with their allocation context open.
    static readonly List<object> s_threadObjects = new();
    static readonly ManualResetEventSlim s_never = new(false);

    public static int Main()
    {
        var run = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("DynamicProxyGenAssembly2"), AssemblyBuilderAccess.Run);
        var runModule = run.DefineDynamicModule("DynamicProxyGenAssembly2");
        var collect = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("CollectibleProxies"), AssemblyBuilderAccess.RunAndCollect);
        var collectModule = collect.DefineDynamicModule("CollectibleProxies");

        Type customerProxy = EmitCustomerProxy(runModule);
        Type holder = EmitHolder(runModule);
        Type orderProxy = EmitOrderProxy(collectModule);
        Type holderInt = holder.MakeGenericType(typeof(int));
        Type holderString = holder.MakeGenericType(typeof(string));

        FieldInfo cId = customerProxy.GetField("Id")!, cName = customerProxy.GetField("Name")!, cTarget = customerProxy.GetField("Target")!;
        var customers = new object[CustomerProxies];
        for (int i = 0; i < CustomerProxies; i++)
        {
            object o = Activator.CreateInstance(customerProxy)!;
            cId.SetValue(o, 1000 + i);
            cName.SetValue(o, "proxy-" + i.ToString());
            cTarget.SetValue(o, new Customer { Email = "c" + i.ToString() + "@example.com" });
            customers[i] = o;
        }
        FieldInfo oExtra = orderProxy.GetField("Extra")!;
        var orders = new object[OrderProxies];
        for (int i = 0; i < OrderProxies; i++)
        {
            var o = (Order)Activator.CreateInstance(orderProxy)!;
            o.Number = 500 + i;
            o.Note = "order-" + i.ToString();
            oExtra.SetValue(o, 7 * i);
            orders[i] = o;
        }
        var hi = new object[HolderIntCount];
        for (int i = 0; i < HolderIntCount; i++)
        {
            object o = Activator.CreateInstance(holderInt)!;
            holderInt.GetField("Value")!.SetValue(o, 42 + i);
            holderInt.GetField("Tag")!.SetValue(o, i);
            hi[i] = o;
        }
        var hs = new object[HolderStringCount];
        for (int i = 0; i < HolderStringCount; i++)
        {
            object o = Activator.CreateInstance(holderString)!;
            holderString.GetField("Value")!.SetValue(o, "held-" + i.ToString());
            holderString.GetField("Tag")!.SetValue(o, i);
            hs[i] = o;
        }
        Holders.Customers = customers;
        Holders.Orders = orders;
        Holders.HolderInts = hi;
        Holders.HolderStrings = hs;
        // An array of an emitted type (its own MethodTable: CustomerProxy[]).
        Holders.CustomerArray = Array.CreateInstance(customerProxy, 5);
        Holders.CustomerArray.SetValue(customers[0], 0);
        // A normal generic type over an emitted one: List<CustomerProxy>.
        var list = (System.Collections.IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(customerProxy))!;
        list.Add(customers[1]);
        Holders.CustomerList = list;

        // Many threads, each allocating a little (so each has its own open
        // allocation context), then waiting.
        using var started = new CountdownEvent(Threads);
        for (int t = 0; t < Threads; t++)
        {
            int id = t;
            var th = new Thread(() =>
            {
                var mine = new List<object>();
                for (int i = 0; i < 50 + id; i++)
                    mine.Add(new byte[40 + i]);
                lock (s_threadObjects)
                    s_threadObjects.Add(mine);
                started.Signal();
                s_never.Wait();
            }) { IsBackground = true, Name = "Allocator" + t };
            th.Start();
        }
        started.Wait();

        // A string literal lives on the frozen (NonGC) heap since .NET 8.
        string frozen = "Emitted frozen literal";
        s_literal = frozen;
        // And one that nothing on the heap or a stack refers to (only the JIT-compiled code).
        (ulong unrooted, bool unrootedFrozen) = UnrootedLiteral();

        // Everything to gen2 and compacted now: the allocations below (the
        // TRUTH text) cannot move it any more (checked: no gen1/gen2 GC since).
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        int gen1 = GC.CollectionCount(1);
        var sb = new StringBuilder();
        sb.Append("TRUTH {");
        sb.Append("\"pid\":").Append(Environment.ProcessId);
        sb.Append(",\"runtimeDirectory\":\"").Append(RuntimeEnvironment.GetRuntimeDirectory()).Append('"');
        sb.Append(",\"threads\":").Append(Threads);
        sb.Append(",\"types\":{");
        sb.Append("\"Castle.Proxies.CustomerProxy\":").Append(CustomerProxies);
        sb.Append(",\"Castle.Proxies.OrderProxy\":").Append(OrderProxies);
        sb.Append(",\"Castle.Proxies.Holder<System.Int32>\":").Append(HolderIntCount);
        sb.Append(",\"Castle.Proxies.Holder<System.String>\":").Append(HolderStringCount);
        sb.Append(",\"Emitted.Customer\":").Append(CustomerProxies);
        // Mine, the List's array and its empty-array singleton (List<T>.s_emptyArray).
        sb.Append(",\"Castle.Proxies.CustomerProxy[]\":3");
        sb.Append(",\"System.Collections.Generic.List<Castle.Proxies.CustomerProxy>\":1");
        sb.Append('}');
        sb.Append(",\"customer0\":{\"address\":\"").Append(AddressOf(customers[0]).ToString("x"))
          .Append("\",\"Id\":1000,\"Name\":\"proxy-0\",\"Target\":\"").Append(AddressOf(cTarget.GetValue(customers[0])!).ToString("x")).Append("\"}");
        sb.Append(",\"order3\":{\"address\":\"").Append(AddressOf(orders[3]).ToString("x"))
          .Append("\",\"Number\":503,\"Extra\":21}");
        sb.Append(",\"holderInt2\":{\"address\":\"").Append(AddressOf(hi[2]).ToString("x"))
          .Append("\",\"Value\":44,\"Tag\":2}");
        sb.Append(",\"holderString4\":{\"address\":\"").Append(AddressOf(hs[4]).ToString("x"))
          .Append("\",\"Tag\":4}");
        sb.Append(",\"literal\":{\"address\":\"").Append(AddressOf(frozen).ToString("x")).Append("\"}");
        sb.Append(",\"unrootedLiteral\":{\"address\":\"").Append(unrooted.ToString("x")).Append("\"}");
        sb.Append(",\"frozenLiteral\":").Append(unrootedFrozen ? "true" : "false");
        sb.Append('}');
        if (GC.CollectionCount(1) != gen1)
        {
            Console.Out.WriteLine("# a GC ran while the truth was written: addresses may be stale");
            return 1;
        }
        Console.Out.WriteLine(sb.ToString());
        Console.Out.WriteLine("READY");
        Console.Out.Flush();
        GC.KeepAlive(s_threadObjects);
        s_never.Wait();
        return 0;
    }

    static string? s_literal;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    static (ulong, bool) UnrootedLiteral()
    {
        string s = "Emitted literal that no object holds";
        return (AddressOf(s), GC.GetGeneration(s) == int.MaxValue);
    }

    static ulong AddressOf(object o) => (ulong)System.Runtime.CompilerServices.Unsafe.As<object, nint>(ref o);
}
