"""Names clrsos does not control never drive the terminal nor fake output lines.

usage: test_names.py <live|full>

tests/targets/Hostile defines types, fields and methods whose names hold a
newline followed by a fake "Found 0 unique roots." line, a carriage return,
ESC [2J (clear the screen), OSC 0 (set the window title), a C1 control
(U+009B, CSI) and 10 KB of text; once in an assembly file it loads (the
metadata clrsos reads), once with Reflection.Emit in memory. It also holds an
exception with 40 nested inner exceptions and two exceptions that are each
other's InnerException.

Asserted over every command's output (dumpheap -stat/-type, dumpobj, dumpmt
-md, gcroot, objsize, gchandles, clrthreads, clrstack -all, pe --inner, and
their --json forms): no control character reaches it but the newlines that
end lines (and tabs); the file-loaded types are named, their names escaped
(\\n, \\u001B, ...); gcroot prints exactly one "Found " line; no line longer
than a cut name allows; JSON stays valid and holds the exact names. The
in-memory (Reflection.Emit) types' names are asserted the same way once
clrsos names them: while it shows them as <Unloaded Type>, only the
control-character checks apply to them (said in the log).
pe --inner: 32 exceptions, then "... 9 more inner exceptions not shown"
with the address to continue from; the loop is named as a cycle.
"""

import json
import os
import re
import sys

import harness
from harness import check

# Control characters that must never reach the terminal: C0 (but newline and
# tab), DEL, C1.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")
NAME_SHOWN = 1024  # CLRSOS_NAME_SHOWN


def escaped(name):
    """A name as clrsos shows it in text (core/base/output.c clrsos_safe_name)."""
    out = []
    for ch in name:
        c = ord(ch)
        if ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif c < 0x20 or c == 0x7f or 0x80 <= c < 0xa0:
            out.append("\\u%04X" % c)
        else:
            out.append(ch)
    return "".join(out)


def runtime_name(name):
    """A type's name as the runtime formats it: [ and ] after a backslash."""
    return name.replace("[", "\\[").replace("]", "\\]")


def main():
    mode = sys.argv[1]
    scratch = harness.scratch_dir()
    try:
        with harness.Target("Hostile") as t:
            truth = t.truth
            if mode == "live":
                where = {"pid": t.pid}
            else:
                where = {"core": harness.make_core(t, mode, scratch), "exe": t.exe}
                t.kill()
            run(truth, where)
            try:
                os.unlink(truth["assemblyFile"])
                os.rmdir(os.path.dirname(truth["assemblyFile"]))
            except OSError:
                pass
    finally:
        harness.cleanup(scratch)
    harness.finish()


def run(truth, where):
    made = truth["file"] + truth["dynamic"]
    holder = [m for m in truth["file"] if m["holder"]][0]
    cmds = ["dumpheap -stat", "dumpheap -stat --json", "dumpheap -type Hostile",
            "dumpheap -type HostileFile --json"]
    for m in made:
        cmds += ["dumpobj %s" % m["address"], "gcroot %s" % m["address"], "dumpmt %s" % m["mt"]]
    cmds += ["dumpobj %s --json" % holder["address"], "dumpobj %s -refs" % holder["address"],
             "dumpmt -md %s" % holder["mt"], "dumpmt -md %s --json" % holder["mt"],
             "gcroot %s --json" % truth["file"][0]["address"], "objsize %s" % holder["address"],
             "gchandles", "clrthreads", "clrstack -all", "clrstack -all --json",
             "pe --inner %s" % truth["nested"], "pe --inner %s --json" % truth["nested"],
             "pe --inner %s" % truth["loopA"], "pe --inner %s --json" % truth["loopA"],
             "pe %s" % truth["loopA"]]
    tr = harness.lldb(cmds, **where)

    # 1. No control character anywhere, from any command; no line faked or overlong.
    for cmd, lines in tr.blocks:
        for line in lines:
            bad = CONTROL.search(line)
            check(bad is None, "%s: a raw control character U+%04X in %r" %
                  (cmd[:80], ord(bad.group()) if bad else 0, line[:200]))
            check(line.startswith("{") or len(line) <= NAME_SHOWN + 400,
                  "%s: a line of %d characters" % (cmd[:80], len(line)))
            check(not line.startswith("Fake"), "%s: a line faked by a name: %r" % (cmd[:80], line[:100]))
        if not cmd.startswith("gcroot"):
            check(not any(l.startswith("Found ") for l in lines), "%s: a faked 'Found' line" % cmd[:80])

    # 2. The names come through, escaped.
    stat = tr.text_of("dumpheap -stat")
    for m in made:
        # The runtime's formatting puts a backslash before [ and ]; a name
        # read from metadata has none: either form, escaped.
        forms = [escaped(runtime_name(m["name"])), escaped(m["name"])]
        shown = ([f for f in forms if f in stat] or forms)[0]
        dynamic = m in truth["dynamic"]
        if dynamic and shown not in stat:
            print("NOTE: %s is not named by clrsos (<Unloaded Type>?): only the control-character "
                  "checks apply to it" % shown)
            continue
        check(shown in stat, "dumpheap -stat names %r" % shown)
        do = tr.output("dumpobj %s" % m["address"])
        check(("Name:        " + shown) in do, "dumpobj %s: Name line %r" % (m["address"], shown))
        dmt = tr.output("dumpmt %s" % m["mt"])
        check(("Name:                " + shown) in dmt, "dumpmt %s: Name line" % m["mt"])
        roots = tr.output("gcroot %s" % m["address"])
        found = [l for l in roots if l.startswith("Found ")]
        check(len(found) == 1 and re.match(r"Found [1-9]\d* unique roots?\.$", found[0]) is not None,
              "gcroot %s: one real Found line, got %r" % (m["address"], found))
        check(any(shown in l for l in roots), "gcroot %s: the chain names %r" % (m["address"], shown))
    for m in made:
        roots = tr.output("gcroot %s" % m["address"])
        check(len([l for l in roots if l.startswith("Found ")]) == 1, "gcroot %s: one Found line" % m["address"])

    # JSON: valid, with the exact names.
    names = {s["type"] for s in tr.json("dumpheap -stat --json")["statistics"]}
    for m in truth["file"]:
        check({runtime_name(m["name"]), m["name"]} & names, "dumpheap -stat --json: the exact name %r" % m["name"])
    objs = {o["type"] for o in tr.json("dumpheap -type HostileFile --json")["objects"]}
    check(all({runtime_name(m["name"]), m["name"]} & objs for m in truth["file"]),
          "dumpheap -type --json: the exact names")
    hj = tr.json("dumpobj %s --json" % holder["address"])
    check(hj["name"] in (runtime_name(holder["name"]), holder["name"]), "dumpobj --json name: %r" % hj["name"])
    long_name = "Long" + "L" * 10240
    check(long_name in {f["name"] for f in hj["fields"]}, "dumpobj --json: the 10 KB field name whole")
    hazards = ["Line\nFound 0 unique roots.\nFake", "Clear\x1b[2J", "Title\x1b]0;pwned\x07",
               "Return\rFake", "CSI\x9b31m"]
    check({"f_" + h for h in hazards} <= {f["name"] for f in hj["fields"]}, "dumpobj --json: the field names")
    tr.json("gcroot %s --json" % truth["file"][0]["address"])
    tr.json("clrstack -all --json")

    # Fields and the 10 KB names: escaped, cut.
    do = tr.text_of("dumpobj %s" % holder["address"])
    for h in hazards:
        check(escaped("f_" + h) in do, "dumpobj: field %r shown escaped" % escaped("f_" + h))
    check(("Long" + "L" * 100) in do and "... (10244 bytes in all)" in do, "dumpobj: the 10 KB field name cut")
    md = tr.text_of("dumpmt -md %s" % holder["mt"])
    check("Wait\\n\\u001B[2J\\u001B]0;pwned\\u0007\\u009BLong" in md and "bytes in all)" in md,
          "dumpmt -md: the method's name escaped and cut")
    methods = [d["name"] for d in tr.json("dumpmt -md %s --json" % holder["mt"])["methodDescs"]]
    check(any(n and ("Wait\n\x1b[2J\x1b]0;pwned\x07\x9bLong" + "L" * 10240) in n for n in methods),
          "dumpmt -md --json: the method's whole name: %r" % [n[:80] for n in methods if n])
    stack = tr.text_of("clrstack -all")
    check("Wait\\n\\u001B[2J\\u001B]0;pwned\\u0007\\u009BLong" in stack,
          "clrstack -all: the waiting method's name escaped")

    # 3. pe --inner: 41 exceptions, 32 shown, the rest said; a cycle named.
    pe = tr.output("pe --inner %s" % truth["nested"])
    shown = [l for l in pe if l.startswith("Exception object: ")]
    check(len(shown) == 32, "pe --inner: 32 exceptions shown, got %d" % len(shown))
    more = [l for l in pe if "more inner exceptions not shown" in l]
    check(len(more) == 1 and more[0].startswith("... 9 more inner exceptions not shown"),
          "pe --inner: says 9 more are not shown: %r" % more)
    if more:
        nxt = re.search(r"pe --inner ([0-9a-f]+)", more[0])
        check(nxt is not None, "pe --inner: says where to continue: %r" % more[0])
    pj = tr.json("pe --inner %s --json" % truth["nested"])
    depth, node = 1, pj
    while "inner" in node:
        node, depth = node["inner"], depth + 1
    check(depth == 32 and node.get("innerNotShown") == 9, "pe --inner --json: 32 nested, innerNotShown 9 (%d, %s)"
          % (depth, node.get("innerNotShown")))
    loop = tr.output("pe --inner %s" % truth["loopA"])
    check(len([l for l in loop if l.startswith("Exception object: ")]) == 2, "pe --inner loop: each shown once")
    a, b = harness.parse_hex(truth["loopA"]), harness.parse_hex(truth["loopB"])
    cyc = [l for l in loop if l.startswith("cycle: ")]
    check(len(cyc) == 1 and ("the inner exception of %016x" % b) in cyc[0] and ("is %016x" % a) in cyc[0]
          and "already shown above" in cyc[0], "pe --inner loop: the cycle named: %r" % cyc)
    lj = tr.json("pe --inner %s --json" % truth["loopA"])
    check(harness.parse_hex(lj.get("inner", {}).get("innerCycle", "0x0")) == a, "pe --inner --json: innerCycle")
    check(tr.error("pe %s" % truth["loopA"]) is None and
          not any(l.startswith("cycle") for l in tr.output("pe %s" % truth["loopA"])), "pe without -nested: one")


if __name__ == "__main__":
    try:
        main()
    except harness.Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
