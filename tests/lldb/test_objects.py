"""dumpobj, dumpvc, dumpmt and dumparray against HeapShapes' objects.

usage: test_objects.py <gc config> <live|full|heap|os>

The target holds an object with a field of every primitive type, enums,
references, null, an array, embedded structs, statics and a thread static;
an inherited class; a struct array; arrays of several kinds; and an object
whose thin lock a named thread holds. It printed each field's offset and
value; SOS's display rules give what dumpobj must print.
"""

import re
import sys

import harness
from harness import check


def expected_display(field):
    """The Value column SOS prints for a field the target described."""
    t, v = field["type"], field.get("value")
    if field.get("vt") == 1:
        return "%016x" % harness.parse_hex(field["fieldAddress"])
    if "target" in field:
        return "%016x" % (harness.parse_hex(field["target"]) if field["target"] else 0)
    if t == "System.Boolean":
        return "1" if v else "0"
    if t == "System.Char":
        return "%x" % ord(v)
    if t in ("System.Single", "System.Double"):
        return "%f" % v
    if t in ("System.IntPtr", "System.UIntPtr"):
        return "%016x" % (v & (2 ** 64 - 1))
    return str(v)


def rows(text):
    """name -> (MT, token, offset, type, VT, attr, value) of a Fields table."""
    out = {}
    for m in re.finditer(r"^([0-9a-f]{16}) ([0-9a-f]{8}) +([0-9a-f]+) +(.{1,20}?) +(Yes|No) +(\w+) +(\S*) (\S+)$",
                         text, re.M):
        out[m.group(8)] = m.groups()[:7]
    return out


def main():
    config, mode = sys.argv[1], sys.argv[2]
    env = harness.GC_CONFIGS[config]

    def commands(truth):
        o = truth["objects"]
        af, inh, sh, arr = o["allFields"], o["inherited"], o["structHolder"], o["arrays"]
        single = [f for f in sh["fields"] if f["name"] == "Single"][0]
        cmds = [
            "dumpobj %s" % af["address"],
            "dumpobj %s --json" % af["address"],
            "do %s" % inh["address"],
            "dumpobj %s -refs -nofields --json" % af["address"],
            "dumpobj %s -refs" % af["address"],
            "dumpobj %s -refs" % sh["address"],
            "dumpobj %s -refs --json" % sh["address"],
            "dumpobj %s -refs" % arr["strings"]["address"],
            "dumpobj %s -refs" % arr["ints"]["address"],
            "dumpobj %s" % o["strings"]["ascii"]["address"],
            "dumpobj %s" % arr["ints"]["address"],
            "dumpobj %s" % truth["threads"]["LockHolderThread"]["lockedObject"],
            "dumpvc %s %s" % (single["fieldTypeMT"], single["fieldAddress"]),
            "dumpmt %s" % af["mt"],
            "dumpmt %s --json" % af["mt"],
            "dumpmt -md %s --json" % af["mt"],
            "dumpmt -md %s" % af["mt"],
            "dumparray %s --json" % arr["ints"]["address"],
            "da %s" % arr["strings"]["address"],
            "da %s --json" % arr["grid64"]["address"],
            "da -start 1 -length 2 %s --json" % arr["ints"]["address"],
            "dumparray %s -details" % sh["points"]["address"],
            "pe %s --json" % truth["threads"]["exception"]["address"],
            "pe %s --inner --json" % truth["threads"]["exception"]["address"],
            "pe %s --inner" % truth["threads"]["exception"]["address"],
            "pe %s" % af["address"],
            "dumpobj 0x10",
            "dumpobj %s+0x10" % af["address"],
            "dumpmt 0x10",
            "dumparray %s" % af["address"],
            "dumpvc %s" % af["mt"],
            "dumpobj",
        ]
        return cmds

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
    o = truth["objects"]
    af, arr, sh = o["allFields"], o["arrays"], o["structHolder"]

    # dumpobj: the header and every field's offset, VT and value.
    text = tr.text_of("dumpobj %s" % af["address"])
    check(tr.error("dumpobj %s" % af["address"]) is None, "dumpobj failed")
    check("Name:        HeapShapes.AllFields" in text, "dumpobj: Name")
    check("MethodTable: %016x" % harness.parse_hex(af["mt"]) in text, "dumpobj: MethodTable")
    check(re.search(r"^Size:        \d+\(0x[0-9a-f]+\) bytes$", text, re.M) is not None, "dumpobj: Size")
    check("File:        %s" % af["file"] in text, "dumpobj: File")
    table = rows(text)
    for f in af["fields"]:
        r = table.get(f["name"])
        if not check(r is not None, "dumpobj: no row for %s" % f["name"]):
            continue
        check(int(r[2], 16) == f["offset"] + 8, "%s: offset %s, expected 0x%x" % (f["name"], r[2], f["offset"] + 8))
        check(r[4] == ("Yes" if f.get("vt") == 1 or ("target" not in f) else "No"),
              "%s: VT %s" % (f["name"], r[4]))
        check(r[5] == "instance", "%s: attr %s" % (f["name"], r[5]))
        check(r[6] == expected_display(f), "%s: value %r, expected %r" % (f["name"], r[6], expected_display(f)))
    for f in af["staticFields"]:
        r = table.get(f["name"])
        if check(r is not None, "dumpobj: no row for static %s" % f["name"]):
            check(r[5] == "static" and r[6] == expected_display(f), "static %s: %s" % (f["name"], r))
    for f in af["threadStaticFields"]:
        r = table.get(f["name"])
        if check(r is not None, "dumpobj: no row for thread static %s" % f["name"]):
            check(r[5] == "TLstatic", "thread static %s attr %s" % (f["name"], r[5]))
        for v in f["values"]:
            check(" %x:%d" % (v["osId"], v["value"]) in text,
                  "thread static %s: no %x:%d in %r" % (f["name"], v["osId"], v["value"], text[-200:]))
    j = tr.json("dumpobj %s --json" % af["address"])
    by_name = {f["name"]: f for f in j["fields"]}
    for f in af["fields"]:
        g = by_name.get(f["name"])
        if check(g is not None, "--json: no field %s" % f["name"]):
            check(g["value"] == expected_display(f) and g["offset"] == f["offset"] + 8,
                  "--json %s: %s" % (f["name"], g))
    refs = {harness.parse_hex(r["address"]) for r in tr.json("dumpobj %s -refs -nofields --json" % af["address"])["references"]}
    want_refs = {harness.parse_hex(f["target"]) for f in af["fields"] if f.get("target")}
    check(refs == want_refs, "-refs: %s, expected %s" % (sorted(refs), sorted(want_refs)))
    # -refs as SOS prints it: after the fields, "GC Refs:", a Field Offset Object Type header,
    # a row per reference field the target names, at its offset from the data (the Fields
    # table's offset less the MethodTable word).
    rtext = tr.text_of("dumpobj %s -refs" % af["address"])
    check(tr.error("dumpobj %s -refs" % af["address"]) is None, "dumpobj -refs failed")
    check(rtext.find("Fields:") < rtext.find("GC Refs:\n"), "-refs: no GC Refs after the fields:\n%s" % rtext[-600:])
    check(re.search(r"^Field +Offset +Object Type$", rtext, re.M) is not None, "-refs: no SOS header:\n%s" % rtext[-600:])
    gc_rows = {m.group(1): (int(m.group(2), 16), int(m.group(3), 16), m.group(4))
               for m in re.finditer(r"^(\S+) +0x([0-9a-f]+) +([0-9a-f]{12,16}) (.+)$", rtext.split("GC Refs:")[-1], re.M)}
    for f in af["fields"]:
        if not f.get("target"):
            continue
        g = gc_rows.get(f["name"])
        if check(g is not None, "-refs: no GC Refs row for %s in %s" % (f["name"], sorted(gc_rows))):
            check(g[0] == f["offset"] and g[1] == harness.parse_hex(f["target"]),
                  "-refs %s: offset 0x%x object %x, expected 0x%x %s" % (f["name"], g[0], g[1], f["offset"], f["target"]))
    check(len(gc_rows) == len(want_refs), "-refs: %d rows, %d references" % (len(gc_rows), len(want_refs)))
    # In a struct array: no field names; an int array has none.
    stext = tr.text_of("dumpobj %s -refs" % arr["strings"]["address"])
    n_strings = len([m for m in re.finditer(r"^ +0x[0-9a-f]+ +[0-9a-f]{12,16} System\.String$", stext, re.M)])
    check(n_strings == sum(1 for e in arr["strings"]["elements"] if e),
          "-refs of a string[]: %d element rows, target has %s:\n%s" % (n_strings, arr["strings"]["elements"], stext[-600:]))
    check("GC Refs: none" in tr.text_of("dumpobj %s -refs" % arr["ints"]["address"]), "-refs of an int[]: not none")
    # StructHolder: its Points array, by name, at offset 0 of its data (before the embedded Single).
    shj = tr.json("dumpobj %s -refs --json" % sh["address"])
    pts = [r for r in shj["references"] if harness.parse_hex(r["address"]) == harness.parse_hex(sh["points"]["address"])]
    check(len(pts) == 1 and pts[0]["field"] == "Points" and pts[0]["offset"] == 0,
          "-refs --json of StructHolder: %s" % shj["references"])

    # Inherited fields first, with the object's own after them.
    inh = o["inherited"]
    itext = tr.text_of("do %s" % inh["address"])
    names = [m for m in re.findall(r" (\w+)$", itext, re.M) if m in [f["name"] for f in inh["fields"]]]
    check(names[:2] == ["BaseValue", "BaseName"] or names[:2] == ["BaseName", "BaseValue"],
          "inherited fields not first: %s" % names)
    check(names[-1:] == ["DerivedValue"], "own field not last: %s" % names)
    irows = rows(itext)
    for f in inh["fields"]:
        r = irows.get(f["name"])
        if check(r is not None, "inherited: no row %s" % f["name"]):
            check(r[6] == expected_display(f), "inherited %s: %r" % (f["name"], r[6]))

    check("String:      The quick brown fox" in tr.text_of("dumpobj %s" % o["strings"]["ascii"]["address"]),
          "dumpobj of a string: no String line")
    check("Array:       Rank 1, Number of elements 5, Type Int32" in tr.text_of("dumpobj %s" % o["arrays"]["ints"]["address"]),
          "dumpobj of an array: no Array line")
    lock = tr.text_of("dumpobj %s" % truth["threads"]["LockHolderThread"]["lockedObject"])
    check(re.search(r"^ThinLock owner %x \([0-9a-f]+\), Recursive 0$" % truth["threads"]["LockHolderThread"]["managedId"],
                    lock, re.M) is not None, "dumpobj: no thin lock owner line")

    # dumpvc: the Point embedded in StructHolder.
    single = [f for f in o["structHolder"]["fields"] if f["name"] == "Single"][0]
    vrows = rows(tr.text_of("dumpvc %s %s" % (single["fieldTypeMT"], single["fieldAddress"])))
    for f in single["value"]["fields"] if isinstance(single.get("value"), dict) else []:
        r = vrows.get(f["name"])
        if check(r is not None, "dumpvc: no row %s" % f["name"]):
            check(int(r[2], 16) == f["offset"] and r[6] == str(f["value"]), "dumpvc %s: %s" % (f["name"], r))

    # dumpmt
    mt = tr.json("dumpmt %s --json" % af["mt"])
    check(mt["name"] == "HeapShapes.AllFields" and mt["file"] == af["file"], "dumpmt: %s" % mt)
    check(mt["baseSize"] == af["baseSize"] if "baseSize" in af else True, "dumpmt: base size")
    check("Name:                HeapShapes.AllFields" in tr.text_of("dumpmt %s" % af["mt"]), "dumpmt text")
    # -md: its own methods and the inherited ones, named as the runtime names them.
    mds = tr.json("dumpmt -md %s --json" % af["mt"])["methodDescs"]
    names = [m["name"] for m in mds]
    check("HeapShapes.AllFields..ctor()" in names and "HeapShapes.AllFields..cctor()" in names,
          "dumpmt -md: constructors missing from %s" % names)
    own = [m for m in mds if m["name"] and m["name"].startswith("HeapShapes.")]
    check(all(harness.parse_hex(m["methodDesc"]) for m in own), "dumpmt -md: own method without MethodDesc")
    check(any(m["name"] == "System.Object.ToString()" for m in mds), "dumpmt -md: inherited ToString missing")
    check(re.search(r"^MethodDesc Table$", tr.text_of("dumpmt -md %s" % af["mt"]), re.M) is not None,
          "dumpmt -md text: no MethodDesc Table")

    # dumparray
    arr = o["arrays"]
    ints = tr.json("dumparray %s --json" % arr["ints"]["address"])
    check([int(e["value"]) for e in ints["elements"]] == arr["ints"]["values"], "dumparray ints: %s" % ints["elements"])
    part = tr.json("da -start 1 -length 2 %s --json" % arr["ints"]["address"])
    check([int(e["value"]) for e in part["elements"]] == arr["ints"]["values"][1:3], "-start/-length")
    strs = tr.output("da %s" % arr["strings"]["address"])
    want = ["[%d] %s" % (i, "null" if e is None else "%016x" % harness.parse_hex(e))
            for i, e in enumerate(arr["strings"]["elements"])]
    check([l for l in strs if l.startswith("[")] == want, "da strings: %s, expected %s" % (strs, want))
    grid = tr.json("da %s --json" % arr["grid64"]["address"])
    got = [(e["index"], int(e["value"])) for e in grid["elements"]]
    vals = arr["grid64"]["values"]
    want = [("[%d][%d]" % (i, k), vals[i][k]) for i in range(len(vals)) for k in range(len(vals[i]))]
    check(got == want and grid["rank"] == 2, "da 2-D: %s, expected %s" % (got, want))
    details = tr.text_of("dumparray %s -details" % o["structHolder"]["points"]["address"])
    check(details.count("Fields:") == o["structHolder"]["points"]["length"], "-details: one Fields table per element")

    # pe: the exception the target threw and caught, with its inner one and stack trace.
    ex = truth["threads"]["exception"]
    pe = tr.json("pe %s --json" % ex["address"])
    check(pe["type"] == ex["type"] and pe["message"] == ex["message"] and pe["hresult"] == ex["hresult"],
          "pe: %s" % {k: pe[k] for k in ("type", "message", "hresult")})
    check(harness.parse_hex(pe["innerException"]) == harness.parse_hex(ex["innerAddress"]), "pe: inner exception")
    methods = [f["method"] for f in pe["stackTrace"]]
    check(methods == ["HeapShapes.Program.%s()" % m for m in ex["stackMethods"]],
          "pe: stack trace %s, target says %s" % (methods, ex["stackMethods"]))
    # --inner follows the InnerException chain (-nested is SOS's: the thread's nested records).
    nested = tr.json("pe %s --inner --json" % ex["address"])
    check(nested.get("inner", {}).get("message") == ex["innerMessage"] and
          nested["inner"]["type"] == ex["innerType"], "pe --inner: inner %s" % nested.get("inner"))
    text = tr.text_of("pe %s --inner" % ex["address"])
    check("Exception type:   %s" % ex["type"] in text and "Message:          %s" % ex["message"] in text and
          "HResult: %x" % (ex["hresult"] & 0xffffffff) in text and "Nested exception" in text, "pe text")

    # Errors.
    def err(cmd, *needles):
        e = tr.error(cmd)
        if check(e is not None, "%r did not fail" % cmd):
            for n in needles:
                check(n in e, "%r: %r lacks %r" % (cmd, e, n))
    err("dumpobj 0x10", "0x10 is not a managed object")
    err("dumpobj %s+0x10" % af["address"], "is not a managed object", "inside the HeapShapes.AllFields at 0x%x" % harness.parse_hex(af["address"]))
    err("dumpmt 0x10", "0x10 is not a MethodTable")
    err("dumparray %s" % af["address"], "is not an array", "HeapShapes.AllFields")
    err("dumpvc %s" % af["mt"], "dumpvc needs")
    err("dumpobj", "needs the address")
    err("pe %s" % af["address"], "is not an exception", "HeapShapes.AllFields")
    harness.finish()


if __name__ == "__main__":
    try:
        main()
    except harness.Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
