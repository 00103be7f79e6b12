#!/usr/bin/env python3
"""The nettrace reader on streams the .NET runtime writes itself.

usage: test_nettrace.py <nettrace_dump> <nettrace_dump_asan> <targets dir>

For .NET 10 (HeapShapes.dll under `dotnet`) and, when they were built,
.NET 8 and 9 (the self-contained HeapShapes-net8/-net9), has the runtime
write two nettrace files through DOTNET_EnableEventPipe: System.Runtime's
EventCounters (one per second) and System.Diagnostics.Metrics (keyword
TimeSeriesValues, meter System.Runtime, streamed as written). Reads each
with nettrace_dump and checks:
- the events decode: EventCounters' Payload.Name ("gc-heap-size",
  "cpu-usage") with a numeric Mean or Increment; on .NET 9 and 10 the
  Metrics events name meter System.Runtime and instruments such as
  dotnet.gc.last_collection.heap.size, their values numbers in strings;
- the output is the same whether the file is fed whole, byte by byte or
  in random pieces;
- cut or damaged copies (a few hundred) end in an error naming an offset,
  never a crash, under ASan+UBSan.
Prints what each runtime wrote: the events and their fields.
"""

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

EVENTCOUNTERS = "System.Runtime:0xFFFFFFFF:5:EventCounterIntervalSec=1"
METRICS = ("System.Diagnostics.Metrics:0x2:5:SessionId=s1;Metrics=System.Runtime;RefreshInterval=1;"
           "MaxTimeSeries=1000;MaxHistograms=20;ClientId=x")
RUN_SECONDS = 4.0

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)
    return cond


def record(target, config, streaming, path):
    """Runs target until READY plus RUN_SECONDS with EventPipe writing to path; returns whether it ended cleanly."""
    env = dict(os.environ, DOTNET_EnableEventPipe="1", DOTNET_EventPipeOutputPath=path,
               DOTNET_EventPipeConfig=config)
    if streaming:
        env["DOTNET_EventPipeOutputStreaming"] = "1"
    p = subprocess.Popen(target, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         env=env, text=True)
    deadline = time.time() + 120
    for line in p.stdout:
        if line.startswith("READY") or time.time() > deadline:
            break
    time.sleep(RUN_SECONDS)
    # SIGTERM closes the session on .NET 8 and 9 (the end tag is written); .NET 10 exits without it.
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=20)
        clean = True
    except subprocess.TimeoutExpired:
        # HeapShapes blocks its finalizer thread: .NET 8 may not finish exiting after the session closed.
        p.kill()
        p.wait()
        clean = False
    p.stdout.close()
    return clean


def dump(tool, path, mode):
    args = [tool] + mode + [path]
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def parse(out):
    lines = [json.loads(line) for line in out.splitlines()]
    return [e for e in lines if "provider" in e], lines[-1] if lines else {}


def values(event):
    return {path: value for path, _type, value in event["values"]}


def describe(name, events):
    seen = {}
    for e in events:
        key = (e["provider"], e["event"], e["id"], e["version"])
        if key not in seen:
            seen[key] = (e, 0)
        seen[key] = (seen[key][0], seen[key][1] + 1)
    print("%s: %d events" % (name, len(events)))
    for key, (e, count) in sorted(seen.items(), key=lambda kv: str(kv[0])):
        if key[0].startswith("Microsoft-Windows-DotNETRuntimeRundown"):
            continue
        fields = ", ".join("%s:%s" % (p, t) for p, t, _v in e["values"])
        print("  %s/%s id %d version %d opcode %d keywords %s x%d: %s" %
              (key[0], key[1], key[2], key[3], e["opcode"], e["keywords"], count, fields))
    rundown = sum(c for k, (_e, c) in seen.items() if k[0].startswith("Microsoft-Windows-DotNETRuntimeRundown"))
    if rundown:
        print("  (and %d rundown events)" % rundown)


def check_splits(dump_tool, path, name):
    rc, whole, err = dump(dump_tool, path, ["--whole"])
    rc2, bytewise, _ = dump(dump_tool, path, ["--bytes"])
    check(rc == rc2 and whole == bytewise, "%s: byte-by-byte output differs from the whole file's" % name)
    for seed in (1, 2, 3):
        rc3, pieces, _ = dump(dump_tool, path, ["--random", str(seed)])
        check(rc == rc3 and whole == pieces, "%s: random pieces (seed %d) differ from the whole file's" % (name, seed))


def check_eventcounters(events, name):
    counters = [e for e in events if e["event"] == "EventCounters" and e["provider"] == "System.Runtime"]
    if not check(counters, "%s: no EventCounters events" % name):
        return
    names = set()
    for e in counters:
        v = values(e)
        check(e["walk_error"] is None, "%s: %s" % (name, e["walk_error"]))
        names.add(v.get("Payload.Name"))
        kind = v.get("Payload.CounterType")
        number = v.get("Payload.Mean") if kind == "Mean" else v.get("Payload.Increment")
        try:
            float(number)
        except (TypeError, ValueError):
            check(False, "%s: counter %s (%s) without a numeric value: %r" % (name, v.get("Payload.Name"), kind, v))
    for wanted in ("gc-heap-size", "cpu-usage", "gen-0-gc-count"):
        check(wanted in names, "%s: no %s counter among %s" % (name, wanted, sorted(n for n in names if n)))


def check_metrics(events, name, version):
    metrics = [e for e in events if e["provider"] == "System.Diagnostics.Metrics"]
    if version == "8":
        # .NET 8 has no System.Runtime meter (it came with .NET 9): nothing to check but the decoding.
        print("%s: %d System.Diagnostics.Metrics events (.NET 8 has no System.Runtime meter)" % (name, len(metrics)))
        return
    begun = [values(e) for e in metrics if e["event"] == "BeginInstrumentReporting"]
    check(any(v.get("meterName") == "System.Runtime" for v in begun),
          "%s: no BeginInstrumentReporting of meter System.Runtime" % name)
    published = [values(e) for e in metrics if e["event"].endswith("ValuePublished")]
    check(published, "%s: no *ValuePublished events" % name)
    instruments = set()
    for v in published:
        check(v.get("meterName") == "System.Runtime", "%s: a value of meter %r" % (name, v.get("meterName")))
        instruments.add(v.get("instrumentName"))
        value = v.get("value", v.get("lastValue", v.get("rate")))
        if value:
            try:
                float(value)
            except ValueError:
                check(False, "%s: %s's value %r is not a number" % (name, v.get("instrumentName"), value))
    check("dotnet.gc.last_collection.heap.size" in instruments,
          "%s: no dotnet.gc.last_collection.heap.size among %s" % (name, sorted(instruments)))


def mutate(asan_tool, path, name, rng, tmp):
    data = open(path, "rb").read()
    runs = 0
    for i in range(300):
        if i < 100:
            cut = rng.randrange(0, len(data))
            damaged = data[:cut]
            what = "cut at %d" % cut
        else:
            damaged = bytearray(data)
            for _ in range(rng.choice((1, 1, 2, 4))):
                at = rng.randrange(0, len(damaged))
                damaged[at] = rng.choice((0, 0xff, rng.randrange(256), damaged[at] ^ (1 << rng.randrange(8))))
            what = "flipped (run %d)" % i
        mpath = os.path.join(tmp, "mutated.nettrace")
        with open(mpath, "wb") as f:
            f.write(damaged)
        rc, out, err = dump(asan_tool, mpath, ["--random", str(i)])
        runs += 1
        if not check(rc in (0, 1) and "Sanitizer" not in err and "runtime error" not in err,
                     "%s %s: exit %d: %s" % (name, what, rc, err[-2000:])):
            with open(os.path.join(tmp, "crash-%d.nettrace" % i), "wb") as f:
                f.write(damaged)
            continue
        events, last = parse(out)
        if rc == 1:
            check("offset" in (last.get("error") or ""), "%s %s: an error without an offset: %r" % (name, what, last))
        for e in events:
            if e["walk_error"]:
                check("offset" in e["walk_error"], "%s %s: a payload error without an offset: %r" %
                      (name, what, e["walk_error"]))
    print("%s: %d damaged copies read without a crash" % (name, runs))


def main():
    dump_tool, asan_tool, targets = sys.argv[1:4]
    runtimes = [("10", ["dotnet", os.path.join(targets, "HeapShapes", "HeapShapes.dll")])]
    for v in ("8", "9"):
        exe = os.path.join(targets, "HeapShapes-net" + v, "HeapShapes")
        if os.path.exists(exe):
            runtimes.append((v, [exe]))
        else:
            print("note: %s not built; .NET %s not tested" % (exe, v))
    rng = random.Random(20261204)
    with tempfile.TemporaryDirectory(prefix="clrsos-nettrace-") as tmp:
        mutated_once = False
        for version, target in runtimes:
            for kind, config, streaming in (("eventcounters", EVENTCOUNTERS, False), ("metrics", METRICS, True)):
                name = ".NET %s %s" % (version, kind)
                path = os.path.join(tmp, "%s-%s.nettrace" % (kind, version))
                clean = record(target, config, streaming, path)
                if not check(os.path.exists(path) and os.path.getsize(path) > 0, "%s: no file written" % name):
                    continue
                rc, out, err = dump(dump_tool, path, ["--whole"])
                events, last = parse(out)
                print("%s: %d bytes, end tag %s, exit %d, %s" % (name, os.path.getsize(path), last.get("end_tag"),
                                                               rc, last.get("error")))
                # A process killed while writing may leave half an object; one that exited cleanly may not.
                check(rc == 0 or (not clean and "cut short" in (last.get("error") or "")),
                      "%s: the reader failed: %s %s" % (name, last, err))
                describe(name, events)
                if kind == "eventcounters":
                    check_eventcounters(events, name)
                else:
                    check_metrics(events, name, version)
                check_splits(dump_tool, path, name)
                if not mutated_once and kind == "eventcounters":
                    mutate(asan_tool, path, name, rng, tmp)
                    mutated_once = True
            mpath = os.path.join(tmp, "metrics-%s.nettrace" % version)
            if version == "10" and os.path.exists(mpath):
                mutate(asan_tool, mpath, ".NET 10 metrics", rng, tmp)
        if failures:
            print("%d failures" % len(failures))
            return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
