#!/usr/bin/env python3
"""The live tool's benchmark: clrsos counters beside dotnet-counters, trigger's latency, and the tools' footprint.

usage: live.py [--runs N] [--seconds S] [--dotnet-counters PATH] [--out FILE] [--only overhead,trigger,footprint]

Both monitors (section 1) are run the same way: under a pseudo-terminal
of 120x50 (what a user sees; the pty is read all the time, so no output
blocks, and a cursor position query, ESC [6n, is answered as a terminal
would: dotnet-counters asks one at each redraw through .NET's Console
and, unanswered, waits about 10 s), stdin the pty, stopped with SIGINT.
A monitor counts as ready once its view shows a value (a line with
"dotnet.gc"); the time to that is its startup. CPU seconds
(user+system) come from wait4() when it has exited (the whole run:
startup, the measured window, shutdown) and, for the measured window
alone, from /proc/<pid>/stat; peak RSS is VmHWM from /proc/<pid>/status
(wait4's ru_maxrss is not used: it includes the forking Python's RSS).
The recorders of section 3 run with stdin and stdout on /dev/null and
are measured the same way.

1. Overhead on a monitored service. The demo service (demo/DiagScenario)
   serves GET /api/diagscenario/stats under wrk (one thread, 8 connections,
   S seconds, default 10) three ways, N runs each (default 3), in a
   rotating order: unmonitored, with `clrsos counters <pid>
   --refresh-interval 1`, and with `dotnet-counters monitor -p <pid>
   --refresh-interval 1`. A monitor is started, waited for until ready,
   given 1 s more, then wrk runs. Reported: requests per second (median
   and range, and the change against the same run's unmonitored figure,
   which the machine's drift between runs does not enter), each
   monitor's startup, CPU over
   wrk's window and over its whole run, and peak RSS; the load average
   before each run.
2. Trigger latency. Spiker (tests/targets) spikes from 30 MB to 200 MB
   (low 3 s, high 3 s); `clrsos trigger <pid> 120 --type heap` (refresh
   1 s) watches it. The latency is from the first moment Spiker itself
   reports GC.GetTotalMemory above 120 MB (its TRUTH lines, every 250 ms,
   one right after it has filled the spike; negative when the tool saw it
   first) to the time stamp of the tool's line saying it asks for the
   dump, and also from Spiker's last report below 120 MB (the heap
   crossed between the two); then the dump's duration as the tool reports
   it. Both clocks are this machine's wall clock. Run i starts the tool
   i/N s later in Spiker's cycle, so the counters' 1 s ticks fall at
   different points.
3. Footprint. build/clrsos's size (as built, and stripped) and its shared
   libraries (ldd), beside the size of dotnet-counters' tool directory and
   of the .NET runtime it needs. Then recording an idle Spiker (`steady 50
   120`) for 30 s: `clrsos counters <pid> --format csv --duration 30s`
   against `dotnet-counters collect -p <pid> --format csv --duration
   00:00:00:30`, N runs each, one Spiker per run, the order alternating:
   CPU seconds, peak RSS, wall time and the rows recorded.

dotnet-counters 10.0.750501 is installed as a .NET tool into
~/.cache/clrsos/tools if --dotnet-counters is not given. Needs build/clrsos
and build/targets/Spiker (scripts/build.sh) and wrk (Debian's package).
Not a test: CI does not run it. Raw results go to --out (JSON lines,
default build/bench/live-raw.jsonl); the tables go to stdout.
"""
import argparse
import datetime
import fcntl
import json
import os
import pty
import re
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, "build", "clrsos")
SPIKER = os.path.join(ROOT, "build", "targets", "Spiker", "Spiker.dll")
SERVICE_DIR = os.path.join(ROOT, "build", "bench", "DiagScenario")
TOOLS = os.path.expanduser("~/.cache/clrsos/tools")
TICKS = os.sysconf("SC_CLK_TCK")
DOTNET_COUNTERS_VERSION = "10.0.750501"


def dotnet_counters(path):
    if path:
        return os.path.abspath(path)
    exe = os.path.join(TOOLS, "dotnet-counters")
    if not os.path.exists(exe):
        subprocess.run(["dotnet", "tool", "install", "dotnet-counters", "--version", DOTNET_COUNTERS_VERSION,
                        "--tool-path", TOOLS], check=True, stdout=subprocess.DEVNULL)
    return exe


def proc_cpu_hwm(pid):
    """CPU seconds (user+system) and peak RSS in MB (VmHWM) of a running process, or (None, None) when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open("/proc/%d/status" % pid) as f:
            hwm = re.search(r"^VmHWM:\s+(\d+) kB", f.read(), re.M)
    except OSError:
        return None, None
    return (int(fields[11]) + int(fields[12])) / TICKS, int(hwm.group(1)) / 1024 if hwm else None


def reap(p, timeout):
    """Waits for a child, polling its VmHWM every 50 ms, and reaps it with wait4().

    Returns (exit status, CPU seconds from wait4, peak RSS in MB: the last VmHWM read, VmHWM only grows).
    wait4's ru_maxrss is not used: it counts the forking Python's own RSS, which the child had before exec.
    Kills the child after timeout seconds."""
    deadline = time.monotonic() + timeout
    peak = None
    while True:
        _, hwm = proc_cpu_hwm(p.pid)
        if hwm is not None:
            peak = hwm
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            p.returncode = os.waitstatus_to_exitcode(status)
            return p.returncode, ru.ru_utime + ru.ru_stime, peak
        if time.monotonic() > deadline:
            p.kill()
            deadline = time.monotonic() + 10
        time.sleep(0.05)


class Monitor:
    """A tool run under a pty of 120x50 whose output is read all the time (kept, for readiness and errors)."""

    def __init__(self, args):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 120, 0, 0))
        self.start = time.monotonic()
        self.p = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
        os.close(slave)
        self.master = master
        self.out = bytearray()
        self.tail = b""
        self.ready_at = None
        self.ready = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            try:
                b = os.read(self.master, 65536)
            except OSError:  # EIO: the child side is closed
                break
            if not b:
                break
            # Answer "where is the cursor?" (ESC [6n) as a terminal would: .NET's Console asks it
            # (dotnet-counters reads Console.CursorTop) and waits for the answer, seconds, without one.
            # Both tools' views start with ESC [H ESC [J, so the cursor is at the top left.
            queries = (self.tail + b).count(b"\x1b[6n") - self.tail.count(b"\x1b[6n")
            self.tail = b[-3:]
            for _ in range(queries):
                os.write(self.master, b"\x1b[1;1R")
            if len(self.out) < 1 << 20:
                self.out += b
            if self.ready_at is None and b"dotnet.gc" in self.out:
                self.ready_at = time.monotonic()
                self.ready.set()
        self.ready.set()

    def wait_ready(self, timeout):
        self.ready.wait(timeout)
        if self.ready_at is None:
            self.stop()
            raise SystemExit("%s showed no values in %d s:\n%s" % (self.p.args[0], timeout, self.text()[-2000:]))
        return self.ready_at - self.start

    def stop(self):
        """SIGINT, as Ctrl-C; returns (exit status, CPU seconds, peak RSS MB) of the whole run."""
        _, hwm = proc_cpu_hwm(self.p.pid)
        if self.p.returncode is None:
            self.p.send_signal(signal.SIGINT)
        status, cpu, peak = reap(self.p, 15)
        self.reader.join(5)
        os.close(self.master)
        return status, cpu, max((x for x in (hwm, peak) if x is not None), default=None)

    def text(self):
        return self.out.decode("utf-8", "replace")


def load():
    return os.getloadavg()


def start_service():
    subprocess.run(["dotnet", "build", "-c", "Release", "-nologo", "-v", "q", "-o", SERVICE_DIR,
                    os.path.join(ROOT, "demo", "DiagScenario")], check=True, stdout=subprocess.DEVNULL)
    p = subprocess.Popen(["dotnet", os.path.join(SERVICE_DIR, "DiagScenario.dll"), "--urls", "http://127.0.0.1:0"],
                         stdout=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    for line in p.stdout:
        m = re.search(r"Now listening on: (http://\S+)", line)
        if m:
            # Keep reading its log, so that it never blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in p.stdout], daemon=True).start()
            return p, m.group(1)
    raise SystemExit("the demo service did not start")


def wrk(url, seconds):
    out = subprocess.run(["wrk", "-t1", "-c8", "-d%ds" % seconds, url + "/api/diagscenario/stats"],
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def med(rows, key, fmt):
    vals = [r[key] for r in rows if r.get(key) is not None]
    return "-" if not vals else fmt % statistics.median(vals)


def overhead(runs, seconds, counters_exe, raw):
    service, url = start_service()
    monitors = [
        ("none", None),
        ("clrsos counters", [TOOL, "counters", str(service.pid), "--refresh-interval", "1"]),
        ("dotnet-counters monitor", [counters_exe, "monitor", "-p", str(service.pid), "--refresh-interval", "1"]),
    ]
    results = {k: [] for k, _ in monitors}
    try:
        wrk(url, 3)  # warm the service up (JIT, tiering)
        for run in range(runs):
            order = monitors[run % 3:] + monitors[:run % 3]
            for name, args in order:
                la = load()
                row = {"bench": "overhead", "run": run, "monitor": name, "seconds": seconds, "load_before": la}
                mon = None
                if args:
                    mon = Monitor(args)
                    row["startup_s"] = mon.wait_ready(60)
                    time.sleep(1)
                    cpu0, _ = proc_cpu_hwm(mon.p.pid)
                row["rps"] = wrk(url, seconds)
                if mon:
                    cpu1, _ = proc_cpu_hwm(mon.p.pid)
                    status, cpu, peak = mon.stop()
                    if cpu0 is not None and cpu1 is not None:
                        row["window_cpu_s"] = cpu1 - cpu0
                    row.update(exit=status, cpu_s=cpu, peak_mb=peak)
                raw.write(json.dumps(row) + "\n")
                raw.flush()
                results[name].append(row)
    finally:
        service.kill()
        service.wait()
    loads = [r["load_before"][0] for rows in results.values() for r in rows]
    print("\n## Overhead on the demo service (wrk -t1 -c8, %d s, medians of %d; 1-min load before runs %.2f-%.2f)\n"
          % (seconds, runs, min(loads), max(loads)))
    print("| monitor | requests/s (min-max) | vs unmonitored, same run (min-max) | startup to first values "
          "| CPU in wrk's %d s | CPU, whole run | peak RSS |" % seconds)
    print("|---|---:|---:|---:|---:|---:|---:|")
    base = {r["run"]: r["rps"] for r in results["none"]}
    for name, rows in results.items():
        rps = [r["rps"] for r in rows]
        rel = [100 * (r["rps"] / base[r["run"]] - 1) for r in rows]
        print("| %s | %.0f (%.0f-%.0f) | %+.1f%% (%+.1f to %+.1f) | %s | %s | %s | %s |" % (
            name, statistics.median(rps), min(rps), max(rps), statistics.median(rel), min(rel), max(rel),
            med(rows, "startup_s", "%.2f s"), med(rows, "window_cpu_s", "%.2f s"), med(rows, "cpu_s", "%.2f s"),
            med(rows, "peak_mb", "%.1f MB")))


def start_spiker(args):
    """Spiker with its stdin kept open (it exits when stdin closes) and its TRUTH lines read all the time."""
    p = subprocess.Popen(["dotnet", SPIKER] + args, stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if not line.startswith("READY "):
        raise SystemExit("Spiker did not start: %r" % line)
    truth = []

    def read():
        for ln in p.stdout:
            if ln.startswith("TRUTH "):
                try:
                    truth.append(json.loads(ln[6:]))
                except ValueError:  # createdump writes to the target's console too, into a line at times
                    pass
    t = threading.Thread(target=read, daemon=True)
    t.start()
    return p, int(line.split()[1]), truth, t


def stop_spiker(p, reader):
    p.stdin.close()
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    reader.join(5)


def latency(runs, raw):
    rows = []
    for run in range(runs):
        out = tempfile.mkdtemp(prefix="clrsos-trigger-")
        la = load()
        spiker, pid, truth, reader = start_spiker(["spike", "30", "200", "3", "3", "60"])
        # Start the tool at a different moment of Spiker's cycle each run, so that the runtime's 1 s
        # counter ticks fall at different points of the spike.
        time.sleep(run / runs)
        tool = subprocess.Popen([TOOL, "trigger", str(pid), "120", "--dumps", "1", "-o", out, "--type", "heap",
                                 "--duration", "60s"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        text, _ = tool.communicate(timeout=120)
        m = re.search(r"^(\d{4}-\d\d-\d\dT[\d:.]+)Z .*dump 1", text, re.M)
        if m:
            # The dump can catch Spiker while it fills the spike, before its first report above: wait for
            # its reports after the tool fired before closing its stdin (which ends it at once).
            fired = datetime.datetime.fromisoformat(m.group(1)).replace(tzinfo=datetime.timezone.utc).timestamp()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not (len(truth) > 1 and truth[-2]["t"] > fired):
                time.sleep(0.1)
        stop_spiker(spiker, reader)
        w = re.search(r"wrote .* in ([\d.]+) s", text)
        if not m:
            raise SystemExit("trigger said no dump:\n" + text)
        fired = datetime.datetime.fromisoformat(m.group(1)).replace(tzinfo=datetime.timezone.utc).timestamp()
        # The last crossing of 120 MB (decimal, as the tool's MB) that Spiker reported before the tool fired.
        # The heap really crossed between Spiker's last report below and its first report above (Spiker fills
        # the spike, ~1 s on a loaded machine, then reports), so the tool can fire before that first report
        # above: then the latency from it is negative. The crossing taken is the last one whose report
        # below came before the tool fired.
        crossed = below = None
        prev = None
        for d in truth:
            if prev is not None and prev["t"] > fired:
                break
            if d["totalMemory"] > 120e6 and prev is not None and prev["totalMemory"] <= 120e6:
                crossed, below = d["t"], prev["t"]
            prev = d
        if crossed is None:
            sys.stderr.write("trigger run %d: no crossing seen around %.3f; Spiker said:\n%s\n" % (
                run, fired, "\n".join("%.3f %d" % (d["t"] - fired, d["totalMemory"]) for d in truth[:40])))
        row = {"bench": "trigger", "run": run, "latency_s": None if crossed is None else fired - crossed,
               "from_last_below_s": None if below is None else fired - below,
               "dump_s": float(w.group(1)) if w else None, "load_before": la}
        raw.write(json.dumps(row) + "\n")
        raw.flush()
        rows.append(row)
        shutil.rmtree(out, ignore_errors=True)
    lat = [r["latency_s"] for r in rows if r["latency_s"] is not None]
    dumps = [r["dump_s"] for r in rows if r["dump_s"] is not None]
    loads = [r["load_before"][0] for r in rows]
    print("\n## Trigger latency (Spiker 30 -> 200 MB, threshold 120 MB, refresh 1 s, %d runs; "
          "1-min load before runs %.2f-%.2f)\n" % (runs, min(loads), max(loads)))
    below = [r["from_last_below_s"] for r in rows if r["from_last_below_s"] is not None]
    print("| from Spiker's first report above 120 MB to the dump request | from its last report below | "
          "heap dump written in |")
    print("|---:|---:|---:|")
    print("| median %s | median %s | median %s |" % (
        "%.2f s (%.2f to %.2f)" % (statistics.median(lat), min(lat), max(lat)) if lat else "- (no crossing seen)",
        "%.2f s (%.2f to %.2f)" % (statistics.median(below), min(below), max(below)) if below else "-",
        "%.2f s (%.2f to %.2f)" % (statistics.median(dumps), min(dumps), max(dumps)) if dumps else "-"))


def du(path):
    total = 0
    for d, _, files in os.walk(path):
        for f in files:
            fp = os.path.join(d, f)
            if not os.path.islink(fp):
                total += os.lstat(fp).st_size
    return total


def static_footprint(counters_exe, raw):
    size = os.path.getsize(TOOL)
    with tempfile.TemporaryDirectory() as tmp:
        stripped = os.path.join(tmp, "clrsos")
        shutil.copy(TOOL, stripped)
        subprocess.run(["strip", stripped], check=True)
        stripped_size = os.path.getsize(stripped)
    libs = [ln.split()[0] for ln in subprocess.run(["ldd", TOOL], capture_output=True, text=True,
                                                   check=True).stdout.splitlines() if ln.strip()]
    tooldir = os.path.dirname(os.path.realpath(counters_exe))
    dotnet = os.path.realpath(shutil.which("dotnet"))
    runtimes = subprocess.run(["dotnet", "--list-runtimes"], capture_output=True, text=True).stdout
    m = re.search(r"^Microsoft\.NETCore\.App (\S+) \[(.*)\]", runtimes, re.M)
    runtime_dir = os.path.join(m.group(2), m.group(1)) if m else None
    row = {"bench": "footprint", "clrsos_bytes": size, "clrsos_stripped_bytes": stripped_size, "clrsos_ldd": libs,
           "dotnet_counters_dir": tooldir, "dotnet_counters_dir_bytes": du(tooldir),
           "netcore_runtime": runtime_dir, "netcore_runtime_bytes": du(runtime_dir) if runtime_dir else None,
           "dotnet_host": dotnet}
    raw.write(json.dumps(row) + "\n")
    raw.flush()
    mb = 1e6
    print("\n## Footprint on disk\n")
    print("| tool | size | needs |")
    print("|---|---:|---|")
    print("| build/clrsos | %.2f MB as built (RelWithDebInfo), %.2f MB stripped | %s |"
          % (size / mb, stripped_size / mb, ", ".join(libs)))
    print("| dotnet-counters %s (its tool directory) | %.1f MB | a .NET runtime: %s, %.1f MB |"
          % (DOTNET_COUNTERS_VERSION, row["dotnet_counters_dir_bytes"] / mb, runtime_dir or "?",
             (row["netcore_runtime_bytes"] or 0) / mb))


def recording(runs, counters_exe, raw):
    tools = [
        ("clrsos counters --format csv", lambda pid, out: [TOOL, "counters", str(pid), "--format", "csv", "-o", out,
                                                           "--duration", "30s"]),
        ("dotnet-counters collect", lambda pid, out: [counters_exe, "collect", "-p", str(pid), "--format", "csv",
                                                      "-o", out, "--duration", "00:00:00:30"]),
    ]
    results = {k: [] for k, _ in tools}
    for run in range(runs):
        order = tools if run % 2 == 0 else tools[::-1]
        spiker, pid, _, reader = start_spiker(["steady", "50", "120"])
        try:
            time.sleep(1)
            for name, argv in order:
                with tempfile.TemporaryDirectory() as tmp:
                    out = os.path.join(tmp, "rec.csv")
                    la = load()
                    t0 = time.monotonic()
                    p = subprocess.Popen(argv(pid, out), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
                    status, cpu, peak = reap(p, 90)
                    wall = time.monotonic() - t0
                    rows = 0
                    if os.path.exists(out):
                        with open(out, errors="replace") as f:
                            rows = sum(1 for _ in f) - 1
                row = {"bench": "recording", "run": run, "tool": name, "exit": status, "cpu_s": cpu, "peak_mb": peak,
                       "wall_s": wall, "csv_rows": rows, "load_before": la}
                raw.write(json.dumps(row) + "\n")
                raw.flush()
                results[name].append(row)
        finally:
            stop_spiker(spiker, reader)
    loads = [r["load_before"][0] for rows in results.values() for r in rows]
    print("\n## Recording an idle Spiker for 30 s (medians of %d; 1-min load before runs %.2f-%.2f)\n"
          % (runs, min(loads), max(loads)))
    print("| tool | CPU | peak RSS | wall time | CSV rows | exit |")
    print("|---|---:|---:|---:|---:|---|")
    for name, rows in results.items():
        print("| %s | %s | %s | %s | %s | %s |" % (
            name, med(rows, "cpu_s", "%.2f s"), med(rows, "peak_mb", "%.1f MB"), med(rows, "wall_s", "%.1f s"),
            med(rows, "csv_rows", "%d"), ",".join(str(r["exit"]) for r in rows)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--dotnet-counters")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench", "live-raw.jsonl"))
    ap.add_argument("--only", default="overhead,trigger,footprint")
    a = ap.parse_args()
    only = set(a.only.split(","))
    if "overhead" in only and not shutil.which("wrk"):
        raise SystemExit("live.py needs wrk: apt-get install wrk")
    for f in (TOOL, SPIKER):
        if not os.path.exists(f):
            raise SystemExit("live.py needs %s: run scripts/build.sh" % os.path.relpath(f, ROOT))
    counters_exe = dotnet_counters(a.dotnet_counters)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    print("# live.py on %s, %d CPUs, load %s, dotnet-counters %s" % (
        datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), os.cpu_count(),
        " ".join("%.2f" % x for x in load()), DOTNET_COUNTERS_VERSION))
    with open(a.out, "w") as raw:
        if "overhead" in only:
            overhead(a.runs, a.seconds, counters_exe, raw)
        if "trigger" in only:
            latency(a.runs, raw)
        if "footprint" in only:
            static_footprint(counters_exe, raw)
            recording(a.runs, counters_exe, raw)
    print("\nraw results: %s" % a.out)


if __name__ == "__main__":
    sys.exit(main())
