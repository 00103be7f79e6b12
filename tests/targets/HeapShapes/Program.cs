// HeapShapes: a test target for the clrsos end-to-end tests.
//
// Builds managed heaps with known shapes, prints the "truth" about them as a
// single `TRUTH {json}` line, prints `READY`, and then waits forever without
// allocating so a debugger can attach or a dump can be taken.
//
// stdout contract: only lines starting with "# " (informational), exactly one
// "TRUTH " line and exactly one "READY" line. Nothing else.

using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Reflection;
using System.Runtime;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace HeapShapes;

// ---------------------------------------------------------------- shape types

public sealed class Customer
{
    public string Name;
    public string Email;
    public int Id;

    public Customer(int id)
    {
        Id = id;
        Name = "Customer #" + id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Email = "customer" + id.ToString(System.Globalization.CultureInfo.InvariantCulture) + "@example.com";
    }
}

public static class CustomerCache
{
    public static List<Customer> Items = new();
}

public static class LargeHolder
{
    public static object[] Arrays = Array.Empty<object>();
}

public static class PinnedHolder
{
    public static byte[][] Arrays = Array.Empty<byte[]>();
}

public static class Texts
{
    public static string[] Values = Array.Empty<string>();
}

public struct Pair
{
    public string Key;
    public int Value;
    public Customer? Owner;
}

public static class PairHolder
{
    public static Pair[] Pairs = Array.Empty<Pair>();
}

// gcroot through a struct array: the payload's only referrer is a field of
// a struct element.
public struct StructEntry
{
    public int Id;
    public StructPayload? Payload;
}

public sealed class StructPayload
{
    public int Id;
}

public static class EntryHolder
{
    public static StructEntry[] Entries = Array.Empty<StructEntry>();
}

// gcroot through an event: each subscriber's only referrer is a delegate in
// the event's invocation list.
public sealed class Publisher
{
    public event EventHandler? Changed;
    public Delegate[] Subscribers() => Changed?.GetInvocationList() ?? Array.Empty<Delegate>();
}

public sealed class Subscriber
{
    public int Id;
    public void OnChanged(object? sender, EventArgs e) => Id++;
}

public static class PublisherHolder
{
    public static Publisher? Source;
}

public sealed class ThreadStaticOnly
{
    public byte[]? Payload;
}

public sealed class LockTarget
{
    public int Value;
}

public sealed class Later
{
    public int Id;
}

public sealed class StackOnly
{
    public byte[] Payload = new byte[64];
    public int Marker = 0x5AC0;
}

public sealed class HandleOnly
{
    public int Marker = 0x4A4D;
    public string Label = "handle-only";
}

public sealed class WeakOnly
{
    public int Marker = 0x3EA4;
}

public sealed class CwtKey
{
    public int Id;
    public CwtKey(int id) => Id = id;
}

public sealed class CwtValue
{
    public int Id;
    public string Text;
    public CwtValue(int id)
    {
        Id = id;
        Text = "cwt-value-" + id.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

public static class CwtHolder
{
    public static ConditionalWeakTable<CwtKey, CwtValue> Table = new();
    public static List<CwtKey> Keys = new();
}

public sealed class Finalizable
{
    public static int FinalizedCount;
    public int Id;
    public Finalizable(int id) => Id = id;
    ~Finalizable() => Interlocked.Increment(ref FinalizedCount);
}

public static class FinalizableHolder
{
    public static List<Finalizable> Live = new();
    public static List<Finalizable>? Doomed;
}

public sealed class FinalizerBlocker
{
    public static volatile bool FinalizerEntered;
    public static readonly ManualResetEventSlim NeverSet = new(false);
    public int Marker = 0xB10C;

    ~FinalizerBlocker()
    {
        FinalizerEntered = true;
        NeverSet.Wait();
        GC.KeepAlive(this);
    }
}

public sealed class DeadObject
{
    public int Id;
    public DeadObject? Next;
    public DeadChild? Child;
    public DeadObject(int id, DeadObject? next, DeadChild? child) { Id = id; Next = next; Child = child; }
}

/// <summary>Referenced only by (dead) DeadObjects: garbage a marker must not mark.</summary>
public sealed class DeadChild
{
    public int Id;
    public DeadChild(int id) => Id = id;
}

// Shapes for `dumpheap` filters (-type with generics/nested/multi-dim names,
// -min/-max with distinctive sizes). They are held through object[]s (not
// arrays of their own types) so that each type below has exactly the
// instances listed in the README.

/// <summary>Generic class: Box&lt;int&gt; and Box&lt;string&gt; have different MethodTables.</summary>
public sealed class Box<T>
{
    public T Value;
    public Box(T value) => Value = value;
}

public sealed class Outer
{
    public int Id;
    public Inner? First;
    public Outer(int id, Inner? first) { Id = id; First = first; }

    /// <summary>Nested type: SOS prints it as HeapShapes.Outer+Inner.</summary>
    public sealed class Inner
    {
        public int Id;
        public Inner(int id) => Id = id;
    }
}

/// <summary>16-byte struct; Blob[] sizes are 24 + 16 * length.</summary>
public struct Blob
{
    public long A;
    public long B;
}

public static class ShapeHolder
{
    // 7 x Box<int> then 5 x Box<string>.
    public static object[]? Boxes;
    // 2 x Outer then 3 x Outer.Inner.
    public static object[]? Nested;
    // int[3, 4].
    public static int[,]? Grid;
    // Blob[] of lengths 10, 100, 1000, 5000 (all below the LOH threshold).
    public static object[]? Blobs;
}

// Shapes for the object and string commands (dumpobj, dumpmt, dumpvc,
// dumparray, dumpstring, findstring, dumpheap -strings). None of these types
// is listed in the "dumpheap" truth, and no instance of a listed type is
// created for them. All are held by ObjectShapes' statics.

public enum Color : int { Red = 0, Green = 1, Blue = 2 }

public enum Level : byte { Low = 1, Mid = 2, High = 200 }

public struct Point
{
    public int X;
    public int Y;
    public Point(int x, int y) { X = x; Y = y; }
}

public sealed class FieldTarget
{
    public int Marker = 0x7A7A;
}

/// <summary>One instance field of each kind, plus a static and a thread-static.</summary>
public sealed class AllFields
{
    public bool BoolValue;
    public char CharValue;
    public sbyte SByteValue;
    public byte ByteValue;
    public short ShortValue;
    public ushort UShortValue;
    public int IntValue;
    public uint UIntValue;
    public long LongValue;
    public ulong ULongValue;
    public float FloatValue;
    public double DoubleValue;
    public nint NIntValue;
    public nuint NUIntValue;
    public Color ColorValue;
    public Level LevelValue;
    public string? StringValue;
    public object? NullObject;
    public object? ObjectRef;
    public int[]? IntArray;
    public Point PointValue;
    public Guid GuidValue;
    public DateTime DateTimeValue;
    public decimal DecimalValue;

    public static int StaticInt = 42;
    public static string StaticText = "static-text";
    [ThreadStatic] public static int ThreadStaticInt;
}

public class Base
{
    public int BaseValue = 11;
    public string BaseName = "base";
}

public sealed class Derived : Base
{
    public int DerivedValue = 22;
}

public sealed class StructHolder
{
    public Point[] Points = null!;
    public Point Single;
}

public static class ObjectShapes
{
    public static AllFields? All;
    public static Derived? Inherited;
    public static StructHolder? Structs;
    // ascii, control, unpairedMixed (runtime-built, GC heap).
    public static string[] Strings = null!;
    public static string? BigXml;
    public static string[] Duplicates = null!;
    public static string[] SecondDuplicates = null!;
    public static string[] Planted = null!;
    public static int[]? Ints;
    public static string?[]? StringArray;
    public static long[,]? Grid64;
    public static byte[]? Bytes;
}

// Shapes for gcroot, objsize, gchandles and finalizequeue (the "roots"
// truth). Their reachable subgraphs hold only these types and run-time built
// strings/arrays: no literal, Type object, delegate or other shared runtime
// object, so objsize figures are exact. None of them is a listed dumpheap type.

/// <summary>Binary tree node (objsize): 63 nodes, each with its own byte[] payload and run-time built name.</summary>
public sealed class Tree
{
    public Tree? Left;
    public Tree? Right;
    public byte[] Payload = null!;
    public string Name = null!;
    public int Id;
}

/// <summary>A cycle of 5 (objsize must count each once); every node also points to the same RingHub.</summary>
public sealed class Ring
{
    public Ring? Next;
    public RingHub? Hub;
    public int Id;
}

public sealed class RingHub
{
    public Ring? Back;
    public int Marker = 0x4B0B;
}

/// <summary>Null fields, and an object[] with nulls and the same SparseLeaf twice.</summary>
public sealed class Sparse
{
    public object? Nothing;
    public string? NoName;
    public object?[] Slots = null!;
    public int Id = 0x5A;
}

public sealed class SparseLeaf
{
    public int Value = 0x1EAF;
}

public static class ObjSizeHolder
{
    public static Tree? TreeRoot;
    public static Ring? RingEntry;
    public static Sparse? SparseRoot;
}

/// <summary>RootHolder.First -> ChainA -> ChainB -> ChainC (gcroot through a static).</summary>
public sealed class ChainA
{
    public ChainB? Next;
    public int Marker = 0xC4A;
}

public sealed class ChainB
{
    public ChainC? Next;
    public int Marker = 0xC4B;
}

public sealed class ChainC
{
    public object? Next; // null: the end of the chain
    public int Marker = 0xC4C;
}

/// <summary>Held by a strong GC handle and by a static field.</summary>
public sealed class TwoRoots
{
    public int Marker = 0x2200;
}

/// <summary>Held by a static; also the target of a short and a long weak handle (which are not roots).</summary>
public sealed class WeakTarget
{
    public int Marker = 0x3EA7;
}

public static class RootHolder
{
    public static ChainA? First;
    public static TwoRoots? TwoRooted;
    public static WeakTarget? Watched;
}

// -------------------------------------------------------------------- program

public static unsafe class Program
{
    const int LargeByteArrayLength = 100_000;
    const int LargeDoubleArrayLength = 20_000;
    const int PinnedArrayLength = 1000;
    const int PinnedHandleArrayLength = 256;
    const int PairCount = 500;
    const int CwtCount = 10;
    const int FinalizableLive = 100;
    const int FinalizableDoomed = 50;
    const int DeadCount = 1000;
    const int DeadChildEvery = 2; // DeadObject i has a DeadChild when i % 2 == 0 -> 500
    const int BoxIntCount = 7;
    const int BoxStringCount = 5;
    const int OuterCount = 2;
    const int InnerCount = 3;
    const int GridRows = 3;
    const int GridColumns = 4;
    static readonly int[] s_blobLengths = { 10, 100, 1000, 5000 };
    const int HugeStringChars = 1_000_000;
    const string HugeStringMarker = "<HeapShapes:END>";

    // GC handles (plain IntPtr-sized structs, they do not root anything themselves).
    static GCHandle s_normalHandle;
    static GCHandle s_pinnedHandle;
    static GCHandle s_weakHandle;

    // Stack-holder thread.
    static Thread? s_stackThread;
    static readonly ManualResetEventSlim s_stackReady = new(false);
    static readonly ManualResetEvent s_stackRelease = new(false); // never set
    static int s_stackManagedId;
    static int s_stackOsId;
    static nint s_stackObjectAddress;
    static int s_stackObjectGeneration = -1;
    static volatile bool s_stackPublishRequested;
    static volatile bool s_stackPublished;

    // Sink used to force heap allocation (defeats JIT stack allocation of
    // non-escaping objects); cleared after use.
    static object? s_sink;

    // Long weak (WeakTrackResurrection) handles to objects the program does not
    // hold but must describe: the FinalizerBlocker (kept alive by the blocked
    // finalizer thread) and the doomed Finalizables (f-reachable). They do not
    // root anything; they are freed right after the truth is built, before
    // READY, so the handle table the debugger sees does not have them.
    static GCHandle s_blockerTrack;
    static readonly GCHandle[] s_doomedTrack = new GCHandle[FinalizableDoomed];

    // What AllocateDeadObjects saw while allocating the garbage (after the
    // final GC; nothing moves afterwards): instance counts per heap index
    // (0 gen0, 1 gen1, 2 gen2, 3 loh, 4 poh, 5 foh) and the address range.
    static readonly int[] s_deadObjectHeaps = new int[6];
    static readonly int[] s_deadChildHeaps = new int[6];
    static readonly nint[] s_deadObjectRange = new nint[2];
    static readonly nint[] s_deadChildRange = new nint[2];

    static readonly string[] s_textNames = { "latin", "japanese", "emoji", "unpairedSurrogate", "huge", "frozenLiteral" };

    public static int Main(string[] args)
    {
        var sw = Stopwatch.StartNew();
        int scale = 1;
        if (args.Length > 0)
        {
            if (!int.TryParse(args[0], System.Globalization.NumberStyles.Integer,
                    System.Globalization.CultureInfo.InvariantCulture, out scale) || scale < 1)
            {
                Console.Error.WriteLine("usage: HeapShapes [scale>=1]");
                return 2;
            }
        }

        Info($"pid {Environment.ProcessId}, scale {scale}, runtime {RuntimeInformation.FrameworkDescription}, serverGC {GCSettings.IsServerGC}");

        int customerCount = 10_000 * scale;
        BuildCustomers(customerCount);
        BuildLargeArrays();
        BuildPinnedArrays();
        BuildTexts();
        BuildPairs();
        BuildDumpheapShapes();
        BuildObjectShapes();
        StartStackHolderThread();
        StartLockHolderThread();
        BuildException();
        BuildHandles();
        BuildCwt();
        BuildRootShapes();
        ProbeDatasHeapCount();
        bool blocked = BlockFinalizerThread();
        BuildFinalizables();

        // Build the truth once before the final GC, so that what building it
        // initialises for the first time (type statics: on .NET 8 a new pinned
        // handle array on the POH) exists before the GC's figures are taken.
        _ = BuildTruth(scale, customerCount, blocked, new int[3], sw);

        // Pre-final full GC: promotes what was allocated since the blocker's
        // GCs (the Finalizables, which are all still reachable) to gen1, so
        // that after the final GC every live object of the program is in gen2
        // (or LOH/POH/NonGC), whatever GCs happened before.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        DropDoomedFinalizables();

        // Final full, blocking, compacting GC. It also moves the 50 doomed
        // Finalizable objects to the f-reachable queue (the finalizer thread is
        // blocked, so they stay there). Nothing moves after this unless another
        // GC happens (reported as "gcSinceFinalCollect").
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        int[] gcCountAtFinal = { GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2) };
        s_stackPublishRequested = true;
        while (!s_stackPublished)
            Thread.Sleep(1);
        s_threadStaticPublishRequested = true;
        while (!s_threadStaticPublished)
            Thread.Sleep(1);

        AllocateDeadObjects();

        byte[] truth = BuildTruth(scale, customerCount, blocked, gcCountAtFinal, sw);
        FreeTrackingHandles();
        if (GC.CollectionCount(0) != gcCountAtFinal[0])
            Info("WARNING: a GC happened after the final collection; dead objects and addresses may be stale");

        // The truth is written as UTF-8 bytes, never made a System.String:
        // it quotes the planted "NEEDLE" strings, and a string holding it
        // would be one more (dead) string on the heap that contains them.
        Console.Out.Write("TRUTH ");
        Console.Out.Flush();
        Stream stdout = Console.OpenStandardOutput();
        stdout.Write(truth, 0, truth.Length);
        stdout.Flush();
        Console.Out.WriteLine();
        Console.Out.WriteLine("READY");
        Console.Out.Flush();
        StartGrowThread();

        // Wait forever without allocating. Everything interesting is rooted by
        // statics, the stack-holder thread, GC handles or the finalizer queue.
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }

    static void Info(string message)
    {
        Console.Out.WriteLine("# " + message);
    }

    // ------------------------------------------------------------- builders

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void BuildCustomers(int count)
    {
        // Pre-sized so that exactly one Customer[] exists (no garbage from growth).
        var list = new List<Customer>(count);
        for (int i = 0; i < count; i++)
            list.Add(new Customer(i));
        CustomerCache.Items = list;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void BuildLargeArrays()
    {
        var arrays = new object[4];
        for (int i = 0; i < 3; i++)
        {
            var b = new byte[LargeByteArrayLength];
            b.AsSpan().Fill((byte)(0xA1 + i));
            arrays[i] = b;
        }
        var d = new double[LargeDoubleArrayLength];
        for (int i = 0; i < d.Length; i++)
            d[i] = i * 0.5;
        arrays[3] = d;
        LargeHolder.Arrays = arrays;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void BuildPinnedArrays()
    {
        var arrays = new byte[4][];
        for (int i = 0; i < arrays.Length; i++)
        {
            var a = GC.AllocateArray<byte>(PinnedArrayLength, pinned: true);
            a.AsSpan().Fill((byte)(0xB1 + i));
            arrays[i] = a;
        }
        PinnedHolder.Arrays = arrays;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void BuildTexts()
    {
        // The first five are created at run time (from UTF-8 / char data, not
        // from string literals) so they live on the GC heap and exist exactly
        // once. The last one is a string literal, which the runtime places in
        // the frozen (NonGC) heap.
        var huge = new string('x', HugeStringChars) + HugeStringMarker;
        Texts.Values = new[]
        {
            Encoding.UTF8.GetString("héllo wörld"u8),
            Encoding.UTF8.GetString("日本語テキスト"u8),
            Encoding.UTF8.GetString("emoji 😀 pair"u8),
            new string(stackalloc char[] { '\uD800', 'x' }),
            huge,
            "HeapShapes frozen literal ✓",
        };
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void BuildPairs()
    {
        var pairs = new Pair[PairCount];
        var customers = CustomerCache.Items;
        for (int i = 0; i < pairs.Length; i++)
        {
            pairs[i].Key = "pair-key-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            pairs[i].Value = i;
            pairs[i].Owner = (i % 2 == 0) ? customers[i % customers.Count] : null;
        }
        PairHolder.Pairs = pairs;
    }

    // ---------------------------------------------------- stack-only thread

    [DllImport("libc", EntryPoint = "gettid")]
    static extern int libc_gettid();

    [DllImport("libc", EntryPoint = "syscall")]
    static extern long libc_syscall(long number);

    static int GetOsThreadId()
    {
        try
        {
            return libc_gettid();
        }
        catch (EntryPointNotFoundException)
        {
            // Older glibc without gettid(): SYS_gettid is 186 on x86-64, 178 on arm64.
            long nr = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 178 : 186;
            return (int)libc_syscall(nr);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void Use(object o)
    {
        // Opaque call: makes the argument escape so the JIT heap-allocates it.
        GC.KeepAlive(o);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void StackHolderMain()
    {
        s_stackManagedId = Environment.CurrentManagedThreadId;
        s_stackOsId = GetOsThreadId();
        StackOnly local = new StackOnly();
        Use(local);
        s_stackReady.Set();
        // Wait (without allocating) until Main has done its final compacting
        // GC, then publish the object's final address.
        while (!s_stackPublishRequested)
            Thread.Sleep(1);
        s_stackObjectAddress = AddressOf(local);
        s_stackObjectGeneration = GC.GetGeneration(local);
        s_stackPublished = true;
        s_stackRelease.WaitOne(); // never set
        GC.KeepAlive(local);
        Use(local);
    }

    // An exception thrown and caught on the main thread, kept by a static: pe.
    // The runtime also remembers it as the main thread's last thrown object.
    static Exception? s_exception;

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void ThrowOuter()
    {
        try
        {
            ThrowInner();
        }
        catch (InvalidOperationException inner)
        {
            throw new ApplicationException("outer failure: the order could not be saved", inner) { HResult = 0x0BADC0DE };
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void ThrowInner() => throw new InvalidOperationException("inner failure: connection refused");

    static void BuildException()
    {
        try
        {
            ThrowOuter();
        }
        catch (ApplicationException e)
        {
            s_exception = e;
        }
    }

    // A thread that holds a thin lock on one object forever: dumpheap -thinlock.
    static LockTarget? s_lockTarget;
    static int s_lockManagedId;
    static readonly ManualResetEventSlim s_lockHeld = new(false);

    // Reachable only through LockHolderThread's [ThreadStatic] field: a root
    // neither handles nor stack references show.
    [ThreadStatic] static ThreadStaticOnly? t_threadStaticOnly;
    static nint s_threadStaticOnlyAddress;
    static GCHandle s_threadStaticTrack;   // weak: lets the tally see it without rooting it
    static volatile bool s_threadStaticPublishRequested, s_threadStaticPublished;
    static int s_lockOsId;

    static void StartLockHolderThread()
    {
        s_lockTarget = new LockTarget();
        var t = new Thread(() =>
        {
            s_lockManagedId = Environment.CurrentManagedThreadId;
            s_lockOsId = GetOsThreadId();
            t_threadStaticOnly = new ThreadStaticOnly { Payload = new byte[48] };
            lock (s_lockTarget)
            {
                s_lockHeld.Set();
                // After the final GC, say where the thread-static object is.
                while (!s_threadStaticPublishRequested)
                    Thread.Sleep(1);
                s_threadStaticOnlyAddress = AddressOf(t_threadStaticOnly!);
                s_threadStaticTrack = GCHandle.Alloc(t_threadStaticOnly, GCHandleType.Weak);
                s_threadStaticPublished = true;
                Thread.Sleep(Timeout.Infinite);
            }
        }) { Name = "LockHolderThread", IsBackground = true };
        t.Start();
        s_lockHeld.Wait();
    }

    // With HEAPSHAPES_GROW_FILE=<path>: when that file appears, delete it,
    // allocate 1000 HeapShapes.Later objects (held by a static) and break
    // into the debugger, so a test can see the heap change between stops.
    static readonly List<Later> s_later = new();

    static void StartGrowThread()
    {
        string? path = Environment.GetEnvironmentVariable("HEAPSHAPES_GROW_FILE");
        if (string.IsNullOrEmpty(path))
            return;
        var t = new Thread(() =>
        {
            while (true)
            {
                if (File.Exists(path))
                {
                    File.Delete(path);
                    for (int i = 0; i < 1000; i++)
                        s_later.Add(new Later { Id = i });
                    System.Diagnostics.Debugger.Break();
                }
                Thread.Sleep(20);
            }
        }) { Name = "GrowThread", IsBackground = true };
        t.Start();
    }

    static void StartStackHolderThread()
    {
        var t = new Thread(StackHolderMain) { Name = "StackHolderThread", IsBackground = true };
        s_stackThread = t;
        t.Start();
        s_stackReady.Wait();
    }

    // --------------------------------------------------------- GC handles

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void BuildHandles()
    {
        s_normalHandle = GCHandle.Alloc(new HandleOnly(), GCHandleType.Normal);
        s_pinnedHandle = GCHandle.Alloc(new byte[PinnedHandleArrayLength], GCHandleType.Pinned);
        var weakTarget = new WeakOnly();
        s_weakHandle = GCHandle.Alloc(weakTarget, GCHandleType.Weak);
    }

    // ------------------------------------------------ dependent handles

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void BuildCwt()
    {
        var keys = new List<CwtKey>(CwtCount);
        for (int i = 0; i < CwtCount; i++)
        {
            var k = new CwtKey(i);
            keys.Add(k);
            CwtHolder.Table.Add(k, new CwtValue(i));
        }
        CwtHolder.Keys = keys;
    }

    // ------------------------------------------------------- finalization

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void CreateFinalizerBlocker()
    {
        var blocker = new FinalizerBlocker();
        s_blockerTrack = GCHandle.Alloc(blocker, GCHandleType.WeakTrackResurrection);
        s_sink = blocker;
        s_sink = null;
    }

    static bool BlockFinalizerThread()
    {
        CreateFinalizerBlocker();
        var deadline = Stopwatch.StartNew();
        while (!FinalizerBlocker.FinalizerEntered)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            if (FinalizerBlocker.FinalizerEntered)
                break;
            Thread.Sleep(10);
            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                Info("WARNING: finalizer thread did not enter FinalizerBlocker finalizer within 30s");
                return false;
            }
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void BuildFinalizables()
    {
        var live = new List<Finalizable>(FinalizableLive);
        for (int i = 0; i < FinalizableLive; i++)
            live.Add(new Finalizable(i));
        FinalizableHolder.Live = live;

        var doomed = new List<Finalizable>(FinalizableDoomed);
        for (int i = 0; i < FinalizableDoomed; i++)
        {
            var f = new Finalizable(1000 + i);
            doomed.Add(f);
            s_doomedTrack[i] = GCHandle.Alloc(f, GCHandleType.WeakTrackResurrection);
        }
        // Still reachable until DropDoomedFinalizables (after the pre-final GC).
        FinalizableHolder.Doomed = doomed;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void DropDoomedFinalizables()
    {
        FinalizableHolder.Doomed = null;
    }

    // ------------------------------------------------------- dead objects

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void AllocateDeadObjects()
    {
        // A chain of 1000 objects, every second one with a DeadChild (500); the
        // head goes through a static sink (forces heap allocation) which is
        // then cleared, so the whole chain and the children are dead. Where
        // each object landed is recorded (preallocated arrays: no allocation
        // but the objects themselves).
        DeadObject? head = null;
        s_deadObjectRange[0] = s_deadChildRange[0] = nint.MaxValue;
        for (int i = 0; i < DeadCount; i++)
        {
            DeadChild? child = i % DeadChildEvery == 0 ? new DeadChild(i) : null;
            head = new DeadObject(i, head, child);
            s_sink = head;
            RecordDead(head, s_deadObjectHeaps, s_deadObjectRange);
            if (child is not null)
                RecordDead(child, s_deadChildHeaps, s_deadChildRange);
        }
        // The last one allocated (Id 999): nothing references it, not even
        // another dead object (gcroot "unrooted").
        s_deadHeadAddress = AddressOf(head!);
        s_deadHeadId = head!.Id;
        s_sink = null;
    }

    static void RecordDead(object o, int[] heaps, nint[] range)
    {
        int g = GC.GetGeneration(o);
        heaps[g == int.MaxValue ? 5 : Math.Min(g, 2)]++;
        nint a = AddressOf(o);
        if (a < range[0]) range[0] = a;
        if (a > range[1]) range[1] = a;
    }

    // ------------------------------------------------------- roots shapes
    //
    // Shapes for gcroot, objsize and gchandles (the "roots" truth and the
    // extra handles). Built right after the CWT, i.e. long before the final GC.

    const int TreeDepth = 6; // 2^6 - 1 = 63 nodes
    const int TreeNodes = (1 << TreeDepth) - 1;
    const int RingCount = 5;
    static GCHandle s_twoRootsHandle;   // Normal (strong) -> the TwoRoots (also in RootHolder.TwoRooted)
    static GCHandle s_watchedWeakHandle; // Weak (short) -> the WeakTarget (live through RootHolder.Watched)
    static GCHandle s_watchedLongHandle; // WeakTrackResurrection (long) -> the same WeakTarget
    static nint s_deadHeadAddress;       // the last DeadObject allocated (unreferenced garbage)
    static int s_deadHeadId = -1;

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void BuildRootShapes()
    {
        // objsize: a binary tree of 63 nodes (pre-order ids, 0 = root), each
        // with a byte[8 * id + 1] payload (32 + 8 * id bytes: all distinct)
        // and a name built at run time.
        int nextId = 0;
        ObjSizeHolder.TreeRoot = BuildTree(TreeDepth, ref nextId);

        // A cycle of 5 Rings; all of them point to one RingHub, which points
        // back into the ring (Ring 2). No temporary array: no garbage Ring[].
        var hub = new RingHub();
        var first = new Ring { Id = 0, Hub = hub };
        var last = first;
        for (int i = 1; i < RingCount; i++)
        {
            var r = new Ring { Id = i, Hub = hub };
            last.Next = r;
            last = r;
            if (i == 2) hub.Back = r;
        }
        last.Next = first;
        ObjSizeHolder.RingEntry = first;

        // Null fields, and an object[4] { null, leaf, null, leaf }.
        var leaf = new SparseLeaf();
        ObjSizeHolder.SparseRoot = new Sparse { Slots = new object?[] { null, leaf, null, leaf } };

        // gcroot: static RootHolder.First -> ChainA -> ChainB -> ChainC.
        RootHolder.First = new ChainA { Next = new ChainB { Next = new ChainC() } };

        // gcroot: one object, two roots (a strong handle and a static).
        var two = new TwoRoots();
        RootHolder.TwoRooted = two;
        s_twoRootsHandle = GCHandle.Alloc(two, GCHandleType.Normal);

        // gchandles: live targets of a short and a long weak handle; gcroot
        // must report only the static.
        var watched = new WeakTarget();
        RootHolder.Watched = watched;
        s_watchedWeakHandle = GCHandle.Alloc(watched, GCHandleType.Weak);
        s_watchedLongHandle = GCHandle.Alloc(watched, GCHandleType.WeakTrackResurrection);

        // gcroot: static EntryHolder.Entries -> StructEntry[] -> (a field of
        // element 2) -> StructPayload.
        var entries = new StructEntry[4];
        for (int i = 0; i < entries.Length; i++) entries[i] = new StructEntry { Id = i, Payload = new StructPayload { Id = i } };
        EntryHolder.Entries = entries;

        // gcroot: static PublisherHolder.Source -> Publisher -> its multicast
        // EventHandler -> the invocation list object[] -> one EventHandler
        // -> Subscriber (the delegate's target).
        var source = new Publisher();
        for (int i = 0; i < 3; i++) source.Changed += new Subscriber { Id = i }.OnChanged;
        PublisherHolder.Source = source;
    }

    static Tree BuildTree(int depth, ref int nextId)
    {
        int id = nextId++;
        var node = new Tree
        {
            Id = id,
            Payload = new byte[8 * id + 1],
            Name = "tree-node-" + id.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        node.Payload[0] = (byte)id;
        if (depth > 1)
        {
            node.Left = BuildTree(depth - 1, ref nextId);
            node.Right = BuildTree(depth - 1, ref nextId);
        }
        return node;
    }

    static void FreeTrackingHandles()
    {
        if (s_blockerTrack.IsAllocated) s_blockerTrack.Free();
        for (int i = 0; i < s_doomedTrack.Length; i++)
            if (s_doomedTrack[i].IsAllocated) s_doomedTrack[i].Free();
    }

    // -------------------------------------------------- dumpheap shapes

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void BuildDumpheapShapes()
    {
        var boxes = new object[BoxIntCount + BoxStringCount];
        for (int i = 0; i < BoxIntCount; i++)
            boxes[i] = new Box<int>(0xB0 + i);
        for (int i = 0; i < BoxStringCount; i++)
            boxes[BoxIntCount + i] = new Box<string>("box-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        ShapeHolder.Boxes = boxes;

        var nested = new object[OuterCount + InnerCount];
        for (int i = 0; i < InnerCount; i++)
            nested[OuterCount + i] = new Outer.Inner(i);
        for (int i = 0; i < OuterCount; i++)
            nested[i] = new Outer(i, (Outer.Inner)nested[OuterCount + i]);
        ShapeHolder.Nested = nested;

        var grid = new int[GridRows, GridColumns];
        for (int r = 0; r < GridRows; r++)
            for (int c = 0; c < GridColumns; c++)
                grid[r, c] = r * 10 + c;
        ShapeHolder.Grid = grid;

        var blobs = new object[s_blobLengths.Length];
        for (int i = 0; i < blobs.Length; i++)
        {
            var b = new Blob[s_blobLengths[i]];
            b[0].A = i;
            b[^1].B = s_blobLengths[i];
            blobs[i] = b;
        }
        ShapeHolder.Blobs = blobs;
    }

    // ------------------------------------------------------- object shapes

    const int BigXmlMinChars = 1_200_000;
    const int DuplicateCount = 200;
    const int SecondDuplicateCount = 50;
    const int ThreadStaticMainValue = 77;
    static string? s_bigXmlSha256;
    static int s_bigXmlUtf8Length;
    static string? s_bigXmlFile;

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void BuildObjectShapes()
    {
        // 1. Every kind of field.
        var all = new AllFields
        {
            BoolValue = true,
            CharValue = 'Z',
            SByteValue = -5,
            ByteValue = 250,
            ShortValue = -1234,
            UShortValue = 60000,
            IntValue = -123456789,
            UIntValue = 4000000000,
            LongValue = -1234567890123,
            ULongValue = 18000000000000000000,
            FloatValue = 3.5f,
            DoubleValue = -2.25,
            NIntValue = -987654321,
            NUIntValue = unchecked((nuint)123456789012UL),
            ColorValue = Color.Blue,
            LevelValue = Level.High,
            StringValue = "hello",
            NullObject = null,
            ObjectRef = new FieldTarget(),
            IntArray = new[] { 3, 1, 4 },
            PointValue = new Point(7, 9),
            GuidValue = new Guid(0x0f8fad5b, 0xd9cb, 0x469f, 0xa1, 0x65, 0x70, 0x86, 0x77, 0x28, 0x95, 0x0e),
            DateTimeValue = new DateTime(2024, 2, 29, 13, 45, 30, 123, DateTimeKind.Utc),
            DecimalValue = 12345.6789m,
        };
        AllFields.ThreadStaticInt = ThreadStaticMainValue; // on the main thread only
        GC.KeepAlive(AllFields.StaticText);
        ObjectShapes.All = all;

        // 2. Inherited fields.
        ObjectShapes.Inherited = new Derived();

        // 3. A struct array and an embedded struct.
        ObjectShapes.Structs = new StructHolder
        {
            Points = new[] { new Point(1, 2), new Point(3, 4), new Point(5, 6) },
            Single = new Point(100, 200),
        };

        // 4. Strings (the others are Texts.Values). Built at run time from
        // UTF-8 / char data, so each exists exactly once, on the GC heap.
        ObjectShapes.Strings = new[]
        {
            Encoding.UTF8.GetString("The quick brown fox"u8),
            Encoding.UTF8.GetString("tab\there\nnewline\u0001"u8),
            new string(stackalloc char[] { 'l', 'o', 'n', 'e', '\uDC01', 'm', 'i', 'd', '\uD83D' }),
        };
        BuildBigXml();

        // 5. Duplicates: distinct objects with equal text (no literal of these exists).
        var dups = new string[DuplicateCount];
        for (int i = 0; i < dups.Length; i++)
            dups[i] = Encoding.UTF8.GetString("dup-payload-XYZ-0123456789"u8);
        ObjectShapes.Duplicates = dups;
        var dups2 = new string[SecondDuplicateCount];
        for (int i = 0; i < dups2.Length; i++)
            dups2[i] = Encoding.UTF8.GetString("second-dup-text"u8);
        ObjectShapes.SecondDuplicates = dups2;

        // 6. Planted marker strings. The marker is put together at run time
        // from two pieces, so no literal (and no other string) contains it.
        string marker = Encoding.UTF8.GetString("NEEDLE-"u8) + Encoding.UTF8.GetString("7f3a"u8);
        ObjectShapes.Planted = new[]
        {
            marker + " at the start",
            "in the " + marker + " middle",
            "at the end " + marker,
            marker,
            "twice: " + marker + ", " + marker + "!",
        };

        // 7. Arrays.
        ObjectShapes.Ints = new[] { 10, -20, 300000, int.MaxValue, int.MinValue };
        ObjectShapes.StringArray = new[] { Encoding.UTF8.GetString("array-first"u8), null, Encoding.UTF8.GetString("array-third"u8) };
        ObjectShapes.Grid64 = new long[,] { { -1, 0, 1 }, { 1L << 40, long.MaxValue, long.MinValue } };
        var bytes = new byte[20];
        for (int i = 0; i < bytes.Length; i++)
            bytes[i] = (byte)(i * 13 + 7);
        ObjectShapes.Bytes = bytes;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void BuildBigXml()
    {
        // XML-like text of >= 1.2M UTF-16 units with distinct counters, a
        // non-ASCII letter and a surrogate pair in every element (so pairs
        // straddle any chunk boundary a reader uses) and no control
        // characters (its escaped and raw forms are the same). The string is
        // written in place and hashed/saved in small chunks, so the string
        // itself is the only large allocation (fewer induced LOH GCs).
        int count = 0, total = BigXmlOpen.Length + BigXmlClose.Length;
        Span<char> scratch = stackalloc char[128];
        while (total < BigXmlMinChars)
            total += WriteBigXmlEvent(scratch, count++);
        string big = string.Create(total, count, static (span, n) =>
        {
            BigXmlOpen.AsSpan().CopyTo(span);
            int pos = BigXmlOpen.Length;
            for (int i = 0; i < n; i++)
                pos += WriteBigXmlEvent(span.Slice(pos), i);
            BigXmlClose.AsSpan().CopyTo(span.Slice(pos));
        });

        const int ChunkChars = 8192; // <= 3 bytes a char: the buffer stays off the LOH
        var encoder = new UTF8Encoding(false, true).GetEncoder();
        byte[] buffer = new byte[3 * ChunkChars + 8];
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        string? dir = Environment.GetEnvironmentVariable("HEAPSHAPES_OUT_DIR");
        FileStream? file = null;
        if (!string.IsNullOrEmpty(dir))
        {
            s_bigXmlFile = Path.GetFullPath(Path.Combine(dir, "big-string.txt"));
            file = new FileStream(s_bigXmlFile, FileMode.Create, FileAccess.Write, FileShare.Read, 1);
        }
        int utf8Length = 0;
        for (int pos = 0; pos < big.Length; pos += ChunkChars)
        {
            int n = Math.Min(ChunkChars, big.Length - pos);
            int bytes = encoder.GetBytes(big.AsSpan(pos, n), buffer, flush: pos + n == big.Length);
            sha.AppendData(buffer, 0, bytes);
            file?.Write(buffer, 0, bytes);
            utf8Length += bytes;
        }
        file?.Dispose();
        s_bigXmlUtf8Length = utf8Length;
        s_bigXmlSha256 = Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
        ObjectShapes.BigXml = big;
    }

    const string BigXmlOpen = "<events>";
    const string BigXmlClose = "</events>";

    /// <summary>Writes event i: &lt;event id="i" kind="k(i%7)"&gt;café 😀 #i&lt;/event&gt;; returns its length.</summary>
    static int WriteBigXmlEvent(Span<char> dest, int i)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        int p = Put(dest, 0, "<event id=\"");
        i.TryFormat(dest.Slice(p), out int w1, default, inv); p += w1;
        p = Put(dest, p, "\" kind=\"k");
        (i % 7).TryFormat(dest.Slice(p), out int w2, default, inv); p += w2;
        p = Put(dest, p, "\">caf\u00e9 \U0001F600 #");
        i.TryFormat(dest.Slice(p), out int w3, default, inv); p += w3;
        p = Put(dest, p, "</event>");
        return p;
    }

    static int Put(Span<char> dest, int p, string text)
    {
        text.AsSpan().CopyTo(dest.Slice(p));
        return p + text.Length;
    }

    // -------------------------------------------------------------- truth

    static nint AddressOf(object o) => Unsafe.As<object, nint>(ref o);

    static string Hex(nint v) => "0x" + ((ulong)v).ToString("x", System.Globalization.CultureInfo.InvariantCulture);

    static nint MethodTableOf(Type t) => t.TypeHandle.Value;

    static int BaseSizeOf(Type t)
    {
        // CoreCLR MethodTable layout: DWORD m_dwFlags; DWORD m_BaseSize; ...
        return *(int*)((byte*)MethodTableOf(t) + 4);
    }

    /// <summary>Type name as SOS prints it, e.g. System.Collections.Generic.List`1[[HeapShapes.Customer, HeapShapes]].</summary>
    static string ClrName(Type t)
    {
        if (t.IsArray)
        {
            int rank = t.GetArrayRank();
            string dims = rank == 1 && t.IsSZArray ? "[]" : "[" + new string(',', rank - 1) + "]";
            return ClrName(t.GetElementType()!) + dims;
        }
        if (!t.IsGenericType)
            return t.FullName ?? t.Name;
        var def = t.GetGenericTypeDefinition();
        var sb = new StringBuilder(def.FullName);
        sb.Append('[');
        var args = t.GetGenericArguments();
        for (int i = 0; i < args.Length; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append('[').Append(ClrName(args[i])).Append(", ").Append(args[i].Assembly.GetName().Name).Append(']');
        }
        sb.Append(']');
        return sb.ToString();
    }

    /// <summary>Type name in C# syntax, e.g. System.Collections.Generic.List&lt;HeapShapes.Customer&gt;.</summary>
    static string CsName(Type t)
    {
        if (t.IsArray)
            return CsName(t.GetElementType()!) + "[" + new string(',', t.GetArrayRank() - 1) + "]";
        if (!t.IsGenericType)
            return t.FullName ?? t.Name;
        string n = t.GetGenericTypeDefinition().FullName!;
        int tick = n.IndexOf('`');
        if (tick >= 0) n = n.Substring(0, tick);
        return n + "<" + string.Join(", ", t.GetGenericArguments().Select(CsName)) + ">";
    }

    // Under DATAS (server GC with GCDynamicAdaptationMode=1, the default for
    // server GC since .NET 9) the number of heaps is dynamic and no public API
    // reports it; GetConfigurationVariables()["HeapCount"] is the maximum. We
    // read NumHeaps from the runtime's GCGlobalHeapHistory event of one
    // induced GC. This runs before the final GC, so the listener's garbage is
    // collected by it.
    static int s_datasHeapCount = -1;
    static bool s_datas;

    sealed class GcHeapCountListener : EventListener
    {
        public volatile int NumHeaps = -1;

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
                EnableEvents(source, EventLevel.Informational, (EventKeywords)0x1 /* GC */);
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventName is null || !e.EventName.StartsWith("GCGlobalHeapHistory", StringComparison.Ordinal) || e.PayloadNames is null)
                return;
            int idx = e.PayloadNames.IndexOf("NumHeaps");
            if (idx >= 0 && e.Payload is not null)
                NumHeaps = Convert.ToInt32(e.Payload[idx], System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void ProbeDatasHeapCount()
    {
        var cfg = GC.GetConfigurationVariables();
        s_datas = GCSettings.IsServerGC
            && cfg.TryGetValue("GCDynamicAdaptationMode", out var mode) && mode is not null
            && Convert.ToInt64(mode, System.Globalization.CultureInfo.InvariantCulture) == 1;
        if (!s_datas)
            return;
        using var listener = new GcHeapCountListener();
        var sw = Stopwatch.StartNew();
        while (listener.NumHeaps < 0 && sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            GC.Collect(0, GCCollectionMode.Forced, blocking: true);
            Thread.Sleep(50);
        }
        s_datasHeapCount = listener.NumHeaps;
        if (s_datasHeapCount < 0)
            Info("WARNING: DATAS is on but no GCGlobalHeapHistory event was received; heapCount is the configured maximum");
    }

    static (long value, string source) GetHeapCount(IReadOnlyDictionary<string, object> gcConfig)
    {
        if (s_datas && s_datasHeapCount > 0)
            return (s_datasHeapCount, "GCGlobalHeapHistory.NumHeaps");
        if (gcConfig.TryGetValue("HeapCount", out var hc) && hc is not null)
        {
            long v = Convert.ToInt64(hc, System.Globalization.CultureInfo.InvariantCulture);
            if (v > 0) return (v, "GC.GetConfigurationVariables:HeapCount");
        }
        object? data = AppContext.GetData("System.GC.HeapCount") ?? AppContext.GetData("GCHeapCount");
        if (data is not null && long.TryParse(data.ToString(), out long d) && d > 0)
            return (d, "AppContext");
        if (GCSettings.IsServerGC)
            return (Environment.ProcessorCount, "ProcessorCount");
        return (1, "workstation");
    }

    static byte[] BuildTruth(int scale, int customerCount, bool finalizerBlocked, int[] gcCountAtFinal, Stopwatch sw)
    {
        // GC numbers are measured first (after the dead-object allocation,
        // before any of the JSON building allocates).
        GCMemoryInfo gi = GC.GetGCMemoryInfo(GCKind.Any);
        long totalMemory = GC.GetTotalMemory(false);
        long totalAllocated = GC.GetTotalAllocatedBytes(false);
        int[] gcCount = { GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2) };
        var gens = new (long before, long after, long fragAfter, long fragBefore)[gi.GenerationInfo.Length];
        for (int i = 0; i < gens.Length; i++)
        {
            var g = gi.GenerationInfo[i];
            gens[i] = (g.SizeBeforeBytes, g.SizeAfterBytes, g.FragmentationAfterBytes, g.FragmentationBeforeBytes);
        }

        var gcConfig = GC.GetConfigurationVariables();
        var (heapCount, heapCountSource) = GetHeapCount(gcConfig);

        var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteNumber("pid", Environment.ProcessId);
            w.WriteNumber("scale", scale);
            w.WriteString("runtime", Environment.Version.ToString());
            w.WriteString("framework", RuntimeInformation.FrameworkDescription);
            w.WriteString("runtimeDirectory", RuntimeEnvironment.GetRuntimeDirectory());
            w.WriteString("architecture", RuntimeInformation.ProcessArchitecture.ToString());
            w.WriteNumber("pointerSize", IntPtr.Size);
            w.WriteBoolean("serverGC", GCSettings.IsServerGC);
            w.WriteBoolean("concurrentGC", gcConfig.TryGetValue("ConcurrentGC", out var conc) && conc is bool cb && cb);
            w.WriteString("latencyMode", GCSettings.LatencyMode.ToString());
            w.WriteNumber("heapCount", heapCount);
            w.WriteString("heapCountSource", heapCountSource);
            w.WriteBoolean("datasConfigured", s_datas);
            w.WriteNumber("processorCount", Environment.ProcessorCount);
            string? gcName = Environment.GetEnvironmentVariable("DOTNET_GCName") ?? Environment.GetEnvironmentVariable("COMPlus_GCName");
            if (gcName is null) w.WriteNull("gcNameEnv"); else w.WriteString("gcNameEnv", gcName);

            w.WriteStartObject("gcConfig");
            foreach (var kv in gcConfig.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                switch (kv.Value)
                {
                    case bool b: w.WriteBoolean(kv.Key, b); break;
                    case long l: w.WriteNumber(kv.Key, l); break;
                    case int i: w.WriteNumber(kv.Key, i); break;
                    case ulong u: w.WriteNumber(kv.Key, u); break;
                    case null: w.WriteNull(kv.Key); break;
                    default: w.WriteString(kv.Key, kv.Value.ToString()); break;
                }
            }
            w.WriteEndObject();

            // Last GC (= the final forced, compacting gen2 GC unless another GC happened).
            w.WriteNumber("gcIndex", gi.Index);
            w.WriteNumber("gcGeneration", gi.Generation);
            w.WriteBoolean("gcCompacted", gi.Compacted);
            w.WriteBoolean("gcConcurrent", gi.Concurrent);
            w.WriteNumber("gcHeapSizeBytes", gi.HeapSizeBytes);
            w.WriteNumber("gcFragmentedBytes", gi.FragmentedBytes);
            w.WriteNumber("gcTotalCommittedBytes", gi.TotalCommittedBytes);
            w.WriteNumber("gcPromotedBytes", gi.PromotedBytes);
            w.WriteNumber("gcPinnedObjectsCount", gi.PinnedObjectsCount);
            w.WriteNumber("gcFinalizationPendingCount", gi.FinalizationPendingCount);
            w.WriteNumber("gcTotalAvailableMemoryBytes", gi.TotalAvailableMemoryBytes);
            w.WriteNumber("totalMemory", totalMemory);
            w.WriteNumber("totalAllocatedBytes", totalAllocated);
            w.WriteStartArray("generations");
            for (int i = 0; i < gens.Length; i++)
            {
                w.WriteStartObject();
                w.WriteNumber("gen", i);
                w.WriteString("name", i switch { 0 => "gen0", 1 => "gen1", 2 => "gen2", 3 => "loh", 4 => "poh", _ => "gen" + i });
                w.WriteNumber("sizeBeforeBytes", gens[i].before);
                w.WriteNumber("sizeAfterBytes", gens[i].after);
                w.WriteNumber("fragmentationBeforeBytes", gens[i].fragBefore);
                w.WriteNumber("fragmentationAfterBytes", gens[i].fragAfter);
                w.WriteEndObject();
            }
            w.WriteEndArray();

            w.WriteStartArray("gcCount");
            foreach (var c in gcCount) w.WriteNumberValue(c);
            w.WriteEndArray();
            w.WriteStartArray("gcCountAtFinalCollect");
            foreach (var c in gcCountAtFinal) w.WriteNumberValue(c);
            w.WriteEndArray();
            bool gcSince = gcCount[0] != gcCountAtFinal[0];
            w.WriteBoolean("gcSinceFinalCollect", gcSince);

            // Live instance counts of types this program created (heap-wide
            // counts may be higher for arrays/lists only if noted).
            w.WriteStartObject("types");
            w.WriteNumber(ClrName(typeof(Customer)), customerCount);
            w.WriteNumber(ClrName(typeof(Customer[])), 1);
            w.WriteNumber(ClrName(typeof(List<Customer>)), 1);
            w.WriteNumber(ClrName(typeof(Pair[])), 1);
            w.WriteNumber(ClrName(typeof(StackOnly)), 1);
            w.WriteNumber(ClrName(typeof(HandleOnly)), 1);
            w.WriteNumber(ClrName(typeof(WeakOnly)), 0);
            w.WriteNumber(ClrName(typeof(CwtKey)), CwtCount);
            w.WriteNumber(ClrName(typeof(CwtKey[])), 1);
            w.WriteNumber(ClrName(typeof(List<CwtKey>)), 1);
            w.WriteNumber(ClrName(typeof(CwtValue)), CwtCount);
            w.WriteNumber(ClrName(typeof(ConditionalWeakTable<CwtKey, CwtValue>)), 1);
            w.WriteNumber(ClrName(typeof(Finalizable)), FinalizableLive);
            w.WriteNumber(ClrName(typeof(Finalizable[])), 1);
            w.WriteNumber(ClrName(typeof(List<Finalizable>)), 1);
            w.WriteNumber(ClrName(typeof(FinalizerBlocker)), finalizerBlocked ? 1 : 0);
            w.WriteNumber(ClrName(typeof(DeadObject)), 0);
            w.WriteEndObject();

            // Instances on the heap that are unreachable (garbage).
            w.WriteStartObject("deadTypes");
            w.WriteNumber(ClrName(typeof(DeadObject)), DeadCount);
            w.WriteNumber(ClrName(typeof(DeadChild)), DeadCount / DeadChildEvery);
            w.WriteEndObject();

            // Unreachable except through the f-reachable queue (finalizer blocked).
            w.WriteStartObject("freachable");
            w.WriteNumber(ClrName(typeof(Finalizable)), finalizerBlocked ? FinalizableDoomed : 0);
            w.WriteEndObject();

            // Live objects registered for finalization (in the finalization queue, not ready).
            w.WriteStartObject("finalizationRegistered");
            w.WriteNumber(ClrName(typeof(Finalizable)), FinalizableLive);
            w.WriteEndObject();
            w.WriteBoolean("finalizerThreadBlocked", finalizerBlocked);
            w.WriteNumber("finalizedCount", Volatile.Read(ref Finalizable.FinalizedCount));

            // Total instances physically on the heap (live + f-reachable + dead).
            w.WriteStartObject("heapInstances");
            w.WriteNumber(ClrName(typeof(Customer)), customerCount);
            w.WriteNumber(ClrName(typeof(StackOnly)), 1);
            w.WriteNumber(ClrName(typeof(HandleOnly)), 1);
            w.WriteNumber(ClrName(typeof(WeakOnly)), 0);
            w.WriteNumber(ClrName(typeof(CwtKey)), CwtCount);
            w.WriteNumber(ClrName(typeof(CwtValue)), CwtCount);
            w.WriteNumber(ClrName(typeof(Finalizable)), FinalizableLive + (finalizerBlocked ? FinalizableDoomed : 0));
            w.WriteNumber(ClrName(typeof(FinalizerBlocker)), finalizerBlocked ? 1 : 0);
            w.WriteNumber(ClrName(typeof(DeadObject)), gcSince ? -1 : DeadCount);
            w.WriteNumber(ClrName(typeof(DeadChild)), gcSince ? -1 : DeadCount / DeadChildEvery);
            w.WriteEndObject();

            // Base sizes (bytes) read from the MethodTables, and MethodTable addresses.
            Type[] shapeTypes = { typeof(Customer), typeof(StackOnly), typeof(HandleOnly), typeof(WeakOnly), typeof(CwtKey), typeof(CwtValue), typeof(Finalizable), typeof(FinalizerBlocker), typeof(DeadObject), typeof(Pair) };
            w.WriteStartObject("baseSizes");
            foreach (var t in shapeTypes) w.WriteNumber(ClrName(t), BaseSizeOf(t));
            w.WriteEndObject();
            w.WriteStartObject("methodTables");
            foreach (var t in shapeTypes) w.WriteString(ClrName(t), Hex(MethodTableOf(t)));
            foreach (var t in new[] { typeof(Customer[]), typeof(Pair[]), typeof(List<Customer>), typeof(string), typeof(byte[]), typeof(double[]), typeof(object[]) })
                w.WriteString(ClrName(t), Hex(MethodTableOf(t)));
            w.WriteEndObject();

            w.WriteStartArray("strings");
            var texts = Texts.Values;
            for (int i = 0; i < texts.Length; i++)
            {
                string s = texts[i];
                w.WriteStartObject();
                w.WriteString("name", s_textNames[i]);
                w.WriteNumber("index", i);
                w.WriteNumber("length", s.Length);
                w.WriteString("address", Hex(AddressOf(s)));
                w.WriteNumber("generation", GC.GetGeneration(s));
                w.WriteBoolean("literal", s_textNames[i] == "frozenLiteral");
                w.WriteBoolean("frozen", GC.GetGeneration(s) == int.MaxValue);
                if (s.Length <= 64)
                {
                    w.WriteString("utf16", string.Join(" ", s.Select(c => ((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture))));
                    bool valid = s.EnumerateRunes().All(r => r != Rune.ReplacementChar) && !s.Contains('\uFFFD');
                    if (valid) w.WriteString("value", s);
                    else w.WriteNull("value");
                }
                else
                {
                    w.WriteString("prefix", s.Substring(0, 16));
                    w.WriteString("suffix", s.Substring(s.Length - HugeStringMarker.Length));
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();

            w.WriteStartObject("customers");
            w.WriteNumber("count", customerCount);
            w.WriteString("namePattern", "Customer #{id}");
            w.WriteString("emailPattern", "customer{id}@example.com");
            w.WriteString("first", CustomerCache.Items[0].Name);
            w.WriteString("last", CustomerCache.Items[^1].Name);
            w.WriteString("firstAddress", Hex(AddressOf(CustomerCache.Items[0])));
            w.WriteEndObject();

            w.WriteStartObject("pairs");
            w.WriteNumber("length", PairHolder.Pairs.Length);
            int withOwner = 0;
            foreach (var p in PairHolder.Pairs)
                if (p.Owner is not null) withOwner++;
            w.WriteNumber("withOwner", withOwner);
            w.WriteString("keyPattern", "pair-key-{i}");
            w.WriteString("address", Hex(AddressOf(PairHolder.Pairs)));
            w.WriteEndObject();

            w.WriteStartObject("largeArrays");
            w.WriteStartArray("items");
            foreach (var o in LargeHolder.Arrays)
            {
                w.WriteStartObject();
                w.WriteString("type", ClrName(o.GetType()));
                w.WriteNumber("length", ((Array)o).Length);
                w.WriteString("address", Hex(AddressOf(o)));
                w.WriteString("heap", "loh");
                w.WriteNumber("generation", GC.GetGeneration(o));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();

            w.WriteStartObject("pinnedArrays");
            w.WriteStartArray("items");
            foreach (var a in PinnedHolder.Arrays)
            {
                w.WriteStartObject();
                w.WriteNumber("length", a.Length);
                w.WriteString("address", Hex(AddressOf(a)));
                w.WriteString("heap", "poh");
                w.WriteNumber("generation", GC.GetGeneration(a));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();

            w.WriteStartObject("threads");
            w.WriteStartObject("StackHolderThread");
            w.WriteNumber("managedId", s_stackManagedId);
            w.WriteNumber("osId", s_stackOsId);
            w.WriteString("osIdHex", Hex(s_stackOsId));
            w.WriteString("stackObjectType", ClrName(typeof(StackOnly)));
            w.WriteString("stackObjectAddress", Hex(s_stackObjectAddress));
            // The MethodDesc of StackHolderMain (a RuntimeMethodHandle's value), and its type's module file.
            MethodInfo stackMain = typeof(Program).GetMethod(nameof(StackHolderMain), BindingFlags.Static | BindingFlags.NonPublic)!;
            w.WriteString("mainMethodDesc", Hex(stackMain.MethodHandle.Value));
            w.WriteString("mainMethodName", "HeapShapes.Program.StackHolderMain()");
            w.WriteString("mainMethodTable", Hex(MethodTableOf(typeof(Program))));
            w.WriteNumber("mainMethodToken", stackMain.MetadataToken);
            w.WriteNumber("mainTypeToken", typeof(Program).MetadataToken);
            // Sanity check: the first word of the object is its MethodTable.
            w.WriteBoolean("stackObjectAddressVerified",
                s_stackObjectAddress != 0 && *(nint*)s_stackObjectAddress == MethodTableOf(typeof(StackOnly)));
            w.WriteEndObject();
            w.WriteStartObject("exception");
            w.WriteString("address", Hex(AddressOf(s_exception!)));
            w.WriteString("type", s_exception!.GetType().FullName);
            w.WriteString("message", s_exception.Message);
            w.WriteNumber("hresult", s_exception.HResult);
            w.WriteString("innerAddress", Hex(AddressOf(s_exception.InnerException!)));
            w.WriteString("innerType", s_exception.InnerException!.GetType().FullName);
            w.WriteString("innerMessage", s_exception.InnerException.Message);
            w.WriteStartArray("stackMethods");
            foreach (var f in new System.Diagnostics.StackTrace(s_exception, false).GetFrames())
                w.WriteStringValue(f.GetMethod()?.Name);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartObject("LockHolderThread");
            w.WriteNumber("managedId", s_lockManagedId);
            w.WriteNumber("osId", s_lockOsId);
            w.WriteString("threadStaticObject", Hex(s_threadStaticOnlyAddress));
            w.WriteString("threadStaticObjectType", ClrName(typeof(ThreadStaticOnly)));
            w.WriteString("lockedObject", Hex(AddressOf(s_lockTarget!)));
            w.WriteString("lockedObjectType", ClrName(typeof(LockTarget)));
            w.WriteEndObject();
            w.WriteStartObject("Main");
            w.WriteNumber("managedId", Environment.CurrentManagedThreadId);
            w.WriteNumber("osId", GetOsThreadId());
            w.WriteEndObject();
            w.WriteEndObject();

            // GCHandle.ToIntPtr values. For pinned handles the runtime tags the
            // low bit, so "slot" (value & ~1) is the handle-table slot address.
            w.WriteStartObject("handles");
            w.WriteString("normal", Hex(GCHandle.ToIntPtr(s_normalHandle)));
            w.WriteString("pinned", Hex(GCHandle.ToIntPtr(s_pinnedHandle)));
            w.WriteString("weak", Hex(GCHandle.ToIntPtr(s_weakHandle)));
            w.WriteStartObject("slots");
            w.WriteString("normal", Hex(GCHandle.ToIntPtr(s_normalHandle) & ~(nint)1));
            w.WriteString("pinned", Hex(GCHandle.ToIntPtr(s_pinnedHandle) & ~(nint)1));
            w.WriteString("weak", Hex(GCHandle.ToIntPtr(s_weakHandle) & ~(nint)1));
            w.WriteEndObject();
            w.WriteStartObject("targets");
            w.WriteString("normal", Hex(AddressOf(s_normalHandle.Target!)));
            w.WriteString("normalType", ClrName(typeof(HandleOnly)));
            w.WriteString("pinned", Hex(AddressOf(s_pinnedHandle.Target!)));
            w.WriteString("pinnedType", ClrName(typeof(byte[])));
            w.WriteNumber("pinnedLength", PinnedHandleArrayLength);
            object? weakTarget = s_weakHandle.Target;
            if (weakTarget is null) w.WriteNull("weak"); else w.WriteString("weak", Hex(AddressOf(weakTarget)));
            w.WriteString("weakType", ClrName(typeof(WeakOnly)));
            w.WriteEndObject();
            w.WriteNumber("dependentFromCwt", CwtCount);
            WriteHandleKinds(w);
            w.WriteEndObject();

            // Static fields -> what they hold.
            w.WriteStartObject("statics");
            WriteStatic(w, "HeapShapes.CustomerCache.Items", CustomerCache.Items, customerCount);
            WriteStatic(w, "HeapShapes.LargeHolder.Arrays", LargeHolder.Arrays, LargeHolder.Arrays.Length);
            WriteStatic(w, "HeapShapes.PinnedHolder.Arrays", PinnedHolder.Arrays, PinnedHolder.Arrays.Length);
            WriteStatic(w, "HeapShapes.Texts.Values", Texts.Values, Texts.Values.Length);
            WriteStatic(w, "HeapShapes.PairHolder.Pairs", PairHolder.Pairs, PairHolder.Pairs.Length);
            WriteStatic(w, "HeapShapes.CwtHolder.Table", CwtHolder.Table, CwtCount);
            WriteStatic(w, "HeapShapes.CwtHolder.Keys", CwtHolder.Keys, CwtHolder.Keys.Count);
            WriteStatic(w, "HeapShapes.FinalizableHolder.Live", FinalizableHolder.Live, FinalizableHolder.Live.Count);
            WriteStatic(w, "HeapShapes.ShapeHolder.Boxes", ShapeHolder.Boxes!, ShapeHolder.Boxes!.Length);
            WriteStatic(w, "HeapShapes.ShapeHolder.Nested", ShapeHolder.Nested!, ShapeHolder.Nested!.Length);
            WriteStatic(w, "HeapShapes.ShapeHolder.Grid", ShapeHolder.Grid!, ShapeHolder.Grid!.Length);
            WriteStatic(w, "HeapShapes.ShapeHolder.Blobs", ShapeHolder.Blobs!, ShapeHolder.Blobs!.Length);
            w.WriteEndObject();

            WriteObjects(w);

            WriteRoots(w);

            WriteDumpheap(w, gcSince);

            w.WriteNumber("elapsedMs", sw.ElapsedMilliseconds);
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    // --------------------------------------------------- object truth
    //
    // Raw facts for dumpobj/dumpvc/dumparray/dumpstring/findstring and
    // dumpheap -strings. Offsets are computed from references (GC-safe),
    // relative to the object's data (object address + pointer size), as SOS
    // shows them. Only framework objects (mostly strings) are allocated.

    /// <summary>Never instantiated: its one field is at data offset 0 of any object.</summary>
#pragma warning disable CS0649 // never assigned: only its address is used
    sealed class RawData
    {
        public byte Data;
    }
#pragma warning restore CS0649

    static long DataOffset<T>(object owner, ref T field) =>
        (long)Unsafe.ByteOffset(ref Unsafe.As<RawData>(owner).Data, ref Unsafe.As<T, byte>(ref field));

    static string Inv(IFormattable v, string? format = null) => v.ToString(format, System.Globalization.CultureInfo.InvariantCulture);

    static FieldInfo FindField(Type t, string name)
    {
        const BindingFlags Flags = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        for (Type? c = t; c is not null; c = c.BaseType)
        {
            var f = c.GetField(name, Flags);
            if (f is not null) return f;
        }
        throw new InvalidOperationException("no field " + name);
    }

    static void WriteObjectHeader(Utf8JsonWriter w, object o)
    {
        Type t = o.GetType();
        w.WriteString("address", Hex(AddressOf(o)));
        w.WriteString("type", CsName(t));
        w.WriteString("clrType", ClrName(t));
        w.WriteString("mt", Hex(MethodTableOf(t)));
        w.WriteNumber("baseSize", BaseSizeOf(t));
        w.WriteNumber("size", ObjectSize(o));
        w.WriteNumber("unalignedSize", UnalignedSize(o));
        w.WriteNumber("generation", GC.GetGeneration(o));
        w.WriteString("module", t.Module.Name);
        w.WriteString("file", t.Assembly.Location);
    }

    /// <summary>Starts a field's object: name, types, MTs, offset, field address, VT.</summary>
    static void BeginField<T>(Utf8JsonWriter w, object owner, string name, ref T field, string csType)
    {
        Type ft = typeof(T);
        FieldInfo fi = FindField(owner.GetType(), name);
        if (fi.FieldType != ft)
            throw new InvalidOperationException("field " + name + " is not a " + ft);
        long offset = DataOffset(owner, ref field);
        bool vt = ft.IsValueType && !ft.IsPrimitive && !ft.IsEnum;
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("csType", csType);
        w.WriteString("type", CsName(ft));
        w.WriteString("fieldTypeMT", Hex(MethodTableOf(ft)));
        w.WriteString("declaringType", CsName(fi.DeclaringType!));
        w.WriteString("declaringTypeMT", Hex(MethodTableOf(fi.DeclaringType!)));
        w.WriteString("attr", "instance");
        w.WriteNumber("offset", offset);
        w.WriteString("fieldAddress", Hex(AddressOf(owner) + IntPtr.Size + (nint)offset));
        w.WriteNumber("vt", vt ? 1 : 0);
        if (ft.IsEnum)
            w.WriteString("underlyingType", CsName(Enum.GetUnderlyingType(ft)));
        if (vt)
            w.WriteNumber("valueSize", Unsafe.SizeOf<T>());
    }

    static void WriteRefField<T>(Utf8JsonWriter w, object owner, string name, ref T field, string csType) where T : class?
    {
        BeginField(w, owner, name, ref field, csType);
        object? target = field;
        if (target is null)
        {
            w.WriteNull("target");
            w.WriteString("display", "0x0");
            w.WriteNull("value");
        }
        else
        {
            w.WriteString("target", Hex(AddressOf(target)));
            w.WriteString("targetType", CsName(target.GetType()));
            w.WriteString("display", Hex(AddressOf(target)));
            switch (target)
            {
                case string str: w.WriteString("value", str); break;
                case int[] ints:
                    w.WriteStartArray("value");
                    foreach (int v in ints) w.WriteNumberValue(v);
                    w.WriteEndArray();
                    break;
                default: w.WriteNull("value"); break;
            }
        }
        w.WriteEndObject();
    }

    static void WritePointFields(Utf8JsonWriter w, Point p, nint address)
    {
        // Offsets inside the struct, as dumpvc shows them.
        w.WriteStartArray("fields");
        w.WriteStartObject();
        w.WriteString("name", "X");
        w.WriteString("type", "System.Int32");
        w.WriteNumber("offset", DataOffsetInStruct(ref p, ref p.X));
        w.WriteNumber("value", p.X);
        w.WriteEndObject();
        w.WriteStartObject();
        w.WriteString("name", "Y");
        w.WriteString("type", "System.Int32");
        w.WriteNumber("offset", DataOffsetInStruct(ref p, ref p.Y));
        w.WriteNumber("value", p.Y);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteString("address", Hex(address));
    }

    static long DataOffsetInStruct<TS, TF>(ref TS s, ref TF f) where TS : struct =>
        (long)Unsafe.ByteOffset(ref Unsafe.As<TS, byte>(ref s), ref Unsafe.As<TF, byte>(ref f));

    static nint FieldAddress<T>(object owner, ref T field) => AddressOf(owner) + IntPtr.Size + (nint)DataOffset(owner, ref field);

    static void WriteAllFields(Utf8JsonWriter w)
    {
        var o = ObjectShapes.All!;
        w.WriteStartObject("allFields");
        WriteObjectHeader(w, o);
        w.WriteStartArray("fields");

        BeginField(w, o, nameof(o.BoolValue), ref o.BoolValue, "bool");
        w.WriteBoolean("value", o.BoolValue); w.WriteString("display", o.BoolValue ? "1" : "0"); w.WriteEndObject();
        BeginField(w, o, nameof(o.CharValue), ref o.CharValue, "char");
        w.WriteString("value", o.CharValue.ToString()); w.WriteNumber("code", o.CharValue);
        w.WriteString("display", Inv((int)o.CharValue)); w.WriteEndObject();
        BeginField(w, o, nameof(o.SByteValue), ref o.SByteValue, "sbyte");
        w.WriteNumber("value", o.SByteValue); w.WriteString("display", Inv(o.SByteValue)); w.WriteEndObject();
        BeginField(w, o, nameof(o.ByteValue), ref o.ByteValue, "byte");
        w.WriteNumber("value", o.ByteValue); w.WriteString("display", Inv(o.ByteValue)); w.WriteEndObject();
        BeginField(w, o, nameof(o.ShortValue), ref o.ShortValue, "short");
        w.WriteNumber("value", o.ShortValue); w.WriteString("display", Inv(o.ShortValue)); w.WriteEndObject();
        BeginField(w, o, nameof(o.UShortValue), ref o.UShortValue, "ushort");
        w.WriteNumber("value", o.UShortValue); w.WriteString("display", Inv(o.UShortValue)); w.WriteEndObject();
        BeginField(w, o, nameof(o.IntValue), ref o.IntValue, "int");
        w.WriteNumber("value", o.IntValue); w.WriteString("display", Inv(o.IntValue)); w.WriteEndObject();
        BeginField(w, o, nameof(o.UIntValue), ref o.UIntValue, "uint");
        w.WriteNumber("value", o.UIntValue); w.WriteString("display", Inv(o.UIntValue)); w.WriteEndObject();
        BeginField(w, o, nameof(o.LongValue), ref o.LongValue, "long");
        w.WriteNumber("value", o.LongValue); w.WriteString("display", Inv(o.LongValue)); w.WriteEndObject();
        BeginField(w, o, nameof(o.ULongValue), ref o.ULongValue, "ulong");
        w.WriteNumber("value", o.ULongValue); w.WriteString("display", Inv(o.ULongValue)); w.WriteEndObject();
        BeginField(w, o, nameof(o.FloatValue), ref o.FloatValue, "float");
        w.WriteNumber("value", o.FloatValue); w.WriteString("display", Inv(o.FloatValue, "R"));
        w.WriteString("bits", Hex((nint)BitConverter.SingleToUInt32Bits(o.FloatValue))); w.WriteEndObject();
        BeginField(w, o, nameof(o.DoubleValue), ref o.DoubleValue, "double");
        w.WriteNumber("value", o.DoubleValue); w.WriteString("display", Inv(o.DoubleValue, "R"));
        w.WriteString("bits", "0x" + Inv(BitConverter.DoubleToUInt64Bits(o.DoubleValue), "x")); w.WriteEndObject();
        BeginField(w, o, nameof(o.NIntValue), ref o.NIntValue, "nint");
        w.WriteNumber("value", (long)o.NIntValue); w.WriteString("display", Inv((long)o.NIntValue)); w.WriteEndObject();
        BeginField(w, o, nameof(o.NUIntValue), ref o.NUIntValue, "nuint");
        w.WriteNumber("value", (ulong)o.NUIntValue); w.WriteString("display", Inv((ulong)o.NUIntValue)); w.WriteEndObject();
        BeginField(w, o, nameof(o.ColorValue), ref o.ColorValue, "HeapShapes.Color");
        w.WriteNumber("value", (int)o.ColorValue); w.WriteString("enumName", o.ColorValue.ToString());
        w.WriteString("display", Inv((int)o.ColorValue)); w.WriteEndObject();
        BeginField(w, o, nameof(o.LevelValue), ref o.LevelValue, "HeapShapes.Level");
        w.WriteNumber("value", (byte)o.LevelValue); w.WriteString("enumName", o.LevelValue.ToString());
        w.WriteString("display", Inv((byte)o.LevelValue)); w.WriteEndObject();

        WriteRefField(w, o, nameof(o.StringValue), ref o.StringValue, "string");
        WriteRefField(w, o, nameof(o.NullObject), ref o.NullObject, "object");
        WriteRefField(w, o, nameof(o.ObjectRef), ref o.ObjectRef, "object");
        WriteRefField(w, o, nameof(o.IntArray), ref o.IntArray, "int[]");

        // Embedded structs (VT 1): the Value column shows the field's address.
        BeginField(w, o, nameof(o.PointValue), ref o.PointValue, "HeapShapes.Point");
        nint pa = FieldAddress(o, ref o.PointValue);
        w.WriteString("display", Hex(pa));
        w.WriteStartObject("value");
        WritePointFields(w, o.PointValue, pa);
        w.WriteEndObject();
        w.WriteEndObject();

        BeginField(w, o, nameof(o.GuidValue), ref o.GuidValue, "System.Guid");
        w.WriteString("display", Hex(FieldAddress(o, ref o.GuidValue)));
        w.WriteString("value", o.GuidValue.ToString("D"));
        w.WriteString("bytesHex", Convert.ToHexString(o.GuidValue.ToByteArray()).ToLowerInvariant());
        w.WriteEndObject();

        BeginField(w, o, nameof(o.DateTimeValue), ref o.DateTimeValue, "System.DateTime");
        w.WriteString("display", Hex(FieldAddress(o, ref o.DateTimeValue)));
        w.WriteString("value", o.DateTimeValue.ToString("o", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteNumber("ticks", o.DateTimeValue.Ticks);
        w.WriteString("kind", o.DateTimeValue.Kind.ToString());
        // The one field of DateTime (_dateData): ticks | kind << 62.
        w.WriteNumber("dateData", Unsafe.As<DateTime, ulong>(ref o.DateTimeValue));
        w.WriteEndObject();

        BeginField(w, o, nameof(o.DecimalValue), ref o.DecimalValue, "decimal");
        w.WriteString("display", Hex(FieldAddress(o, ref o.DecimalValue)));
        w.WriteString("value", Inv(o.DecimalValue));
        int[] bits = decimal.GetBits(o.DecimalValue);
        // In memory (.NET 5+): int _flags, uint _hi32, ulong _lo64.
        w.WriteNumber("flags", bits[3]);
        w.WriteNumber("hi32", (uint)bits[2]);
        w.WriteNumber("lo64", (uint)bits[0] | ((ulong)(uint)bits[1] << 32));
        w.WriteEndObject();

        w.WriteEndArray();

        // Count check: every instance field above.
        int instanceFields = typeof(AllFields).GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).Length;
        if (instanceFields != 24)
            Info("WARNING: AllFields has " + instanceFields.ToString(System.Globalization.CultureInfo.InvariantCulture) + " instance fields, the truth lists 24");

        w.WriteStartArray("staticFields");
        w.WriteStartObject();
        w.WriteString("name", nameof(AllFields.StaticInt));
        w.WriteString("type", "System.Int32");
        w.WriteString("attr", "static");
        w.WriteNumber("value", AllFields.StaticInt);
        w.WriteString("display", Inv(AllFields.StaticInt));
        w.WriteEndObject();
        w.WriteStartObject();
        w.WriteString("name", nameof(AllFields.StaticText));
        w.WriteString("type", "System.String");
        w.WriteString("attr", "static");
        w.WriteString("value", AllFields.StaticText);
        w.WriteString("target", Hex(AddressOf(AllFields.StaticText)));
        w.WriteString("display", Hex(AddressOf(AllFields.StaticText)));
        w.WriteBoolean("frozen", GC.GetGeneration(AllFields.StaticText) == int.MaxValue);
        w.WriteEndObject();
        w.WriteEndArray();

        w.WriteStartArray("threadStaticFields");
        w.WriteStartObject();
        w.WriteString("name", nameof(AllFields.ThreadStaticInt));
        w.WriteString("type", "System.Int32");
        w.WriteString("attr", "TLstatic");
        // Set on the main thread only; other threads have the default (0),
        // and most have no storage for it at all.
        w.WriteStartArray("values");
        w.WriteStartObject();
        w.WriteString("thread", "Main");
        w.WriteNumber("managedId", Environment.CurrentManagedThreadId);
        w.WriteNumber("osId", GetOsThreadId());
        w.WriteNumber("value", AllFields.ThreadStaticInt);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();

        var t = (FieldTarget)o.ObjectRef!;
        w.WriteStartObject("objectRefTarget");
        WriteObjectHeader(w, t);
        w.WriteNumber("marker", t.Marker);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    static void WriteInherited(Utf8JsonWriter w)
    {
        var d = ObjectShapes.Inherited!;
        w.WriteStartObject("inherited");
        WriteObjectHeader(w, d);
        w.WriteString("baseType", CsName(typeof(Base)));
        w.WriteString("baseMT", Hex(MethodTableOf(typeof(Base))));
        // Base class fields first, as SOS lists them.
        w.WriteStartArray("fields");
        BeginField(w, d, nameof(d.BaseValue), ref d.BaseValue, "int");
        w.WriteNumber("value", d.BaseValue); w.WriteString("display", Inv(d.BaseValue)); w.WriteEndObject();
        WriteRefField(w, d, nameof(d.BaseName), ref d.BaseName, "string");
        BeginField(w, d, nameof(d.DerivedValue), ref d.DerivedValue, "int");
        w.WriteNumber("value", d.DerivedValue); w.WriteString("display", Inv(d.DerivedValue)); w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    static void WriteArrayHeader(Utf8JsonWriter w, Array a)
    {
        Type t = a.GetType();
        Type e = t.GetElementType()!;
        WriteObjectHeader(w, a);
        w.WriteString("elementType", CsName(e));
        w.WriteString("elementMT", Hex(MethodTableOf(e)));
        w.WriteNumber("rank", a.Rank);
        w.WriteNumber("length", a.Length);
        w.WriteStartArray("lengths");
        for (int r = 0; r < a.Rank; r++) w.WriteNumberValue(a.GetLength(r));
        w.WriteEndArray();
        w.WriteStartArray("lowerBounds");
        for (int r = 0; r < a.Rank; r++) w.WriteNumberValue(a.GetLowerBound(r));
        w.WriteEndArray();
        w.WriteNumber("componentSize", ComponentSizeOf(t));
        long dataOffset = (long)Unsafe.ByteOffset(ref Unsafe.As<RawData>(a).Data, ref MemoryMarshal.GetArrayDataReference(a)) + IntPtr.Size;
        w.WriteNumber("dataOffset", dataOffset); // from the object's address
        w.WriteString("firstElementAddress", Hex(AddressOf(a) + (nint)dataOffset));
    }

    static void WriteStructHolder(Utf8JsonWriter w)
    {
        var h = ObjectShapes.Structs!;
        w.WriteStartObject("structHolder");
        WriteObjectHeader(w, h);
        w.WriteStartArray("fields");
        WriteRefField(w, h, nameof(h.Points), ref h.Points, "HeapShapes.Point[]");
        BeginField(w, h, nameof(h.Single), ref h.Single, "HeapShapes.Point");
        nint sa = FieldAddress(h, ref h.Single);
        w.WriteString("display", Hex(sa));
        w.WriteStartObject("value");
        WritePointFields(w, h.Single, sa);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();

        var pts = h.Points;
        w.WriteStartObject("points");
        WriteArrayHeader(w, pts);
        nint first = AddressOf(pts) + (nint)((long)Unsafe.ByteOffset(ref Unsafe.As<RawData>(pts).Data, ref Unsafe.As<Point, byte>(ref pts[0])) + IntPtr.Size);
        w.WriteStartArray("elements");
        for (int i = 0; i < pts.Length; i++)
        {
            w.WriteStartObject();
            w.WriteNumber("index", i);
            WritePointFields(w, pts[i], first + i * Unsafe.SizeOf<Point>());
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteString("element1Address", Hex(first + Unsafe.SizeOf<Point>()));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>The text as clrsos's escaped mode prints it: \n \t \r, other C0/C1 controls, DEL and unpaired surrogates as \uXXXX.</summary>
    static string EscapeText(string s)
    {
        var sb = new StringBuilder(s.Length + 16);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                sb.Append(c).Append(s[++i]);
                continue;
            }
            if (char.IsSurrogate(c)) { sb.Append("\\u").Append(Inv((int)c, "X4")); continue; }
            switch (c)
            {
                case '\n': sb.Append("\\n"); continue;
                case '\t': sb.Append("\\t"); continue;
                case '\r': sb.Append("\\r"); continue;
            }
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) sb.Append("\\u").Append(Inv((int)c, "X4"));
            else sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>The raw (WTF-8) bytes in hex: UTF-8, an unpaired surrogate as its 3-byte form.</summary>
    static string Wtf8Hex(string s)
    {
        var bytes = new List<byte>(s.Length * 3);
        for (int i = 0; i < s.Length; i++)
        {
            int c = s[i];
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                c = char.ConvertToUtf32(s[i], s[++i]);
            if (c < 0x80) bytes.Add((byte)c);
            else if (c < 0x800) { bytes.Add((byte)(0xc0 | c >> 6)); bytes.Add((byte)(0x80 | (c & 0x3f))); }
            else if (c < 0x10000) { bytes.Add((byte)(0xe0 | c >> 12)); bytes.Add((byte)(0x80 | ((c >> 6) & 0x3f))); bytes.Add((byte)(0x80 | (c & 0x3f))); }
            else { bytes.Add((byte)(0xf0 | c >> 18)); bytes.Add((byte)(0x80 | ((c >> 12) & 0x3f))); bytes.Add((byte)(0x80 | ((c >> 6) & 0x3f))); bytes.Add((byte)(0x80 | (c & 0x3f))); }
        }
        return Convert.ToHexString(bytes.ToArray()).ToLowerInvariant();
    }

    static bool IsValidUtf16(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
            if (char.IsSurrogate(s[i])) return false;
        }
        return true;
    }

    /// <summary>Base size + length x component size, not rounded: what the DAC's object data (and SOS's dumpobj "Size:") reports.</summary>
    static long UnalignedSize(object o)
    {
        Type t = o.GetType();
        long n = o is string s ? s.Length : o is Array a ? a.LongLength : 0;
        return BaseSizeOf(t) + n * ComponentSizeOf(t);
    }

    static void WriteStringFacts(Utf8JsonWriter w, string name, string s)
    {
        w.WriteStartObject(name);
        w.WriteString("address", Hex(AddressOf(s)));
        w.WriteNumber("length", s.Length);
        w.WriteNumber("size", ObjectSize(s));
        w.WriteNumber("unalignedSize", UnalignedSize(s));
        w.WriteNumber("generation", GC.GetGeneration(s));
        w.WriteBoolean("frozen", GC.GetGeneration(s) == int.MaxValue);
        bool valid = IsValidUtf16(s);
        w.WriteBoolean("validUtf16", valid);
        if (valid) w.WriteString("value", s);
        else w.WriteNull("value");
        w.WriteString("escaped", EscapeText(s));
        w.WriteString("wtf8Hex", Wtf8Hex(s));
        w.WriteString("utf16", string.Join(" ", s.Select(c => ((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture))));
        w.WriteEndObject();
    }

    static void WriteObjectStrings(Utf8JsonWriter w)
    {
        w.WriteStartObject("strings");
        w.WriteNumber("charsOffset", IntPtr.Size + 4);
        WriteStringFacts(w, "empty", string.Empty);
        WriteStringFacts(w, "ascii", ObjectShapes.Strings[0]);
        WriteStringFacts(w, "latin", Texts.Values[0]);
        WriteStringFacts(w, "cjk", Texts.Values[1]);
        WriteStringFacts(w, "emoji", Texts.Values[2]);
        WriteStringFacts(w, "unpairedSurrogate", Texts.Values[3]);
        WriteStringFacts(w, "unpairedMixed", ObjectShapes.Strings[2]);
        WriteStringFacts(w, "control", ObjectShapes.Strings[1]);

        string big = ObjectShapes.BigXml!;
        w.WriteStartObject("bigXml");
        w.WriteString("address", Hex(AddressOf(big)));
        w.WriteNumber("length", big.Length);
        w.WriteNumber("size", ObjectSize(big));
        w.WriteNumber("unalignedSize", UnalignedSize(big));
        w.WriteNumber("generation", GC.GetGeneration(big));
        w.WriteBoolean("frozen", false);
        w.WriteBoolean("validUtf16", true);
        w.WriteBoolean("escapedEqualsRaw", true); // no control characters, no lone surrogates
        w.WriteNumber("utf8Length", s_bigXmlUtf8Length);
        w.WriteString("sha256", s_bigXmlSha256);
        if (s_bigXmlFile is null) w.WriteNull("file");
        else w.WriteString("file", s_bigXmlFile);
        w.WriteString("prefix", big.AsSpan(0, 64));
        w.WriteString("suffix", big.AsSpan(big.Length - 64));
        w.WriteStartObject("interior");
        const int InteriorIndex = 999;
        w.WriteNumber("charIndex", InteriorIndex);
        w.WriteString("address", Hex(AddressOf(big) + IntPtr.Size + 4 + 2 * InteriorIndex));
        w.WriteString("char", big.AsSpan(InteriorIndex, 1));
        w.WriteString("object", Hex(AddressOf(big)));
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    static void WriteDuplicates(Utf8JsonWriter w)
    {
        w.WriteStartObject("duplicates");
        w.WriteStartArray("groups");
        foreach (var group in new[] { ObjectShapes.Duplicates, ObjectShapes.SecondDuplicates })
        {
            string s = group[0];
            long size = ObjectSize(s);
            long formula = Math.Max(24, (22 + 2L * s.Length + 7) & ~7L);
            if (size != formula)
                Info("WARNING: string size " + size.ToString(System.Globalization.CultureInfo.InvariantCulture) + " differs from the formula");
            w.WriteStartObject();
            w.WriteString("value", s);
            w.WriteNumber("count", group.Length);
            w.WriteNumber("length", s.Length);
            w.WriteNumber("objectSize", size);
            w.WriteNumber("unalignedSize", UnalignedSize(s));
            w.WriteNumber("totalSize", size * group.Length);
            w.WriteNumber("wastedBytes", size * (group.Length - 1));
            w.WriteString("holder", Hex(AddressOf(group)));
            w.WriteStartArray("addresses");
            foreach (var d in group) w.WriteStringValue(Hex(AddressOf(d)));
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    static void WritePlanted(Utf8JsonWriter w)
    {
        w.WriteStartObject("planted");
        // The marker as UTF-8 bytes (a string holding it would be found too).
        Span<byte> marker = stackalloc byte[11];
        "NEEDLE-"u8.CopyTo(marker);
        "7f3a"u8.CopyTo(marker.Slice(7));
        w.WriteString("marker", marker);
        w.WriteString("holder", Hex(AddressOf(ObjectShapes.Planted)));
        w.WriteStartArray("items");
        string[] where = { "start", "middle", "end", "whole", "twice" };
        for (int i = 0; i < ObjectShapes.Planted.Length; i++)
        {
            string s = ObjectShapes.Planted[i];
            w.WriteStartObject();
            w.WriteString("position", where[i]);
            w.WriteString("address", Hex(AddressOf(s)));
            w.WriteNumber("length", s.Length);
            w.WriteString("value", s);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    static void WriteArrays(Utf8JsonWriter w)
    {
        w.WriteStartObject("arrays");

        var ints = ObjectShapes.Ints!;
        w.WriteStartObject("ints");
        WriteArrayHeader(w, ints);
        w.WriteStartArray("values");
        foreach (int v in ints) w.WriteNumberValue(v);
        w.WriteEndArray();
        w.WriteEndObject();

        var strs = ObjectShapes.StringArray!;
        w.WriteStartObject("strings");
        WriteArrayHeader(w, strs);
        w.WriteStartArray("values");
        foreach (var v in strs) { if (v is null) w.WriteNullValue(); else w.WriteStringValue(v); }
        w.WriteEndArray();
        w.WriteStartArray("elements");
        foreach (var v in strs) { if (v is null) w.WriteNullValue(); else w.WriteStringValue(Hex(AddressOf(v))); }
        w.WriteEndArray();
        w.WriteEndObject();

        var grid = ObjectShapes.Grid64!;
        w.WriteStartObject("grid64");
        WriteArrayHeader(w, grid);
        w.WriteStartArray("values"); // row-major, as in memory
        for (int r = 0; r < grid.GetLength(0); r++)
        {
            w.WriteStartArray();
            for (int c = 0; c < grid.GetLength(1); c++) w.WriteNumberValue(grid[r, c]);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();

        var bytes = ObjectShapes.Bytes!;
        w.WriteStartObject("bytes");
        WriteArrayHeader(w, bytes);
        w.WriteStartArray("values");
        foreach (byte b in bytes) w.WriteNumberValue(b);
        w.WriteEndArray();
        w.WriteString("hex", Convert.ToHexString(bytes).ToLowerInvariant());
        w.WriteEndObject();

        w.WriteEndObject();
    }

    static void WriteObjects(Utf8JsonWriter w)
    {
        w.WriteStartObject("objects");
        WriteAllFields(w);
        WriteInherited(w);
        WriteStructHolder(w);
        WriteObjectStrings(w);
        WriteDuplicates(w);
        WritePlanted(w);
        WriteArrays(w);
        w.WriteEndObject();
    }

    // --------------------------------------------------------- roots truth
    //
    // Exact expectations for gcroot, objsize, gchandles and finalizequeue.
    // Only framework objects are allocated here.

    // Every handle the program itself holds at READY (the WeakTrackResurrection
    // tracking handles are freed before READY), and the CWT's dependent handles.
    static void WriteHandleKinds(Utf8JsonWriter w)
    {
        var mine = new (string name, GCHandle handle, string kind, string sosType, string type)[]
        {
            ("normal", s_normalHandle, "strong", "Strong", CsName(typeof(HandleOnly))),
            ("pinned", s_pinnedHandle, "pinned", "Pinned", CsName(typeof(byte[]))),
            ("weak", s_weakHandle, "weakShort", "WeakShort", CsName(typeof(WeakOnly))),
            ("twoRoots", s_twoRootsHandle, "strong", "Strong", CsName(typeof(TwoRoots))),
            ("watchedWeak", s_watchedWeakHandle, "weakShort", "WeakShort", CsName(typeof(WeakTarget))),
            ("watchedLong", s_watchedLongHandle, "weakLong", "WeakLong", CsName(typeof(WeakTarget))),
        };
        var deps = CwtDependentHandles();

        // Count per kind of the handles this program made (dependent: the CWT's).
        w.WriteStartObject("kinds");
        foreach (var kind in new[] { "strong", "pinned", "weakShort", "weakLong" })
            w.WriteNumber(kind, mine.Count(h => h.kind == kind && h.handle.IsAllocated));
        w.WriteNumber("dependent", CwtCount);
        w.WriteEndObject();

        w.WriteStartArray("list");
        foreach (var (name, handle, kind, sosType, type) in mine)
        {
            if (!handle.IsAllocated) continue;
            nint value = GCHandle.ToIntPtr(handle);
            object? target = handle.Target;
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteString("kind", kind);
            w.WriteString("sosType", sosType);
            w.WriteString("handle", Hex(value));
            w.WriteString("slot", Hex(value & ~(nint)1));
            if (target is null) w.WriteNull("target"); else w.WriteString("target", Hex(AddressOf(target)));
            w.WriteString("targetType", type);
            w.WriteBoolean("isRoot", kind is "strong" or "pinned");
            w.WriteEndObject();
        }
        w.WriteEndArray();

        // The CWT's dependent handles, in key order: primary = key, secondary = value.
        w.WriteStartArray("dependent");
        for (int i = 0; i < CwtHolder.Keys.Count; i++)
        {
            var key = CwtHolder.Keys[i];
            w.WriteStartObject();
            w.WriteNumber("id", key.Id);
            nint hv = deps.TryGetValue(key, out var h) ? h : 0;
            if (hv != 0) w.WriteString("handle", Hex(hv)); else w.WriteNull("handle");
            w.WriteString("primary", Hex(AddressOf(key)));
            w.WriteString("primaryType", CsName(typeof(CwtKey)));
            if (CwtHolder.Table.TryGetValue(key, out var value)) w.WriteString("secondary", Hex(AddressOf(value)));
            else w.WriteNull("secondary");
            w.WriteString("secondaryType", CsName(typeof(CwtValue)));
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>The CWT's dependent handle values by key, read by reflection from
    /// ConditionalWeakTable's container (empty if the runtime's fields differ).</summary>
    static Dictionary<object, nint> CwtDependentHandles()
    {
        var result = new Dictionary<object, nint>(ReferenceEqualityComparer.Instance);
        try
        {
            const BindingFlags F = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;
            object? container = CwtHolder.Table.GetType().GetField("_container", F)?.GetValue(CwtHolder.Table);
            if (container?.GetType().GetField("_entries", F)?.GetValue(container) is not Array entries)
                throw new InvalidOperationException("no _entries");
            FieldInfo? depF = entries.GetType().GetElementType()!.GetField("depHnd", F);
            FieldInfo? handleF = depF?.FieldType.GetField("_handle", F);
            if (depF is null || handleF is null)
                throw new InvalidOperationException("no depHnd._handle");
            foreach (object? entry in entries)
            {
                if (entry is null) continue;
                object dep = depF.GetValue(entry)!;
                var dh = (DependentHandle)dep;
                if (!dh.IsAllocated) continue;
                object? primary = dh.Target;
                if (primary is CwtKey) result[primary] = (nint)handleF.GetValue(dep)!;
            }
        }
        catch (Exception e)
        {
            Info("WARNING: dependent handle values not found (" + e.GetType().Name + ": " + e.Message + ")");
        }
        return result;
    }

    /// <summary>
    /// The runtime's object[] that stores a static reference field: the slot
    /// (the field's address) is an element of it. Found by scanning back from
    /// the slot to the array header (its MethodTable is object[]'s and its
    /// length covers the slot), inside the memory mapping that holds the slot.
    /// (0, 0, 0) if not found.
    /// </summary>
    static (ulong start, ulong end) s_staticsMapping;

    static (nint array, long length, long index) FindStaticsArray(nint slot)
    {
        try
        {
            ulong lo = 0;
            if ((ulong)slot >= s_staticsMapping.start && (ulong)slot < s_staticsMapping.end)
                lo = s_staticsMapping.start;
            else
            {
                foreach (var line in File.ReadLines("/proc/self/maps"))
                {
                    int dash = line.IndexOf('-'), space = line.IndexOf(' ');
                    if (dash < 0 || space < dash) continue;
                    ulong start = Convert.ToUInt64(line.Substring(0, dash), 16);
                    ulong end = Convert.ToUInt64(line.Substring(dash + 1, space - dash - 1), 16);
                    if ((ulong)slot >= start && (ulong)slot < end) { lo = start; s_staticsMapping = (start, end); break; }
                }
            }
            if (lo == 0) return (0, 0, 0);
            nint mt = MethodTableOf(typeof(object[]));
            ulong limit = Math.Max(lo, (ulong)slot - Math.Min((ulong)slot, 64UL << 20));
            for (ulong p = ((ulong)slot & ~7UL) - 16; p >= limit && p < (ulong)slot; p -= 8)
            {
                if (*(nint*)p != mt) continue;
                long length = *(uint*)(p + 8);
                ulong first = p + 16;
                if (first + (ulong)length * 8 > (ulong)slot && ((ulong)slot - first) % 8 == 0)
                    return ((nint)p, length, (long)(((ulong)slot - first) / 8));
                return (0, 0, 0); // an object[] that does not hold the slot
            }
        }
        catch (Exception e)
        {
            Info("WARNING: statics array not found (" + e.GetType().Name + ")");
        }
        return (0, 0, 0);
    }

    static void WriteTypesAndAddresses(Utf8JsonWriter w, object[] path)
    {
        w.WriteStartArray("chain");
        foreach (var o in path) w.WriteStringValue(CsName(o.GetType()));
        w.WriteEndArray();
        w.WriteStartArray("path");
        foreach (var o in path) w.WriteStringValue(Hex(AddressOf(o)));
        w.WriteEndArray();
    }

    /// <summary>A root through a static reference field. `chain`/`path` start at the
    /// field's value; `handleChain`/`handlePath` start at the runtime's statics object[].</summary>
    static void WriteStaticRoot(Utf8JsonWriter w, string field, nint slot, params object[] path)
    {
        w.WriteStartObject();
        w.WriteString("kind", "static");
        w.WriteString("field", field);
        w.WriteString("slotAddress", Hex(slot));
        var (array, length, index) = FindStaticsArray(slot);
        if (array != 0)
        {
            w.WriteString("staticsArray", Hex(array));
            w.WriteNumber("staticsArrayLength", length);
            w.WriteNumber("staticsArrayIndex", index);
        }
        else
        {
            w.WriteNull("staticsArray");
        }
        WriteTypesAndAddresses(w, path);
        w.WriteStartArray("handleChain");
        w.WriteStringValue(CsName(typeof(object[])));
        foreach (var o in path) w.WriteStringValue(CsName(o.GetType()));
        w.WriteEndArray();
        w.WriteStartArray("handlePath");
        if (array != 0) w.WriteStringValue(Hex(array)); else w.WriteNullValue();
        foreach (var o in path) w.WriteStringValue(Hex(AddressOf(o)));
        w.WriteEndArray();
        w.WriteEndObject();
    }

    static void WriteHandleRoot(Utf8JsonWriter w, string kind, GCHandle handle, params object[] path)
    {
        w.WriteStartObject();
        w.WriteString("kind", kind);
        nint value = GCHandle.ToIntPtr(handle);
        w.WriteString("handle", Hex(value));
        w.WriteString("slot", Hex(value & ~(nint)1));
        WriteTypesAndAddresses(w, path);
        w.WriteEndObject();
    }

    static void BeginRootCase(Utf8JsonWriter w, string name, nint address, Type type, string? sameAs, params string[] kinds)
    {
        w.WriteStartObject(name);
        w.WriteString("address", Hex(address));
        w.WriteString("type", CsName(type));
        if (sameAs is not null) w.WriteString("sameAs", sameAs);
        w.WriteStartArray("rootKinds");
        foreach (var k in kinds) w.WriteStringValue(k);
        w.WriteEndArray();
    }

    static nint SlotOf<T>(ref T field) where T : class? => (nint)Unsafe.AsPointer(ref field);

    static void WriteGcRoot(Utf8JsonWriter w)
    {
        w.WriteStartObject("gcroot");

        // static RootHolder.First -> ChainA -> ChainB -> ChainC.
        var a = RootHolder.First!;
        var b = a.Next!;
        var c = b.Next!;
        BeginRootCase(w, "staticChain", AddressOf(c), c.GetType(), null, "static");
        w.WriteStartArray("roots");
        WriteStaticRoot(w, "HeapShapes.RootHolder.First", SlotOf(ref RootHolder.First), a, b, c);
        w.WriteEndArray();
        w.WriteEndObject();

        // A strong handle only.
        var handleOnly = s_normalHandle.Target!;
        BeginRootCase(w, "handleOnly", AddressOf(handleOnly), handleOnly.GetType(), "handles.targets.normal", "handle strong");
        w.WriteStartArray("roots");
        WriteHandleRoot(w, "handle strong", s_normalHandle, handleOnly);
        w.WriteEndArray();
        w.WriteEndObject();

        // A strong handle and a static.
        var two = RootHolder.TwoRooted!;
        BeginRootCase(w, "twoRoots", AddressOf(two), two.GetType(), null, "handle strong", "static");
        w.WriteStartArray("roots");
        WriteHandleRoot(w, "handle strong", s_twoRootsHandle, two);
        WriteStaticRoot(w, "HeapShapes.RootHolder.TwoRooted", SlotOf(ref RootHolder.TwoRooted), two);
        w.WriteEndArray();
        w.WriteEndObject();

        // A local of the blocked StackHolderThread.
        if (s_stackObjectAddress != 0)
        {
            BeginRootCase(w, "stackOnly", s_stackObjectAddress, typeof(StackOnly), "threads.StackHolderThread.stackObjectAddress", "stack");
            w.WriteStartArray("roots");
            w.WriteStartObject();
            w.WriteString("kind", "stack");
            w.WriteString("thread", "StackHolderThread");
            w.WriteNumber("managedId", s_stackManagedId);
            w.WriteNumber("osId", s_stackOsId);
            w.WriteStartArray("chain");
            w.WriteStringValue(CsName(typeof(StackOnly)));
            w.WriteEndArray();
            w.WriteStartArray("path");
            w.WriteStringValue(Hex(s_stackObjectAddress));
            w.WriteEndArray();
            // The JIT may keep the local in more than one stack slot of the
            // frame (seen: two adjacent slots); all of them are on this thread.
            w.WriteBoolean("slotsMayRepeat", true);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }

        // One of the 50 f-reachable Finalizables (the finalizer thread is blocked).
        object? doomed = s_doomedTrack[0].IsAllocated ? s_doomedTrack[0].Target : null;
        if (doomed is not null)
        {
            BeginRootCase(w, "freachable", AddressOf(doomed), doomed.GetType(), "dumpheap.liveRoots[freachableFinalizable]", "finalizer queue");
            w.WriteNumber("id", ((Finalizable)doomed).Id);
            w.WriteStartArray("roots");
            w.WriteStartObject();
            w.WriteString("kind", "finalizer queue");
            WriteTypesAndAddresses(w, new[] { doomed });
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }

        // A CwtValue: only its key's dependent handle keeps it alive; the key
        // is held by static CwtHolder.Keys (List<CwtKey> -> CwtKey[] -> key).
        var key0 = CwtHolder.Keys[0];
        object? keyItems = typeof(List<CwtKey>).GetField("_items", BindingFlags.NonPublic | BindingFlags.Instance)?.GetValue(CwtHolder.Keys);
        if (CwtHolder.Table.TryGetValue(key0, out var value0) && keyItems is not null)
        {
            BeginRootCase(w, "dependent", AddressOf(value0), value0.GetType(), "dumpheap.liveRoots[cwtValue0]", "static");
            w.WriteString("key", Hex(AddressOf(key0)));
            w.WriteString("keyType", CsName(typeof(CwtKey)));
            w.WriteString("value", Hex(AddressOf(value0)));
            nint dh = CwtDependentHandles().TryGetValue(key0, out var hv) ? hv : 0;
            if (dh != 0) w.WriteString("dependentHandle", Hex(dh)); else w.WriteNull("dependentHandle");
            w.WriteNumber("dependentEdgeIndex", 3); // chain[3] is reached from chain[2] through the dependent handle
            w.WriteStartArray("roots");
            WriteStaticRoot(w, "HeapShapes.CwtHolder.Keys", SlotOf(ref CwtHolder.Keys), CwtHolder.Keys, keyItems, key0, value0);
            w.WriteEndArray();
            w.WriteEndObject();
        }

        // Held by a static; a short and a long weak handle point to it too,
        // but weak handles are not roots.
        var watched = RootHolder.Watched!;
        BeginRootCase(w, "weakNotRoot", AddressOf(watched), watched.GetType(), null, "static");
        w.WriteStartArray("roots");
        WriteStaticRoot(w, "HeapShapes.RootHolder.Watched", SlotOf(ref RootHolder.Watched), watched);
        w.WriteEndArray();
        w.WriteStartArray("notRoots");
        foreach (var (kind, h) in new[] { ("handle weak short", s_watchedWeakHandle), ("handle weak long", s_watchedLongHandle) })
        {
            w.WriteStartObject();
            w.WriteString("kind", kind);
            w.WriteString("handle", Hex(GCHandle.ToIntPtr(h)));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();

        // A field of a struct element of an array.
        var entries = EntryHolder.Entries;
        var payload = entries[2].Payload!;
        BeginRootCase(w, "structArray", AddressOf(payload), payload.GetType(), null, "static");
        w.WriteStartArray("roots");
        WriteStaticRoot(w, "HeapShapes.EntryHolder.Entries", SlotOf(ref EntryHolder.Entries), entries, payload);
        w.WriteEndArray();
        w.WriteEndObject();

        // The second subscriber of an event with three: the multicast
        // delegate keeps its targets through its invocation list.
        var source = PublisherHolder.Source!;
        var handlers = source.Subscribers();
        var subscriber = handlers[1].Target!;
        object? multicast = typeof(Publisher).GetField("Changed", BindingFlags.NonPublic | BindingFlags.Instance)?.GetValue(source);
        object? invocationList = multicast is null ? null
            : typeof(MulticastDelegate).GetField("_invocationList", BindingFlags.NonPublic | BindingFlags.Instance)?.GetValue(multicast);
        if (multicast is not null && invocationList is not null)
        {
            BeginRootCase(w, "eventDelegate", AddressOf(subscriber), subscriber.GetType(), null, "static");
            w.WriteStartArray("roots");
            WriteStaticRoot(w, "HeapShapes.PublisherHolder.Source", SlotOf(ref PublisherHolder.Source), source, multicast, invocationList, handlers[1], subscriber);
            w.WriteEndArray();
            w.WriteEndObject();
        }

        // A pinned handle's byte[].
        var pinnedArray = s_pinnedHandle.Target!;
        BeginRootCase(w, "pinnedHandle", AddressOf(pinnedArray), pinnedArray.GetType(), "handles.targets.pinned", "handle pinned");
        w.WriteStartArray("roots");
        WriteHandleRoot(w, "handle pinned", s_pinnedHandle, pinnedArray);
        w.WriteEndArray();
        w.WriteEndObject();

        // Garbage: the last DeadObject allocated (nothing references it).
        if (s_deadHeadAddress != 0)
        {
            BeginRootCase(w, "unrooted", s_deadHeadAddress, typeof(DeadObject), null);
            w.WriteNumber("id", s_deadHeadId);
            w.WriteStartArray("roots");
            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    // objsize: a reflection walk over instance reference fields and array
    // elements (no dependent handles), as the GC sees references.
    static readonly Dictionary<Type, FieldInfo[]> s_refFields = new();

    static FieldInfo[] RefFieldsOf(Type t)
    {
        if (s_refFields.TryGetValue(t, out var cached)) return cached;
        var list = new List<FieldInfo>();
        for (Type? c = t; c is not null; c = c.BaseType)
        {
            foreach (var f in c.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                Type ft = f.FieldType;
                if (ft.IsPointer || ft.IsFunctionPointer) continue;
                if (!ft.IsValueType) list.Add(f);
                else if (!ft.IsPrimitive && !ft.IsEnum)
                    Info("WARNING: objsize walk: struct field " + t.Name + "." + f.Name + " is not followed");
            }
        }
        return s_refFields[t] = list.ToArray();
    }

    static void WriteObjSize(Utf8JsonWriter w, string name, object root, string note, params Type[] allowed)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var todo = new Stack<object>();
        var order = new List<object>();
        todo.Push(root);
        while (todo.Count > 0)
        {
            object o = todo.Pop();
            if (!seen.Add(o)) continue;
            order.Add(o);
            if (o is string) continue;
            if (o is Array arr)
            {
                Type e = arr.GetType().GetElementType()!;
                if (!e.IsValueType)
                {
                    foreach (object? x in arr)
                        if (x is not null) todo.Push(x);
                }
                else if (!e.IsPrimitive && !e.IsEnum)
                {
                    Info("WARNING: objsize walk: struct array " + CsName(arr.GetType()) + " is not followed");
                }
                continue;
            }
            foreach (var f in RefFieldsOf(o.GetType()))
                if (f.GetValue(o) is object x) todo.Push(x);
        }

        long total = 0;
        var byType = new SortedDictionary<string, (long count, long size)>(StringComparer.Ordinal);
        foreach (var o in order)
        {
            long size = ObjectSize(o);
            total += size;
            string tn = CsName(o.GetType());
            var cur = byType.GetValueOrDefault(tn);
            byType[tn] = (cur.count + 1, cur.size + size);
            if (GC.GetGeneration(o) == int.MaxValue || Array.IndexOf(allowed, o.GetType()) < 0)
                Info("WARNING: objsize " + name + " reaches a " + tn + (GC.GetGeneration(o) == int.MaxValue ? " on the frozen heap" : "") + " it should not");
        }

        w.WriteStartObject(name);
        w.WriteString("address", Hex(AddressOf(root)));
        w.WriteString("type", CsName(root.GetType()));
        w.WriteNumber("count", order.Count);
        w.WriteNumber("totalSize", total);
        w.WriteString("note", note);
        w.WriteStartObject("types");
        foreach (var (tn, (count, size)) in byType)
        {
            w.WriteStartObject(tn);
            w.WriteNumber("count", count);
            w.WriteNumber("totalSize", size);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        if (order.Count <= 16)
        {
            var objs = order.Select(o => (address: AddressOf(o), type: CsName(o.GetType()), size: ObjectSize(o))).OrderBy(x => x.address).ToList();
            w.WriteStartArray("objects");
            foreach (var (address, type, size) in objs)
            {
                w.WriteStartObject();
                w.WriteString("address", Hex(address));
                w.WriteString("type", type);
                w.WriteNumber("size", size);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    static void WriteFinalizeQueue(Utf8JsonWriter w)
    {
        w.WriteStartObject("finalizeQueue");
        w.WriteString("type", CsName(typeof(Finalizable)));
        // Not ready (registered, still reachable): the 100 live Finalizables.
        var live = FinalizableHolder.Live.Select(AddressOf).OrderBy(x => x).ToList();
        // Ready for finalization (the f-reachable queue): the 50 doomed ones.
        var ready = s_doomedTrack.Where(h => h.IsAllocated).Select(h => h.Target).Where(t => t is not null)
            .Select(t => AddressOf(t!)).OrderBy(x => x).ToList();
        // Everything of this type in the finalization queue, ready ones included.
        w.WriteNumber("total", live.Count + ready.Count);
        w.WriteNumber("notReady", live.Count);
        w.WriteStartObject("notReadyGenerations");
        // Counted by hand: GroupBy would allocate Finalizable[] buffers after
        // the final GC, which the "dumpheap" truth says do not exist.
        int[] perGen = new int[3];
        foreach (var f in FinalizableHolder.Live)
            perGen[Math.Min(GC.GetGeneration(f), 2)]++;
        for (int gen = 0; gen < 3; gen++)
            if (perGen[gen] > 0)
                w.WriteNumber(s_heapNames[gen], perGen[gen]);
        w.WriteEndObject();
        w.WriteStartArray("notReadyAddresses");
        foreach (var x in live) w.WriteStringValue(Hex(x));
        w.WriteEndArray();
        w.WriteNumber("ready", ready.Count);
        w.WriteStartArray("readyAddresses");
        foreach (var x in ready) w.WriteStringValue(Hex(x));
        w.WriteEndArray();
        // The FinalizerBlocker's finalizer is running (blocked): it was taken off
        // the f-reachable queue, so it is in neither list.
        object? blocker = s_blockerTrack.IsAllocated ? s_blockerTrack.Target : null;
        w.WriteStartObject("running");
        w.WriteString("type", CsName(typeof(FinalizerBlocker)));
        if (blocker is null) w.WriteNull("address"); else w.WriteString("address", Hex(AddressOf(blocker)));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    static void WriteRoots(Utf8JsonWriter w)
    {
        w.WriteStartObject("roots");

        w.WriteStartObject("objsize");
        var tree = ObjSizeHolder.TreeRoot!;
        Type[] treeTypes = { typeof(Tree), typeof(byte[]), typeof(string) };
        WriteObjSize(w, "tree", tree, "63 Tree nodes + 63 byte[] + 63 strings", treeTypes);
        WriteObjSize(w, "subtree", tree.Left!, "the root's left subtree: 31 nodes (no parent links)", treeTypes);
        WriteObjSize(w, "ring", ObjSizeHolder.RingEntry!, "a 5-cycle of Ring + the shared RingHub: each counted once",
            typeof(Ring), typeof(RingHub));
        WriteObjSize(w, "sparse", ObjSizeHolder.SparseRoot!, "null fields; object[4] {null, leaf, null, leaf}",
            typeof(Sparse), typeof(object[]), typeof(SparseLeaf));
        WriteObjSize(w, "cwtKeys", CwtHolder.Keys, "List<CwtKey>, its CwtKey[] and 10 keys; no CwtValue (dependent handles are not followed)",
            typeof(List<CwtKey>), typeof(CwtKey[]), typeof(CwtKey));
        WriteObjSize(w, "cwtKey0", CwtHolder.Keys[0], "one key alone: its value hangs off a dependent handle",
            typeof(CwtKey));
        w.WriteEndObject();

        WriteGcRoot(w);
        WriteFinalizeQueue(w);
        w.WriteEndObject();
    }

    // ------------------------------------------------------ dumpheap truth
    //
    // Every instance of every listed type, tallied from references the
    // program holds (or from what it recorded when it allocated the garbage),
    // with sizes computed as the GC computes them and heaps from
    // GC.GetGeneration. Only framework types are allocated here (no instance
    // of a listed type), so building the truth does not change what it says.

    static readonly string[] s_heapNames = { "gen0", "gen1", "gen2", "loh", "poh", "foh" };
    const int MaxListedObjects = 16;
    // Per type: [0] count, [1] total size, [2] live, [3] dead, [4..9] per heap, [10] min address, [11] max address.
    static Dictionary<Type, long[]>? s_tally;
    static List<Type>? s_tallyOrder;
    static Dictionary<Type, List<(nint address, long size, int heap, bool live)>?>? s_tallyObjects;
    static long s_lohThreshold = 85000;

    static uint MtFlags(Type t) => *(uint*)MethodTableOf(t);

    static int ComponentSizeOf(Type t) => (MtFlags(t) & 0x80000000u) != 0 ? (int)(MtFlags(t) & 0xFFFF) : 0;

    static long AlignObjectSize(long size)
    {
        long align = IntPtr.Size; // 8 on 64-bit
        size = (size + align - 1) & ~(align - 1);
        return Math.Max(size, 3L * IntPtr.Size); // min object: header + MT + one pointer-sized slot
    }

    /// <summary>The object's size as the GC computes it.</summary>
    static long ObjectSize(object o)
    {
        Type t = o.GetType();
        long size = BaseSizeOf(t);
        int comp = ComponentSizeOf(t);
        if (comp != 0)
        {
            long n = o is string s ? s.Length : o is Array a ? a.LongLength : 0;
            size += n * comp;
        }
        return AlignObjectSize(size);
    }

    /// <summary>0 gen0, 1 gen1, 2 gen2, 3 loh, 4 poh, 5 foh.</summary>
    static int HeapIndex(object o, long size, bool allocatedPinned)
    {
        int g = GC.GetGeneration(o);
        if (g == int.MaxValue) return 5;
        if (allocatedPinned) return 4;
        if (size >= s_lohThreshold) return 3;
        return Math.Min(g, 2);
    }

    static void Declare(Type t)
    {
        if (s_tally!.ContainsKey(t)) return;
        var a = new long[12];
        a[10] = long.MaxValue;
        s_tally[t] = a;
        s_tallyOrder!.Add(t);
        s_tallyObjects![t] = new List<(nint, long, int, bool)>();
    }

    static void TallyRaw(Type t, nint address, long size, int heap, bool live, long count = 1, nint maxAddress = 0)
    {
        if (count <= 0) return;
        Declare(t);
        var a = s_tally![t];
        a[0] += count;
        a[1] += size * count;
        a[live ? 2 : 3] += count;
        a[4 + heap] += count;
        if (address < a[10]) a[10] = address;
        if (Math.Max(address, maxAddress) > a[11]) a[11] = Math.Max(address, maxAddress);
        var list = s_tallyObjects![t];
        if (list is not null)
        {
            if (a[0] > MaxListedObjects) s_tallyObjects[t] = null;
            else list.Add((address, size, heap, live));
        }
    }

    static void TallyObject(object? o, bool live, bool allocatedPinned = false)
    {
        if (o is null) return;
        long size = ObjectSize(o);
        TallyRaw(o.GetType(), AddressOf(o), size, HeapIndex(o, size, allocatedPinned), live);
    }

    static void TallyDead(Type t, int[] heaps, nint[] range)
    {
        long size = AlignObjectSize(BaseSizeOf(t));
        for (int h = 0; h < heaps.Length; h++)
            TallyRaw(t, range[0], size, h, live: false, count: heaps[h], maxAddress: range[1]);
    }

    /// <summary>A List&lt;T&gt;, its backing array, and List&lt;T&gt;'s shared empty array (all live).</summary>
    static void TallyList<T>(List<T> list)
    {
        TallyObject(list, live: true);
        const BindingFlags Instance = BindingFlags.NonPublic | BindingFlags.Instance;
        const BindingFlags Static = BindingFlags.NonPublic | BindingFlags.Static;
        object? items = typeof(List<T>).GetField("_items", Instance)?.GetValue(list);
        if (items is null)
            Info("WARNING: List<T>._items not found; dumpheap counts of " + CsName(typeof(T[])) + " are incomplete");
        TallyObject(items, live: true);
        // `new List<T>()` (and capacity 0) use a static empty T[] that lives forever.
        object? empty = typeof(List<T>).GetField("s_emptyArray", Static)?.GetValue(null);
        if (empty is not null && !ReferenceEquals(empty, items))
            TallyObject(empty, live: true);
    }

    static void WriteDumpheap(Utf8JsonWriter w, bool gcSince)
    {
        var gcConfig = GC.GetConfigurationVariables();
        if (gcConfig.TryGetValue("LOHThreshold", out var lohT) && lohT is not null)
        {
            long v = Convert.ToInt64(lohT, System.Globalization.CultureInfo.InvariantCulture);
            if (v > 0) s_lohThreshold = v;
        }
        s_tally = new Dictionary<Type, long[]>();
        s_tallyOrder = new List<Type>();
        s_tallyObjects = new Dictionary<Type, List<(nint, long, int, bool)>?>();

        // Listed types, in output order (types with no instance are listed too).
        Type[] listed =
        {
            typeof(Customer), typeof(Customer[]), typeof(List<Customer>),
            typeof(Pair[]),
            typeof(StackOnly), typeof(HandleOnly), typeof(WeakOnly),
            typeof(CwtKey), typeof(CwtKey[]), typeof(List<CwtKey>), typeof(CwtValue),
            typeof(ConditionalWeakTable<CwtKey, CwtValue>),
            typeof(Finalizable), typeof(Finalizable[]), typeof(List<Finalizable>),
            typeof(FinalizerBlocker),
            typeof(DeadObject), typeof(DeadChild),
            typeof(Box<int>), typeof(Box<string>),
            typeof(Outer), typeof(Outer.Inner),
            typeof(int[,]),
            typeof(Blob[]),
        };
        foreach (var t in listed) Declare(t);

        // 1. Customers and their list (+ backing array, + List<Customer>'s empty array).
        var customers = CustomerCache.Items;
        for (int i = 0; i < customers.Count; i++) TallyObject(customers[i], live: true);
        TallyList(customers);
        // 2. Pair[500] and Array.Empty<Pair>() (PairHolder's initial value; lives forever).
        TallyObject(PairHolder.Pairs, live: true);
        if (!ReferenceEquals(Array.Empty<Pair>(), PairHolder.Pairs))
            TallyObject(Array.Empty<Pair>(), live: true);
        // 3. Stack, handles.
        if (s_stackObjectAddress != 0 && s_stackObjectGeneration >= 0)
            TallyRaw(typeof(StackOnly), s_stackObjectAddress, AlignObjectSize(BaseSizeOf(typeof(StackOnly))),
                Math.Min(s_stackObjectGeneration, 2), live: true);
        TallyObject(s_normalHandle.Target, live: true);
        TallyObject(s_weakHandle.Target, live: false); // null: collected
        // 4. ConditionalWeakTable: keys (static list), values (dependent handles), the table.
        foreach (var k in CwtHolder.Keys)
        {
            TallyObject(k, live: true);
            if (CwtHolder.Table.TryGetValue(k, out var v)) TallyObject(v, live: true);
        }
        TallyList(CwtHolder.Keys);
        TallyObject(CwtHolder.Table, live: true);
        // 5. Finalization: live list, the f-reachable doomed ones, the blocker.
        foreach (var f in FinalizableHolder.Live) TallyObject(f, live: true);
        TallyList(FinalizableHolder.Live);
        foreach (var h in s_doomedTrack)
            if (h.IsAllocated) TallyObject(h.Target, live: true);
        if (s_blockerTrack.IsAllocated) TallyObject(s_blockerTrack.Target, live: true);
        // 5a. The struct array and the event's subscribers (the delegates
        // are System types, not listed).
        TallyObject(EntryHolder.Entries, live: true);
        if (!ReferenceEquals(Array.Empty<StructEntry>(), EntryHolder.Entries))
            TallyObject(Array.Empty<StructEntry>(), live: true); // EntryHolder's initial value; lives forever
        foreach (var e in EntryHolder.Entries) TallyObject(e.Payload, live: true);
        TallyObject(PublisherHolder.Source, live: true);
        foreach (var d in PublisherHolder.Source!.Subscribers()) TallyObject(d.Target, live: true);
        // 5b. Rooted only by LockHolderThread's [ThreadStatic] field.
        if (s_threadStaticTrack.IsAllocated) TallyObject(s_threadStaticTrack.Target, live: true);
        // 6. Garbage, allocated after the final GC.
        TallyDead(typeof(DeadObject), s_deadObjectHeaps, s_deadObjectRange);
        TallyDead(typeof(DeadChild), s_deadChildHeaps, s_deadChildRange);
        // 7. dumpheap shapes.
        foreach (var o in ShapeHolder.Boxes!) TallyObject(o, live: true);
        foreach (var o in ShapeHolder.Nested!) TallyObject(o, live: true);
        TallyObject(ShapeHolder.Grid, live: true);
        foreach (var o in ShapeHolder.Blobs!) TallyObject(o, live: true);

        w.WriteStartObject("dumpheap");
        w.WriteString("stringMT", Hex(MethodTableOf(typeof(string))));
        w.WriteNumber("stringBaseSize", BaseSizeOf(typeof(string)));
        w.WriteNumber("stringComponentSize", ComponentSizeOf(typeof(string)));
        w.WriteString("objectMT", Hex(MethodTableOf(typeof(object))));
        w.WriteNumber("objectBaseSize", BaseSizeOf(typeof(object)));
        w.WriteNumber("lohThreshold", s_lohThreshold);
        w.WriteNumber("minObjectSize", 3 * IntPtr.Size);
        w.WriteNumber("objectAlignment", IntPtr.Size);
        w.WriteBoolean("stale", gcSince);

        w.WriteStartObject("types");
        foreach (var t in s_tallyOrder)
        {
            var a = s_tally[t];
            w.WriteStartObject(CsName(t));
            w.WriteString("mt", Hex(MethodTableOf(t)));
            w.WriteNumber("baseSize", BaseSizeOf(t));
            w.WriteNumber("componentSize", ComponentSizeOf(t));
            w.WriteNumber("count", a[0]);
            w.WriteNumber("totalSize", a[1]);
            w.WriteNumber("live", a[2]);
            w.WriteNumber("dead", a[3]);
            w.WriteStartObject("gens");
            for (int h = 0; h < s_heapNames.Length; h++) w.WriteNumber(s_heapNames[h], a[4 + h]);
            w.WriteEndObject();
            if (a[0] > 0)
            {
                w.WriteString("minAddress", Hex((nint)a[10]));
                w.WriteString("maxAddress", Hex((nint)a[11]));
            }
            else
            {
                w.WriteNull("minAddress");
                w.WriteNull("maxAddress");
            }
            var objs = s_tallyObjects[t];
            if (objs is not null)
            {
                objs.Sort((x, y) => x.address.CompareTo(y.address));
                w.WriteStartArray("objects");
                foreach (var (address, size, heap, live) in objs)
                {
                    w.WriteStartObject();
                    w.WriteString("address", Hex(address));
                    w.WriteNumber("size", size);
                    w.WriteString("gen", s_heapNames[heap]);
                    w.WriteBoolean("live", live);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();

        // Types on the heap whose names contain "HeapShapes" but that are not
        // listed above (their instance counts are framework/compiler details).
        w.WriteStartArray("unlisted");
        string cwt = CsName(typeof(ConditionalWeakTable<CwtKey, CwtValue>));
        w.WriteStringValue(cwt + "+Container");
        w.WriteStringValue(cwt + "+Entry[]");
        w.WriteStringValue("HeapShapes.Program+<>c");
        w.WriteEndArray();

        WriteLiveRoots(w);
        w.WriteEndObject();

        s_tally = null;
        s_tallyOrder = null;
        s_tallyObjects = null;
    }

    static void WriteRoot(Utf8JsonWriter w, string name, object target, string root, params object[] path)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("type", CsName(target.GetType()));
        w.WriteString("address", Hex(AddressOf(target)));
        w.WriteString("root", root);
        w.WriteBoolean("direct", path.Length <= 1);
        // Object addresses from the one the root references to the target.
        w.WriteStartArray("path");
        foreach (var o in path) w.WriteStringValue(Hex(AddressOf(o)));
        if (path.Length == 0) w.WriteStringValue(Hex(AddressOf(target)));
        w.WriteEndArray();
    }

    static void WriteLiveRoots(Utf8JsonWriter w)
    {
        w.WriteStartArray("liveRoots");
        var list = CustomerCache.Items;
        object? items = typeof(List<Customer>).GetField("_items", BindingFlags.NonPublic | BindingFlags.Instance)?.GetValue(list);

        WriteRoot(w, "customerList", list, "static HeapShapes.CustomerCache.Items");
        w.WriteEndObject();

        if (items is not null)
            WriteRoot(w, "firstCustomer", list[0], "static HeapShapes.CustomerCache.Items", list, items, list[0]);
        else
            WriteRoot(w, "firstCustomer", list[0], "static HeapShapes.CustomerCache.Items", list, list[0]);
        w.WriteEndObject();

        WriteRoot(w, "boxInt0", ShapeHolder.Boxes![0], "static HeapShapes.ShapeHolder.Boxes", ShapeHolder.Boxes, ShapeHolder.Boxes[0]);
        w.WriteEndObject();

        WriteRoot(w, "handleOnly", s_normalHandle.Target!, "handle strong");
        w.WriteString("handle", Hex(GCHandle.ToIntPtr(s_normalHandle)));
        w.WriteEndObject();

        WriteRoot(w, "pinnedHandleArray", s_pinnedHandle.Target!, "handle pinned");
        w.WriteString("handle", Hex(GCHandle.ToIntPtr(s_pinnedHandle)));
        w.WriteString("handleSlot", Hex(GCHandle.ToIntPtr(s_pinnedHandle) & ~(nint)1));
        w.WriteEndObject();

        if (s_stackObjectAddress != 0)
        {
            w.WriteStartObject();
            w.WriteString("name", "stackOnly");
            w.WriteString("type", CsName(typeof(StackOnly)));
            w.WriteString("address", Hex(s_stackObjectAddress));
            w.WriteString("root", "stack StackHolderThread");
            w.WriteBoolean("direct", true);
            w.WriteStartArray("path");
            w.WriteStringValue(Hex(s_stackObjectAddress));
            w.WriteEndArray();
            w.WriteNumber("osId", s_stackOsId);
            w.WriteNumber("managedId", s_stackManagedId);
            w.WriteEndObject();
        }

        object? doomed = s_doomedTrack[0].IsAllocated ? s_doomedTrack[0].Target : null;
        if (doomed is not null)
        {
            WriteRoot(w, "freachableFinalizable", doomed, "finalizer queue");
            w.WriteNumber("id", ((Finalizable)doomed).Id);
            w.WriteEndObject();
        }

        var key0 = CwtHolder.Keys[0];
        if (CwtHolder.Table.TryGetValue(key0, out var value0))
        {
            WriteRoot(w, "cwtValue0", value0, "dependent handle");
            w.WriteString("primary", Hex(AddressOf(key0)));
            w.WriteString("primaryRoot", "static HeapShapes.CwtHolder.Keys");
            w.WriteEndObject();
        }

        object? blocker = s_blockerTrack.IsAllocated ? s_blockerTrack.Target : null;
        if (blocker is not null)
        {
            WriteRoot(w, "finalizerBlocker", blocker, "stack finalizer thread");
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    static void WriteStatic(Utf8JsonWriter w, string field, object value, int count)
    {
        w.WriteStartObject(field);
        w.WriteString("type", CsName(value.GetType()));
        w.WriteString("clrType", ClrName(value.GetType()));
        w.WriteString("address", Hex(AddressOf(value)));
        w.WriteNumber("count", count);
        w.WriteEndObject();
    }
}
