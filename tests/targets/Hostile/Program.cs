// Hostile: a test target for clrsos's handling of names it does not control.
//
// Types, fields and methods whose names hold newlines, carriage returns,
// terminal escape sequences (ESC [2J clears the screen, OSC 0 sets the
// window title), a C1 control (U+009B, CSI) and 10 KB of text, made two
// ways: written to a real assembly file with PersistedAssemblyBuilder and
// loaded from it (its metadata is what a debugger reads), and made in memory
// with AssemblyBuilder (Reflection.Emit, no file). Instances of each are
// held by static fields with such names; a thread waits inside a method
// with such a name. Also: an exception with 40 nested inner exceptions and
// two whose InnerExceptions point at each other.
//
// stdout contract (as HeapShapes): lines starting "# ", one "TRUTH {json}"
// line, then "READY"; then it waits forever without allocating.

using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Hostile;

public static class Program
{
    // The hostile parts of names (the test checks none reaches the terminal raw).
    static readonly string[] Hazards =
    {
        "Line\nFound 0 unique roots.\nFake",
        "Clear\u001b[2J",
        "Title\u001b]0;pwned\u0007",
        "Return\rFake",
        "CSI\u009b31m",
    };

    static readonly string LongName = "Long" + new string('L', 10 * 1024);

    public static object[] Keep = Array.Empty<object>();
    static Exception? s_nested;
    static Exception? s_loopA, s_loopB;

    static nint AddressOf(object o) => Unsafe.As<object, nint>(ref o);
    static string Hex(nint v) => "0x" + ((ulong)v).ToString("x");

    sealed class Made
    {
        public string Name = "";
        public object Instance = null!;
        public Type Type = null!;
    }

    // Types named Prefix.<hazard>, each with a default constructor; a holder
    // type with an instance and a static field per hazard (named after it)
    // and a static method, named after them all, that sleeps forever.
    static (List<Made> made, Type holder, MethodInfo wait) Define(ModuleBuilder module, string prefix,
                                                                   Func<Type[]> bake)
    {
        var builders = new List<(string, TypeBuilder)>();
        foreach (string h in Hazards)
        {
            string name = prefix + "." + h;
            TypeBuilder tb = module.DefineType(name, TypeAttributes.Public | TypeAttributes.Class);
            tb.DefineDefaultConstructor(MethodAttributes.Public);
            tb.DefineField("value\n\u001b[2J", typeof(int), FieldAttributes.Public);
            builders.Add((name, tb));
        }
        TypeBuilder holder = module.DefineType(prefix + ".Holder\u001b]0;pwned\u0007", TypeAttributes.Public | TypeAttributes.Class);
        holder.DefineDefaultConstructor(MethodAttributes.Public);
        foreach (string h in Hazards)
        {
            holder.DefineField("f_" + h, typeof(object), FieldAttributes.Public);
            holder.DefineField("s_" + h, typeof(object), FieldAttributes.Public | FieldAttributes.Static);
        }
        holder.DefineField(LongName, typeof(object), FieldAttributes.Public | FieldAttributes.Static);
        MethodBuilder wait = holder.DefineMethod("Wait\n\u001b[2J\u001b]0;pwned\u0007\u009b" + LongName,
                                                 MethodAttributes.Public | MethodAttributes.Static, typeof(void), Type.EmptyTypes);
        ILGenerator il = wait.GetILGenerator();
        il.Emit(OpCodes.Ldc_I4_M1);
        il.Emit(OpCodes.Call, typeof(Thread).GetMethod("Sleep", new[] { typeof(int) })!);
        il.Emit(OpCodes.Ret);
        foreach (var (_, tb) in builders)
            tb.CreateType();
        holder.CreateType();

        Type[] types = bake();
        // (FullName puts a backslash before [ and ]: compared without.)
        static string Plain(Type t) => t.FullName!.Replace("\\", "");
        Type holderType = types.Single(t => Plain(t).StartsWith(prefix + ".Holder", StringComparison.Ordinal));
        object holderObject = Activator.CreateInstance(holderType)!;
        var made = new List<Made>();
        foreach (string h in Hazards)
        {
            Type t = types.Single(x => Plain(x) == prefix + "." + h);
            object o = Activator.CreateInstance(t)!;
            holderType.GetField("f_" + h)!.SetValue(holderObject, o);
            holderType.GetField("s_" + h)!.SetValue(null, o);
            made.Add(new Made { Name = Plain(t), Instance = o, Type = t });
        }
        holderType.GetField(LongName)!.SetValue(null, holderObject);
        made.Add(new Made { Name = Plain(holderType), Instance = holderObject, Type = holderType });
        return (made, holderType, holderType.GetMethod(wait.Name)!);
    }

    public static int Main()
    {
        // 1. A real assembly file, loaded from disk.
        string dir = Path.Combine(Path.GetTempPath(), "clrsos-hostile-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "HostileNames.dll");
        var pab = new PersistedAssemblyBuilder(new AssemblyName("HostileNames"), typeof(object).Assembly);
        ModuleBuilder pmod = pab.DefineDynamicModule("HostileNames");
        var (fileMade, _, fileWait) = Define(pmod, "HostileFile", () =>
        {
            pab.Save(path);
            return Assembly.LoadFrom(path).GetTypes();
        });

        // 2. Reflection.Emit in memory (no file, no metadata on disk).
        AssemblyBuilder dab = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("HostileDynamic"), AssemblyBuilderAccess.Run);
        ModuleBuilder dmod = dab.DefineDynamicModule("HostileDynamic");
        var (dynMade, _, dynWait) = Define(dmod, "HostileDyn", () => dmod.GetTypes());

        // 3. Exception chains: 40 inner exceptions; two that are each other's inner.
        Exception e = new InvalidOperationException("innermost (level 40)");
        for (int i = 39; i >= 0; i--)
            e = new InvalidOperationException("level " + i, e);
        s_nested = e;
        s_loopA = new ArgumentException("loop A");
        s_loopB = new ArgumentException("loop B", s_loopA);
        typeof(Exception).GetField("_innerException", BindingFlags.NonPublic | BindingFlags.Instance)!.SetValue(s_loopA, s_loopB);

        var all = fileMade.Concat(dynMade).ToList();
        Keep = all.Select(m => m.Instance).ToArray();

        // Threads waiting inside the hostile-named methods (clrstack -all).
        foreach (MethodInfo m in new[] { fileWait, dynWait })
        {
            var t = new Thread(() => m.Invoke(null, null)) { IsBackground = true };
            t.Start();
        }
        Thread.Sleep(200);

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);

        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("runtimeDirectory", System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory());
            w.WriteString("assemblyFile", path);
            foreach (var (key, list) in new[] { ("file", fileMade), ("dynamic", dynMade) })
            {
                w.WriteStartArray(key);
                foreach (Made m in list)
                {
                    w.WriteStartObject();
                    w.WriteString("name", m.Name);
                    w.WriteString("address", Hex(AddressOf(m.Instance)));
                    w.WriteString("mt", Hex(m.Type.TypeHandle.Value));
                    w.WriteBoolean("holder", m.Name.Contains(".Holder", StringComparison.Ordinal));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteString("nested", Hex(AddressOf(s_nested)));
            w.WriteNumber("nestedInner", 40);
            w.WriteString("loopA", Hex(AddressOf(s_loopA)));
            w.WriteString("loopB", Hex(AddressOf(s_loopB)));
            w.WriteNumber("gcCount", GC.CollectionCount(0));
            w.WriteEndObject();
        }
        Console.Out.Write("TRUTH ");
        Console.Out.Flush();
        Stream stdout = Console.OpenStandardOutput();
        stdout.Write(ms.ToArray());
        stdout.Flush();
        Console.Out.WriteLine();
        Console.Out.WriteLine("READY");
        Console.Out.Flush();
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }
}
