#!/usr/bin/env python3
"""The live tool's benchmark: clrsos counters beside dotnet-counters, and trigger's latency.

usage: live.py [--runs N] [--seconds S] [--dotnet-counters PATH] [--out FILE]

1. Overhead on a monitored service. The demo service (demo/DiagScenario)
   serves GET /api/diagscenario/stats under wrk (one thread, 8 connections,
   S seconds, default 10) three ways, interleaved, N runs each (default 3):
   unmonitored, with `clrsos counters <pid> --refresh-interval 1` running,
   and with `dotnet-counters monitor -p <pid> --refresh-interval 1`
   running. Reported: requests per second (median), and each monitor's own
   CPU seconds and peak RSS over the run (from /proc/<pid>/stat and
   VmHWM, read just before it is stopped), with the load average before
   each run.
2. Trigger latency. Spiker (tests/targets) spikes from 30 MB to 200 MB
   every 6 s; `clrsos trigger <pid> 120 --dumps 1` watches it. The latency
   is from the first moment Spiker itself reports GC.GetTotalMemory above
   120 MB (its TRUTH lines, every 250 ms) to the moment the tool says it
   asks for the dump, and the dump's own duration after that.

dotnet-counters 10.0.750501 is installed as a .NET tool into
~/.cache/clrsos/tools if --dotnet-counters is not given. Needs build/clrsos
and build/targets/Spiker (scripts/build.sh) and wrk (Debian's package).
Not a test: CI does not run it. Raw results go to --out (JSON lines).
"""
import argparse
import datetime
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, "build", "clrsos")
SPIKER = os.path.join(ROOT, "build", "targets", "Spiker", "Spiker.dll")
SERVICE_DIR = os.path.join(ROOT, "build", "bench", "DiagScenario")
TOOLS = os.path.expanduser("~/.cache/clrsos/tools")
TICKS = os.sysconf("SC_CLK_TCK")


def dotnet_counters(path):
    if path:
        return path
    exe = os.path.join(TOOLS, "dotnet-counters")
    if not os.path.exists(exe):
        subprocess.run(["dotnet", "tool", "install", "dotnet-counters", "--version", "10.0.750501",
                        "--tool-path", TOOLS], check=True, stdout=subprocess.DEVNULL)
    return exe


def cpu_and_peak(pid):
    """CPU seconds (user+system, with waited-for children) and peak RSS in MB of a running process."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = sum(int(x) for x in fields[11:15]) / TICKS
    peak = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    return cpu, peak


def start_service():
    subprocess.run(["dotnet", "build", "-c", "Release", "-nologo", "-v", "q", "-o", SERVICE_DIR,
                    os.path.join(ROOT, "demo", "DiagScenario")], check=True, stdout=subprocess.DEVNULL)
    p = subprocess.Popen(["dotnet", os.path.join(SERVICE_DIR, "DiagScenario.dll"), "--urls", "http://127.0.0.1:0"],
                         stdout=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    for line in p.stdout:
        m = re.search(r"Now listening on: (http://\S+)", line)
        if m:
            return p, m.group(1)
    raise SystemExit("the demo service did not start")


def wrk(url, seconds):
    out = subprocess.run(["wrk", "-t1", "-c8", "-d%ds" % seconds, url + "/api/diagscenario/stats"],
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def overhead(runs, seconds, counters_exe, raw):
    service, url = start_service()
    monitors = {
        "none": None,
        "clrsos counters": [TOOL, "counters", str(service.pid), "--refresh-interval", "1"],
        "dotnet-counters monitor": [counters_exe, "monitor", "-p", str(service.pid), "--refresh-interval", "1"],
    }
    results = {k: [] for k in monitors}
    try:
        wrk(url, 2)  # warm the service up
        for run in range(runs):
            for name, args in monitors.items():
                load = os.getloadavg()[0]
                mon = None
                if args:
                    mon = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                           stdin=subprocess.PIPE)
                    time.sleep(2)  # the session is up and its first values arrive
                rps = wrk(url, seconds)
                cpu = peak = None
                if mon:
                    cpu, peak = cpu_and_peak(mon.pid)
                    mon.send_signal(signal.SIGINT)
                    try:
                        mon.wait(10)
                    except subprocess.TimeoutExpired:
                        mon.kill()
                        mon.wait()
                row = {"bench": "overhead", "run": run, "monitor": name, "rps": rps, "cpu_s": cpu,
                       "peak_mb": peak, "seconds": seconds, "load_before": load}
                raw.write(json.dumps(row) + "\n")
                results[name].append(row)
    finally:
        service.kill()
        service.wait()
    print("\n## Overhead on the demo service (wrk -t1 -c8, %d s, medians of %d)\n" % (seconds, runs))
    print("| monitor | requests/s | vs unmonitored | monitor CPU | monitor peak RSS |")
    print("|---|---:|---:|---:|---:|")
    base = statistics.median(r["rps"] for r in results["none"])
    for name, rows in results.items():
        rps = statistics.median(r["rps"] for r in rows)
        cpu = "-" if rows[0]["cpu_s"] is None else "%.2f s" % statistics.median(r["cpu_s"] for r in rows)
        peak = "-" if rows[0]["peak_mb"] is None else "%.1f MB" % statistics.median(r["peak_mb"] for r in rows)
        print("| %s | %.0f | %+.1f%% | %s | %s |" % (name, rps, 100 * (rps / base - 1), cpu, peak))


def latency(runs, raw):
    rows = []
    for run in range(runs):
        out = tempfile.mkdtemp(prefix="clrsos-trigger-")
        spiker = subprocess.Popen(["dotnet", SPIKER, "spike", "30", "200", "3", "3", "60"],
                                  stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True)
        line = spiker.stdout.readline()
        pid = int(line.split()[1])
        crossings = []

        tool = subprocess.Popen([TOOL, "trigger", str(pid), "120", "--dumps", "1", "-o", out, "--type", "heap"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        text, _ = tool.communicate(timeout=120)
        spiker.stdin.close()
        spiker.kill()
        truth = spiker.stdout.read()
        spiker.wait()
        for ln in truth.splitlines():
            if ln.startswith("TRUTH "):
                d = json.loads(ln[6:])
                crossings.append((d["t"], d["totalMemory"]))
        m = re.search(r"^(\d{4}-\d\d-\d\dT[\d:.]+)Z .*dump 1", text, re.M)
        w = re.search(r"wrote .* in ([\d.]+) s", text)
        if not m:
            raise SystemExit("trigger said no dump:\n" + text)
        fired = datetime.datetime.fromisoformat(m.group(1)).replace(tzinfo=datetime.timezone.utc).timestamp()
        # The last crossing of 120 MB before the tool fired.
        crossed = None
        prev = 0
        for t, mem in crossings:
            if t > fired:
                break
            if mem > 120 << 20 and prev <= 120 << 20:
                crossed = t
            prev = mem
        row = {"bench": "trigger", "run": run, "latency_s": None if crossed is None else fired - crossed,
               "dump_s": float(w.group(1)) if w else None, "load_before": os.getloadavg()[0]}
        raw.write(json.dumps(row) + "\n")
        rows.append(row)
        shutil.rmtree(out, ignore_errors=True)
    lat = [r["latency_s"] for r in rows if r["latency_s"] is not None]
    dumps = [r["dump_s"] for r in rows if r["dump_s"] is not None]
    print("\n## Trigger latency (Spiker 30 -> 200 MB, threshold 120 MB, refresh 1 s, %d runs)\n" % runs)
    print("| from crossing to dump request | dump (heap) written in |")
    print("|---:|---:|")
    print("| median %.2f s (%.2f-%.2f) | median %.2f s |" % (statistics.median(lat), min(lat), max(lat),
                                                          statistics.median(dumps) if dumps else float("nan")))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--dotnet-counters")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench", "live-raw.jsonl"))
    a = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("live.py needs wrk: apt-get install wrk")
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as raw:
        overhead(a.runs, a.seconds, dotnet_counters(a.dotnet_counters), raw)
        latency(a.runs, raw)
    print("\nraw results: %s" % a.out)


if __name__ == "__main__":
    sys.exit(main())
