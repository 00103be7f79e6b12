"""Every command's text and JSON, unchanged by a rework: clrsos as built now
against clrsos built from a baseline commit, on the same HeapShapes core and
the same live process.

    test_outputs.py <config> <baseline commit>

The baseline is built once from `git archive <commit>` (the plugin only) in
<build>/outputs-baseline/<commit>/; then both plugins run the same list of
commands (every command with addresses taken from the target's truth, each
as text and with --json) and each output must be byte for byte the same.
A difference prints both sides. A command whose output is meant to change
is named in CHANGED with the reason, and then its outputs are not compared.
"""

import difflib
import os
import re
import subprocess
import sys

import harness
from harness import check

SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# Commands whose output changes on purpose since the baseline: prefix (or,
# ending in $, the whole command) -> why.
CHANGED = {
    "dumpobj": "VT column says Yes/No as SOS 10 does; -refs prints SOS's GC Refs table (Field Offset Object Type) "
               "after the thin lock line, its JSON references gain field and offset",
    "dumpvc": "VT column says Yes/No as SOS 10 does",
    "dumparray -details": "VT column says Yes/No as SOS 10 does",
    "clrthreads": "SOS 10's layout: Hosted Runtime line, DBG, Domain and Apt columns, the finalizer mark before the "
                  "exception; JSON gains hostedRuntime, debuggerId, domain, nestedExceptions",
    "eeheap$": "plain eeheap shows the loader heaps before the GC heap and SOS's total, as SOS 10 does",
    "eeheap --json$": "plain eeheap --json gains loader and totalBytes",
    "finalizequeue": "SOS 10's layout: SyncBlock/interface cleanup counts, Heap N blocks, the objects listed before "
                     "their statistics; JSON gains syncBlocksToCleanUp, allReady, objects, warnings",
    "clrstack -all --json$": "each thread gains truncated (the walk stopped at its limit of frames)",
    "clrstack -all -a --json$": "each thread gains truncated (the walk stopped at its limit of frames)",
    "pe": "SOS's layout: 'Use printexception <ADDRESS>' hint, a blank line before StackTraceString, the nested "
          "exceptions line, IPs of hardware-kind exceptions one more as SOS shows them; JSON gains "
          "threadHasNestedExceptions; StackTrace frames as SOS prints them, Module.dll!Type.Method()+0xNN; JSON "
          "frames gain function; -nested shows the thread's nested exception records as SOS (the inner chain is "
          "--inner), the nested line whatever address is shown, JSON nestedExceptions",
    "dso": "scans the stack as SOS does (stale slots included; the runtime's own list is dso -precise); JSON "
           "gains warnings and scanned",
    "clrstack": "a managed frame whose module's portable PDB lies beside it gains ' [<file> @ <line>]' as SOS "
                "prints it; JSON frames gain ilOffset, file, line",
    "dumpmt -md": "SOS 10's MethodDesc Table: a Slot column, Entry, MethodDesc and Slot in upper-case hex as SOS "
                  "prints them",
    "dumpmt": "SOS 10's lines: Parent, Canonical or EEClass, LoaderAllocator, AssemblyLoadContext, Has GC Pointers, "
              "ComponentSize only where not 0, Module/EEClass/mdToken in upper-case hex; no DynamicStatics, "
              "HasFinalizer, Slots in VTable, Fields lines; JSON gains dynamicStatics, eeClassIsCanonicalMethodTable, "
              "canonicalMethodTable, loaderAllocator, assemblyLoadContext",
    "dumpmodule": "SOS's IsDynamic/IsInMemory/IsFileLayout attributes, the maps in upper-case hex as SOS prints them; "
                  "JSON gains isDynamic, isInMemory, isFileLayout",
    "ip2md": "SOS's 'Source file: <file> @ <line>' last line from the module's PDB; JSON gains file, line",
    "clrbt": "a managed frame with a PDB ends with ' at <file>:<line>'; JSON frames gain file, line",
}


def build_baseline(commit):
    """libclrsos.so built from commit (cached); its path."""
    build_root = os.path.dirname(os.path.abspath(harness.PLUGIN))
    full = subprocess.run(["git", "-C", SOURCE, "rev-parse", "--verify", commit + "^{commit}"],
                          capture_output=True, text=True)
    if full.returncode != 0:
        raise harness.Failure("baseline commit %s is not in %s's history: %s" % (commit, SOURCE, full.stderr))
    sha = full.stdout.strip()
    where = os.path.join(build_root, "outputs-baseline", sha)
    plugin = os.path.join(where, "build", "libclrsos.so")
    if os.path.exists(plugin):
        return plugin
    src = os.path.join(where, "src")
    os.makedirs(src, exist_ok=True)
    archive = subprocess.run(["git", "-C", SOURCE, "archive", sha], capture_output=True)
    if archive.returncode != 0:
        raise harness.Failure("git archive %s failed: %s" % (sha, archive.stderr.decode()))
    subprocess.run(["tar", "-x", "-C", src], input=archive.stdout, check=True)
    for step in (["cmake", "-S", src, "-B", os.path.join(where, "build"), "-DCLRSOS_BUILD_TESTS=OFF",
                  "-DCLRSOS_BUILD_TARGETS=OFF", "-DCMAKE_BUILD_TYPE=RelWithDebInfo"],
                 ["cmake", "--build", os.path.join(where, "build"), "--target", "clrsos", "-j2"]):
        r = subprocess.run(step, capture_output=True, text=True)
        if r.returncode != 0:
            raise harness.Failure("building the baseline failed: %s\n%s%s" % (" ".join(step), r.stdout[-2000:], r.stderr[-2000:]))
    return plugin


def commands_for(truth):
    o, r, t = truth["objects"], truth["roots"], truth["threads"]
    af = o["allFields"]
    addresses = [af["address"], o["strings"]["ascii"]["address"], o["arrays"]["ints"]["address"],
                 t["LockHolderThread"]["lockedObject"], o["structHolder"]["address"]]
    addresses += [g["address"] for g in r["gcroot"].values()]
    for v in r["objsize"].values():
        addresses.append(v["address"])
    cmds = ["eeversion", "eeheap", "eeheap -gc",
            "dumpheap -stat", "dumpheap -stat -bycount", "dumpheap -live -stat", "dumpheap -dead -stat",
            "dumpheap -type HeapShapes.Customer -stat", "dumpheap -type HeapShapes -short",
            "dumpheap -mt %s" % af["mt"], "dumpheap -gen loh", "dumpheap -gen poh -stat",
            "dumpheap -min 1000 -stat", "dumpheap -thinlock", "dumpheap -strings",
            "findstring NEEDLE-7f3a", "dumpstring %s" % o["strings"]["ascii"]["address"],
            "dumpmt %s" % af["mt"], "dumpmt -md %s" % af["mt"],
            "dumparray %s" % o["arrays"]["ints"]["address"],
            "dumparray -details %s" % o["arrays"]["ints"]["address"],
            "dumparray -details %s" % o["structHolder"]["points"]["address"],
            "dumpvc %s %s" % (o["structHolder"]["points"]["elementMT"], o["structHolder"]["points"]["firstElementAddress"]),
            "gchandles", "gchandles -stat", "finalizequeue", "clrthreads",
            "pe %s" % t["exception"]["address"], "pe %s -nested" % t["exception"]["address"],
            "gcroot %s" % t["LockHolderThread"]["threadStaticObject"],
            "clrbt %d" % t["StackHolderThread"]["osId"],
            "clrstack -all", "clrstack -all -a", "dso"]
    for a in addresses:
        cmds += ["dumpobj %s" % a, "dumpobj %s -refs" % a, "gcroot %s" % a, "objsize %s" % a]
    return cmds + [c + " --json" for c in cmds]


def transcript(plugin, commands, core=None, exe=None, pid=None):
    old = harness.PLUGIN
    harness.PLUGIN = plugin
    try:
        return harness.lldb(commands, core=core, exe=exe, pid=pid,
                            env={"CLRSOS_PROGRESS_AFTER_MS": "3600000"})
    finally:
        harness.PLUGIN = old

# Commands whose output changes in one part on purpose: prefix -> (why, the
# part left out of both sides before they are compared; the rest must match).
PARTLY_CHANGED = {
    "gcroot ": ("--json's index (the size of the stop's index, for measuring it) counts every object it numbers, "
                "live and dead, as objects, where it counted liveObjects: the index no longer marks first",
                re.compile(r',"index":\{[^{}]*\}')),
}


def without_changed_part(command, lines):
    for prefix, (_, part) in PARTLY_CHANGED.items():
        if command.startswith(prefix):
            return [part.sub("", line) for line in lines]
    return lines


def compare(what, commands, before, after):
    compared = 0
    failed = [c for c in commands if before.error(c) is not None]
    check(not failed, "%s: commands that fail on the baseline compare nothing: %s" % (what, failed))
    for c in commands:
        if any(c == p[:-1] if p.endswith("$") else c.startswith(p) for p in CHANGED):
            continue
        a, b = without_changed_part(c, before.output(c)), without_changed_part(c, after.output(c))
        compared += 1
        if a != b:
            diff = "\n".join(difflib.unified_diff(a, b, "baseline", "now", lineterm="", n=2))
            check(False, "%s: %r differs:\n%s" % (what, c, diff[:4000]))
    print("%s: %d outputs compared" % (what, compared))
    check(compared > 50, "%s: only %d outputs compared" % (what, compared))


def main():
    config, commit = sys.argv[1], sys.argv[2]
    baseline = build_baseline(commit)
    d = harness.scratch_dir()
    try:
        with harness.Target("HeapShapes", env=harness.GC_CONFIGS[config]) as t:
            cores = {kind: harness.make_core(t, kind, d) for kind in ("full", "heap")}
            exe, truth = t.exe, t.truth
        # Cores, not the live process: a live runtime's threads come and go
        # between two attaches, a core stays as it is.
        cmds = commands_for(truth)
        for kind, core in cores.items():
            compare(kind + " core", cmds, transcript(baseline, cmds, core=core, exe=exe),
                    transcript(harness.PLUGIN, cmds, core=core, exe=exe))
    finally:
        harness.cleanup(d)
    harness.finish()


if __name__ == "__main__":
    try:
        main()
    except harness.Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
