"""clrstack -i (typed, named arguments and locals) and clrstack -gc against what the target says.

usage: test_locals.py <live|full>

Starts the Lines target in its "locals" mode: it stops in Lines.Program.Locals,
a method not optimized, whose arguments and locals have values it prints as
its truth (int, string, an object of type Lines.Holder passed as object, a
struct, an int[], a long, a bool, a double, a char, a null string). On the live
process, or on a full core of it:

- clrstack -all -i -a (text, SOS's ICorDebug layout, and --json) must name the
  frame in SOS's signature form with its module's file, and show each
  argument and local with its name (locals' from Lines.pdb), type and the
  value the target printed;
- clrstack -all -i held must list the fields of the local held with the
  values the target printed;
- clrstack -all -gc must list, under the frame of Locals, a GC reference to
  the object the argument holder holds, with its type;
- clrstack -all -i -c 3 shows 3 frame lines and not the end of the walk.
"""
import re
import sys

import harness
from harness import check

HEX = r"[A-Fa-f0-9]+"


def locals_frame(result):
    for thread in result["threads"]:
        for f in thread.get("frames") or []:
            if "Lines.Program.Locals(" in (f.get("signature") or f.get("name") or ""):
                return f
    return None


def by_name(items):
    return {v["name"]: v for v in items}


def run(mode):
    directory = harness.scratch_dir()
    commands = ["clrstack -all -i -a --json", "clrstack -all -i -a", "clrstack -all -i held",
                "clrstack -all -gc --json", "clrstack -all -gc", "clrstack -all -i -c 3"]
    try:
        with harness.Target("Lines", args=["locals"], stdin=True) as t:
            if mode == "live":
                tr = harness.lldb(commands, pid=t.pid)
            else:
                core = harness.make_core(t, "full", directory)
                tr = harness.lldb(commands, core=core, exe=t.exe)
            truth = t.truth
    finally:
        harness.cleanup(directory)

    f = locals_frame(tr.json("clrstack -all -i -a --json"))
    check(f is not None, "clrstack -i --json has the frame of Lines.Program.Locals")
    check(f["signature"] == "[DEFAULT] I4 Lines.Program.Locals(I4,String,Object,ValueType Lines.Point,SZArray I4)",
          "SOS's signature form: %s" % f["signature"])
    check((f.get("modulePath") or "").endswith("/Lines.dll"), "module file: %s" % f.get("modulePath"))
    p, l = by_name(f["parameters"]), by_name(f["locals"])
    tp, tl = truth["parameters"], truth["locals"]
    check(list(p) == ["number", "text", "holder", "point", "values"], "parameter names: %s" % list(p))
    check(p["number"]["type"] == "int" and p["number"]["value"] == tp["number"], "number: %s" % p["number"])
    check(p["text"]["type"] == "string" and p["text"]["value"] == tp["text"], "text: %s" % p["text"])
    check(p["holder"]["type"] == tp["holder"] and p["holder"]["kind"] == "object" and "address" in p["holder"],
          "holder (declared object, holds a %s): %s" % (tp["holder"], p["holder"]))
    check(p["point"]["type"] == tp["point"] and p["point"]["kind"] == "struct", "point: %s" % p["point"])
    check(p["values"]["type"] == "int[]" and p["values"].get("length") == tp["values"], "values: %s" % p["values"])
    for name in tl:
        check(name in l, "local %s is named (from Lines.pdb): %s" % (name, list(l)))
    check(l["count"]["type"] == "int" and l["count"]["value"] == tl["count"], "count: %s" % l["count"])
    check(l["word"]["type"] == "string" and l["word"]["value"] == tl["word"], "word: %s" % l["word"])
    check(l["held"]["type"] == tl["held"] and l["held"].get("address") == p["holder"]["address"],
          "held is the object holder holds: %s" % l["held"])
    check(l["moved"]["type"] == tl["moved"] and l["moved"]["kind"] == "struct", "moved: %s" % l["moved"])
    check(l["big"]["type"] == "long" and l["big"]["value"] == tl["big"], "big: %s" % l["big"])
    check(l["flag"]["type"] == "bool" and l["flag"]["value"] is tl["flag"], "flag: %s" % l["flag"])
    check(l["ratio"]["type"] == "double" and float(l["ratio"]["value"]) == tl["ratio"], "ratio: %s" % l["ratio"])
    check(l["letter"]["type"] == "char" and l["letter"]["value"] == ord(tl["letter"]), "letter: %s" % l["letter"])
    check(l["nothing"]["type"] == "string" and l["nothing"]["kind"] == "null" and tl["nothing"] is None,
          "nothing: %s" % l["nothing"])

    text = tr.text_of("clrstack -all -i -a")
    holder = int(p["holder"]["address"], 16)
    for pattern in [
            r"^Dumping managed stack and managed variables using ICorDebug\.$",
            r"^Child SP +IP +Call Site$",
            r"^%s %s \[DEFAULT\] I4 Lines\.Program\.Locals\(I4,String,Object,ValueType Lines\.Point,SZArray I4\) "
            r"\(.*/Lines\.dll\)$" % (HEX, HEX),
            r"^PARAMETERS:$",
            r"^  \+ int number  = %d$" % tp["number"],
            r'^  \+ string text = "%s"$' % re.escape(tp["text"]),
            r"^  \+ %s holder @ 0x%x$" % (re.escape(tp["holder"]), holder),
            r"^  \+ %s point @ 0x%s$" % (re.escape(tp["point"]), HEX),
            r"^  \+ int\[\] values   \(%d elements\)$" % tp["values"],
            r"^LOCALS:$",
            r"^  \+ int count  = %d$" % tl["count"],
            r'^  \+ string word = "%s"$' % re.escape(tl["word"]),
            r"^  \+ long big  = %d$" % tl["big"],
            r"^  \+ bool flag  = true$",
            r"^  \+ double ratio  = 2\.500000$",
            r"^  \+ char letter  = 'Q'$",
            r"^  \+ string nothing = null$",
            r"^Stack walk complete\.$",
            # SOS's StackTests.script, for the same layout:
            r"\s+\+ string\[\] args\s+\(empty\)\s+|\s+\+ string\[\] args\s+\(1 element\)\s+"]:
        check(re.search(pattern, text, re.M) is not None, "clrstack -i -a text: " + pattern)

    text = tr.text_of("clrstack -all -i held")
    for name, value in truth["holder"].items():
        shown = '"%s"' % re.escape(value) if isinstance(value, str) else r" %d" % value
        kind = "string" if isinstance(value, str) else "int"
        check(re.search(r"^     \|- %s %s  ?= ?%s$" % (kind, name, shown), text, re.M) is not None,
              "clrstack -i held: field %s = %s" % (name, value))

    # -c counts the lines of frames (SOS's ClrStackWithNumberOfFrames.script): 3, and no end of the walk.
    text = tr.text_of("clrstack -all -i -c 3")
    first = text.split("Call Site\n", 1)[1].split("=====", 1)[0]
    rows = [r for r in first.splitlines() if re.match(r"^%s " % HEX, r)]
    check(len(rows) == 3 and "Stack walk complete." not in first, "clrstack -i -c 3: 3 frame lines: %r" % first)

    g = locals_frame(tr.json("clrstack -all -gc --json"))
    check(g is not None and any(int(r["object"], 16) == holder and r["type"] == tp["holder"]
                                for r in g.get("gcReferences", [])),
          "clrstack -gc --json: the frame of Locals reports the Holder at 0x%x: %s" %
          (holder, g and g.get("gcReferences")))
    text = tr.text_of("clrstack -all -gc")
    block = re.search(r"Lines\.Program\.Locals\(.*\n((?: {34}.*\n)+)", text)
    check(block is not None and re.search(r"-> %016x - %s$" % (holder, re.escape(tp["holder"])), block.group(1),
                                          re.M) is not None,
          "clrstack -gc text: a reference line under Locals to %016x - %s: %r" %
          (holder, tp["holder"], block and block.group(1)))


def main():
    try:
        run(sys.argv[1])
    except harness.Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
    harness.finish()


if __name__ == "__main__":
    main()
