"""objsize (per root, -mt, -short), listnearobj, pathto, sizestats and findroots
against HeapShapes' own truth and independently tested commands.

usage: test_heapnav.py <gc config> <live|full|heap|os>

Checks:
  - objsize without arguments lists the target's own strong and pinned
    handles with their objects, each with the size objsize <object> gives;
    -mt CwtKey counts every CwtKey the target made (they refer to nothing);
    -short lists the ring's objects; -stat has no sizeof line;
  - listnearobj at objects of the target's chains names the object before,
    at and after it exactly as dumpheap's walk of the same segment has
    them (and at an interior address, the object holding it before);
  - pathto between the ends of the target's reference chains gives the
    chain the target built; backwards there is none;
  - sizestats --json adds up, per generation, to dumpheap -stat -gen's
    objects and its Free space; the text has SOS's headers;
  - dumpheap -startAtLowerBound walks from the range's start; -ignoreGCState
    changes nothing on a heap not in a GC (mid-GC: test_errors.py);
  - findroots names the target's strong handle of its HandleOnly object;
    -gen is refused with what to do instead;
  - bad arguments fail with one-line errors.
"""

import os
import re
import sys
import xml.etree.ElementTree as ET

import harness
from harness import check

GENS = {"gen0": "gen0", "gen1": "gen1", "gen2": "gen2", "loh": "loh", "poh": "poh", "frozen": "foh"}

BAD = {
    "objsize -short": "-short needs an object or -mt",
    "objsize -mt 0x10": "is not a MethodTable",
    "objsize 0x10 -mt 0x10": "not both",
    "objsize -short -stat 0x10": "exclude each other",
    "objsize -strings": "-strings needs an object or -mt",
    "listnearobj": "listnearobj needs the address",
    "lno 0x10": "in no segment of the GC heap",
    "listnearobj 10 20": "a second address",
    "pathto 0x10": "pathto needs a source and a target",
    "pathto 0x10 0x20 0x30": "unexpected argument",
    "pathto 0x10 0x20": "pathto: source",
    "sizestats -x": "unknown option '-x'",
    "findroots": "findroots needs the address",
    "findroots -gen 0": "findroots -gen: clrsos cannot run the process",
    "FindRoots -gen any": "use findroots <address>",
    "findroots 0x10": "findroots",
    "dumpheap -startAtLowerBound -stat": "-startAtLowerBound needs a range",
    "traverseheap": "traverseheap needs the file to write",
    "traverseheap -xml /tmp": "cannot write '/tmp'",
    "traverseheap a b": "unexpected argument 'b'",
}


def chains(truth):
    """The target's reference chains (no dependent handle in them): lists of addresses."""
    out = []
    for name, case in truth["roots"]["gcroot"].items():
        if name == "dependent":
            continue
        for root in case.get("roots", []):
            path = root.get("path") or []
            if len(path) >= 2 and all(path):
                out.append((name, path))
    return out


def main():
    config, mode = sys.argv[1], sys.argv[2]
    env = harness.GC_CONFIGS[config]
    outdir = harness.scratch_dir()
    xml_file, text_file = os.path.join(outdir, "heap.xml"), os.path.join(outdir, "heap.txt")

    def commands(truth):
        o = truth["roots"]["objsize"]
        types = truth["dumpheap"]["types"]
        cmds = ["objsize --json", "objsize", "objsize -mt %s --json" % types["HeapShapes.CwtKey"]["mt"],
                "objsize -mt %s" % types["HeapShapes.CwtKey"]["mt"],
                "objsize -short %s --json" % o["ring"]["address"], "objsize -short %s" % o["ring"]["address"],
                "objsize -summary %s" % o["ring"]["address"],
                "objsize -strings %s --json" % o["tree"]["address"], "objsize -strings %s" % o["tree"]["address"],
                "objsize %s --json" % o["tree"]["address"], "ObjSize -stat %s --json" % o["ring"]["address"]]
        for h in truth["handles"]["list"]:
            if h["isRoot"] and h.get("target"):
                cmds.append("objsize %s --json" % h["target"])
        for _, path in chains(truth):
            for a in path:
                x = harness.parse_hex(a)
                cmds += ["listnearobj %s --json" % a, "lno %x --json" % (x + 8), "lno %s" % a,
                         "gcwhere %s --json" % a, "dumpheap %x %x --json" % (max(x - 0x20000, 0), x + 0x2000)]
            cmds += ["pathto %s %s --json" % (path[0], path[-1]), "pathto %s %s" % (path[0], path[-1]),
                     "PathTo %s %s --json" % (path[-1], path[0]), "pathto %s %s" % (path[-1], path[0])]
        first = harness.parse_hex(chains(truth)[0][1][0])
        cmds += ["dumpheap %x %x --json" % (first, first + 0x2000),
                 "dumpheap -startAtLowerBound %x %x --json" % (first, first + 0x2000),
                 "dumpheap %x %x --json" % (first + 8, first + 0x2000),
                 "dumpheap -startatlowerbound %x %x --json" % (first + 8, first + 0x2000),
                 "dumpheap -stat --json", "dumpheap -stat -ignoregcstate --json"]
        cmds += ["traverseheap -xml %s --json" % xml_file, "TraverseHeap -verify %s" % text_file,
                 "dumpheap -short -gen gen0", "dumpheap -short -gen gen1"]
        cmds += ["sizestats --json", "sizestats", "SizeStats --json"]
        cmds += ["dumpheap -stat -gen %s --json" % g for g in GENS.values()]
        normal = [h for h in truth["handles"]["list"] if h["name"] == "normal"][0]
        cmds += ["findroots %s --json" % normal["target"], "findroots %s" % normal["target"],
                 "gcwhere %s --json" % normal["target"]]
        return cmds + list(BAD)

    def young_targets(tr):
        """gen0 and gen1 objects, and which older objects refer to them, from traverseheap's XML."""
        def gen(g):
            return {int(ln, 16) for ln in tr.output("dumpheap -short -gen %s" % g) if re.fullmatch(r"[0-9a-f]+", ln.strip())}
        gen0, gen1 = gen("gen0"), gen("gen1")
        refs = {}
        for ob in ET.parse(xml_file).getroot().find("objects"):
            a = int(ob.get("address"), 16)
            for m in ob:
                t = int(m.get("address"), 16)
                if (t in gen0 and a not in gen0) or (t in gen1 and a not in gen0 and a not in gen1):
                    refs.setdefault(t, set()).add(a)
        picked = sorted(t for t in refs if t in gen0)[:3] + sorted(t for t in refs if t in gen1)[:3]
        return {t: (refs[t], "gen0" if t in gen0 else "gen1") for t in picked}

    def second(tr):
        young = young_targets(tr)
        begin = tr.json("gcwhere %s --json" % chains(truth)[0][1][0])["segments"][0]["begin"]
        return young, ["findroots %x --json" % t for t in young] + ["lno %s" % begin, "lno %s --json" % begin]

    if mode == "live":
        with harness.Target("HeapShapes", env=env) as t:
            truth = t.truth
            tr = harness.lldb(commands(truth), pid=t.pid)
            young, cmds2 = second(tr)
            tr2 = harness.lldb(cmds2, pid=t.pid)
    else:
        scratch = harness.scratch_dir()
        try:
            core, exe, truth = harness.core_of_finished("HeapShapes", mode, scratch, env=env)
            tr = harness.lldb(commands(truth), core=core, exe=exe)
            young, cmds2 = second(tr)
            tr2 = harness.lldb(cmds2, core=core, exe=exe)
        finally:
            harness.cleanup(scratch)
    print(tr2.text)
    # findroots of gen0 objects: exactly the older objects traverseheap shows referring to them.
    # listnearobj at a segment's first object: nothing before it.
    begin = tr.json("gcwhere %s --json" % chains(truth)[0][1][0])["segments"][0]["begin"]
    first_n = tr2.json("lno %s --json" % begin)
    check(first_n["before"] is None and harness.parse_hex(first_n["current"]["address"]) == harness.parse_hex(begin),
          "lno at the segment's first object: %s" % first_n)
    check(tr2.text_of("lno %s" % begin).startswith("Address %x is the first object on the segment.\n" %
                                                   harness.parse_hex(begin)), "lno first object text")
    if not young:
        print("note: no gen0 or gen1 object referred to from an older generation here: findroots's heap part untried")
    for t, (older, g) in young.items():
        fr = tr2.json("findroots %x --json" % t)
        got = {harness.parse_hex(r["address"]) for r in fr["olderReferences"]}
        check(fr["generation"] == g and got == older,
              "findroots %x: %s, traverseheap says %s" % (t, sorted(map(hex, got)), sorted(map(hex, older))))
    print(tr.text[:200000])
    o = truth["roots"]["objsize"]
    types = truth["dumpheap"]["types"]

    # objsize without arguments: the target's own handles, each with its object's size.
    per_root = tr.json("objsize --json")
    check(tr.error("objsize --json") is None and per_root["roots"], "objsize: no roots")
    by_root = {}
    for r in per_root["roots"]:
        by_root.setdefault(harness.parse_hex(r["root"]), []).append(r)
    text = tr.text_of("objsize")
    for h in truth["handles"]["list"]:
        if not h["isRoot"] or not h.get("target"):
            continue
        rows = by_root.get(harness.parse_hex(h["slot"]), [])
        if not check(len(rows) == 1, "objsize: handle %s (%s) listed %d times" % (h["slot"], h["name"], len(rows))):
            continue
        r = rows[0]
        alone = tr.json("objsize %s --json" % h["target"])
        check(r["kind"] == "handle" and r["handleType"] == h["sosType"], "objsize: handle %s kind %s" % (h["name"], r))
        check(harness.parse_hex(r["address"]) == harness.parse_hex(h["target"]) and r["type"] == h["targetType"],
              "objsize: handle %s holds %s %s, target says %s" % (h["name"], r["address"], r["type"], h["target"]))
        check(r["size"] == alone["size"] and r["objects"] == alone["objects"],
              "objsize: handle %s size %d/%d, objsize <object> %d/%d" % (h["name"], r["size"], r["objects"],
                                                                        alone["size"], alone["objects"]))
        check(re.search(r"^HandleTable: %016x \(%s handle\) -> sizeof\(%012x\) = %s \(0x%x\) bytes in %d objects" % (
            harness.parse_hex(h["slot"]), h["sosType"], harness.parse_hex(h["target"]), "{:,}".format(r["size"]),
            r["size"], r["objects"]), text, re.M), "objsize text: no row of handle %s" % h["name"])
    check(re.search(r"^Found %d roots" % len(per_root["roots"]), text, re.M), "objsize text: Found line")

    # -mt: every CwtKey, each alone (a key refers to nothing).
    key = types["HeapShapes.CwtKey"]
    mt = tr.json("objsize -mt %s --json" % key["mt"])
    check(mt["instances"] == key["count"] and mt["objects"] == key["count"] and
          mt["size"] == key["count"] * o["cwtKey0"]["totalSize"],
          "objsize -mt CwtKey: %d instances, %d objects, %d bytes; target has %d keys of %d bytes" % (
              mt["instances"], mt["objects"], mt["size"], key["count"], o["cwtKey0"]["totalSize"]))
    check("Objects which (HeapShapes.CwtKey) transitively keep alive:" in tr.text_of("objsize -mt %s" % key["mt"]),
          "objsize -mt text header")
    sh = tr.json("objsize -short %s --json" % o["ring"]["address"])
    check(len(sh["addresses"]) == o["ring"]["count"] == len(set(sh["addresses"])) and
          harness.parse_hex(sh["addresses"][0]) == harness.parse_hex(o["ring"]["address"]),
          "objsize -short ring: %s" % sh["addresses"])
    lines = [ln for ln in tr.output("objsize -short %s" % o["ring"]["address"]) if re.fullmatch(r"[0-9a-f]{12,}", ln)]
    check(sorted(int(x, 16) for x in lines) == sorted(harness.parse_hex(a) for a in sh["addresses"]),
          "objsize -short text")
    # -strings: the tree's strings by text, adding up to the String row of its statistics.
    st = tr.json("objsize -strings %s --json" % o["tree"]["address"])
    row = [r for r in tr.json("objsize %s --json" % o["tree"]["address"])["statistics"] if r["type"] == "System.String"]
    check(row and sum(x["count"] for x in st["strings"]) == row[0]["count"] and
          sum(x["totalSize"] for x in st["strings"]) == row[0]["totalSize"] and
          [x["totalSize"] for x in st["strings"]] == sorted(x["totalSize"] for x in st["strings"]),
          "objsize -strings tree: %s, statistics %s" % (st["strings"][:3], row))
    t = tr.text_of("objsize -strings %s" % o["tree"]["address"])
    check(re.search(r"^Statistics:\n\s+Count\s+TotalSize\s+String$", t, re.M) and
          all(re.search(r"^\s+%s\s+%s %s$" % ("{:,}".format(x["count"]), "{:,}".format(x["totalSize"]),
                                                re.escape(x["text"])), t, re.M) for x in st["strings"]),
          "objsize -strings text:\n%s" % t)
    summary = tr.text_of("objsize -summary %s" % o["ring"]["address"])
    check("sizeof(" not in summary and "Statistics:" in summary, "objsize -summary: %s" % summary)
    check(tr.json("ObjSize -stat %s --json" % o["ring"]["address"])["size"] == o["ring"]["totalSize"], "-stat size")

    # listnearobj against dumpheap's walk of the same segment.
    for name, path in chains(truth):
        for a in path:
            x = harness.parse_hex(a)
            w = tr.json("gcwhere %s --json" % a)["segments"][0]
            lo, hi = harness.parse_hex(w["begin"]), harness.parse_hex(w["allocated"])
            objs = [(harness.parse_hex(r["address"]), r) for r in
                    tr.json("dumpheap %x %x --json" % (max(x - 0x20000, 0), x + 0x2000))["objects"]]
            objs = sorted(p for p in objs if lo <= p[0] < hi)
            before = [p for p in objs if p[0] < x]
            after = [p for p in objs if p[0] > x]
            n = tr.json("listnearobj %s --json" % a)
            check(n["consistent"] and n["current"] and harness.parse_hex(n["current"]["address"]) == x,
                  "lno %s (%s): %s" % (a, name, n))
            if before and before[-1][0] >= x - 0x20000 + 0x1000:
                check(n["before"] and harness.parse_hex(n["before"]["address"]) == before[-1][0] and
                      n["before"]["size"] == before[-1][1]["size"],
                      "lno %s before: %s, dumpheap %x" % (a, n["before"], before[-1][0]))
            if after:
                check(n["next"] and harness.parse_hex(n["next"]["address"]) == after[0][0],
                      "lno %s next: %s, dumpheap %x" % (a, n["next"], after[0][0]))
            inner = tr.json("lno %x --json" % (x + 8))
            check(inner["current"] is None and harness.parse_hex(inner["before"]["address"]) == x and
                  inner["next"] == n["next"], "lno %x (interior): %s" % (x + 8, inner))
            t = tr.text_of("lno %s" % a)
            check(re.search(r"^Current:\s+%016x\s+[,0-9]+ \(0x[0-9a-f]+\)\s+\S" % x, t, re.M) and
                  t.rstrip().endswith("Heap local consistency confirmed."), "lno %s text:\n%s" % (a, t))

    # pathto: the chains the target built.
    for name, path in chains(truth):
        p = tr.json("pathto %s %s --json" % (path[0], path[-1]))
        got = [harness.parse_hex(x["address"]) for x in p["path"]]
        check(p["found"] and got == [harness.parse_hex(x) for x in path],
              "pathto %s: %s, target built %s" % (name, [hex(g) for g in got], path))
        t = tr.output("pathto %s %s" % (path[0], path[-1]))
        rows = [int(m.group(1), 16) for m in (re.match(r"^\s+-> ([0-9a-f]+) ", ln) for ln in t) if m]
        check(rows == got, "pathto %s text: %s" % (name, t))
        back = tr.json("PathTo %s %s --json" % (path[-1], path[0]))
        check(not back["found"] and not back["path"], "pathto %s backwards: %s" % (name, back))
        check("Could not find a path from %x to %x" % (harness.parse_hex(path[-1]), harness.parse_hex(path[0]))
              in tr.text_of("pathto %s %s" % (path[-1], path[0])), "pathto backwards text")

    # dumpheap -startAtLowerBound: from an object, the same objects; from inside
    # one, every object after it (the walk recovers there); -ignoreGCState on a
    # heap not in a GC changes nothing.
    first = harness.parse_hex(chains(truth)[0][1][0])

    def listed(cmd):
        check(tr.error(cmd) is None, "%s failed" % cmd)
        return [harness.parse_hex(r["address"]) for r in tr.json(cmd)["objects"]]
    plain = listed("dumpheap %x %x --json" % (first, first + 0x2000))
    check(plain and plain[0] == first and
          listed("dumpheap -startAtLowerBound %x %x --json" % (first, first + 0x2000)) == plain,
          "dumpheap -startAtLowerBound at an object differs")
    after = listed("dumpheap %x %x --json" % (first + 8, first + 0x2000))
    inner = listed("dumpheap -startatlowerbound %x %x --json" % (first + 8, first + 0x2000))
    check(after and set(after) <= set(inner) and all(a >= first + 8 for a in inner),
          "dumpheap -startAtLowerBound inside an object: %d objects, %d after it" % (len(inner), len(after)))
    check(tr.json("dumpheap -stat -ignoregcstate --json")["statistics"] == tr.json("dumpheap -stat --json")["statistics"],
          "dumpheap -ignoreGCState differs on a heap not in a GC")

    # traverseheap: the XML parses, and holds dumpheap's objects by type; the
    # text format holds the same objects and references.
    th = tr.json("traverseheap -xml %s --json" % xml_file)
    stat = tr.json("dumpheap -stat --json")
    root = ET.parse(xml_file).getroot()
    names = {t.get("id"): t.get("name") for t in root.find("types")}
    objects = root.find("objects")
    per_type = {}
    members = {}
    for ob in objects:
        per_type[ob.get("typeid")] = per_type.get(ob.get("typeid"), 0) + 1
        members[int(ob.get("address"), 16)] = [int(m.get("address"), 16) for m in ob]
    check(len(objects) == stat["totalObjects"] == th["objects"],
          "traverseheap: %d objects in the XML, dumpheap %d" % (len(objects), stat["totalObjects"]))
    check(sorted((names[k], v) for k, v in per_type.items()) ==
          sorted((r["type"], r["count"]) for r in stat["statistics"]),
          "traverseheap: objects per type differ from dumpheap -stat")
    check(len(names) == th["types"] == len(stat["statistics"]), "traverseheap: %d types, dumpheap %d" % (
        len(names), len(stat["statistics"])))
    check(len(root.find("roots")) == th["roots"] > 0, "traverseheap: roots")
    check(sum(len(m) for m in members.values()) == th["references"], "traverseheap: member count")
    for name, path in chains(truth):
        for a, b in zip(path, path[1:]):
            check(harness.parse_hex(b) in members.get(harness.parse_hex(a), []),
                  "traverseheap %s: %s has no member %s" % (name, a, b))
    with open(text_file) as f:
        lines = f.read().splitlines()
    olines = [ln for ln in lines if ln.startswith("o ")]
    check(len(olines) == len(objects) and len([ln for ln in lines if ln.startswith("t ")]) == len(names) and
          sum(len(ln.split()) - 4 for ln in olines) == th["references"],
          "traverseheap text: %d objects, %d types" % (len(olines), len([ln for ln in lines if ln.startswith("t ")])))
    check(re.match(r"^Wrote %d objects" % len(objects), tr.text_of("TraverseHeap -verify %s" % text_file)),
          "traverseheap text answer")
    os.unlink(xml_file)
    os.unlink(text_file)
    os.rmdir(outdir)

    # sizestats against dumpheap -stat -gen.
    ss = tr.json("sizestats --json")
    check(tr.json("SizeStats --json") == ss, "SizeStats differs")
    tables = {(t["generation"], t["free"]): t for t in ss["tables"]}
    for g, dg in GENS.items():
        dh = tr.json("dumpheap -stat -gen %s --json" % dg)
        free = [r for r in dh["statistics"] if r["type"] == "Free"]
        fsize, fcount = sum(r["totalSize"] for r in free), sum(r["count"] for r in free)
        t = tables.get((g, False))
        if t is None:
            check(dh["totalObjects"] == 0, "sizestats: no table of %s, dumpheap has %d objects" % (g, dh["totalObjects"]))
            continue
        check(t["objects"] == dh["totalObjects"] - fcount and t["bytes"] == dh["totalSize"] - fsize,
              "sizestats %s: %d objects %d bytes, dumpheap %d %d less Free %d %d" % (
                  g, t["objects"], t["bytes"], dh["totalObjects"], dh["totalSize"], fcount, fsize))
        check(sum(s["count"] for s in t["sizes"]) == t["objects"], "sizestats %s: counts" % g)
        check([s["size"] for s in t["sizes"]] == sorted(s["size"] for s in t["sizes"]), "sizestats %s: order" % g)
        f = tables.get((g, True))
        if f is not None:
            check(f["objects"] == fcount and f["bytes"] == fsize, "sizestats %s free: %s, dumpheap Free %d %d" % (
                g, (f["objects"], f["bytes"]), fcount, fsize))
    text = tr.text_of("sizestats")
    for head in ["Size Statistics for generation0 objects", "Size Statistics for generation2 objects",
                 "Size Statistics for large objects", "Size Statistics for generation0 free objects"]:
        check(head in text, "sizestats text: no %r" % head)
    check(re.search(r"^\s+Size\s+Count\s+Cumulative Size\s+Cumulative Count$", text, re.M), "sizestats header")

    # findroots: the strong handle of HandleOnly.
    normal = [h for h in truth["handles"]["list"] if h["name"] == "normal"][0]
    fr = tr.json("findroots %s --json" % normal["target"])
    check(any(harness.parse_hex(h["handle"]) == harness.parse_hex(normal["slot"]) and h["handleType"] == "Strong"
              for h in fr["handles"]), "findroots: handle %s missing: %s" % (normal["slot"], fr))
    words = {"0": "gen0", "1": "gen1", "2": "gen2", "large": "loh", "pinned": "poh", "frozen": "frozen"}
    gw = tr.json("gcwhere %s --json" % normal["target"])["segments"][0]["generation"]
    check(fr["generation"] == words.get(gw), "findroots generation %s, gcwhere %s" % (fr["generation"], gw))
    check("HandleTable:\n    %016x (Strong handle)" % harness.parse_hex(normal["slot"]) in
          tr.text_of("findroots %s" % normal["target"]), "findroots text")

    for cmd, want in BAD.items():
        e = tr.error(cmd)
        check(e is not None and want in e, "%s: error %r, expected %r" % (cmd, e, want))
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
