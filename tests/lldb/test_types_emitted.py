"""dumpmt and dumpmodule of types made with Reflection.Emit (the Emitted target).

usage: test_types_emitted.py <live|full>

Emitted builds Castle.Proxies.CustomerProxy in an AssemblyBuilderAccess.Run
assembly and Castle.Proxies.OrderProxy in a RunAndCollect (collectible) one,
and prints the address of an instance of each (customer0, order3), and of an
Emitted.Customer (customer0's Target), a type of its own file. Their
MethodTables come from dumpobj (an independently tested command). Each
emitted type's module is dynamic: dumpmodule says Reflection IsDynamic, as
SOS does, and names no file; Emitted.dll's module is not. The collectible
type, and only it, has SOS's LoaderAllocator line, whose object is a
System.Reflection.LoaderAllocator; its AssemblyLoadContext line names an
AssemblyLoadContext object.
"""

import re
import sys

import harness
from harness import check
from test_types import HEXVAL, field


def main():
    mode = sys.argv[1]

    def run(truth, session):
        objects = {"collectible": truth["order3"]["address"], "run": truth["customer0"]["address"],
                   "file": truth["customer0"]["Target"]}
        first = session(["dumpobj %s --json" % a for a in objects.values()])
        mts = {k: int(first.json("dumpobj %s --json" % a)["methodTable"], 16) for k, a in objects.items()}
        tr = session(["dumpmt %x" % mt for mt in mts.values()] + ["dumpmt %x --json" % mt for mt in mts.values()])
        texts = {k: tr.text_of("dumpmt %x" % mt) for k, mt in mts.items()}
        jsons = {k: tr.json("dumpmt %x --json" % mt) for k, mt in mts.items()}
        for k in ("collectible", "run"):
            check(field(texts[k], "File") == "Unknown Module", "dumpmt of the %s emitted type: File %r"
                  % (k, field(texts[k], "File")))
        la = field(texts["collectible"], "LoaderAllocator")
        check(la and re.fullmatch("[0-9A-F]{16}", la) and int(jsons["collectible"]["loaderAllocator"], 16) == int(la, 16),
              "dumpmt of the collectible type: LoaderAllocator %r:\n%s" % (la, texts["collectible"]))
        for k in ("run", "file"):
            check(field(texts[k], "LoaderAllocator") is None and jsons[k]["loaderAllocator"] is None,
                  "dumpmt of a type that is not collectible (%s): a LoaderAllocator line:\n%s" % (k, texts[k]))
        alc = field(texts["collectible"], "AssemblyLoadContext")
        modules = {k: int(field(t, "Module"), 16) for k, t in texts.items()}
        cmds = ["dumpmodule %x" % m for m in modules.values()] + ["dumpmodule %x --json" % m for m in modules.values()]
        if la:
            cmds.append("dumpobj %s" % la)
        if alc and re.fullmatch(HEXVAL, alc):
            cmds.append("dumpobj %s" % alc)
        second = session(cmds)
        if la:
            check(field(second.text_of("dumpobj %s" % la), "Name") == "System.Reflection.LoaderAllocator",
                  "dumpobj of dumpmt's LoaderAllocator: Name %r" % field(second.text_of("dumpobj %s" % la), "Name"))
        if check(alc and re.fullmatch(HEXVAL, alc), "dumpmt of the collectible type: AssemblyLoadContext %r" % alc):
            name = field(second.text_of("dumpobj %s" % alc), "Name") or ""
            check(name.endswith("AssemblyLoadContext"), "dumpobj of dumpmt's AssemblyLoadContext: Name %r" % name)
        for k, m in modules.items():
            text, j = second.text_of("dumpmodule %x" % m), second.json("dumpmodule %x --json" % m)
            attrs = (field(text, "Attributes") or "").split()
            dynamic = k != "file"
            if dynamic:
                check(attrs[:2] == ["Reflection", "IsDynamic"] and field(text, "Name") == "Unknown Module"
                      and j["isDynamic"] is True and j["isReflection"] is True,
                      "dumpmodule of the %s emitted type's module: Attributes %r:\n%s" % (k, attrs, text))
            else:
                check(attrs[:1] == ["PEFile"] and "IsDynamic" not in attrs and j["isDynamic"] is False
                      and field(text, "Name").endswith("/Emitted.dll"),
                      "dumpmodule of Emitted.dll: Attributes %r:\n%s" % (attrs, text))

    if mode == "live":
        with harness.Target("Emitted") as t:
            run(t.truth, lambda cmds: harness.lldb(cmds, pid=t.pid))
    else:
        scratch = harness.scratch_dir()
        try:
            core, exe, truth = harness.core_of_finished("Emitted", mode, scratch)
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
