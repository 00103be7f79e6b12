"""inspect against the Leaks target's own truth.

usage: test_inspect.py <live|full> [<gc config>]
  gc config: wks-regions (the default), wks-segments, svr-regions, svr-segments

The Leaks target holds, in the fields of one Leaks.Holder, 500 copies of one
40-char text, a List<object> of capacity 100000 with 10 items, an empty
List<string> of capacity 4096, a Dictionary<int, int> and a HashSet<long>
made for tens of thousands of entries holding a few, an object[10000] with
50 non-null slots, 7 finalizable objects and pinned buffers; it prints the
counts, capacities and slot sizes (read from the runtime's own fields).
The test finds the Holder (dumpheap -type), reads its fields (dumpobj
--json), runs inspect as text and --json, and checks each finding exactly:
  - strings: the text's copies and (copies - 1) * its size wasted, the same
    as dumpheap -strings says for it;
  - collections: each sparse collection found at its address with its
    unused slots and their bytes (a dictionary's entries and buckets), and
    its type's total at least that;
  - arrays: the object[] and the List's _items, their null slots * 8;
  - finalizers: Leaks.Finalizable's count, its objects' bytes as dumpheap
    sizes them, the same as finalizequeue's statistics;
  - the text: the summary line, the sections in order, each finding with its
    next command, which runs;
  - errors: a bad option, an unknown check, -top 0: one line, failed status.
"""

import sys

import harness
from harness import check

BAD = {
    "inspect -bogus": "unknown option '-bogus'",
    "inspect nosuchcheck": "no check 'nosuchcheck'",
    "inspect -top 0": "-top must be at least 1",
}

TITLES = ["Duplicate strings", "Sparse and empty collections", "Arrays of mostly null references",
          "Finalizable objects", "Pinned objects and fragmentation", "Event-handler leaks",
          "Large retainers"]


def string_size(length):
    """A string's size on a 64-bit heap: 22 bytes and 2 per char, 8-aligned."""
    return (22 + 2 * length + 7) // 8 * 8


def field(obj, name):
    for f in obj["fields"]:
        if f["name"] == name:
            return f["value"]
    raise harness.Failure("no field %s in %s" % (name, obj.get("name")))


def norm(address):
    return int(address, 16) if isinstance(address, str) else address


def at(findings, address):
    hits = [f for f in findings if f["address"] is not None and norm(f["address"]) == norm(address)]
    check(len(hits) == 1, "one finding at %s: %r" % (address, hits))
    return hits[0] if hits else None


def array_elements(dump):
    """The element addresses of dumparray --json."""
    return [e["value"] for e in dump["elements"]]


def section(report, name):
    hits = [c for c in report["checks"] if c["name"] == name]
    if not hits:
        raise harness.Failure("inspect --json has no %s check: %r" % (name, [c["name"] for c in report["checks"]]))
    return hits[0]


def main():
    mode = sys.argv[1]
    env = harness.GC_CONFIGS[sys.argv[2] if len(sys.argv) > 2 else "wks-regions"]
    scratch = None
    target = None

    def run(commands):
        if mode == "live":
            return harness.lldb(commands, pid=target.pid)
        return harness.lldb(commands, core=core, exe=exe)

    try:
        if mode == "live":
            target = harness.Target("Leaks", env=env)
            truth = target.truth
        else:
            scratch = harness.scratch_dir()
            core, exe, truth = harness.core_of_finished("Leaks", mode, scratch, env=env)
        first = "dumpheap -type Leaks.Holder -short"
        tr = run([first])
        holders = [l.strip() for l in tr.output(first) if l.strip()]
        check(len(holders) == 1, "one Leaks.Holder on the heap: %r" % holders)
        holder = holders[0]
        tr = run(["dumpobj %s --json" % holder])
        fields = {f["name"]: f["value"] for f in tr.json("dumpobj %s --json" % holder)["fields"]}
        lst = truth["list"]
        get_items = "dumpobj %s --json" % fields[lst["field"]]
        fin_type = truth["finalizable"]["type"]
        commands = [get_items, "inspect --json -top 1000", "inspect -top 1000", "inspect", "inspect strings --json",
                    "inspect finalizers arrays --json -top 3", "dumpheap -strings --json",
                    "dumpheap -type %s --json" % fin_type, "dumpheap -type %s --json" % truth["event"]["target"], "finalizequeue -stat --json", "gchandles --json",
                    "eeheap -gc --json", "dumpheap -type Free --json", "dumparray %s --json" % fields["PinnedBuffers"]]
        commands += list(BAD)
        tr = run(commands)
        items = field(tr.json(get_items), "_items")
        report = tr.json("inspect --json -top 1000")
        check([c["name"] for c in report["checks"]] == ["strings", "collections", "arrays", "finalizers", "pinned",
                                                           "events", "retainers"],
              "inspect runs every check in order: %r" % [c["name"] for c in report["checks"]])

        # 1. Duplicate strings.
        dup = truth["duplicate"]
        size = string_size(dup["length"])
        strings = section(report, "strings")
        hits = [f for f in strings["findings"] if f.get("text") == dup["text"]]
        if check(len(hits) == 1, "inspect lists the duplicated text once: %r" % strings["findings"][:3]):
            f = hits[0]
            check(f["count"] == dup["count"], "copies: %r, the target made %d" % (f["count"], dup["count"]))
            check(f["bytes"] == (dup["count"] - 1) * size and f["bytesKind"] == "wasted",
                  "wasted: %r, expected %d" % (f["bytes"], (dup["count"] - 1) * size))
            check(f["length"] == dup["length"] and f["type"] == "System.String", "the text's finding: %r" % f)
            check(f["next"] == "gcroot %x" % norm(f["address"]), "next: %r" % f["next"])
            side = [s for s in tr.json("dumpheap -strings --json")["strings"] if s["text"] == dup["text"]]
            if check(len(side) == 1, "dumpheap -strings lists the text: %r" % side):
                check(side[0]["count"] == f["count"] and side[0]["wasted"] == f["bytes"],
                      "dumpheap -strings says %r, inspect %r" % (side[0], f))
        only = section(tr.json("inspect strings --json"), "strings")
        check(only["bytes"] == strings["bytes"], "inspect strings: %r bytes, inspect: %r" % (only["bytes"],
                                                                                         strings["bytes"]))
        check(len(tr.json("inspect strings --json")["checks"]) == 1, "inspect strings runs one check")
        check(strings["bytes"] >= (dup["count"] - 1) * size, "the strings' total counts the text")

        # 2. Sparse and empty collections.
        colls = section(report, "collections")
        expected = {}
        for key in ("list", "emptyList"):
            c = truth[key]
            expected[fields[c["field"]]] = ((c["capacity"] - c["count"]) * c["elementSize"],
                                            c["capacity"] - c["count"])
        for key in ("dictionary", "set"):
            c = truth[key]
            expected[fields[c["field"]]] = ((c["entries"] - c["count"]) * c["entrySize"] +
                                            (c["buckets"] - c["count"]) * 4, c["entries"] - c["count"])
        for address, (wasted, unused) in expected.items():
            f = at(colls["findings"], address)
            if f:
                check(f["bytes"] == wasted and f["count"] == unused and f["bytesKind"] == "wasted",
                      "collection %s: %r, expected %d bytes and %d unused slots" % (address, f, wasted, unused))
                check(f["next"] == "dumpobj %x" % norm(address), "next: %r" % f["next"])
                per_type = [t for t in colls["types"] if t["type"] == f["type"]]
                check(len(per_type) == 1 and per_type[0]["bytes"] >= wasted and per_type[0]["address"] is None
                      and per_type[0]["next"] == "dumpheap -mt %x" % norm(f["mt"]),
                      "the total of %s: %r" % (f["type"], per_type))
        lists = [f for f in colls["findings"] if norm(f["address"]) == norm(fields[lst["field"]])]
        if lists:
            check(lists[0]["type"] == lst["type"], "the List's type: %r" % lists[0]["type"])
        check(colls["bytes"] >= sum(w for w, _ in expected.values()), "the collections' total counts them all")

        # 3. Arrays of mostly null references.
        arrays = section(report, "arrays")
        mn = truth["mostlyNull"]
        for address, nulls in ((fields[mn["field"]], mn["length"] - mn["nonNull"]),
                               (items, lst["capacity"] - lst["count"])):
            f = at(arrays["findings"], address)
            if f:
                check(f["count"] == nulls and f["bytes"] == nulls * 8, "array %s: %r, expected %d nulls" %
                      (address, f, nulls))
                check(f["next"] == "gcroot %x" % norm(address), "next: %r" % f["next"])

        # 4. Finalizable objects.
        fin = section(report, "finalizers")
        objects = tr.json("dumpheap -type %s --json" % fin_type)
        hits = [t for t in fin["types"] if t["type"] == fin_type]
        if check(len(hits) == 1, "inspect lists %s in the finalization queue: %r" % (fin_type, fin["types"][:5])):
            f = hits[0]
            rows = [o for o in objects["objects"] if norm(o["mt"]) == norm(f["mt"])]
            own = sum(o["size"] for o in rows)
            check(f["count"] == truth["finalizable"]["count"], "finalizable count %r, the target made %d" %
                  (f["count"], truth["finalizable"]["count"]))
            check(len(rows) == truth["finalizable"]["count"] and f["bytes"] == own and f["bytesKind"] == "own",
                  "finalizable bytes %r, dumpheap sizes them %d (%d objects)" % (f["bytes"], own, len(rows)))
            stats = [s for s in tr.json("finalizequeue -stat --json")["statistics"]
                     if norm(s["mt"]) == norm(f["mt"])]
            if check(len(stats) == 1, "finalizequeue lists %s: %r" % (fin_type, stats)):
                check(stats[0]["count"] == f["count"] and stats[0]["totalSize"] == f["bytes"],
                      "finalizequeue says %r, inspect %r" % (stats[0], f))
            check(f["next"] == "finalizequeue -mt %x" % norm(f["mt"]), "next: %r" % f["next"])
        check(fin["considered"] == sum(t["count"] for t in fin["types"]) or len(fin["types"]) == 1000,
              "the queue's objects are the types' counts")

        # 5. Pinned objects and fragmentation.
        pinned = section(report, "pinned")
        held = {}
        for row in tr.json("gchandles --json")["handles"]:
            if row["type"] in ("Pinned", "AsyncPinned") and row["objectType"] and norm(row["object"]):
                held[norm(row["object"])] = held.get(norm(row["object"]), 0) + 1
        objects = {norm(f["address"]): f for f in pinned["findings"] if f["address"] is not None}
        check(set(objects) == set(held), "inspect's pinned objects %s, gchandles' %s" %
              (sorted(map(hex, objects)), sorted(map(hex, held))))
        for address, n in held.items():
            if address in objects:
                check(objects[address]["count"] == n, "%x: pinned by %d handles, inspect says %r" %
                      (address, n, objects[address]["count"]))
        buffers = [norm(e) for e in array_elements(tr.json("dumparray %s --json" % fields["PinnedBuffers"]))]
        check(len(buffers) == truth["pinned"]["count"] and set(buffers) <= set(objects),
              "the target's pinned buffers %s are among inspect's pinned objects" % list(map(hex, buffers)))
        near = ["listnearobj %x --json" % a for a in sorted(objects)]
        trn = run(near)
        for a, c in zip(sorted(objects), near):
            prev = trn.json(c).get("before")
            free = prev["size"] if prev and prev["type"] == "Free" and norm(prev["address"]) + prev["size"] == a else 0
            check(objects[a]["bytes"] == free or (free and objects[a]["bytes"] > free),
                  "%x: %r bytes free before it, listnearobj says %d" % (a, objects[a]["bytes"], free))
            check(objects[a]["next"] == "listnearobj %x" % a, "next: %r" % objects[a]["next"])
        byte_arrays = [t for t in pinned["types"] if t["type"] == "System.Byte[]"]
        check(byte_arrays and byte_arrays[0]["count"] >= truth["pinned"]["count"], "pinned byte[]: %r" % byte_arrays)
        loh = [(norm(g["begin"]), norm(g["allocated"])) for h in tr.json("eeheap -gc --json")["heaps"]
               for g in h["segments"] if g["kind"] == "loh"]
        frees = [o for o in tr.json("dumpheap -type Free --json")["objects"]
                 if any(b <= norm(o["address"]) < e for b, e in loh)]
        check(pinned["lohFree"] == sum(o["size"] for o in frees),
              "LOH free space: inspect %d, dumpheap -type Free on the LOH's segments %d" %
              (pinned["lohFree"], sum(o["size"] for o in frees)))
        large = truth["large"]
        check(pinned["lohFree"] >= large["size"], "the dropped large arrays left free space on the LOH: %d" %
              pinned["lohFree"])
        loh_findings = [f for f in pinned["findings"] if f["address"] is None]
        if check(len(loh_findings) == 1, "one LOH finding: %r" % loh_findings):
            check(loh_findings[0]["bytes"] == pinned["lohFree"] and loh_findings[0]["count"] == len(frees),
                  "the LOH finding: %r, %d free objects" % (loh_findings[0], len(frees)))

        # 6. Event-handler leaks: the static event's invocation list, its handlers on Subscriber objects.
        ev = section(report, "events")
        et = truth["event"]
        hits = [f for f in ev["findings"] if f["type"] == et["target"]]
        if check(len(hits) == 1, "one invocation list on %s: %r" % (et["target"], ev["findings"])):
            f = hits[0]
            check(f["count"] == et["subscribers"], "handlers: %r, the target subscribed %d" %
                  (f["count"], et["subscribers"]))
            subs = tr.json("dumpheap -type %s --json" % et["target"])["objects"]
            subs = [o for o in subs if norm(o["mt"]) == norm(f["mt"])]
            each = subs[0]["size"] + (24 + et["buffer"] + 7) // 8 * 8 if subs else 0
            check(len(subs) == et["subscribers"] and f["bytes"] == et["subscribers"] * each and
                  f["bytesKind"] == "retained",
                  "the handlers' targets retain %r, expected %d * %d" % (f["bytes"], et["subscribers"], each))
            check(f["next"] == "gcroot %x" % norm(f["address"]), "next: %r" % f["next"])
            listed = "dumpobj %s --json" % f["address"]
            tr4 = run([listed])
            check(tr4.json(listed)["name"] == f["listType"] == "System.Object[]",
                  "the finding is an object[]: %r, %r" % (tr4.json(listed)["name"], f.get("listType")))

        # 7. Large retainers: a closure, a StringBuilder, an async state machine, each holding a big array.
        rt = section(report, "retainers")
        rtruth = truth["retainers"]
        getters = ["dumpobj %s --json" % fields[k] for k in ("Closure", "Builder")]
        tr3 = run(getters)
        closure = field(tr3.json(getters[0]), "_target")
        builder = fields["Builder"]
        tr3 = run(["dumpobj %s --json" % closure, "dumpobj %s --json" % builder])
        display = tr3.json("dumpobj %s --json" % closure)
        sb = tr3.json("dumpobj %s --json" % builder)
        big, chars = field(display, "big"), field(sb, "m_ChunkChars")
        check(field(sb, "m_ChunkPrevious") in ("0000000000000000", "0", None), "one chunk: %r" % sb["fields"])
        tr3 = run(["dumpobj %s --json" % big, "dumpobj %s --json" % chars])
        for address, own, inner in ((closure, display["size"], tr3.json("dumpobj %s --json" % big)["size"]),
                                    (builder, sb["size"], tr3.json("dumpobj %s --json" % chars)["size"])):
            f = at(rt["findings"], address)
            if f:
                check(f["bytes"] == own + inner and f["bytesKind"] == "retained",
                      "%s retains %r, expected %d + %d" % (f["type"], f["bytes"], own, inner))
                check(f["next"] == "retained %x" % norm(address), "next: %r" % f["next"])
        check(inner >= rtruth["builderCapacity"] * 2, "the builder's chunk: %d bytes" % inner)
        f = at(rt["findings"], fields["Pending"])
        if f:
            check("<%s>d__" % rtruth["asyncMethod"] in f["type"], "the async state machine's type: %r" % f["type"])
            check(rtruth["asyncBytes"] < f["bytes"] < rtruth["asyncBytes"] + 4096,
                  "the async state machine retains %r, its array is %d bytes" % (f["bytes"], rtruth["asyncBytes"]))

        # -top and a choice of checks.
        small = tr.json("inspect finalizers arrays --json -top 3")
        check([c["name"] for c in small["checks"]] == ["arrays", "finalizers"],
              "inspect finalizers arrays runs those two, in order: %r" % [c["name"] for c in small["checks"]])
        for c in small["checks"]:
            check(len(c["findings"]) <= 3 and len(c["types"]) <= 3, "-top 3 keeps 3 per list: %r" % c["name"])
            big = section(report, c["name"])
            check(c["bytes"] == big["bytes"], "%s: -top changes no total" % c["name"])
            want = sorted((f["bytes"] for f in big["findings"]), reverse=True)[:3]
            check([f["bytes"] for f in c["findings"]] == want, "%s: the top 3 by bytes" % c["name"])

        # The text: summary, sections in order, findings with a next command.
        text = tr.output("inspect -top 1000")
        check(text and text[0].startswith("inspect: 7 checks, "), "the summary line: %r" % text[:1])
        titles = [l.split(":")[0] for l in text if l and not l.startswith(" ") and ":" in l][1:]
        check(titles == TITLES, "the sections in order: %r" % titles)
        nexts = [l for l in text if " -> " in l]
        count = sum(len(c["findings"]) + len(c["types"]) for c in report["checks"])
        check(len(nexts) == count, "%d findings in the text, %d in the JSON" % (len(nexts), count))
        check(any(dup["text"] in l for l in text), "the text shows the duplicated text")
        for c in report["checks"]:
            for f in c["findings"] + c["types"]:
                for key in ("bytes", "how", "next", "type"):
                    check(key in f, "a finding lacks %s: %r" % (key, f))
        # One next command runs.
        follow = "dumpobj %s" % fields[lst["field"]]
        tr2 = run([follow])
        check(tr2.error(follow) is None, "the next command %r failed" % follow)

        for command, words in BAD.items():
            e = tr.error(command)
            check(e is not None and words in e, "%r: error %r should say %r" % (command, e, words))
            check(len([l for l in tr.output(command) if l.strip()]) == 1, "%r: one line" % command)
    finally:
        if target:
            target.kill()


if __name__ == "__main__":
    try:
        main()
    except harness.Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
    harness.finish()
