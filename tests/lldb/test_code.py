"""ip2md, dumpmd and dumpmodule against HeapShapes' StackHolderThread.

usage: test_code.py <gc config> <live|full>

The target prints the MethodDesc (its RuntimeMethodHandle's value),
MethodTable and MethodDef token of StackHolderMain, which its
StackHolderThread is blocked in. A first lldb run takes that frame's code
address from clrstack -all --json; the second asks ip2md and dumpmd, and
checks them against the target's truth and against dumpmt (the Module);
dumpmodule of that Module must name HeapShapes.dll and agree with clrmodules.
"""

import re
import sys

import harness
from harness import check

HEX = r"[A-Fa-f0-9]+"


def field(text, name):
    m = re.search(r"^%s:\s+(\S.*?)\s*$" % re.escape(name), text, re.M)
    return m.group(1) if m else None


def main():
    config, mode = sys.argv[1], sys.argv[2]
    env = harness.GC_CONFIGS[config]

    def run(truth, session):
        sh = truth["threads"]["StackHolderThread"]
        stacks = session(["clrstack -all --json"]).json("clrstack -all --json")
        thread = [t for t in stacks["threads"] if t["osThreadId"] == sh["osId"]]
        check(len(thread) == 1, "clrstack -all --json: no thread %d" % sh["osId"])
        frames = [f for f in thread[0]["frames"] if f["name"] == sh["mainMethodName"]] if thread else []
        if not frames:
            raise harness.Failure("clrstack: no %s frame on StackHolderThread" % sh["mainMethodName"])
        ip, md, mt = frames[0]["ip"], sh["mainMethodDesc"], sh["mainMethodTable"]
        cmds = ["ip2md %s" % ip, "IP2MD %s" % ip, "ip2md %s --json" % ip, "dumpmd %s" % md, "DumpMD %s" % md,
                "dumpmd %s --json" % md, "dumpmt %s --json" % mt,
                "ip2md 0", "ip2md 0x10", "ip2md", "dumpmd 0x10", "dumpmd %s" % mt, "dumpmd", "dumpmd 1 2",
                "ip2md 0x10 --json", "pe %s" % truth["threads"]["exception"]["address"],
                "pe %s --json" % truth["threads"]["exception"]["address"]]
        # dumpmodule needs the module: dumpmt names it (an independently tested command).
        module = session(["dumpmt %s --json" % mt]).json("dumpmt %s --json" % mt)["module"]
        cmds += ["dumpmodule %s" % module, "DumpModule %s" % module, "dumpmodule %s --json" % module,
                 "clrmodules --json", "dumpmodule 0x10", "dumpmodule %s" % md, "dumpmodule"]
        tr = session(cmds)
        want_md = int(md, 16)
        # ip2md: SOS's layout (OtherCommands.script's IP2MD regex), the target's method.
        text = tr.text_of("ip2md %s" % ip)
        check(re.search(r"MethodDesc:\s+(%s)\s+" % HEX, text), "ip2md: no MethodDesc line:\n%s" % text)
        check(field(text, "MethodDesc") and int(field(text, "MethodDesc"), 16) == want_md,
              "ip2md: MethodDesc %r, the target says %s" % (field(text, "MethodDesc"), md))
        check(field(text, "Method Name") == sh["mainMethodName"], "ip2md: Method Name %r" % field(text, "Method Name"))
        check(field(text, "MethodTable") and int(field(text, "MethodTable"), 16) == int(mt, 16),
              "ip2md: MethodTable %r, the target says %s" % (field(text, "MethodTable"), mt))
        check(field(text, "mdToken") and int(field(text, "mdToken"), 16) == sh["mainMethodToken"],
              "ip2md: mdToken %r, the target says 0x%x" % (field(text, "mdToken"), sh["mainMethodToken"]))
        check(field(text, "IsJitted") == "yes", "ip2md: IsJitted %r" % field(text, "IsJitted"))
        check(tr.text_of("IP2MD %s" % ip) == text, "IP2MD differs from ip2md")
        j = tr.json("ip2md %s --json" % ip)
        dmt = tr.json("dumpmt %s --json" % mt)
        check(j["module"] == dmt["module"], "ip2md: module %s, dumpmt says %s" % (j["module"], dmt["module"]))
        check(field(text, "Module") and int(field(text, "Module"), 16) == int(dmt["module"], 16),
              "ip2md: Module line %r" % field(text, "Module"))
        code = int(j["codeAddr"], 16)
        check(0 < code <= int(ip, 16) < code + 0x10000, "ip2md: code at %s, not before the frame's ip %s"
              % (j["codeAddr"], ip))
        check(j["versions"] and any(v["codeAddr"] == j["codeAddr"] for v in j["versions"]),
              "ip2md: the current code is none of the versions: %s" % j["versions"])
        check(re.search(r"^     CodeAddr:\s+%s\s+\(.+\)$" % HEX, text, re.M), "ip2md: no CodeAddr (tier) line")
        # dumpmd: the same block, without the MethodDesc line.
        dmd = tr.text_of("dumpmd %s" % md)
        # ip2md ends with SOS's "Source file:" line (HeapShapes' PDB lies beside it); dumpmd has none.
        block, _, source = text.split("\n", 1)[1].rpartition("Source file:")
        check(source and re.match(r"\s+\S*Program\.cs @ \d+\s*$", source),
              "ip2md: no 'Source file: <Program.cs> @ <line>' last line:\n%s" % text)
        check(dmd.rstrip("\n") == block.rstrip("\n"), "dumpmd differs from ip2md's block:\n%s" % dmd)
        check(tr.text_of("DumpMD %s" % md) == dmd, "DumpMD differs from dumpmd")
        jd = tr.json("dumpmd %s --json" % md)
        del j["ip"]
        check(j.pop("file", "").endswith("Program.cs") and j.pop("line", 0) > 0,
              "ip2md --json: no file and line of Program.cs")
        check(jd == j, "dumpmd --json differs from ip2md --json: %s" % jd)
        # Errors: one line each, the command failed.
        for c, want in (("ip2md 0", "0x0 is not in JIT-compiled code"),
                        ("ip2md 0x10", "0x10 is not in JIT-compiled code"),
                        ("ip2md", "ip2md needs the address of code"),
                        ("dumpmd 0x10", "0x10 is not a MethodDesc"),
                        ("dumpmd %s" % mt, "%s is not a MethodDesc" % mt),
                        ("dumpmd", "dumpmd needs the address of a MethodDesc"),
                        ("dumpmd 1 2", "unexpected argument '2'")):
            e = tr.error(c)
            check(e is not None and want in e and "\n" not in e, "%r: error %r, want %r" % (c, e, want))
        # dumpmodule: SOS's layout (OtherCommands.script checks LoaderHeap and TypeDefToMethodTableMap),
        # HeapShapes.dll, and the image and metadata clrmodules lists for the module.
        dm = tr.text_of("dumpmodule %s" % module)
        name = field(dm, "Name")
        check(name is not None and name.endswith("/HeapShapes.dll"), "dumpmodule: Name %r" % name)
        for line in ("LoaderHeap", "TypeDefToMethodTableMap"):
            check(re.search(r"^\s*%s:\s+%s\s*$" % (line, HEX), dm, re.M), "dumpmodule: no %s line:\n%s" % (line, dm))
        check(tr.text_of("DumpModule %s" % module) == dm, "DumpModule differs from dumpmodule")
        listed = [m for m in tr.json("clrmodules --json")["modules"] if m["module"] == module]
        check(len(listed) == 1, "clrmodules does not list %s" % module)
        jm = tr.json("dumpmodule %s --json" % module)
        # A file's module: PEFile, never IsDynamic; then the DAC's IsInMemory/IsFileLayout, as its JSON says.
        layout = [n for n, k in (("IsInMemory", "isInMemory"), ("IsFileLayout", "isFileLayout")) if jm.get(k)]
        check(field(dm, "Attributes") == " ".join(["PEFile"] + layout) and jm.get("isDynamic") is False,
              "dumpmodule: Attributes %r, JSON %s" % (field(dm, "Attributes"),
                                                      {k: jm.get(k) for k in ("isDynamic", "isInMemory", "isFileLayout")}))
        if listed:
            cm = listed[0]
            check(cm["path"] == name == jm["name"], "dumpmodule: file %r, clrmodules says %r" % (name, cm["path"]))
            check(jm["baseAddress"] == cm["imageBase"] and int(field(dm, "BaseAddress"), 16) == int(cm["imageBase"], 16),
                  "dumpmodule: BaseAddress %s, clrmodules says %s" % (jm["baseAddress"], cm["imageBase"]))
            check(jm["assembly"] == cm["assembly"], "dumpmodule: assembly %s, clrmodules %s" % (jm["assembly"], cm["assembly"]))
            want = "%016X (%d bytes)" % (int(cm["metadataAddress"], 16), cm["metadataSize"])
            check(field(dm, "MetaData start address") == want, "dumpmodule: MetaData %r, want %r"
                  % (field(dm, "MetaData start address"), want))
        for c, want in (("dumpmodule 0x10", "0x10 is not a Module"), ("dumpmodule %s" % md, "%s is not a Module" % md),
                        ("dumpmodule", "dumpmodule needs the address of a Module")):
            e = tr.error(c)
            check(e is not None and want in e and "\n" not in e, "%r: error %r, want %r" % (c, e, want))
        # pe: each StackTrace frame as SOS prints it, module!method+offset (SimpleThrow.script's
        # "SimpleThrow.*!(\$0_)?UserObject\.UseObject.*\+0x<HEXVAL>"), the target's methods in order.
        ex = truth["threads"]["exception"]
        frames = tr.json("pe %s --json" % ex["address"])["stackTrace"]
        check([f["method"] for f in frames] == ["HeapShapes.Program.%s()" % m for m in ex["stackMethods"]],
              "pe: frames %s, the target says %s" % ([f["method"] for f in frames], ex["stackMethods"]))
        pe_text = tr.text_of("pe %s" % ex["address"])
        for f, m in zip(frames, ex["stackMethods"]):
            check(re.fullmatch(r"HeapShapes\.dll!HeapShapes\.Program\.%s\(\)(\+0x[0-9a-f]+)?" % re.escape(m),
                               f["function"] or ""), "pe --json: function %r" % f["function"])
            check(re.search(r"^\s+%s\s+%s\s+HeapShapes.*!HeapShapes\.Program\.%s.*\+0x%s\s*$"
                            % (HEX, HEX, re.escape(m), HEX), pe_text, re.M), "pe: no SOS frame line for %s:\n%s"
                  % (m, pe_text))
        je = tr.json("ip2md 0x10 --json")
        check(je.get("code") == "invalidArgument", "ip2md 0x10 --json: %s" % je)

    if mode == "live":
        with harness.Target("HeapShapes", env=env) as t:
            run(t.truth, lambda cmds: harness.lldb(cmds, pid=t.pid))
    else:
        scratch = harness.scratch_dir()
        try:
            core, exe, truth = harness.core_of_finished("HeapShapes", mode, scratch, env=env)
            run(truth, lambda cmds: harness.lldb(cmds, core=core, exe=exe))
        finally:
            harness.cleanup(scratch)
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
