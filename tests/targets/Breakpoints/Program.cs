// Test target for bpmd (managed breakpoints on a live process):
//
//   Breakpoints <go file> [alc]
//
// prints TRUTH {"runtimeDirectory"} and READY, then waits until <go file>
// exists. Only then does it call Work and Later, which have not run (so
// have not been JIT-compiled) before: a debugger attached while it waits
// sets breakpoints on them, makes the file (platform shell touch), continues
// and must stop in them. The test finds the marked line below in this file.
// With "alc" it then loads its own module again in a second load context
// and calls that module's Work: a module loaded after bpmd ran.
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using System.Text.Json;

namespace Breakpoints;

public static class Program
{
    static int s_sink;

    public static int Main(string[] args)
    {
        var truth = new Dictionary<string, object?>
        {
            ["runtimeDirectory"] = System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(),
        };
        Console.WriteLine("TRUTH " + JsonSerializer.Serialize(truth));
        Console.WriteLine("READY");
        Console.Out.Flush();
        string go = args.Length > 0 ? args[0] : "";
        while (go != "" && !File.Exists(go))
            Thread.Sleep(20);
        s_sink += Work(3);
        s_sink += Later(4);
        if (args.Length > 1 && args[1] == "alc")
        {
            // This program's module again, loaded now in a second load
            // context: a module that did not exist when bpmd ran.
            var alc = new AssemblyLoadContext("second", isCollectible: false);
            var again = alc.LoadFromAssemblyPath(typeof(Program).Assembly.Location);
            var work = again.GetType("Breakpoints.Program")!.GetMethod("Work", BindingFlags.NonPublic | BindingFlags.Static)!;
            s_sink += (int)work.Invoke(null, new object[] { 5 })!;
        }
        Console.WriteLine("DONE " + s_sink);
        return 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static int Work(int n)
    {
        int total = 0;
        for (int i = 0; i < n; i++)
            total += i * 7;
        return total;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static int Later(int n)
    {
        int x = n * 2;
        s_sink += x; // MARK: bpmd Program.cs:<this line>
        return x + 1;
    }
}
