#!/usr/bin/env python3
"""The clrsos benchmark: time heap commands on cores of BenchHeap.

usage: bench.py [--runs N] [--out FILE] [--sos DIR] [--dotnet-dump PATH]
                [--sos-runs N] [--sos-timeout S] [millions ...]   (default: 1 10)

For each size: starts BenchHeap with that many million objects, makes a
full core with the runtime's createdump, and runs each command in a fresh
`lldb -b -c <core>` N times (median), plus dumpheap -stat attached to the
live process. Reports wall time, the command's own time inside the lldb
session (after lldb, the core, the plugin and the DAC are loaded), objects
per second, and peak memory of the lldb process.

Beside clrsos, on the same cores: ClrMD (bench/ClrmdBench), the library
SOS's managed commands and dotnet-dump are built on; SOS itself
(libsosplugin.so in the same lldb; --sos names the directory holding it,
libsos.so and SOS's managed assemblies) and `dotnet-dump analyze`
(--dotnet-dump). Without --sos / --dotnet-dump they are installed as .NET
tools from the package source if it has them; the results say when it does
not. Needs build/libclrsos.so (scripts/build.sh). Not a test: CI does not
run it.
"""

import json
import os
import re
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
LLDB_PYTHONPATH = "/usr/lib/llvm-14/lib/python3.11/dist-packages:/usr/lib/python3/dist-packages"


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


def wait_timed(p, timeout):
    """Wait for p (killed after timeout seconds): (exit status or None if killed, rusage)."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            return status, usage
        if time.monotonic() > deadline:
            os.killpg(p.pid, 9)  # time and what it runs
            _, _, usage = os.wait4(p.pid, 0)
            return None, usage
        time.sleep(0.01)


TIME = "/usr/bin/time"  # GNU time (Debian's package time, scripts/setup.sh installs it)


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
    """A run's output: whole when small; past 16 MB (SOS listing millions of
    objects) only the lines bench.py looks for and the last 4 KB."""
    out.seek(0, os.SEEK_END)
    if out.tell() <= 16 << 20:
        out.seek(0)
        return out.read()
    wanted = lambda line: line.startswith(("STAMP ", "Total ")) or '"index":' in line
    out.seek(0)
    keep = [line for line in out if wanted(line)]
    out.seek(0, os.SEEK_END)
    out.seek(max(0, out.tell() - 4096))
    tail = [line for line in out.read().splitlines(True) if not wanted(line)]  # kept already
    return "".join(keep) + "".join(tail)


def run_lldb(commands, core=None, exe=None, pid=None, env=None, plugin=None, timeout=None):
    """One lldb run: (wall seconds, peak RSS in KiB, output). With a timeout,
    a run cut short returns wall None."""
    args = ["lldb", "-b", "--no-use-colors"]
    args += ["-p", str(pid)] if pid else ["-c", core, exe]
    args += ["-o", "plugin load " + (plugin or PLUGIN)]
    for c in commands:
        args += ["-o", c]
    env = dict(os.environ, PYTHONPATH=LLDB_PYTHONPATH, **(env or {}))
    with tempfile.TemporaryFile("w+", errors="replace") as out, tempfile.NamedTemporaryFile("r") as rss_file:
        start = time.monotonic()
        p = subprocess.Popen(measured(args, rss_file.name), stdout=out, stderr=subprocess.STDOUT, env=env,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        status, usage = wait_timed(p, timeout or 24 * 3600)
        wall = time.monotonic() - start
        text = read_output(out)
        rss = peak_rss(rss_file.name, usage.ru_maxrss)
    if status is None:
        return None, rss, text
    # SOS writes "error" in some of its output lines; only clrsos's runs are held to none.
    if status != 0 or (plugin is None and "error:" in text):
        raise SystemExit("lldb failed on %s:\n%s" % (commands, text[-2000:]))
    return wall, rss, text


def median_run(commands, runs, **where):
    results = [run_lldb(commands, **where) for _ in range(runs)]
    return (statistics.median(r[0] for r in results), max(r[1] for r in results), results[0][2])


def clrmd_version():
    with open(os.path.join(ROOT, "bench", "ClrmdBench", "ClrmdBench.csproj")) as f:
        m = re.search(r'Include="Microsoft.Diagnostics.Runtime" Version="([^"]+)"', f.read())
    return m.group(1) if m else "?"


STAMP = "script import time; print('STAMP %.6f' % time.monotonic())"


def stamp_gaps(text, commands):
    """The seconds between the STAMP lines around each of the commands."""
    t = [float(x) for x in re.findall(r"^STAMP ([\d.]+)$", text, re.M)]
    if len(t) != len(commands) + 1:
        raise SystemExit("no timestamps around %s in lldb's output:\n%s" % (commands, text[-2000:]))
    return [t[i + 1] - t[i] for i in range(len(commands))]


def find_sos(sos_dir, dotnet_dump):
    """Where SOS (libsosplugin.so with its libsos.so and managed assemblies)
    and dotnet-dump are: as given, else installed as .NET tools from the
    package source. Returns (sos_dir or None, dotnet-dump command or None,
    notes on what could not be had)."""
    notes = []
    tools = os.path.join(ROOT, "build", "bench", "tools")
    if not sos_dir:
        r = subprocess.run(["dotnet", "tool", "install", "--tool-path", tools, "dotnet-sos"],
                           capture_output=True, text=True, timeout=300)
        if r.returncode == 0 and subprocess.run([os.path.join(tools, "dotnet-sos"), "install"],
                                                capture_output=True).returncode == 0:
            sos_dir = os.path.expanduser("~/.dotnet/sos")
        else:
            notes.append("dotnet-sos: " + ((r.stdout + r.stderr).strip().splitlines() or ["failed"])[-1])
    if not dotnet_dump:
        r = subprocess.run(["dotnet", "tool", "install", "--tool-path", tools, "dotnet-dump"],
                           capture_output=True, text=True, timeout=300)
        if r.returncode == 0:
            dotnet_dump = os.path.join(tools, "dotnet-dump")
        else:
            notes.append("dotnet-dump: " + ((r.stdout + r.stderr).strip().splitlines() or ["failed"])[-1])
    if sos_dir and not os.path.exists(os.path.join(sos_dir, "libsosplugin.so")):
        raise SystemExit("no libsosplugin.so in %s" % sos_dir)
    return sos_dir, dotnet_dump, notes


def sos_version(sos_dir):
    """SOS's version as its assemblies record it, for the results."""
    try:
        with open(os.path.join(sos_dir, "SOS.Extensions.dll"), "rb") as f:
            m = re.search(rb"\+([0-9a-f]{9,40})", f.read())
        return m.group(1).decode()[:9] if m else "?"
    except OSError:
        return "?"


def sos_in_lldb(sos_dir, commands, runs, where, timeout):
    """SOS's libsosplugin.so in lldb: the commands in one session after
    `eeheap -gc` (SOS's hosting, the runtime and the GC's layout loaded).
    Returns per command the median seconds (None: cut at timeout), the median
    wall of the session, and its peak RSS in KiB."""
    plugin = os.path.join(sos_dir, "libsosplugin.so")
    per, walls, rss = [[] for _ in commands], [], 0
    script = ["eeheap -gc", STAMP]
    for c in commands:
        script += [c, STAMP]
    for _ in range(runs):
        wall, peak, text = run_lldb(script, plugin=plugin, timeout=timeout, **where)
        rss = max(rss, peak)
        if wall is None:
            return [None] * len(commands), None, rss
        for i, gap in enumerate(stamp_gaps(text, commands)):
            per[i].append(gap)
        walls.append(wall)
    return [statistics.median(x) for x in per], statistics.median(walls), rss


MARK = b"SOS Version"  # the last line of eeversion's output in dotnet-dump


def dotnet_dump_analyze(dotnet_dump, core, commands, runs, timeout):
    """dotnet-dump analyze: the commands after `eeheap -gc`, each followed by
    `eeversion`; a command's time is from the end of the eeversion before it
    to the end of the one after (eeversion itself takes milliseconds), read
    off the output as it arrives. Same returns as sos_in_lldb."""
    args = ([dotnet_dump] if not dotnet_dump.endswith(".dll") else ["dotnet", dotnet_dump])
    args += ["analyze", core, "-c", "eeheap -gc", "-c", "eeversion"]
    for c in commands:
        args += ["-c", c, "-c", "eeversion"]
    args += ["-c", "exit"]
    per, walls, rss = [[] for _ in commands], [], 0
    for _ in range(runs):
        rss_file = tempfile.NamedTemporaryFile("r")
        start = time.monotonic()
        p = subprocess.Popen(measured(args, rss_file.name), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        killer = threading.Timer(timeout, os.killpg, (p.pid, 9))
        killer.start()
        marks, carry, tail = [], b"", b""
        for chunk in iter(lambda: p.stdout.read1(1 << 16), b""):
            now = time.monotonic()
            seen = carry + chunk
            marks += [now] * seen.count(MARK)  # MARK does not overlap itself: none counted twice
            carry = seen[-(len(MARK) - 1):]
            tail = (tail + chunk)[-4096:]
        _, status, usage = os.wait4(p.pid, 0)
        killer.cancel()
        rss = max(rss, peak_rss(rss_file.name, usage.ru_maxrss))
        rss_file.close()
        if time.monotonic() - start >= timeout:
            return [None] * len(commands), None, rss
        if status != 0 or len(marks) != len(commands) + 1:
            raise SystemExit("dotnet-dump analyze failed on %s (status %d, %d marks):\n%s"
                             % (commands, status, len(marks), tail[-2000:].decode(errors="replace")))
        walls.append(time.monotonic() - start)
        for i in range(len(commands)):
            per[i].append(marks[i + 1] - marks[i])
    return [statistics.median(x) for x in per], statistics.median(walls), rss


def gcroot_in_session(info, runs, where):
    """Median seconds of the first and the second gcroot in one lldb session,
    then of the first retained (it builds the dominator tree on gcroot's
    index) and of retained -stat; the index's and the tree's sizes; the peak
    RSS of a session of the first gcroot and retained, and of that one."""
    times, index, tree, rss = [[], [], [], []], None, None, 0
    queries = ["gcroot --json " + info["gcrootTarget"], "gcroot " + info["gcrootTarget2"],
               "retained --json " + info["gcrootTarget"], "retained -stat -top 10"]
    for _ in range(runs):
        _, peak, text = run_lldb([STAMP, queries[0], STAMP, queries[1], STAMP, queries[2], STAMP, queries[3], STAMP],
                                 **where)
        rss = max(rss, peak)
        for i, gap in enumerate(stamp_gaps(text, queries)):
            times[i].append(gap)
        m = re.search(r'"index":(\{[^}]*\})', text)
        index = json.loads(m.group(1)) if m else None
        m = re.search(r'"tree":(\{[^}]*\})', text)
        tree = json.loads(m.group(1)) if m else None
    tree_rss = run_lldb([queries[0], queries[2]], **where)[1]
    return [statistics.median(t) for t in times], index, tree, (tree_rss, rss)


def in_session(command, runs, **where):
    """Median seconds of command inside one lldb session, after eeversion (lldb,
    the core or process, the plugin and the DAC loaded) and before anything else."""
    times = []
    for _ in range(runs):
        _, _, text = run_lldb(["eeversion", STAMP, command, STAMP], **where)
        times += stamp_gaps(text, [command])
    return statistics.median(times)


def build_clrmd():
    r = subprocess.run(["dotnet", "build", "-c", "Release", "-nologo", "-v", "q", "-o", CLRMD_DIR,
                        os.path.join(ROOT, "bench", "ClrmdBench")], capture_output=True, text=True)
    return r.returncode == 0, ((r.stdout + r.stderr).strip().splitlines() or [""])[-1]


def clrmd(core, runs, op, *extra):
    """ClrmdBench on the core, runs times: median seconds of the command (in
    process, after opening the dump), median wall, peak RSS in KiB."""
    commands, walls, rss = [], [], 0
    for _ in range(runs):
        with tempfile.NamedTemporaryFile("r") as rss_file:
            start = time.monotonic()
            p = subprocess.Popen(measured(["dotnet", os.path.join(CLRMD_DIR, "ClrmdBench.dll"), core, op] +
                                          list(extra), rss_file.name),
                                 stdout=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
            out = p.stdout.read()
            _, status, usage = os.wait4(p.pid, 0)
            walls.append(time.monotonic() - start)
            peak = peak_rss(rss_file.name, usage.ru_maxrss)
        m = re.search(r"^CLRMD (\{.*\})$", out, re.M)
        if status != 0 or not m:
            raise SystemExit("ClrmdBench %s failed:\n%s" % (op, out[-2000:]))
        commands.append(json.loads(m.group(1))["command"])
        rss = max(rss, peak)
    return statistics.median(commands), statistics.median(walls), rss


def bench_sos(sos, info, where, core, label, objects, clrsos_times, rows, tool_rows):
    """The same commands in SOS (in lldb) and dotnet-dump analyze, on the same core."""
    t = info["typeName"]
    sessions = [
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
    sessions = [[(n, c) for n, c in s if n in clrsos_times] for s in sessions]
    sessions = [s for s in sessions if s]
    clrsos_rss = {r["command"]: r["rss"] for r in rows if r["size"] == label}
    for session in sessions:
        names = [n for n, _ in session]
        commands = [c for _, c in session]
        results = {}
        if sos["dir"]:
            results["sos"] = sos_in_lldb(sos["dir"], commands, sos["runs"], where, sos["timeout"])
        if sos["dump"]:
            results["dump"] = dotnet_dump_analyze(sos["dump"], core, commands, sos["runs"], sos["timeout"])
        for i, name in enumerate(names):
            row = {"size": label, "objects": objects, "command": name, "clrsos": clrsos_times[name],
                   "clrsos_rss": clrsos_rss.get(name, 0)}
            for tool, (times, wall, rss) in results.items():
                row[tool] = times[i]
                row[tool + "_wall"] = wall
                row[tool + "_rss"] = rss
            tool_rows.append(row)
            print("  %s: clrsos %.3f s, SOS %s, dotnet-dump %s" % (
                name, row["clrsos"], fmt_s(row.get("sos")), fmt_s(row.get("dump"))), flush=True)
    if sos["dir"] and "dumpheap -stat (live, attached)" in clrsos_times:
        times, wall, rss = sos_in_lldb(sos["dir"], ["dumpheap -stat"], sos["runs"], {"pid": info["pid"]},
                                      sos["timeout"])
        tool_rows.append({"size": label, "objects": objects, "command": "dumpheap -stat (live, attached)",
                          "clrsos": clrsos_times["dumpheap -stat (live, attached)"],
                          "clrsos_rss": clrsos_rss.get("dumpheap -stat (live, attached)", 0),
                          "sos": times[0], "sos_wall": wall, "sos_rss": rss})


def fmt_s(v):
    return "—" if v is None else "%.3f s" % v


def bench_size(millions, runs, rows, index_rows, side_rows, have_clrmd, sos, tool_rows, only):
    target, info = start_target(millions)
    scratch = tempfile.mkdtemp(prefix="clrsos-bench-")
    try:
        core = os.path.join(scratch, "core")
        createdump = os.path.join(info["runtimeDir"], "createdump")
        subprocess.run([createdump, "--full", "-f", core, str(info["pid"])], check=True,
                       stdout=subprocess.DEVNULL)
        exe = shutil.which("dotnet")
        where = {"core": core, "exe": exe}
        # The baseline: lldb, the core, the plugin, the runtime's DAC loaded
        # and the GC's layout read (eeversion): what every command pays first.
        base, base_rss, _ = median_run(["eeversion"], runs, **where)
        _, _, text = run_lldb(["dumpheap -stat"], **where)
        m = re.search(r"^Total ([\d,]+) objects, ([\d,]+) bytes", text, re.M)
        objects = int(m.group(1).replace(",", ""))
        size = os.path.getsize(core)
        label = "%g M" % millions
        clrsos_times = {}

        def wanted(name):
            return not only or any(o in name for o in only)

        def row(name, commands, per_object=False, session=None, **w):
            if not wanted(name):
                return
            wall, rss, _ = median_run(commands, runs, **(w or where))
            inside = session if session is not None else in_session(commands[0], runs, **(w or where))
            clrsos_times[name] = inside
            rows.append({
                "size": label, "objects": objects, "command": name, "wall": wall, "session": inside,
                "rate": objects / inside if per_object and inside > 0 else None, "rss": rss,
                "extra": (rss - base_rss) * 1024 / objects if per_object else None,
            })

        row("dumpheap -stat", ["dumpheap -stat"], per_object=True)
        row("dumpheap -type %s -short" % info["typeName"], ["dumpheap -type %s -short" % info["typeName"]])
        row("dumpheap -live -stat", ["dumpheap -live -stat"], per_object=True)
        # Both gcroot queries in one session, timed inside it: the first builds
        # the stop's index, the second only searches it.
        if wanted("gcroot (first query)") or wanted("retained"):
            (first, second, tree_first, tree_stat), index, tree, peaks = gcroot_in_session(info, runs, where)
            row("gcroot (first query)", ["gcroot " + info["gcrootTarget"]], session=first)
            # The tree's peaks over a session of the first gcroot alone.
            gcroot_rss = median_run(["gcroot " + info["gcrootTarget"]], runs, **where)[1]
            if tree:
                tree["peakOverGcroot"] = (peaks[0] - gcroot_rss) * 1024
                tree["statPeakOverGcroot"] = (peaks[1] - gcroot_rss) * 1024
            for name, t in (("gcroot (second query, same stop)", second),
                            ("retained (first: builds the dominator tree, after gcroot)", tree_first),
                            ("retained -stat (same stop)", tree_stat)):
                if not wanted(name):
                    continue
                rows.append({"size": label, "objects": objects, "command": name,
                             "wall": None, "session": t, "rate": None, "rss": 0, "extra": None})
                clrsos_times[name] = t
            index_rows.append((millions, objects, index, tree))
        row("inspect (every check: a heap walk, the referrer index and the dominator tree)", ["inspect"],
            per_object=True)
        row("objsize (1000-child fan-out)", ["objsize " + info["objsizeTarget"]])
        row("dumpheap -strings", ["dumpheap -strings"], per_object=True)
        row("gcheapstat", ["gcheapstat"], per_object=True)
        row("gcheapstat -iu", ["gcheapstat -iu"], per_object=True)
        row("verifyheap", ["verifyheap"], per_object=True)
        row("dumpheap -stat (live, attached)", ["dumpheap -stat"], per_object=True, pid=info["pid"])
        row("dumpheap -stat (live, attached, through lldb's memory API)", ["dumpheap -stat"], per_object=True,
            pid=info["pid"], env={"CLRSOS_LLDB_MEMORY": "1"})
        if have_clrmd:
            for name, op in (("dumpheap -stat", ["stat"]), ("dumpheap -live -stat", ["live-stat"]),
                             ("gcroot (first query)", ["gcroot", info["gcrootTarget"]])):
                if name not in clrsos_times:
                    continue
                command, wall, rss = clrmd(core, runs, *op)
                side_rows.append({"size": label, "objects": objects, "command": name,
                                  "clrsos": clrsos_times[name], "clrmd": command, "clrmd_wall": wall,
                                  "clrmd_rss": rss})
        if sos["dir"] or sos["dump"]:
            bench_sos(sos, info, where, core, label, objects, clrsos_times, rows, tool_rows)
        return objects, size
    finally:
        target.kill()
        target.wait()
        shutil.rmtree(scratch, ignore_errors=True)


def sos_table(sos, tool_rows, notes):
    """The side-by-side table with SOS and dotnet-dump, and what could not be measured."""
    lines = []
    if tool_rows:
        lines.append("Side by side with SOS on the same cores (%s runs each; SOS %s): SOS = libsosplugin.so in the same "
                     "lldb, each command timed inside its session after `eeheap -gc` (SOS's hosting, the runtime and "
                     "the GC's layout loaded); dotnet-dump = `dotnet-dump analyze`, each command timed from the "
                     "output of an `eeversion` before it to that of one after. clrsos: in session, as above. "
                     "Peak RSS of the whole process (lldb, or dotnet-dump):"
                     % (sos["runs"], sos_version(sos["dir"]) if sos["dir"] else "not measured"))
        lines.append("")
        lines.append("| heap | command | clrsos (s) | SOS in lldb (s) | SOS / clrsos | dotnet-dump (s) | dotnet-dump / clrsos "
                     "| peak RSS MB: clrsos / SOS / dotnet-dump |")
        lines.append("|---|---|---:|---:|---:|---:|---:|---:|")

        def cell(r, tool):
            if tool not in r:
                return "not measured", ""
            if r[tool] is None:
                return "> %.0f (cut)" % sos["timeout"], "> %.0f×" % (sos["timeout"] / r["clrsos"])
            return "%.3f" % r[tool], "%.1f×" % (r[tool] / r["clrsos"]) if r["clrsos"] > 0 else ""

        for r in tool_rows:
            s_t, s_x = cell(r, "sos")
            d_t, d_x = cell(r, "dump")
            mb = lambda k: "%.0f" % (r[k] / 1024) if r.get(k) else "—"
            lines.append("| %s | `%s` | %.3f | %s | %s | %s | %s | %s / %s / %s |" % (
                r["size"], r["command"], r["clrsos"], s_t, s_x, d_t, d_x, mb("clrsos_rss"), mb("sos_rss"),
                mb("dump_rss")))
        lines.append("")
    for n in notes:
        lines.append("Not measured: " + n + " (not installable from this machine's package source).")
    if notes:
        lines.append("")
    return lines


def main():
    argv = sys.argv[1:]
    runs, out, only = 3, os.path.join(ROOT, "build", "bench", "results.md"), []
    sos_dir, dump, sos_runs, sos_timeout = (os.environ.get("CLRSOS_BENCH_SOS"),
                                            os.environ.get("CLRSOS_BENCH_DOTNET_DUMP"), None, 1800)
    while argv and argv[0].startswith("--"):
        if len(argv) < 2:
            raise SystemExit("%s needs a value" % argv[0])
        if argv[0] == "--runs":
            runs = int(argv[1])
        elif argv[0] == "--out":
            out = argv[1]
        elif argv[0] == "--sos":
            sos_dir = argv[1]
        elif argv[0] == "--dotnet-dump":
            dump = argv[1]
        elif argv[0] == "--sos-runs":
            sos_runs = int(argv[1])
        elif argv[0] == "--sos-timeout":
            sos_timeout = float(argv[1])
        elif argv[0] == "--only":
            only = [o.strip() for o in argv[1].split(",") if o.strip()]
        else:
            raise SystemExit("unknown option %s" % argv[0])
        argv = argv[2:]
    sizes = [float(a) for a in argv] or [1, 10]
    if not os.path.exists(PLUGIN):
        raise SystemExit("no %s: run scripts/build.sh first" % PLUGIN)
    if not os.access(TIME, os.X_OK):
        raise SystemExit("no %s (GNU time, for peak memory): run scripts/setup.sh first" % TIME)
    build_target()
    sos_dir, dump, sos_notes = find_sos(sos_dir, dump)
    sos = {"dir": sos_dir, "dump": dump, "runs": sos_runs or runs, "timeout": sos_timeout}
    have_clrmd, why_clrmd = build_clrmd()
    rows, index_rows, side_rows, tool_rows = [], [], [], []
    for s in sizes:
        objects, size = bench_size(s, runs, rows, index_rows, side_rows, have_clrmd, sos, tool_rows, only)
        print("%g M: %d objects, core %.0f MB" % (s, objects, size / 1e6), flush=True)
    lines = ["| heap | command | wall (s) | in session (s) | objects/s | peak RSS (MB) | RSS over start-up, bytes/object |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append("| %s (%s objects) | `%s` | %s | %.3f | %s | %s | %s |" % (
            r["size"], "{:,}".format(r["objects"]), r["command"],
            "%.2f" % r["wall"] if r["wall"] is not None else "", r["session"],
            "{:,.0f}".format(r["rate"]) if r["rate"] else "", "%.0f" % (r["rss"] / 1024) if r["rss"] else "",
            "%.1f" % r["extra"] if r["extra"] is not None else ""))
    lines.append("")
    lines.append("Median of %d runs each; machine: %d CPUs, %s. Wall: a whole `lldb -b -c core dotnet` run with the "
                 "plugin loaded and the command. In session: the command alone, timed inside lldb after `eeversion` "
                 "(lldb, the core, the plugin and the DAC loaded). RSS over start-up (that of an `eeversion` run) "
                 "includes the core's pages lldb mapped while the heap was read, not only clrsos's own indexes."
                 % (runs, os.cpu_count(), os.uname().release))
    lines.append("")
    if have_clrmd and side_rows:
        lines.append("Side by side on the same cores with ClrMD %s (Microsoft.Diagnostics.Runtime from the package "
                     "source; bench/ClrmdBench): the same command, timed inside its process after the dump and "
                     "runtime are opened:" % clrmd_version())
        lines.append("")
        lines.append("| heap | command | clrsos (s) | ClrMD (s) | ClrMD / clrsos | ClrMD objects/s | ClrMD peak RSS (MB) |")
        lines.append("|---|---|---:|---:|---:|---:|---:|")
        for r in side_rows:
            rate = "{:,.0f}".format(r["objects"] / r["clrmd"]) if "gcroot" not in r["command"] else ""
            lines.append("| %s | `%s` | %.3f | %.2f | %.1f× | %s | %.0f |" % (
                r["size"], r["command"], r["clrsos"], r["clrmd"], r["clrmd"] / r["clrsos"], rate,
                r["clrmd_rss"] / 1024))
        lines.append("")
    elif not have_clrmd:
        lines.append("ClrMD not measured: bench/ClrmdBench did not build (%s)." % why_clrmd)
    lines.append("")
    lines.append("gcroot's index (mark bits, object numbering, referrers, a search's links), as gcroot --json reports it, and the dominator tree built on it, as retained --json reports it; the peaks: a session of the first gcroot and retained, and one of both gcroot queries, retained and retained -stat, each over a session of the first gcroot alone:")
    lines.append("")
    lines.append("| heap | live objects | references | index bytes | bytes per heap object | dominator tree bytes | "
                 "tree bytes per live object | peak RSS over the first gcroot's, bytes per live object: retained | "
                 "and retained -stat |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for millions, objects, index, tree in index_rows:
        if index:
            lines.append("| %g M | {:,} | {:,} | {:,} | %.1f | {} | {} | {} | {} |".format(
                index["liveObjects"], index["references"], index["bytes"],
                "{:,}".format(tree["bytes"]) if tree else "",
                "%.1f" % (tree["bytes"] / tree["liveObjects"]) if tree and tree["liveObjects"] else "",
                "%.1f" % (tree["peakOverGcroot"] / tree["liveObjects"]) if tree and tree["liveObjects"] else "",
                "%.1f" % (tree["statPeakOverGcroot"] / tree["liveObjects"]) if tree and tree["liveObjects"] else "")
                % (millions, index["bytes"] / objects))
    lines.append("")
    lines += sos_table(sos, tool_rows, sos_notes)
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
