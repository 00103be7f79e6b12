"""dumpstring, findstring and dumpheap -strings against HeapShapes' strings.

usage: test_strings.py <gc config> <live|full|heap|os>

The target made strings of known content (ASCII, accents, CJK, an emoji
pair, a lone surrogate, control characters, empty, a 1.2 MB XML text it
also wrote to a file), duplicates in known numbers and planted needles.
"""

import hashlib
import json
import os
import re
import sys

import harness
from harness import check


def units_text(utf16_hex):
    """The Python str (lone surrogates kept) of the target's UTF-16 units."""
    raw = b"".join(int(u, 16).to_bytes(2, "little") for u in utf16_hex.split())
    return raw.decode("utf-16-le", "surrogatepass")


def main():
    config, mode = sys.argv[1], sys.argv[2]
    env = dict(harness.GC_CONFIGS[config])
    out_dir = harness.scratch_dir()
    env["HEAPSHAPES_OUT_DIR"] = out_dir
    try:
        def commands(truth):
            s = truth["objects"]["strings"]
            cmds = []
            for name in ("empty", "ascii", "latin", "cjk", "emoji", "unpairedSurrogate",
                         "unpairedMixed", "control"):
                cmds += ["dumpstring %s" % s[name]["address"], "dumpstring %s --json" % s[name]["address"]]
            big = s["bigXml"]
            cmds += [
                "dumpstring %s --outfile %s/dumped.txt" % (big["address"], out_dir),
                "dumpstring %s --outfile %s/dumped.txt --json" % (big["address"], out_dir),
                "dumpstring %s --count 40" % big["interior"]["address"],
                "dumpstring %s --json" % big["address"],
                "findstring NEEDLE-7f3a --json",
                "findstring NEEDLE-7f3a",
                "findstring -regex NEEDLE-7f3a.*NEEDLE --json",
                "dumpheap -strings --json",
                "dumpheap -strings",
                "dumpstring 0x10",
                "dumpstring %s" % truth["objects"]["allFields"]["address"],
                "dumpstring %s --outfile /no/such/dir/x.txt" % s["ascii"]["address"],
                "dumpstring",
                "findstring -regex (",
                "findstring",
            ]
            return cmds

        if mode == "live":
            with harness.Target("HeapShapes", env=env) as t:
                truth = t.truth
                tr = harness.lldb(commands(truth), pid=t.pid)
        else:
            core, exe, truth = harness.core_of_finished("HeapShapes", mode, out_dir, env=env)
            tr = harness.lldb(commands(truth), core=core, exe=exe)
        s = truth["objects"]["strings"]

        # Each string's text, escaped for the terminal and exact in JSON.
        for name in ("empty", "ascii", "latin", "cjk", "emoji", "unpairedSurrogate",
                     "unpairedMixed", "control"):
            addr = s[name]["address"]
            check(tr.error("dumpstring %s" % addr) is None, "dumpstring %s failed" % name)
            lines = tr.output("dumpstring %s" % addr)
            check(lines[:1] == [s[name]["escaped"]], "dumpstring %s: %r, expected %r" % (name, lines[:1], s[name]["escaped"]))
            j = tr.json("dumpstring %s --json" % addr)
            check(j["length"] == int(s[name]["length"]), "%s: length %s" % (name, j["length"]))
            check(j["text"] == units_text(s[name]["utf16"]), "%s: JSON text %r" % (name, j["text"]))

        # The 1.2 MB text: byte for byte what the target wrote.
        big = s["bigXml"]
        with open(big["file"], "rb") as f:
            want = f.read()
        with open(os.path.join(out_dir, "dumped.txt"), "rb") as f:
            got = f.read()
        check(len(got) == len(want) and got == want,
              "--outfile: %d bytes, the target wrote %d (equal: %s)" % (len(got), len(want), got == want))
        check(hashlib.sha256(got).hexdigest() == big["sha256"], "--outfile: SHA-256 differs")
        wj = tr.json("dumpstring %s --outfile %s/dumped.txt --json" % (big["address"], out_dir))
        check(wj["bytes"] == len(want) and wj["written"] == int(big["length"]), "--outfile --json: %s" % wj)
        bj = tr.json("dumpstring %s --json" % big["address"])
        check(bj["text"].encode("utf-8") == want, "the big string's JSON text differs")
        interior = tr.output("dumpstring %s --count 40" % big["interior"]["address"])
        check(interior and "is inside the string at 0x%x" % harness.parse_hex(big["address"]) in interior[0],
              "interior address not resolved: %r" % interior[:1])
        first40 = want.decode("utf-8").encode("utf-16-le")[:80].decode("utf-16-le")  # 40 UTF-16 units
        check(len(interior) > 1 and interior[1] == first40, "interior: text %r" % interior[1:2])

        # findstring: exactly the planted strings.
        planted = truth["objects"]["planted"]
        found = tr.json("findstring NEEDLE-7f3a --json")
        check(sorted(harness.parse_hex(m["address"]) for m in found["matches"]) ==
              sorted(harness.parse_hex(i["address"]) for i in planted["items"]),
              "findstring: %s, planted %s" % ([m["address"] for m in found["matches"]],
                                              [i["address"] for i in planted["items"]]))
        check(found["count"] == len(planted["items"]), "findstring count")
        for m in found["matches"]:
            item = [i for i in planted["items"] if harness.parse_hex(i["address"]) == harness.parse_hex(m["address"])]
            if item:
                check(m["text"] == item[0]["value"] and m["length"] == item[0]["length"], "findstring row %s" % m)
        check("Found %d strings containing \"NEEDLE-7f3a\"." % len(planted["items"]) in tr.text_of("findstring NEEDLE-7f3a"),
              "findstring text summary")
        twice = [i for i in planted["items"] if i["position"] == "twice"]
        rx = tr.json("findstring -regex NEEDLE-7f3a.*NEEDLE --json")
        check([harness.parse_hex(m["address"]) for m in rx["matches"]] == [harness.parse_hex(i["address"]) for i in twice],
              "findstring -regex: %s" % rx["matches"])

        # dumpheap -strings: the duplicates the target made.
        hist = tr.json("dumpheap -strings --json")
        rows = {r["text"]: r for r in hist["strings"]}
        for g in truth["objects"]["duplicates"]["groups"]:
            r = rows.get(g["value"])
            if check(r is not None, "-strings: no row for %r" % g["value"]):
                check(r["count"] == g["count"], "-strings %r: count %d, expected %d" % (g["value"], r["count"], g["count"]))
                check(r["wasted"] == g["wastedBytes"], "-strings %r: wasted %d, expected %d" % (g["value"], r["wasted"], g["wastedBytes"]))
                check(r["totalSize"] == g["totalSize"], "-strings %r: total %d" % (g["value"], r["totalSize"]))
        wasted = [r["wasted"] for r in hist["strings"]]
        check(wasted == sorted(wasted, reverse=True), "-strings: not largest waste first")
        check(hist["totalWasted"] == sum(wasted), "-strings: total waste")
        text = tr.text_of("dumpheap -strings")
        check(re.search(r"^\s+200\s+16,000\s+15,920\s+26 dup-payload-XYZ-0123456789$", text, re.M) is not None,
              "-strings text row for the 200 duplicates")

        # Errors.
        def err(cmd, *needles):
            e = tr.error(cmd)
            if check(e is not None, "%r did not fail" % cmd):
                for n in needles:
                    check(n in e, "%r: %r lacks %r" % (cmd, e, n))
        err("dumpstring 0x10", "0x10 is not a managed object")
        err("dumpstring %s" % truth["objects"]["allFields"]["address"], "is not a string", "HeapShapes.AllFields")
        err("dumpstring %s --outfile /no/such/dir/x.txt" % s["ascii"]["address"], "cannot write '/no/such/dir/x.txt'")
        err("dumpstring", "needs the address")
        err("findstring -regex (", "not a regular expression")
        err("findstring", "needs the text")
    finally:
        harness.cleanup(out_dir)
    harness.finish()


if __name__ == "__main__":
    try:
        main()
    except harness.Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
