"""name2ee, token2ee, dumpclass, dumpdomain, dumpassembly, dumpmodule -mt and
dumpmt -md against HeapShapes' own truth.

usage: test_types.py <gc config> <live|full> [net8|net9|net10]
  (default: CLRSOS_RUNTIME, see harness.py; else the machine's .NET)

The target prints StackHolderMain's MethodDesc, its MethodDef token, the
MethodTable of its type (HeapShapes.Program) and that type's TypeDef token.
Each command must find those, in SOS's layout: the regexes SOS's
OtherCommands.script applies to DumpDomain, DumpAssembly, DumpModule,
DumpClass and DumpMT output are applied here too (with its <POUT> chain:
DumpDomain's Assembly line to DumpAssembly, its Module line to DumpModule,
DumpMD's Class line to DumpClass, DumpClass's Method Table line to DumpMT).
The module and assembly come from dumpmt --json and clrmodules --json,
independently tested commands.
"""

import re
import sys

import harness
from harness import check

HEXVAL = r"[A-Fa-f0-9]+"
DECVAL = r"[0-9]+"


def field(text, name):
    m = re.search(r"^%s:\s+(\S.*?)\s*$" % re.escape(name), text, re.M)
    return m.group(1) if m else None


def verify(text, regex, what):
    """OtherCommands.script's VERIFY: the regex matches somewhere in the output."""
    pattern = regex.replace("<HEXVAL>", HEXVAL).replace("<DECVAL>", DECVAL)
    check(re.search(pattern, text), "%s: SOS's regex %r does not match:\n%s" % (what, regex, text))


def pout(text, regex, what):
    """OtherCommands.script's <POUT>: the value its regex takes from the previous output."""
    m = re.search(regex.replace("<HEXVAL>", HEXVAL), text)
    if not m:
        raise harness.Failure("%s: %r does not match:\n%s" % (what, regex, text))
    return m.group(1)


def one_line_error(tr, command, want):
    e = tr.error(command)
    check(e is not None and want in e and "\n" not in e, "%r: error %r, want %r" % (command, e, want))


def main():
    config, mode = sys.argv[1], sys.argv[2]
    variant = sys.argv[3] if len(sys.argv) > 3 else harness.RUNTIME
    env = harness.GC_CONFIGS[config]

    def run(truth, session):
        sh = truth["threads"]["StackHolderThread"]
        md, mt = int(sh["mainMethodDesc"], 16), int(sh["mainMethodTable"], 16)
        md_token, type_token = sh["mainMethodToken"], sh["mainTypeToken"]
        first = session(["dumpmt %x --json" % mt, "clrmodules --json", "dumpmd %x --json" % md])
        dmt = first.json("dumpmt %x --json" % mt)
        module = int(dmt["module"], 16)
        listed = [m for m in first.json("clrmodules --json")["modules"] if int(m["module"], 16) == module]
        if len(listed) != 1:
            raise harness.Failure("clrmodules does not list dumpmt's module %x" % module)
        assembly = int(listed[0]["assembly"], 16)
        slot = first.json("dumpmd %x --json" % md)["slot"]
        cmds = [
            "dumpdomain", "DumpDomain", "dumpdomain --json",
            "dumpassembly %x" % assembly, "DumpAssembly %x" % assembly, "dumpassembly %x --json" % assembly,
            "dumpmodule -mt %x" % module, "dumpmodule -mt %x --json" % module,
            "dumpmd %x" % md, "dumpmt -md %x" % mt,
            "name2ee HeapShapes.dll HeapShapes.Program", "name2ee HeapShapes!HeapShapes.Program.StackHolderMain",
            "Name2EE HeapShapes.dll HeapShapes.Program.StackHolderMain --json", "name2ee *!HeapShapes.Derived",
            "name2ee HeapShapes.dll HeapShapes.AllFields.StaticInt",
            "token2ee HeapShapes.dll %08x" % md_token, "Token2EE HeapShapes 0x%08x --json" % type_token,
            "token2ee * %08x" % type_token,
            "dumpmt %x" % mt, "dumpmt -all %x" % mt, "name2ee System.Private.CoreLib.dll System.Object",
            "dumpheap -stat -type HeapShapes.CwtKey", "dumpmodule %x" % module, "dumpmodule -prof %x" % module,
            "dumpmodule -prof %x --json" % module,
            # errors
            "dumpdomain 0x10", "dumpassembly 0x10", "dumpassembly %x" % module, "dumpassembly",
            "dumpclass 0x10", "dumpclass %x" % md, "dumpclass", "dumpmodule -mt 0x10",
            "name2ee nosuch.dll Foo", "name2ee HeapShapes.dll NoSuchTypeAtAll", "name2ee HeapShapes.dll",
            "name2ee", "token2ee HeapShapes.dll 0a000001", "token2ee HeapShapes.dll xyz",
            "token2ee HeapShapes.dll 0600ffff", "token2ee HeapShapes.dll", "dumpclass 0x10 --json",
        ]
        tr = session(cmds)

        # dumpdomain: OtherCommands.script's regexes, then its chain to DumpAssembly and DumpModule.
        dd = tr.text_of("dumpdomain")
        for regex in (r"\s*System Domain:\s+<HEXVAL>\s+", r"\s*LowFrequencyHeap:\s+<HEXVAL>\s+",
                      r"\s*HighFrequencyHeap:\s+<HEXVAL>\s+", r"\s*Domain 1:\s+<HEXVAL>\s+",
                      r"\s*Assembly:\s+<HEXVAL>\s+\[.*(System\.Private\.CoreLib(\.ni)?\.dll|mscorlib.dll)\]\s+"):
            verify(dd, regex, "dumpdomain")
        check(tr.text_of("DumpDomain") == dd, "DumpDomain differs from dumpdomain")
        check(re.search(r"^Assembly:\s+0*%x \[.*/HeapShapes\.dll\]$" % assembly, dd, re.M),
              "dumpdomain: no Assembly line for %x (clrmodules' assembly of HeapShapes.dll)" % assembly)
        check(re.search(r"^  0*%x    .*/HeapShapes\.dll$" % module, dd, re.M),
              "dumpdomain: no module line for %x" % module)
        jd = tr.json("dumpdomain --json")["domains"]
        check([d["kind"] for d in jd][:1] == ["system"] and any(d["kind"] == "app" and d["id"] == 1 for d in jd),
              "dumpdomain --json: domains %s" % [(d["kind"], d["id"]) for d in jd])
        jmods = {int(m["module"], 16) for d in jd for a in d["assemblies"] for m in a["modules"]}
        cm = {int(m["module"], 16) for m in first.json("clrmodules --json")["modules"]}
        check(jmods == cm, "dumpdomain --json: modules %s, clrmodules lists %s" % (sorted(jmods), sorted(cm)))
        # The script's chain: the first Assembly line (CoreLib) to DumpAssembly, then its Module line to DumpModule.
        first_asm = pout(dd, r"\s*Assembly:\s+(<HEXVAL>)\s+\[.*", "dumpdomain")
        chain = session(["DumpAssembly %s" % first_asm])
        da0 = chain.text_of("DumpAssembly %s" % first_asm)
        verify(da0, r"\s*Parent Domain:\s+<HEXVAL>\s+", "DumpAssembly")
        verify(da0, r"\s*Name:\s+.*(System\.Private\.CoreLib(\.ni)?\.dll|mscorlib.dll)\s+", "DumpAssembly")
        chained_module = pout(da0, r"\s+Module\s+(<HEXVAL>)\s+.*", "DumpAssembly")
        chain = session(["DumpModule %s" % chained_module])
        dmod = chain.text_of("DumpModule %s" % chained_module)
        verify(dmod, r"\s*LoaderHeap:\s+<HEXVAL>\s+", "DumpModule")
        verify(dmod, r"\s*TypeDefToMethodTableMap:\s+<HEXVAL>\s+", "DumpModule")
        check(field(dmod, "Name") and field(dmod, "Name").endswith("/System.Private.CoreLib.dll"),
              "DumpModule of DumpAssembly's module: Name %r" % field(dmod, "Name"))

        # dumpassembly of HeapShapes.dll's assembly.
        da = tr.text_of("dumpassembly %x" % assembly)
        # .NET 8 names no file for the module itself: clrmodules then has its assembly's name.
        file = listed[0]["path"] or listed[0]["assemblyName"]
        check(field(da, "Name") == file, "dumpassembly: Name %r, clrmodules says %r" % (field(da, "Name"), file))
        check(re.search(r"^  Module\n  0*%x    %s$" % (module, re.escape(file)), da, re.M),
              "dumpassembly: no module line for %x:\n%s" % (module, da))
        check(tr.text_of("DumpAssembly %x" % assembly) == da, "DumpAssembly differs from dumpassembly")
        ja = tr.json("dumpassembly %x --json" % assembly)
        domain1 = [d for d in jd if d["kind"] == "app"]
        check(domain1 and ja["parentDomain"] == domain1[0]["domain"]
              and int(field(da, "Parent Domain"), 16) == int(ja["parentDomain"], 16),
              "dumpassembly: parent domain %s" % ja["parentDomain"])
        check([int(m["module"], 16) for m in ja["modules"]] == [module], "dumpassembly --json: %s" % ja["modules"])

        # dumpmodule -mt: HeapShapes.Program among the types defined, with its MethodTable and TypeDef.
        dm = tr.text_of("dumpmodule -mt %x" % module)
        check(re.search(r"^Types defined in this module\n\n\s+MT\s+TypeDef Name\n-+\n", dm, re.M),
              "dumpmodule -mt: no TypeDef table header:\n%s" % dm)
        check(re.search(r"^Types referenced in this module\n\n\s+MT\s+TypeRef Name\n-+\n", dm, re.M),
              "dumpmodule -mt: no TypeRef table header")
        check(re.search(r"^0*%x 0x%08x HeapShapes\.Program$" % (mt, type_token), dm, re.M),
              "dumpmodule -mt: no line '%016x 0x%08x HeapShapes.Program'" % (mt, type_token))
        check(re.search(r"^%s 0x01%s System\.Object$" % (HEXVAL, "[0-9a-f]{6}"), dm, re.M),
              "dumpmodule -mt: System.Object is not among the types referenced")
        jm = tr.json("dumpmodule -mt %x --json" % module)
        check(any(int(t["methodTable"], 16) == mt and t["token"] == type_token and t["name"] == "HeapShapes.Program"
                  for t in jm["typesDefined"]), "dumpmodule -mt --json: no HeapShapes.Program")
        check(all(t["token"] >> 24 == 1 for t in jm["typesReferenced"]) and jm["typesReferenced"],
              "dumpmodule -mt --json: typesReferenced %s" % jm["typesReferenced"][:3])

        # dumpmt -md: SOS's MethodDesc Table with its Slot column.
        mdt = tr.text_of("dumpmt -md %x" % mt)
        check(re.search(r"^\s+Entry\s+MethodDesc\s+JIT Slot\s+Name$", mdt, re.M), "dumpmt -md: header:\n%s" % mdt)
        check(re.search(r"^%s 0*%X\s+JIT 0*%X HeapShapes\.Program\.StackHolderMain\(\)$" % (HEXVAL, md, slot),
                        mdt, re.M), "dumpmt -md: no row for StackHolderMain (MethodDesc %X, slot %X)" % (md, slot))

        # dumpclass, by the script's chain: DumpMD's Class line, then DumpClass's Method Table line to DumpMT.
        klass = pout(tr.text_of("dumpmd %x" % md), r"\s*Class:\s+(<HEXVAL>)\s+", "dumpmd")
        chain = session(["DumpClass %s" % klass, "dumpclass %s --json" % klass])
        dc = chain.text_of("DumpClass %s" % klass)
        verify(dc, r"\s*Class Name:\s+HeapShapes.Program\s+", "DumpClass")
        verify(dc, r"\s*File:\s+.*HeapShapes\.(dll|exe)\s+", "DumpClass")
        check(field(dc, "mdToken") and int(field(dc, "mdToken"), 16) == type_token, "dumpclass: mdToken %r"
              % field(dc, "mdToken"))
        check(field(dc, "Module") and int(field(dc, "Module"), 16) == module, "dumpclass: Module %r" % field(dc, "Module"))
        # .NET 9+ hands out the canonical MethodTable as the EEClass: then SOS names the parent's MethodTable.
        parent = field(dc, "Parent") if int(klass, 16) == mt else field(dc, "Parent Class")
        check(parent and int(parent, 16) != 0, "dumpclass: no parent line (Class %s, MethodTable %x):\n%s" % (klass, mt, dc))
        check(field(dc, "Class Attributes") and "Abstract Sealed" in field(dc, "Class Attributes"),
              "dumpclass: Class Attributes %r (a static class)" % field(dc, "Class Attributes"))
        check(field(dc, "NumStaticFields") == str(dmt["staticFields"]) and
              field(dc, "NumInstanceFields") == str(dmt["instanceFields"]),
              "dumpclass: field counts %r/%r, dumpmt says %s/%s" % (field(dc, "NumInstanceFields"),
                                                                   field(dc, "NumStaticFields"),
                                                                   dmt["instanceFields"], dmt["staticFields"]))
        check(re.search(r"^\s+MT\s+Field\s+Offset\s+Type\s+VT\s+Attr\s+Value\s+Name$", dc, re.M)
              and re.search(r"^%s %s\s+%s\s+\S+\s+(Yes|No)\s+static .* s_stackOsId$" % (HEXVAL, HEXVAL, HEXVAL), dc, re.M),
              "dumpclass: no field table with s_stackOsId:\n%s" % dc)
        check(re.search(r"static\s+%d s_stackOsId$" % sh["osId"], dc, re.M),
              "dumpclass: s_stackOsId is not the thread's id %d" % sh["osId"])
        jc = chain.json("dumpclass %s --json" % klass)
        check(int(jc["methodTable"], 16) == mt and jc["name"] == "HeapShapes.Program" and jc["token"] == type_token,
              "dumpclass --json: %s" % {k: jc[k] for k in ("methodTable", "name", "token")})
        method_table = pout(dc, r"\s*Method Table:\s+(<HEXVAL>)\s+", "dumpclass")
        chain = session(["DumpMT %s" % method_table])
        dmt_text = chain.text_of("DumpMT %s" % method_table)
        verify(dmt_text, r"\s*Name:\s+HeapShapes.Program\s+", "DumpMT")
        verify(dmt_text, r"\s*File:\s+.*HeapShapes\.(dll|exe)\s+", "DumpMT")

        # dumpmt: SOS 10's lines. Parent is System.Object's MethodTable (name2ee's); .NET 9+ shows no
        # EEClass line (dumpmd's Class is the MethodTable itself), .NET 8 the EEClass dumpmd names.
        t = tr.text_of("dumpmt %x" % mt)
        lines = [l.split(":")[0] for l in t.splitlines()]
        klass_of_md = int(pout(tr.text_of("dumpmd %x" % md), r"\s*Class:\s+(<HEXVAL>)\s+", "dumpmd"), 16)
        second = [] if klass_of_md == mt else ["EEClass"]
        check(lines == ["Parent"] + second + ["Module", "Name", "mdToken", "File", "AssemblyLoadContext", "BaseSize",
                                              "Has GC Pointers", "Number of Methods", "Number of IFaces in IFaceMap"],
              "dumpmt: SOS 10's lines, in its order:\n%s" % t)
        obj_mt = field(tr.text_of("name2ee System.Private.CoreLib.dll System.Object"), "MethodTable")
        check(obj_mt and int(field(t, "Parent"), 16) == int(obj_mt, 16) == int(dmt["parent"], 16),
              "dumpmt: Parent %r, System.Object's MethodTable %r" % (field(t, "Parent"), obj_mt))
        check(not second or int(field(t, "EEClass"), 16) == klass_of_md, "dumpmt: EEClass %r, dumpmd's Class %x"
              % (field(t, "EEClass"), klass_of_md))
        check(re.fullmatch(r"0*%X" % module, field(t, "Module") or "") and field(t, "Name") == "HeapShapes.Program"
              and int(field(t, "mdToken"), 16) == type_token and field(t, "Has GC Pointers") == "false",
              "dumpmt: Module (upper-case hex), Name, mdToken, Has GC Pointers:\n%s" % t)
        check(field(t, "AssemblyLoadContext") == "Default ALC - The managed instance of this context doesn't exist yet."
              or re.fullmatch(HEXVAL, field(t, "AssemblyLoadContext") or ""), "dumpmt: AssemblyLoadContext %r"
              % field(t, "AssemblyLoadContext"))
        ta = tr.text_of("dumpmt -all %x" % mt)
        check(ta.startswith(t) and "\n--------------------------------------\nAdditional Details\nClass Attributes:" in ta
              and re.search(r"^%s %s\s+%s\s+\S+\s+(Yes|No)\s+static .* s_stackOsId$" % (HEXVAL, HEXVAL, HEXVAL), ta, re.M)
              and "HeapShapes.Program.StackHolderMain()" in ta, "dumpmt -all: the MethodDesc table and the details:\n%s" % ta)
        # A generic instantiation: .NET 9+ names its canonical MethodTable (List<__Canon>), .NET 8 its EEClass.
        st = tr.text_of("dumpheap -stat -type HeapShapes.CwtKey")
        lm = re.search(r"^(%s)\s+\d+\s+\d+ System\.Collections\.Generic\.List<HeapShapes\.CwtKey>$" % HEXVAL, st, re.M)
        if check(lm, "dumpheap -stat: no List<HeapShapes.CwtKey>:\n%s" % st):
            g = session(["dumpmt %s" % lm.group(1), "dumpmt %s --json" % lm.group(1)])
            gt, gj = g.text_of("dumpmt %s" % lm.group(1)), g.json("dumpmt %s --json" % lm.group(1))
            if variant == "net8":
                check(field(gt, "EEClass") and field(gt, "Canonical") is None, "dumpmt of a generic on .NET 8:\n%s" % gt)
            else:
                canon = field(gt, "Canonical")
                check(canon and int(canon, 16) != int(lm.group(1), 16) and field(gt, "EEClass") is None
                      and int(gj["canonicalMethodTable"], 16) == int(canon, 16), "dumpmt of a generic:\n%s" % gt)
                c = session(["dumpmt %s" % canon]).text_of("dumpmt %s" % canon)
                check(field(c, "Name") == "System.Collections.Generic.List<System.__Canon>",
                      "dumpmt of the Canonical MethodTable: Name %r" % field(c, "Name"))

        # dumpmodule: Attributes as SOS names them (a file on disk: PEFile, never IsDynamic), -prof's last line.
        dmo = tr.text_of("dumpmodule %x" % module)
        attrs = (field(dmo, "Attributes") or "").split()
        check("PEFile" in attrs and "IsDynamic" not in attrs and "Reflection" not in attrs,
              "dumpmodule: Attributes %r" % attrs)
        check(re.search(r"^BaseAddress:\s+[0-9A-F]{16}$", dmo, re.M), "dumpmodule: BaseAddress in upper-case hex:\n%s" % dmo)
        prof = tr.text_of("dumpmodule -prof %x" % module)
        check(prof.startswith(dmo) and prof.endswith("\nThis module has no methods with profiler modified IL."),
              "dumpmodule -prof (no profiler in the target):\n%s" % prof[len(dmo):])
        jp = tr.json("dumpmodule -prof %x --json" % module)
        check(jp.get("profilerModified") == [] and jp.get("isDynamic") is False, "dumpmodule -prof --json: %s"
              % {k: jp.get(k) for k in ("profilerModified", "isDynamic")})

        # name2ee: the type, the method (Module, Assembly, Token, MethodDesc, Name, JITTED Code Address).
        n = tr.text_of("name2ee HeapShapes.dll HeapShapes.Program")
        check(field(n, "Module") and int(field(n, "Module"), 16) == module, "name2ee: Module %r" % field(n, "Module"))
        check(field(n, "Assembly") == "HeapShapes.dll", "name2ee: Assembly %r" % field(n, "Assembly"))
        check(re.search(r"^Token:\s+0*%x\nMethodTable:\s+0*%x\nName:\s+HeapShapes\.Program$" % (type_token, mt), n, re.M),
              "name2ee: no HeapShapes.Program block:\n%s" % n)
        check("-----------------------\n" in n, "name2ee: the nested types (Program+...) are not listed as matches too")
        nm = tr.text_of("name2ee HeapShapes!HeapShapes.Program.StackHolderMain")
        check(field(nm, "Token") and int(field(nm, "Token"), 16) == md_token, "name2ee method: Token %r" % field(nm, "Token"))
        check(field(nm, "MethodDesc") and int(field(nm, "MethodDesc"), 16) == md,
              "name2ee method: MethodDesc %r, the target says %x" % (field(nm, "MethodDesc"), md))
        check(field(nm, "Name") == sh["mainMethodName"], "name2ee method: Name %r" % field(nm, "Name"))
        check(field(nm, "JITTED Code Address"), "name2ee method: no JITTED Code Address:\n%s" % nm)
        jn = tr.json("Name2EE HeapShapes.dll HeapShapes.Program.StackHolderMain --json")
        x = jn["modules"][0]["matches"][0] if jn["modules"] and jn["modules"][0]["matches"] else {}
        check(x.get("kind") == "method" and int(x.get("methodDesc", "0"), 16) == md and x.get("token") == md_token,
              "name2ee --json: %s" % jn)
        nw = tr.text_of("name2ee *!HeapShapes.Derived")
        check(re.search(r"^Assembly:\s+HeapShapes\.dll\nToken:\s+\S+\nMethodTable:\s+\S+\nName:\s+HeapShapes\.Derived$",
                        nw, re.M) and re.search(r"^Scanned %s modules which had no matches\.$" % DECVAL, nw, re.M),
              "name2ee *: %s" % nw)
        nf = tr.text_of("name2ee HeapShapes.dll HeapShapes.AllFields.StaticInt")
        check(re.search(r"^Field StaticInt \(mdToken 04[0-9a-f]{6}\) of\nToken:.*\nMethodTable:.*\nName:\s+HeapShapes\.AllFields$",
                        nf, re.M), "name2ee field: %s" % nf)

        # token2ee: the method's token and the type's.
        t = tr.text_of("token2ee HeapShapes.dll %08x" % md_token)
        check(field(t, "Token") == "%08x" % md_token and field(t, "MethodDesc") and int(field(t, "MethodDesc"), 16) == md
              and field(t, "Name") == sh["mainMethodName"], "token2ee method:\n%s" % t)
        jt = tr.json("Token2EE HeapShapes 0x%08x --json" % type_token)
        x = jt["modules"][0]["matches"][0] if jt["modules"] and jt["modules"][0]["matches"] else {}
        check(x.get("kind") == "type" and int(x.get("methodTable", "0"), 16) == mt and x.get("typeName") == "HeapShapes.Program",
              "token2ee --json: %s" % jt)
        ta = tr.text_of("token2ee * %08x" % type_token)
        check(re.search(r"^Module:\s+0*%x\nAssembly:\s+HeapShapes\.dll\nToken:\s+%08x\nMethodTable:\s+0*%x\nName:\s+HeapShapes\.Program$"
                        % (module, type_token, mt), ta, re.M), "token2ee *: %s" % ta)

        for c, want in (("dumpdomain 0x10", "0x10 is not an AppDomain"),
                        ("dumpassembly 0x10", "0x10 is not an Assembly"),
                        ("dumpassembly %x" % module, "0x%x is not an Assembly" % module),
                        ("dumpassembly", "dumpassembly needs the address of an Assembly"),
                        ("dumpclass 0x10", "0x10 is not an EEClass"),
                        ("dumpclass %x" % md, "0x%x is not an EEClass" % md),
                        ("dumpclass", "dumpclass needs the address of an EEClass"),
                        ("dumpmodule -mt 0x10", "0x10 is not a Module"),
                        ("name2ee nosuch.dll Foo", "no module 'nosuch.dll'"),
                        ("name2ee HeapShapes.dll NoSuchTypeAtAll", "nothing loaded matches NoSuchTypeAtAll in HeapShapes.dll"),
                        ("name2ee HeapShapes.dll", "name2ee needs <module> <name>"),
                        ("name2ee", "name2ee needs <module> <name>"),
                        ("token2ee HeapShapes.dll 0a000001", "0x0a000001 is not a TypeDef"),
                        ("token2ee HeapShapes.dll xyz", "'xyz' is not a token"),
                        ("token2ee HeapShapes.dll 0600ffff", "nothing loaded matches 0600ffff in HeapShapes.dll"),
                        ("token2ee HeapShapes.dll", "token2ee needs <module> <token>")):
            one_line_error(tr, c, want)
        je = tr.json("dumpclass 0x10 --json")
        check(je.get("code") == "invalidArgument", "dumpclass 0x10 --json: %s" % je)

    if mode == "live":
        with harness.Target("HeapShapes", env=env, variant=variant) as t:
            run(t.truth, lambda cmds: harness.lldb(cmds, pid=t.pid))
    else:
        scratch = harness.scratch_dir()
        try:
            core, exe, truth = harness.core_of_finished("HeapShapes", mode, scratch, env=env, variant=variant)
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
