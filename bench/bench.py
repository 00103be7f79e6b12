#!/usr/bin/env python3
"""The clrsos benchmark: time heap commands on cores of BenchHeap.

usage: bench.py [--runs N] [--out FILE] [millions ...]     (default: 1 10)

For each size: starts BenchHeap with that many million objects, makes a
full core with the runtime's createdump, and runs each command in a fresh
`lldb -b -c <core>` N times (median), plus dumpheap -stat attached to the
live process. Reports wall time, the command's own time inside the lldb
session (after lldb, the core, the plugin and the DAC are loaded), objects
per second, and peak memory of the lldb process. SOS is measured beside it when dotnet-sos can be installed from
the package source; the result says when it cannot.

Beside clrsos it times the same commands with ClrMD (bench/ClrmdBench), the
library SOS's managed commands and dotnet-dump are built on, on the same
cores. Needs build/libclrsos.so (scripts/build.sh). Not a test: CI does not run it.
"""

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
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


def run_lldb(commands, core=None, exe=None, pid=None, env=None):
    """One lldb run: (wall seconds, peak RSS in KiB, output)."""
    args = ["lldb", "-b", "--no-use-colors"]
    args += ["-p", str(pid)] if pid else ["-c", core, exe]
    args += ["-o", "plugin load " + PLUGIN]
    for c in commands:
        args += ["-o", c]
    env = dict(os.environ, PYTHONPATH=LLDB_PYTHONPATH, **(env or {}))
    with tempfile.TemporaryFile("w+") as out:
        start = time.monotonic()
        p = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.monotonic() - start
        out.seek(0)
        text = out.read()
    if status != 0 or "error:" in text:
        raise SystemExit("lldb failed on %s:\n%s" % (commands, text[-2000:]))
    return wall, usage.ru_maxrss, text


def median_run(commands, runs, **where):
    results = [run_lldb(commands, **where) for _ in range(runs)]
    return (statistics.median(r[0] for r in results), max(r[1] for r in results), results[0][2])


def clrmd_version():
    with open(os.path.join(ROOT, "bench", "ClrmdBench", "ClrmdBench.csproj")) as f:
        m = re.search(r'Include="Microsoft.Diagnostics.Runtime" Version="([^"]+)"', f.read())
    return m.group(1) if m else "?"


def sos_available():
    tools = tempfile.mkdtemp(prefix="clrsos-bench-tools-")
    try:
        r = subprocess.run(["dotnet", "tool", "install", "--tool-path", tools, "dotnet-sos"],
                           capture_output=True, text=True, timeout=300)
        return r.returncode == 0, (r.stdout + r.stderr).strip().splitlines()[-1:] or [""]
    finally:
        shutil.rmtree(tools, ignore_errors=True)


def gcroot_in_session(info, runs, where):
    """Median seconds of the first and the second gcroot in one lldb session, and the index's size."""
    stamp = "script import time; print('STAMP %.6f' % time.monotonic())"
    firsts, seconds, index = [], [], None
    for _ in range(runs):
        _, _, text = run_lldb([stamp, "gcroot --json " + info["gcrootTarget"], stamp,
                               "gcroot " + info["gcrootTarget2"], stamp], **where)
        t = [float(x) for x in re.findall(r"^STAMP ([\d.]+)$", text, re.M)]
        if len(t) != 3:
            raise SystemExit("no timestamps in lldb's output:\n" + text[-2000:])
        firsts.append(t[1] - t[0])
        seconds.append(t[2] - t[1])
        m = re.search(r'"index":(\{[^}]*\})', text)
        index = json.loads(m.group(1)) if m else None
    return statistics.median(firsts), statistics.median(seconds), index


STAMP = "script import time; print('STAMP %.6f' % time.monotonic())"


def in_session(command, runs, **where):
    """Median seconds of command inside one lldb session, after eeversion (lldb,
    the core or process, the plugin and the DAC loaded) and before anything else."""
    times = []
    for _ in range(runs):
        _, _, text = run_lldb(["eeversion", STAMP, command, STAMP], **where)
        t = [float(x) for x in re.findall(r"^STAMP ([\d.]+)$", text, re.M)]
        if len(t) != 2:
            raise SystemExit("no timestamps in lldb's output:\n" + text[-2000:])
        times.append(t[1] - t[0])
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
        start = time.monotonic()
        p = subprocess.Popen(["dotnet", os.path.join(CLRMD_DIR, "ClrmdBench.dll"), core, op] + list(extra),
                             stdout=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
        out = p.stdout.read()
        _, status, usage = os.wait4(p.pid, 0)
        walls.append(time.monotonic() - start)
        m = re.search(r"^CLRMD (\{.*\})$", out, re.M)
        if status != 0 or not m:
            raise SystemExit("ClrmdBench %s failed:\n%s" % (op, out[-2000:]))
        commands.append(json.loads(m.group(1))["command"])
        rss = max(rss, usage.ru_maxrss)
    return statistics.median(commands), statistics.median(walls), rss


def bench_size(millions, runs, rows, index_rows, side_rows, have_clrmd):
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

        def row(name, commands, per_object=False, session=None, **w):
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
        first, second, index = gcroot_in_session(info, runs, where)
        row("gcroot (first query)", ["gcroot " + info["gcrootTarget"]], session=first)
        rows.append({"size": label, "objects": objects, "command": "gcroot (second query, same stop)",
                     "wall": None, "session": second, "rate": None, "rss": 0, "extra": None})
        index_rows.append((millions, objects, index))
        row("objsize (1000-child fan-out)", ["objsize " + info["objsizeTarget"]])
        row("dumpheap -strings", ["dumpheap -strings"], per_object=True)
        row("dumpheap -stat (live, attached)", ["dumpheap -stat"], per_object=True, pid=info["pid"])
        row("dumpheap -stat (live, attached, through lldb's memory API)", ["dumpheap -stat"], per_object=True,
            pid=info["pid"], env={"CLRSOS_LLDB_MEMORY": "1"})
        if have_clrmd:
            for name, op in (("dumpheap -stat", ["stat"]), ("dumpheap -live -stat", ["live-stat"]),
                             ("gcroot (first query)", ["gcroot", info["gcrootTarget"]])):
                command, wall, rss = clrmd(core, runs, *op)
                side_rows.append({"size": label, "objects": objects, "command": name,
                                  "clrsos": clrsos_times[name], "clrmd": command, "clrmd_wall": wall,
                                  "clrmd_rss": rss})
        return objects, size
    finally:
        target.kill()
        target.wait()
        shutil.rmtree(scratch, ignore_errors=True)


def main():
    argv = sys.argv[1:]
    runs, out = 3, os.path.join(ROOT, "build", "bench", "results.md")
    while argv and argv[0].startswith("--"):
        if argv[0] == "--runs":
            runs = int(argv[1])
        elif argv[0] == "--out":
            out = argv[1]
        argv = argv[2:]
    sizes = [float(a) for a in argv] or [1, 10]
    if not os.path.exists(PLUGIN):
        raise SystemExit("no %s: run scripts/build.sh first" % PLUGIN)
    build_target()
    have_sos, why = sos_available()
    have_clrmd, why_clrmd = build_clrmd()
    rows, index_rows, side_rows = [], [], []
    for s in sizes:
        objects, size = bench_size(s, runs, rows, index_rows, side_rows, have_clrmd)
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
    lines.append("gcroot's index (mark bits, object numbering, referrers, a search's links), as gcroot --json reports it:")
    lines.append("")
    lines.append("| heap | live objects | references | index bytes | bytes per heap object |")
    lines.append("|---|---:|---:|---:|---:|")
    for millions, objects, index in index_rows:
        if index:
            lines.append("| %g M | {:,} | {:,} | {:,} | %.1f |".format(index["liveObjects"], index["references"],
                                                                     index["bytes"]) % (millions, index["bytes"] / objects))
    lines.append("")
    if not have_sos:
        lines.append("SOS itself not measured: dotnet-sos could not be installed from this machine's package source "
                     "(%s); neither could dotnet-dump. The ClrMD table stands in for it: the dumpheap and gcroot of "
                     "current SOS (in lldb and in dotnet-dump analyze) are managed commands that run on ClrMD."
                     % why[0])
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
