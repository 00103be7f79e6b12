"""End-to-end tests of clrsos counters, trigger and chart against real .NET processes.

The target, tests/targets/Spiker, holds a known heap (steady) or spikes on
a schedule, and prints every 250 ms what the runtime says of itself
(GC.GetGCMemoryInfo, GC.CollectionCount, Environment.WorkingSet, its own
count of exceptions thrown). The counters the tool reads from outside are
compared with those lines.

    test_counters.py <case>

Environment (tests/tool/CMakeLists.txt): CLRSOS_TOOL, CLRSOS_TARGETS_DIR.
"""

import csv
import io
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lldb"))
import harness  # noqa: E402
from harness import check, Failure  # noqa: E402
# The runtime's '.NET EventPipe' threads: one for the server, one more per streaming session.
from test_tool import streaming_threads as sessions, wait_threads as wait_sessions  # noqa: E402

TOOL = os.environ.get("CLRSOS_TOOL", "")
TARGETS = os.environ.get("CLRSOS_TARGETS_DIR", "")


class Spiker:
    """A running Spiker; .truths collects its TRUTH lines as they come."""

    def __init__(self, args, variant=None):
        if variant:
            d = os.path.join(TARGETS, "Spiker-" + variant)
            if os.path.exists(os.path.join(d, "UNAVAILABLE")):
                raise harness.Unavailable(open(os.path.join(d, "UNAVAILABLE")).read().strip())
            command = [os.path.join(d, "Spiker")]
        else:
            command = ["dotnet", os.path.join(TARGETS, "Spiker", "Spiker.dll")]
        self.proc = subprocess.Popen(command + [str(a) for a in args], stdout=subprocess.PIPE,
                                     stdin=subprocess.PIPE, text=True, start_new_session=True)
        line = self.proc.stdout.readline()
        if not line.startswith("READY "):
            self.kill()
            raise Failure("Spiker did not start: %r" % line)
        self.pid = int(line.split()[1])
        self.truths = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        while not self.truths:
            time.sleep(0.05)

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith("TRUTH "):
                try:
                    self.truths.append(json.loads(line[6:]))
                except ValueError:
                    # createdump, started by the runtime for a dump, writes to the same stdout: a line of
                    # its may land inside one of the target's. That truth is lost; the next comes soon.
                    print("a TRUTH line mixed with another writer's output, skipped: %r" % line[:120], flush=True)

    def at(self, t):
        """The TRUTH line nearest in time to t (seconds since the epoch)."""
        return min(self.truths, key=lambda d: abs(d["t"] - t))

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.kill()


def tool(*args, timeout=120):
    start = time.time()
    r = subprocess.run([TOOL] + [str(a) for a in args], capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    r.elapsed = time.time() - start
    print("$ clrsos %s  (status %d, %.1f s)\n%s%s" % (" ".join(str(a) for a in args), r.returncode, r.elapsed,
                                                    r.stdout[-2500:], r.stderr[-2000:]), flush=True)
    if r.returncode < 0:
        raise Failure("clrsos died of signal %d" % -r.returncode)
    return r


def near(value, truth, rel, absolute, what):
    ok = abs(value - truth) <= rel * abs(truth) + absolute
    return check(ok, "%s: clrsos %s, the target %s (allowed: %g%% + %g)" % (what, value, truth, rel * 100, absolute))


def iso(ts):
    import datetime
    return datetime.datetime.fromisoformat(ts).timestamp()


def record_json(pid, seconds=5, extra=()):
    out = os.path.join(harness.scratch_dir(), "rec.json")
    r = tool("counters", pid, "--format", "json", "-o", out, "--duration", "%ds" % seconds, *extra)
    check(r.returncode == 0, "counters --format json succeeds")
    check("File saved to" in r.stderr, "it says where it saved")
    doc = json.load(open(out))
    return out, doc


def last(events, name, tags=""):
    """The last event of a counter (display name starts with name) with those tags."""
    found = [e for e in events if e["name"].split(" (")[0] == name and e["tags"] == tags]
    return found[-1] if found else None


# ------------------------------------------------------------------ counters' values against the truth

def values_meter(variant=None):
    """.NET 9 and 10: the System.Runtime meter."""
    with Spiker(["steady", 40, 60], variant) as s:
        time.sleep(1)
        path, doc = record_json(s.pid, 6)
        ev = doc["Events"]
        check(doc["TargetProcess"], "the document names the process")
        check(len(ev) > 50, "many values recorded: %d" % len(ev))
        gens = ["gen0", "gen1", "gen2", "loh", "poh"]
        sizes = [last(ev, "dotnet.gc.last_collection.heap.size", "gc.heap.generation=" + g) for g in gens]
        if not check(all(sizes), "a heap size for each of %s" % gens):
            return
        t = iso(sizes[0]["timestamp"])
        truth = s.at(t)
        # Sizes after the last GC: the same numbers GCMemoryInfo gives, unless a GC ran in between.
        near(sum(x["value"] for x in sizes), truth["heapSize"], 0.05, 2e6, "GC heap size after the last GC")
        near(sizes[2]["value"], truth["gen2Size"], 0.05, 2e6, "gen2 size")
        near(sizes[1]["value"], truth["gen1Size"], 0.05, 2e6, "gen1 size")
        # Where the 40 MB lie after the target's forced compacting gen2 GC is the runtime's choice: all in
        # gen2 on some machines, 33.5 MB in gen2 and 8.5 MB left in gen1 on an AMD EPYC with 32 MB of L3.
        held = sizes[1]["value"] + sizes[2]["value"]
        check(held > 35e6, "gen1 and gen2 hold the target's 40 MB: %s" % held)
        committed = last(ev, "dotnet.gc.last_collection.memory.committed_size")
        near(committed["value"], truth["committed"], 0.10, 4e6, "committed memory")
        ws = last(ev, "dotnet.process.memory.working_set")
        near(ws["value"], truth["workingSet"], 0.15, 8e6, "working set")
        exc = [e for e in ev if e["name"].startswith("dotnet.exceptions")
               and e["tags"] == "error.type=InvalidOperationException"]
        if check(exc, "exceptions by type are recorded"):
            check(exc[-1]["counterType"] == "Rate" and "/ 1 sec" in exc[-1]["name"],
                  "exceptions are a rate per second, as dotnet-counters records them: %r" % exc[-1])
            near(exc[-1]["value"], 20, 0.0, 8, "exceptions per second (the target throws 20/s)")
        gc2 = [e for e in ev if e["name"].startswith("dotnet.gc.collections") and e["tags"] == "gc.heap.generation=gen2"]
        check(gc2 and gc2[-1]["counterType"] == "Rate", "GC counts per generation are recorded as rates")
        alloc = last(ev, "dotnet.gc.heap.total_allocated")
        check(alloc is not None, "allocation rate recorded")
        check(any(e["name"].startswith("dotnet.process.cpu.time") for e in ev), "CPU time recorded")
        check(any(e["name"].startswith("dotnet.gc.pause.time") for e in ev), "time paused in GC recorded")
        check(any(e["name"].startswith("dotnet.thread_pool.thread.count") for e in ev), "thread pool recorded")
        check(any(e["name"].startswith("dotnet.monitor.lock_contentions") for e in ev), "lock contention recorded")
        frag = [last(ev, "dotnet.gc.last_collection.heap.fragmentation.size", "gc.heap.generation=" + g) for g in gens]
        if check(all(frag), "fragmentation per generation recorded"):
            near(sum(x["value"] for x in frag), truth["fragmented"], 0.10, 1e6, "fragmentation")
        # The monitor view (not a terminal: one view per refresh) shows the cumulative GC counts.
        r = tool("counters", s.pid, "--duration", "3s")
        check(r.returncode == 0, "counters (monitor) succeeds")
        view = r.stdout.split("--- ")[-1]
        check("[System.Runtime]" in view, "the view has its provider heading")
        for line in view.splitlines():
            if line.strip().startswith("gc.heap.generation=gen2") and "collections" in prev:
                t = s.truths[-1]
                check(int(line.split()[-1].replace(",", "")) == t["gen2Count"],
                      "gen2 collections %s == GC.CollectionCount(2) %d" % (line.split()[-1], t["gen2Count"]))
            if "(" in line:
                prev = line
        check("Process %d" % s.pid in r.stdout, "the view names the process")
        m = re.search(r"^Resident memory \(VmRSS\): ([\d.]+) MB$", view, re.M)
        if check(m is not None, "the view shows resident memory"):
            near(float(m.group(1)) * 1e6, s.truths[-1]["workingSet"], 0.15, 8e6, "resident memory (VmRSS)")
        os.unlink(path)


def values_eventcounters(variant):
    """.NET 8: the System.Runtime EventCounters."""
    with Spiker(["steady", 40, 60], variant) as s:
        time.sleep(1)
        path, doc = record_json(s.pid, 6)
        ev = doc["Events"]
        heap = [e for e in ev if e["name"].startswith("GC Heap Size")]
        if not check(heap, "GC Heap Size recorded: %s" % sorted({e["name"] for e in ev})[:40]):
            return
        t = iso(heap[-1]["timestamp"])
        truth = s.at(t)
        near(heap[-1]["value"], truth["totalMemory"] / 1e6, 0.05, 2, "GC Heap Size (MB), GC.GetTotalMemory")
        ws = [e for e in ev if e["name"].startswith("Working Set")]
        if check(ws, "working set recorded"):
            near(ws[-1]["value"], truth["workingSet"] / 1e6, 0.15, 8, "Working Set (MB)")
        com = [e for e in ev if e["name"].startswith("GC Committed Bytes")]
        if check(com, "committed recorded"):
            near(com[-1]["value"], truth["committed"] / 1e6, 0.10, 4, "GC Committed Bytes (MB)")
        exc = [e for e in ev if e["name"].startswith("Exception Count")]
        if check(exc, "exceptions recorded"):
            check(exc[-1]["counterType"] == "Rate", "Exception Count is a rate")
            near(exc[-1]["value"], 20, 0.0, 8, "exceptions per second (the target throws 20/s)")
        for g in ("Gen 0 Size", "Gen 1 Size", "Gen 2 Size", "LOH Size", "POH (Pinned Object Heap) Size"):
            check(any(e["name"].startswith(g) for e in ev), "%s recorded" % g)
        g2 = [e for e in ev if e["name"].startswith("Gen 2 Size")]
        if g2:
            near(g2[-1]["value"], truth["gen2Size"], 0.05, 2e6, "Gen 2 Size (B)")
        os.unlink(path)


# ------------------------------------------------------------------ views, recordings, charts

def monitor_tty():
    """On a terminal the view is redrawn in place; Ctrl-C ends it at once, the session stopped."""
    with Spiker(["steady", 20, 60]) as s:
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(TOOL, [TOOL, "counters", str(s.pid)])
        out = b""
        deadline = time.time() + 8
        while time.time() < deadline:
            r, _, _ = select.select([fd], [], [], 0.5)
            if r:
                try:
                    out += os.read(fd, 65536)
                except OSError:
                    break
            if out.count(b"\x1b[H\x1b[J") >= 3 and b"dotnet.gc" in out:
                break
        check(out.count(b"\x1b[H\x1b[J") >= 3, "the view is redrawn in place (%d redraws)" % out.count(b"\x1b[H\x1b[J"))
        check(b"[System.Runtime]" in out, "the view shows System.Runtime")
        check(sessions(s.pid) == 2, "a session streams while the view runs")
        t0 = time.time()
        os.kill(pid, signal.SIGINT)
        _, status = os.waitpid(pid, 0)
        check(time.time() - t0 < 5, "Ctrl-C ends it within 5 s")
        check(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "and it exits 0: %r" % status)
        check(wait_sessions(s.pid, 1) == 1, "the runtime has no session left")


def csv_and_chart():
    """CSV in dotnet-counters collect's format; a subset; charts from CSV and JSON, dumps marked."""
    with Spiker(["steady", 20, 60]) as s:
        d = harness.scratch_dir()
        out = os.path.join(d, "rec.csv")
        r = tool("counters", "-p", s.pid, "--counters",
                 "System.Runtime[dotnet.gc.collections,dotnet.process.memory.working_set]",
                 "--format", "csv", "-o", out, "--duration", "00:00:00:04")
        check(r.returncode == 0, "counters --format csv with a subset succeeds")
        text = open(out).read()
        check(text.startswith("Timestamp,Provider,Counter Name,Counter Type,Mean/Increment\n"),
              "dotnet-counters' CSV header")
        rows = list(csv.reader(io.StringIO(text)))[1:]
        names = {r[2].split(" (")[0] for r in rows}
        check(names == {"dotnet.gc.collections", "dotnet.process.memory.working_set"},
              "only the counters asked for: %s" % names)
        check(all(r[1] == "System.Runtime" and r[3] in ("Rate", "Metric") for r in rows), "provider and type columns")
        ws = [float(r[4]) for r in rows if r[2].startswith("dotnet.process.memory.working_set")]
        if check(ws, "working set rows"):
            near(ws[-1], s.truths[-1]["workingSet"], 0.15, 8e6, "working set in the CSV")
        svg = os.path.join(d, "rec.svg")
        r = tool("chart", out, "--mark", "%d=dump 1" % int(time.time() - 2))
        check(r.returncode == 0 and os.path.exists(svg), "chart of the CSV written beside it")
        root = ET.parse(svg).getroot()
        texts = "".join(root.itertext())
        check("dotnet.process.memory.working_set" in texts, "the chart has the working set's panel")
        check("dump 1" in texts, "the chart marks the dump")
        jpath, doc = record_json(s.pid, 3)
        r = tool("chart", jpath, "-o", os.path.join(d, "j.svg"), "--counters", "dotnet.gc.last_collection.heap.size")
        check(r.returncode == 0, "chart of a JSON recording, one counter")
        ET.parse(os.path.join(d, "j.svg"))
        r = tool("chart", jpath, "-o", os.path.join(d, "x.svg"), "--counters", "no.such.counter")
        check(r.returncode == 1 and "no.such.counter" in r.stderr, "a counter the recording lacks is named")
        check(not os.path.exists(os.path.join(d, "x.svg")), "and no chart is left")


# ------------------------------------------------------------------ trigger

def trigger_spike(variant=None):
    """The seed tool's form: a dump when the GC heap passes the MB given, on a heap that spikes."""
    with Spiker(["spike", 30, 200, 3, 3, 90], variant) as s:
        d = harness.scratch_dir()
        r = tool("trigger", s.pid, 120, "-o", d, "--type", "heap", timeout=120)
        check(r.returncode == 0, "trigger fires and exits 0")
        dumps = [f for f in os.listdir(d) if f.startswith("core_") and "." not in f]
        if not check(len(dumps) == 1, "one dump written: %s" % os.listdir(d)):
            return
        dump = os.path.join(d, dumps[0])
        with open(dump, "rb") as f:
            check(f.read(4) == b"\x7fELF", "the dump is an ELF core")
        line = [l for l in r.stdout.splitlines() if "dump 1 of 1" in l]
        if check(line, "it says when it fired"):
            fired = iso(line[0].split()[0].replace("Z", "+00:00"))
            # The heap's first crossing of 120 MB before that, as the target saw it.
            crossings = [t["t"] for a, t in zip(s.truths, s.truths[1:])
                         if a["totalMemory"] <= 120e6 < t["totalMemory"] and t["t"] <= fired + 0.3]
            if check(crossings, "the target crossed 120 MB before the dump"):
                lag = fired - crossings[-1]
                check(lag < 1 + 2.0, "fired within one interval (1 s) of the crossing, with 2 s slack for a loaded machine: %.2f s" % lag)
            at = s.at(fired)
            check(at["totalMemory"] > 100e6, "the heap was high when it fired: %d" % at["totalMemory"])
        hist = dump + ".counters.json"
        if check(os.path.exists(hist), "the history is saved beside the dump"):
            ev = json.load(open(hist))["Events"]
            heap = [e for e in ev if e["name"].startswith("GC Heap Size")]
            check(heap and heap[-1]["value"] > 120, "the history ends above the threshold")
        svg = dump + ".counters.svg"
        if check(os.path.exists(svg), "a chart is saved beside the dump"):
            check("dump 1" in "".join(ET.parse(svg).getroot().itertext()), "the chart marks the dump")
        # Recordings name counters as dotnet-counters does: by display name.
        r = tool("chart", hist, "-o", os.path.join(d, "h.svg"), "--counters", "GC Heap Size")
        check(r.returncode == 0, "clrsos chart reads the trigger's history")


def trigger_steady():
    """A heap that stays under the threshold: no dump; status 2 when the duration ends."""
    with Spiker(["steady", 30, 60]) as s:
        d = harness.scratch_dir()
        r = tool("trigger", s.pid, 100, "-o", d, "--duration", "5s", "--type", "mini")
        check(r.returncode == 2, "status 2: it ended without a dump (%d)" % r.returncode)
        check(os.listdir(d) == [], "no file written: %s" % os.listdir(d))
        check("Stopped after 0 of 1 dumps" in r.stdout, "it says so")


def trigger_counter():
    """The general form: any counter, --for, --dumps and --cooldown."""
    with Spiker(["spike", 30, 200, 3, 3, 90]) as s:
        d = harness.scratch_dir()
        r = tool("trigger", s.pid, "--counter", "dotnet.process.memory.working_set", "--above", "150MB",
                 "--for", "1s", "--dumps", "2", "--cooldown", "2s", "--type", "mini", "-o", d, timeout=120)
        check(r.returncode == 0, "two dumps and status 0")
        dumps = sorted(f for f in os.listdir(d) if f.startswith("core_") and "." not in f)
        check(len(dumps) == 2, "two dumps: %s" % dumps)
        fired = [iso(l.split()[0].replace("Z", "+00:00")) for l in r.stdout.splitlines() if " of 2 " in l]
        if check(len(fired) == 2, "two firing lines"):
            check(fired[1] - fired[0] >= 2, "at least the cooldown between them: %.2f s" % (fired[1] - fired[0]))
            for f in fired:
                # The counter is sampled once a second before the firing line: compare with what the
                # target saw over that window, not only at the instant of the line.
                seen = [t["workingSet"] for t in s.truths if f - 2.5 <= t["t"] <= f + 0.3]
                check(seen and max(seen) > 140e6, "the working set was high when it fired: %s" % seen)


# ------------------------------------------------------------------ errors

def errors():
    def one_line(r, words):
        check(r.returncode == 1, "status 1, not %d" % r.returncode)
        check(len(r.stderr.strip().splitlines()) == 1, "one line on stderr: %r" % r.stderr)
        check(words in r.stderr, "%r in %r" % (words, r.stderr))

    one_line(tool("counters", os.getpid(), "--duration", "2s"), "not a .NET process")
    one_line(tool("counters", 1 << 29), "no process")
    one_line(tool("counters", "--refresh-interval", "0.5", "1"), "whole number of seconds")
    one_line(tool("counters", "1", "--duration", "soon"), "not a duration")
    one_line(tool("counters", "1", "-o", "x.csv"), "--format")
    one_line(tool("trigger", "1", "lots"), "lots")
    one_line(tool("trigger", "1"), "when?")
    one_line(tool("trigger", "1", "--counter", "x", "--above", "5 apples"), "5 apples")
    one_line(tool("chart", "/nonexistent/rec.csv"), "/nonexistent/rec.csv")
    d = harness.scratch_dir()
    bad = os.path.join(d, "bad.csv")
    with open(bad, "wb") as f:
        f.write(b"\x1b[2J\x00garbage\nnot,a,recording\n")
    one_line(tool("chart", bad), "bad.csv")
    with Spiker(["steady", 10, 60]) as s:
        one_line(tool("counters", s.pid, "--format", "csv", "-o", d, "--duration", "2s"), d)
        one_line(tool("counters", s.pid, "--counters", "System.Runtime[", "--duration", "2s"), "--counters")
        one_line(tool("trigger", s.pid, "50", "-o", bad, "--duration", "2s"), "not a directory")
        check(wait_sessions(s.pid, 1) == 1, "no session left behind by the failures")
        # The target exits while watched: the tool says so, the recording is whole.
        out = os.path.join(d, "gone.json")
        p = subprocess.Popen([TOOL, "counters", str(s.pid), "--format", "json", "-o", out],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        s.kill()
        try:
            _, err = p.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            raise Failure("counters did not notice the target exited")
        check(p.returncode == 1 and "exited" in err, "the target's exit is one line, status 1: %r" % err)
        json.load(open(out))  # whole


CASES = {
    "values-net10": values_meter,
    "values-net9": lambda: values_meter("net9"),
    "values-net8": lambda: values_eventcounters("net8"),
    "monitor-tty": monitor_tty,
    "csv-chart": csv_and_chart,
    "trigger-spike": trigger_spike,
    "trigger-spike-net8": lambda: trigger_spike("net8"),
    "trigger-steady": trigger_steady,
    "trigger-counter": trigger_counter,
    "errors": errors,
}


def main():
    if not TOOL or not os.path.exists(TOOL):
        print("no clrsos tool at %r" % TOOL)
        sys.exit(1)
    try:
        harness.run_case(CASES)
    except harness.Unavailable as e:
        print("SKIPPED: %s" % e)
        sys.exit(harness.SKIP)


if __name__ == "__main__":
    main()
