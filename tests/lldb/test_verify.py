"""verifyheap and verifyobj on a healthy heap: HeapShapes, live and on cores.

usage: test_verify.py <gc config> <live|full|heap>

On a heap that is not damaged:
  - verifyheap says "No heap corruption detected." (the regex of SOS's
    GCPOH.script), with the count of objects dumpheap -stat counts (an
    independent walk: every object, Free included) and 0 errors; --json says
    the same (and that it checked references); VerifyHeap gives the same;
    -heap and -segment verify fewer objects, which add up to all;
  - verifyobj on the target's objects (one with every kind of field, an
    array of references, a string, a large and a pinned array): "object 0x...
    is a valid object"; --json valid, with as many references checked as
    the object holds non-null;
  - each error a user can meet is one line with a failed status: no address,
    two addresses, an address outside the heap, inside an object, unaligned,
    a -heap or -segment that does not exist, an unknown option.
The damaged heaps (what verifyheap finds there) are in test_corrupt.py.

dumpgcdata (SOS's DumpGCData), on the same target: under the runtime's own
GC, one block per GC heap (truth's heap count; "--------info for heap N"
under server GC, the global mechanisms first under workstation GC), every
count the text shows equal to --json's, DumpGCData.script's line
"pre and post pin: <n>", and each heap counts at least the two induced
compacting GCs HeapShapes makes (GC.Collect(2, Forced, compacting)), the
process's compacting and promoting GCs no more than the GCs it counted;
under the standalone GC (libclrgc.so: the segments configurations) one
error saying that the DAC cannot read its counters.
"""

import re
import sys

import harness
from harness import check

BAD = {
    "verifyobj": "verifyobj needs",
    "verifyobj 10 20": "second address",
    "verifyobj 10": "is not in the GC heap",
    "verifyobj -x": "unknown option '-x'",
    "verifyheap -heap 99": "verifyheap -heap 99",
    "verifyheap -segment 10": "no GC segment or region has this address",
    "verifyheap -bogus": "unknown option '-bogus'",
    "verifyheap 20 10": "must be above its start",
    "verifyheap --max 0": "--max",
}


def main():
    config, mode = sys.argv[1], sys.argv[2]
    env = harness.GC_CONFIGS[config]

    def commands_for(truth):
        o = truth["objects"]
        cmds = ["dumpheap -stat --json", "eeheap -gc --json", "verifyheap", "verifyheap --json", "VerifyHeap", "vh",
                "Verifyheap", "sos VERIFYHEAP",
                "verifyheap -noprogress -ignoreGCState --json"]
        for h in range(truth["heapCount"]):
            cmds.append("verifyheap -heap %d --json" % h)
        for a in good_objects(truth):
            cmds += ["verifyobj %s" % a, "verifyobj %s --json" % a, "dumpobj %s --json" % a]
        af = harness.parse_hex(o["allFields"]["address"])
        cmds += ["verifyobj 0x%x" % (af + 8), "verifyobj 0x%x" % (af + 1), "VerifyObj 0x%x --json" % (af + 8),
                 "clrsos vo %s" % o["allFields"]["address"]]
        cmds += ["dumpgcdata", "dumpgcdata --json", "DumpGCData", "dgc", "dumpgcdata -x"]
        return cmds + list(BAD)

    def good_objects(truth):
        o = truth["objects"]
        out = [o["allFields"]["address"], o["arrays"]["ints"]["address"], o["strings"]["ascii"]["address"]]
        for key in ("strings", "objects"):
            arr = o["arrays"].get(key)
            if isinstance(arr, dict) and arr.get("address"):
                out.append(arr["address"])
        out += [i["address"] for i in truth["largeArrays"]["items"][:1]]
        out += [i["address"] for i in truth["pinnedArrays"]["items"][:1]]
        return out

    def segment_commands(h):
        # With a whole-heap run of its own: live, the target ran between the two lldb sessions.
        return ["verifyheap -segment %s --json" % s["address"] for hp in h["heaps"] for s in hp["segments"]] + \
            ["verifyheap --json"]

    if mode == "live":
        with harness.Target("HeapShapes", env=env) as t:
            truth = t.truth
            tr = harness.lldb(commands_for(truth), pid=t.pid)
            tr2 = harness.lldb(segment_commands(tr.json("eeheap -gc --json")), pid=t.pid)
    else:
        scratch = harness.scratch_dir()
        try:
            core, exe, truth = harness.core_of_finished("HeapShapes", mode, scratch, env=env)
            tr = harness.lldb(commands_for(truth), core=core, exe=exe)
            tr2 = harness.lldb(segment_commands(tr.json("eeheap -gc --json")), core=core, exe=exe)
        finally:
            harness.cleanup(scratch)
    print(tr.text)
    print(tr2.text)

    stat = tr.json("dumpheap -stat --json")
    total = stat["totalObjects"]
    v = tr.json("verifyheap --json")
    check(tr.error("verifyheap --json") is None, "verifyheap --json failed: %s" % tr.error("verifyheap --json"))
    check(v["errorCount"] == 0 and not v["errors"] and not v["corrupt"],
          "errors on a healthy heap: %s" % v["errors"][:10])
    check(v["objects"] == total, "verifyheap verified %d objects, dumpheap -stat counts %d" % (v["objects"], total))
    check(v["references"] > total // 10, "verifyheap checked only %d references" % v["references"])
    check(any("card table" in n for n in v["notChecked"]), "notChecked does not mention the card table")
    check(tr.json("verifyheap -noprogress -ignoreGCState --json") == v, "the flags change the answer")
    text = tr.text_of("verifyheap")
    check(tr.error("verifyheap") is None, "verifyheap failed: %s" % tr.error("verifyheap"))
    check(re.search(r"\s*No heap corruption detected.\s*", text), "GCPOH.script's regex: %r" % text)
    check(re.search(r"^%s objects verified, 0 errors\.$" % re.escape("{:,}".format(total)), text, re.M),
          "no 'N objects verified, 0 errors.' line: %r" % text)
    check(re.search(r"^Note: card table not checked: ", text, re.M), "the text does not say the card table was not checked")
    for c in ("VerifyHeap", "vh", "Verifyheap", "sos VERIFYHEAP"):
        check(tr.text_of(c) == text, "%s differs from verifyheap" % c)
    per_heap = [tr.json("verifyheap -heap %d --json" % h) for h in range(truth["heapCount"])]
    check(sum(p["objects"] for p in per_heap) == total,
          "-heap: %s objects, %d in all" % ([p["objects"] for p in per_heap], total))
    h = tr.json("eeheap -gc --json")
    segs = [s for hp in h["heaps"] for s in hp["segments"]]
    per_seg = [tr2.json("verifyheap -segment %s --json" % s["address"]) for s in segs]
    check(all(p is not None and p["errorCount"] == 0 for p in per_seg), "-segment: errors or failures")
    total2 = tr2.json("verifyheap --json")["objects"]
    check(sum(p["objects"] for p in per_seg if p) == total2,
          "-segment: %d objects over the segments, %d in all" % (sum(p["objects"] for p in per_seg if p), total2))

    for a in good_objects(truth):
        c = "verifyobj %s" % a
        check(tr.error(c) is None, "%s failed: %s" % (c, tr.error(c)))
        check(tr.text_of(c).strip() == "object 0x%x is a valid object" % harness.parse_hex(a),
              "%s: %r" % (c, tr.text_of(c)))
        j = tr.json("verifyobj %s --json" % a)
        check(j["valid"] and j["errorCount"] == 0, "verifyobj %s --json: %s" % (a, j))
    check(tr.text_of("clrsos vo %s" % af_addr(truth)) == tr.text_of("verifyobj %s" % af_addr(truth)),
          "clrsos vo differs from verifyobj (vo alone is lldb's frame variable -O)")
    # allFields: as many references as its fields hold non-null (truth).
    af = truth["objects"]["allFields"]
    refs = [f for f in af["fields"] if f.get("target")]
    j = tr.json("verifyobj %s --json" % af["address"])
    check(j["references"] >= len(refs) and refs, "verifyobj allFields: %d references checked, it holds %d"
          % (j["references"], len(refs)))

    a = harness.parse_hex(af["address"])
    e = tr.error("verifyobj 0x%x" % (a + 8))
    check(e and "inside" in e and ("%x" % a) in e, "verifyobj inside an object: %r" % e)
    e = tr.error("verifyobj 0x%x" % (a + 1))
    check(e and "aligned" in e, "verifyobj unaligned: %r" % e)
    j = tr.json("VerifyObj 0x%x --json" % (a + 8))
    check(j and "inside" in j.get("error", ""), "VerifyObj --json inside an object: %r" % j)
    check_gcdata(tr, truth, config)
    for c, want in BAD.items():
        e = tr.error(c)
        check(e is not None and want in e, "%r: error %r, want %r" % (c, e, want))
        lines = [l for l in tr.text_of(c).splitlines() if l.startswith("error:")]
        check(len(lines) <= 1, "%r: %d error lines" % (c, len(lines)))


def af_addr(truth):
    return truth["objects"]["allFields"]["address"]


def check_gcdata(tr, truth, config):
    e = tr.error("dumpgcdata -x")
    check(e and "unknown option '-x'" in e, "dumpgcdata -x: %r" % e)
    text = tr.text_of("dumpgcdata")
    check(tr.text_of("DumpGCData") == text and tr.text_of("dgc") == text, "DumpGCData or dgc differs from dumpgcdata")
    if "segments" in config:
        for c in ("dumpgcdata", "dumpgcdata --json"):
            e = tr.error(c)
            check(e and "standalone GC libclrgc.so" in e, "%s under the standalone GC: %r" % (c, e))
        return
    check(tr.error("dumpgcdata") is None, "dumpgcdata failed: %s" % tr.error("dumpgcdata"))
    j = tr.json("dumpgcdata --json")
    server = truth["serverGC"]
    check(j["server"] == server, "dumpgcdata: server %s, the target %s" % (j["server"], server))
    check(len(j["heaps"]) == (truth["heapCount"] if server else 1),
          "dumpgcdata: %d heaps, the target has %d" % (len(j["heaps"]), truth["heapCount"]))
    check(("globalMechanisms" in j) == (not server), "global mechanisms iff workstation GC")
    check(re.search(r"^\s+pre and post pin: \d+$", text, re.M), "DumpGCData.script's 'pre and post pin' line")
    check(text.count("[info per heap]") == 1, "no [info per heap] line")
    blocks = [text] if not server else re.split(r"^--------info for heap \d+--------$", text, flags=re.M)[1:]
    check(len(blocks) == len(j["heaps"]), "%d heap blocks in the text, %d in --json" % (len(blocks), len(j["heaps"])))
    for h, block in zip(j["heaps"], blocks):
        for section in ("interestingDataPoints", "compactingReasons", "expansionMechanisms", "otherMechanisms"):
            for name, n in h[section].items():
                check(re.search(r"^(\[[MW]\])?\s*%s: %d$" % (re.escape(name), n), block, re.M),
                      "heap %d: no '%s: %d' line in the text" % (h["heap"], name, n))
        induced = h["compactingReasons"]["induced compacting GC"]
        check(induced >= 2, "heap %d: %d induced compacting GCs, HeapShapes made 2" % (h["heap"], induced))
    if not server:
        g = j["globalMechanisms"]
        for name, n in g.items():
            check(re.search(r"^%s\s*: %d$" % (re.escape(name), n), text, re.M), "no '%s: %d' line" % (name, n))
        if not truth.get("gcSinceFinalCollect"):
            for name in ("compacting GCs", "promoting GCs"):
                check(g[name] <= truth["gcCount"][0], "%s: %d, the target counted %d GCs in all" %
                      (name, g[name], truth["gcCount"][0]))
        check(g["compacting GCs"] >= 2, "compacting GCs: %d, HeapShapes made 2" % g["compacting GCs"])


if __name__ == "__main__":
    harness.run_case({sys.argv[1]: main} if len(sys.argv) > 2 else {})
