"""A session's target memory and lifetime.

usage: test_session.py <case>
  two-cores    two cores of one Grower (before and after it grew) in one
               lldb, in both orders: dumpheap -stat on each selected target
               counts that core's own objects (as each core alone does)
  detach       attached through the SB API, detached with SBProcess.Detach,
               the target allocates: clrsos commands fail with one line,
               never print counts or "damaged" claims
  breakpoint   a breakpoint inside a string's characters (lldb writes int3
               there): dumpstring shows the string's own text, as lldb's
               masked reads do
  leak-live    100 attach/detach cycles through the SB API, a clrsos command
               in each: lldb's descriptors and address space stay bounded
  leak-core    20 target create --core / target delete cycles, a command in
               each: the core's mappings and lldb's address space stay bounded

The SB API cases run in a child python with lldb's module on its path (and
the sanitizer runtimes preloaded when the plugin is built with them).
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, Failure  # noqa: E402

ITEMS, GROW = 3000, 700
SB_CASES = ("detach", "leak-live", "leak-core")
NO_PRELOAD = {"LD_PRELOAD": ""}  # the .NET targets run without the sanitizers


def item_count(stat):
    rows = [r for r in stat["statistics"] if r["type"] == "Grower.Item"]
    return rows[0]["count"] if rows else None


# --- two cores of one process in one lldb -------------------------------------------------


def case_two_cores():
    scratch = harness.scratch_dir()
    try:
        with harness.Target("Grower", args=(str(ITEMS), str(GROW)), stdin=True) as t:
            before = harness.make_core(t, "full", scratch)
            os.rename(before, os.path.join(scratch, "core.before"))
            before = os.path.join(scratch, "core.before")
            truth_after = t.send("grow")
            after = harness.make_core(t, "full", scratch)
            exe = t.exe
        check(truth_after["items"] == ITEMS + GROW, "Grower grew to %d items" % (ITEMS + GROW))
        alone = {}
        for name, core in (("before", before), ("after", after)):
            tr = harness.lldb(["dumpheap -stat --json"], core=core, exe=exe)
            alone[name] = tr.json("dumpheap -stat --json")
        check(item_count(alone["before"]) == ITEMS, "the first core alone counts %d Grower.Item: %s"
              % (ITEMS, item_count(alone["before"])))
        check(item_count(alone["after"]) == ITEMS + GROW, "the second core alone counts %d Grower.Item: %s"
              % (ITEMS + GROW, item_count(alone["after"])))
        for order in (("before", "after"), ("after", "before")):
            cores = {"before": before, "after": after}
            cmds = ["target create %s --core %s" % (exe, cores[order[0]]),
                    "target create %s --core %s" % (exe, cores[order[1]])]
            # Each target in turn, then back to the first: the first use of each
            # and a second use after the other one ran.
            for index in (0, 1, 0, 1):
                cmds += ["target select %d" % index, "dumpheap -stat --json"]
            tr = harness.lldb(cmds, load_plugin=True)
            for n, index in enumerate((0, 1, 0, 1)):
                name = order[index]
                got = tr.json("dumpheap -stat --json", n)
                check(item_count(got) == item_count(alone[name]),
                      "order %s, target %d (%s), use %d: %s Grower.Item, the core alone has %s"
                      % ("/".join(order), index, name, n // 2 + 1, item_count(got), item_count(alone[name])))
                check(got["totalObjects"] == alone[name]["totalObjects"]
                      and got["totalSize"] == alone[name]["totalSize"],
                      "order %s, target %d (%s): %s objects, %s bytes; the core alone: %s, %s"
                      % ("/".join(order), index, name, got["totalObjects"], got["totalSize"],
                         alone[name]["totalObjects"], alone[name]["totalSize"]))
    finally:
        harness.cleanup(scratch)


# --- a breakpoint in memory the DAC reads ---------------------------------------------------


def case_breakpoint():
    with harness.Target("Grower", args=(str(ITEMS), str(GROW)), stdin=True) as t:
        text = "item-00000042"
        tr = harness.lldb(["findstring %s --json" % text], pid=t.pid)
        found = tr.json("findstring %s --json" % text)
        hits = found.get("strings") or found.get("matches") or found.get("results") or []
        check(len(hits) == 1, "findstring finds one %s: %s" % (text, found))
        if not hits:
            return
        address = harness.parse_hex(hits[0]["address"]) if isinstance(hits[0]["address"], str) \
            else hits[0]["address"]
        # The characters start after the MethodTable pointer and the length:
        # a breakpoint on the 6th character ('0'), lldb writes 0xCC there.
        site = address + 8 + 4 + 2 * 5
        cmds = ["dumpstring 0x%x" % address,
                "breakpoint set -a 0x%x" % site,
                "memory read -s1 -c2 0x%x" % site,
                "dumpstring 0x%x" % address,
                "dumpstring 0x%x --json" % address,
                "findstring %s --json" % text,
                "breakpoint delete -f",
                "dumpstring 0x%x" % address]
        tr = harness.lldb(cmds, pid=t.pid)
        check(tr.output("dumpstring 0x%x" % address, 0)[:1] == [text],
              "before the breakpoint: %s" % tr.output("dumpstring 0x%x" % address, 0))
        check("Breakpoint 1:" in tr.text_of("breakpoint set -a 0x%x" % site),
              "lldb set the breakpoint: %s" % tr.text_of("breakpoint set -a 0x%x" % site))
        check(tr.output("dumpstring 0x%x" % address, 1)[:1] == [text],
              "with a breakpoint on its 6th character, dumpstring shows %r: %s"
              % (text, tr.output("dumpstring 0x%x" % address, 1)))
        j = tr.json("dumpstring 0x%x --json" % address)
        check(j.get("text", j.get("value")) == text, "dumpstring --json: %s" % j)
        again = tr.json("findstring %s --json" % text)
        hits = again.get("strings") or again.get("matches") or again.get("results") or []
        check(len(hits) == 1, "findstring still finds %s with the breakpoint set: %s" % (text, again))
        check(tr.output("dumpstring 0x%x" % address, 2)[:1] == [text],
              "after the breakpoint is deleted: %s" % tr.output("dumpstring 0x%x" % address, 2))


# --- the SB API cases (in a child python with lldb's module) ------------------------------


def sb_env():
    env = dict(os.environ)
    env["CLRSOS_SB_CHILD"] = "1"
    # One malloc arena: glibc otherwise reserves 64 MB of address space for a new arena whenever a thread
    # finds the others busy (up to 8 per CPU), which under a loaded machine's timing showed as VmSize
    # growth (CI: three arenas, +196608 kB over leak-live's 100 cycles) that no leak caused.
    env["MALLOC_ARENA_MAX"] = "1"
    # lldb looks for lldb-server beside liblldb's real path, where Debian has none.
    for server in ("/usr/lib/llvm-14/bin/lldb-server", "/usr/bin/lldb-server-14", "/usr/bin/lldb-server"):
        if os.path.exists(server) and "LLDB_DEBUGSERVER_PATH" not in env:
            env["LLDB_DEBUGSERVER_PATH"] = server
    if os.environ.get("CLRSOS_LLDB_PRELOAD"):
        env["LD_PRELOAD"] = os.environ["CLRSOS_LLDB_PRELOAD"]
        env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=1:detect_odr_violation=0"
        env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    return env


def import_lldb():
    """lldb 14's Python module. Debian's package links its extension module
    (_lldb) to a path that does not exist: load it from liblldb first."""
    import importlib.machinery
    import importlib.util
    for d in harness.LLDB_PYTHONPATH.split(":"):
        if d not in sys.path:
            sys.path.append(d)
    if "lldb._lldb" not in sys.modules:
        for lib in ("/usr/lib/llvm-14/lib/liblldb.so.1", "/usr/lib/x86_64-linux-gnu/liblldb-14.so.1"):
            if os.path.exists(lib):
                loader = importlib.machinery.ExtensionFileLoader("lldb._lldb", lib)
                spec = importlib.util.spec_from_file_location("lldb._lldb", lib, loader=loader)
                module = importlib.util.module_from_spec(spec)
                loader.exec_module(module)
                sys.modules["lldb._lldb"] = module
                break
    import lldb
    return lldb


class Lldb:
    """One lldb debugger in this process, driven through the SB API."""

    def __init__(self):
        lldb = import_lldb()
        self.lldb = lldb
        lldb.SBDebugger.Initialize()
        self.dbg = lldb.SBDebugger.Create(False)
        self.dbg.SetAsync(False)
        ok, out, err = self.run("plugin load " + harness.PLUGIN)
        if not ok:
            raise Failure("plugin load failed: " + err)

    def run(self, command):
        ro = self.lldb.SBCommandReturnObject()
        self.dbg.GetCommandInterpreter().HandleCommand(command, ro)
        out, err = ro.GetOutput() or "", ro.GetError() or ""
        print("(lldb) %s\n%s%s" % (command, out, err), end="", flush=True)
        return ro.Succeeded(), out, err

    def attach(self, pid, target=None):
        target = target or self.dbg.CreateTarget("")
        error = self.lldb.SBError()
        for _ in range(5):
            process = target.AttachToProcessWithID(self.dbg.GetListener(), pid, error)
            if error.Success() and process.IsValid():
                return target, process
            time.sleep(1)  # ptrace now and then refuses an attach for a moment
        raise Failure("attach to %d failed: %s" % (pid, error.GetCString()))


def fd_count():
    return len(os.listdir("/proc/self/fd"))


def vm_kb(field="VmSize"):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def mappings_of(path):
    ino = os.stat(path).st_ino
    n = 0
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and parts[4] == str(ino) and os.path.realpath(parts[5]) == os.path.realpath(path):
                n += 1
    return n


def one_line_failure(ok, out, err, what):
    """A clrsos command after detach: failed, one error line, no counts, no heap claims
    (with --json, the output is that error as one JSON object)."""
    if "--json" in what and out.startswith("{"):
        o = json.loads(out)
        check(o.get("error") and "error: " + o["error"] in err, "%s: the JSON error %r is not the error line" % (what, out))
        out = ""
    lines = [l for l in (out + err).splitlines() if l.strip()]
    check(not ok, "%s: the command failed (it printed %r)" % (what, (out + err)[:300]))
    check(len(lines) == 1 and lines[0].startswith("error: "), "%s: one error line: %r" % (what, lines[:5]))
    check("damaged" not in out + err and "no valid" not in out + err and "Grower.Item" not in out, "%s: no heap claims: %r" % (what, lines[:5]))


def sb_detach():
    d = Lldb()
    with harness.Target("Grower", args=(str(ITEMS), str(GROW)), stdin=True, env=NO_PRELOAD) as t:
        target, process = d.attach(t.pid)
        ok, out, err = d.run("dumpheap -stat --json")
        check(ok and item_count(json.loads(out.splitlines()[-1])) == ITEMS,
              "attached: dumpheap -stat counts %d Grower.Item" % ITEMS)
        error = process.Detach()
        check(error.Success(), "SBProcess.Detach: %s" % error.GetCString())
        print("after Detach: lldb's state %s, stop id %d" % (d.lldb.SBDebugger.StateAsCString(process.GetState()),
                                                             process.GetStopID()), flush=True)
        truth = t.send("grow")
        check(truth["items"] == ITEMS + GROW, "the detached target grew")
        for cmd in ("dumpheap -stat", "dumpheap -stat --json", "eeheap -gc", "dumpheap -type Grower.Item -short",
                    "eeversion"):
            one_line_failure(*d.run(cmd), what="after detach, %s" % cmd)
        # Attached again: the grown heap, exactly.
        target, process = d.attach(t.pid, target)
        ok, out, err = d.run("dumpheap -stat --json")
        check(ok and item_count(json.loads(out.splitlines()[-1])) == ITEMS + GROW,
              "attached again: dumpheap -stat counts %d Grower.Item" % (ITEMS + GROW))
        process.Detach()


def sb_leak_live():
    """lldb 14 itself grows by some megabytes of address space per attach
    (measured here without clrsos commands first): clrsos may add nothing
    that lasts beyond a small constant."""
    d = Lldb()
    cycles, plain_cycles = 100, 10
    with harness.Target("Grower", args=(str(ITEMS), str(GROW)), stdin=True, env=NO_PRELOAD) as t:
        target = d.dbg.CreateTarget("")

        def cycle(i, command):
            nonlocal target
            target, process = d.attach(t.pid, target)
            if command:
                ok, out, err = d.run("dumpheap -stat --json")
                check(ok and item_count(json.loads(out.splitlines()[-1])) == ITEMS,
                      "cycle %d: dumpheap -stat counts %d Grower.Item" % (i, ITEMS))
            process.Detach()
            now = (fd_count(), vm_kb())
            print("cycle %d%s: %d descriptors, VmSize %d kB" % (i, "" if command else " (lldb alone)", now[0], now[1]),
                  flush=True)
            return now

        previous = cycle(0, True)  # the DAC library is loaded once, and stays
        deltas = []
        for i in range(plain_cycles):
            now = cycle(i, False)
            deltas.append(now[1] - previous[1])
            previous = now
        lldb_growth = sorted(deltas)[len(deltas) // 2]  # the median: allocators reuse now and then
        first = previous
        for i in range(cycles):
            cycle(i, True)
            if failures_so_far():
                break
        # One command after the last detach (the sweep runs at a command).
        d.run("eeversion")
        last = (fd_count(), vm_kb())
    ours = last[1] - first[1] - lldb_growth * cycles
    print("lldb alone: %+.0f kB per attach/detach; with clrsos: descriptors %d -> %d, VmSize %d kB -> %d kB "
          "(%+.0f kB beyond lldb's own)" % (lldb_growth, first[0], last[0], first[1], last[1], ours))
    check(last[0] <= first[0] + 4, "descriptors stay bounded over %d attach/detach cycles: %d -> %d"
          % (cycles, first[0], last[0]))
    check(ours <= 64 * 1024, "VmSize beyond lldb's own growth stays bounded over %d attach/detach cycles: %+.0f kB"
          % (cycles, ours))


def sb_leak_core():
    scratch = harness.scratch_dir()
    try:
        with harness.Target("Grower", args=(str(ITEMS), str(GROW)), stdin=True, env=NO_PRELOAD) as t:
            core = harness.make_core(t, "full", scratch)
            exe = t.exe
        d = Lldb()
        cycles = 20
        seen = []
        for i in range(cycles):
            ok, _, err = d.run("target create %s --core %s" % (exe, core))
            check(ok, "cycle %d: target create: %s" % (i, err))
            ok, out, err = d.run("dumpheap -stat --json")
            check(ok and item_count(json.loads(out.splitlines()[-1])) == ITEMS,
                  "cycle %d: dumpheap -stat counts %d Grower.Item" % (i, ITEMS))
            d.run("target delete")
            d.run("eeversion")  # no target: the sweep runs, the command fails
            seen.append((mappings_of(core), fd_count(), vm_kb()))
            print("cycle %d: %d mappings of the core, %d descriptors, VmSize %d kB"
                  % (i, seen[-1][0], seen[-1][1], seen[-1][2]), flush=True)
            if failures_so_far():
                break
        first, last = seen[0], seen[-1]
        size_kb = os.path.getsize(core) // 1024
        print("core %d kB; mappings %d -> %d, descriptors %d -> %d, VmSize %d kB -> %d kB"
              % (size_kb, first[0], last[0], first[1], last[1], first[2], last[2]))
        check(last[0] <= first[0], "the core's mappings stay bounded: %d -> %d" % (first[0], last[0]))
        check(last[1] <= first[1] + 4, "descriptors stay bounded: %d -> %d" % (first[1], last[1]))
        check(last[2] <= first[2] + size_kb // 2,
              "VmSize stays bounded over %d reloads of a %d kB core: %d kB -> %d kB"
              % (cycles, size_kb, first[2], last[2]))
    finally:
        harness.cleanup(scratch)


def failures_so_far():
    return bool(harness.failures)


def main():
    case = sys.argv[1] if len(sys.argv) > 1 else ""
    try:
        if case in SB_CASES and not os.environ.get("CLRSOS_SB_CHILD"):
            r = subprocess.run([sys.executable, os.path.abspath(__file__), case], env=sb_env(),
                               stdin=subprocess.DEVNULL, timeout=1500)
            if r.returncode < 0:
                print("the lldb python process died (signal %d)" % -r.returncode)
                sys.exit(1)
            sys.exit(r.returncode)
        # The sanitizer runtimes were preloaded into this python (the plugin's
        # host): not into the programs it starts (createdump, the targets).
        os.environ.pop("LD_PRELOAD", None)
        cases = {"two-cores": case_two_cores, "breakpoint": case_breakpoint, "detach": sb_detach,
                 "leak-live": sb_leak_live, "leak-core": sb_leak_core}
        if case not in cases:
            print(__doc__)
            sys.exit(2)
        cases[case]()
    except Failure as e:
        check(False, str(e))
    harness.finish()


if __name__ == "__main__":
    main()
