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
                   byref into its own stack), live and on a core; under
                   CLRSOS_RUNTIME both run that runtime's build
  aliases          every one of SOS's names for a command clrsos has (ALIASES),
                   as an lldb command and after `clrsos` and `sos` in several
                   cases, gives the main name's output and status exactly, on
                   a core; `help clrsos` and `help <alias>` name them; names of
                   SOS commands clrsos lacks, and names in a case nobody
                   registered, fail as lldb fails any unknown command
  coexist          SOS's plugin in the same lldb: a stand-in (a Python command
                   `sos` and `dumpobj`) and, when found, SOS's own
                   libsosplugin.so (CLRSOS_SOSPLUGIN, or dotnet-dump's under
                   /tmp/dd or ~/.dotnet/tools): loaded first, it keeps `sos`
                   and every SOS name, clrsos says so once and `clrsos <cmd>`
                   works; loaded after clrsos, it takes its names back
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
        for name in ("eeversion", "dumpheap", "dumpobj", "gcroot", "finalizequeue", "inspect", "setclrpath", "nativeheap"):
            check(re.search(r"^  %s\s" % re.escape(name), text, re.M),
                  "%r does not list %s:\n%s" % (c, name, text))
        for also in ("do, DumpObj", "fq, FinalizeQueue"):
            check(re.search(r"^\s+also: %s$" % re.escape(also), text, re.M),
                  "%r does not list the aliases %s:\n%s" % (c, also, text))
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
    """The demo's ASP.NET service, listening: (Popen, host program). Under
    CLRSOS_RUNTIME, its self-contained build for that runtime (with the ASP.NET
    Core runtime pack of the same patch)."""
    if harness.RUNTIME:
        command = harness.target_command("DiagScenario")
    else:
        service = os.path.join(os.path.dirname(os.path.abspath(harness.TARGETS_DIR)), "demo", "DiagScenario",
                               "DiagScenario.dll")
        if not os.path.exists(service):
            raise harness.Failure("the demo service is not built: " + service)
        command = [DOTNET, service]
    log = open(os.path.join(scratch, "service.log"), "w+")
    p = subprocess.Popen(command + ["--urls", "http://127.0.0.1:0"], stdout=log, stderr=subprocess.STDOUT,
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
            service = Service(p.pid)
            if harness.RUNTIME:
                # Self-contained: its runtime lies beside the program.
                check(os.path.realpath(service.truth["runtimeDirectory"]) == os.path.dirname(exe),
                      "the service runs the pinned runtime beside %s: its libcoreclr.so is in %s" %
                      (exe, service.truth["runtimeDirectory"]))
            core = harness.make_core(service, "full", scratch)
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


# SOS's names for the commands clrsos has (docs/commands.md#names): from
# SOS's lldb plugin (soscommand.cpp), its managed commands' [Command]
# aliases and the exports of its library (sos.def).
ALIASES = {
    "eeversion": ["EEVersion"],
    "eeheap": ["EEHeap"],
    "dumpheap": ["DumpHeap"],
    "dumpobj": ["do", "DumpObj"],
    "dumpvc": ["DumpVC"],
    "dumpmt": ["DumpMT"],
    "dumparray": ["da", "DumpArray"],
    "gcroot": ["GCRoot"],
    "objsize": ["ObjSize"],
    "gchandles": ["GCHandles"],
    "finalizequeue": ["fq", "FinalizeQueue"],
    "clrthreads": ["t"],
    "clrstack": ["ClrStack", "CLRStack"],
    "dso": ["dumpstackobjects", "DumpStackObjects"],
    "dumpstack": ["DumpStack"], "eestack": ["EEStack"],
    "pe": ["printexception", "PrintException", "Printexception"],
    "setclrpath": ["SetClrPath"],
    "sosstatus": ["SOSStatus"],
    "runtimes": ["setruntime"],
    "clrmodules": ["assemblies"],
    "syncblk": ["SyncBlk"],
    "analyzeoom": ["ao", "AnalyzeOOM"],
    "dumpruntimetypes": ["DumpRuntimeTypes", "Dumpruntimetypes"],
    "timerinfo": ["ti"],
    "dumpalc": ["DumpALC"],
    "dumpdelegate": ["DumpDelegate"],
    "threadstate": ["ThreadState"],
    "dumpdomain": ["DumpDomain"], "dumpclass": ["DumpClass"], "name2ee": ["Name2EE"], "token2ee": ["Token2EE"],
    "sethostruntime": ["SetHostRuntime"], "setsymbolserver": ["SetSymbolServer"],
}
# Names lldb holds itself (t: lldb's alias of `thread select`): reached only
# after clrsos or sos.
LLDB_HOLDS = {"t"}
# Names of SOS commands clrsos does not have, and names in a case nobody
# registered: lldb fails them as it fails any unknown command.
# No progress lines: the same command under two names must print the same.
QUIET = {"CLRSOS_PROGRESS_AFTER_MS": "3600000"}
UNKNOWN = ["soshelp", "dumprcw", "dumpccw",
           "DUMPOBJ", "Dumpheap", "gcRoot"]


def alias_arguments(truth):
    """Arguments for each command: the same run of the command under every name."""
    o = truth["objects"]
    af, sh, arr = o["allFields"], o["structHolder"], o["arrays"]
    single = [f for f in sh["fields"] if f["name"] == "Single"][0]
    return {
        "eeversion": "", "eeheap": "-gc", "dumpheap": "-stat -type HeapShapes.Chain",
        "dumpobj": af["address"], "dumpvc": "%s %s" % (single["fieldTypeMT"], single["fieldAddress"]),
        "dumpmt": af["mt"], "dumparray": arr["ints"]["address"],
        "gcroot": truth["roots"]["gcroot"]["staticChain"]["address"],
        "objsize": truth["roots"]["gcroot"]["staticChain"]["address"], "gchandles": "-stat",
        "finalizequeue": "", "clrthreads": "", "clrstack": "", "dso": "", "sethostruntime": "", "setsymbolserver": "-ms",
        "dumpstack": "-EE", "eestack": "-EE",
        "pe": truth["threads"]["exception"]["address"], "setclrpath": "",
        "sosstatus": "", "runtimes": "", "clrmodules": "", "syncblk": "-all", "analyzeoom": "",
        "dumpruntimetypes": "", "timerinfo": "", "threadstate": "1020", "dumpalc": af["address"],
        "dumpdelegate": truth["roots"]["gcroot"]["eventDelegate"]["roots"][0]["path"][1],
        "dumpdomain": "", "dumpclass": truth["threads"]["StackHolderThread"]["mainMethodTable"],
        "name2ee": "HeapShapes.dll HeapShapes.Program",
        "token2ee": "HeapShapes %08x" % truth["threads"]["StackHolderThread"]["mainTypeToken"],
    }


def swapped(name):
    return "".join(ch.lower() if ch.isupper() else ch.upper() for ch in name)


def case_aliases():
    scratch = harness.scratch_dir()
    try:
        core, exe, truth = harness.core_of_finished("HeapShapes", "full", scratch)
        args = alias_arguments(truth)
        line = lambda name, c: ("%s %s" % (name, args[c])).strip()
        variants = {}  # main command line -> the lines that must give the same
        for c, aliases in ALIASES.items():
            runs = ["clrsos %s" % line(c.upper(), c), "sos %s" % line(c, c)]
            for a in aliases:
                if a not in LLDB_HOLDS:
                    runs.append(line(a, c))
                runs += ["clrsos %s" % line(a, c), "sos %s" % line(swapped(a), c),
                         "clrsos %s" % line(a.upper(), c)]
            variants[line(c, c)] = runs
        commands = []
        for main, runs in variants.items():
            commands += [main] + runs + ["%s --json" % main, "sos %s --json" % main]
        commands += ["help clrsos", "help sos", "sos", "sos help DumpObj", "help do", "help DumpStackObjects",
                     "help printexception", "t", "nosuchcommandxyz"]
        commands += ["%s 0" % u for u in UNKNOWN] + ["sos soshelp 0", "clrsos dumprcw"]
        tr = harness.lldb(commands, core=core, exe=exe, env=QUIET)
    finally:
        harness.cleanup(scratch)
    for main, runs in variants.items():
        want, want_error = tr.text_of(main), tr.error(main)
        check(want.strip() != "", "%r printed nothing" % main)
        if main.split()[0] not in ("pe", "dso", "setclrpath"):
            check(want_error is None, "%r failed: %s" % (main, want_error))
        for r in runs:
            check(tr.text_of(r) == want, "%r differs from %r:\n%s\n--- %r:\n%s" % (r, main, tr.text_of(r), main, want))
        j = tr.json("%s --json" % main)
        check(tr.json("sos %s --json" % main) == j, "sos %s --json differs" % main)
    # The lists and each alias's help.
    for c in ("help clrsos", "help sos", "sos"):
        text = tr.text_of(c)
        for name, aliases in ALIASES.items():
            check(re.search(r"^  %s\s+\S" % re.escape(name), text, re.M), "%r does not list %s" % (c, name))
            check(re.search(r"^\s+also: %s$" % re.escape(", ".join(aliases)), text, re.M),
                  "%r does not list %s's names %s:\n%s" % (c, name, aliases, text))
    check("Also: do, DumpObj (SOS's names)" in tr.text_of("sos help DumpObj"), "sos help DumpObj: no aliases")
    help_do = tr.text_of("help do")
    check("dumpobj <address>" in help_do and "SOS's name for dumpobj" in help_do.replace("\n", " "),
          "help do: not dumpobj's help:\n%s" % help_do)
    check("dso [-verify]" in tr.text_of("help DumpStackObjects"), "help DumpStackObjects: not dso's help")
    check("pe [<address>]" in tr.text_of("help printexception"), "help printexception: not pe's help")
    # t stays lldb's (thread select): not clrthreads' table.
    check(tr.text_of("t") != tr.text_of("clrthreads"), "t runs clrthreads, lldb's alias is taken over")
    # Unknown names fail as lldb fails them.
    lldb_says = tr.error("nosuchcommandxyz")
    check(lldb_says == "'nosuchcommandxyz' is not a valid command.", "lldb's own error: %r" % lldb_says)
    for u in UNKNOWN:
        e = tr.error("%s 0" % u)
        check(e == lldb_says.replace("nosuchcommandxyz", u), "%r: %r, not lldb's error for an unknown command"
              % (u, e))
    for c, word in (("sos soshelp 0", "soshelp"), ("clrsos dumprcw", "dumprcw")):
        e = tr.error(c)
        check(e == "clrsos has no command '%s': 'clrsos help' lists them" % word, "%r: error %r" % (c, e))


def sos_plugin():
    """SOS's own libsosplugin.so, if this machine has one, or None."""
    if os.environ.get("CLRSOS_SOSPLUGIN"):
        return os.environ["CLRSOS_SOSPLUGIN"]
    import glob
    for root in ("/tmp/dd", os.path.expanduser("~/.dotnet/tools")):
        found = sorted(glob.glob(os.path.join(root, ".store/dotnet-dump/*/dotnet-dump/*/tools/*/any/linux-x64/"
                                              "libsosplugin.so")))
        if found:
            return found[-1]
    return None


STANDIN = """import lldb
class Standin:
    def __init__(self, debugger, internal_dict):
        pass
    def __call__(self, debugger, command, exe_ctx, result):
        result.AppendMessage("standin ran: " + command)
    def get_short_help(self):
        return "the stand-in for SOS"
def __lldb_init_module(debugger, internal_dict):
    for name in ("sos", "dumpobj"):
        debugger.HandleCommand("command script add -c %s.Standin %s" % (__name__, name))
"""
SAID = ("clrsos: SOS's plugin is loaded: sos and SOS's command names stay SOS's: run clrsos's commands as "
        "'clrsos <command>' ('clrsos help' lists them)")


def case_coexist():
    scratch = harness.scratch_dir()
    try:
        core, exe, truth = harness.core_of_finished("HeapShapes", "full", scratch)
        address = truth["objects"]["allFields"]["address"]
        standin = os.path.join(scratch, "sosstandin.py")
        with open(standin, "w") as f:
            f.write(STANDIN)
        # Alone: the reference output.
        alone = harness.lldb(["dumpobj %s" % address, "help DumpObj"], core=core, exe=exe, env=QUIET)
        want = alone.text_of("dumpobj %s" % address)
        check("Name:" in want, "dumpobj alone: %s" % want)
        # 1. A stand-in SOS (Python commands sos and dumpobj) loaded first.
        cmds = ["sos eeversion", "dumpobj %s" % address, "clrsos dumpobj %s" % address, "help DumpObj",
                "help fq", "help clrbt", "clrsos DO %s" % address]
        tr = harness.lldb(cmds, core=core, exe=exe, env=QUIET, pre=["command script import " + standin])
        check(tr.text.count(SAID) == 1, "the stand-in first: clrsos did not say once that SOS keeps its names")
        check(tr.text_of("sos eeversion") == "standin ran: eeversion", "sos is not the stand-in's any more")
        check(tr.text_of("dumpobj %s" % address) == "standin ran: " + address, "dumpobj is not the stand-in's")
        check(tr.text_of("clrsos dumpobj %s" % address) == want, "clrsos dumpobj differs with the stand-in")
        check(tr.text_of("clrsos DO %s" % address) == want, "clrsos DO differs with the stand-in")
        for name in ("DumpObj", "fq"):
            check(tr.error("help " + name) is not None, "SOS's name %s registered next to SOS" % name)
        check("clrbt [<OS thread id>]" in tr.text_of("help clrbt"), "clrsos's own clrbt not registered")
        # 2. SOS's own plugin, first and then after clrsos.
        plugin = sos_plugin()
        if plugin and os.environ.get("CLRSOS_LLDB_PRELOAD"):
            # The sanitized pass: SOS's own libsos.so is not ASan-clean (its DumpObj frees with
            # delete what it allocated with new[]), so ASan would abort lldb in SOS, not in clrsos.
            print("NOTE: SOS's own plugin is not loaded under ASan+UBSan (it is not clean under them); "
                  "the plain pass tests it")
            return
        if not plugin:
            print("NOTE: no libsosplugin.so here (CLRSOS_SOSPLUGIN, dotnet-dump under /tmp/dd or "
                  "~/.dotnet/tools): SOS itself not tested, only its stand-in")
            return
        print("SOS's plugin: %s" % plugin)
        sos_help = "Displays info about an object at the specified address."
        # SOS's own commands run, with SOS's output (its eeversion says its
        # version; its dumpobj's VT column says Yes/No, as clrsos's now does too:
        # the help and eeversion checks tell the two apart).
        cmds = ["help sos", "help dumpobj", "help pe", "help DumpObj", "help do",
                "clrsos dumpobj %s" % address, "eeversion", "dumpobj %s" % address]
        first = harness.lldb(cmds, core=core, exe=exe, env=QUIET, pre=["plugin load " + plugin])
        check(first.text.count(SAID) == 1, "SOS first: clrsos did not say once that SOS keeps its names")
        check("sos <command - name>" in first.text_of("help sos").replace("\n", " "), "sos is not SOS's")
        check(sos_help in first.text_of("help dumpobj"), "dumpobj is not SOS's:\n%s" % first.text_of("help dumpobj"))
        check("Exception class" in first.text_of("help pe"), "pe is not SOS's")
        check(first.error("help DumpObj") is not None, "DumpObj registered next to SOS")
        check(first.text_of("clrsos dumpobj %s" % address) == want, "clrsos dumpobj differs next to SOS")
        check("SOS Version" in first.text_of("eeversion"), "SOS first: eeversion is not SOS's:\n%s"
              % first.text_of("eeversion"))
        sos_do = first.text_of("dumpobj %s" % address)
        check("HeapShapes.AllFields" in sos_do and " Yes instance " in sos_do,
              "SOS first: dumpobj is not SOS's:\n%s" % sos_do)
        # clrsos first: SOS takes back the names it registers; the rest stay clrsos's.
        after = harness.lldb(cmds, core=core, exe=exe, load_plugin=False, env=QUIET,
                             pre=["plugin load " + harness.PLUGIN, "plugin load " + plugin])
        check(SAID not in after.text, "clrsos first said SOS keeps its names")
        check("sos <command - name>" in after.text_of("help sos").replace("\n", " "), "sos is not SOS's after it")
        check(sos_help in after.text_of("help dumpobj"), "dumpobj is not SOS's after SOS loaded")
        check("dumpobj <address>" in after.text_of("help DumpObj"), "DumpObj is not clrsos's")
        check(after.text_of("clrsos dumpobj %s" % address) == want, "clrsos dumpobj differs under SOS")
        check("SOS Version" in after.text_of("eeversion"), "SOS after: eeversion is not SOS's")
        sos_do = after.text_of("dumpobj %s" % address)
        check("HeapShapes.AllFields" in sos_do and " Yes instance " in sos_do, "SOS after: dumpobj is not SOS's")
    finally:
        harness.cleanup(scratch)


if __name__ == "__main__":
    harness.run_case({
        "json-errors": case_json_errors,
        "case": case_case,
        "healthy-warnings": case_healthy_warnings,
        "aliases": case_aliases,
        "coexist": case_coexist,
    })
