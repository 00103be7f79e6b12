"""dcd and dcq against the Collections target's own truth.

usage: test_collections.py <live|full> [<gc config>]
  gc config: wks-regions (the default), wks-segments, svr-regions, svr-segments

The Collections target holds concurrent dictionaries and queues of known
contents in the fields of one Collections.Holder and prints each one's
items. The test finds the Holder (dumpheap -type), reads its fields
(dumpobj --json), runs dcd or dcq on each collection, as text and --json,
and checks:
  - every dictionary's (key, value) pairs are exactly the target's (in any
    order: bucket order depends on hashing), every queue's items are the
    target's in dequeue order (dequeued items gone, frozen and wrapped
    segments read right);
  - what an item points at is what the target put there: dumpobj of an
    object item shows the Payload's Id, dumparray of an array item its
    length, dumpvc of a struct item the Point's X and Y;
  - the text is SOS's layout (the regexes of SOS's
    ConcurrentDictionaries.script) and lists as many items as the JSON;
  - numbers read as C# prints them (doubles and floats included);
  - errors: no address, not an address, not an object, an object of
    another type, each one line with a failed status.
"""

import re
import sys
from collections import Counter

import harness
from harness import check

HEX = r"[A-Fa-f0-9]+(`[A-Fa-f0-9]+)?"

BAD = {
    "dcd": "Missing ConcurrentDictionary address",
    "dcq": "Missing ConcurrentQueue address",
    "dcd abcdefgh": "Hexadecimal address expected",
    "dcd 0000000000000001": "is not referencing an object",
    "dcq 0000000000000001": "is not referencing an object",
    "dcd 10 20": "a second address",
    "dcd -bogus": "unknown option '-bogus'",
}


def command_for(kind):
    return "dcd" if kind == "dictionary" else "dcq"


def follow_up(item):
    """The command that opens a JSON item, or None."""
    if item["kind"] == "object":
        return "dumpobj %s --json" % item["address"]
    if item["kind"] == "array":
        return "dumparray %s --json" % item["address"]
    if item["kind"] == "struct":
        return "dumpvc %s %s --json" % (item["mt"], item["address"])
    return None


def field_value(obj, name):
    for f in obj["fields"]:
        if f["name"] == name:
            return f["value"]
    raise harness.Failure("no field %s in %s" % (name, obj.get("name")))


def describe(item, tr):
    """The item as the target describes it (its truth's form)."""
    kind = item["kind"]
    if kind == "value":
        return (("value", item["value"]),)
    if kind == "string":
        check(item["complete"] == (item["length"] <= 1024), "a string item says whether it is whole: %r" % item)
        return (("string", item["text"]),)
    if kind == "null":
        return (("null", True),)
    opened = tr.json(follow_up(item))
    if kind == "object":
        return (("object", opened["name"]), ("id", int(field_value(opened, "Id"))))
    if kind == "array":
        return (("array", opened["name"]), ("length", opened["length"]))
    if kind == "struct":
        return (("struct", opened["name"]), ("x", int(field_value(opened, "X"))),
                ("y", int(field_value(opened, "Y"))))
    raise harness.Failure("an item dcd/dcq could not describe: %r" % item)


def truth_form(t):
    return tuple(sorted(t.items(), key=lambda kv: ["value", "string", "null", "object", "array", "struct", "id",
                                                   "length", "x", "y"].index(kv[0])))


def main():
    mode = sys.argv[1]
    env = harness.GC_CONFIGS[sys.argv[2] if len(sys.argv) > 2 else "wks-regions"]
    scratch = None

    def run(commands):
        if mode == "live":
            return harness.lldb(commands, pid=target.pid)
        return harness.lldb(commands, core=core, exe=exe)

    target = None
    try:
        if mode == "live":
            target = harness.Target("Collections", env=env)
            truth = target.truth
        else:
            scratch = harness.scratch_dir()
            core, exe, truth = harness.core_of_finished("Collections", mode, scratch, env=env)
        tr = run(["dumpheap -type Collections.Holder -short"])
        holders = [l.strip() for l in tr.output("dumpheap -type Collections.Holder -short") if l.strip()]
        check(len(holders) == 1, "one Collections.Holder on the heap: %r" % holders)
        holder = holders[0]
        fields = truth["fields"]
        first = ["dumpobj %s --json" % holder]
        tr = run(first)
        addresses = {f["name"]: f["value"] for f in tr.json(first[0])["fields"]}
        check(set(fields) <= set(addresses), "the Holder has every collection: %r" % sorted(addresses))

        commands = []
        for name, f in fields.items():
            cmd = command_for(f["kind"])
            commands += ["%s %s --json" % (cmd, addresses[name]), "%s %s" % (cmd, addresses[name])]
        # The aliases and SOS's long names, and each command on the other's collection.
        commands += ["dumpconcurrentdictionary %s" % addresses["IntToInt"],
                     "DumpConcurrentQueue %s" % addresses["IntQueue"],
                     "sos dcd %s" % addresses["IntToInt"], "clrsos DCQ %s" % addresses["IntQueue"],
                     "dcd %s" % addresses["IntQueue"], "dcq %s" % addresses["IntToInt"],
                     "dcd %s" % holder]
        commands += list(BAD)
        tr = run(commands)

        follow = []
        for name, f in fields.items():
            result = tr.json("%s %s --json" % (command_for(f["kind"]), addresses[name]))
            for entry in result["items"]:
                for item in ([entry["key"], entry["value"]] if f["kind"] == "dictionary" else [entry]):
                    c = follow_up(item)
                    if c:
                        follow.append(c)
        tr2 = run(sorted(set(follow)) or ["eeversion"])

        for name, f in fields.items():
            cmd = command_for(f["kind"])
            result = tr.json("%s %s --json" % (cmd, addresses[name]))
            check(result["count"] == len(f["items"]) == len(result["items"]),
                  "%s: %d items, the target holds %d" % (name, result["count"], len(f["items"])))
            if f["kind"] == "dictionary":
                got = Counter((describe(e["key"], tr2), describe(e["value"], tr2)) for e in result["items"])
                want = Counter((truth_form(e["key"]), truth_form(e["value"])) for e in f["items"])
                check(got == want, "%s: dcd lists %r, the target holds %r" % (name, got - want, want - got))
                check(result["type"].startswith("System.Collections.Concurrent.ConcurrentDictionary<"),
                      "%s: the type %r" % (name, result["type"]))
            else:
                got = [describe(e, tr2) for e in result["items"]]
                want = [truth_form(e) for e in f["items"]]
                check(got == want, "%s: dcq lists %r, the target holds %r (in this order)" % (name, got, want))
            text = tr.text_of("%s %s" % (cmd, addresses[name]))
            check(re.search(r"^%d items$" % len(f["items"]), text, re.M), "%s: the text counts the items" % name)
            check(text.startswith(result["type"]), "%s: the text starts with the type" % name)
            if f["kind"] == "dictionary":
                check(text.count("      Key: ") == len(f["items"]) == text.count("    Value: "),
                      "%s: a Key and a Value line per item" % name)
            else:
                check(len(re.findall(r"^ *\d+ - ", text, re.M)) == len(f["items"]), "%s: a line per item" % name)

        # SOS's ConcurrentDictionaries.script.
        sos = {
            "IntToStrings": [r"2 items", r"Key: 2", r"Key: 1\s+Value: dumparray (%s)" % HEX],
            "IntToInt": [r"3 items", r"Key: 0\s+Value: 1", r"Key: 31\s+Value: 17",
                         r"Key: 1521482\s+Value: 512487"],
            "StringToBool": [r'Key: "String true"\s+Value: True', r'Key: "String false"\s+Value: False',
                             r'Key: "S{99}\.\.\.\s+Value: False', r'Key: "tab\\there"\s+Value: True'],
            "PointToPayload": [r"2 items", r"Key: dumpvc %s %s\s+Value: null" % (HEX, HEX),
                               r"Key: dumpvc %s %s\s+Value: dumpobj %s" % (HEX, HEX, HEX)],
            "IntToPoint": [r"1 items", r"Key: 0\s+Value: dumpvc %s %s" % (HEX, HEX)],
            "PayloadQueue": [r"^   1 - dumpobj 0x[0-9a-f]{16}$"],
            "StringQueue": [r'^   1 - "first"$', r"^   2 - null$"],
        }
        for name, patterns in sos.items():
            text = tr.text_of("%s %s" % (command_for(fields[name]["kind"]), addresses[name]))
            for p in patterns:
                check(re.search(p, text, re.M), "%s: SOS's pattern %r in:\n%s" % (name, p, text))

        check(tr.text_of("dumpconcurrentdictionary %s" % addresses["IntToInt"]) ==
              tr.text_of("dcd %s" % addresses["IntToInt"]), "dumpconcurrentdictionary is dcd")
        check(tr.text_of("DumpConcurrentQueue %s" % addresses["IntQueue"]) ==
              tr.text_of("dcq %s" % addresses["IntQueue"]), "DumpConcurrentQueue is dcq")
        check(tr.text_of("sos dcd %s" % addresses["IntToInt"]) == tr.text_of("dcd %s" % addresses["IntToInt"]),
              "sos dcd is dcd")
        check(tr.text_of("clrsos DCQ %s" % addresses["IntQueue"]) == tr.text_of("dcq %s" % addresses["IntQueue"]),
              "clrsos DCQ is dcq")
        wrong = {
            "dcd %s" % addresses["IntQueue"]: "is not a ConcurrentDictionary but an instance of "
                                              "System.Collections.Concurrent.ConcurrentQueue<System.Int32>",
            "dcq %s" % addresses["IntToInt"]: "is not a ConcurrentQueue but an instance of "
                                              "System.Collections.Concurrent.ConcurrentDictionary<",
            "dcd %s" % holder: "is not a ConcurrentDictionary but an instance of Collections.Holder",
        }
        for command, text in list(wrong.items()) + list(BAD.items()):
            err = tr.error(command)
            check(err is not None and text in err, "%r fails with %r: %r" % (command, text, err))
            check(len([l for l in tr.output(command) if l.strip()]) == 1, "%r: one line" % command)
    finally:
        if target:
            target.kill()
        if scratch:
            harness.cleanup(scratch)


if __name__ == "__main__":
    try:
        main()
    except harness.Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
    harness.finish()
