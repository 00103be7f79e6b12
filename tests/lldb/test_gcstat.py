"""gcheapstat, gcwhere and dumpgen against HeapShapes' own truth.

usage: test_gcstat.py <gc config> <live|full|heap|os>
  gc config: wks-regions, wks-segments, svr-regions, svr-segments

Starts HeapShapes under the GC configuration, then runs the commands in lldb
attached to it (live) or on a core of it, and checks:
  - gcheapstat --json: per heap and generation, allocated equals eeheap -gc's
    sizes, free equals the Free objects dumpheap -stat -gen counts, unrooted
    (-iu) equals dumpheap -dead -stat -gen, committed adds up to eeheap's
    committed memory (less NonGC); the text's rows carry the same numbers;
  - dumpgen <gen> --json equals dumpheap -stat -gen <gen>; over the five
    generations each HeapShapes type counts what the target allocated; the
    text has SOS's layout (the regexes of SOS's DumpGen.script), -type in
    any case, -mt lists that type's objects;
  - gcwhere: the target's large arrays are 'large', pinned ones 'pinned',
    frozen literals 'frozen', its strings '2', each in the eeheap segment
    holding it; an address in reserved memory is 'reserve'; SOS's GCTests and
    GCPOH regexes match; an address outside the heap says so;
  - bad arguments fail with one-line errors.
"""

import re
import sys

import harness
from harness import check

GENS = ["gen0", "gen1", "gen2", "loh", "poh"]
# dumpgen also lists the NonGC (frozen) heap: static arrays of the target may live there.
DG_GENS = GENS + ["foh"]
# SOS's test scripts' <HEXVAL> and <DECVAL>.
HEX = r"[A-Fa-f0-9]+(`[A-Fa-f0-9]+)?"
DEC = r"[,0-9]+(`[,0-9]+)?"

BAD = {
    "dumpgen": "Generation argument is missing",
    "dumpgen invalid": "invalid is not a supported generation",
    "dumpgen gen0 -mt": "-mt needs a value",
    "dumpgen gen0 -bogus": "unknown option '-bogus'",
    "dumpgen gen0 gen1": "unexpected argument 'gen1'",
    "gcwhere": "gcwhere needs the address",
    "gcwhere 10 20": "a second address",
    "gcwhere -x": "unknown option '-x'",
    "gcheapstat -live": "unknown option '-live'",
    "gcheapstat 5": "unexpected argument '5'",
}


def stats_rows(result):
    return sorted((harness.parse_hex(r["mt"]), r["count"], r["totalSize"], r["type"])
                  for r in result["statistics"])


def free_of(result):
    return sum(r["totalSize"] for r in result["statistics"] if r["type"] == "Free")


def main():
    config, mode = sys.argv[1], sys.argv[2]
    env = harness.GC_CONFIGS[config]
    server = config.startswith("svr")

    def commands_for(truth):
        cmds = ["eeheap -gc --json", "gcheapstat --json", "gcheapstat -iu --json", "gcheapstat",
                "gcheapstat -iu", "clrsos GCHeapStat -inclUnrooted --json", "dumpheap -dead -stat --json"]
        for g in DG_GENS:
            cmds += ["dumpgen %s --json" % g, "dumpgen %s" % g, "dumpheap -stat -gen %s --json" % g,
                     "dumpheap -dead -stat -gen %s --json" % g]
        for g in GENS:
            for h in range(truth["heapCount"]):
                cmds.append("dumpheap -stat -gen %s -heap %d --json" % (g, h))
        cmds += ["dumpgen gen2 -type heapshapes.", "dumpgen GEN2 -type HeapShapes. --json",
                 "dumpgen gen0 -type NoMatchingType", "dumpgen gen0 -mt 00000001", "dg poh"]
        for t in truth["dumpheap"]["types"].values():
            cmds += ["dumpgen gen2 -mt %s" % t["mt"], "dumpgen gen2 -mt %s --json" % t["mt"]]
        for a in addresses(truth):
            cmds += ["gcwhere %s --json" % a[0], "gcwhere %s" % a[0]]
        cmds += ["dumpheap -short -gen %s" % g for g in DG_GENS]
        cmds += ["gcwhere 10", "gcwhere 10 --json"] + list(BAD)
        return cmds

    def addresses(truth):
        out = [(i["address"], "large") for i in truth["largeArrays"]["items"]]
        out += [(i["address"], "pinned") for i in truth["pinnedArrays"]["items"]]
        for st in truth["strings"]:
            if st.get("frozen"):
                out.append((st["address"], "frozen"))
            elif st["length"] < 40000:
                out.append((st["address"], str(st["generation"])))  # GC.GetGeneration's answer
        return out

    def reserve_commands(h):
        cmds = []
        for hp in h["heaps"]:
            for s in hp["segments"]:
                if s.get("reserved") and harness.parse_hex(s["reserved"]) > harness.parse_hex(s["committed"]):
                    cmds.append("gcwhere %x --json" % harness.parse_hex(s["committed"]))
                    return cmds
        return cmds

    if mode == "live":
        with harness.Target("HeapShapes", env=env) as t:
            truth = t.truth
            tr = harness.lldb(commands_for(truth), pid=t.pid)
            tr2 = harness.lldb(reserve_commands(tr.json("eeheap -gc --json")) or ["eeversion"], pid=t.pid)
    else:
        scratch = harness.scratch_dir()
        try:
            core, exe, truth = harness.core_of_finished("HeapShapes", mode, scratch, env=env)
            tr = harness.lldb(commands_for(truth), core=core, exe=exe)
            tr2 = harness.lldb(reserve_commands(tr.json("eeheap -gc --json")) or ["eeversion"],
                               core=core, exe=exe)
        finally:
            harness.cleanup(scratch)
    print(tr.text)
    print(tr2.text)
    heaps = truth["heapCount"]
    h = tr.json("eeheap -gc --json")

    # gcheapstat ------------------------------------------------------------
    st = tr.json("gcheapstat --json")
    iu = tr.json("gcheapstat -iu --json")
    check(tr.error("gcheapstat --json") is None and tr.error("gcheapstat -iu --json") is None,
          "gcheapstat failed")
    check(not st["unreachable"] and iu["unreachable"], "the unreachable flag")
    check(tr.json("clrsos GCHeapStat -inclUnrooted --json") == iu, "-inclUnrooted differs from -iu")
    check(len(st["heaps"]) == heaps, "gcheapstat lists %d heaps, target has %d" % (len(st["heaps"]), heaps))
    check(st["problemCount"] == 0 and not st["warnings"] and not iu["warnings"], "problems or warnings on a healthy heap")
    segments = any(s["kind"] == "ephemeral" for hp in h["heaps"] for s in hp["segments"])
    check(("ephemeral" in st["total"]["generations"]) == segments, "EPH column present iff segments")
    for i, hp in enumerate(st["heaps"]):
        for g in GENS:
            check(hp["generations"][g]["allocated"] == h["heaps"][i]["generations"][g],
                  "heap %d %s allocated %d, eeheap %d" % (i, g, hp["generations"][g]["allocated"],
                                                           h["heaps"][i]["generations"][g]))
            per = tr.json("dumpheap -stat -gen %s -heap %d --json" % (g, i))
            check(hp["generations"][g]["free"] == free_of(per),
                  "heap %d %s free %d, dumpheap Free %d" % (i, g, hp["generations"][g]["free"], free_of(per)))
            check(iu["heaps"][i]["generations"][g]["free"] == hp["generations"][g]["free"], "free differs with -iu")
    total = st["total"]["generations"]
    for g in GENS:
        check(total[g]["allocated"] == h["generations"][g],
              "total %s allocated %d, eeheap %d" % (g, total[g]["allocated"], h["generations"][g]))
        check(total[g]["free"] == free_of(tr.json("dumpheap -stat -gen %s --json" % g)), "total %s free" % g)
        dead = tr.json("dumpheap -dead -stat -gen %s --json" % g)["totalSize"]
        check(iu["total"]["generations"][g]["unrooted"] == dead,
              "%s unrooted %d, dumpheap -dead %d" % (g, iu["total"]["generations"][g]["unrooted"], dead))
        check(total[g]["free"] <= total[g]["allocated"], "%s free above allocated" % g)
    check(sum(iu["total"]["generations"][g]["unrooted"] for g in GENS) ==
          tr.json("dumpheap -dead -stat --json")["totalSize"], "unrooted does not add up to dumpheap -dead")
    check(sum(iu["total"]["generations"][g]["unrooted"] for g in GENS) > 0,
          "nothing unrooted, though HeapShapes drops objects")
    frozen_committed = sum(s["committedSize"] for hp in h["heaps"] for s in hp["segments"] if s["kind"] == "frozen")
    committed = sum(v["committed"] for v in total.values())
    check(committed == h["totalCommitted"] - frozen_committed,
          "committed %d, eeheap %d less NonGC %d" % (committed, h["totalCommitted"], frozen_committed))

    # Text: SOS's tables with the same numbers.
    text = tr.text_of("gcheapstat -iu")
    check(tr.error("gcheapstat -iu") is None, "gcheapstat -iu failed")
    cols = (["ephemeral"] if segments else []) + GENS
    titles = {"allocated": None, "free": "Free space:", "unrooted": "Unrooted objects:",
              "committed": "Committed space:"}
    blocks = text.split("\n\n")
    for field, title in titles.items():
        block = [b for b in blocks if (title is None and b.startswith("Heap")) or (title and b.startswith(title))]
        if not check(block, "text: no table of %s" % field):
            continue
        lines = block[0].splitlines()
        header = lines[1] if title else lines[0]
        check(header.split() == ["Heap"] + (["EPH"] if segments else []) + ["Gen0", "Gen1", "Gen2", "LOH", "POH"],
              "text: header %r" % header)
        for i in range(heaps + 1):
            name = "Total" if i == heaps else "Heap%d" % i
            row = [ln for ln in lines if ln.split() and ln.split()[0] == name]
            if not check(row, "text: no %s row in %s" % (name, field)):
                continue
            src = iu["total"] if i == heaps else iu["heaps"][i]
            want = [str(src["generations"][c][field]) for c in cols]
            check(row[0].split()[1:1 + len(cols)] == want, "text: %s %s row %r, want %s" % (field, name, row[0], want))
            if field in ("free", "unrooted") and i < heaps:
                soh = sum(src["generations"][g][field] for g in GENS[:3])
                alloc = sum(src["generations"][g]["allocated"] for g in GENS[:3])
                if alloc:
                    check("SOH:%d%%" % (soh * 100 // alloc) in row[0], "text: SOH share in %r" % row[0])
    check(tr.text_of("gcheapstat").count("Unrooted objects:") == 0, "unrooted table without -iu")

    # dumpgen ---------------------------------------------------------------
    counts = {}
    for g in DG_GENS:
        dg = tr.json("dumpgen %s --json" % g)
        check(tr.error("dumpgen %s --json" % g) is None, "dumpgen %s failed" % g)
        dh = tr.json("dumpheap -stat -gen %s --json" % g)
        check(stats_rows(dg) == stats_rows(dh), "dumpgen %s differs from dumpheap -stat -gen %s" % (g, g))
        check(dg["totalObjects"] == dh["totalObjects"] and dg["totalSize"] == dh["totalSize"], "dumpgen %s totals" % g)
        for r in dg["statistics"]:
            counts[r["type"]] = counts.get(r["type"], 0) + r["count"]
        text = tr.text_of("dumpgen %s" % g)
        check(re.search(r"^\s+MT\s+Count\s+TotalSize\s+Class Name", text, re.M) is not None,
              "dumpgen %s: no SOS header" % g)
        rows = re.findall(r"^([0-9a-f]{16}) +(\d+) +(\d+) (.*)$", text, re.M)
        check(sorted((int(m, 16), int(c), int(s), n) for m, c, s, n in rows) == stats_rows(dg),
              "dumpgen %s: text rows differ from JSON" % g)
        check(sorted(rows, key=lambda r: int(r[2])) == rows, "dumpgen %s: not ascending by size" % g)
        check("Total %d objects" % dg["totalObjects"] in text, "dumpgen %s: total line" % g)
    for name, t in truth["dumpheap"]["types"].items():
        check(counts.get(name, 0) == t["count"],
              "%s: %d over the generations, target says %d" % (name, counts.get(name, 0), t["count"]))
    # SOS's DumpGen.script regexes, with HeapShapes' types.
    poh = tr.text_of("dg poh")
    check(re.search(r"^%s\s+%s\s+%s\s+System.Byte\[\]" % (HEX, DEC, DEC), poh, re.M) is not None
          or not truth["pinnedArrays"]["items"], "dg poh: no System.Byte[] row")
    gen2 = tr.json("dumpgen gen2 --json")
    want = [r for r in gen2["statistics"] if "heapshapes." in r["type"].lower()]
    filt = tr.json("dumpgen GEN2 -type HeapShapes. --json")
    check(stats_rows(filt) == stats_rows({"statistics": want}) and want, "dumpgen -type: rows differ")
    text = tr.text_of("dumpgen gen2 -type heapshapes.")
    check("Total %d objects" % sum(r["count"] for r in want) in text, "dumpgen -type in any case: total")
    check("Total 0 objects" in tr.text_of("dumpgen gen0 -type NoMatchingType"), "no matching type: total")
    check("Total 0 objects" in tr.text_of("dumpgen gen0 -mt 00000001"), "-mt 1: total")
    by_mt = {harness.parse_hex(r["mt"]): r for r in gen2["statistics"]}
    for name, t in truth["dumpheap"]["types"].items():
        mt = harness.parse_hex(t["mt"])
        got = tr.json("dumpgen gen2 -mt %s --json" % t["mt"])
        want_n = by_mt[mt]["count"] if mt in by_mt else 0
        check(got["totalObjects"] == want_n == len(got["objects"]), "dumpgen gen2 -mt %s: count" % name)
        if want_n:
            check(sum(o["size"] for o in got["objects"]) == by_mt[mt]["totalSize"], "-mt %s: sizes" % name)
        text = tr.text_of("dumpgen gen2 -mt %s" % t["mt"])
        check(re.search(r"^\s+Address\s+MT\s+Size", text, re.M) is not None, "-mt %s: header" % name)
        lines = re.findall(r"^([0-9a-f]{16}) ([0-9a-f]{16}) +(\d+)$", text, re.M)
        check(len(lines) == want_n and all(int(m, 16) == mt for _, m, _ in lines), "-mt %s: text rows" % name)
        check("Total %d objects" % want_n in text, "-mt %s: total line" % name)

    # gcwhere ---------------------------------------------------------------
    segs = [s for hp in h["heaps"] for s in hp["segments"]]
    words = {"gen0": "0", "gen1": "1", "gen2": "2", "loh": "large", "poh": "pinned", "foh": "frozen"}
    gen_of = {}
    for g in DG_GENS:
        for line in tr.output("dumpheap -short -gen %s" % g):
            if re.fullmatch(r"[0-9a-f]+", line.strip()):
                gen_of[int(line, 16)] = words[g]
    for addr, gen in addresses(truth):
        check(gen_of.get(harness.parse_hex(addr)) == gen,
              "%s: dumpheap -gen puts it in %s, expected %s" % (addr, gen_of.get(harness.parse_hex(addr)), gen))
        w = tr.json("gcwhere %s --json" % addr)
        a = harness.parse_hex(addr)
        if not check(w["found"] and len(w["segments"]) == 1, "gcwhere %s: %s" % (addr, w)):
            continue
        row = w["segments"][0]
        check(row["generation"] == gen, "gcwhere %s: generation %s, expected %s" % (addr, row["generation"], gen))
        seg = [s for s in segs if harness.parse_hex(s["begin"]) <= a < harness.parse_hex(s["allocated"])]
        check(len(seg) == 1 and harness.parse_hex(seg[0]["address"]) == harness.parse_hex(row["segment"]) and
              harness.parse_hex(seg[0]["begin"]) == harness.parse_hex(row["begin"]),
              "gcwhere %s: segment %s, eeheap says %s" % (addr, row["segment"], seg))
        text = tr.text_of("gcwhere %s" % addr)
        # SOS's GCTests.script / GCPOH.script check.
        check(re.search(r"\s*%s\s+%s\s+%s\s+%s.*" % (HEX, DEC, HEX, gen), text) is not None,
              "gcwhere %s text: SOS's regex fails:\n%s" % (addr, text))
        check(re.search(r"^%012x +%d +%012x +%s +%x-%x " % (a, row["heap"], harness.parse_hex(row["segment"]), gen,
                                                       harness.parse_hex(row["begin"]),
                                                       harness.parse_hex(row["allocated"])), text, re.M),
              "gcwhere %s text row:\n%s" % (addr, text))
        check(text.splitlines()[0].split() == ["Address", "Heap", "Segment", "Generation", "Allocated", "Committed",
                                               "Reserved"], "gcwhere header")
    check(tr.text_of("gcwhere 10").strip() == "Address 10 not found in the managed heap.", "gcwhere 10")
    check(tr.error("gcwhere 10") is None and not tr.json("gcwhere 10 --json")["found"], "gcwhere 10 --json")
    for cmd in tr2.blocks:
        if cmd[0].startswith("gcwhere"):
            w = tr2.json(cmd[0])
            check(w["found"] and w["segments"][0]["generation"] == "reserve", "%s: %s" % (cmd[0], w))

    # Errors ----------------------------------------------------------------
    for cmd, text in BAD.items():
        e = tr.error(cmd)
        check(e is not None and text in e, "%s: error %r, expected %r" % (cmd, e, text))
        check(len([ln for ln in tr.output(cmd) if ln.strip()]) == 1, "%s: more than one line" % cmd)
    harness.finish()


if __name__ == "__main__":
    try:
        main()
    except harness.Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
    except harness.Unavailable as e:
        print("SKIPPED: %s" % e)
        sys.exit(harness.SKIP)
