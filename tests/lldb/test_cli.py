"""clrsos as a command-line user and a script meet it.

usage: test_cli.py <case>
  json-errors      docs/commands.md's recipe for clean JSON out of `lldb -b`
                   (lldb -b -Q ..., the lines that start with '{'): each
                   --json command, failing or not, gives one JSON object that
                   json.loads reads; a failure is {"error", "code", "command"}
                   with lldb's failed status
  case             `clrsos <Command>` in any case, as `sos <Command>` is;
                   `clrsos` and `help clrsos` list the commands
  healthy-warnings no "Warning:" line from gcroot, gcroot -nostacks or
                   dumpheap -live on healthy processes (HeapShapes; the demo's
                   ASP.NET service, whose FileSystemWatcher thread holds a
                   byref into its own stack), live and on a core
"""

import json
import os
import re
import shutil
import subprocess
import time

import harness
from harness import check

DOTNET = shutil.which("dotnet")


def recipe(core, exe, *commands, load=True):
    """docs/commands.md's recipe, as a script runs it: lldb -b -Q, then the
    lines of stdout that start with '{'. Returns (objects, status, stderr)."""
    args = [harness.LLDB, "-b", "-Q"]
    if core:
        args += [exe, "-c", core]
    if load:
        args += ["-o", "plugin load " + harness.PLUGIN]
    for c in commands:
        args += ["-o", c]
    env = dict(os.environ)
    env["PYTHONPATH"] = harness.LLDB_PYTHONPATH
    if os.environ.get("CLRSOS_LLDB_PRELOAD"):  # the plugin under ASan+UBSan: as harness.lldb runs it
        env["LD_PRELOAD"] = os.environ["CLRSOS_LLDB_PRELOAD"]
        env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=1:detect_odr_violation=0"
        env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       env=env, timeout=300, stdin=subprocess.DEVNULL)
    print("$ %s\n--- stdout:\n%s--- stderr:\n%s--- status %d" % (" ".join(args), r.stdout, r.stderr, r.returncode),
          flush=True)
    if (r.returncode < 0 or "PLEASE submit a bug report" in r.stderr or "ERROR: AddressSanitizer" in r.stderr
            or ": runtime error: " in r.stderr):
        raise harness.Failure("lldb crashed (status %d)" % r.returncode)
    objects = []
    for line in r.stdout.splitlines():
        if line.startswith("{"):
            try:
                objects.append(json.loads(line))
            except ValueError as e:
                check(False, "%r: a line of stdout that is not JSON: %s: %r" % (commands, e, line[:300]))
    return objects, r.returncode, r.stderr


def expect_error(core, exe, command, code, needle, load=True):
    objects, status, stderr = recipe(core, exe, command, load=load)
    if not check(len(objects) == 1, "%r: expected one JSON object on stdout, got %d" % (command, len(objects))):
        return
    o = objects[0]
    check(status != 0, "%r failed but lldb -b exited with status 0" % command)
    check(set(o) >= {"error", "code", "command"}, "%r: error object lacks a field: %r" % (command, o))
    check(o.get("code") == code, "%r: code %r, expected %r" % (command, o.get("code"), code))
    check(needle in (o.get("error") or ""), "%r: error %r lacks %r" % (command, o.get("error"), needle))
    name = command.split()[1].lower() if command.startswith("clrsos ") else command.split()[0]
    check(o.get("command") in (name, {"do": "dumpobj"}.get(name)),
          "%r: command %r" % (command, o.get("command")))
    # The error line stays for a person, on stderr.
    check("error: " + o.get("error", "?") in stderr, "%r: no error line on stderr" % command)


def case_json_errors():
    scratch = harness.scratch_dir()
    try:
        core, exe, truth = harness.core_of_finished("HeapShapes", "full", scratch)
        address = truth["roots"]["gcroot"]["staticChain"]["address"]
        # Successes: one object each, status 0, nothing else that looks like JSON.
        objects, status, _ = recipe(core, exe, "eeversion --json", "dumpheap -stat --json",
                                    "gcroot %s --json" % address)
        check(status == 0, "the successful --json commands: lldb status %d" % status)
        if check(len(objects) == 3, "three --json commands gave %d JSON objects" % len(objects)):
            check(objects[0].get("runtimeVersion") == truth["runtime"],
                  "eeversion --json: runtimeVersion %r, the target says %r"
                  % (objects[0].get("runtimeVersion"), truth["runtime"]))
            check(objects[1].get("totalObjects", 0) > 0, "dumpheap -stat --json: no objects")
            check(objects[2].get("count", 0) >= 1, "gcroot --json: no root of the static chain's object")
            check(not any("error" in o for o in objects), "an error object among successes: %r" % objects)
        # Failures, each kind a script may meet.
        expect_error(core, exe, "dumpobj 0 --json", "fault", "0x0")
        expect_error(core, exe, "gcroot 0x10 --json", "fault", "0x10")
        expect_error(core, exe, "dumpheap -gen gen7 --json", "invalidArgument", "gen7")
        expect_error(core, exe, "dumpheap -bogus --json", "invalidArgument", "-bogus")
        expect_error(core, exe, "clrsos DumpObj 0 --json", "fault", "0x0")
        expect_error(core, exe, "dumpstring %s --json" % address, "invalidArgument", "not a string")
        expect_error(None, None, "eeheap -gc --json", "noTarget", "no target")
        # A name with quotes, backslashes and control characters stays one valid JSON line.
        expect_error(core, exe, r'dumpheap -gen "a\"b\\c' + "\t" + r'd" --json', "invalidArgument", 'a"b')
        # An answer, then a failure (eeversion without a DAC): one object, both.
        empty = os.path.join(scratch, "empty")
        os.mkdir(empty)
        objects, status, _ = recipe(core, exe, "setclrpath " + empty, "eeversion --json")
        check(status != 0, "eeversion without a DAC: lldb status 0")
        if check(len(objects) == 1, "eeversion --json without a DAC: %d JSON objects" % len(objects)):
            o = objects[0]
            check(o.get("runtimeVersion") == truth["runtime"] and o.get("dacPath", 1) is None,
                  "eeversion --json without a DAC lost what the target holds: %r" % o)
            check(o.get("code") == "dac" and "libmscordaccore.so" in o.get("error", "")
                  and o.get("command") == "eeversion", "eeversion --json without a DAC: error %r" % o)
        # A failure after a success: the success's object, then the error's, nothing half-written.
        objects, status, _ = recipe(core, exe, "eeversion --json", "dumpobj 0 --json", "eeheap -gc --json")
        check(status != 0, "a failed command: lldb status 0")
        check([("error" in o) for o in objects] == [False, True],
              "eeversion, then a failing dumpobj (lldb -b stops there): %r" % objects)
    finally:
        harness.cleanup(scratch)


def case_case():
    with harness.Target("HeapShapes") as t:
        address = t.truth["roots"]["gcroot"]["staticChain"]["address"]
        commands = ["dumpobj %s" % address, "clrsos dumpobj %s" % address, "clrsos DUMPOBJ %s" % address,
                    "clrsos DumpObj %s" % address, "clrsos DO %s" % address,
                    "dumpheap -stat -type HeapShapes.Chain", "clrsos DumpHeap -stat -type HeapShapes.Chain",
                    "clrsos", "clrsos help", "help clrsos", "clrsos Help DumpHeap", "clrsos nosuchcommand",
                    "clrsos nosuchcommand --json", "clrsos help nosuchcommand", "eeversion"]
        tr = harness.lldb(commands, pid=t.pid)
    want = tr.text_of("dumpobj %s" % address)
    check("HeapShapes.ChainC" in want, "dumpobj %s: not the ChainC the target names:\n%s" % (address, want))
    for c in commands[1:5]:
        check(tr.error(c) is None, "%r failed: %s" % (c, tr.error(c)))
        check(tr.text_of(c) == want, "%r differs from dumpobj:\n%s" % (c, tr.text_of(c)))
    stat = tr.text_of("dumpheap -stat -type HeapShapes.Chain")
    check("HeapShapes.ChainA" in stat, "dumpheap -stat -type HeapShapes.Chain lists no ChainA")
    check(tr.text_of("clrsos DumpHeap -stat -type HeapShapes.Chain") == stat,
          "clrsos DumpHeap -stat differs from dumpheap -stat")
    for c in ("clrsos", "clrsos help", "help clrsos"):
        text = tr.text_of(c)
        check(tr.error(c) is None, "%r failed: %s" % (c, tr.error(c)))
        for name in ("eeversion", "dumpheap", "dumpobj (do)", "gcroot", "finalizequeue (fq)", "setclrpath"):
            check(re.search(r"^\s+%s\s" % re.escape(name), text, re.M),
                  "%r does not list %s:\n%s" % (c, name, text))
    check("dumpheap [-stat]" in tr.text_of("clrsos Help DumpHeap"),
          "clrsos Help DumpHeap does not show dumpheap's syntax")
    for c in ("clrsos nosuchcommand", "clrsos help nosuchcommand"):
        e = tr.error(c)
        check(e is not None and "'nosuchcommand'" in e and "clrsos help" in e,
              "%r: error %r should name the word and where the list is" % (c, e))
    j = tr.json("clrsos nosuchcommand --json")
    check(j.get("code") == "invalidArgument" and j.get("command") == "clrsos",
          "clrsos nosuchcommand --json: %r" % j)
    check(tr.error("eeversion") is None, "the session is not usable after the errors")


def no_warnings(tr, commands, where):
    for c in commands:
        lines = tr.output(c)
        check(tr.error(c) is None, "%s: %r failed: %s" % (where, c, tr.error(c)))
        warned = [l for l in lines if "Warning" in l or "warning" in l]
        check(not warned, "%s: %r warns on a healthy process: %r" % (where, c, warned))


def start_service(scratch):
    """The demo's ASP.NET service, listening: (Popen, host program)."""
    service = os.path.join(os.path.dirname(os.path.abspath(harness.TARGETS_DIR)), "demo", "DiagScenario",
                           "DiagScenario.dll")
    if not os.path.exists(service):
        raise harness.Failure("the demo service is not built: " + service)
    log = open(os.path.join(scratch, "service.log"), "w+")
    p = subprocess.Popen([DOTNET, service, "--urls", "http://127.0.0.1:0"], stdout=log, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, start_new_session=True, cwd=scratch)
    deadline = time.time() + 60
    while time.time() < deadline:
        log.seek(0)
        if "Now listening on" in log.read():
            time.sleep(1)  # its background threads (configuration file watchers) start
            return p, os.readlink("/proc/%d/exe" % p.pid)
        if p.poll() is not None:
            break
        time.sleep(0.2)
    p.kill()
    log.seek(0)
    raise harness.Failure("the demo service did not start:\n" + log.read())


def stop(p):
    if p.poll() is None:
        p.kill()
    p.wait()


def case_healthy_warnings():
    scratch = harness.scratch_dir()
    try:
        # HeapShapes, live: its stack-only objects, thread statics, pinned handles.
        with harness.Target("HeapShapes") as t:
            address = t.truth["roots"]["gcroot"]["staticChain"]["address"]
            commands = ["gcroot %s" % address, "gcroot -nostacks %s" % address, "dumpheap -live -stat"]
            tr = harness.lldb(commands, pid=t.pid)
            no_warnings(tr, commands, "HeapShapes live")
        # The demo's service, live and on a full core.
        p, exe = start_service(scratch)
        try:
            first = harness.lldb(["dumpheap -short -type System.Object[]"], pid=p.pid)
            addresses = [l.strip() for l in first.output("dumpheap -short -type System.Object[]")
                         if re.match(r"^\s*[0-9a-f]{8,16}\s*$", l)]
            if not addresses:
                raise harness.Failure("no System.Object[] on the service's heap")
            a = addresses[0]
            commands = ["gcroot %s" % a, "gcroot -nostacks %s" % a, "dumpheap -live -stat",
                        "gcroot -nostacks %s --json" % a, "dumpheap -live -stat --json"]
            checked = commands[:3]
            tr = harness.lldb(commands, pid=p.pid)
            no_warnings(tr, checked, "the service, live")
            core = harness.make_core(Service(p.pid), "full", scratch)
        finally:
            stop(p)
        tr2 = harness.lldb(commands, core=core, exe=exe)
        no_warnings(tr2, checked, "the service's core")
        for t_ in (tr, tr2):
            for c in commands[3:]:
                j = t_.json(c)
                check(j.get("warnings") == [], "%r: warnings %r" % (c, j.get("warnings")))
                check(isinstance(j.get("stackSlotsNotObjects"), int),
                      "%r: no stackSlotsNotObjects count: %r" % (c, sorted(j)))
    finally:
        harness.cleanup(scratch)


class Service:
    """What harness.make_core needs of a process: its pid and runtime directory."""

    def __init__(self, pid):
        self.pid = pid
        with open("/proc/%d/maps" % pid) as f:
            for line in f:
                if line.rstrip().endswith("/libcoreclr.so"):
                    self.truth = {"runtimeDirectory": os.path.dirname(line.split()[-1])}
                    return
        raise harness.Failure("no libcoreclr.so in the service")


if __name__ == "__main__":
    harness.run_case({
        "json-errors": case_json_errors,
        "case": case_case,
        "healthy-warnings": case_healthy_warnings,
    })
