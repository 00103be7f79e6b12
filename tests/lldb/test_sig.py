"""dumpsig and dumpsigelem against the Signatures target's own truth.

usage: test_sig.py <live|full>

Signatures finds its methods' and fields' signature blobs in the image the
runtime mapped and prints their addresses, the address of each method's
first parameter type, and the text SOS writes for each, rendered by
System.Reflection.Metadata's decoder (names, and tokens in hex), with its
Module. The test checks:
  - dumpsig <blob> <module> and dumpsig <blob> print that text, for
    instance, static and generic methods, byref, pointer, array, MDArray,
    generic instance, nested class, class and value type parameters, a
    CMOD_REQD, and two fields;
  - dumpsigelem <first parameter> [<module>] prints that type;
  - --json has the string and its parts (convention, hasThis, generic
    count, return type, parameters, length);
  - the Module the target reports is the one clrmodules lists;
  - errors: no address, 0, unreadable memory, an invalid blob, a blob
    cut short by an unreadable page, a Module
    that is not one, too many arguments: one line each, a failed command.
"""

import sys

import harness
from harness import check

METHODS = ["Instance.Method", "Shapes.Static", "Shapes.Generic", "Shapes.Pointers", "Holder`1.Get"]


def main():
    mode = sys.argv[1]

    def commands(t):
        mod = t["module"]
        cmds = ["clrmodules --json"]
        for name in METHODS:
            m = t["methods"][name]
            cmds += ["dumpsig %s %s" % (m["address"], mod), "dumpsig %s" % m["address"],
                     "dumpsig %s %s --json" % (m["address"], mod),
                     "dumpsigelem %s %s" % (m["param"], mod), "dumpsigelem %s" % m["param"],
                     "dumpsigelem %s %s --json" % (m["param"], mod)]
        for f in t["fields"].values():
            cmds += ["dumpsig %s %s" % (f["address"], mod), "dumpsig %s" % f["address"]]
        cmds += ["DumpSig %s %s" % (t["methods"]["Instance.Method"]["address"], mod)]
        return cmds + list(bad(t))

    def bad(t):
        m = t["methods"]["Instance.Method"]["address"]
        return {
            "dumpsig": "dumpsig needs the address of a signature",
            "dumpsig 0": "dumpsig: 0 is not a signature address",
            "dumpsig 8": "dumpsig: cannot read memory at 0x8",
            "dumpsig %s" % t["invalid"]: "dumpsig: invalid signature at 0x%s: element type not allowed in a signature"
                                         " (byte 3)" % t["invalid"],
            "dumpsigelem %x" % (int(t["invalid"], 16) + 3): "dumpsigelem: invalid signature at 0x%x" % (
                int(t["invalid"], 16) + 3),
            "dumpsig %s" % t["cut"]: "dumpsig: invalid signature at 0x%s: it runs past readable memory (4 bytes readable)"
                                     % t["cut"],
            "dumpsig %s %s" % (m, m): "dumpsig: 0x%s is not a Module (take one from clrmodules, dumpmt or dumpobj)" % m,
            "dumpsigelem %s 1 2" % m: "unexpected argument '2'",
            "dumpsig %s -x" % m: "unknown option '-x'",
        }

    if mode == "live":
        with harness.Target("Signatures") as target:
            truth = target.truth
            tr = harness.lldb(commands(truth), pid=target.pid)
    else:
        scratch = harness.scratch_dir()
        try:
            core, exe, truth = harness.core_of_finished("Signatures", mode, scratch)
            tr = harness.lldb(commands(truth), core=core, exe=exe)
        finally:
            harness.cleanup(scratch)
    mod = truth["module"]
    mods = [x for x in tr.json("clrmodules --json")["modules"] if int(x["module"], 16) == int(mod, 16)]
    check(len(mods) == 1 and "Signatures" in (mods[0].get("path") or ""),
          "the target's Module %s is not Signatures.dll in clrmodules: %r" % (mod, mods))

    def line(cmd):
        err = tr.error(cmd)
        check(err is None, "%r failed: %s" % (cmd, err))
        out = [x for x in tr.output(cmd) if x.strip()]
        check(len(out) == 1, "%r: one line expected:\n%s" % (cmd, "\n".join(out)))
        return out[0] if out else ""

    for name in METHODS:
        m = truth["methods"][name]
        a = m["address"]
        for cmd, want in (("dumpsig %s %s" % (a, mod), m["text"]), ("dumpsig %s" % a, m["hex"]),
                          ("dumpsigelem %s %s" % (m["param"], mod), m["paramText"]),
                          ("dumpsigelem %s" % m["param"], m["paramHex"])):
            got = line(cmd)
            check(got == want, "%s: %r\n  got      %r\n  expected %r (bytes %s)" % (name, cmd, got, want, m["bytes"]))
        j = tr.json("dumpsig %s %s --json" % (a, mod))
        check(j["signature"] == m["text"] and j["length"] == m["length"] and int(j["address"], 16) == int(a, 16)
              and int(j["module"], 16) == int(mod, 16), "%s: dumpsig --json %r" % (name, j))
        check(j["callingConvention"] == "[DEFAULT]" and j["hasThis"] == m["text"].startswith("[DEFAULT] [hasThis]"),
              "%s: dumpsig --json convention and hasThis: %r" % (name, j))
        want_generic = 2 if name == "Shapes.Generic" else None
        check(j["genericParameterCount"] == want_generic, "%s: genericParameterCount %r" % (name, j))
        check(j["parameters"] and j["parameters"][0] == m["paramText"],
              "%s: the first parameter %r, expected %r" % (name, j["parameters"], m["paramText"]))
        rebuilt = j["returnType"] + " (" + ",".join(j["parameters"]) + ")"
        check(m["text"].endswith(rebuilt), "%s: the parts %r do not make %r" % (name, rebuilt, m["text"]))
        je = tr.json("dumpsigelem %s %s --json" % (m["param"], mod))
        check(je["signature"] == m["paramText"], "%s: dumpsigelem --json %r" % (name, je))
    for name, f in truth["fields"].items():
        for cmd, want in (("dumpsig %s %s" % (f["address"], mod), f["text"]), ("dumpsig %s" % f["address"], f["hex"])):
            got = line(cmd)
            # lldb may drop the trailing space SOS writes after a field's type.
            check(got.rstrip() == want.rstrip(), "field %s: %r\n  got      %r\n  expected %r" % (name, cmd, got, want))
    got = line("DumpSig %s %s" % (truth["methods"]["Instance.Method"]["address"], mod))
    check(got == "[DEFAULT] [hasThis] Void (String,I4)", "DumpSig (SOS's name): %r" % got)
    for cmd, want in bad(truth).items():
        err = tr.error(cmd)
        check(err is not None and want in err, "%r fails with %r: %r" % (cmd, want, err))
        if err is not None:
            check(len([x for x in tr.output(cmd) if x.strip()]) == 1, "%r: one line:\n%s" % (cmd, tr.text_of(cmd)))
    harness.finish()


if __name__ == "__main__":
    try:
        main()
    except harness.Failure as ex:
        print("FAIL: %s" % ex)
        sys.exit(1)
