// Test target for dcd and dcq: concurrent dictionaries and queues of known
// contents, each held by a field of the one Collections.Holder object.
//
//   Collections
//
// Prints TRUTH: for each field of Holder, whether it is a dictionary or a
// queue and the items it holds, each as the test expects dcd/dcq to
// describe it (a value's text, a string, null, or what the object, array or
// struct it opens holds), queues in dequeue order; then READY, and sleeps.
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Collections;

public sealed class Payload
{
    public int Id;
    public Payload(int id) => Id = id;
}

public struct Point
{
    public int X;
    public long Y;
    public Point(int x, long y) { X = x; Y = y; }
}

public sealed class Holder
{
    public ConcurrentDictionary<int, string[]> IntToStrings = new();
    public ConcurrentDictionary<int, int> IntToInt = new();
    public ConcurrentDictionary<string, bool> StringToBool = new();
    public ConcurrentDictionary<Point, Payload?> PointToPayload = new();
    public ConcurrentDictionary<int, Point> IntToPoint = new();
    public ConcurrentDictionary<char, float> CharToFloat = new();
    public ConcurrentDictionary<long, double> Many = new();
    public ConcurrentDictionary<int, double> Doubles = new();
    public ConcurrentDictionary<int, float> Floats = new();
    public ConcurrentDictionary<string, int> Empty = new();
    public ConcurrentQueue<int> IntQueue = new();
    public ConcurrentQueue<int> WrappedQueue = new();
    public ConcurrentQueue<string?> StringQueue = new();
    public ConcurrentQueue<Payload> PayloadQueue = new();
    public ConcurrentQueue<Point> PointQueue = new();
    public ConcurrentQueue<object> EmptyQueue = new();
}

public static class Program
{
    static Holder? s_holder;

    static JsonObject Value(string text) => new() { ["value"] = text };
    static JsonObject Str(string text) => new() { ["string"] = text };
    static JsonObject Null() => new() { ["null"] = true };
    static JsonObject Obj(Payload p) => new() { ["object"] = typeof(Payload).FullName, ["id"] = p.Id };
    static JsonObject Arr(string[] a) => new() { ["array"] = "System.String[]", ["length"] = a.Length };
    static JsonObject Struct(Point p) => new() { ["struct"] = typeof(Point).FullName, ["x"] = p.X, ["y"] = p.Y };

    static JsonObject Pair(JsonObject key, JsonObject value) => new() { ["key"] = key, ["value"] = value };

    public static void Main()
    {
        var h = new Holder();
        var truth = new JsonObject();
        var fields = new JsonObject();

        var pairs = new JsonArray();
        foreach (var (k, v) in new[] { (1, new string[4]), (2, new[] { "a", "b" }) })
        {
            h.IntToStrings[k] = v;
            pairs.Add(Pair(Value(k.ToString()), Arr(v)));
        }
        fields["IntToStrings"] = Dictionary(pairs);

        pairs = new JsonArray();
        foreach (var (k, v) in new[] { (0, 1), (31, 17), (1521482, 512487) })
        {
            h.IntToInt[k] = v;
            pairs.Add(Pair(Value(k.ToString()), Value(v.ToString())));
        }
        fields["IntToInt"] = Dictionary(pairs);

        pairs = new JsonArray();
        foreach (var (k, v) in new[] { ("String true", true), ("String false", false), (new string('S', 200), false),
                                       ("tab\there", true) })
        {
            h.StringToBool[k] = v;
            pairs.Add(Pair(Str(k), Value(v ? "True" : "False")));
        }
        fields["StringToBool"] = Dictionary(pairs);

        pairs = new JsonArray();
        var p7 = new Payload(7);
        h.PointToPayload[new Point(1, 2)] = null;
        h.PointToPayload[new Point(3, 1L << 40)] = p7;
        pairs.Add(Pair(Struct(new Point(1, 2)), Null()));
        pairs.Add(Pair(Struct(new Point(3, 1L << 40)), Obj(p7)));
        fields["PointToPayload"] = Dictionary(pairs);

        h.IntToPoint[0] = new Point(12, -5);
        fields["IntToPoint"] = Dictionary(new JsonArray(Pair(Value("0"), Struct(new Point(12, -5)))));

        h.CharToFloat['a'] = 1.5f;
        h.CharToFloat['Z'] = -0.25f;
        fields["CharToFloat"] = Dictionary(new JsonArray(Pair(Value("'a'"), Value("1.5")),
                                                         Pair(Value("'Z'"), Value("-0.25"))));

        pairs = new JsonArray();
        for (long i = 0; i < 1000; i++)
        {
            h.Many[i * 7919] = i * 0.5;
            pairs.Add(Pair(Value((i * 7919).ToString()), Value((i * 0.5).ToString("R"))));
        }
        fields["Many"] = Dictionary(pairs);
        fields["Empty"] = Dictionary(new JsonArray());

        // Numbers as C# prints them: the shortest digits that read back, and when it writes an exponent.
        pairs = new JsonArray();
        double[] doubles = { 1e20, 1.5e-7, 0.1, 123456789012345.0, 1e15, 1e16, 1e17, 0.0001, 0.00001, -0.0, double.NaN,
                             double.NegativeInfinity, double.MaxValue, double.Epsilon, 1.0 / 3 };
        for (int i = 0; i < doubles.Length; i++)
        {
            h.Doubles[i] = doubles[i];
            pairs.Add(Pair(Value(i.ToString()), Value(doubles[i].ToString())));
        }
        fields["Doubles"] = Dictionary(pairs);
        pairs = new JsonArray();
        float[] floats = { 1e20f, 1.5e-7f, 0.1f, 1234567f, 12345678f, 123456789f, 1e9f, float.MaxValue, 1.0f / 3, -2.5f };
        for (int i = 0; i < floats.Length; i++)
        {
            h.Floats[i] = floats[i];
            pairs.Add(Pair(Value(i.ToString()), Value(floats[i].ToString())));
        }
        fields["Floats"] = Dictionary(pairs);

        // 100 in, 40 out: the first segment (32 slots) is gone, the second is frozen
        // and partly dequeued, the third holds the rest.
        for (int i = 0; i < 100; i++)
            h.IntQueue.Enqueue(i);
        for (int i = 0; i < 40; i++)
            h.IntQueue.TryDequeue(out _);
        fields["IntQueue"] = Queue(Enumerable.Range(40, 60).Select(i => Value(i.ToString())));

        // Within one 32-slot segment whose positions wrap round its array.
        for (int i = 0; i < 20; i++)
            h.WrappedQueue.Enqueue(i);
        for (int i = 0; i < 15; i++)
            h.WrappedQueue.TryDequeue(out _);
        for (int i = 20; i < 40; i++)
            h.WrappedQueue.Enqueue(i);
        fields["WrappedQueue"] = Queue(Enumerable.Range(15, 25).Select(i => Value(i.ToString())));

        h.StringQueue.Enqueue("gone");
        h.StringQueue.TryDequeue(out _);
        foreach (var s in new[] { "first", null, "third" })
            h.StringQueue.Enqueue(s);
        fields["StringQueue"] = Queue(new[] { Str("first"), Null(), Str("third") });

        var payloads = new[] { new Payload(1), new Payload(2), new Payload(3) };
        foreach (var p in payloads)
            h.PayloadQueue.Enqueue(p);
        fields["PayloadQueue"] = Queue(payloads.Select(Obj));

        var points = new[] { new Point(5, 6), new Point(-7, 8) };
        foreach (var p in points)
            h.PointQueue.Enqueue(p);
        fields["PointQueue"] = Queue(points.Select(Struct));
        fields["EmptyQueue"] = Queue(Array.Empty<JsonObject>());

        s_holder = h;
        truth["pid"] = Environment.ProcessId;
        truth["runtimeDirectory"] = RuntimeEnvironment.GetRuntimeDirectory();
        truth["fields"] = fields;
        string text = "TRUTH " + truth.ToJsonString();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        Console.WriteLine(text);
        Console.WriteLine("READY");
        Console.Out.Flush();
        Thread.Sleep(Timeout.Infinite);
        GC.KeepAlive(s_holder);
    }

    static JsonObject Dictionary(JsonArray items) => new() { ["kind"] = "dictionary", ["items"] = items };

    static JsonObject Queue(IEnumerable<JsonObject> items) =>
        new() { ["kind"] = "queue", ["items"] = new JsonArray(items.ToArray()) };
}
