"""dumpheap against HeapShapes' own truth.

usage: test_dumpheap.py <gc config> <live|full|heap|os>

For every type the target made in known numbers (truth "dumpheap.types"):
exact count and total size from -stat, -type, -mt, -live/-dead, -gen; the
objects it placed on the LOH, POH and NonGC heap found by -gen; -min/-max,
-short, address ranges and -segment agree with each other; histogram totals
equal the sum of their rows; SOS's text layout; bad input errors.
"""

import re
import sys

import harness
from harness import check


def stats_by_mt(result):
    return {harness.parse_hex(r["mt"]): r for r in result["statistics"]}


def check_totals(result, what):
    rows = result["statistics"]
    check(result["totalObjects"] == sum(r["count"] for r in rows),
          "%s: total objects %d != sum of rows" % (what, result["totalObjects"]))
    check(result["totalSize"] == sum(r["totalSize"] for r in rows),
          "%s: total size %d != sum of rows" % (what, result["totalSize"]))


def main():
    config, mode = sys.argv[1], sys.argv[2]
    env = harness.GC_CONFIGS[config]
    server = config.startswith("svr")

    # The truth first (from a run of the target), to know what to ask.
    def commands_for(truth):
        types = truth["dumpheap"]["types"]
        cmds = [
            "eeheap -gc --json",
            "dumpheap -stat --json",
            "dumpheap -stat -noprogress",
            "dumpheap -stat -type HeapShapes. --json",
            "dumpheap -stat -live -type HeapShapes. --json",
            "dumpheap -stat -dead -type HeapShapes. --json",
            "dumpheap -stat -gen loh --json",
            "dumpheap -stat -gen poh --json",
            "dumpheap -short -gen foh",
            "dumpheap -gen gen2 -stat -type HeapShapes. --json",
            "dumpheap -gen gen0 -stat -type HeapShapes. --json",
            "dumpheap -stat -bycount -type HeapShapes.",
            "dumpheap -type HeapShapes.Customer -stat",
            "dumpheap -bogus",
            "dumpheap -mt 0x10",
            "dumpheap 0x1000 0x2000",
            "dumpheap -heap 7",
            "dumpheap -gen gen9",
            "dumpheap -live -dead",
            "dumpheap -thinlock --json",
            "dumpheap -thinlock",
            "dumpheap -stat -noprogress -type HeapShapes.Customer",
            "dumpheap -stat -type HeapShapes.Customer",
        ]
        for name, t in types.items():
            cmds.append("dumpheap -mt %s --json" % t["mt"])
            cmds.append("dumpheap -mt %s -short" % t["mt"])
        for b in blobs(truth):
            cmds.append("dumpheap -type HeapShapes.Blob[] -min %d -max %d --json" % (b["size"], b["size"]))
        return cmds

    scratch = None
    via_lldb = None
    if mode == "live":
        grow = harness.scratch_dir()
        try:
            with harness.Target("HeapShapes", env=dict(env, HEAPSHAPES_GROW_FILE=grow + "/grow")) as t:
                truth = t.truth
                # Progress at once: it must stay out of every answer.
                tr = harness.lldb(["clrsos settings progress-after-ms 0"] + commands_for(truth), pid=t.pid)
                # Ranges and segments need the layout: a second session.
                h = tr.json("eeheap -gc --json")
                tr2 = harness.lldb(range_commands(h), pid=t.pid)
                # Results belong to a stop: the target grows while it runs.
                tr3 = harness.lldb(["dumpheap -stat -type HeapShapes.Later --json",
                                    "platform shell touch %s/grow" % grow,
                                    "process continue",
                                    "dumpheap -stat -type HeapShapes.Later --json"], pid=t.pid)
        finally:
            harness.cleanup(grow)
        check_stops(tr3)
    else:
        scratch = harness.scratch_dir()
        try:
            core, exe, truth = harness.core_of_finished("HeapShapes", mode, scratch, env=env)
            tr = harness.lldb(commands_for(truth), core=core, exe=exe)
            h = tr.json("eeheap -gc --json")
            tr2 = harness.lldb(range_commands(h), core=core, exe=exe)
            # The core read through lldb only, not in place from the core file.
            via_lldb = harness.lldb(["clrsos settings memory-reader debugger", "dumpheap -stat --json"],
                                    core=core, exe=exe)
        finally:
            harness.cleanup(scratch)
    types = truth["dumpheap"]["types"]

    # The whole heap --------------------------------------------------------
    whole = tr.json("dumpheap -stat --json")
    check(tr.error("dumpheap -stat --json") is None, "dumpheap -stat failed")
    if via_lldb is not None:
        check(via_lldb.json("dumpheap -stat --json") == whole,
              "dumpheap -stat differs between the core read in place and through lldb")
    check_totals(whole, "dumpheap -stat")
    check(whole["problemCount"] == 0, "problems on a healthy heap: %s" % whole["problems"])
    by_mt = stats_by_mt(whole)
    for name, t in types.items():
        row = by_mt.get(harness.parse_hex(t["mt"]))
        if t["count"] == 0:
            check(row is None, "%s: listed although the target has none" % name)
            continue
        if not check(row is not None, "%s (MT %s) missing from dumpheap -stat" % (name, t["mt"])):
            continue
        check(row["count"] == t["count"], "%s: count %d, target says %d" % (name, row["count"], t["count"]))
        check(row["totalSize"] == t["totalSize"],
              "%s: total size %d, target says %d" % (name, row["totalSize"], t["totalSize"]))
        check(row["type"] == name, "type name %r, expected %r" % (row["type"], name))
    # The walk covers the heap: with free space, the objects fill the
    # segments except allocation contexts (threads' unused allocation space).
    walked = whole["totalSize"]
    check(walked <= h["totalAllocated"], "objects %d bytes exceed the allocated %d" % (walked, h["totalAllocated"]))
    check(walked >= h["totalAllocated"] - 8 * 1024 * 1024,
          "objects %d bytes fall far short of the allocated %d" % (walked, h["totalAllocated"]))

    # Text: same rows, SOS's layout.
    text = tr.text_of("dumpheap -stat -noprogress")
    check(re.search(r"^Statistics:$", text, re.M) is not None, "text: no Statistics line")
    check(re.search(r"^\s+MT\s+Count\s+TotalSize Class Name$", text, re.M) is not None,
          "text: statistics header")
    total_line = "Total {:,} objects, {:,} bytes".format(whole["totalObjects"], whole["totalSize"])
    check(total_line in text, "text: no %r" % total_line)
    rows = re.findall(r"^\s*([0-9a-f]{12,16}) +([\d,]+) +([\d,]+) (.+)$", text, re.M)
    check(len(rows) == len(whole["statistics"]), "text has %d rows, JSON %d" % (len(rows), len(whole["statistics"])))
    sizes = [int(r[2].replace(",", "")) for r in rows]
    check(sizes == sorted(sizes), "text rows are not ascending by total size")
    for name, t in types.items():
        if t["count"]:
            pat = r"^\s*%012x +%s +%s %s$" % (harness.parse_hex(t["mt"]), re.escape("{:,}".format(t["count"])),
                                                re.escape("{:,}".format(t["totalSize"])), re.escape(name))
            check(re.search(pat, text, re.M) is not None, "text: no row for %s" % name)
    bycount = tr.text_of("dumpheap -stat -bycount -type HeapShapes.")
    counts = [int(r[1].replace(",", "")) for r in
              re.findall(r"^\s*([0-9a-f]{12,16}) +([\d,]+) +([\d,]+) (.+)$", bycount, re.M)]
    check(counts and counts == sorted(counts), "-bycount rows are not ascending by count")

    # -type, -live, -dead --------------------------------------------------
    mine = tr.json("dumpheap -stat -type HeapShapes. --json")
    check_totals(mine, "-type HeapShapes.")
    check(all("HeapShapes." in r["type"] for r in mine["statistics"]), "-type let other types through")
    live = stats_by_mt(tr.json("dumpheap -stat -live -type HeapShapes. --json"))
    dead = stats_by_mt(tr.json("dumpheap -stat -dead -type HeapShapes. --json"))
    for name, t in types.items():
        mt = harness.parse_hex(t["mt"])
        if "HeapShapes." not in name:
            continue
        got_live = live.get(mt, {}).get("count", 0)
        got_dead = dead.get(mt, {}).get("count", 0)
        check(got_live == t["live"], "%s: %d live, target says %d" % (name, got_live, t["live"]))
        check(got_dead == t["dead"], "%s: %d dead, target says %d" % (name, got_dead, t["dead"]))

    # -mt, -short -----------------------------------------------------------
    for name, t in types.items():
        r = tr.json("dumpheap -mt %s --json" % t["mt"])
        if "objects" in t:
            # The target named each instance: the same addresses, sizes, generations.
            want = sorted((harness.parse_hex(o["address"]), o["size"], o["gen"]) for o in t["objects"])
            got = sorted((harness.parse_hex(o["address"]), o["size"],
                          {"frozen": "foh"}.get(o["generation"], o["generation"])) for o in r["objects"])
            check(got == want, "-mt %s: objects %s, target says %s" % (name, got, want))
        check(len(r["objects"]) == t["count"], "-mt %s: %d objects, expected %d" % (name, len(r["objects"]), t["count"]))
        check(all(o["mt"] == r["objects"][0]["mt"] for o in r["objects"]), "-mt %s: other MTs" % name)
        short = [l for l in tr.output("dumpheap -mt %s -short" % t["mt"]) if re.fullmatch(r"[0-9a-f]{12,16}", l)]
        check(sorted(int(a, 16) for a in short) == sorted(harness.parse_hex(o["address"]) for o in r["objects"]),
              "-short and --json list different objects for %s" % name)

    # -gen ------------------------------------------------------------------
    loh = tr.json("dumpheap -stat -gen loh --json")
    check_totals(loh, "-gen loh")
    check(loh["totalSize"] == h["generations"]["loh"],
          "-gen loh: %d bytes, eeheap says %d" % (loh["totalSize"], h["generations"]["loh"]))
    poh = tr.json("dumpheap -stat -gen poh --json")
    check(poh["totalSize"] == h["generations"]["poh"],
          "-gen poh: %d bytes, eeheap says %d" % (poh["totalSize"], h["generations"]["poh"]))
    foh = {int(l, 16) for l in tr.output("dumpheap -short -gen foh") if re.fullmatch(r"[0-9a-f]{12,16}", l)}
    for s in truth["strings"]:
        if s.get("frozen"):
            check(harness.parse_hex(s["address"]) in foh, "frozen literal %s not in -gen foh" % s["address"])
    by_gen = {gen: stats_by_mt(tr.json("dumpheap -gen %s -stat -type HeapShapes. --json" % gen))
              for gen in ("gen0", "gen2")}
    for name, t in types.items():
        if "HeapShapes." not in name:
            continue
        for gen, rows in by_gen.items():
            got = rows.get(harness.parse_hex(t["mt"]), {}).get("count", 0)
            want = t.get("gens", {}).get(gen, 0)
            check(got == want, "%s: %d in %s, target says %d" % (name, got, gen, want))

    # -min/-max on objects of known sizes ------------------------------------
    check(len(blobs(truth)) >= 4, "the target lists no Blob[] objects")
    for b in blobs(truth):
        r = tr.json("dumpheap -type HeapShapes.Blob[] -min %d -max %d --json" % (b["size"], b["size"]))
        check([(harness.parse_hex(o["address"]), o["size"]) for o in r["objects"]] ==
              [(harness.parse_hex(b["address"]), b["size"])],
              "-min/-max %d: %s" % (b["size"], r["objects"]))

    # Ranges and segments ---------------------------------------------------
    check_ranges(tr2, h)

    # -thinlock: the object the target's LockHolderThread holds --------------
    holder = truth["threads"]["LockHolderThread"]
    locks = tr.json("dumpheap -thinlock --json")["thinLocks"]
    # The target's LockHolderThread holds this one; another thread may hold a
    # lock of its own at that moment (the main thread flushing its output).
    check((harness.parse_hex(holder["lockedObject"]), holder["managedId"]) in
          [(harness.parse_hex(l["object"]), l["threadId"]) for l in locks],
          "-thinlock: %s, target holds %s" % (locks, holder))
    check(re.search(r"^\s+%012x\s+[0-9a-f]{12,16}\s+0x[0-9a-f]+\s+%d\s+0$" %
                    (harness.parse_hex(holder["lockedObject"]), holder["managedId"]),
                    tr.text_of("dumpheap -thinlock"), re.M) is not None, "-thinlock text row")
    # The holder's OS thread id; a lock word may also name a thread that has
    # since exited (OS id 0, as the runtime records it).
    check([l["osId"] for l in locks if harness.parse_hex(l["object"]) == harness.parse_hex(holder["lockedObject"])]
          == [holder["osId"]], "-thinlock: OS thread id of %s, target says %d" % (locks, holder["osId"]))

    # Progress: on the error stream of a live walk (threshold 0 here), never with -noprogress.
    if mode == "live":
        check("of heap walked" in tr.text_of("dumpheap -stat -type HeapShapes.Customer"),
              "no progress line")
        check("of heap walked" not in tr.text_of("dumpheap -stat -noprogress -type HeapShapes.Customer"),
              "progress despite -noprogress")
        check("of heap walked" not in tr.text_of("dumpheap -stat --json"), "progress in --json")

    # Bad input -------------------------------------------------------------
    def err(cmd, *needles):
        e = tr.error(cmd)
        if check(e is not None, "%r did not fail" % cmd):
            for n in needles:
                check(n in e, "%r: error %r lacks %r" % (cmd, e, n))
    err("dumpheap -bogus", "unknown option '-bogus'")
    err("dumpheap -mt 0x10", "not a MethodTable")
    err("dumpheap 0x1000 0x2000", "no GC heap memory")
    # Under DATAS the runtime changes its heap count as it goes: the count at
    # this stop is what eeheap of the same stop reports.
    heaps = h["heapCount"]
    err("dumpheap -heap 7", "there are %d GC heaps" % heaps if heaps > 1 else "there is 1 GC heap")
    err("dumpheap -gen gen9", "gen0, gen1, gen2, loh, poh or foh")
    err("dumpheap -live -dead", "exclude each other")
    harness.finish()


def check_stops(tr):
    """The heap is read anew at each stop: 1000 Later objects appear after the target ran."""
    def later(index):
        rows = tr.json("dumpheap -stat -type HeapShapes.Later --json", index)["statistics"]
        return sum(r["count"] for r in rows if r["type"] == "HeapShapes.Later")
    check(later(0) == 0, "Later objects before the target grew")
    check("stopped" in tr.text_of("process continue"), "the target did not stop again")
    check(later(1) == 1000, "after the target grew, %d Later objects, expected 1000" % later(1))


def blobs(truth):
    """The Blob[] instances the target made, each of its own size."""
    t = truth["dumpheap"]["types"].get("HeapShapes.Blob[]", {})
    return t.get("objects", [])


def range_commands(h):
    """Commands that take the heap's layout: the LOH segments by range and by -segment."""
    cmds = ["dumpheap -short -gen loh"]
    for heap in h["heaps"]:
        for s in heap["segments"]:
            if s["kind"] == "loh" and s["allocatedSize"]:
                cmds.append("dumpheap -short %s %s" % (s["begin"], s["allocated"]))
                cmds.append("dumpheap -short -segment %s" % s["address"])
    return cmds


def check_ranges(tr, h):
    loh = {int(l, 16) for l in tr.output("dumpheap -short -gen loh") if re.fullmatch(r"[0-9a-f]{12,16}", l)}
    by_range, by_segment = set(), set()
    for heap in h["heaps"]:
        for s in heap["segments"]:
            if s["kind"] != "loh" or not s["allocatedSize"]:
                continue
            lo, hi = harness.parse_hex(s["begin"]), harness.parse_hex(s["allocated"])
            r = {int(l, 16) for l in tr.output("dumpheap -short %s %s" % (s["begin"], s["allocated"]))
                 if re.fullmatch(r"[0-9a-f]{12,16}", l)}
            check(all(lo <= a < hi for a in r), "range %s-%s lists objects outside it" % (s["begin"], s["allocated"]))
            g = {int(l, 16) for l in tr.output("dumpheap -short -segment %s" % s["address"])
                 if re.fullmatch(r"[0-9a-f]{12,16}", l)}
            check(r == g, "range and -segment differ for %s" % s["address"])
            by_range |= r
            by_segment |= g
    check(loh and by_range == loh, "the LOH segments' ranges list %d objects, -gen loh %d" % (len(by_range), len(loh)))


if __name__ == "__main__":
    try:
        main()
    except harness.Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
