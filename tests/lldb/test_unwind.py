"""Mixed stacks: native frames unwound by clrsos itself (clrstack -f, -r, -c; clrbt).

usage: test_unwind.py <live|gcore|crash>

live: Crasher waiting in Thread.Sleep (a P/Invoke into libc's wait), with
lldb attached. gcore: gdb's core of it, where lldb's own backtrace stops in
libcoreclr's frames. crash: the runtime's createdump core of Crasher dying
of an unhandled exception (throw).

Checked: clrstack -f lists the managed frames exactly as plain clrstack
does (sp, ip, method), with SOS's "Module.dll!Method + <decimal>" names;
native frames are strictly ordered by SP and come where they belong:
libc and libcoreclr below the first managed frame, libcoreclr's
coreclr_execute_assembly and libc's __libc_start_main above Main; every
native frame is one lldb's backtrace has (same pc at the same sp) where
lldb has that sp; clrstack -r's first frame has the thread's own registers
(lldb's `register read`); -c N prints N frames; clrbt reaches Main and
coreclr_execute_assembly where lldb's backtrace stops early.
"""

import os
import re
import subprocess
import sys
import time

import harness
from harness import check

REGS = ["rsp", "rbp", "rip", "rax", "rbx", "rcx", "rdx", "rsi", "rdi",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]
# The IP of a Frame's row is in lower case, as SOS prints it.
ROW = re.compile(r"^([0-9A-F]{16}) ([0-9A-F]{16}|[0-9a-f]{16}| {16}) (.*)$")


def rows(lines):
    """(sp, ip or None, call site) of each frame row of a clrstack text."""
    out = []
    for line in lines:
        m = ROW.match(line)
        if m:
            ip = m.group(2).strip()
            out.append((int(m.group(1), 16), int(ip, 16) if ip else None, m.group(3)))
    return out


def check_full(tr, main_thread):
    plain = [f for f in tr.json("clrstack --json")["threads"][0]["frames"]]
    full = tr.json("clrstack -f --json")["threads"][0]
    managed = [(f["sp"], f["ip"], f["name"]) for f in full["frames"]]
    check(managed == [(f["sp"], f["ip"], f["name"]) for f in plain],
          "clrstack -f: the runtime's frames are plain clrstack's")
    natives = full["nativeFrames"]
    sps = [int(n["sp"], 16) for n in natives]
    check(len(natives) >= 5 and all(a < b for a, b in zip(sps, sps[1:])),
          "clrstack -f: %d native frames, strictly ordered by SP" % len(natives))
    methods = [f for f in plain if f.get("methodDesc") not in (None, "0x0") and f["frame"] == "0x0"]
    check(methods, "plain clrstack has managed frames")
    first_sp, main_sp = int(methods[0]["sp"], 16), int(methods[-1]["sp"], 16)
    below = [n for n in natives if int(n["sp"], 16) < first_sp]
    above = [n for n in natives if int(n["sp"], 16) > main_sp]
    check(any(n["module"] == "libc.so.6" for n in below) and any(n["module"] == "libcoreclr.so" for n in below),
          "clrstack -f: libc and libcoreclr frames below the first managed frame: %s"
          % [(n["module"], n["symbol"]) for n in below])
    syms = [n["symbol"] or "" for n in above]
    check(any(s == "coreclr_execute_assembly" for s in syms) and any("__libc_start_main" in s for s in syms),
          "clrstack -f: coreclr_execute_assembly and __libc_start_main above Main: %s" % syms)
    check(all(f.get("module") and f.get("offset") is not None for f in full["frames"]
              if f.get("methodDesc") not in (None, "0x0") and f["frame"] == "0x0"),
          "clrstack -f --json: managed frames have their module and offset")
    # Text: SOS's layout (StackAndOtherTests.script's regex for ClrStack -f).
    text = tr.text_of("clrstack -f")
    pat = r"[0-9A-F]{16}\s+[0-9A-F]{16}\s+Crasher\.(dll|exe)!Crasher\.Program\.Main\(.*\)\s+\+\s+\d+\s+\[.*Program\.cs @ \d+\]"
    check(re.search(pat, text), "clrstack -f text: " + pat)
    check(re.search(r"[0-9A-F]{16}\s+[0-9A-F]{16}\s+libcoreclr\.so!coreclr_execute_assembly \+ \d+\n", text + "\n"),
          "clrstack -f text: libcoreclr.so!coreclr_execute_assembly + <decimal>")
    # SOS's interleaving: before each of the runtime's frames (a Frame at its own address) the
    # native frames up to its SP, less one at that very SP; the rest after the last.
    expected, i = 0, 0
    for f in plain:
        at = int(f["frame"], 16) if f["frame"] != "0x0" else int(f["sp"], 16)
        while i < len(sps) and sps[i] <= at:
            expected += sps[i] != at
            i += 1
        expected += 1
    expected += len(sps) - i
    r = rows(tr.output("clrstack -f"))
    check(len(r) == expected, "clrstack -f text: %d rows, %d expected" % (len(r), expected))
    return natives


def check_against_lldb(tr, natives, complete):
    """Every native frame at an sp lldb's backtrace has is lldb's (same pc); complete: lldb has them all."""
    lldb_frames = tr.json("clrbt --json")["frames"]
    first_pc = {}
    for f in lldb_frames:
        if f.get("fromUnwinder") or f.get("fromRuntimeWalk"):
            continue
        first_pc.setdefault(int(f["sp"], 16), int(f["pc"], 16))
    shared = [n for n in natives if int(n["sp"], 16) in first_pc]
    check(shared and all(first_pc[int(n["sp"], 16)] == int(n["ip"], 16) for n in shared),
          "native frames equal lldb's where lldb has the frame: %d shared" % len(shared))
    if complete:
        ours = {int(n["sp"], 16) for n in natives}
        lldb_native = {sp for sp, pc in first_pc.items()}
        missing = [hex(sp) for sp in lldb_native if sp not in ours and sp > min(ours)]
        # lldb's frames at managed code are the runtime's (not in nativeFrames when plain clrstack has them).
        plain = {int(f["sp"], 16) for f in tr.json("clrstack --json")["threads"][0]["frames"]}
        missing = [m for m in missing if int(m, 16) not in plain]
        check(not missing, "every frame lldb unwinds clrsos unwinds too: missing %s" % missing)


def check_regs(tr):
    text = tr.text_of("clrstack -r")
    regs = dict((k, int(v, 16)) for k, v in re.findall(r"\b(r\w+)=([0-9a-f]{16})", text.split("\n\n")[0])[:17])
    check(re.search(r"^\s+rsp=[0-9a-f]{16}\s+rbp=[0-9a-f]{16}\s+rip=[0-9a-f]{16}$", text, re.M),
          "clrstack -r: SOS's 'rsp=... rbp=... rip=...' line")
    lldb_regs = {}
    for line in tr.output("register read"):
        m = re.match(r"\s+(\w+) = 0x([0-9a-f]+)", line)
        if m:
            lldb_regs[m.group(1)] = int(m.group(2), 16)
    first = tr.json("clrstack -r --json")["threads"][0]["frames"][0]["registers"]
    mismatched = [r for r in REGS if int(first[r], 16) != lldb_regs.get(r)]
    check(not mismatched, "clrstack -r: frame 0's registers are lldb's register read: differ in %s" % mismatched)
    check(regs.get("rsp") == lldb_regs["rsp"], "clrstack -r text: frame 0's rsp")


def check_frame_rows(tr):
    """A Frame's row as SOS prints it: its own address as Child SP, the walk's IP in lower
    case, then "[Name: address] " and the method the Frame stands for, if any."""
    plain = tr.json("clrstack --json")["threads"][0]["frames"]
    want = [(int(f["frame"], 16), int(f["ip"], 16), f["name"], f.get("frameMethod"))
            for f in plain if f["frame"] != "0x0"]
    got = []
    for line in tr.output("clrstack"):
        m = re.match(r"^([0-9A-F]{16}) ([0-9a-f]{16}) \[(\w+): ([0-9a-f]{16})\] (.*)$", line)
        if m:
            check(int(m.group(1), 16) == int(m.group(4), 16),
                  "clrstack: a Frame's row has a Child SP other than its address: %r" % line)
            got.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3), m.group(5) or None))
    check(want and got == want, "clrstack: the Frames' rows %s, the JSON's Frames %s" % (got, want))


def check_count(tr):
    for n in (1, 2, 3):
        got = rows(tr.output("clrstack -c %d" % n))
        check(len(got) == n, "clrstack -c %d: %d rows" % (n, len(got)))
    got = rows(tr.output("clrstack -f -c 4"))
    check(len(got) >= 4, "clrstack -f -c 4: %d rows (native frames before the 4th are not counted, as SOS)" % len(got))


def check_clrbt(tr, early):
    frames = tr.json("clrbt --json")["frames"]
    names = [f["name"] or "" for f in frames]
    check(any("Crasher.Program.Main" in n for n in names), "clrbt: Main")
    check("coreclr_execute_assembly" in names, "clrbt: coreclr_execute_assembly: %s" % names)
    sps = [int(f["sp"], 16) for f in frames]
    check(all(a <= b for a, b in zip(sps, sps[1:])), "clrbt: frames ordered by SP")
    if early:
        check(any(f.get("fromUnwinder") for f in frames), "clrbt: frames unwound by clrsos past lldb's last")


def check_dumpstack(tr):
    """dumpstack's rows as SOS's StackTests.script matches them; each managed caller's return address there."""
    text = tr.text_of("dumpstack")
    check(re.search(r"OS Thread Id:\s+0x[0-9a-f]+ \(\d+\)", text), "dumpstack: OS Thread Id line")
    check(re.search(r"Child-SP\s+RetAddr\s+Caller, Callee", text), "dumpstack: SOS's heading")
    pat = (r"[0-9A-F]{16}\s+[0-9a-f]{16}\s+\(MethodDesc\s+[0-9a-f]{16}\s+\+\s*0x[0-9a-f]+\s+"
           r"Crasher\.Program\.Main\(System\.String\[\]\)\),\s+calling.*")
    check(re.search(pat, text), "dumpstack: " + pat)
    rows_ = {(int(a, 16), int(b, 16)) for a, b in re.findall(r"^([0-9A-F]{16}) ([0-9a-f]{16}) ", text, re.M)}
    plain = tr.json("clrstack --json")["threads"][0]["frames"]
    # A managed frame that called managed code: its return address is on the stack just below its SP.
    callers = [f for g, f in zip(plain, plain[1:]) if f["frame"] == "0x0" and g["frame"] == "0x0"]
    missing = [f["name"] for f in callers if (int(f["sp"], 16) - 16, int(f["ip"], 16)) not in rows_]
    check(callers and not missing, "dumpstack: each managed caller's return address, at its SP - 8: missing %s" % missing)
    ee = tr.output("dumpstack -EE")
    ee_rows = [l for l in ee if re.match(r"^[0-9A-F]{16} ", l)]
    check(ee_rows and all("(MethodDesc " in l and "calling" not in l for l in ee_rows),
          "dumpstack -EE: managed rows only, no callee")
    check(re.search(r"^Thread\s+\d+$", tr.text_of("eestack -EE"), re.M)
          and "Crasher.Program.Main" in tr.text_of("eestack -EE"), "eestack -EE: a Thread heading and Main")


COMMANDS = ["dumpstack", "dumpstack -EE", "eestack -EE", "clrstack", "clrstack --json", "clrstack -f", "clrstack -f --json", "clrstack -r",
            "clrstack -r --json", "register read", "clrstack -c 1", "clrstack -c 2", "clrstack -c 3",
            "clrstack -f -c 4", "clrbt --json", "bt"]


def run(mode):
    directory = harness.scratch_dir()
    try:
        if mode == "crash":
            command = harness.target_command("Crasher")
            core = os.path.join(directory, "core.throw")
            env = dict(os.environ, DOTNET_DbgEnableMiniDump="1", DOTNET_DbgMiniDumpType="4",
                       DOTNET_DbgMiniDumpName=core)
            subprocess.run(command + ["throw", "now"], env=env, capture_output=True, timeout=300)
            check(os.path.exists(core), "Crasher throw left a core")
            tr = harness.lldb(COMMANDS, core=core, exe=harness.program_of(command))
            natives = check_full(tr, None)
            check_against_lldb(tr, natives, complete=True)
            check_regs(tr)
            check_count(tr)
            check_frame_rows(tr)
            check_clrbt(tr, early=False)
            check_dumpstack(tr)
            return
        with harness.Target("Crasher", args=["wait", "now"]) as t:
            time.sleep(2)  # into Thread.Sleep
            if mode == "live":
                tr = harness.lldb(["thread select 1"] + COMMANDS, pid=t.pid)
                natives = check_full(tr, None)
                check_against_lldb(tr, natives, complete=True)
                check_regs(tr)
                check_count(tr)
                check_frame_rows(tr)
                check_clrbt(tr, early=False)
                check_dumpstack(tr)
            else:
                core = harness.make_core(t, "os", directory)
                exe = t.exe
        if mode == "gcore":
            tr = harness.lldb(COMMANDS, core=core, exe=exe)
            natives = check_full(tr, None)
            check_against_lldb(tr, natives, complete=False)
            check_regs(tr)
            check_frame_rows(tr)
            lldb_bt = [l for l in tr.output("bt") if "frame #" in l]
            check_clrbt(tr, early=len(lldb_bt) < len(natives))
    finally:
        harness.cleanup(directory)


def main():
    try:
        run(sys.argv[1])
    except harness.Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
    harness.finish()


main()
