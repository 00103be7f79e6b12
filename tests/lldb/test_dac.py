"""The DAC (the runtime's own code, run inside lldb) can never take lldb down.

Cases:
  crash-cores   createdump cores of processes that died of an unhandled
                exception (Crasher: throw, nested, stackoverflow, divzero,
                task): every command ends with an answer or one error line;
                where the DAC faults, the error says so and lldb goes on.
  crash-live    the same, live, with lldb stopped at the abort.
  startup       a runtime stopped before and after a failed start-up (its GC
                heap could not be reserved): one clear error, no crash.
  startup-core  the same after the failed start, on a gdb core.
  mixed-dir     a runtime directory whose DAC is of another build than its
                libcoreclr.so: refused with one line.
  trust         a DAC below a directory others can write (no sticky bit),
                and a DAC that is a symlink into such a directory: refused.
"""

import os
import shutil
import re
import subprocess
import sys

import harness
from harness import check

COMMANDS = ["eeversion", "clrthreads", "dso", "clrstack", "pe", "dumpheap -stat",
            "gcroot {order}", "eeheap -gc"]


def one_line_or_answer(tr, command):
    """Each command either answered or failed with exactly one error line."""
    lines = tr.output(command)
    errors = [l for l in lines if l.startswith("error: ")]
    check(len(errors) <= 1, "%r: more than one error line: %r" % (command, errors))
    return errors[0] if errors else None


def check_session_goes_on(tr, kind):
    # lldb's own commands after ours: the debugger is alive and answering.
    check(any("thread #" in l for l in tr.output("thread list")),
          "%s: lldb's thread list after clrsos's commands printed no thread" % kind)


def run_commands(tr_commands, order):
    return [c.format(order=order) for c in tr_commands]


def crasher():
    """Crasher's command (under CLRSOS_RUNTIME its self-contained build for
    that runtime, else dotnet with its dll), and the program lldb and gdb are
    given for it: (program, arguments before Crasher's own)."""
    command = harness.target_command("Crasher")
    return harness.program_of(command), command[1:]


def on_runtime(*runtimes):
    """Whether this run is on one of the pinned older runtimes named."""
    return harness.RUNTIME in runtimes


def crash_core(kind, directory):
    """A createdump core written by the runtime as Crasher dies of kind."""
    core = os.path.join(directory, "core." + kind)
    env = dict(os.environ, DOTNET_DbgEnableMiniDump="1", DOTNET_DbgMiniDumpType="4",
               DOTNET_DbgMiniDumpName=core)
    r = subprocess.run(harness.target_command("Crasher") + [kind, "now"], env=env,
                       capture_output=True, text=True, timeout=300)
    truth = None
    for line in r.stdout.splitlines():
        if line.startswith("TRUTH "):
            import json
            truth = json.loads(line[6:])
    if r.returncode == 0 or truth is None or not os.path.exists(core):
        raise harness.Failure("Crasher %s did not die with a core: rc %d\n%s%s"
                              % (kind, r.returncode, r.stdout, r.stderr))
    return core, truth


def check_dso(tr, truth):
    """dso scans the stack as SOS does; -precise is the runtime's own list of live slots."""
    scan = tr.json("dso --json")
    precise = tr.json("dso -precise --json")["objects"]
    rows = {(r["slot"], r["object"]) for r in scan["objects"]}
    # Every live slot the runtime reports holds an object the scan finds there too.
    missing = [r for r in precise if r["slot"] != "0x0" and (r["slot"], r["object"]) not in rows]
    check(precise and not missing, "dso: slots the runtime reports that the scan missed: %s" % missing[:3])
    # The scan also sees the native frames of the dying thread, below its first managed frame:
    # the exception object the runtime's throw path holds there.
    first_managed = min(int(r["slot"], 16) for r in precise if r["slot"] != "0x0")
    below = [r for r in scan["objects"] if int(r["slot"], 16) < first_managed]
    if on_runtime("net9"):
        # SOS 10.0.750501's dso on the same core lists the same slots: none below.
        print("SKIP (.NET 9.0.23): the exception in the native frames below the lowest slot the "
              "runtime reports; this runtime's throw path leaves none there (SOS's dso agrees)")
    else:
        check(any(r["type"] == "System.InvalidOperationException" for r in below),
              "dso: no InvalidOperationException in the native frames below %x: %s"
              % (first_managed, below[:3]))
    lo, hi = (int(scan["scanned"][0][k], 16) for k in ("start", "end"))
    check(all(lo <= int(r["slot"], 16) < hi for r in scan["objects"] if r["slot"] != "0x0"),
          "dso: a slot outside the range it says it scanned")
    check(int(truth["orderAddress"], 16) in {int(r["object"], 16) for r in scan["objects"]}, "dso: no order")
    verified = tr.json("dso -verify --json")["objects"]
    check(len(verified) <= len(scan["objects"]) and verified, "dso -verify: %d of %d" %
          (len(verified), len(scan["objects"])))
    check("both ends" in (tr.error("dso 1") or ""), "dso 1: %r" % tr.error("dso 1"))
    check("takes no range" in (tr.error("dso -precise 0x1000 0x2000") or ""),
          "dso -precise with a range: %r" % tr.error("dso -precise 0x1000 0x2000"))


def case_crash_cores():
    d = harness.scratch_dir()
    try:
        for kind in ("throw", "nested", "stackoverflow", "divzero", "nullref", "async", "task"):
            core, truth = crash_core(kind, d)
            base = run_commands(COMMANDS, truth["orderAddress"])
            # Last (it selects a thread): clrthreads -managedexception finds the thread that threw.
            extra = ["clrthreads -managedexception", "thread info"] if kind == "throw" else []
            if kind == "throw":
                extra = ["dso --json", "dso -precise --json", "dso -verify --json", "dso 1",
                         "dso -precise 0x1000 0x2000"] + extra
            if kind == "nested":
                extra = ["pe -nested --json", "pe -nested"]
            cmds = base + ["dumpheap -stat -type Crasher.Order --json", "thread list"] + extra
            tr = harness.lldb(cmds, core=core, exe=crasher()[0])
            if kind == "throw":
                # The main thread (its tid is the pid) died of the exception.
                me = tr.text_of("clrthreads -managedexception").strip()
                check(me == "Found managed exception on thread %x" % truth["pid"],
                      "throw: clrthreads -managedexception said %r, the main thread is %x" % (me, truth["pid"]))
                check("tid = %d," % truth["pid"] in tr.text_of("thread info"),
                      "throw: -managedexception did not select the main thread: %r" % tr.text_of("thread info"))
            crashed = False
            for c in base:
                err = one_line_or_answer(tr, c)
                if err and "DAC crashed" in err:
                    crashed = True
                    check("lldb goes on" in err and "new DAC instance" in err,
                          "%s: %r: the crash error does not say what happens next: %s" % (kind, c, err))
            # The whole answers: the DAC's walk of the dying thread's references reads the stack
            # through the pointers the runtime's exception frames keep (core/dac/stackmirror.h).
            check(not crashed, "%s: the DAC crashed" % kind)
            order = truth["orderAddress"]
            gr = tr.text_of("gcroot " + order)
            m = re.search(r"Found (\d+) unique roots", gr)
            # Main holds the order to the end; on the overflowed stack, every Recurse frame holds it too.
            holder = "Crasher.Program.Recurse" if kind == "stackoverflow" else "Crasher.Program.Main"
            check(m and int(m.group(1)) >= 1 and holder in gr,
                  "%s: gcroot of the order found no root in %s: %r" % (kind, holder, gr[-600:]))
            check(int(order, 16) in [int(w, 16) for l in tr.output("dso") for w in l.split()[1:2]
                                     if re.fullmatch(r"[0-9a-f]{16}", w)],
                  "%s: dso does not list the order %s: %r" % (kind, order, tr.output("dso")[-8:]))
            # The selected thread is the one that died: its managed frames down to the thread's start.
            bottom = {"stackoverflow": "Crasher.Program.Recurse", "task": "Thread.StartCallback"}.get(
                kind, "Crasher.Program.Main")
            if kind == "task" and on_runtime("net8", "net9"):
                # Before .NET 10 the unhandled exception's catch handler is the
                # thread's last frame; SOS's clrstack on the same core ends there too.
                print("task: before .NET 10 the stack ends at DebuggerU2MCatchHandlerFrame "
                      "(no Thread.StartCallback frame); SOS's clrstack agrees")
                bottom = "DebuggerU2MCatchHandlerFrame"
            if kind == "stackoverflow":
                check("Warning: the walk stopped after 65536 frames" in tr.text_of("clrstack"),
                      "stackoverflow: clrstack does not say it stopped short: %r" % tr.output("clrstack")[-2:])
            else:
                check("Warning: the walk stopped" not in tr.text_of("clrstack"), "%s: clrstack truncated" % kind)
            check(bottom in tr.text_of("clrstack"),
                  "%s: clrstack does not reach %s: %r" % (kind, bottom, tr.output("clrstack")[-5:]))
            if kind == "throw":
                check_dso(tr, truth)
            # pe names what killed the process.
            died_of = {"nested": "ApplicationException", "stackoverflow": "StackOverflowException",
                       "divzero": "DivideByZeroException", "nullref": "NullReferenceException"}.get(
                kind, "InvalidOperationException")
            check(re.search(r"^Exception type:\s+System\.%s$" % died_of, tr.text_of("pe"), re.M),
                  "%s: pe does not say System.%s: %r" % (kind, died_of, tr.output("pe")[:3]))
            # Thrown from catch blocks: SOS's hint to the inner exception, and its line on nested ones.
            nested_line = "There are nested exceptions on this thread. Run with -nested for details"
            check((nested_line in tr.text_of("pe")) == (kind == "nested"),
                  "%s: pe's nested-exceptions line: %r" % (kind, tr.output("pe")[-2:]))
            if kind == "nested":
                check(re.search(r"^InnerException:\s+System\.FormatException, Use printexception [0-9A-F]{16} "
                                r"to see more\.$", tr.text_of("pe"), re.M),
                      "nested: pe's InnerException line: %r" % tr.output("pe")[:5])
                # -nested as SOS: the thread's nested exception records, the ones in flight when the
                # outer one was thrown (Middle's FormatException, Fail's InvalidOperationException).
                nested = [n["type"] for n in tr.json("pe -nested --json").get("nestedExceptions", [])]
                want = ["System.FormatException", "System.InvalidOperationException"]
                if on_runtime("net8"):
                    # .NET 8.0.34 keeps one nested record on this thread; SOS's
                    # pe -nested on the same core prints the same, byte for byte.
                    print("nested: .NET 8 keeps one nested exception record, not two (SOS agrees)")
                    want = want[:1]
                check(nested == want, "nested: pe -nested lists %s, expected %s" % (nested, want))
                check(tr.text_of("pe -nested").count("\nNested exception -----") == len(want)
                      and nested_line not in tr.text_of("pe -nested"), "nested: pe -nested's layout")
            # After any crash, the next commands still answer: the order the
            # dying thread held is on the heap, once.
            order = tr.json("dumpheap -stat -type Crasher.Order --json")["statistics"]
            check([(s["type"], s["count"]) for s in order] == [("Crasher.Order", 1)],
                  "%s: dumpheap after the DAC's crash: %r" % (kind, order))
            # Whatever the DAC does, eeversion names the runtime.
            check(any(".NET runtime" in l for l in tr.output("eeversion")),
                  "%s: eeversion did not name the runtime" % kind)
            print("%s: the DAC %s" % (kind, "crashed and was contained" if crashed else "did not crash"))
            check_session_goes_on(tr, kind)
            os.unlink(core)
    finally:
        harness.cleanup(d)


def case_crash_live():
    program, pre = crasher()
    cmds = ["process launch -- %s" % " ".join(pre + ["throw", "now"]), "plugin load " + harness.PLUGIN,
            "dso", "clrstack", "gcroot $rdi", "eeversion", "thread list", "process kill"]
    tr = harness.lldb(cmds, exe=program, load_plugin=False)
    check(any("signal SIGABRT" in l for l in tr.output(cmds[0])),
          "the process did not stop at its abort: %r" % tr.output(cmds[0]))
    for c in ("dso", "clrstack", "gcroot $rdi", "eeversion"):
        one_line_or_answer(tr, c)
    # A live process is never called a core in an error.
    check("core" not in (tr.error("gcroot $rdi") or ""), "live: gcroot $rdi: %r" % tr.error("gcroot $rdi"))
    # Stopped at the abort, the dying thread's references are whole (core/dac/stackmirror.h).
    check(tr.error("dso") is None and "Crasher.Order" in tr.text_of("dso"),
          "live at the abort: dso did not list the order: %r" % tr.output("dso")[-5:])
    check("Crasher.Program.Main" in tr.text_of("clrstack"),
          "live at the abort: clrstack does not reach Main: %r" % tr.output("clrstack")[-5:])
    check(any(".NET runtime" in l for l in tr.output("eeversion")),
          "live at the abort: eeversion after the other commands did not name the runtime")
    check_session_goes_on(tr, "live")


def case_startup():
    program, pre = crasher()
    # A GC region range that cannot be reserved: the runtime's start fails
    # after its GC heap type is set, before the heap exists.
    for stop in ("before", "after"):
        cmds = ["settings set target.env-vars DOTNET_GCRegionRange=0x7FFFFFFFFFFF",
                "breakpoint set -n coreclr_initialize",
                "process launch -- %s" % " ".join(pre + ["wait", "now"])]
        if stop == "after":
            cmds.append("thread step-out")
        ours = ["clrthreads", "dumpheap -stat", "eeheap -gc", "clrstack", "gcroot 0x1000"]
        cmds += ["plugin load " + harness.PLUGIN] + ours + ["thread list", "process kill"]
        tr = harness.lldb(cmds, exe=program, load_plugin=False)
        for c in ours:
            err = one_line_or_answer(tr, c)
            check(err is not None, "%s start-up: %r answered on a runtime with no heap" % (stop, c))
            if err and stop == "after":
                check("not initialised" in err, "%s start-up: %r: %s" % (stop, c, err))
            if err and stop == "before":
                check("not initialised" in err or "not started" in err,
                      "%s start-up: %r: %s" % (stop, c, err))
        check_session_goes_on(tr, "start-up " + stop)


def case_startup_core():
    """The same after a failed start, on a core (gdb's gcore, stopped there)."""
    program, pre = crasher()
    d = harness.scratch_dir()
    try:
        core = os.path.join(d, "core.startup")
        r = subprocess.run(["gdb", "-batch", "-nx",
                            "-ex", "set environment DOTNET_GCRegionRange=0x7FFFFFFFFFFF",
                            "-ex", "set breakpoint pending on", "-ex", "break coreclr_initialize",
                            "-ex", "run", "-ex", "finish", "-ex", "gcore " + core, "-ex", "kill",
                            "--args", program] + pre + ["wait", "now"],
                           capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
        if not os.path.exists(core):
            raise harness.Failure("gdb made no core at start-up: " + r.stdout[-2000:] + r.stderr[-2000:])
        ours = ["eeversion", "clrthreads", "dumpheap -stat", "eeheap -gc", "clrstack", "dso"]
        tr = harness.lldb(ours + ["image list libcoreclr.so"], core=core, exe=program)
    finally:
        harness.cleanup(d)
    for c in ours:
        err = one_line_or_answer(tr, c)
        check(err is not None and "not initialised" in err, "start-up core: %r: %s" % (c, err))
    check(any("libcoreclr.so" in l for l in tr.output("image list libcoreclr.so")),
          "start-up core: lldb's own image list after clrsos's commands")


def copy_runtime(rt, directory, dac_from=None):
    os.makedirs(directory, exist_ok=True)
    shutil.copy(os.path.join(dac_from or rt, "libmscordaccore.so"), directory)
    shutil.copy(os.path.join(rt, "libcoreclr.so"), directory)


def case_mixed_dir():
    older = os.path.join(harness.TARGETS_DIR, "HeapShapes-net8")
    if not os.path.exists(os.path.join(older, "libmscordaccore.so")):
        print("SKIP: no .NET 8 runtime pack here to take another build's DAC from")
        sys.exit(harness.SKIP)
    d = harness.scratch_dir()
    try:
        with harness.Target("HeapShapes") as t:
            copy_runtime(harness.runtime_dir(t.truth), d, dac_from=older)
            tr = harness.lldb(["setclrpath " + d, "dumpheap -stat", "eeversion",
                               "setclrpath -clear", "eeheap -gc"], pid=t.pid)
    finally:
        harness.cleanup(d)
    err = one_line_or_answer(tr, "dumpheap -stat")
    check(err is not None and "another runtime build" in err and "mixes two builds" in err,
          "a DAC of another build was not refused: %r" % err)
    check(one_line_or_answer(tr, "eeheap -gc") is None, "the runtime's own DAC after -clear failed")


def case_trust():
    d = harness.scratch_dir()
    try:
        with harness.Target("HeapShapes") as t:
            rt = harness.runtime_dir(t.truth)
            # The runtime two levels below a directory anyone can write.
            open_dir = os.path.join(d, "open")
            os.makedirs(open_dir)
            os.chmod(open_dir, 0o777)
            below = os.path.join(open_dir, "rt")
            copy_runtime(rt, below)
            # A runtime directory of its own whose DAC links into that directory.
            linked = os.path.join(d, "linked")
            os.makedirs(linked)
            shutil.copy(os.path.join(rt, "libcoreclr.so"), linked)
            os.symlink(os.path.join(below, "libmscordaccore.so"),
                       os.path.join(linked, "libmscordaccore.so"))
            # A clean copy, to show that the refusals are about trust only.
            clean = os.path.join(d, "clean")
            copy_runtime(rt, clean)
            tr1 = harness.lldb(["clrsos settings runtime-dir " + below, "eeheap -gc"], pid=t.pid)
            tr2 = harness.lldb(["clrsos settings runtime-dir " + linked, "eeheap -gc"], pid=t.pid)
            # The environment's value, as older scripts set it.
            tr3 = harness.lldb(["eeheap -gc"], pid=t.pid, env={"CLRSOS_RUNTIME_DIR": clean})
    finally:
        harness.cleanup(d)
    e1 = one_line_or_answer(tr1, "eeheap -gc")
    check(e1 is not None and "refused" in e1 and open_dir + " is writable by other users" in e1,
          "a DAC below a world-writable directory was not refused: %r" % e1)
    e2 = one_line_or_answer(tr2, "eeheap -gc")
    check(e2 is not None and "refused" in e2 and "writable by other users" in e2,
          "a DAC symlinked into a world-writable directory was not refused: %r" % e2)
    check(one_line_or_answer(tr3, "eeheap -gc") is None, "a clean copy of the runtime was refused")


CASES = {
    "crash-cores": case_crash_cores,
    "crash-live": case_crash_live,
    "startup": case_startup,
    "startup-core": case_startup_core,
    "mixed-dir": case_mixed_dir,
    "trust": case_trust,
}

if __name__ == "__main__":
    harness.run_case(CASES)
