// Test target for dumpasync: async chains of known shape paused at awaits
// that never finish, and some finished ones.
//
//   AsyncShapes
//
// Starts Chains chains Outer -> Middle -> Inner, Inner awaiting a
// TaskCompletionSource's Task that is never completed (Outer and Middle at
// their second await, state 1; Inner at its first, state 0), Lone awaits of
// Lone (state 0) on another never-completed source,
// SharedA and SharedB (state 0) and a ContinueWith all on one more source,
// Parked (state 0) awaiting a struct awaiter that never completes, and Done chains that
// finished (their boxes completed, their state machines cleared). Prints TRUTH: the state
// machine types, the count of paused boxes per type, each one's state, the
// chain (innermost first), and the counts; then READY, and sleeps.
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AsyncShapes;

/* An awaitable that never completes: it keeps the continuation and never calls it. */
public readonly struct Never : INotifyCompletion
{
    public static readonly List<Action> Parked = new();
    public Never GetAwaiter() => this;
    public bool IsCompleted => false;
    public void OnCompleted(Action continuation) { lock (Parked) Parked.Add(continuation); }
    public void GetResult() { }
}

public static class Program
{
    const int Chains = 3, Lone = 2, Done = 4;
    static readonly List<Task> s_tasks = new();
    static readonly List<TaskCompletionSource<int>> s_sources = new();

    [MethodImpl(MethodImplOptions.NoInlining)]
    static async Task<int> Inner(TaskCompletionSource<int> tcs, int id)
    {
        Interlocked.Increment(ref s_innerStarted);
        int v = await tcs.Task;
        return v + id;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static async Task<int> Middle(TaskCompletionSource<int> tcs, int id)
    {
        await Task.Yield();
        int v = await Inner(tcs, id);
        return v * 2;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static async Task Outer(TaskCompletionSource<int> tcs, int id)
    {
        await Task.Yield();
        int v = await Middle(tcs, id);
        Console.WriteLine(v);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static async Task<string> LoneWait(TaskCompletionSource<int> tcs)
    {
        int v = await tcs.Task;
        return v.ToString();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static async Task Parked()
    {
        await new Never();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static async Task<int> SharedA(Task<int> shared)
    {
        return await shared + 1;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static async Task<int> SharedB(Task<int> shared)
    {
        return await shared + 2;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static async Task<int> Finished(TaskCompletionSource<int> tcs)
    {
        int v = await tcs.Task;
        return v + 1;
    }

    public static void Main()
    {
        for (int i = 0; i < Chains; i++) {
            var tcs = new TaskCompletionSource<int>(TaskCreationOptions.None);
            s_sources.Add(tcs);
            s_tasks.Add(Outer(tcs, i));
        }
        for (int i = 0; i < Lone; i++) {
            var tcs = new TaskCompletionSource<int>(TaskCreationOptions.None);
            s_sources.Add(tcs);
            s_tasks.Add(LoneWait(tcs));
        }
        /* One source awaited by two methods and a ContinueWith: its continuations become a List<object>. */
        var sharedSource = new TaskCompletionSource<int>(TaskCreationOptions.None);
        s_sources.Add(sharedSource);
        s_tasks.Add(SharedA(sharedSource.Task));
        s_tasks.Add(SharedB(sharedSource.Task));
        s_tasks.Add(sharedSource.Task.ContinueWith(t => t.Result));
        /* A box no Task continues to, paused at a struct awaiter: dumpasync shows what it awaits. */
        s_tasks.Add(Parked());
        var done = new List<Task<int>>();
        for (int i = 0; i < Done; i++) {
            var tcs = new TaskCompletionSource<int>(TaskCreationOptions.None);
            var t = Finished(tcs); /* paused: boxed */
            tcs.SetResult(i);      /* then finished */
            done.Add(t);
        }
        Task.WhenAll(done).Wait();
        s_tasks.AddRange(done);
        /* Let every chain reach its final await (the Yields run on the thread pool). */
        for (int spin = 0; spin < 200 && Volatile.Read(ref s_innerStarted) < Chains; spin++)
            Thread.Sleep(50);
        Thread.Sleep(300); /* Middle registers its await just after Inner pauses */
        GC.KeepAlive(s_sources);

        var truth = new JsonObject {
            ["chains"] = Chains,
            ["lone"] = Lone,
            ["done"] = Done,
            ["paused"] = new JsonObject {
                ["Outer"] = Chains, ["Middle"] = Chains, ["Inner"] = Chains, ["LoneWait"] = Lone,
                ["SharedA"] = 1, ["SharedB"] = 1, ["Parked"] = 1,
            },
            /* Parked's stack: its awaiter (the Never struct, in <>u__1) above it. */
            ["parked_awaiter"] = typeof(Never).FullName,
            /* The shared source's Task continues to these (its m_continuationObject a List). */
            ["shared"] = new JsonArray("SharedA", "SharedB", "ContinueWith"),
            ["completed"] = new JsonObject { ["Finished"] = Done },
            ["states"] = new JsonObject {
                ["Outer"] = 1, ["Middle"] = 1, ["Inner"] = 0, ["LoneWait"] = 0, ["SharedA"] = 0, ["SharedB"] = 0, ["Parked"] = 0,
                /* A finished box's StateMachine is cleared (AsyncStateMachineBox.ClearStateUponCompletion): 0. */
                ["Finished"] = 0,
            },
            /* Innermost first: the order dumpasync lists a stack's state machines. */
            ["chain"] = new JsonArray("Inner", "Middle", "Outer"),
            ["type_prefix"] = "AsyncShapes.Program+<",
            ["runtimeDirectory"] = System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(),
        };
        Console.WriteLine("TRUTH " + truth.ToJsonString());
        Console.WriteLine("READY");
        Console.Out.Flush();
        Thread.Sleep(Timeout.Infinite);
    }

    static int s_innerStarted;
}
