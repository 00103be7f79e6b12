// Test target for source lines (portable PDB): prints what .NET itself
// reports for the frames of its own methods on one stack, through
// System.Diagnostics.StackTrace(true), which reads Lines.pdb:
//
//   Lines [wait]
//   Lines throw
//   Lines locals
//   Lines native
//
// With "native" it calls liblinesnative.so (lines_native.c, built with -g),
// which prints TRUTH {"nativeFile", "nativeLine", "nativeFunction"} and
// READY and blocks in a read of stdin: a native frame with a line table.
//
// prints TRUTH {"frames": [{"method", "token", "il", "file", "line"}...]},
// one entry per frame of this assembly, innermost first, then READY; with
// "wait" it then blocks in Third (on the line that took the trace) until a
// line comes on stdin, so a debugger can look at the same stack.
//
// With "throw" it dies of an unhandled exception thrown while another was
// in flight (from a catch block): Thrower throws an InvalidOperationException
// through Relay; Main catches it and throws a FormatException with it as
// inner. Before that it prints TRUTH {"inner": [frames of the inner
// exception, from StackTrace(e, true)], "outerLine": the throw's line,
// "outerFile"}.
//
// With "locals" it stops in Locals, a method of known arguments and locals
// (int, string, object, struct, array, long, bool, double, char, null), and
// prints TRUTH {"method", "parameters": {...}, "locals": {...}, "holder":
// {its fields}} with their values, then READY, and waits for a line on stdin.
//
// The methods differ in what their sequence points hold: several
// statements, a lambda (a method of a closure class), a generic method and
// a #line directive that moves part of Third to another document (its
// sequence points then start with an initial document and change
// documents).
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Lines;

public static class Program
{
    static bool s_wait;

    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "throw")
            return Throw();
        if (args.Length > 0 && args[0] == "locals")
            return Locals(42, "forty-two", new Holder(), new Point { X = 5, Y = -6 }, new[] { 1, 2, 3 });
        if (args.Length > 0 && args[0] == "native")
            return NativeWait();
        s_wait = args.Length > 0 && args[0] == "wait";
        int total = 0;
        for (int i = 0; i < 1; i++)
            total += First(i);
        GC.KeepAlive(total);
        return 0;
    }

    [System.Runtime.InteropServices.DllImport("linesnative", EntryPoint = "lines_native_wait")]
    static extern int LinesNativeWait(string truth);

    // The native side prints the TRUTH line: these members first.
    [MethodImpl(MethodImplOptions.NoInlining)]
    static int NativeWait() => LinesNativeWait(
        "\"pid\": " + Environment.ProcessId + ", \"runtimeDirectory\": " +
        JsonSerializer.Serialize(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory()) + ", ");

    [MethodImpl(MethodImplOptions.NoInlining)]
    static int First(int seed)
    {
        int x = seed + 1;
        x *= 3;
        Func<int, int> step = v => Second<string>(v, "second");
        return step(x) + x;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static int Second<T>(int v, T tag)
    {
        if (tag == null)
            return 0;
        var list = new List<int> { v, v + 1 };
        return list.Count + Third(list);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static int Third(List<int> list)
    {
        int sum = 0;
        foreach (int v in list)
            sum += v;
#line 500 "Elsewhere/Moved.cs"
        Report(new StackTrace(true)); if (s_wait) Console.ReadLine();
#line default
        return sum;
    }

    // Not optimized: every argument and local keeps its home for the debugger.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.NoOptimization)]
    static int Locals(int number, string text, object holder, Point point, int[] values)
    {
        int count = number * 2;
        string word = text + "!";
        Holder held = (Holder)holder;
        Point moved = new Point { X = point.X + 1, Y = point.Y * 2 };
        long big = -1234567890123L;
        bool flag = true;
        double ratio = 2.5;
        char letter = 'Q';
        string? nothing = null;
        var truth = new Dictionary<string, object?>
        {
            ["pid"] = Environment.ProcessId,
            ["runtimeDirectory"] = System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(),
            ["method"] = "Lines.Program.Locals",
            ["parameters"] = new Dictionary<string, object?>
            {
                ["number"] = number, ["text"] = text, ["holder"] = holder.GetType().FullName,
                ["point"] = typeof(Point).FullName, ["values"] = values.Length,
            },
            ["locals"] = new Dictionary<string, object?>
            {
                ["count"] = count, ["word"] = word, ["held"] = held.GetType().FullName,
                ["moved"] = typeof(Point).FullName, ["big"] = big, ["flag"] = flag, ["ratio"] = ratio,
                ["letter"] = letter.ToString(), ["nothing"] = nothing,
            },
            ["holder"] = new Dictionary<string, object?> { ["Count"] = held.Count, ["Label"] = held.Label },
        };
        Console.WriteLine("TRUTH " + JsonSerializer.Serialize(truth));
        Console.WriteLine("READY");
        Console.Out.Flush();
        Console.ReadLine();
        GC.KeepAlive(values);
        return count + word.Length + held.Count + moved.X + (int)big + (flag ? 1 : 0) + (int)ratio + letter +
               (nothing?.Length ?? 0);
    }

    static int Throw()
    {
        try
        {
            Relay(2);
        }
        catch (InvalidOperationException e)
        {
            ReportThrow(e, OuterLine() + 1);
            throw new FormatException("outer, thrown while the inner one is in flight", e);
        }
        return 0;
    }

    static void ReportThrow(Exception inner, int outerLine)
    {
        var truth = new Dictionary<string, object?>
        {
            ["pid"] = Environment.ProcessId,
            ["runtimeDirectory"] = System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(),
            ["inner"] = Frames(new StackTrace(inner, true)),
            ["outerLine"] = outerLine,
            ["outerFile"] = new StackTrace(true).GetFrame(0)?.GetFileName(),
        };
        Console.WriteLine("TRUTH " + JsonSerializer.Serialize(truth));
        Console.Out.Flush();
    }

    // The line it is called on: the outer throw is on the next one, above.
    static int OuterLine([CallerLineNumber] int line = 0) => line;

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void Relay(int depth)
    {
        if (depth > 0)
            Relay(depth - 1);
        else
            Thrower();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void Thrower()
    {
        throw new InvalidOperationException("inner, thrown by Thrower");
    }

    static List<Dictionary<string, object?>> Frames(StackTrace trace)
    {
        var frames = new List<Dictionary<string, object?>>();
        foreach (StackFrame frame in trace.GetFrames())
        {
            var method = frame.GetMethod();
            if (method == null || method.Module.Assembly != typeof(Program).Assembly)
                continue;
            frames.Add(new Dictionary<string, object?>
            {
                ["method"] = method.DeclaringType?.Name + "." + method.Name,
                ["token"] = method.MetadataToken,
                ["il"] = frame.GetILOffset(),
                ["file"] = frame.GetFileName(),
                ["line"] = frame.GetFileLineNumber(),
            });
        }
        return frames;
    }

    static void Report(StackTrace trace)
    {
        var frames = Frames(trace);
        var truth = new Dictionary<string, object>
        {
            ["pid"] = Environment.ProcessId,
            ["runtimeDirectory"] = System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(),
            ["frames"] = frames,
        };
        Console.WriteLine("TRUTH " + JsonSerializer.Serialize(truth));
        Console.WriteLine("READY");
        Console.Out.Flush();
    }
}

public struct Point
{
    public int X;
    public long Y;
}

public sealed class Holder
{
    public int Count = 7;
    public string Label = "held";
}
