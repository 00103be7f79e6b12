#!/usr/bin/env python3
"""Run SOS's own test scripts against clrsos in lldb (a developer's tool, not a CI test).

usage: scripts/sos-scripts.py --diagnostics <dotnet/diagnostics checkout or bare git dir>
                              [--plugin build/libclrsos.so] [--work <dir>] [--debug-type embedded]
                              [<script name> ...]

SOS's tests (src/tests/SOS.UnitTests: Scripts/*.script and their debuggees
under Debuggees/) check SOS's commands by regular expressions over their
output. This runs the heap, stack and exception ones against clrsos in lldb 14, live and
on createdump cores as SOS's own test matrix does, and prints every step
(pass/FAIL with the output that failed) and a summary per script. Nothing of
dotnet/diagnostics is kept in this repository: the debuggees are copied from
the checkout named into <work> (default /tmp/clrsos-sos-scripts) and built
there with the machine's .NET SDK, standalone (their repository's build files
are replaced by a minimal one).

What it implements of SOS's script language (SOSRunner.cs): SOSCOMMAND,
EXTCOMMAND (run after "sos "), COMMAND and their _FAIL forms (the status is
checked), VERIFY and !VERIFY (a multiline regex over the last command's
output, with its command's echo before it, as SOS's runner sees it),
<POUT>regex<POUT> and <PREVPOUT>, <HEXVAL> and <DECVAL>, IFDEF/!IFDEF/ENDIF
with the defines of lldb on Linux x64 and .NET 10, LOADSOS (loads the clrsos
plugin) and CONTINUE (runs to the debuggee's next Debugger.Break). A debuggee
that waits on a named pipe (UsePipeSync) is given one: the core is taken, or
lldb attaches, while it waits.

    --debug-type embedded
builds the debuggees with their portable PDBs embedded in the assemblies (SOS's
StackAndOtherTests runs so too), into <work>/bin-embedded.

    --run <script> <dll> [--pipe <action>] [--dump full|heap] [--plugin P] [--define D] [--env K=V]
runs one script once (what the table below is made of).

Every debuggee runs with DOTNET_EnableWriteXorExecute=0, as SOS's runner
starts them (W^X keeps JIT code unwritable to lldb: bpmd's breakpoints).

Debuggees that die of an unhandled exception (SimpleThrow, DivZero, ...) are
run as SOS's runner runs them: live, launched stopped under lldb with SIGSEGV
and SIGFPE passed to the runtime without stopping and SIGABRT stopping, so
that CONTINUE runs to the abort of the crash; on cores, run with
DOTNET_DbgEnableMiniDump, the runtime writing the core of the crash, and
`clrthreads -managedexception` run after LOADSOS to select the thread of the
exception (lldb does not). A CONTINUE when the process already stopped at
its abort is skipped.
"""
import atexit
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

# SOS's test scripts' <HEXVAL> and <DECVAL>.
HEX = "[A-Fa-f0-9]+(`[A-Fa-f0-9]+)?"
DEC = "[,0-9]+(`[,0-9]+)?"

# script -> (debuggee, its argument when it waits on a pipe (None: it breaks or crashes), modes)
# A debuggee is a directory under Debuggees/, or "<dir>/<project dir>" for a solution.
CRASH = ["live", "full"]
SCRIPTS = {
    "ConcurrentDictionaries": ("DotnetDumpCommands", "dcd", ["full", "live"]),
    "DumpGen": ("DotnetDumpCommands", "dumpgen", ["full", "live"]),
    "GCTests": ("GCWhere", None, ["live"]),
    "GCPOH": ("GCPOH", None, ["live"]),
    "DumpGCData": ("DumpGCData", None, ["live"]),
    # Stacks and exceptions: these debuggees die of an unhandled exception.
    "SimpleThrow": ("SimpleThrow", None, CRASH),
    "DivZero": ("DivZero", None, CRASH),
    "LineNums": ("LineNums", None, CRASH),
    "NestedExceptionTest": ("NestedExceptionTest", None, CRASH),
    "TaskNestedException": ("TaskNestedException/TaskNestedException", None, CRASH),
    "Reflection": ("ReflectionTest", None, CRASH),
    "Overflow": ("Overflow", None, CRASH),
    "StackTraceFaultingExceptionFrame": ("DivZero", None, CRASH),
    "StackTraceSoftwareExceptionFrame": ("SimpleThrow", None, CRASH),
    "AsyncMain": ("AsyncMain", None, CRASH),
    "StackTests": ("NestedExceptionTest", None, CRASH),
    "ClrStackWithNumberOfFrames": ("DivZero", None, CRASH),
    "StackAndOtherTests": ("SymbolTestApp/SymbolTestApp", None, CRASH),
    "OtherCommands": ("SymbolTestApp/SymbolTestApp", None, CRASH),
}
# Their arguments (the directory of the debuggee's files: SymbolTestApp loads SymbolTestDll from it)
# and environment (OtherCommands reads the stress log).
ARGS = {"StackAndOtherTests": ["%DEBUG_ROOT%"], "OtherCommands": ["%DEBUG_ROOT%"]}
ENV = {"OtherCommands": {"DOTNET_StressLog": "1", "DOTNET_LogFacility": "0xffffffbf", "DOTNET_LogLevel": "6",
                         "DOTNET_StressLogSize": "65536"}}
# Scripts that cannot run in lldb: FindRootsOlderGeneration needs cdb's GC
# notifications (sxe CLRN).

LLDB_PYTHON = "/usr/lib/llvm-14/lib/python3.11/dist-packages/lldb"
LLDB_LIB = "/usr/lib/llvm-14/lib/liblldb.so"
LLDB_SERVER = "/usr/lib/llvm-14/bin/lldb-server"


def lldb_module(work):
    """Debian's python3-lldb-14 link to liblldb can dangle: a copy of the module with a good one."""
    where = os.path.join(work, "lldbpy")
    if not os.path.exists(os.path.join(where, "lldb")):
        shutil.copytree(LLDB_PYTHON, os.path.join(where, "lldb"), symlinks=True)
        link = glob.glob(os.path.join(where, "lldb", "_lldb*.so"))[0]
        os.unlink(link)
        os.symlink(os.path.realpath(LLDB_LIB), link)
    return where


def copy_tests(diagnostics, work):
    tests = os.path.join(work, "SOS.UnitTests")
    if os.path.isdir(tests):
        return tests
    os.makedirs(work, exist_ok=True)
    inner = "src/tests/SOS.UnitTests"
    if os.path.isdir(os.path.join(diagnostics, inner)):
        shutil.copytree(os.path.join(diagnostics, inner), tests)
    else:
        archive = subprocess.run(["git", "--git-dir", diagnostics, "archive", "HEAD", inner + "/Debuggees",
                                  inner + "/Scripts"], check=True, capture_output=True).stdout
        subprocess.run(["tar", "x", "-C", work, "--strip-components=2"], input=archive, check=True)
    debuggees = os.path.join(tests, "Debuggees")
    with open(os.path.join(debuggees, "Directory.Build.props"), "w") as f:
        f.write("<Project>\n  <PropertyGroup>\n    <AllowUnsafeBlocks>true</AllowUnsafeBlocks>\n"
                "    <Optimize>false</Optimize>\n    <TargetFramework>net10.0</TargetFramework>\n"
                "    <ImplicitUsings>disable</ImplicitUsings>\n  </PropertyGroup>\n</Project>\n")
    with open(os.path.join(debuggees, "Directory.Build.targets"), "w") as f:
        f.write("<Project></Project>\n")
    for proj in glob.glob(os.path.join(debuggees, "*", "*.csproj")):
        text = open(proj).read()
        text = re.sub(r"\s*<TargetFrameworks? Condition=[^\n]*", "", text)
        open(proj, "w").write(text)
    return tests


def build(tests, work, debuggee, debug_type=None):
    name = os.path.basename(debuggee)
    out = os.path.join(work, "bin-" + debug_type if debug_type else "bin", name)
    dll = os.path.join(out, name + ".dll")
    if not os.path.exists(dll):
        extra = ["-p:DebugType=" + debug_type, "--no-incremental"] if debug_type else []
        subprocess.run(["dotnet", "build", "-c", "Debug", "-nologo", "-v", "quiet", "-o", out] + extra,
                       cwd=os.path.join(tests, "Debuggees", debuggee), check=True)
    return dll


def main():
    args = sys.argv[1:]
    diagnostics, plugin, work, names = None, os.path.abspath("build/libclrsos.so"), "/tmp/clrsos-sos-scripts", []
    debug_type = None
    i = 0
    while i < len(args):
        if args[i] == "--diagnostics":
            diagnostics = args[i + 1]; i += 2
        elif args[i] == "--plugin":
            plugin = os.path.abspath(args[i + 1]); i += 2
        elif args[i] == "--work":
            work = os.path.abspath(args[i + 1]); i += 2
        elif args[i] == "--debug-type":
            debug_type = args[i + 1]; i += 2
        else:
            names.append(args[i]); i += 1
    if not diagnostics:
        raise SystemExit(__doc__)
    tests = copy_tests(diagnostics, work)
    lldb_module(work)
    totals = []
    for name in names or list(SCRIPTS):
        debuggee, pipe, modes = SCRIPTS[name]
        dll = build(tests, work, debuggee, debug_type)
        for mode in modes:
            cmd = [sys.executable, os.path.abspath(__file__), "--run", os.path.join(tests, "Scripts", name + ".script"),
                   dll, "--plugin", plugin, "--work", work]
            if pipe:
                cmd += ["--pipe", pipe]
            if mode != "live":
                cmd += ["--dump", mode]
            for a in ARGS.get(name, []):
                cmd += ["--arg", a.replace("%DEBUG_ROOT%", os.path.dirname(dll))]
            for kv in ENV.get(name, {}).items():
                cmd += ["--env", "%s=%s" % kv]
            # In the work directory: what a script writes by relative name (DumpLog's StressLog.txt) stays there.
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=work)
            print(r.stdout + r.stderr, flush=True)
            m = re.search(r"SUMMARY \S+: (\d+) passed, (\d+) failed", r.stdout)
            totals.append((name, mode, m.group(0) if m else "did not run (status %d)" % r.returncode))
    print("\n".join("%-34s %-5s %s" % t for t in totals))



if __name__ == "__main__":
    if sys.argv[1:2] != ["--run"]:
        main()
        sys.exit(0)
    # One script, once (module scope: the helpers below share its state).
    args = sys.argv[2:]
    script, dll = args[0], args[1]
    plugin = os.path.abspath("build/libclrsos.so")
    work = "/tmp/clrsos-sos-scripts"

    defines = {"LLDB", "LINUX", "X64", "64BIT", "NETCORE_OR_DOTNETDUMP", "PROJECTK", "MAJOR_RUNTIME_VERSION_10"}
    for v in range(8, 11):
        defines.add("MAJOR_RUNTIME_VERSION_GE_%d" % v)
    dump = None
    pipe_action = None
    env = {}
    dll_args = []
    i = 2
    while i < len(args):
        if args[i] == "--plugin": plugin = args[i + 1]; i += 2
        elif args[i] == "--define": defines.add(args[i + 1]); i += 2
        elif args[i] == "--dump": dump = args[i + 1]; i += 2
        elif args[i] == "--env": k, v = args[i + 1].split("=", 1); env[k] = v; i += 2
        elif args[i] == "--pipe": pipe_action = args[i + 1]; i += 2
        elif args[i] == "--arg": dll_args.append(args[i + 1]); i += 2
        elif args[i] == "--work": work = args[i + 1]; i += 2
        else: raise SystemExit("unknown " + args[i])
    # As SOS's runner (SOSRunner.cs, dotnet/diagnostics#3126): W^X off, so
    # that lldb can write bpmd's breakpoints into JIT-compiled code.
    env.setdefault("DOTNET_EnableWriteXorExecute", "0")
    sys.path.insert(0, lldb_module(work))
    os.environ.setdefault("LLDB_DEBUGSERVER_PATH", LLDB_SERVER)
    import lldb
    if dump:
        defines |= {"DUMP", dump.upper() + "_DUMP"}
    else:
        defines.add("LIVE")
    dotnet = "/usr/share/dotnet/dotnet" if os.path.exists("/usr/share/dotnet/dotnet") else subprocess.check_output(["which", "dotnet"], text=True).strip()
    dotnet = os.path.realpath(dotnet)
    dbg = lldb.SBDebugger.Create()
    dbg.SetAsync(False)
    ci = dbg.GetCommandInterpreter()

    def run(cmd):
        r = lldb.SBCommandReturnObject()
        ci.HandleCommand(cmd, r)
        return r.Succeeded(), (r.GetOutput() or "") + (r.GetError() or "")

    if pipe_action:
        import socket, time
        name = "sosscript%d" % os.getpid()
        path = "/tmp/CoreFxPipe_" + name
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path); srv.listen(1)
        proc = subprocess.Popen([dotnet, dll, name, pipe_action], stdout=subprocess.DEVNULL, env=dict(os.environ, **env))
        conn, _ = srv.accept()
        time.sleep(1)
        if dump:
            tmp = tempfile.mkdtemp(prefix="sosscript-")
            atexit.register(shutil.rmtree, tmp, True)
            core = os.path.join(tmp, "core")
            rt = glob.glob("/usr/share/dotnet/shared/Microsoft.NETCore.App/10.*/createdump")[0]
            subprocess.run([rt, "--full" if dump == "full" else "--withheap", "-f", core, str(proc.pid)], check=True,
                           capture_output=True)
            conn.send(b"x"); proc.wait()
            run("target create %s --core %s" % (dotnet, core))
        else:
            tgt = dbg.CreateTarget(dotnet)
            err = lldb.SBError()
            tgt.AttachToProcessWithID(dbg.GetListener(), proc.pid, err)
            if not err.Success():
                raise SystemExit("attach: " + str(err))
        os.unlink(path)
    elif dump:
        tmp = tempfile.mkdtemp(prefix="sosscript-")
        atexit.register(shutil.rmtree, tmp, True)
        core = os.path.join(tmp, "core")
        e = dict(os.environ, DOTNET_DbgEnableMiniDump="1", DOTNET_DbgMiniDumpType="4" if dump == "full" else "2",
                 DOTNET_DbgMiniDumpName=core, **env)
        subprocess.run([dotnet, dll] + dll_args, env=e, capture_output=True, timeout=300)
        if not os.path.exists(core):
            raise SystemExit("no core written")
        run("target create %s --core %s" % (dotnet, core))
    else:
        target = dbg.CreateTarget(dotnet)
        run("settings set target.env-vars " + " ".join("%s=%s" % kv for kv in env.items()) if env else "version")
        ok, out = run("process launch -s -- %s" % " ".join([dll] + dll_args))
        if not ok:
            raise SystemExit("launch: " + out)
        # As SOS's runner: faults go to the runtime (it turns them into exceptions), an abort stops.
        run("process handle -s false -n false -p true SIGSEGV")
        run("process handle -s false -n false -p true SIGFPE")
        run("process handle -s true -n true -p true SIGABRT")
    loaded = False
    def load_plugin():
        global loaded
        if not loaded:
            ok, out = run("plugin load " + plugin)
            print("plugin:", ok, out.strip()[:200])
            loaded = True
            if dump and not pipe_action:
                # SOS's runner on the core of a crash: select the thread of the exception.
                ok, out = run("clrthreads -managedexception")
                print("clrthreads -managedexception:", ok, out.strip()[:200])
    if dump or pipe_action:
        load_plugin()

    lines = open(script).read().splitlines()
    active = []
    last = None
    capture = None
    passed = failed = 0
    def enabled():
        return all((d in defines) == want for d, want in active)
    def subst(text):
        global capture
        text = text.replace("<HEXVAL>", HEX).replace("<DECVAL>", DEC)
        return text
    # SOS's runner's variables (logopen's and logging's paths): its log
    # directory, the script's name and the run's kind.
    log_path = os.path.join(work, "logs")
    os.makedirs(log_path, exist_ok=True)
    variables = {"%LOG_PATH%": log_path, "%TEST_NAME%": os.path.splitext(os.path.basename(script))[0],
                 "%LOG_SUFFIX%": dump or "live"}
    def expand(cmd):
        global capture
        for k, v in variables.items():
            cmd = cmd.replace(k, v)
        if "<PREVPOUT>" in cmd:
            cmd = cmd.replace("<PREVPOUT>", capture or "")
        a = cmd.find("<POUT>")
        if a >= 0:
            b = cmd.find("<POUT>", a + 6)
            rx = subst(cmd[a + 6:b])
            m = re.search(rx, last or "", re.M)
            if not m:
                return None, "POUT %r matched nothing" % rx
            capture = m.group(1)
            cmd = cmd[:a] + capture + cmd[b + 6:]
        return cmd, None
    for n, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("IFDEF:"): active.append((line[6:].strip(), True)); continue
        if line.startswith("!IFDEF:"): active.append((line[7:].strip(), False)); continue
        if line.startswith("ENDIF:"): active.pop(); continue
        if not enabled():
            continue
        kind, _, rest = line.partition(":")
        rest = rest.strip()
        if kind in ("SOSCOMMAND", "SOSCOMMAND_FAIL", "EXTCOMMAND", "EXTCOMMAND_FAIL", "COMMAND", "COMMAND_FAIL"):
            cmd, why = expand(rest)
            if cmd is None:
                failed += 1; print("FAIL %d %s: %s" % (n, line, why)); last = ""; continue
            if kind.startswith("EXT"):
                cmd = "sos " + cmd
            ok, out = run(cmd)
            # SOS's runner sees the command's echo before its output, and ends
            # what it collected with an empty line (SOSRunner.cs: AppendLine()
            # at the prompt that ends the command).
            last = "(lldb) " + cmd + "\n" + out + ("\n" if out and not out.endswith("\n") else "") + "\n"
            want_ok = not kind.endswith("_FAIL")
            if ok == want_ok:
                passed += 1; print("pass %d %s" % (n, cmd))
            else:
                failed += 1; print("FAIL %d %s (status %s)\n%s" % (n, cmd, ok, out[:1500]))
        elif kind in ("VERIFY", "!VERIFY"):
            rx = subst(raw.split(":", 1)[1].lstrip())
            hit = re.search(rx, last or "", re.M) is not None
            if hit == (kind == "VERIFY"):
                passed += 1; print("pass %d %s" % (n, line))
            else:
                failed += 1; print("FAIL %d %s\n--- output:\n%s" % (n, line, (last or "")[:1500]))
        elif line.startswith("CONTINUE"):
            p = dbg.GetSelectedTarget().GetProcess()
            t = p.GetSelectedThread()
            if not dump and t and "SIGABRT" in t.GetStopDescription(200):
                print("note %d CONTINUE skipped: the process is at its abort already" % n)
            elif not dump:
                run("process continue")
                for _ in range(200):
                    p = dbg.GetSelectedTarget().GetProcess()
                    t = p.GetSelectedThread()
                    desc = t.GetStopDescription(200) if t else ""
                    if (p.GetState() != lldb.eStateStopped or "SIGTRAP" in desc or "SIGABRT" in desc
                            or "breakpoint" in desc.lower()):
                        break
                    run("process continue")
        elif line.startswith("LOADSOS"):
            load_plugin()
    print("SUMMARY %s: %d passed, %d failed" % (os.path.basename(script), passed, failed))
