"""bpmd: managed breakpoints on a live process, pending until JIT-compiled.

usage: test_bpmd.py <name|line|manage|md|future|wx|core|early|early-errors>

Starts the Breakpoints target, which waits (after READY) until a file
exists and only then calls Work and Later, compiled for the first time
then. lldb attaches, sets bpmd breakpoints, makes the file (platform shell
touch) and continues: the process must stop in the method (clrstack's
frame 0 is it), as SOS's OtherCommands.script checks.

  name    bpmd Breakpoints.dll Breakpoints.Program.Work: pending, then a stop
          in Work.
  line    bpmd Program.cs:<line of the MARK comment in the target's source>:
          a stop in Later on that line.
  manage  -list, -clear <n>, -clearall, bad arguments; the process runs to
          its end with every pending breakpoint cleared.
  md      bpmd -md <MethodDesc of Later>, not compiled yet: a stop in Later.
  future  a module loaded after bpmd: bound at its load, a stop in its Work.
  wx      under W^X (the default): one error line, and the process goes on.
  core    bpmd on a core: one error line.
  early   lldb launches the target stopped at its entry (process launch -s),
          before the runtime is loaded: bpmd by name and by file:line wait
          for it; the process stops in Work, then on the marked line of
          Later, before the target printed DONE, then runs to its end.
  early-errors  before the runtime, bad forms, -md and -nofuturemodule are
          one error line each; a clearall leaves the process running to
          its end without stopping.
"""

import os
import re
import sys

import harness
from harness import check

HEX = r"[A-Fa-f0-9]+"
SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "targets", "Breakpoints", "Program.cs")


def marked_line():
    with open(SOURCE) as f:
        for number, text in enumerate(f, 1):
            if "// MARK:" in text:
                return number
    raise harness.Failure("no MARK line in " + SOURCE)


def method_lines(name):
    """The lines from the declaration of method name in the target's source to the next method's."""
    with open(SOURCE) as f:
        lines = f.read().splitlines()
    start = next(i for i, t in enumerate(lines, 1) if re.search(r"static int %s\(" % name, t))
    end = next((i for i, t in enumerate(lines, 1) if i > start and re.search(r"static int \w+\(", t)), len(lines))
    return start, end


def frame0(text):
    """The first frame line of a clrstack: (method text, rest)."""
    for line in text.splitlines():
        m = re.match(r"\s*(%s)\s+(%s)\s+(.*)$" % (HEX, HEX), line)
        if m:
            return m.group(3)
    return ""


# As SOS's own tests run bpmd (dotnet/diagnostics#3126): with W^X the JIT's
# code is a shared mapping that lldb-server cannot write a trap into.
NO_WX = {"DOTNET_EnableWriteXorExecute": "0"}


def run_live(commands, go, env=NO_WX, more=()):
    with harness.Target("Breakpoints", args=[go] + list(more), env=env) as t:
        tr = harness.lldb(commands, pid=t.pid)
    return tr


def case_name():
    scratch = harness.scratch_dir()
    go = os.path.join(scratch, "go")
    try:
        tr = run_live(["bpmd Breakpoints.dll Breakpoints.Program.Work",
                       "bpmd -list",
                       "platform shell touch " + go,
                       "process continue",
                       "clrstack",
                       "bpmd -list --json",
                       "clrstack --json"], go)
    finally:
        harness.cleanup(scratch)
    out = tr.text_of("bpmd Breakpoints.dll Breakpoints.Program.Work")
    check(tr.error("bpmd Breakpoints.dll Breakpoints.Program.Work") is None, "bpmd failed:\n" + out)
    check("Adding pending breakpoints..." in out, "no 'Adding pending breakpoints...':\n" + out)
    check("Setting breakpoint" not in out, "a breakpoint set before Work was compiled:\n" + out)
    listing = tr.text_of("bpmd -list")
    check(re.search(r"^\d+ - Breakpoints\.dll!Breakpoints\.Program\.Work\+0, 0x0+, 0x00000000$", listing, re.M),
          "-list: no unbound entry for future modules:\n" + listing)
    check(re.search(r"^\d+ - Breakpoints\.dll!Breakpoints\.Program\.Work\+0, 0x%s, 0x06%s$" % (HEX, HEX),
                    listing, re.M), "-list: no entry bound to the module with its token:\n" + listing)
    cont = tr.text_of("process continue")
    check(re.search(r"JITTED Breakpoints!Breakpoints\.Program\.Work", cont), "no JITTED line:\n" + cont)
    check(re.search(r"Setting breakpoint: breakpoint set --address 0x%s \[Breakpoints\.Program\.Work\(Int32\)\]"
                    % HEX, cont), "no 'Setting breakpoint' line:\n" + cont)
    check("stop reason = breakpoint" in cont, "the process did not stop at a breakpoint:\n" + cont)
    stack = tr.text_of("clrstack")
    check("Breakpoints.Program.Work" in frame0(stack), "frame 0 is not Work:\n" + stack)
    # SOS's OtherCommands.script: \s+<HEXVAL>\s+<HEXVAL>\s+SymbolTestApp\.Program\.Main\(.*\)\s+\[...
    # (the prolog is the method's first line, as SOS shows it)
    check(re.search(r"\s+%s\s+%s\s+Breakpoints\.Program\.Work\(.*\)\s+\[(?i:.*[\\|/]Program\.cs) @ \d+\]" % (HEX, HEX),
                    stack), "clrstack: SOS's regex")
    j = tr.json("bpmd -list --json")
    check(any(p.get("method") == "Breakpoints.Program.Work" and p.get("moduleId") != "0x0" for p in j["pending"]),
          "-list --json: %r" % j)


def case_line():
    line = marked_line()
    scratch = harness.scratch_dir()
    go = os.path.join(scratch, "go")
    spec = "Program.cs:%d" % line
    try:
        tr = run_live(["bpmd " + spec,
                       "platform shell touch " + go,
                       "process continue",
                       "clrstack"], go)
    finally:
        harness.cleanup(scratch)
    out = tr.text_of("bpmd " + spec)
    check(tr.error("bpmd " + spec) is None and "Adding pending breakpoints..." in out, "bpmd %s:\n%s" % (spec, out))
    cont = tr.text_of("process continue")
    check("stop reason = breakpoint" in cont, "the process did not stop at a breakpoint:\n" + cont)
    stack = tr.text_of("clrstack")
    top = frame0(stack)
    check("Breakpoints.Program.Later" in top, "frame 0 is not Later:\n" + stack)
    check(re.search(r"\[(?i:.*[\\|/]Program\.cs) @ %d\s*\]" % line, top), "frame 0 is not on line %d: %s" % (line, top))


def case_manage():
    scratch = harness.scratch_dir()
    go = os.path.join(scratch, "go")
    try:
        tr = run_live(["bpmd Breakpoints.dll Breakpoints.Program.Work",
                       "bpmd Breakpoints.dll Breakpoints.Program.Later 2",
                       "bpmd -list",
                       "bpmd -clear 1",
                       "bpmd -list",
                       "bpmd -clear 99",
                       "bpmd -clearall",
                       "bpmd -list",
                       "bpmd",
                       "bpmd Breakpoints.dll",
                       "bpmd Program.cs:x",
                       "bpmd -list -clearall",
                       "bpmd -md 0",
                       "platform shell touch " + go,
                       "process continue"], go)
    finally:
        harness.cleanup(scratch)
    first = tr.text_of("bpmd -list")
    entries = [l for l in first.splitlines() if re.match(r"^\d+ - ", l)]
    check(first.startswith("bpmd pending breakpoint list\n Breakpoint index - Location, ModuleID, Method Token"),
          "-list header:\n" + first)
    check(len(entries) == 4 and "Later+2" in entries[0], "4 entries, newest (Later +2) first:\n" + first)
    cleared = tr.text_of("bpmd -clear 1")
    check(cleared.endswith("Cleared") and "Breakpoints.Program.Later" in cleared, "-clear 1:\n" + cleared)
    second = tr.text_of("bpmd -list", 1)
    check(len([l for l in second.splitlines() if re.match(r"^\d+ - ", l)]) == 3, "-list after -clear:\n" + second)
    check(tr.error("bpmd -clear 99") is not None, "-clear 99 did not fail")
    check(tr.text_of("bpmd -clearall") == "All pending breakpoints cleared.", "-clearall: " + tr.text_of("bpmd -clearall"))
    third = tr.text_of("bpmd -list", 2)
    check(not [l for l in third.splitlines() if re.match(r"^\d+ - ", l)], "-list after -clearall:\n" + third)
    for bad in ("bpmd", "bpmd Breakpoints.dll", "bpmd Program.cs:x", "bpmd -list -clearall", "bpmd -md 0"):
        e = tr.error(bad)
        check(e is not None and len(tr.output(bad)) == 1, "%r: not one error line: %r" % (bad, tr.output(bad)))
    cont = tr.text_of("process continue")
    check("exited with status = 0" in cont and "stop reason = breakpoint" not in cont,
          "with every breakpoint cleared the process must run to its end:\n" + cont)


def case_md():
    """bpmd -md on a method not compiled yet: its MethodDesc from bpmd's own
    --json (in lldb's Python, to feed it to the next command), with
    -nofuturemodule, then -clearall and bpmd -md <it>: pending, then a stop."""
    scratch = harness.scratch_dir()
    go = os.path.join(scratch, "go")
    script = ("script r = lldb.SBCommandReturnObject(); "
              "lldb.debugger.GetCommandInterpreter().HandleCommand("
              "'bpmd -nofuturemodule Breakpoints.dll Breakpoints.Program.Later --json', r); import json; "
              "md = [e['methodDesc'] for e in json.loads(r.GetOutput())['events'] if e['event'] == 'methodDesc'][0]; "
              "print('LATER ' + md); lldb.debugger.HandleCommand('bpmd -clearall'); "
              "lldb.debugger.HandleCommand('bpmd -md ' + md)")
    try:
        tr = run_live([script, "bpmd -list", "platform shell touch " + go, "process continue", "clrstack"], go)
    finally:
        harness.cleanup(scratch)
    out = tr.text_of(script)
    m = re.search(r"LATER 0x(%s)" % HEX, out)
    check(m is not None, "no MethodDesc from bpmd --json:\n" + out)
    if m:
        check(re.search(r"^MethodDesc = 0*%s$" % m.group(1).upper(), out, re.M), "bpmd -md: no MethodDesc line:\n" + out)
    check("All pending breakpoints cleared." in out and "Adding pending breakpoints..." in out
          and "Setting breakpoint" not in out,
          "bpmd -md on a method not compiled: not pending:\n" + out)
    listing = tr.text_of("bpmd -list")
    check(re.search(r"^1 - Breakpoints\.dll!Breakpoints\.Program\.Later\(Int32\)\+0, 0x%s, 0x06%s$" % (HEX, HEX),
                    listing, re.M), "-list after -md:\n" + listing)
    cont = tr.text_of("process continue")
    check("stop reason = breakpoint" in cont and "Breakpoints.Program.Later" in cont, "no stop in Later:\n" + cont)
    check("Breakpoints.Program.Later" in frame0(tr.text_of("clrstack")), "frame 0 is not Later")


def case_future():
    """A module loaded after bpmd (the program's own module again, in a second
    load context): the module load notification binds the pending entry to
    it, and its Work stops too."""
    scratch = harness.scratch_dir()
    go = os.path.join(scratch, "go")
    try:
        tr = run_live(["bpmd Breakpoints.dll Breakpoints.Program.Work", "platform shell touch " + go,
                       "process continue", "clrstack", "process continue", "clrstack", "bpmd -list"],
                      go, more=["alc"])
    finally:
        harness.cleanup(scratch)
    check("Breakpoints.Program.Work" in frame0(tr.text_of("clrstack")), "first stop: frame 0 is not Work")
    second = tr.text_of("process continue", 1)
    check("JITTED Breakpoints!Breakpoints.Program.Work" in second and "stop reason = breakpoint" in second,
          "no stop in the second module's Work:\n" + second)
    stack = tr.text_of("clrstack", 1)
    check("Breakpoints.Program.Work" in frame0(stack) and "Invoke" in stack,
          "second stop: frame 0 is not Work called through reflection:\n" + stack)
    listing = tr.text_of("bpmd -list")
    modules = set(re.findall(r"^\d+ - Breakpoints\.dll!Breakpoints\.Program\.Work\+0, 0x(%s), 0x06" % HEX,
                             listing, re.M))
    check(len(modules - {"0" * 16}) == 2, "-list: not bound to two modules:\n" + listing)


def case_wx():
    """Under W^X (the runtime's default) lldb cannot write into JIT code: the
    notification says so in one line, and the process goes on to its end."""
    scratch = harness.scratch_dir()
    go = os.path.join(scratch, "go")
    try:
        tr = run_live(["bpmd Breakpoints.dll Breakpoints.Program.Work", "platform shell touch " + go,
                       "process continue"], go, env={})
    finally:
        harness.cleanup(scratch)
    cont = tr.text_of("process continue")
    check("clrsos: bpmd: lldb could not write a breakpoint into the JIT-compiled code" in cont
          and "DOTNET_EnableWriteXorExecute=0" in cont, "no W^X error line:\n" + cont)
    check("exited with status = 0" in cont, "the process did not run to its end:\n" + cont)


def launch_stopped(commands):
    """lldb launches the Breakpoints target (no go file: it runs straight on)
    stopped at its entry, then runs commands."""
    command = harness.target_command("Breakpoints")
    return harness.lldb(["settings set target.env-vars DOTNET_EnableWriteXorExecute=0",
                         " ".join(["process launch -s --"] + command[1:])] + commands,
                        exe=harness.program_of(command))


def case_early():
    line = marked_line()
    spec = "Program.cs:%d" % line
    tr = launch_stopped(["image list libcoreclr.so",
                         "bpmd Breakpoints.dll Breakpoints.Program.Work",
                         "bpmd " + spec,
                         "bpmd -list",
                         "process continue", "clrstack",
                         "process continue", "clrstack",
                         "process continue"])
    check("error:" in tr.text_of("image list libcoreclr.so"), "the runtime was loaded before bpmd ran")
    for cmd in ("bpmd Breakpoints.dll Breakpoints.Program.Work", "bpmd " + spec):
        out = tr.text_of(cmd)
        check(tr.error(cmd) is None and out == "Adding pending breakpoints...", "%s before the runtime:\n%s" % (cmd, out))
    listing = tr.text_of("bpmd -list")
    check(re.search(r"^2 - Breakpoints\.dll!Breakpoints\.Program\.Work\+0, 0x0+, 0x00000000$", listing, re.M)
          and re.search(r"^1 - Program\.cs:%d, 0x0+, 0x00000000$" % line, listing, re.M),
          "-list before the runtime:\n" + listing)
    first = tr.text_of("process continue")
    check("JITTED Breakpoints!Breakpoints.Program.Work" in first and "stop reason = breakpoint" in first,
          "no stop in Work:\n" + first)
    # The target's own output: it reached Work, not the end.
    check("READY" in tr.text and "DONE" not in first, "the target ran past Work:\n" + first)
    top = frame0(tr.text_of("clrstack"))
    check("Breakpoints.Program.Work" in top, "first stop: frame 0 is not Work: " + top)
    # At Work's first instruction (its prolog): Work's first line, as SOS shows it.
    m = re.search(r"\[(?i:.*[\\|/]Program\.cs) @ (\d+)\s*\]", top)
    first_line, last_line = method_lines("Work")
    check(m and first_line <= int(m.group(1)) < last_line, "frame 0 is not on a line of Work: " + top)
    second = tr.text_of("process continue", 1)
    check("stop reason = breakpoint" in second and "DONE" not in second, "no stop in Later:\n" + second)
    top = frame0(tr.text_of("clrstack", 1))
    check("Breakpoints.Program.Later" in top and re.search(r"\[(?i:.*[\\|/]Program\.cs) @ %d\s*\]" % line, top),
          "second stop is not Later on line %d: %s" % (line, top))
    last = tr.text_of("process continue", 2)
    check(re.search(r"DONE \d+", last) and "exited with status = 0" in last, "the target did not finish:\n" + last)


def case_early_errors():
    bad = ["bpmd Breakpoints.dll", "bpmd Program.cs:x", "bpmd -md 0x1000",
           "bpmd -nofuturemodule Breakpoints.dll Breakpoints.Program.Work"]
    tr = launch_stopped(bad + ["bpmd -list", "bpmd Breakpoints.dll Breakpoints.Program.Work", "bpmd -clearall",
                               "bpmd -list", "process continue"])
    for cmd in bad:
        check(tr.error(cmd) is not None and len(tr.output(cmd)) == 1,
              "%r before the runtime: not one error line: %r" % (cmd, tr.output(cmd)))
    check(not [l for l in tr.text_of("bpmd -list").splitlines() if re.match(r"^\d+ - ", l)],
          "a failed bpmd left an entry:\n" + tr.text_of("bpmd -list"))
    check(tr.text_of("bpmd -clearall") == "All pending breakpoints cleared.", "-clearall before the runtime")
    cont = tr.text_of("process continue")
    check(re.search(r"DONE \d+", cont) and "exited with status = 0" in cont and "stop reason" not in cont,
          "with the pending breakpoint cleared the target must run to its end:\n" + cont)


def case_core():
    scratch = harness.scratch_dir()
    try:
        with harness.Target("Breakpoints", args=[os.path.join(scratch, "never")]) as t:
            core = harness.make_core(t, "full", scratch)
            exe = t.exe
        tr = harness.lldb(["bpmd Breakpoints.dll Breakpoints.Program.Work"], core=core, exe=exe)
    finally:
        harness.cleanup(scratch)
    e = tr.error("bpmd Breakpoints.dll Breakpoints.Program.Work")
    check(e is not None and "live process" in e, "bpmd on a core: %r" % e)


if __name__ == "__main__":
    harness.run_case({"name": case_name, "line": case_line, "manage": case_manage, "md": case_md, "future": case_future, "wx": case_wx,
                      "core": case_core, "early": case_early, "early-errors": case_early_errors})
