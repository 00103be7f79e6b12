"""eeversion and eeheap -gc against HeapShapes' own truth.

usage: test_eeheap.py <gc config> <live|full|heap|os> [net8|net9|net10]
  gc config: wks-regions, wks-segments, svr-regions, svr-segments
  net8, net9, net10: HeapShapes published self-contained for that runtime
  (default: CLRSOS_RUNTIME, see harness.py; else the machine's .NET)

Starts HeapShapes under the GC configuration, then runs the commands in lldb
attached to it (live) or on a core of it, and checks:
  - eeversion: runtime version, GC mode, heap count, regions/segments, DAC path;
  - eeheap -gc --json: per-generation sizes equal what the GC reported after
    the target's last full GC (GCMemoryInfo.GenerationInfo[].SizeAfterBytes),
    gen0 within the allocations made after that GC; every object the target
    knows the address of lies in a segment of the right kind;
  - eeheap -gc text: the same totals and segments, in SOS's layout;
  - the -heap and -segment filters.
"""

import re
import sys

import harness
from harness import check

MIB = 1024 * 1024
# gen0 may grow after the last GC: the target allocates its dead objects and
# its truth line after it (tens of KB), and a thread's allocation context
# is counted as allocated as soon as the GC hands it out (up to a few MB
# under server GC). Everything else must match exactly.
GEN0_SLACK = 4 * MIB


def main():
    config, mode = sys.argv[1], sys.argv[2]
    variant = sys.argv[3] if len(sys.argv) > 3 else harness.RUNTIME
    env = harness.GC_CONFIGS[config]
    server = config.startswith("svr")
    regions = config.endswith("regions")
    commands = [
        "eeversion",
        "eeversion --json",
        "eeheap -gc",
        "eeheap -gc --json",
        "clrsos eeheap -gc --json",
        "eeheap -loader --json",
        "eeheap -loader",
        "eeheap",
        "clrstack -all --json",
    ]
    if server:
        commands += ["eeheap -gc -heap 1 --json", "eeheap -gc -heap 1"]
    if mode == "live":
        with harness.Target("HeapShapes", env=env, variant=variant) as t:
            truth = t.truth
            tr = harness.lldb(commands + [
                # Run code in the target (the process runs, then stops
                # again): clrsos must drop the stop's caches and reread.
                "expr (int)getpid()",
                "eeheap -gc --json",
            ], pid=t.pid)
    else:
        scratch = harness.scratch_dir()
        try:
            core, exe, truth = harness.core_of_finished("HeapShapes", mode, scratch,
                                                        env=env, variant=variant)
            tr = harness.lldb(commands, core=core, exe=exe)
        finally:
            harness.cleanup(scratch)
    heaps = truth["heapCount"]
    print(tr.text)

    # eeversion --------------------------------------------------------------
    v = tr.json("eeversion --json")
    check(tr.error("eeversion --json") is None, "eeversion --json failed")
    check(v["runtimeVersion"] == truth["runtime"],
          "runtime version %s, target says %s" % (v["runtimeVersion"], truth["runtime"]))
    check(v["gcMode"] == ("server" if server else "workstation"), "gc mode " + v["gcMode"])
    check(v["heapCount"] == heaps, "heap count %s, target says %s" % (v["heapCount"], heaps))
    check(v["regions"] == regions, "regions %s, expected %s" % (v["regions"], regions))
    check(v["dacPath"] == harness.runtime_dir(truth) + "/libmscordaccore.so",
          "DAC path " + str(v["dacPath"]))
    check(v["buildIdFromTargetMemory"], "build-id not read from the target's memory")
    check(v["gcStructuresValid"], "GC structures reported invalid")
    text = tr.text_of("eeversion")
    check(tr.error("eeversion") is None, "eeversion failed")
    check(v["fileVersion"] and text.startswith(v["fileVersion"]),
          "eeversion text does not start with the file version")
    if server:
        check("Server mode with %d gc heaps" % heaps in text, "eeversion: no server mode line")
    else:
        check("Workstation mode" in text, "eeversion: no workstation mode line")
    check(("DAC: " + v["dacPath"]) in text, "eeversion: no DAC line")

    # eeheap --json --------------------------------------------------------
    h = tr.json("eeheap -gc --json")
    check(tr.error("eeheap -gc --json") is None, "eeheap -gc --json failed")
    check(h == tr.json("clrsos eeheap -gc --json"), "clrsos eeheap differs from eeheap")
    check(h["heapCount"] == heaps and len(h["heaps"]) == heaps,
          "eeheap lists %d heaps, target has %d" % (len(h["heaps"]), heaps))
    check(h["regions"] == regions, "eeheap regions flag")
    check(not h["warnings"], "warnings: %s" % h["warnings"])
    segs = [s for heap in h["heaps"] for s in heap["segments"]]
    kinds = {s["kind"] for s in segs}
    if regions:
        check({"gen0", "gen1", "gen2", "loh", "poh"} <= kinds, "region kinds %s" % kinds)
        check("ephemeral" not in kinds, "an ephemeral segment under regions")
    else:
        check({"ephemeral", "loh", "poh"} <= kinds, "segment kinds %s" % kinds)
        check(not {"gen0", "gen1"} & kinds, "gen0/gen1 regions under segments")
    for heap in h["heaps"]:
        check(heap["segments"], "heap %d has no segments" % heap["index"])
    for s in segs:
        b, a, c = (harness.parse_hex(s[k]) for k in ("begin", "allocated", "committed"))
        check(b <= a <= c, "segment %s: begin %x allocated %x committed %x" % (s["address"], b, a, c))
        check(s["allocatedSize"] == a - b, "segment %s allocated size" % s["address"])
        check(s["committedSize"] >= s["allocatedSize"], "segment %s committed < allocated" % s["address"])

    # Sizes against the GC's own numbers after the target's last full GC.
    gens = h["generations"]
    after = [g["sizeAfterBytes"] for g in truth["generations"]]
    for i, name in ((1, "gen1"), (2, "gen2"), (3, "loh"), (4, "poh")):
        check(gens[name] == after[i], "%s: eeheap %d, GC says %d" % (name, gens[name], after[i]))
    check(after[0] <= gens["gen0"] <= after[0] + GEN0_SLACK,
          "gen0: eeheap %d, GC says %d (+%d slack)" % (gens["gen0"], after[0], GEN0_SLACK))
    gc_heap = h["totalAllocated"] - gens["frozen"]
    check(truth["gcHeapSizeBytes"] <= gc_heap <= truth["gcHeapSizeBytes"] + GEN0_SLACK,
          "GC heap size: eeheap %d (without NonGC), GC says %d" % (gc_heap, truth["gcHeapSizeBytes"]))
    check(h["totalAllocated"] == sum(s["allocatedSize"] for s in segs), "total allocated")
    check(h["totalCommitted"] == sum(s["committedSize"] for s in segs), "total committed")
    check(sum(gens.values()) == h["totalAllocated"], "generation sizes do not add up")

    # Objects the target placed must lie in segments of the right kind.
    def kind_of(addr):
        for s in segs:
            if harness.parse_hex(s["begin"]) <= addr < harness.parse_hex(s["allocated"]):
                return s["kind"]
        return None
    for item in truth["largeArrays"]["items"]:
        check(kind_of(harness.parse_hex(item["address"])) == "loh",
              "large array %s not in a LOH segment" % item["address"])
    for item in truth["pinnedArrays"]["items"]:
        check(kind_of(harness.parse_hex(item["address"])) == "poh",
              "pinned array %s not in a POH segment" % item["address"])
    for st in truth["strings"]:
        k = kind_of(harness.parse_hex(st["address"]))
        if st.get("frozen"):
            check(k == "frozen", "frozen literal %s in %s" % (st["address"], k))
        elif st["length"] < 40000:
            check(k in ("gen2", "ephemeral"),
                  "string %s (%s) is in %s, expected gen2" % (st["name"], st["address"], k))
    for name, info in truth["statics"].items():
        if info.get("address"):
            check(kind_of(harness.parse_hex(info["address"])) is not None,
                  "%s (%s) is in no segment" % (name, info["address"]))

    # eeheap text -----------------------------------------------------------
    text = tr.text_of("eeheap -gc")
    check(tr.error("eeheap -gc") is None, "eeheap -gc failed")
    check("Number of GC Heaps: %d" % heaps in text, "text: heap count line")
    total = h["totalAllocated"]
    check("GC Allocated Heap Size:    Size: 0x%x (%d) bytes." % (total, total) in text,
          "text: allocated total line")
    committed = h["totalCommitted"]
    check("GC Committed Heap Size:    Size: 0x%x (%d) bytes." % (committed, committed) in text,
          "text: committed total line")
    for s in segs:
        addr = "%012x" % harness.parse_hex(s["address"])
        row = re.search(r"^\s+%s\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+0x([0-9a-f]+) \((\d+)\)" % addr,
                        text, re.M)
        if check(row is not None, "text: no row for segment %s" % addr):
            check(int(row.group(1), 16) == harness.parse_hex(s["begin"]) and
                  int(row.group(5)) == s["allocatedSize"], "text: row of segment %s differs" % addr)
    for header in ("Small object heap", "Large object heap", "Pinned object heap", "NonGC heap"):
        check(header in text, "text: no '%s'" % header)
    check(bool(re.search(r"segment\s+begin\s+allocated\s+committed\s+allocated size\s+committed size", text)),
          "text: segment table header")
    if regions:
        check("generation 0:" in text and "generation 2:" in text, "text: region generation headers")
    else:
        check(re.search(r"generation 0 starts at [0-9a-f]+", text) is not None,
              "text: generation starts")

    # Filters ---------------------------------------------------------------
    if server:
        one = tr.json("eeheap -gc -heap 1 --json")
        check(one["filtered"] and [x["index"] for x in one["heaps"]] == [1], "-heap 1 lists other heaps")
        check(one["heaps"][0] == h["heaps"][1], "-heap 1 differs from heap 1 of the full list")
        check("Partial GC Allocated Heap Size" in tr.text_of("eeheap -gc -heap 1"), "-heap 1: no Partial total")

    # Loader heaps -----------------------------------------------------------
    # Checked against what the target and clrstack (tested on its own) say
    # lives there: the JIT's code of the target's methods lies in a code
    # heap, the target's MethodTables in a loader heap of a domain.
    lj = tr.json("eeheap -loader --json")["loader"]
    check(tr.error("eeheap -loader --json") is None, "eeheap -loader --json failed")
    blocks = [b for d in lj["domains"] for b in d["heaps"]]
    code = [b for m in lj["jitManagers"] for b in m["heaps"]]
    kinds = {b["kind"] for b in blocks}
    check({"LowFrequencyHeap", "HighFrequencyHeap"} <= kinds, "eeheap -loader: kinds %s" % sorted(kinds))
    check(code and all(b["kind"] in ("LoaderCodeHeap", "HostCodeHeap") for b in code), "eeheap -loader: code heaps %s" % code)
    for b in blocks + code:
        check(b["committed"] <= b["reserved"] and b["committed"] % 4096 == 0 or b["committed"] == b["reserved"],
              "eeheap -loader: block %s" % b)

    def inside(addr, bs):
        return any(harness.parse_hex(b["start"]) <= addr < harness.parse_hex(b["start"]) + b["reserved"] for b in bs)
    ips = [harness.parse_hex(f["ip"]) for t in tr.json("clrstack -all --json")["threads"] for f in t["frames"]
           if f["name"] and f["name"].startswith("HeapShapes.Program.")]
    check(ips and all(inside(ip, code) for ip in ips),
          "eeheap -loader: %d of %d JIT'd HeapShapes frames' IPs outside the code heaps"
          % (sum(1 for ip in ips if not inside(ip, code)), len(ips)))
    mt = harness.parse_hex(truth["objects"]["allFields"]["mt"]) if "objects" in truth else 0
    if mt:
        check(inside(mt, blocks), "eeheap -loader: the AllFields MethodTable %x in no loader heap" % mt)
    total = sum(d["size"] for d in lj["domains"]) + sum(m["size"] for m in lj["jitManagers"])
    check(lj["totalSize"] == total, "eeheap -loader: total %d, heaps sum to %d" % (lj["totalSize"], total))
    lt = tr.text_of("eeheap -loader")
    for pat in (r"^Loader Heap:$", r"^System Domain: +[0-9a-f]+$", r"^LowFrequencyHeap: +[0-9a-f]+.*bytes", r"^JIT Manager: +[0-9a-f]+$",
                r"^(LoaderCodeHeap|HostCodeHeap): +[0-9a-f]+.*bytes", r"^Total size: +Size: +0x[0-9a-f]+ \(\d+\) bytes"):
        check(re.search(pat, lt, re.M) is not None, "eeheap -loader text: no line like %s" % pat)
    sizes = sum(int(m) for m in re.findall(r"^Total size: +Size: +0x[0-9a-f]+ \((\d+)\)", lt, re.M))
    check(sizes == total, "eeheap -loader text: totals %d, JSON %d" % (sizes, total))
    # Plain eeheap: both, and SOS's grand total (loader heaps and the GC's committed memory).
    both = tr.text_of("eeheap")
    check(both.find("Loader Heap:") < both.find("Number of GC Heaps:"), "eeheap: not the loader heaps then the GC")
    m = re.search(r"^Total bytes consumed by CLR: 0x[0-9a-f]+ \((\d+)\)$", both, re.M)
    check(m is not None and int(m.group(1)) == total + h["totalCommitted"],
          "eeheap: total %s, expected %d" % (m and m.group(1), total + h["totalCommitted"]))

    if mode == "live":
        again = tr.json("eeheap -gc --json")
        check(tr.error("expr (int)getpid()") is None, "could not run code in the target")
        check(again["totalAllocated"] == h["totalAllocated"] and
              [s["address"] for hp in again["heaps"] for s in hp["segments"]] ==
              [s["address"] for s in segs],
              "after the process ran, eeheap differs without a GC")
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
