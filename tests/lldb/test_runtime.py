"""sosstatus, runtimes, clrmodules, syncblk and analyzeoom against RuntimeShapes' own truth.

usage: test_runtime.py <case>
  wks-regions-live    workstation GC, lldb attached to the live target
  svr-segments-full   server GC (2 heaps), segments, on a createdump --full core
  oom                 a target whose one large allocation failed under a GC heap
                      hard limit (live): analyzeoom reports it

Checks:
  - runtimes: SOS's line (the regex of SOS's StackAndOtherTests.script), the
    version the target reports, libcoreclr.so in the target's runtime
    directory, the DAC next to it; -netfx and an unknown id fail; setruntime;
  - sosstatus: live or core, the same runtime, the settings;
  - clrmodules: every assembly the target lists is there with its file, the
    Reflection.Emit one as (Dynamic) with no image; each image size is the
    SizeOfImage of the file on disk; -n filters on the file name; -v has
    SOS's fields; a bad regex fails;
  - syncblk: each lock the target holds, with its owner's OS thread id and
    recursion, its object and type; the released one only with -all, with
    MonitorHeld 0; an index shows its entry alone; SOS's header and totals
    (OtherCommands.script's regexes); bad indexes fail;
  - analyzeoom: no OOM on a healthy target (one record per GC heap), the
    GC's reason and details after a failed allocation.
"""

import os
import re
import struct
import sys

import harness
from harness import check

HEX = r"[A-Fa-f0-9]+(`[A-Fa-f0-9]+)?"
DEC = r"[,0-9]+(`[,0-9]+)?"

BAD = {
    "runtimes -netfx": "desktop .NET Framework runtime is not loaded",
    "runtimes 1": "no runtime #1",
    "runtimes -netfx -netcore": "cannot be given together",
    "clrmodules -n (": "is not a regular expression",
    "clrmodules -n": "needs a value",
    "clrmodules extra": "unexpected argument 'extra'",
    "syncblk 0": "syncblk",
    "syncblk 99999": "no sync block 99999",
    "syncblk -bogus": "unknown option '-bogus'",
    "syncblk 1 2": "unexpected argument '2'",
    "analyzeoom 5": "unexpected argument '5'",
    "sosstatus -x": "unknown option '-x'",
    "timerinfo -x": "unknown option '-x'",
    "threadpool -wi": "unknown option '-wi'",
    "threadpoolqueue 1": "unexpected argument '1'",
    "dumpalc": "dumpalc needs",
    "dumpalc 10": "not a managed object",
    "dumpalc 10 20": "a second address",
    "dumpruntimetypes 10": "unexpected argument '10'",
}


def size_of_image(path):
    """SizeOfImage from a PE file's optional header."""
    with open(path, "rb") as f:
        data = f.read(4096)
    lfanew = struct.unpack_from("<I", data, 0x3C)[0]
    return struct.unpack_from("<I", data, lfanew + 24 + 56)[0]


def commands_for(truth):
    cmds = ["runtimes", "runtimes --json", "setruntime", "runtimes 0", "runtimes -netcore",
            "sosstatus", "sosstatus --json", "SOSStatus",
            "clrmodules", "clrmodules --json", "clrmodules -v", "assemblies -n ^runtimeshapes\\.dll$ --json",
            "clrmodules -n ^NoSuchModule$",
            "syncblk", "syncblk --json", "syncblk -all --json", "syncblk -all", "SyncBlk",
            "analyzeoom", "analyzeoom --json", "ao",
            "timerinfo", "timerinfo --json", "ti", "dumpruntimetypes", "dumpruntimetypes --json", "DumpRuntimeTypes",
            "dumpheap -stat -type System.RuntimeType --json",
            "threadpool", "threadpool --json", "tp", "ThreadPool",
            "threadpoolqueue", "threadpoolqueue --json", "tpq", "dumpheap -stat -type RuntimeShapes.QueuedWork --json",
            "dumpalc %s" % truth["alcObject"], "dumpalc %s --json" % truth["alcObject"], "DumpALC %s" % truth["alcObject"],
            "dumpobj %s" % truth["alc"], "dumpalc %s --json" % truth["locks"][0]["address"]]
    return cmds + list(BAD)


def check_runtimes(tr, truth, live):
    rdir = truth["runtimeDirectory"].rstrip("/")
    text = tr.text_of("runtimes")
    check(tr.error("runtimes") is None, "runtimes failed")
    check(re.search(r".*\.NET Core .*runtime.*at.*\s+", text) is not None, "runtimes: SOS's regex: %r" % text)
    m = re.search(r"^#0 \.NET Core runtime (\S+) at ([0-9A-F]{16}) index ([0-9a-f]+)$", text, re.M)
    if check(m, "runtimes: no '#0 .NET Core runtime' line: %r" % text):
        check(m.group(1) == truth["runtimeVersion"], "runtimes: version %s, target %s" % (m.group(1), truth["runtimeVersion"]))
    check("    Runtime module path: %s/libcoreclr.so" % rdir in text, "runtimes: module path: %r" % text)
    check("    DAC: %s/libmscordaccore.so" % rdir in text, "runtimes: DAC path: %r" % text)
    j = tr.json("runtimes --json")
    check(len(j["runtimes"]) == 1 and j["current"] == 0, "runtimes --json: one runtime, current 0")
    r = j["runtimes"][0]
    check(r["version"] == truth["runtimeVersion"], "runtimes --json version")
    check(r["path"] == rdir + "/libcoreclr.so", "runtimes --json path %r" % r["path"])
    check(r["dacPath"] == rdir + "/libmscordaccore.so", "runtimes --json dacPath %r" % r["dacPath"])
    if m:
        check(harness.parse_hex(r["base"]) == int(m.group(2), 16), "runtimes: text and JSON bases differ")
        check(r["buildId"] == m.group(3), "runtimes: text and JSON build ids differ")
    check(tr.text_of("setruntime") == text, "setruntime differs from runtimes")
    check("Switched to runtime #0 successfully" in tr.text_of("runtimes 0"), "runtimes 0")
    check("Switched to .NET Core runtime successfully" in tr.text_of("runtimes -netcore"), "runtimes -netcore")

    s = tr.text_of("sosstatus")
    check(tr.error("sosstatus") is None, "sosstatus failed")
    check(("Target: live process" if live else "Target: core") in s, "sosstatus: target kind: %r" % s)
    check("#0 .NET Core runtime %s" % truth["runtimeVersion"] in s, "sosstatus: runtime line")
    check(re.search(r"^    clr-path\s+", s, re.M) is not None, "sosstatus: settings")
    check(tr.text_of("SOSStatus") == s, "SOSStatus differs from sosstatus")
    sj = tr.json("sosstatus --json")
    check(sj["runtimes"] == j["runtimes"], "sosstatus --json runtimes differ from runtimes --json")
    check(sj["target"] == ("live process" if live else "core"), "sosstatus --json target")
    check("clr-path" in sj["settings"] and "memory-reader" in sj["settings"], "sosstatus --json settings")


def check_modules(tr, truth):
    j = tr.json("clrmodules --json")
    check(tr.error("clrmodules --json") is None, "clrmodules failed")
    mods = j["modules"]
    by_path = {}
    for m in mods:
        if m["path"]:
            by_path.setdefault(m["path"], []).append(m)
    for a in truth["assemblies"]:
        if a["dynamic"]:
            dyn = [m for m in mods if m["dynamic"]]
            if check(dyn, "clrmodules: no dynamic module, the target emitted %s" % a["name"]):
                check(all(harness.parse_hex(m["imageBase"]) == 0 and m["path"] is None for m in dyn),
                      "clrmodules: a dynamic module has an image or a file")
            continue
        got = by_path.get(a["location"])
        if not check(got, "clrmodules: %s (%s) missing" % (a["name"], a["location"])):
            continue
        want = size_of_image(a["location"])
        for m in got:
            check(m["size"] == want, "clrmodules: %s size %d, SizeOfImage %d" % (a["location"], m["size"], want))
            check(harness.parse_hex(m["imageBase"]) != 0 and not m["dynamic"], "clrmodules: %s image base" % a["name"])
    # The target loads itself twice (the default context and a collectible one).
    selfs = [a for a in truth["assemblies"] if a["name"] == "RuntimeShapes"]
    check(len(by_path.get(selfs[0]["location"], [])) == len(selfs), "clrmodules: RuntimeShapes.dll loaded %d times" % len(selfs))

    text = tr.text_of("clrmodules")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    check(len(lines) == len(mods), "clrmodules: %d text lines, %d modules" % (len(lines), len(mods)))
    for ln in lines:
        check(re.match(r"\s*%s.*" % HEX, ln) is not None, "clrmodules: SOS's regex: %r" % ln)
    for m in mods:
        if m["path"]:
            want = "%016X %08X %s" % (harness.parse_hex(m["imageBase"]), m["size"], m["path"])
            check(want in lines, "clrmodules: no line %r" % want)
    check(sum(ln.endswith("(Dynamic)") for ln in lines) == sum(m["dynamic"] for m in mods), "clrmodules: (Dynamic) lines")
    v = tr.text_of("clrmodules -v")
    for field in ("AssemblyName:", "ImageBase:", "Size:", "ModuleAddress:", "AssemblyAddress:", "IsPEFile:",
                  "IsDynamic:", "MetadataAddress:", "MetadataSize:"):
        check(v.count("    " + field) == len(mods), "clrmodules -v: %s %d times, %d modules" % (field, v.count(field), len(mods)))
    for m in mods:
        check("    ModuleAddress:   %016X" % harness.parse_hex(m["module"]) in v, "clrmodules -v: module %s" % m["module"])
    n = tr.json("assemblies -n ^runtimeshapes\\.dll$ --json")["modules"]
    check(len(n) == len(selfs) and all(m["path"] == selfs[0]["location"] for m in n), "assemblies -n: %r" % n)
    check(tr.text_of("clrmodules -n ^NoSuchModule$").strip() == "", "clrmodules -n with no match lists something")


def check_syncblk(tr, truth):
    j = tr.json("syncblk --json")
    check(tr.error("syncblk --json") is None, "syncblk failed")
    rows = {harness.parse_hex(r["object"]): r for r in j["syncBlocks"]}
    for lk in truth["locks"]:
        r = rows.get(harness.parse_hex(lk["address"]))
        if not check(r, "syncblk: lock on %s not listed" % lk["address"]):
            continue
        check(r["ownerOsId"] == lk["osThreadId"], "syncblk: %s owner os id %d, target %d" % (lk["address"], r["ownerOsId"], lk["osThreadId"]))
        check(r["ownerManagedId"] == lk["managedThreadId"], "syncblk: %s owner managed id" % lk["address"])
        check(r["recursion"] == lk["recursion"], "syncblk: %s recursion %d, target %d" % (lk["address"], r["recursion"], lk["recursion"]))
        check(r["monitorHeld"] >= 1 and not r["free"] and r["valid"], "syncblk: %s not held" % lk["address"])
        check(r["type"] == "RuntimeShapes.LockTarget", "syncblk: %s type %r" % (lk["address"], r["type"]))
    free_lock = harness.parse_hex(truth["freeLock"])
    check(free_lock not in rows, "syncblk: the released lock is listed without -all")
    check(all(r["monitorHeld"] > 0 for r in j["syncBlocks"]), "syncblk: a row without a held monitor")
    a = tr.json("syncblk -all --json")
    check(len(a["syncBlocks"]) == a["total"] and a["total"] == j["total"], "syncblk -all lists %d of %d" % (len(a["syncBlocks"]), a["total"]))
    check(a["total"] >= len(truth["locks"]) + 1, "syncblk: total %d, the target made at least %d" % (a["total"], len(truth["locks"]) + 1))
    fr = [r for r in a["syncBlocks"] if harness.parse_hex(r["object"]) == free_lock]
    if check(fr, "syncblk -all: the released lock's sync block missing"):
        check(fr[0]["monitorHeld"] == 0 and fr[0]["owner"] in ("0", "0x0", 0) or harness.parse_hex(str(fr[0]["owner"])) == 0,
              "syncblk -all: the released lock %r" % fr[0])
    check(a["free"] == sum(r["free"] for r in a["syncBlocks"]), "syncblk -all: free count")

    text = tr.text_of("syncblk")
    check(re.search(r"\s*Index\s+SyncBlock\s+MonitorHeld\s+Recursion\s+Owning\s+Thread\s+Info\s+SyncBlock\s+Owner\s+", text),
          "syncblk: SOS's header: %r" % text)
    for pat in (r"\s*Total\s+%s" % DEC, r"\s*CCW\s+%s" % DEC, r"\s*RCW\s+%s" % DEC):
        check(re.search(pat, text), "syncblk: SOS's %r" % pat)
    check(re.search(r"^Total\s+%d$" % j["total"], text, re.M), "syncblk: text total")
    for lk in truth["locks"]:
        r = rows.get(harness.parse_hex(lk["address"]))
        if not r:
            continue
        want = r"^\s*%d %016x\s+%d\s+%d %016x %x\s+(\d+|XXX)\s+%016x RuntimeShapes\.LockTarget$" % (
            r["index"], harness.parse_hex(r["syncBlock"]), r["monitorHeld"], lk["recursion"],
            harness.parse_hex(r["owner"]), lk["osThreadId"], harness.parse_hex(lk["address"]))
        check(re.search(want, text, re.M), "syncblk: no row %r in %r" % (want, text))
    check(tr.text_of("SyncBlk") == text, "SyncBlk differs from syncblk")
    check(len(tr.text_of("syncblk -all").splitlines()) == len(a["syncBlocks"]) + 7, "syncblk -all: one line per entry")
    return [r["index"] for r in j["syncBlocks"]]


def check_one_index(tr, index, truth):
    one = tr.json("syncblk %d --json" % index)
    check(len(one["syncBlocks"]) == 1 and one["syncBlocks"][0]["index"] == index, "syncblk %d: %r" % (index, one))


def check_oom(tr, truth, heaps, want):
    j = tr.json("analyzeoom --json")
    check(tr.error("analyzeoom --json") is None, "analyzeoom failed")
    check(len(j["heaps"]) == heaps, "analyzeoom: %d heap records, the target has %d heaps" % (len(j["heaps"]), heaps))
    check(j["found"] == want, "analyzeoom: found %s, target's OOM %s" % (j["found"], want))
    text = tr.text_of("analyzeoom")
    if not want:
        check(text.strip() == "There was no managed OOM due to allocations on the GC heap", "analyzeoom: %r" % text)
    else:
        hit = [h for h in j["heaps"] if h["reason"]]
        check(hit and all(h["reasonText"] in text for h in hit), "analyzeoom: reason text: %r" % text)
        check("There was no managed OOM" not in text, "analyzeoom: says no OOM")
    check(tr.text_of("ao") == text, "ao differs from analyzeoom")


def check_timers(tr, truth):
    j = tr.json("timerinfo --json")
    check(tr.error("timerinfo --json") is None, "timerinfo failed")
    by_state = {harness.parse_hex(t["state"]): t for t in j["timers"]}
    for want in truth["timers"]:
        t = by_state.get(harness.parse_hex(want["state"]))
        if not check(t, "timerinfo: no timer with state %s" % want["state"]):
            continue
        check(t["dueTimeMs"] == want["dueMs"], "timerinfo: due %d, target %d" % (t["dueTimeMs"], want["dueMs"]))
        check(t["periodMs"] == want["periodMs"], "timerinfo: period %r, target %d" % (t["periodMs"], want["periodMs"]))
        check(t["stateType"] == "RuntimeShapes.TimerState", "timerinfo: state type %r" % t["stateType"])
    periods = [t["periodMs"] if t["periodMs"] is not None else 2**32 - 1 for t in j["timers"]]
    check(periods == sorted(periods), "timerinfo: not ordered by period")
    check(j["count"] == len(j["timers"]) >= len(truth["timers"]), "timerinfo: count")
    text = tr.text_of("timerinfo")
    check(re.search(r"\s*%s\s*timers\s*" % DEC, text), "timerinfo: SOS's regex (WebApp.script): %r" % text)
    check(re.search(r"^   %d timers$" % j["count"], text, re.M), "timerinfo: count line")
    for t in j["timers"]:
        line = "(%s) 0x%016X @%8d ms every %s ms |  %016X (%s) -> %s" % (
            "S" if t["short"] else "L", harness.parse_hex(t["address"]), t["dueTimeMs"],
            "%8d" % t["periodMs"] if t["periodMs"] is not None else "  ------", harness.parse_hex(t["state"]),
            t["stateType"] or "", t["callback"])
        check(line in text.splitlines(), "timerinfo: no line %r" % line)
    check(tr.text_of("ti") == text, "ti differs from timerinfo")


def check_runtime_types(tr, truth):
    j = tr.json("dumpruntimetypes --json")
    check(tr.error("dumpruntimetypes --json") is None, "dumpruntimetypes failed")
    rows = {harness.parse_hex(r["address"]): r for r in j["runtimeTypes"]}
    for want in truth["runtimeTypes"]:
        r = rows.get(harness.parse_hex(want["address"]))
        if not check(r, "dumpruntimetypes: typeof(%s) at %s missing" % (want["name"], want["address"])):
            continue
        check(harness.parse_hex(r["mt"]) == harness.parse_hex(want["mt"]), "dumpruntimetypes: %s MT" % want["name"])
        check(r["type"] == want["name"], "dumpruntimetypes: %s named %r" % (want["name"], r["type"]))
    st = [r for r in tr.json("dumpheap -stat -type System.RuntimeType --json")["statistics"] if r["type"] == "System.RuntimeType"]
    check(st and st[0]["count"] == len(j["runtimeTypes"]),
          "dumpruntimetypes lists %d, dumpheap counts %r" % (len(j["runtimeTypes"]), st))
    text = tr.text_of("dumpruntimetypes")
    check(text.splitlines()[0].split() == ["Address", "Domain", "MT", "Type", "Name"], "dumpruntimetypes: header")
    check(len(text.splitlines()) == len(j["runtimeTypes"]) + 1, "dumpruntimetypes: one line per object")
    for want in truth["runtimeTypes"]:
        check(re.search(r"^\s*%s\s+%x\s+%s %s$" % (want["address"], harness.parse_hex(j["domain"]), want["mt"],
                                                    re.escape(want["name"])), text, re.M),
              "dumpruntimetypes: no line for %s" % want["name"])
    check(tr.text_of("DumpRuntimeTypes") == text, "DumpRuntimeTypes differs from dumpruntimetypes")


def check_threadpool(tr, truth):
    want = truth["threadPool"]
    check(want["limitsSet"], "the target could not set its thread pool limits")
    j = tr.json("threadpool --json")
    check(tr.error("threadpool --json") is None, "threadpool failed")
    # The target pins min = max = its worker count, every worker blocked in a work item.
    check(j["workerMinLimit"] == want["minWorkers"], "threadpool: min %d, target %d" % (j["workerMinLimit"], want["minWorkers"]))
    check(j["workerMaxLimit"] == want["maxWorkers"], "threadpool: max %d, target %d" % (j["workerMaxLimit"], want["maxWorkers"]))
    check(j["workersRunning"] == want["blockedWorkers"], "threadpool: running %d, target blocked %d" % (j["workersRunning"], want["blockedWorkers"]))
    check(j["workersTotal"] == want["threadCount"], "threadpool: total %d, target's ThreadPool.ThreadCount %d" % (j["workersTotal"], want["threadCount"]))
    check(j["workersIdle"] == j["workersTotal"] - j["workersRunning"], "threadpool: idle")
    check(0 <= j["cpuUtilization"] <= 100, "threadpool: cpu %d" % j["cpuUtilization"])
    text = tr.text_of("threadpool")
    want_lines = ["Using the Portable thread pool.", "CPU utilization:  %d%%" % j["cpuUtilization"],
                  "Workers Total:    %d" % j["workersTotal"], "Workers Running:  %d" % j["workersRunning"],
                  "Workers Idle:     %d" % j["workersIdle"], "Worker Min Limit: %d" % j["workerMinLimit"],
                  "Worker Max Limit: %d" % j["workerMaxLimit"]]
    check([ln for ln in text.splitlines() if ln] == want_lines, "threadpool: text %r" % text)
    check(tr.text_of("tp") == text and tr.text_of("ThreadPool") == text, "tp/ThreadPool differ from threadpool")


def check_threadpool_queue(tr, truth):
    j = tr.json("threadpoolqueue --json")
    check(tr.error("threadpoolqueue --json") is None, "threadpoolqueue failed")
    want = truth["threadPool"]
    queued = [i for i in j["global"] if i["type"] == "RuntimeShapes.QueuedWork"]
    check(len(queued) == want["queued"], "threadpoolqueue: %d QueuedWork items in the global queue, target queued %d"
          % (len(queued), want["queued"]))
    check(len(j["global"]) + len(j["local"]) == want["pendingWorkItems"],
          "threadpoolqueue: %d items, the target's ThreadPool.PendingWorkItemCount %d"
          % (len(j["global"]) + len(j["local"]), want["pendingWorkItems"]))
    st = [r for r in tr.json("dumpheap -stat -type RuntimeShapes.QueuedWork --json")["statistics"]
          if r["type"] == "RuntimeShapes.QueuedWork"]
    check(st and st[0]["count"] == len(queued), "threadpoolqueue: dumpheap counts %r QueuedWork" % st)
    check(all(i["kind"] == "raw" and i["method"] is None for i in queued), "threadpoolqueue: QueuedWork kinds")
    tasks = [i for i in j["global"] if i["kind"] == "task"]
    check(len(tasks) == 1 and harness.parse_hex(tasks[0]["address"]) == harness.parse_hex(want["queuedTask"]),
          "threadpoolqueue: the queued Task %s: %r" % (want["queuedTask"], tasks))
    works = [i for i in j["global"] if i["kind"] == "work"]
    check(len(works) == 1 and works[0]["type"].startswith("System.Threading.QueueUserWorkItemCallback"),
          "threadpoolqueue: the QueueUserWorkItem callback: %r" % works)
    text = tr.text_of("threadpoolqueue")
    lines = text.splitlines()
    check(lines and lines[0] == "global work item queue________________________________", "threadpoolqueue: first line %r" % lines[:1])
    check("local per thread work items_____________________________________" in lines, "threadpoolqueue: local header")
    for i in queued:
        check("0x%016X RuntimeShapes.QueuedWork" % harness.parse_hex(i["address"]) in lines,
              "threadpoolqueue: no line for %s" % i["address"])
    for i in tasks + works:
        line = "0x%016X %s | %s" % (harness.parse_hex(i["address"]), "Task" if i["kind"] == "task" else "Work",
                                    i["method"] or "")
        check(line in lines, "threadpoolqueue: no line %r" % line)
    for kind, items in (("Task", tasks), ("Work", works)):
        if items:
            check(re.search(r"^ +%d %s  " % (len(items), kind), text, re.M) or
                  re.search(r"^ +%d %s  $" % (len(items), kind), text, re.M),
                  "threadpoolqueue: no %s summary" % kind)
    check(tr.text_of("tpq") == text, "tpq differs from threadpoolqueue")


def check_alc(tr, truth):
    obj, alc = truth["alcObject"], truth["alc"]
    j = tr.json("dumpalc %s --json" % obj)
    check(tr.error("dumpalc %s --json" % obj) is None, "dumpalc failed")
    check(j["assemblyLoadContext"] is not None and harness.parse_hex(j["assemblyLoadContext"]) == harness.parse_hex(alc),
          "dumpalc: context %r, the target's %s" % (j["assemblyLoadContext"], alc))
    check(j["type"] == "RuntimeShapes.AlcResident", "dumpalc: type %r" % j["type"])
    check(j["assemblyLoadContextType"] == "System.Runtime.Loader.AssemblyLoadContext",
          "dumpalc: context type %r" % j["assemblyLoadContextType"])
    text = tr.text_of("dumpalc %s" % obj)
    check(text == tr.text_of("dumpobj %s" % alc), "dumpalc: not the context as dumpobj shows it")
    check("Name:        System.Runtime.Loader.AssemblyLoadContext" in text, "dumpalc: %r" % text)
    check(tr.text_of("DumpALC %s" % obj) == text, "DumpALC differs from dumpalc")
    d = tr.json("dumpalc %s --json" % truth["locks"][0]["address"])
    check(d["assemblyLoadContext"] is None or harness.parse_hex(d["assemblyLoadContext"]) != harness.parse_hex(alc),
          "dumpalc: a default-context type in the collectible context")


def check_errors(tr):
    for cmd, msg in BAD.items():
        e = tr.error(cmd)
        check(e is not None and msg in e, "%s: error %r, want %r" % (cmd, e, msg))


def run(config, mode, args=(), oom=False):
    env = dict(harness.GC_CONFIGS[config])
    if oom:
        env["DOTNET_GCHeapHardLimit"] = "0x10000000"
    if mode == "live":
        with harness.Target("RuntimeShapes", args=args, env=env) as t:
            truth = t.truth
            tr = harness.lldb(commands_for(truth), pid=t.pid)
            idx = check_syncblk(tr, truth) if not oom else []
            tr2 = harness.lldb(["syncblk %d --json" % i for i in idx[:1]] + ["eeheap -gc --json"], pid=t.pid)
    else:
        scratch = harness.scratch_dir()
        try:
            core, exe, truth = harness.core_of_finished("RuntimeShapes", mode, scratch, env=env)
            tr = harness.lldb(commands_for(truth), core=core, exe=exe)
            idx = check_syncblk(tr, truth)
            tr2 = harness.lldb(["syncblk %d --json" % i for i in idx[:1]] + ["eeheap -gc --json"], core=core, exe=exe)
        finally:
            harness.cleanup(scratch)
    heaps = len(tr2.json("eeheap -gc --json")["heaps"])
    check(heaps == (2 if config.startswith("svr") else 1), "eeheap: %d heaps" % heaps)
    if oom:
        check(truth["oom"], "the target's allocation did not fail")
        check_oom(tr, truth, heaps, True)
        return
    check_runtimes(tr, truth, mode == "live")
    check_modules(tr, truth)
    if idx:
        check_one_index(tr2, idx[0], truth)
    check_oom(tr, truth, heaps, False)
    check_timers(tr, truth)
    check_runtime_types(tr, truth)
    check_threadpool(tr, truth)
    check_threadpool_queue(tr, truth)
    check_alc(tr, truth)
    check_errors(tr)


def main():
    case = sys.argv[1]
    if case == "wks-regions-live":
        run("wks-regions", "live")
    elif case == "svr-segments-full":
        run("svr-segments", "full")
    elif case == "oom":
        run("wks-regions", "live", args=("oom",), oom=True)
    else:
        raise SystemExit("unknown case " + case)
    harness.finish()


if __name__ == "__main__":
    try:
        main()
    except harness.Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
