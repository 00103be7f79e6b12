#!/usr/bin/env python3
"""The clrsos benchmark: time heap commands on cores of BenchHeap.

usage: bench.py [--runs N] [--out FILE] [--raw FILE] [--sos DIR] [--sos-extensions DLL|DIR]
                [--dotnet-dump PATH] [--sos-runs N] [--sos-timeout S] [--only WORD,...]
                [--skip WORD,...] [--sos-only WORD,...]
                [millions ...]                                      (default: 1 10)
       bench.py --tables-from RAW [--out FILE]

For each size: starts BenchHeap with that many million objects, makes a
full core with the runtime's createdump, and times each command N times on
it in clrsos (build/libclrsos.so in lldb), SOS (libsosplugin.so in the same
lldb), `dotnet-dump analyze` and ClrMD (bench/ClrmdBench), plus dumpheap
-stat attached to the live process. --only measures only the commands
whose names hold one of the words, --skip leaves out those that hold one
("clrmd" leaves out ClrMD), --sos-only narrows SOS's and dotnet-dump's.

Every tool is timed the same way (docs/performance.md, "How each tool is
timed"): a fresh process per run (lldb on the core with the plugin loaded,
or dotnet-dump analyze), then `eeversion` (the warm-up: the runtime's DAC,
and SOS's managed host, loaded), then `eeversion` again, then each command
followed by `eeversion`. A command's time runs from the moment the last
line of the eeversion before it reaches this script through a pipe to the
moment that of the one after it does. ClrMD runs the command once to
compile its code, then times it again on a new DataTarget and runtime.

By default SOS and dotnet-dump are the released dotnet-dump 10.0.750501
(installed into build/bench/tools/) and the libsosplugin.so and libsos.so
its package ships. SOS's heap commands in lldb also need SOS.Extensions.dll,
which that package lacks: --sos-extensions names one (or a directory
holding it; docs/performance.md says how it is built), and bench.py puts it
with the package's managed assemblies into net8.0/ of a copy of the
released plugin's directory; without it SOS in lldb is not measured.
--sos DIR uses DIR's libsosplugin.so as it is instead.

Each run is appended to the raw file (default build/bench/raw.jsonl) as a
JSON line: the tool, command, size, the run's seconds, wall and peak RSS,
and the load average before it; the tables (stdout and --out) are rendered
from those lines. --tables-from RAW renders the tables of every benchmark
run recorded in RAW and measures nothing. Needs build/libclrsos.so
(scripts/build.sh). Not a test: CI does not run it.
"""

import codecs
import datetime
import glob
import hashlib
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLUGIN = os.environ.get("CLRSOS_PLUGIN", os.path.join(ROOT, "build", "libclrsos.so"))
BENCH_DIR = os.path.join(ROOT, "build", "bench", "BenchHeap")
CLRMD_DIR = os.path.join(ROOT, "build", "bench", "ClrmdBench")
TOOLS_DIR = os.path.join(ROOT, "build", "bench", "tools")
LLDB_PYTHONPATH = "/usr/lib/llvm-14/lib/python3.11/dist-packages:/usr/lib/python3/dist-packages"
DOTNET_DUMP_VERSION = "10.0.750501"  # the released dotnet-dump measured by default
TIME = "/usr/bin/time"  # GNU time (Debian's package time, scripts/setup.sh installs it)

# The warm-up before the first timed command, and the marker after each:
# every tool's own eeversion. Its last line is the marker bench.py watches for.
WARMUP = "eeversion"
MARKER = "eeversion"
MARKS = (b"clrsos Version: ", b"SOS Version: ")
RESOLUTION = 0.005  # no ratio to a clrsos time under this: markers in one read of the pipe share a time


def build_target():
    subprocess.run(["dotnet", "build", "-c", "Release", "-nologo", "-v", "q", "-o", BENCH_DIR,
                    os.path.join(ROOT, "bench", "BenchHeap")], check=True, stdout=subprocess.DEVNULL)


def start_target(millions):
    p = subprocess.Popen(["dotnet", os.path.join(BENCH_DIR, "BenchHeap.dll"), str(millions)],
                         stdout=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    info = None
    for line in p.stdout:
        if line.startswith("BENCH "):
            info = json.loads(line[6:])
        if line.strip() == "READY":
            break
    if info is None:
        p.kill()
        raise SystemExit("BenchHeap printed no BENCH line")
    return p, info


def loadavg():
    """The machine's load averages (1, 5, 15 minutes) from /proc/loadavg."""
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def measured(args, rss_file):
    """args run under GNU time, which writes the process's own peak RSS to
    rss_file. wait4's ru_maxrss would not do: a child this process starts
    (vfork and exec) inherits its peak RSS as a floor, and reading the
    outputs of SOS's listings makes that hundreds of MB."""
    return [TIME, "-f", "%M", "-o", rss_file] + args


def peak_rss(rss_file, fallback):
    try:
        with open(rss_file) as f:
            return int(f.read().split()[-1])
    except (OSError, ValueError, IndexError):
        return fallback


def read_output(out):
    """A run's output: whole when small; past 16 MB (listings of millions of
    objects) only the lines bench.py looks for and the last 4 KB."""
    out.seek(0, os.SEEK_END)
    if out.tell() <= 16 << 20:
        out.seek(0)
        return out.read()
    wanted = lambda line: line.startswith("Total ") or '"index":' in line or '"tree":' in line
    out.seek(0)
    keep = [line for line in out if wanted(line)]
    out.seek(0, os.SEEK_END)
    out.seek(max(0, out.tell() - 4096))
    tail = [line for line in out.read().splitlines(True) if not wanted(line)]  # kept already
    return "".join(keep) + "".join(tail)


def descendants(pid):
    """pid's child processes and theirs (from /proc/<pid>/task/*/children)."""
    found, todo = [], [pid]
    while todo:
        q = todo.pop()
        for task in glob.glob("/proc/%d/task/*/children" % q):
            try:
                with open(task) as f:
                    kids = [int(x) for x in f.read().split()]
            except (OSError, ValueError):
                continue
            found += kids
            todo += kids
    return found


def rss_anon_kib(pid):
    """A process's resident anonymous memory (RssAnon), in KiB: what it
    allocated, without the pages of files it maps (a core's)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def cpu_seconds(pid):
    """The CPU time (user and system, every thread) a process has used so far."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


class AnonPeak(threading.Thread):
    """Samples the RssAnon of a process's descendants every 20 ms; peak is
    the highest sum seen (a lower bound of the true peak, within 20 ms)."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    def run(self):
        while not self.done.wait(0.02):
            self.peak = max(self.peak, sum(rss_anon_kib(k) for k in descendants(self.pid)))

    def stop(self):
        self.done.set()
        self.join()
        return self.peak


def run_marked(args, timeout, env=None):
    """Runs args (under GNU time), reading its output as it arrives and
    noting the moment (time.monotonic) each marker (the last line of an
    eeversion) arrives. Returns a dict: wall seconds, peak RSS in KiB, exit
    status, marks, output text, cut (killed at timeout), load (the load
    averages before the run)."""
    load = loadavg()
    with tempfile.TemporaryFile("w+", errors="replace") as out, tempfile.NamedTemporaryFile("r") as rss_file:
        start = time.monotonic()
        p = subprocess.Popen(measured(args, rss_file.name), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             env=env, stdin=subprocess.DEVNULL, start_new_session=True)
        cut = []

        def kill():
            cut.append(True)
            os.killpg(p.pid, 9)  # time and what it runs

        killer = threading.Timer(timeout, kill)
        killer.start()
        anon = AnonPeak(p.pid)
        anon.start()
        marks, cpu_marks, carry = [], [], [b""] * len(MARKS)
        decode = codecs.getincrementaldecoder("utf-8")("replace")
        for chunk in iter(lambda: p.stdout.read1(1 << 16), b""):
            now = time.monotonic()
            before = len(marks)
            for i, m in enumerate(MARKS):
                seen = carry[i] + chunk
                marks += [now] * seen.count(m)  # a marker does not overlap itself: none counted twice
                carry[i] = seen[-(len(m) - 1):]
            if len(marks) > before:
                cpu = sum(cpu_seconds(k) for k in descendants(p.pid))
                cpu_marks += [cpu] * (len(marks) - before)
            out.write(decode.decode(chunk))
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.monotonic() - start
        killer.cancel()
        anon_peak = anon.stop()
        text = read_output(out)
        rss = peak_rss(rss_file.name, usage.ru_maxrss)
    return {"wall": wall, "rss": rss, "anon": anon_peak, "status": status, "marks": marks, "cpu_marks": cpu_marks,
            "text": text, "cut": bool(cut), "load": load}


def lldb_args(where, plugin, commands):
    args = ["lldb", "-b", "--no-use-colors"]
    args += ["-p", str(where["pid"])] if where.get("pid") else ["-c", where["core"], where["exe"]]
    args += ["-o", "plugin load " + plugin]
    for c in commands:
        args += ["-o", c]
    return args


def session(tool, commands, where, timeout=24 * 3600, env=None):
    """One run of a tool: its process opened on the core (or attached), the
    warm-up eeversion, an eeversion, then each command followed by an
    eeversion. Returns run_marked's dict plus times (per command: seconds
    from the marker before it to the one after; None when cut) and marker
    (the seconds of the eeversion alone, after the warm-up)."""
    script = [WARMUP, MARKER]
    for c in commands:
        script += [c, MARKER]
    if tool["kind"] == "lldb":
        args = lldb_args(where, tool["plugin"], tool.get("prelude", []) + script)
        env = dict(os.environ, PYTHONPATH=LLDB_PYTHONPATH, **(env or {}))
    else:
        args = list(tool["cmd"]) + ["analyze", where["core"]]
        for c in script + ["exit"]:
            args += ["-c", c]
    r = run_marked(args, timeout, env)
    if r["cut"]:
        r["times"], r["marker"], r["cpu"] = [None] * len(commands), None, [None] * len(commands)
        return r
    marks = r["marks"]
    # Only clrsos's runs are held to no "error:": SOS writes it in some of its output lines.
    if r["status"] != 0 or len(marks) != len(commands) + 2 or (tool["name"] == "clrsos" and "error:" in r["text"]):
        raise SystemExit("%s failed on %s (status %d, %d of %d markers):\n%s" % (
            tool["name"], commands, r["status"], len(marks), len(commands) + 2, r["text"][-2000:]))
    if tool["name"] == "sos" and ("managed hosting failed" in r["text"] or "SOS_HOSTING:" in r["text"]):
        raise SystemExit("SOS could not host its managed commands (SOS.Extensions.dll and the assemblies it needs in "
                         "%s/net8.0?):\n%s" % (os.path.dirname(tool["plugin"]), r["text"][-2000:]))
    r["marker"] = marks[1] - marks[0]
    r["times"] = [marks[i + 2] - marks[i + 1] for i in range(len(commands))]
    cpu = r["cpu_marks"]
    r["cpu"] = [cpu[i + 2] - cpu[i + 1] for i in range(len(commands))]
    return r


class Raw:
    """The raw results: one JSON object per line, appended to the file as
    they are measured; every record of this benchmark run carries its id."""

    def __init__(self, path):
        self.path = path
        self.id = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.records = []
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)

    def add(self, kind, **fields):
        rec = dict({"bench": self.id, "kind": kind}, **fields)
        self.records.append(rec)
        with open(self.path, "a") as f:
            f.write(json.dumps(rec) + "\n")
        return rec


def record_runs(raw, tool, names, r, run, size, per_object=(), mode="core", **extra):
    """The records of one session run: one per command, each with the session's wall, RSS and load."""
    for i, name in enumerate(names):
        raw.add("run", tool=tool, command=name, mode=mode, run=run, seconds=r["times"][i], cpu=r["cpu"][i],
                cut=r["cut"],
                wall=r["wall"], rss_kib=r["rss"], anon_kib=r["anon"], loadavg=r["load"], marker_seconds=r["marker"],
                session=list(names), per_object=name in per_object, **size, **extra)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def version_strings(path, pattern):
    """The distinct matches of pattern (a str regex) in a file: the version
    strings a library carries (read as Latin-1), or an assembly's
    informational version (read as UTF-16, from its version resource)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return []
    if pattern == ASSEMBLY_VERSION:  # in metadata its UTF-8 copy follows a length byte, maybe a digit
        texts = [data[i:].decode("utf-16-le", errors="ignore") for i in (0, 1)]
    else:
        texts = [data.decode("latin-1")]
    return sorted({m for t in texts for m in re.findall(pattern, t)})


NATIVE_VERSION = r"@\(#\)Version [0-9.]+ @Commit: [0-9a-f]{40}"
ASSEMBLY_VERSION = r"(?<![0-9.])[0-9]+\.[0-9]+\.[0-9]+(?:-[A-Za-z0-9.]+)?\+[0-9a-f]{7,40}"


def file_facts(path, pattern=None):
    facts = {"path": os.path.realpath(path), "sha256": sha256(path), "bytes": os.path.getsize(path)}
    if pattern:
        facts["versions"] = version_strings(path, pattern)
    return facts


def first_line(args, **kw):
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=120, **kw)
        return ((r.stdout + r.stderr).strip().splitlines() or ["?"])[0]
    except (OSError, subprocess.TimeoutExpired) as e:
        return "? (%s)" % e


def package_dir_of(dotnet_dump):
    """The directory of dotnet-dump.dll and its managed assemblies for a
    dotnet-dump command: a .dll's directory, or the package a tool-path
    shim runs."""
    if dotnet_dump.endswith(".dll"):
        return os.path.dirname(os.path.realpath(dotnet_dump))
    found = sorted(glob.glob(os.path.join(os.path.dirname(os.path.realpath(dotnet_dump)), ".store", "dotnet-dump",
                                          "*", "dotnet-dump", "*", "tools", "*", "any")))
    return found[-1] if found else None


def find_tools(sos_dir, sos_extensions, dotnet_dump):
    """SOS and dotnet-dump as measured: the given ones, else the released
    dotnet-dump DOTNET_DUMP_VERSION (installed into build/bench/tools) and the
    SOS its package ships. Returns (sos dir or None, dotnet-dump command or
    None, notes on what could not be had, where each came from)."""
    notes, origin = [], {}
    if not dotnet_dump:
        tool_path = os.path.join(TOOLS_DIR, "dotnet-dump-" + DOTNET_DUMP_VERSION)
        dotnet_dump = os.path.join(tool_path, "dotnet-dump")
        if not os.path.exists(dotnet_dump):
            r = subprocess.run(["dotnet", "tool", "install", "dotnet-dump", "--version", DOTNET_DUMP_VERSION,
                                "--tool-path", tool_path], capture_output=True, text=True, timeout=600)
            if r.returncode != 0:
                notes.append("dotnet-dump %s: %s" % (DOTNET_DUMP_VERSION, ((r.stdout + r.stderr).strip().splitlines()
                                                                            or ["failed"])[-1]))
                dotnet_dump = None
        if dotnet_dump:
            origin["dotnet-dump"] = "`dotnet tool install dotnet-dump --version %s --tool-path %s`" % (
                DOTNET_DUMP_VERSION, os.path.relpath(tool_path, ROOT))
    elif dotnet_dump:
        origin["dotnet-dump"] = "given: --dotnet-dump " + dotnet_dump
    package = package_dir_of(dotnet_dump) if dotnet_dump else None
    if sos_dir:
        origin["sos"] = "given: --sos " + sos_dir
    elif package and os.path.exists(os.path.join(package, "linux-x64", "libsosplugin.so")):
        released = os.path.join(package, "linux-x64")
        if not sos_extensions:
            notes.append("SOS in lldb: the dotnet-dump package's libsosplugin.so runs SOS's heap commands only with "
                         "SOS.Extensions.dll, which the package lacks (give one with --sos-extensions; "
                         "docs/performance.md says how it is built)")
        else:
            ext = os.path.join(sos_extensions, "SOS.Extensions.dll") if os.path.isdir(sos_extensions) \
                else sos_extensions
            if not os.path.exists(ext):
                raise SystemExit("no SOS.Extensions.dll at %s" % sos_extensions)
            # A copy of the released plugin's directory, with the package's
            # managed assemblies and SOS.Extensions.dll in net8.0/, where
            # this libsos.so looks for them.
            sos_dir = os.path.join(TOOLS_DIR, "sos-from-dotnet-dump")
            shutil.rmtree(sos_dir, ignore_errors=True)
            shutil.copytree(released, sos_dir)
            managed = os.path.join(sos_dir, "net8.0")
            os.makedirs(managed)
            for f in glob.glob(os.path.join(package, "*.dll")):
                shutil.copy2(f, managed)
            shutil.copy2(ext, managed)
            origin["sos"] = ("libsosplugin.so and libsos.so from the dotnet-dump package (%s), copied to %s with the "
                             "package's managed assemblies and %s in net8.0/" % (
                                 released, os.path.relpath(sos_dir, ROOT), os.path.realpath(ext)))
    elif not sos_dir:
        notes.append("SOS in lldb: no dotnet-dump package to take libsosplugin.so from, and no --sos")
    if sos_dir and not os.path.exists(os.path.join(sos_dir, "libsosplugin.so")):
        raise SystemExit("no libsosplugin.so in %s" % sos_dir)
    return sos_dir, dotnet_dump, notes, origin


def describe_tools(sos_dir, dotnet_dump, origin, host_runtime):
    """Which build of each tool is measured: versions, file hashes, where from."""
    tools = {}
    rev = first_line(["git", "-C", ROOT, "rev-parse", "HEAD"])
    dirty = subprocess.run(["git", "-C", ROOT, "diff", "--quiet", "HEAD", "--", "core", "plugin"]).returncode != 0
    tools["clrsos"] = {"plugin": file_facts(PLUGIN), "commit": rev + (" (core/ or plugin/ changed since)" if dirty
                                                                      else ""),
                       "from": "this repository, scripts/build.sh"}
    tools["lldb"] = {"version": first_line(["lldb", "--version"]), "path": shutil.which("lldb")}
    if sos_dir:
        s = {"from": origin.get("sos", "?")}
        for name in ("libsosplugin.so", "libsos.so"):
            if os.path.exists(os.path.join(sos_dir, name)):
                s[name] = file_facts(os.path.join(sos_dir, name), NATIVE_VERSION)
        s["host runtime"] = host_runtime
        for ext in (os.path.join(sos_dir, "net8.0", "SOS.Extensions.dll"), os.path.join(sos_dir, "SOS.Extensions.dll")):
            if os.path.exists(ext):
                s["SOS.Extensions.dll"] = file_facts(ext, ASSEMBLY_VERSION)
                break
        tools["sos"] = s
    if dotnet_dump:
        package = package_dir_of(dotnet_dump)
        d = {"from": origin.get("dotnet-dump", "?"),
             "version": first_line(([dotnet_dump] if not dotnet_dump.endswith(".dll") else ["dotnet", dotnet_dump])
                                   + ["--version"])}
        if package:
            for name in ("dotnet-dump.dll", "SOS.Hosting.dll", "Microsoft.Diagnostics.Runtime.dll"):
                if os.path.exists(os.path.join(package, name)):
                    d[name] = file_facts(os.path.join(package, name), ASSEMBLY_VERSION)
            if os.path.exists(os.path.join(package, "linux-x64", "libsos.so")):
                d["libsos.so"] = file_facts(os.path.join(package, "linux-x64", "libsos.so"), NATIVE_VERSION)
        tools["dotnet-dump"] = d
    runtime_dll = os.path.join(CLRMD_DIR, "Microsoft.Diagnostics.Runtime.dll")
    if os.path.exists(runtime_dll):
        tools["clrmd"] = {"from": "bench/ClrmdBench, Microsoft.Diagnostics.Runtime %s from the package source"
                                  % clrmd_version(),
                          "Microsoft.Diagnostics.Runtime.dll": file_facts(runtime_dll, ASSEMBLY_VERSION)}
    return tools


def installed_runtime():
    """The directory of the newest Microsoft.NETCore.App installed (the one BenchHeap runs on)."""
    listed = subprocess.run(["dotnet", "--list-runtimes"], capture_output=True, text=True).stdout.splitlines()
    name, version, where = [l for l in listed if l.startswith("Microsoft.NETCore.App ")][-1].split(" ", 2)
    return os.path.join(where.strip("[]"), version)


def clrmd_version():
    with open(os.path.join(ROOT, "bench", "ClrmdBench", "ClrmdBench.csproj")) as f:
        m = re.search(r'Include="Microsoft.Diagnostics.Runtime" Version="([^"]+)"', f.read())
    return m.group(1) if m else "?"


def build_clrmd():
    r = subprocess.run(["dotnet", "build", "-c", "Release", "-nologo", "-v", "q", "-o", CLRMD_DIR,
                        os.path.join(ROOT, "bench", "ClrmdBench")], capture_output=True, text=True)
    return r.returncode == 0, ((r.stdout + r.stderr).strip().splitlines() or [""])[-1]


def clrmd(raw, core, runs, size, name, op, *extra):
    """ClrmdBench on the core, runs times, each run recorded: the command's
    seconds in its process (its second run there, code compiled, a new
    DataTarget and runtime), the first run's (with the JIT), wall and peak RSS."""
    for run in range(runs):
        load = loadavg()
        with tempfile.NamedTemporaryFile("r") as rss_file:
            start = time.monotonic()
            p = subprocess.Popen(measured(["dotnet", os.path.join(CLRMD_DIR, "ClrmdBench.dll"), core, op] +
                                          list(extra), rss_file.name),
                                 stdout=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
            out = p.stdout.read()
            _, status, usage = os.wait4(p.pid, 0)
            wall = time.monotonic() - start
            peak = peak_rss(rss_file.name, usage.ru_maxrss)
        m = re.search(r"^CLRMD (\{.*\})$", out, re.M)
        if status != 0 or not m:
            raise SystemExit("ClrmdBench %s failed:\n%s" % (op, out[-2000:]))
        j = json.loads(m.group(1))
        raw.add("run", tool="clrmd", command=name, mode="core", run=run, seconds=j["command"], cut=False, wall=wall,
                rss_kib=peak, loadavg=load, load_seconds=j["load"], first_seconds=j["firstCommand"],
                first_load_seconds=j["firstLoad"], per_object="gcroot" not in name, **size)


def sos_sessions(info):
    """The commands SOS and dotnet-dump run, grouped in sessions (gcroot's two queries in one)."""
    t = info["typeName"]
    return [
        [("dumpheap -stat", "dumpheap -stat")],
        [("dumpheap -type %s -short" % t, "dumpheap -type %s -short" % t)],
        [("dumpheap -live -stat", "dumpheap -live -stat")],
        [("gcroot (first query)", "gcroot " + info["gcrootTarget"]),
         ("gcroot (second query, same stop)", "gcroot " + info["gcrootTarget2"])],
        [("objsize (1000-child fan-out)", "objsize " + info["objsizeTarget"])],
        [("dumpheap -strings", "dumpheap -strings")],
        [("gcheapstat", "gcheapstat")],
        [("gcheapstat -iu", "gcheapstat -iu")],
        [("verifyheap", "verifyheap")],
    ]


def bench_sos(raw, tools, info, where, size, measured_names):
    """The same commands in SOS (in lldb) and dotnet-dump analyze, on the same core."""
    sessions = [[(n, c) for n, c in s if n in measured_names] for s in sos_sessions(info)]
    for s in [s for s in sessions if s]:
        names, commands = [n for n, _ in s], [c for _, c in s]
        for tool in tools:
            if tool["name"] == "sos" or tool["name"] == "dotnet-dump":
                for run in range(tool["runs"]):
                    r = session(tool, commands, where, tool["timeout"])
                    record_runs(raw, tool["name"], names, r, run, size, timeout=tool["timeout"])
                    print("  %s %s: %s" % (tool["name"], names, ", ".join(fmt_s(t) for t in r["times"])), flush=True)
                    if r["cut"]:
                        break
    sos = [t for t in tools if t["name"] == "sos"]
    if sos and "dumpheap -stat (live, attached)" in measured_names:
        for run in range(sos[0]["runs"]):
            r = session(sos[0], ["dumpheap -stat"], {"pid": info["pid"]}, sos[0]["timeout"])
            record_runs(raw, "sos", ["dumpheap -stat (live, attached)"], r, run, size, mode="live",
                        timeout=sos[0]["timeout"])
            if r["cut"]:
                break


def fmt_s(v):
    return "—" if v is None else "%.3f s" % v


def bench_size(raw, millions, runs, have_clrmd, tools, only, skip=(), sos_only=()):
    target, info = start_target(millions)
    scratch = tempfile.mkdtemp(prefix="clrsos-bench-")
    clrsos = tools[0]
    try:
        core = os.path.join(scratch, "core")
        createdump = os.path.join(info["runtimeDir"], "createdump")
        subprocess.run([createdump, "--full", "-f", core, str(info["pid"])], check=True,
                       stdout=subprocess.DEVNULL)
        where = {"core": core, "exe": shutil.which("dotnet")}
        text = session(clrsos, ["dumpheap -stat"], where)["text"]
        m = re.search(r"^Total ([\d,]+) objects, ([\d,]+) bytes", text, re.M)
        objects = int(m.group(1).replace(",", ""))
        label = "%g M" % millions
        size = {"size": label, "millions": millions, "objects": objects}
        raw.add("size", core_bytes=os.path.getsize(core), target=info, **size)
        print("%s: %d objects, core %.0f MB" % (label, objects, os.path.getsize(core) / 1e6), flush=True)
        # The baseline: the warm-up and the marker alone (lldb, the core, the
        # plugin, the runtime's DAC loaded): what every command pays first.
        for run in range(runs):
            r = session(clrsos, [], where)
            raw.add("run", tool="clrsos", command="(start-up: eeversion)", mode="core", run=run, seconds=r["marker"],
                    cut=False, wall=r["wall"], rss_kib=r["rss"], anon_kib=r["anon"], loadavg=r["load"],
                    marker_seconds=r["marker"], session=[], per_object=False, **size)
        measured_names = set()

        def wanted(name):
            return (not only or any(o in name for o in only)) and not any(k in name for k in skip)

        def row(name, command, per_object=False, mode="core", env=None, **w):
            if not wanted(name):
                return
            for run in range(runs):
                r = session(clrsos, [command], w or where, env=env)
                record_runs(raw, "clrsos", [name], r, run, size, per_object=[name] if per_object else (), mode=mode)
            measured_names.add(name)

        row("dumpheap -stat", "dumpheap -stat", per_object=True)
        row("dumpheap -type %s -short" % info["typeName"], "dumpheap -type %s -short" % info["typeName"])
        row("dumpheap -live -stat", "dumpheap -live -stat", per_object=True)
        # Both gcroot queries in one session: the first builds the stop's
        # index, the second only searches it; then the dominator tree.
        if wanted("gcroot (first query)") or wanted("retained"):
            names = ["gcroot (first query)", "gcroot (second query, same stop)",
                     "retained (first: builds the dominator tree, after gcroot)", "retained -stat (same stop)"]
            queries = ["gcroot --json " + info["gcrootTarget"], "gcroot " + info["gcrootTarget2"],
                       "retained --json " + info["gcrootTarget"], "retained -stat -top 10"]
            index = tree = None
            for run in range(runs):
                r = session(clrsos, queries, where)
                record_runs(raw, "clrsos", names, r, run, size)
                m = re.search(r'"index":(\{[^}]*\})', r["text"])
                index = json.loads(m.group(1)) if m else None
                m = re.search(r'"tree":(\{[^}]*\})', r["text"])
                tree = json.loads(m.group(1)) if m else None
                peak_all, anon_all = r["rss"], r["anon"]
            measured_names.update(names)
            # The peaks: a session of the first gcroot alone, one of it and
            # the first retained (and the one above, with retained -stat).
            alone = [session(clrsos, [queries[0]], where) for _ in range(runs)]
            peak_gcroot = max(a["rss"] for a in alone)
            with_tree = session(clrsos, [queries[0], queries[2]], where)
            raw.add("index", index=index, tree=tree, peak_gcroot_kib=peak_gcroot, peak_tree_kib=with_tree["rss"],
                    peak_all_kib=peak_all, anon_gcroot_kib=max(a["anon"] for a in alone),
                    anon_tree_kib=with_tree["anon"], anon_all_kib=anon_all, **size)
        row("inspect (every check: a heap walk, the referrer index and the dominator tree)", "inspect",
            per_object=True)
        row("objsize (1000-child fan-out)", "objsize " + info["objsizeTarget"])
        row("dumpheap -strings", "dumpheap -strings", per_object=True)
        row("gcheapstat", "gcheapstat", per_object=True)
        row("gcheapstat -iu", "gcheapstat -iu", per_object=True)
        row("verifyheap", "verifyheap", per_object=True)
        row("dumpheap -stat (live, attached)", "dumpheap -stat", per_object=True, mode="live", pid=info["pid"])
        row("dumpheap -stat (live, attached, through lldb's memory API)", "dumpheap -stat", per_object=True,
            mode="live", pid=info["pid"], env={"CLRSOS_LLDB_MEMORY": "1"})
        if have_clrmd and "clrmd" not in skip:
            for name, op in (("dumpheap -stat", ["stat"]), ("dumpheap -live -stat", ["live-stat"]),
                             ("gcroot (first query)", ["gcroot", info["gcrootTarget"]])):
                if name in measured_names:
                    clrmd(raw, core, runs, size, name, *op)
        bench_sos(raw, tools[1:], info, where, size,
                  {n for n in measured_names if not sos_only or any(o in n for o in sos_only)})
    finally:
        target.kill()
        target.wait()
        shutil.rmtree(scratch, ignore_errors=True)


# ---- the tables, rendered from the raw records only ----

def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def load_range(runs):
    low, high = ("%.1f" % f([r["loadavg"][0] for r in runs]) for f in (min, max))
    return low if low == high else low + "–" + high


def grouped(records, tool):
    """The run records of a tool by (size, command, mode), in the order first measured."""
    groups = {}
    for r in records:
        if r["kind"] == "run" and r["tool"] == tool:
            groups.setdefault((r["size"], r["command"], r["mode"]), []).append(r)
    return groups


def cut_or(runs, fmt="%.3f"):
    """A cell of seconds: the median of the runs, or how long the run that was cut had taken."""
    if any(r["cut"] for r in runs):
        return "> %.0f (cut)" % runs[0]["timeout"], None
    t = median(r["seconds"] for r in runs)
    return fmt % t, t


def render_one(records):
    start = next(r for r in records if r["kind"] == "start")
    sizes = {r["size"]: r for r in records if r["kind"] == "size"}
    clrsos = grouped(records, "clrsos")
    lines = ["## Benchmark %s" % start["bench"], "",
             "`%s`; machine: %d CPUs, %s, load average before the benchmark %s; runs per command: clrsos and ClrMD %d, "
             "SOS and dotnet-dump %d. Raw results: every run's record in the raw file with `\"bench\": \"%s\"`."
             % (shlex.join(["bench/bench.py"] + start["argv"]), start["cpus"], start["kernel"],
                " ".join("%.2f" % x for x in start["loadavg"]), start["runs"], start["sos_runs"], start["bench"]), "",
             "Every command: a fresh process, the warm-up (`eeversion`), then the command between two markers "
             "(`eeversion`), timed as the markers' output reaches bench.py (docs/performance.md, \"How each tool is "
             "timed\"). Medians; peak RSS is the largest of the runs'; load: the 1-minute load average read before "
             "each run (lowest–highest).", ""]
    for size, s in sizes.items():
        lines.append("- %s: %s objects, core %.0f MB, target runtime %s" % (
            size, "{:,}".format(s["objects"]), s["core_bytes"] / 1e6, s["target"].get("runtime", "?")))
    lines.append("")

    # clrsos alone
    base = {k[0]: max(r["rss_kib"] for r in v) for k, v in clrsos.items() if k[1] == "(start-up: eeversion)"}
    base_anon = {k[0]: max(r["anon_kib"] for r in v) for k, v in clrsos.items()
                 if k[1] == "(start-up: eeversion)" and all("anon_kib" in r for r in v)}
    lines += ["### clrsos", "",
              "| heap | command | wall (s) | in session (s) | CPU in session (s) | objects/s | peak RSS (MB) | "
              "RSS over start-up, bytes/object | own memory over start-up, bytes/object | load |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for (size, command, mode), runs in clrsos.items():
        t = median(r["seconds"] for r in runs)
        objects = runs[0]["objects"]
        rss = max(r["rss_kib"] for r in runs)
        per_object = runs[0]["per_object"]
        extra = "%.1f" % ((rss - base[size]) * 1024 / objects) if per_object and size in base else ""
        own = ""
        if per_object and size in base_anon and all("anon_kib" in r for r in runs):
            own = "%.1f" % ((max(r["anon_kib"] for r in runs) - base_anon[size]) * 1024 / objects)
        cpu = median(r["cpu"] for r in runs if r.get("cpu") is not None)
        lines.append("| %s | `%s` | %.2f | %.3f | %s | %s | %.0f | %s | %s | %s |" % (
            size, command, median(r["wall"] for r in runs), t, "%.2f" % cpu if cpu is not None else "",
            "{:,.0f}".format(objects / t) if per_object and t else "", rss / 1024, extra, own, load_range(runs)))
    lines += ["", "Wall: the whole run (lldb started on the core with the plugin, the warm-up, the markers and the "
              "command; for the gcroot and retained rows the session of all four). In session: the command between "
              "its markers. `(start-up: eeversion)` is the marker alone after the warm-up; its peak RSS is the "
              "start-up's, which RSS over start-up subtracts (it includes the core's pages lldb mapped while the "
              "heap was read, not only clrsos's own indexes). Own memory: the process's resident anonymous memory "
              "(RssAnon, sampled every 20 ms), which leaves out the core's pages: what lldb and clrsos allocated.", ""]

    # ClrMD
    clrmd = grouped(records, "clrmd")
    if clrmd:
        lines += ["### Side by side with ClrMD", "",
                  "ClrmdBench: the command's second run in its process (ClrMD's code compiled by the first run; a new "
                  "DataTarget and runtime, so ClrMD's caches are new), after the dump is opened and the runtime "
                  "created; the first run's time (with the JIT) beside it. Peak RSS: the process over both runs.", "",
                  "| heap | command | clrsos (s) | ClrMD (s) | ClrMD / clrsos | ClrMD objects/s | ClrMD first run, "
                  "with the JIT (s) | ClrMD peak RSS (MB) | load |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
        for (size, command, mode), runs in clrmd.items():
            c = median(r["seconds"] for r in clrsos.get((size, command, mode), []))
            t = median(r["seconds"] for r in runs)
            lines.append("| %s | `%s` | %s | %.3f | %s | %s | %.3f | %.0f | %s |" % (
                size, command, "%.3f" % c if c is not None else "", t, "%.1f×" % (t / c) if c and c >= RESOLUTION
                else "",
                "{:,.0f}".format(runs[0]["objects"] / t) if runs[0]["per_object"] else "",
                median(r["first_seconds"] for r in runs), max(r["rss_kib"] for r in runs) / 1024, load_range(runs)))
        lines.append("")

    # gcroot's index and the dominator tree
    index_rows = [r for r in records if r["kind"] == "index" and r["index"]]
    if index_rows:
        lines += ["### gcroot's index and the dominator tree", "",
                  "As gcroot --json and retained --json report them; the peaks: a session of the first gcroot and "
                  "retained, and one of both gcroot queries, retained and retained -stat, each over a session of the "
                  "first gcroot alone:", "",
                  "| heap | objects in the index | references | index bytes | bytes per heap object | dominator tree bytes | "
                  "tree bytes per live object | peak RSS over the first gcroot's, bytes per live object: retained | "
                  "and retained -stat | own memory over start-up at its peak, bytes per heap object: first gcroot / "
                  "with the tree / all four |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in index_rows:
            ix, tree = r["index"], r["tree"]
            live = tree["liveObjects"] if tree else 0
            own = ""
            if "anon_gcroot_kib" in r and r["size"] in base_anon:
                own = " / ".join("%.1f" % ((r[k] - base_anon[r["size"]]) * 1024 / r["objects"])
                                 for k in ("anon_gcroot_kib", "anon_tree_kib", "anon_all_kib"))
            lines.append("| %s | {:,} | {:,} | {:,} | %.1f | %s | %s | %s | %s | %s |".format(
                ix.get("objects", ix.get("liveObjects")), ix["references"], ix["bytes"]) % (
                r["size"], ix["bytes"] / r["objects"], "{:,}".format(tree["bytes"]) if tree else "",
                "%.1f" % (tree["bytes"] / live) if live else "",
                "%.1f" % ((r["peak_tree_kib"] - r["peak_gcroot_kib"]) * 1024 / live) if live else "",
                "%.1f" % ((r["peak_all_kib"] - r["peak_gcroot_kib"]) * 1024 / live) if live else "", own))
        lines.append("")

    # SOS and dotnet-dump
    sos, dump = grouped(records, "sos"), grouped(records, "dotnet-dump")
    keys = [k for k in clrsos if k in sos or k in dump]
    if keys:
        lines += ["### Side by side with SOS and dotnet-dump", "",
                  "SOS: libsosplugin.so in the same lldb; dotnet-dump: `dotnet-dump analyze` on the same core; each "
                  "timed as clrsos is (the same warm-up and markers). Peak RSS of the whole process (lldb, or "
                  "dotnet-dump), of the session the command ran in; load: lowest–highest over the tools' runs.", "",
                  "| heap | command | clrsos (s) | SOS in lldb (s) | SOS / clrsos | dotnet-dump (s) | "
                  "dotnet-dump / clrsos | CPU s: clrsos / SOS / dotnet-dump | peak RSS MB: clrsos / SOS / dotnet-dump "
                  "| load |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for k in keys:
            c_runs = clrsos[k]
            c = median(r["seconds"] for r in c_runs)
            cells = []
            for tool in (sos, dump):
                if k not in tool:
                    cells += ["not measured", ""]
                    continue
                text, t = cut_or(tool[k])
                ratio = ("%.1f×" % (t / c) if t is not None else "> %.0f×" % (tool[k][0]["timeout"] / c)) \
                    if c >= RESOLUTION else ""
                cells += [text, ratio]
            mb = lambda g: "%.0f" % (max(r["rss_kib"] for r in g[k]) / 1024) if k in g else "—"

            def cpu(g):
                v = median(r["cpu"] for r in g.get(k, []) if r.get("cpu") is not None)
                return "%.2f" % v if v is not None else "—"
            lines.append("| %s | `%s` | %.3f | %s | %s | %s | %s | %s / %s / %s | %s / %s / %s | %s |" % (
                k[0], k[1], c, cells[0], cells[1], cells[2], cells[3], cpu(clrsos), cpu(sos), cpu(dump),
                mb(clrsos), mb(sos), mb(dump),
                load_range(c_runs + sos.get(k, []) + dump.get(k, []))))
        lines.append("")
    for n in start["notes"]:
        lines.append("Not measured: " + n + ".")
    if start["notes"]:
        lines.append("")

    # which builds
    lines += ["### The builds measured", ""]
    for tool, facts in start["tools"].items():
        lines.append("- **%s**: %s" % (tool, describe_facts(facts)))
    lines.append("")
    return lines


def describe_facts(facts):
    parts = []
    for k, v in facts.items():
        if isinstance(v, dict):
            f = "%s `%s` sha256 %s" % (k, v["path"], v["sha256"])
            if v.get("versions"):
                f += " (%s)" % "; ".join(v["versions"])
            parts.append(f)
        else:
            parts.append("%s: %s" % (k, v))
    return "; ".join(parts)


def render(records):
    """Markdown tables of every benchmark run in the records, in order."""
    lines, by_bench = [], {}
    for r in records:
        by_bench.setdefault(r["bench"], []).append(r)
    for recs in by_bench.values():
        if any(r["kind"] == "start" for r in recs):
            lines += render_one(recs)
    return "\n".join(lines) + "\n"


def read_raw(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    argv = sys.argv[1:]
    runs, out, raw_path, only = 3, os.path.join(ROOT, "build", "bench", "results.md"), \
        os.path.join(ROOT, "build", "bench", "raw.jsonl"), []
    skip, sos_only = [], []
    sos_dir, sos_ext, dump, sos_runs, sos_timeout, tables_from = (os.environ.get("CLRSOS_BENCH_SOS"), None,
                                                                  os.environ.get("CLRSOS_BENCH_DOTNET_DUMP"),
                                                                  None, 1800, None)
    while argv and argv[0].startswith("--"):
        if len(argv) < 2:
            raise SystemExit("%s needs a value" % argv[0])
        opt, val = argv[0], argv[1]
        if opt == "--runs":
            runs = int(val)
        elif opt == "--out":
            out = val
        elif opt == "--raw":
            raw_path = val
        elif opt == "--sos":
            sos_dir = val
        elif opt == "--sos-extensions":
            sos_ext = val
        elif opt == "--dotnet-dump":
            dump = val
        elif opt == "--sos-runs":
            sos_runs = int(val)
        elif opt == "--sos-timeout":
            sos_timeout = float(val)
        elif opt == "--only":
            only = [o.strip() for o in val.split(",") if o.strip()]
        elif opt == "--skip":
            skip = [o.strip() for o in val.split(",") if o.strip()]
        elif opt == "--sos-only":
            sos_only = [o.strip() for o in val.split(",") if o.strip()]
        elif opt == "--tables-from":
            tables_from = val
        else:
            raise SystemExit("unknown option %s" % opt)
        argv = argv[2:]
    if tables_from:
        text = render(read_raw(tables_from))
        if out:
            with open(out, "w") as f:
                f.write(text)
        print(text)
        return
    sizes = [float(a) for a in argv] or [1, 10]
    if not os.path.exists(PLUGIN):
        raise SystemExit("no %s: run scripts/build.sh first" % PLUGIN)
    if not os.access(TIME, os.X_OK):
        raise SystemExit("no %s (GNU time, for peak memory): run scripts/setup.sh first" % TIME)
    build_target()
    sos_dir, dump, notes, origin = find_tools(sos_dir, sos_ext, dump)
    have_clrmd, why_clrmd = build_clrmd()
    if not have_clrmd:
        notes.append("ClrMD: bench/ClrmdBench did not build (%s)" % why_clrmd)
    host_runtime = installed_runtime()
    tools = [{"name": "clrsos", "kind": "lldb", "plugin": PLUGIN}]
    if sos_dir:
        # SOS hosts its managed code in a .NET runtime: the installed one, named.
        tools.append({"name": "sos", "kind": "lldb", "plugin": os.path.join(sos_dir, "libsosplugin.so"),
                      "prelude": ["sethostruntime -netcore " + host_runtime], "runs": sos_runs or runs,
                      "timeout": sos_timeout})
    if dump:
        tools.append({"name": "dotnet-dump", "kind": "dotnet-dump", "runs": sos_runs or runs, "timeout": sos_timeout,
                      "cmd": [dump] if not dump.endswith(".dll") else ["dotnet", dump]})
    raw = Raw(raw_path)
    raw.add("start", argv=sys.argv[1:], cpus=os.cpu_count(), kernel=os.uname().release, loadavg=loadavg(),
            runs=runs, sos_runs=sos_runs or runs, sos_timeout=sos_timeout, only=only, skip=skip, sos_only=sos_only,
            notes=notes,
            tools=describe_tools(sos_dir, dump, origin, host_runtime if sos_dir else None))
    for s in sizes:
        bench_size(raw, s, runs, have_clrmd, tools, only, skip, sos_only)
    text = render(raw.records)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(text)
    print(text)
    print("Raw results appended to %s (this run: \"bench\": \"%s\")." % (raw_path, raw.id))


if __name__ == "__main__":
    main()
