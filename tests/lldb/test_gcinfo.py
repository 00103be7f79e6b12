"""gcinfo and threadstate against HeapShapes' StackHolderThread.

usage: test_gcinfo.py <gc config> <live|full>

The target prints the MethodDesc of StackHolderMain, which its
StackHolderThread is blocked in (clrstack -all --json gives that frame's
return address). gcinfo of the MethodDesc and of the return address must
be the same method: its code length is the runtime's method size (the code
header's), the return address is inside the code, the text shows SOS's header lines and the
same code size, and slots name x64 registers or stack bases.
"""

import re
import sys

import harness
from harness import check

STATE_NAMES = {0x20: "Legal to Join", 0x1000: "CLR Owns", 0x200: "Background", 0x80000000: "Detached"}


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
        ip, md = frames[0]["ip"], sh["mainMethodDesc"]
        cmds = ["gcinfo %s --json" % md, "gcinfo %s" % md, "GCInfo %s" % md, "gcinfo %s" % ip,
                "gcinfo %s --json" % ip, "dumpmd %s --json" % md,
                "gcinfo 0x10", "gcinfo", "gcinfo 1 2",
                "threadstate 1020", "ThreadState 1020", "threadstate 0", "threadstate 0x80000200 --json",
                "threadstate", "threadstate 0x100000000"]
        tr = session(cmds)
        j = tr.json("gcinfo %s --json" % md)
        check(int(j["methodDesc"], 16) == int(md, 16), "gcinfo: methodDesc %s, the target says %s" % (j["methodDesc"], md))
        check(j["jitType"] == "jit", "gcinfo: jitType %r" % j["jitType"])
        check(j["codeLength"] == j["methodSize"] > 0,
              "gcinfo: code length %d, the code header says %d bytes" % (j["codeLength"], j["methodSize"]))
        dmd = tr.json("dumpmd %s --json" % md)
        check(int(dmd["codeAddr"], 16) == int(j["entryPoint"], 16),
              "gcinfo: entry point %s, dumpmd's code %s" % (j["entryPoint"], dmd["codeAddr"]))
        entry = int(j["entryPoint"], 16)
        off = int(ip, 16) - entry
        check(0 < off < j["codeLength"], "gcinfo: the frame's ip %s is not in [%s, +0x%x)" % (ip, j["entryPoint"], j["codeLength"]))
        # (The JIT records no safepoint at a call with no tracked reference live, so
        # the frame's return address need not be one.)
        check(j["safepoints"] == sorted(j["safepoints"]) and all(s < j["codeLength"] for s in j["safepoints"]),
              "gcinfo: safepoints %s" % j["safepoints"])
        for r in j["interruptibleRanges"]:
            check(0 <= r["start"] < r["stop"] <= j["codeLength"], "gcinfo: range %s" % r)
        check(j["slots"], "gcinfo: no slots in %s, which holds an object on its stack" % sh["mainMethodName"])
        regs = {"rax", "rcx", "rdx", "rbx", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"}
        for s in j["slots"]:
            if "register" in s:
                check(s["register"] in regs, "gcinfo: slot register %r" % s)
            else:
                check(s["base"] in ("sp", "caller.sp", "frame") and s["offset"] % 8 == 0, "gcinfo: stack slot %r" % s)
        n = len(j["slots"])
        for t in j["transitions"]:
            check(0 <= t["slot"] < n and 0 <= t["offset"] <= j["codeLength"], "gcinfo: transition %s" % t)
        # Text: SOS's layout (its lines, in its order), the same code size.
        text = tr.text_of("gcinfo %s" % md)
        want = ["entry point %016X" % entry, "Normal JIT generated code", "GC info %016X" % int(j["gcInfo"], 16),
                "Pointer table:"]
        check(text.splitlines()[:4] == want, "gcinfo: first lines %s, want %s" % (text.splitlines()[:4], want))
        order = ["GS cookie: ", "PSPSym: ", "Generics inst context: ", "PSP slot: ", "GenericInst slot: ",
                 "Varargs: ", "Frame pointer: ", "Wants Report Only Leaf: ", "Size of parameter area: ", "Code size: "]
        at = [text.find("\n" + o) for o in order]
        check(all(a > 0 for a in at) and at == sorted(at), "gcinfo: header lines missing or out of order:\n%s" % text)
        m = re.search(r"^Code size: ([0-9a-f]+)$", text, re.M)
        check(m and int(m.group(1), 16) == j["methodSize"], "gcinfo: Code size %r, method size %d"
              % (m and m.group(1), j["methodSize"]))
        if j["framePointer"]:
            check(re.search(r"^Frame pointer: %s$" % j["framePointer"], text, re.M), "gcinfo: Frame pointer line")
        for s in j["safepoints"]:
            shown = s if j["gcInfoVersion"] >= 4 else s + 1
            check("%08x is a safepoint: " % shown in text, "gcinfo: no safepoint line for 0x%x" % shown)
        if any(s["untracked"] for s in j["slots"]):
            check(re.search(r"^Untracked:( [+][a-z.]+[+-][0-9a-f]+)+$", text, re.M), "gcinfo: no Untracked line")
        check(tr.text_of("GCInfo %s" % md) == text, "GCInfo differs from gcinfo")
        check(tr.text_of("gcinfo %s" % ip) == text, "gcinfo of the return address differs from gcinfo of the MethodDesc")
        check(tr.json("gcinfo %s --json" % ip) == j, "gcinfo --json of the return address differs")
        # threadstate: SOS's names of Thread::ThreadState bits.
        check(tr.text_of("threadstate 1020") == "    Legal to Join\n    CLR Owns",
              "threadstate 1020: %r" % tr.text_of("threadstate 1020"))
        check(tr.text_of("ThreadState 1020") == tr.text_of("threadstate 1020"), "ThreadState differs")
        check(tr.text_of("threadstate 0") == "    No thread states for '0'", "threadstate 0: %r" % tr.text_of("threadstate 0"))
        ts = tr.json("threadstate 0x80000200 --json")
        check(ts == {"state": 0x80000200, "names": ["Background", "Detached"]}, "threadstate --json: %s" % ts)
        for c, want in (("gcinfo 0x10", "0x10 is not a valid MethodDesc or JIT-compiled code"),
                        ("gcinfo", "gcinfo needs the address of a MethodDesc or code"),
                        ("gcinfo 1 2", "unexpected argument '2'"),
                        ("threadstate", "threadstate needs a thread state value"),
                        ("threadstate 0x100000000", "is not a thread state")):
            e = tr.error(c)
            check(e is not None and want in e and "\n" not in e, "%r: error %r, want %r" % (c, e, want))

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
