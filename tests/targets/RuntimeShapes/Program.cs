// RuntimeShapes: runtime structures with known contents, for syncblk,
// threadpool, threadpoolqueue, timerinfo, clrmodules, dumpruntimetypes and
// dumpalc. It sets up:
//   - LockCount threads, thread i holding a lock on its own LockTarget with
//     recursion i + 1; each object's hash code is taken first, so the lock
//     lives in a sync block (a thin lock would not); one more LockTarget
//     whose sync block is not held (locked once and released);
//   - TimerCount timers with known due times, periods and state strings;
//   - a thread pool of ProcessorCount + 1 workers (its minimum and maximum),
//     each blocked in a work item, and QueuedCount QueuedWork items, a Task
//     and a QueueUserWorkItem callback queued;
//   - a Reflection.Emit (dynamic) module;
//   - with the argument "oom": one failed large allocation (run it under a
//     GC heap hard limit), so the GC has an out-of-memory record;
//   - an object of a type loaded again into a collectible
//     AssemblyLoadContext named "clrsos-alc";
// then does its last compacting GCs and prints "TRUTH {json}" (addresses,
// OS thread ids, recursion counts, timers, assemblies) and "READY", and waits.

using System.Reflection;
using System.Reflection.Emit;
using System.Runtime;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using System.Text;
using System.Text.Json;

namespace RuntimeShapes;

public sealed class LockTarget
{
    public int Id;
}

public sealed class TimerState
{
    public string Name = "";
}

public sealed class QueuedWork : IThreadPoolWorkItem
{
    public int Id;
    public void Execute()
    {
    }
}

public sealed class AlcResident
{
    public int Value = 42;
}

public static class Program
{
    const int LockCount = 3;
    const int TimerCount = 4;
    const int QueuedCount = 5;

    static readonly LockTarget[] s_locks = new LockTarget[LockCount];
    static LockTarget? s_freeLock;
    static readonly int[] s_lockOsIds = new int[LockCount];
    static readonly int[] s_lockManagedIds = new int[LockCount];
    static readonly List<Timer> s_timers = new();
    static readonly List<TimerState> s_timerStates = new();
    static readonly ManualResetEvent s_never = new(false);
    static object? s_alcObject;
    static AssemblyLoadContext? s_alc;
    static AssemblyBuilder? s_dynamic;
    static Type? s_dynamicType;
    static byte[]? s_oomVictim;

    [DllImport("libc", EntryPoint = "gettid")]
    static extern int libc_gettid();

    static nint AddressOf(object o) => Unsafe.As<object, nint>(ref o);

    static string Hex(nint a) => ((ulong)a).ToString("x");

    public static void TimerTick(object? state)
    {
    }

    static Task? s_queuedTask;

    public static void TaskBody()
    {
    }

    public static void WorkBody(object? state)
    {
    }

    static void HoldLock(int index, CountdownEvent ready)
    {
        s_lockOsIds[index] = libc_gettid();
        s_lockManagedIds[index] = Environment.CurrentManagedThreadId;
        LockTarget target = s_locks[index];
        for (int i = 0; i <= index; i++)
            Monitor.Enter(target);
        ready.Signal();
        s_never.WaitOne();
    }

    public static int Main(string[] args)
    {
        // "oom": fail one large allocation first (run under a GC heap hard limit), so the GC records an OOM.
        bool oom = false;
        if (args.Length > 0 && args[0] == "oom")
        {
            try
            {
                s_oomVictim = new byte[1L << 30];
            }
            catch (OutOfMemoryException)
            {
                oom = true;
            }
        }
        for (int i = 0; i < LockCount; i++)
        {
            s_locks[i] = new LockTarget { Id = i };
            RuntimeHelpers.GetHashCode(s_locks[i]); // a hash in the header: the lock takes a sync block
        }
        s_freeLock = new LockTarget { Id = -1 };
        RuntimeHelpers.GetHashCode(s_freeLock);
        lock (s_freeLock)
        {
        }

        var ready = new CountdownEvent(LockCount);
        for (int i = 0; i < LockCount; i++)
        {
            int index = i;
            var t = new Thread(() => HoldLock(index, ready)) { IsBackground = true, Name = "lock-holder-" + i };
            t.Start();
        }
        ready.Wait();

        for (int i = 0; i < TimerCount; i++)
        {
            var state = new TimerState { Name = "timer-state-" + i };
            s_timerStates.Add(state);
            // Due in hours, so none fires while a test looks.
            s_timers.Add(new Timer(TimerTick, state, TimeSpan.FromHours(1 + i), TimeSpan.FromMilliseconds(1000 * (i + 1))));
        }

        // The thread pool: PoolWorkers workers, every one blocked in a work item, so that
        // QueuedCount more items stay queued in the global queue.
        int poolWorkers = Environment.ProcessorCount + 1;
        ThreadPool.GetMinThreads(out _, out int minIo);
        ThreadPool.GetMaxThreads(out _, out int maxIo);
        bool limits = ThreadPool.SetMaxThreads(poolWorkers, maxIo) && ThreadPool.SetMinThreads(poolWorkers, minIo);
        var started = new CountdownEvent(poolWorkers);
        for (int i = 0; i < poolWorkers; i++)
            ThreadPool.UnsafeQueueUserWorkItem(_ => { started.Signal(); s_never.WaitOne(); }, null);
        started.Wait();
        for (int i = 0; i < QueuedCount; i++)
            ThreadPool.UnsafeQueueUserWorkItem(new QueuedWork { Id = i }, preferLocal: false);
        s_queuedTask = new Task(TaskBody);
        s_queuedTask.Start(); // a Task in the global queue
        ThreadPool.QueueUserWorkItem(WorkBody); // a QueueUserWorkItemCallback

        s_dynamic = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("RuntimeShapesDynamic"), AssemblyBuilderAccess.Run);
        ModuleBuilder mb = s_dynamic.DefineDynamicModule("RuntimeShapesDynamicModule");
        s_dynamicType = mb.DefineType("RuntimeShapesDynamicType", TypeAttributes.Public).CreateType();

        s_alc = new AssemblyLoadContext("clrsos-alc", isCollectible: true);
        Assembly again = s_alc.LoadFromAssemblyPath(typeof(Program).Assembly.Location);
        s_alcObject = Activator.CreateInstance(again.GetType("RuntimeShapes.AlcResident")!);

        for (int i = 0; i < 2; i++)
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);

        var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteNumber("pid", Environment.ProcessId);
            w.WriteBoolean("serverGC", GCSettings.IsServerGC);
            w.WriteBoolean("oom", oom);
            w.WriteString("runtimeVersion", Environment.Version.ToString());
            w.WriteString("runtimeDirectory", RuntimeEnvironment.GetRuntimeDirectory());
            ThreadPool.GetMinThreads(out int minWorkers, out _);
            ThreadPool.GetMaxThreads(out int maxWorkers, out _);
            w.WriteStartObject("threadPool");
            w.WriteBoolean("limitsSet", limits);
            w.WriteNumber("minWorkers", minWorkers);
            w.WriteNumber("maxWorkers", maxWorkers);
            w.WriteNumber("blockedWorkers", poolWorkers);
            w.WriteNumber("threadCount", ThreadPool.ThreadCount);
            w.WriteNumber("pendingWorkItems", ThreadPool.PendingWorkItemCount);
            w.WriteNumber("queued", QueuedCount);
            w.WriteString("queuedTask", Hex(AddressOf(s_queuedTask!)));
            w.WriteEndObject();
            w.WriteStartArray("locks");
            for (int i = 0; i < LockCount; i++)
            {
                w.WriteStartObject();
                w.WriteString("address", Hex(AddressOf(s_locks[i])));
                w.WriteNumber("recursion", i + 1);
                w.WriteNumber("osThreadId", s_lockOsIds[i]);
                w.WriteNumber("managedThreadId", s_lockManagedIds[i]);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("freeLock", Hex(AddressOf(s_freeLock)));
            w.WriteStartArray("timers");
            for (int i = 0; i < TimerCount; i++)
            {
                w.WriteStartObject();
                w.WriteString("state", Hex(AddressOf(s_timerStates[i])));
                w.WriteString("stateName", s_timerStates[i].Name);
                w.WriteNumber("dueMs", (long)TimeSpan.FromHours(1 + i).TotalMilliseconds);
                w.WriteNumber("periodMs", 1000 * (i + 1));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("assemblies");
            foreach (Assembly a in AppDomain.CurrentDomain.GetAssemblies())
            {
                w.WriteStartObject();
                w.WriteString("name", a.GetName().Name);
                w.WriteString("location", a.IsDynamic ? "" : a.Location);
                w.WriteBoolean("dynamic", a.IsDynamic);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("runtimeTypes");
            foreach (Type t in new[] { typeof(LockTarget), typeof(TimerState), s_dynamicType! })
            {
                w.WriteStartObject();
                w.WriteString("address", Hex(AddressOf(t)));
                w.WriteString("name", t.FullName);
                w.WriteString("mt", Hex(t.TypeHandle.Value));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("alcObject", Hex(AddressOf(s_alcObject!)));
            w.WriteString("alc", Hex(AddressOf(s_alc)));
            w.WriteString("alcName", s_alc.Name);
            w.WriteEndObject();
        }
        Console.Out.WriteLine("TRUTH " + Encoding.UTF8.GetString(ms.ToArray()));
        Console.Out.WriteLine("READY");
        Console.Out.Flush();
        s_never.WaitOne();
        GC.KeepAlive(s_timers);
        return 0;
    }
}
