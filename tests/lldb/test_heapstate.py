"""What clrsos says about the heap's state, against the Emitted target.

usage: test_heapstate.py <case>
  emitted-live, emitted-full,
  emitted-heap                 types made with Reflection.Emit are named (dumpheap
                               -stat, -type, dumpobj's field names), and a
                               frozen string literal is live for dumpheap -live
                               and for gcroot alike
  contexts-live, contexts-full many threads with open allocation contexts: a
                               healthy heap walks without a warning
  contexts-unborn              a thread stopped inside an allocation (its
                               alloc_ptr already past the new object, whose
                               MethodTable is not written yet), made on a real
                               core: not an object yet, and no warning
"""

import json
import os
import re
import sys

import harness
from harness import check

EMITTED_TYPES = ["Castle.Proxies.CustomerProxy", "Castle.Proxies.OrderProxy",
                 "Castle.Proxies.Holder<System.Int32>", "Castle.Proxies.Holder<System.String>",
                 "Castle.Proxies.CustomerProxy[]",
                 "System.Collections.Generic.List<Castle.Proxies.CustomerProxy>"]


def run(mode, commands):
    """(transcript, truth) of the commands on Emitted, live or on a createdump full core."""
    if mode == "live":
        with harness.Target("Emitted") as t:
            return harness.lldb(commands(t.truth), pid=t.pid), t.truth
    scratch = harness.scratch_dir()
    try:
        core, exe, truth = harness.core_of_finished("Emitted", mode, scratch)
        return harness.lldb(commands(truth), core=core, exe=exe), truth
    finally:
        harness.cleanup(scratch)


def case_emitted(mode):
    saved = os.path.join(harness.scratch_dir(), "emitted.json")

    def commands(truth):
        return ["dumpheap -stat --json", "dumpheap -stat", "dumpheap -type Castle --json",
                "dumpheap -stat --save %s" % saved,
                "dumpheap -type Castle.Proxies.Holder -stat",
                "dumpobj %s --json" % truth["customer0"]["address"],
                "dumpobj %s" % truth["customer0"]["address"],
                "dumpobj %s --json" % truth["order3"]["address"],
                "dumpobj %s --json" % truth["holderInt2"]["address"],
                "dumpobj %s --json" % truth["holderString4"]["address"],
                "dumpheap -live -stat --json",
                "dumpheap -live -short",
                "gcroot %s" % truth["unrootedLiteral"]["address"],
                "gcroot %s --json" % truth["unrootedLiteral"]["address"],
                "gcroot %s" % truth["literal"]["address"]]

    tr, truth = run(mode, commands)
    want = truth["types"]
    stat = tr.json("dumpheap -stat --json")
    counts = {}
    for r in stat["statistics"]:
        counts[r["type"]] = counts.get(r["type"], 0) + r["count"]
    for name, n in want.items():
        check(counts.get(name) == n, "dumpheap -stat: %s x%s, want %d" % (name, counts.get(name), n))
    check(not any("Unloaded" in t for t in counts), "dumpheap -stat still shows <Unloaded Type>: %s" %
          [t for t in counts if "Unloaded" in t])
    text = tr.text_of("dumpheap -stat")
    for name in EMITTED_TYPES:
        check(re.search(r" %s$" % re.escape(name), text, re.M), "dumpheap -stat text lacks %s" % name)
    # -type Castle: exactly the emitted types, each with its count.
    found = tr.json("dumpheap -type Castle --json")
    by_type = {}
    for r in found["statistics"]:
        by_type[r["type"]] = by_type.get(r["type"], 0) + r["count"]
    check(by_type == {n: want[n] for n in EMITTED_TYPES},
          "dumpheap -type Castle found %s, want %s" % (by_type, {n: want[n] for n in EMITTED_TYPES}))
    check(len(found["objects"]) == sum(want[n] for n in EMITTED_TYPES),
          "dumpheap -type Castle listed %d objects" % len(found["objects"]))
    holders = tr.text_of("dumpheap -type Castle.Proxies.Holder -stat")
    check("Castle.Proxies.Holder<System.Int32>" in holders and "Castle.Proxies.Holder<System.String>" in holders,
          "the two instantiations of the emitted generic are not kept apart:\n" + holders)

    def fields(address):
        obj = tr.json("dumpobj %s --json" % address)
        return obj, {f["name"]: f for f in obj["fields"]}

    c0 = truth["customer0"]
    obj, f = fields(c0["address"])
    check(obj["name"] == "Castle.Proxies.CustomerProxy", "dumpobj names %r" % obj["name"])
    check(set(f) == {"Id", "Name", "Target"}, "CustomerProxy's fields: %s" % sorted(f))
    if "Id" in f:
        check(f["Id"]["value"] == str(c0["Id"]), "Id = %r, want %d" % (f["Id"]["value"], c0["Id"]))
    if "Target" in f:
        check(int(f["Target"]["value"], 16) == int(c0["Target"], 16) and f["Target"]["type"] == "Emitted.Customer",
              "Target = %r" % f["Target"])
    check("<unknown name>" not in tr.text_of("dumpobj %s" % c0["address"]), "dumpobj text has unknown field names")
    check(re.search(r"^Name:\s+Castle\.Proxies\.CustomerProxy$", tr.text_of("dumpobj %s" % c0["address"]), re.M),
          "dumpobj text does not name CustomerProxy")
    # Derived from a normal class: inherited fields and its own, all named.
    o3 = truth["order3"]
    obj, f = fields(o3["address"])
    check(obj["name"] == "Castle.Proxies.OrderProxy", "dumpobj names %r" % obj["name"])
    check(set(f) == {"Number", "Note", "Extra"}, "OrderProxy's fields: %s" % sorted(f))
    if "Extra" in f and "Number" in f:
        check(f["Extra"]["value"] == str(o3["Extra"]) and f["Number"]["value"] == str(o3["Number"]),
              "OrderProxy values: %r %r" % (f["Extra"]["value"], f["Number"]["value"]))
    hi = truth["holderInt2"]
    obj, f = fields(hi["address"])
    check(obj["name"] == "Castle.Proxies.Holder<System.Int32>", "dumpobj names %r" % obj["name"])
    if "Value" in f and "Tag" in f:
        check(f["Value"]["value"] == str(hi["Value"]) and f["Tag"]["value"] == str(hi["Tag"]),
              "Holder<int> values: %r" % f)
    else:
        check(False, "Holder<int>'s fields: %s" % sorted(f))
    obj, f = fields(truth["holderString4"]["address"])
    check(obj["name"] == "Castle.Proxies.Holder<System.String>", "dumpobj names %r" % obj["name"])
    check(set(f) == {"Value", "Tag"}, "Holder<string>'s fields: %s" % sorted(f))

    # A frozen string literal nothing refers to: live for dumpheap -live, and
    # gcroot says why (never "the next GC collects it").
    unrooted = harness.parse_hex(truth["unrootedLiteral"]["address"])
    check(truth["frozenLiteral"], "the runtime did not put the literal on the frozen heap")
    live = {harness.parse_hex(a) for a in re.findall(r"^\s*([0-9a-f]{12,16})\s*$",
                                                     tr.text_of("dumpheap -live -short"), re.M)}
    check(unrooted in live, "dumpheap -live does not list the unrooted frozen literal")
    g = tr.text_of("gcroot %s" % truth["unrootedLiteral"]["address"])
    check("next full GC collects it" not in g, "gcroot says a frozen literal will be collected:\n" + g)
    check("NonGC (frozen) heap" in g and "never collects it" in g, "gcroot does not say it is frozen:\n" + g)
    gj = tr.json("gcroot %s --json" % truth["unrootedLiteral"]["address"])
    check(gj.get("frozen") is True and gj.get("count") == 0, "gcroot --json: %s" % gj)
    g = tr.text_of("gcroot %s" % truth["literal"]["address"])
    check("Emitted.Program.s_literal" in g and "never collects it" in g,
          "gcroot of a rooted frozen literal: its root and that it is frozen:\n" + g)
    check(stat["problemCount"] == 0, "problems on a healthy heap: %s" % stat["problems"])
    # heapdiff matches types by name: the saved histogram keeps each emitted type apart.
    try:
        with open(saved) as f:
            rows = json.load(f)["types"]
    except (OSError, ValueError) as e:
        rows = []
        check(False, "no histogram saved: %s" % e)
    finally:
        harness.cleanup(os.path.dirname(saved))
    if check(rows, "the saved histogram has no types"):
        by_name = {}
        for r in rows:
            by_name[r["name"]] = by_name.get(r["name"], 0) + r["count"]
        for name in EMITTED_TYPES:
            check(by_name.get(name) == want[name], "saved histogram: %s x%s, want %d" % (name, by_name.get(name), want[name]))


def case_contexts(mode):
    """Threads that each allocated a little and wait: their allocation contexts
    are open. dumpheap must walk over them without a false alarm."""
    tr, truth = run(mode, lambda truth: ["dumpheap -stat --json", "dumpheap -stat", "clrthreads"])
    stat = tr.json("dumpheap -stat --json")
    check(stat["problemCount"] == 0 and stat["skippedBytes"] == 0,
          "a healthy heap walked with %d problem(s), %d bytes skipped: %s" %
          (stat["problemCount"], stat["skippedBytes"], stat["problems"]))
    check("Warning" not in tr.text_of("dumpheap -stat"), "dumpheap -stat warns on a healthy heap")
    threads = len(re.findall(r"^\s*\S+\s+\d+\s+[0-9a-f]+\s+[0-9a-f]{16} ", tr.text_of("clrthreads"), re.M))
    check(threads >= truth["threads"], "clrthreads shows %d threads, want at least %d" % (threads, truth["threads"]))


def case_contexts_unborn():
    """The window in every allocation: the GC has moved the thread's alloc_ptr
    past the new object, the thread has not yet written its MethodTable (the
    memory is as the GC cleared it: zeros). A core taken then is healthy; the
    walk must not call it damage. Made exactly on a real core: the last object
    a waiting thread allocated (it ends at the thread's alloc_ptr) is cleared
    back to zeros."""
    import test_corrupt
    scratch = harness.scratch_dir()
    try:
        # A copy of its own: a shared core (CLRSOS_CORE_CACHE) is a hard link, not to be damaged.
        core, exe, truth = harness.core_of_finished("Emitted", "full", scratch, writable=True)
        tr = harness.lldb(["clrthreads --json", "dumpheap --json"], core=core, exe=exe)
        contexts = {harness.parse_hex(t["allocContext"]) for t in tr.json("clrthreads --json")["threads"]
                    if harness.parse_hex(t["allocContext"])}
        objects = tr.json("dumpheap --json")
        before = objects["totalObjects"]
        # The last object a thread allocated: it ends at that thread's alloc_ptr.
        victim = None
        for o in objects["objects"]:
            end = harness.parse_hex(o["address"]) + o["size"]
            if end in contexts and o["size"] >= 40:
                victim = o
                break
        if not check(victim, "no object ends at a thread's allocation pointer: %d contexts" % len(contexts)):
            return
        address = harness.parse_hex(victim["address"])
        print("clearing %s (%d bytes) before the allocation context at 0x%x" %
              (victim["address"], victim["size"], address + victim["size"]))
        with test_corrupt.CoreFile(core) as f:
            f.write(address, b"\0" * victim["size"])
        tr = harness.lldb(["dumpheap -stat --json", "dumpheap -stat"], core=core, exe=exe)
    finally:
        harness.cleanup(scratch)
    stat = tr.json("dumpheap -stat --json")
    check(stat["problemCount"] == 0 and stat["skippedBytes"] == 0,
          "an object being allocated is reported as damage: %d problem(s), %d bytes skipped: %s" %
          (stat["problemCount"], stat["skippedBytes"], stat["problems"]))
    check("Warning" not in tr.text_of("dumpheap -stat"), "dumpheap -stat warns:\n" + tr.text_of("dumpheap -stat"))
    check(stat["totalObjects"] == before - 1,
          "%d objects after clearing one, %d before" % (stat["totalObjects"], before))


CASES = {
    "emitted-live": lambda: case_emitted("live"),
    "emitted-full": lambda: case_emitted("full"),
    "emitted-heap": lambda: case_emitted("heap"),
    "contexts-live": lambda: case_contexts("live"),
    "contexts-full": lambda: case_contexts("full"),
    "contexts-unborn": case_contexts_unborn,
}

if __name__ == "__main__":
    harness.run_case(CASES)
