"""retained against HeapShapes' own truth.

usage: test_retained.py <gc config> <live|full>

Checks:
  - the subgraphs the target built so that only their head leads into them
    (a tree without parent links, its left subtree, a 5-cycle with a shared
    hub, an object with a sparse array) retain exactly the objects and bytes
    the target counted, as objsize of the same head says;
  - the left subtree is kept alive alone by the tree: its first dominator is
    the tree's root node; every chain ends at a root or says several roots
    reach it;
  - an object's own size plus what the objects it dominates directly retain
    is what it retains (all children listed with -top large enough), and
    deeper levels sit under their parents;
  - retained -stat: every type's live count and bytes are dumpheap -stat
    -live's, each type retains at least its own bytes, the ring's type
    retains the ring and its hub (the hub is the ring's alone);
  - the text shows the same figures; bad arguments fail with one line.
"""

import sys

import harness
from harness import check

SHAPES = ("tree", "subtree", "ring", "sparse")

BAD = {
    "retained": "retained needs",
    "retained 0x10": "retained",
    "retained -top x 0x10": "-top",
    "retained -depth 9 0x10": "-depth",
    "retained 0x10 0x20": "a second address",
    "retained -stat 0x10": "-stat is by type",
    "retained --save /tmp/clrsos-retained-never.json": "use it with -stat",
}


def main():
    config, mode = sys.argv[1], sys.argv[2]
    env = harness.GC_CONFIGS[config]

    def commands(truth):
        o = truth["roots"]["objsize"]
        cmds = []
        for name in SHAPES:
            cmds += ["retained %s --json" % o[name]["address"], "objsize %s --json" % o[name]["address"],
                     "retained %s -top 100000 --json" % o[name]["address"]]
        cmds += ["retained %s" % o["tree"]["address"], "retained %s -depth 3 -top 2 --json" % o["tree"]["address"]]
        cmds += ["retained -stat --json", "dumpheap -stat -live --json", "retained -stat -top 5", "dumpheap -stat --json"]
        return cmds + list(BAD)

    if mode == "live":
        with harness.Target("HeapShapes", env=env) as t:
            truth = t.truth
            tr = harness.lldb(commands(truth), pid=t.pid)
    else:
        scratch = harness.scratch_dir()
        try:
            core, exe, truth = harness.core_of_finished("HeapShapes", mode, scratch, env=env)
            tr = harness.lldb(commands(truth), core=core, exe=exe)
        finally:
            harness.cleanup(scratch)
    print(tr.text[:100000])
    o = truth["roots"]["objsize"]

    for name in SHAPES:
        want = o[name]
        j = tr.json("retained %s --json" % want["address"])
        check(harness.parse_hex(j["address"]) == harness.parse_hex(want["address"]) and j["type"] == want["type"],
              "retained %s: object %s %s" % (name, j["address"], j["type"]))
        check(j["retained"] == want["totalSize"] and j["objects"] == want["count"],
              "retained %s: %d bytes in %d objects, the target built %d in %d" %
              (name, j["retained"], j["objects"], want["totalSize"], want["count"]))
        size = tr.json("objsize %s --json" % want["address"])
        check(size["size"] == j["retained"], "retained %s: objsize says %d" % (name, size["size"]))
        check(j["liveHeap"] >= j["retained"] > 0, "retained %s: live heap %d" % (name, j["liveHeap"]))
        chain = j["dominators"]
        check(j["root"] is not None or chain, "retained %s: no dominator and no root" % name)
        if j["root"] is not None:
            check(j["root"]["roots"] >= 1 and j["root"]["kind"] in ("handle", "stack", "static", "thread static",
                                                                     "finalizer queue"),
                  "retained %s: root %s" % (name, j["root"]))
        for d in chain:
            check(d["retained"] >= j["retained"] + d["size"],
                  "retained %s: dominator %s retains less (%d)" % (name, d["address"], d["retained"]))
        # Own size plus the children's retained sizes is the whole.
        full = tr.json("retained %s -top 100000 --json" % want["address"])
        children = [c for c in full["retains"] if c["level"] == 1]
        check(full["size"] + sum(c["retained"] for c in children) == full["retained"],
              "retained %s: own %d + children %d != %d" % (name, full["size"], sum(c["retained"] for c in children),
                                                           full["retained"]))
        check(all(harness.parse_hex(c["dominator"]) == harness.parse_hex(want["address"]) for c in children),
              "retained %s: a child's dominator is not the object" % name)
        check(1 + sum(c["objects"] for c in children) == full["objects"],
              "retained %s: objects of the children do not add up" % name)

    sub = tr.json("retained %s --json" % o["subtree"]["address"])
    check(sub["dominators"] and harness.parse_hex(sub["dominators"][0]["address"]) == harness.parse_hex(o["tree"]["address"]),
          "the left subtree's first dominator is %s, not the tree %s" %
          (sub["dominators"][0]["address"] if sub["dominators"] else None, o["tree"]["address"]))
    check(sub["dominators"][0]["retained"] == o["tree"]["totalSize"], "the tree's retained size in the chain")

    deep = tr.json("retained %s -depth 3 -top 2 --json" % o["tree"]["address"])
    shown = {harness.parse_hex(o["tree"]["address"]): 0}
    for c in deep["retains"]:
        parent = harness.parse_hex(c["dominator"])
        check(parent in shown and shown[parent] == c["level"] - 1,
              "retained -depth 3: %s at level %d under %s, not listed above it" % (c["address"], c["level"], c["dominator"]))
        shown[harness.parse_hex(c["address"])] = c["level"]
    check(max(c["level"] for c in deep["retains"]) == 3, "retained -depth 3 goes 3 levels down")
    per_parent = {}
    for c in deep["retains"]:
        per_parent[c["dominator"]] = per_parent.get(c["dominator"], 0) + 1
    check(max(per_parent.values()) == 2, "retained -top 2: at most 2 under each")

    text = tr.text_of("retained %s" % o["tree"]["address"])
    first = "%x %s retains %s bytes in %s objects" % (harness.parse_hex(o["tree"]["address"]), o["tree"]["type"],
                                                      "{:,}".format(o["tree"]["totalSize"]),
                                                      "{:,}".format(o["tree"]["count"]))
    check(text.startswith(first), "retained text: %r, expected %r" % (text[:200], first))
    check("Kept alive alone by" in text and "Largest objects it retains (-top 10, -depth 1):" in text,
          "retained text sections")

    st = tr.json("retained -stat --json")
    live = {harness.parse_hex(r["mt"]): r for r in tr.json("dumpheap -stat -live --json")["statistics"]}
    rows = {harness.parse_hex(r["mt"]): r for r in st["types"]}
    check(set(rows) == set(k for k, r in live.items() if r["type"] != "Free"),
          "retained -stat: types %d, dumpheap -stat -live %d" % (len(rows), len(live)))
    for mt, r in rows.items():
        want = live.get(mt)
        check(want is not None and want["count"] == r["count"] and want["totalSize"] == r["totalSize"],
              "retained -stat %s: %d objects %d bytes, dumpheap -live says %s" % (r["type"], r["count"], r["totalSize"], want))
        check(r["retained"] >= r["totalSize"], "retained -stat %s: retains less than its own bytes" % r["type"])
        check(r["retained"] <= st["liveHeap"], "retained -stat %s: more than the live heap" % r["type"])
    check([r["retained"] for r in st["types"]] == sorted((r["retained"] for r in st["types"]), reverse=True),
          "retained -stat --json: largest first")
    # The tree keeps 12 bytes per live object (its immediate dominator and
    # its retained size in 8-byte units per object of gcroot's index, which
    # numbers the dead ones too; the preorder per live object), no more.
    live_objects = sum(r["count"] for r in live.values() if r["type"] != "Free")
    all_objects = sum(r["count"] for r in tr.json("dumpheap -stat --json")["statistics"] if r["type"] != "Free")
    tree = tr.json("retained %s --json" % o["tree"]["address"])["tree"]
    check(0 < tree["liveObjects"] <= live_objects,
          "retained --json: the tree reached %d objects, dumpheap -live has %d" % (tree["liveObjects"], live_objects))
    check(12 * tree["liveObjects"] <= tree["bytes"] <= 8 * all_objects + 4 * live_objects + 16,
          "retained --json: the tree holds %d bytes for %d objects, %d of them live" % (tree["bytes"], all_objects, live_objects))
    ring = [r for r in st["types"] if r["type"] == "HeapShapes.Ring"]
    if ring and ring[0]["count"] == 5:
        check(ring[0]["retained"] == o["ring"]["totalSize"],
              "retained -stat: the Ring type retains %d, the ring and its hub are %d" % (ring[0]["retained"], o["ring"]["totalSize"]))
    text = tr.output("retained -stat -top 5")
    table = [ln for ln in text if len(ln.split()) >= 5 and ln.split()[0] != "MT" and ln.startswith(" ")]
    check(len(table) == 5 and table[-1].endswith(" " + st["types"][0]["type"]),
          "retained -stat -top 5: %d rows, the last %r, the largest %s" %
          (len(table), table[-1] if table else None, st["types"][0]["type"]))

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
