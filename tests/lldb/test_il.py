"""dumpil, ehinfo and clru against the Signatures target's Code class.

usage: test_il.py <live|full>

Signatures compiles Sig.Code.Guarded (a try/catch/finally around a call of
Sig.Code.Helper) and a DynamicMethod, then prints, from reflection, the
MethodDescs, Guarded's IL decoded with System.Reflection.Emit's own
opcode table into (offset, opcode) pairs, its exception clauses, and the
opcodes it emitted into the DynamicMethod. The test checks:
  - dumpil <MethodDesc> lists exactly those offsets and opcodes, names the
    call of Helper and the ldstr's text, opens .try, .catch and .finally
    blocks; DumpIL is the same; --json has the instructions and clauses;
  - dumpil <DynamicMethod object> (found with dumpheap -type) lists the
    emitted opcodes, the call of Helper and the string by name;
  - ehinfo <MethodDesc> lists one TYPED clause catching
    System.InvalidOperationException and one FINALLY (duplicates aside),
    their ranges inside the code; the same from a code address; --json;
  - clru <MethodDesc>: SOS's header, 'Begin <code>, size <n>', every
    instruction inside that range and in order, the call of Helper named;
    clru <code address> marks that instruction '>>> '; -o, -ehinfo; --json;
  - errors: one line each, a failed command.
"""

import json
import re
import sys

import harness
from harness import check

INSN = re.compile(r"^\s*IL_([0-9a-f]{4}): (\S+) ?(.*)$")


def main():
    mode = sys.argv[1]

    def first(t):
        return ["dumpheap -type System.Reflection.Emit.DynamicMethod -short"]

    def commands(t, dyn):
        c = t["code"]
        g = c["guarded"]
        cmds = ["dumpil %s" % g, "DumpIL %s" % g, "dumpil %s --json" % g, "dumpil %s" % dyn,
                "dumpil %s --json" % dyn, "ehinfo %s" % g, "EHInfo %s" % g, "ehinfo %s --json" % g,
                "clru %s" % g, "clru %s --json" % g, "clru -o %s" % g, "clru -ehinfo %s" % g, "clru -n %s" % g,
                "clru -il -map %s" % g, "clru -il %s --json" % g, "clru -map %s" % g, "gcinfo %s" % g,
                "clru -n -gcinfo %s" % g]
        return cmds + list(bad(t))

    def bad(t):
        g = t["code"]["guarded"]
        return {
            "dumpil": "dumpil needs",
            "dumpil 0": "dumpil: 0 is no MethodDesc",
            "dumpil 0x10": "dumpil: 0x10 is not a MethodDesc or a DynamicMethod object",
            "ehinfo 0x10": "ehinfo: 0x10 is not a MethodDesc or an address in JIT-compiled code",
            "clru 0x10": "clru: 0x10 is not a MethodDesc or an address in JIT-compiled code",
            "dumpil %s -x" % g: "unknown option '-x'",
            "ehinfo %s 1" % g: "unexpected argument '1'",
        }

    def dynamic_object(tr):
        lines = [x.strip() for x in tr.output(first(None)[0]) if re.match(r"^\s*[0-9a-f]{8,16}\s*$", x)]
        check(len(lines) == 1, "one DynamicMethod on the heap expected: %r" % lines)
        return lines[0] if lines else "0"

    if mode == "live":
        with harness.Target("Signatures") as target:
            truth = target.truth
            dyn = dynamic_object(harness.lldb(first(truth), pid=target.pid))
            tr = harness.lldb(commands(truth, dyn), pid=target.pid)
            tr2 = None
            j = tr.json("clru %s --json" % truth["code"]["guarded"])
            inside = j["instructions"][3]["address"] if len(j["instructions"]) > 3 else "0"
            tr2 = harness.lldb(["clru %s" % inside, "ehinfo %s" % inside], pid=target.pid)
    else:
        scratch = harness.scratch_dir()
        try:
            core, exe, truth = harness.core_of_finished("Signatures", mode, scratch)
            dyn = dynamic_object(harness.lldb(first(truth), core=core, exe=exe))
            tr = harness.lldb(commands(truth, dyn), core=core, exe=exe)
            j = tr.json("clru %s --json" % truth["code"]["guarded"])
            inside = j["instructions"][3]["address"] if len(j["instructions"]) > 3 else "0"
            tr2 = harness.lldb(["clru %s" % inside, "ehinfo %s" % inside], core=core, exe=exe)
        finally:
            harness.cleanup(scratch)
    c = truth["code"]
    g = c["guarded"]

    def ok(cmd, t=None):
        t = t or tr
        err = t.error(cmd)
        check(err is None, "%r failed: %s" % (cmd, err))
        return t.output(cmd)

    # dumpil: the opcodes at their offsets, as reflection decodes the IL.
    out = ok("dumpil %s" % g)
    check(out and out[0].startswith("ilAddr = "), "dumpil's first line: %r" % out[:1])
    got = [[int(m.group(1), 16), m.group(2)] for m in map(INSN.match, out) if m]
    want = [[o, n] for o, n in c["opcodes"]]
    check(got == want, "dumpil's opcodes:\n  got      %r\n  expected %r" % (got, want))
    text = "\n".join(out)
    check(re.search(r"IL_[0-9a-f]{4}: call int32 Sig\.Code::Helper\(int32\)", text),
          "dumpil names the call of Helper:\n%s" % text)
    check('ldstr "x"' in text, "dumpil shows the ldstr's text:\n%s" % text)
    check(re.search(r"newobj void System\.InvalidOperationException::\.ctor\(string\)", text),
          "dumpil names the exception's constructor:\n%s" % text)
    for block in (".try", "} // end .try", ".catch", "} // end .catch", ".finally", "} // end .finally"):
        check(any(x.strip() == block for x in out), "dumpil has no %r line:\n%s" % (block, text))
    check(ok("DumpIL %s" % g) == out, "DumpIL differs from dumpil")
    jd = tr.json("dumpil %s --json" % g)
    check([[i["offset"], i["opcode"]] for i in jd["instructions"]] == want, "dumpil --json instructions: %r" % jd)
    check(int(jd["methodDesc"], 16) == int(g, 16) and jd["name"] == "Sig.Code.Guarded(Int32)",
          "dumpil --json method: %r %r" % (jd["methodDesc"], jd["name"]))
    kinds = sorted(k["kind"] for k in jd["clauses"])
    want_kinds = sorted({"Clause": "catch", "Finally": "finally", "Filter": "filter", "Fault": "fault"}[k["kind"]]
                        for k in c["clauses"])
    check(kinds == want_kinds, "dumpil --json clauses %r, reflection says %r" % (jd["clauses"], c["clauses"]))
    for k, w in zip(sorted(jd["clauses"], key=lambda x: x["kind"]), sorted(c["clauses"], key=lambda x: x["kind"])):
        check((k["tryOffset"], k["tryLength"], k["handlerOffset"], k["handlerLength"]) ==
              (w["tryOffset"], w["tryLength"], w["handlerOffset"], w["handlerLength"]),
              "clause %r differs from reflection's %r" % (k, w))

    # dumpil on the DynamicMethod.
    out = ok("dumpil %s" % dyn)
    got = [m.group(2) for m in map(INSN.match, out) if m]
    check(got == c["dynamicOpcodes"], "dynamic opcodes %r, emitted %r" % (got, c["dynamicOpcodes"]))
    text = "\n".join(out)
    check(out and out[0].startswith("This is dynamic IL."), "dynamic IL header: %r" % out[:1])
    check(re.search(r"IL_0000: ldarg\.0\s*$", text, re.M) and re.search(r"IL_0001: ldc\.i4\.0\s*$", text, re.M),
          "SOS's DynamicMethod script lines:\n%s" % text)
    check(re.search(r": call 6[0-9a-f]{6} Sig\.Code\.Helper\(Int32\)", text), "dynamic call named:\n%s" % text)
    check(re.search(r': ldstr 70[0-9a-f]{6} "dynamic text"', text), "dynamic string shown:\n%s" % text)
    jd = tr.json("dumpil %s --json" % dyn)
    check(int(jd["dynamicMethod"], 16) == int(dyn, 16) and [i["opcode"] for i in jd["instructions"]] == got,
          "dumpil <dynamic> --json: %r" % jd)

    # ehinfo: the JIT's clauses.
    out = ok("ehinfo %s" % g)
    text = "\n".join(out)
    check(out and re.match(r"MethodDesc:\s+0*%x$" % int(g, 16), out[0]), "ehinfo's first line: %r" % out[:1])
    heads = [x for x in out if x.startswith("EHHandler ")]
    main_heads = [x for x in heads if "(duplicate)" not in x and "(cloned finally)" not in x]
    check(len(main_heads) == len(c["clauses"]), "ehinfo: %d clauses (duplicates aside), reflection %d:\n%s" % (
        len(main_heads), len(c["clauses"]), text))
    check(any("TYPED catch(System.InvalidOperationException)" in x for x in main_heads), "typed clause:\n%s" % text)
    check(any(": FINALLY" in x for x in main_heads), "finally clause:\n%s" % text)
    check(ok("EHInfo %s" % g) == out, "EHInfo differs from ehinfo")
    je = tr.json("ehinfo %s --json" % g)
    code = int(je["codeAddr"], 16)
    check(len(je["clauses"]) == len(heads), "ehinfo --json clauses: %r" % je)
    for k in je["clauses"]:
        check(code <= int(k["tryStart"], 16) <= int(k["tryEnd"], 16) and code <= int(k["handlerStart"], 16)
              < int(k["handlerEnd"], 16), "ehinfo --json clause outside the code: %r" % k)

    # clru: the code, its calls named.
    out = ok("clru %s" % g)
    text = "\n".join(out)
    check(out[:1] == ["Normal JIT generated code"] and out[1:2] == ["Sig.Code.Guarded(Int32)"],
          "clru's header:\n%s" % text)
    m = re.match(r"^Begin ([0-9A-F]{16}), size ([0-9a-f]+)$", out[2] if len(out) > 2 else "")
    check(m, "clru's Begin line: %r" % out[2:3])
    begin, size = (int(m.group(1), 16), int(m.group(2), 16)) if m else (0, 0)
    check(begin == code, "clru begins at %x, ehinfo's code at %x" % (begin, code))
    addrs = [int(x.split()[0], 16) for x in out[3:] if re.match(r"^[0-9a-f]{16} ", x)]
    check(addrs and addrs[0] == begin and all(begin <= a < begin + size for a in addrs) and addrs == sorted(addrs),
          "clru's instructions are not the code's [%x, +%x):\n%s" % (begin, size, text))
    check(re.search(r"call .*\(Sig\.Code\.Helper\(Int32\), mdToken: 0*6[0-9a-f]{6}\)$", text, re.M),
          "clru names the call of Helper:\n%s" % text)
    ju = tr.json("clru %s --json" % g)
    check(int(ju["begin"], 16) == begin and ju["size"] == size and len(ju["instructions"]) == len(addrs),
          "clru --json: %r" % {k: ju[k] for k in ("begin", "size")})
    check(sum(i["size"] for i in ju["instructions"]) == size, "clru --json sizes do not add up to %x" % size)
    check(any((i["annotation"] or "").startswith("Sig.Code.Helper(Int32)") for i in ju["instructions"]),
          "clru --json annotation of the call")
    out_o = ok("clru -o %s" % g)
    check(any(re.match(r"^0000 [0-9a-f]{16} ", x) for x in out_o), "clru -o offsets:\n%s" % "\n".join(out_o))
    out_e = ok("clru -ehinfo %s" % g)
    check(any(re.match(r"^EHHandler \d+: TYPED CLAUSE BEGIN catch\(System\.InvalidOperationException\)", x)
              for x in out_e) and any("FINALLY HANDLER BEGIN" in x for x in out_e),
          "clru -ehinfo markers:\n%s" % "\n".join(out_e))
    # Source lines: SOS's "<file> @ <line>:" after a blank line where the line changes; -n: the rest alone.
    src = [x for x in out if re.match(r"^.*Signatures.*\.cs @ \d+:$", x)]
    check(src, "clru shows no source line:\n%s" % text)
    plain = [x for i, x in enumerate(out) if not re.match(r"^.* @ \d+:$", x)
             and not (x == "" and i + 1 < len(out) and re.match(r"^.* @ \d+:$", out[i + 1]))]
    check(ok("clru -n %s" % g) == plain, "clru -n is not clru without its source lines")
    lines_json = [(i.get("file"), i.get("line")) for i in ju["instructions"] if i.get("file")]
    check(lines_json and all(l > 0 for _, l in lines_json), "clru --json: no file and line: %r" % lines_json[:3])
    check(ju.get("methodTable") and ju.get("codeAddr") and "versions" in ju, "clru --json: dumpmd's fields")
    check(je.get("methodTable") == ju.get("methodTable") and je.get("token") == ju.get("token"),
          "ehinfo --json: dumpmd's fields")
    # -il: the method's IL (as dumpil decodes it) first, then runs of it before the code they became.
    out_il = ok("clru -il -map %s" % g)
    begin_at = next((i for i, x in enumerate(out_il) if x.startswith("Begin ")), len(out_il))
    head_il = [[int(m.group(1), 16), m.group(2)] for m in map(INSN.match, out_il[:begin_at]) if m]
    check(head_il == want, "clru -il: the IL before Begin is not dumpil's:\n%s" % "\n".join(out_il[:begin_at]))
    maps = [x for x in out_il[:begin_at] if re.match(r"^[0-9a-f]{8} [0-9A-F]{16} [0-9A-F]{16}$", x)]
    check(maps, "clru -il -map: no map lines")
    body_il = [int(m.group(1), 16) for m in map(INSN.match, out_il[begin_at:]) if m]
    check(body_il and set(body_il) <= {o for o, _ in want}, "clru -il: no IL interleaved: %r" % body_il)
    check(ok("clru -map %s" % g) == out, "clru -map without -il differs from clru")
    # -gcinfo: gcinfo's table after 'Pointer table:', each line with an offset before the code at that offset.
    gc = ok("gcinfo %s" % g)
    table = gc[gc.index("Pointer table:") + 1:] if "Pointer table:" in gc else []
    out_gc = ok("clru -n -gcinfo %s" % g)
    shown = [x for x in out_gc[3:] if not re.match(r"^[0-9a-f]{16} ", x)]
    check(table and shown and shown == table[:len(shown)] and any(x.startswith("Code size: ") for x in shown),
          "clru -gcinfo: not gcinfo's table in order:\n%s\n--- gcinfo:\n%s" % ("\n".join(shown), "\n".join(table)))
    last = -1
    for x in out_gc[3:]:
        m = re.match(r"^([0-9a-f]{16}) ", x)
        if m:
            last = int(m.group(1), 16) - begin
            continue
        m = re.match(r"^([0-9a-f]{8}) ", x)
        if m:
            check(last < int(m.group(1), 16), "clru -gcinfo: %r after the code at offset %x" % (x, last))
    # dumpmd's fields and clru's or ehinfo's own never share a key.
    for cmd in ("clru -il %s --json" % g, "clru %s --json" % g, "ehinfo %s --json" % g):
        line = next((x for x in tr.output(cmd) if x.startswith("{")), "{}")

        def no_duplicates(pairs, cmd=cmd):
            keys = [k for k, _ in pairs]
            check(len(keys) == len(set(keys)), "%s: a key twice in one object: %s" % (cmd, keys))
            return dict(pairs)
        json.loads(line, object_pairs_hook=no_duplicates)
    jil = tr.json("clru -il %s --json" % g)
    check(len(jil["ilMap"]) == len(maps), "clru -il --json: %d map entries, text %d" % (len(jil["ilMap"]), len(maps)))
    for run in jil["ilRuns"]:
        check(begin <= int(run["begin"], 16) < int(run["end"], 16) <= begin + size and run["instructions"],
              "clru -il --json: a run outside the code: %r" % run)
    inside = ju["instructions"][3]["address"]
    out2 = ok("clru %s" % inside, tr2)
    check(any(x.startswith(">>> %016x " % int(inside, 16)) for x in out2), "clru <ip> marks it:\n%s" % "\n".join(out2))
    check(ok("ehinfo %s" % inside, tr2) == ok("ehinfo %s" % g), "ehinfo <ip> differs from ehinfo <MethodDesc>")

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
