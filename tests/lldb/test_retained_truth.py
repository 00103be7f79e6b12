"""retained, dominators and retained -stat against the Retention target's truth.

Retention builds shapes with known dominators (a cache holding a chain, two
caches sharing items, a diamond, a ring entered at one node, values held
only by a ConditionalWeakTable and by a DependentHandle, an object held by a
static and a stack local) and computes their dominator tree itself, over the
objects its statics reach. Every figure is checked exactly.

usage: test_retained_truth.py <live|full|heap|heapdiff> [<gc config>]  (default wks-regions)

live, full, heap (createdump full and heap cores):
  - retained <address> --json of each named object: retained bytes and
    object count, and its dominators, nearest first, address by address;
    an object with no dominator names the static that holds it, or says no
    single root does (items two caches share);
  - the text of retained: the first line and the static holding the chain;
  - dominators --json: each static's object is at the top level with its
    retained size, held by that static (by name);
  - retained -stat --json: count, bytes and retained bytes of every type
    only the shapes have.
heapdiff: retained -stat --save on a core, then the target grows its cache;
  heapdiff of the saved file with a second core, with the live process and
  with a second saved file: each type's retained bytes before, after and
  their change are the truth's; errors for files without retained bytes.
"""

import json
import os
import sys

import harness
from harness import check

NODES, GROW = 200, 150


def field_of(truth, address):
    for field, s in truth["statics"].items():
        if harness.parse_hex(s["address"]) == harness.parse_hex(address):
            return field
    return None


def check_objects(tr, truth, label):
    for name, want in truth["objects"].items():
        cmd = "retained %s --json" % want["address"]
        j = tr.json(cmd)
        check(harness.parse_hex(j["address"]) == harness.parse_hex(want["address"]) and j["type"] == want["type"],
              "%s %s: object %s %s, the truth %s %s" % (label, name, j["address"], j["type"], want["address"],
                                                       want["type"]))
        check(j["size"] == want["size"], "%s %s: own size %d, the truth %d" % (label, name, j["size"], want["size"]))
        check(j["retained"] == want["retained"] and j["objects"] == want["objects"],
              "%s %s: retains %d bytes in %d objects, the truth %d in %d" %
              (label, name, j["retained"], j["objects"], want["retained"], want["objects"]))
        got = [harness.parse_hex(d["address"]) for d in j["dominators"]]
        check(got == [harness.parse_hex(a) for a in want["dominators"]],
              "%s %s: dominators %s, the truth %s" % (label, name, [hex(a) for a in got], want["dominators"]))
        top = want["dominators"][-1] if want["dominators"] else want["address"]
        field = field_of(truth, top)
        if field is None:
            check(j["root"] is None, "%s %s: no single root holds %s, clrsos says %s" % (label, name, top, j["root"]))
        else:
            root = j["root"] or {}
            check(root.get("kind") == "static" and root.get("field") == field,
                  "%s %s: held by static %s, clrsos says %s" % (label, name, field, j["root"]))
            more = name == "both" or top == truth["objects"]["both"]["address"]
            check(root.get("roots", 0) >= 2 if more else root.get("roots") == 1,
                  "%s %s: %s root(s) hold it: %s" % (label, name, "two" if more else "one", j["root"]))


def check_text(tr, truth, label):
    want = truth["objects"]["chainNode0"]
    text = tr.text_of("retained %s" % want["address"])
    first = "%x %s retains %s bytes in %s objects" % (harness.parse_hex(want["address"]), want["type"],
                                                      "{:,}".format(want["retained"]), "{:,}".format(want["objects"]))
    check(text.startswith(first), "%s retained text: %r, expected %r" % (label, text[:200], first))
    lines = text.splitlines()
    at = lines.index("Kept alive alone by (each by the next):") if "Kept alive alone by (each by the next):" in lines else -1
    rows = [ln.split()[0] for ln in lines[at + 2:at + 2 + len(want["dominators"])]] if at >= 0 else []
    check([int(r, 16) for r in rows if all(c in "0123456789abcdef" for c in r)] ==
          [harness.parse_hex(a) for a in want["dominators"]],
          "%s retained text: the dominators nearest first: %s" % (label, rows))
    check(any(ln.startswith("  held by static Retention.Roots.Chain (slot ") for ln in lines),
          "%s retained text: held by static Retention.Roots.Chain" % label)
    shared = tr.text_of("retained %s" % truth["objects"]["leftSharedItem"]["address"])
    check("reached from several roots, none alone" in shared, "%s: a shared item is held by no single root" % label)


def check_dominators(tr, truth, label):
    d = tr.json("dominators -top 1000000 --json")
    by_address = {harness.parse_hex(o["address"]): o for o in d["objects"]}
    for field, s in truth["statics"].items():
        o = by_address.get(harness.parse_hex(s["address"]))
        if not s["topLevel"]:
            check(o is None, "%s dominators: %s's object is not at the top level" % (label, field))
            continue
        if not check(o is not None, "%s dominators: %s's object %s is at the top level" % (label, field, s["address"])):
            continue
        check(o["retained"] == s["retained"] and o["objects"] == s["objects"] and o["type"] == s["type"],
              "%s dominators: %s retains %d in %d, the truth %d in %d" % (label, field, o["retained"], o["objects"],
                                                                          s["retained"], s["objects"]))
        root = o["root"] or {}
        check(root.get("kind") == "static" and root.get("field") == field,
              "%s dominators: %s is held by that static: %s" % (label, field, o["root"]))
    # Shared items are at the top level too (no single object keeps them alive), under no single root.
    item = by_address.get(harness.parse_hex(truth["objects"]["leftSharedItem"]["address"]))
    check(item is not None and item["root"] is None and item["retained"] == truth["objects"]["leftSharedItem"]["retained"],
          "%s dominators: the shared item is at the top level under several roots: %s" % (label, item))
    # The same objects by type.
    types = {t["type"]: t for t in d["types"]}
    check(d["liveObjects"] >= truth["graphObjects"], "%s dominators: live objects %d" % (label, d["liveObjects"]))
    check(types.get("Retention.DiamondNode", {}).get("retained") == truth["objects"]["diamondA"]["retained"],
          "%s dominators by type: DiamondNode %s" % (label, types.get("Retention.DiamondNode")))


def check_stat(st, truth, label):
    rows = {}
    for r in st["types"]:
        rows.setdefault(r["type"], []).append(r)
    for name, want in truth["types"].items():
        got = rows.get(name, [])
        if not check(len(got) == 1, "%s retained -stat: one row of %s, %d" % (label, name, len(got))):
            continue
        r = got[0]
        check((r["count"], r["totalSize"], r["retained"]) == (want["count"], want["totalSize"], want["retained"]),
              "%s retained -stat %s: %d objects, %d bytes, retains %d; the truth %d, %d, %d" %
              (label, name, r["count"], r["totalSize"], r["retained"], want["count"], want["totalSize"],
               want["retained"]))


def commands(truth):
    cmds = ["retained %s --json" % o["address"] for o in truth["objects"].values()]
    cmds += ["retained %s" % truth["objects"]["chainNode0"]["address"],
             "retained %s" % truth["objects"]["leftSharedItem"]["address"],
             "dominators -top 1000000 --json", "retained -stat --json"]
    return cmds


def run_truth(mode, env):
    if mode == "live":
        with harness.Target("Retention", args=(str(NODES),), env=env) as t:
            truth = t.truth
            tr = harness.lldb(commands(truth), pid=t.pid)
    else:
        scratch = harness.scratch_dir()
        try:
            core, exe, truth = harness.core_of_finished("Retention", mode, scratch, env=env)
            tr = harness.lldb(commands(truth), core=core, exe=exe)
        finally:
            harness.cleanup(scratch)
    check(truth["chainNodes"] == NODES, "the target holds %d nodes" % NODES)
    check_objects(tr, truth, mode)
    check_text(tr, truth, mode)
    check_dominators(tr, truth, mode)
    check_stat(tr.json("retained -stat --json"), truth, mode)


def check_diff(diff, before, after, label, retained_after=True):
    rows = {r["name"]: r for r in diff["types"]}
    check(diff["before"].get("retained") is True and diff["after"].get("retained") is retained_after,
          "%s: the sides have retained bytes: %s %s" % (label, diff["before"].get("retained"),
                                                        diff["after"].get("retained")))
    for name in sorted(set(before["types"]) | set(after["types"])):
        b = before["types"].get(name, {"count": 0, "totalSize": 0, "retained": 0})
        a = after["types"].get(name, {"count": 0, "totalSize": 0, "retained": 0})
        r = rows.get(name)
        if b == a:
            check(r is None, "%s: %s did not change, heapdiff lists it: %s" % (label, name, r))
            continue
        if not check(r is not None, "%s: %s changed (%s -> %s), heapdiff does not list it" % (label, name, b, a)):
            continue
        check((r["countBefore"], r["countAfter"], r["bytesBefore"], r["bytesAfter"]) ==
              (b["count"], a["count"], b["totalSize"], a["totalSize"]),
              "%s %s: counts and bytes %s, the truth %s -> %s" % (label, name, r, b, a))
        check((r["retainedBefore"], r["retainedAfter"], r["retainedDelta"]) ==
              (b["retained"], a["retained"], a["retained"] - b["retained"]),
              "%s %s: retained %s -> %s (%s), the truth %d -> %d" %
              (label, name, r.get("retainedBefore"), r.get("retainedAfter"), r.get("retainedDelta"), b["retained"],
               a["retained"]))
    grown = [n for n in ("Retention.ChainCache", "Retention.ChainNode") if n in rows]
    check(len(grown) == 2 and rows["Retention.ChainCache"]["retainedDelta"] > 0
          and rows["Retention.ChainCache"]["countDelta"] == 0,
          "%s: the cache's retained bytes grew, its count did not: %s" % (label, rows.get("Retention.ChainCache")))
    deltas = [r["retainedDelta"] for r in diff["types"]]
    check(deltas == sorted(deltas, reverse=True), "%s: sorted by retained bytes grown: %s" % (label, deltas[:10]))


def run_heapdiff(env):
    scratch = harness.scratch_dir()
    try:
        with harness.Target("Retention", args=(str(NODES), str(GROW)), stdin=True, env=env) as t:
            before = t.truth
            core1 = harness.make_core(t, "full", scratch)
            os.rename(core1, os.path.join(scratch, "core.before"))
            core1 = os.path.join(scratch, "core.before")
            saved = os.path.join(scratch, "before.json")
            plain = os.path.join(scratch, "plain.json")
            tr = harness.lldb(["retained -stat --save " + saved, "dumpheap -stat --save " + plain,
                               "retained -stat --save %s --json" % (saved + ".2")], core=core1, exe=t.exe)
            text = tr.text_of("retained -stat --save " + saved)
            check("Saved the statistics and retained bytes of" in text and "heapdiff " + saved in text,
                  "retained -stat --save says where it saved: %s" % text[-300:])
            check(tr.json("retained -stat --save %s --json" % (saved + ".2")).get("savedTo") == saved + ".2",
                  "retained -stat --save --json says savedTo")
            with open(saved) as f:
                h = json.load(f)
            check(h["live"] is True and h["version"] == 1, "a retained histogram counts live objects, version 1")
            mine = {r["name"]: r for r in h["types"] if r["name"] in before["types"]}
            for name, want in before["types"].items():
                r = mine.get(name)
                check(r is not None and (r["count"], r["bytes"], r["retained"]) ==
                      (want["count"], want["totalSize"], want["retained"]),
                      "the saved file's %s: %s, the truth %s" % (name, r, want))
            check(all("retained" in r for r in h["types"]), "every saved type has its retained bytes")

            after = t.send("grow")
            check(after["chainNodes"] == NODES + GROW, "the cache grew by %d nodes" % GROW)
            core2 = harness.make_core(t, "full", scratch)
            saved2 = os.path.join(scratch, "after.json")
            cmds = ["heapdiff %s --json" % saved, "heapdiff " + saved, "retained -stat --save " + saved2,
                    "heapdiff %s %s --json" % (saved, saved2), "heapdiff %s -retained --json" % saved,
                    "heapdiff %s -retained" % plain, "heapdiff %s %s -retained" % (saved, plain),
                    "heapdiff %s %s --json" % (saved, plain)]
            tr = harness.lldb(cmds, core=core2, exe=t.exe)
            check_diff(tr.json("heapdiff %s --json" % saved), before, after, "core vs saved")
            check_diff(tr.json("heapdiff %s -retained --json" % saved), before, after, "core vs saved, -retained")
            check_diff(tr.json("heapdiff %s %s --json" % (saved, saved2)), before, after, "file vs file")
            text = tr.text_of("heapdiff " + saved)
            header = [ln for ln in text.splitlines() if "Class Name" in ln]
            check(header and "Retained diff" in header[0] and "Retained after" in header[0],
                  "heapdiff text has retained columns: %s" % header)
            row = [ln for ln in text.splitlines() if ln.endswith(" Retention.ChainCache")]
            want = after["types"]["Retention.ChainCache"]["retained"] - before["types"]["Retention.ChainCache"]["retained"]
            check(len(row) == 1 and "+{:,}".format(want) in row[0].split(),
                  "heapdiff text: the cache's row shows +%d retained: %s" % (want, row))
            for cmd, says in ((("heapdiff %s -retained" % plain), "has no retained bytes"),
                              (("heapdiff %s %s -retained" % (saved, plain)), "has no retained bytes")):
                e = tr.error(cmd)
                check(e is not None and says in e and plain in e and "retained -stat --save" in e,
                      "%s: error %r" % (cmd, e))
                check(len([ln for ln in tr.output(cmd) if ln.strip()]) == 1, "%s: one line" % cmd)
            mixed = tr.json("heapdiff %s %s --json" % (saved, plain))
            check(all("retainedDelta" not in r for r in mixed["types"]) and mixed["after"]["retained"] is False,
                  "a side without retained bytes: no retained columns: %s" % mixed["types"][:2])

            # Live: attached to the grown process, against the first core's file.
            tr = harness.lldb(["heapdiff %s --json" % saved], pid=t.pid)
            check_diff(tr.json("heapdiff %s --json" % saved), before, after, "live vs saved")
    finally:
        harness.cleanup(scratch)


def main():
    mode = sys.argv[1]
    env = harness.GC_CONFIGS[sys.argv[2] if len(sys.argv) > 2 else "wks-regions"]
    if mode == "heapdiff":
        run_heapdiff(env)
    else:
        run_truth(mode, env)
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
