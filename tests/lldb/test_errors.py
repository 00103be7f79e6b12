"""Each error a user can meet gets one line, a failed status, and no crash.

usage: test_errors.py <case>
  no-target, no-process, no-runtime, dac-not-found, dac-mismatch,
  dac-untrusted, mid-gc, missing-memory, truncated-core, bad-arguments,
  double-load, hostile-input
"""

import os
import shutil
import stat
import struct
import subprocess
import sys
import tempfile

import harness
from harness import check

ONE_LINE_ERRORS = []


def expect_error(tr, command, *needles, index=0):
    """The command failed with exactly one error line holding every needle."""
    lines = tr.output(command, index)
    errors = [l for l in lines if l.startswith("error: ")]
    if not check(len(errors) == 1, "%r: expected one error line, got %r" % (command, lines)):
        return None
    msg = errors[0][len("error: "):]
    for n in needles:
        check(n in msg, "%r: error %r lacks %r" % (command, msg, n))
    return msg


def case_no_target():
    tr = harness.lldb(["eeversion", "eeheap -gc", "clrsos eeheap -gc --json"])
    for c in ("eeversion", "eeheap -gc", "clrsos eeheap -gc --json"):
        expect_error(tr, c, "no target", "process attach")


def case_no_process():
    tr = harness.lldb(["eeheap -gc", "eeversion"], exe=shutil.which("dotnet"))
    expect_error(tr, "eeheap -gc", "no process", "--core")
    expect_error(tr, "eeversion", "no process")


def case_no_runtime():
    p = subprocess.Popen(["sleep", "600"])
    try:
        tr = harness.lldb(["eeversion", "eeheap -gc --json"], pid=p.pid)
    finally:
        p.kill()
        p.wait()
    expect_error(tr, "eeversion", "no .NET runtime", "libcoreclr.so")
    expect_error(tr, "eeheap -gc --json", "no .NET runtime")


def copy_runtime(rt, directory, coreclr_from="libcoreclr.so"):
    shutil.copy(os.path.join(rt, "libmscordaccore.so"), directory)
    shutil.copy(os.path.join(rt, coreclr_from), os.path.join(directory, "libcoreclr.so"))


def case_dac_not_found():
    d = harness.scratch_dir()
    try:
        with harness.Target("HeapShapes") as t:
            tr = harness.lldb(["setclrpath " + d, "eeheap -gc", "eeversion --json"], pid=t.pid)
    finally:
        harness.cleanup(d)
    expect_error(tr, "eeheap -gc", d + "/libmscordaccore.so not found", "setclrpath")
    # eeversion still says what the target holds, then fails on the DAC.
    check(tr.json("eeversion --json")["dacPath"] is None, "eeversion names a DAC it did not load")
    expect_error(tr, "eeversion --json", "not found")


def case_dac_mismatch():
    d = harness.scratch_dir()
    try:
        with harness.Target("HeapShapes") as t:
            # A libcoreclr.so of another build: the DAC beside it must be refused.
            copy_runtime(harness.runtime_dir(t.truth), d, coreclr_from="libclrgc.so")
            tr = harness.lldb(["eeversion --json", "setclrpath " + d, "eeheap -gc",
                               "setclrpath -clear", "eeheap -gc --json"], pid=t.pid)
    finally:
        harness.cleanup(d)
    want = tr.json("eeversion --json")["buildId"]
    msg = expect_error(tr, "eeheap -gc", "build-id", "the target's has " + want,
                       "another runtime build")
    check(tr.error("setclrpath -clear") is None, "setclrpath -clear failed")
    check(tr.error("eeheap -gc --json") is None, "the runtime's own DAC after -clear failed")
    return msg


def case_dac_untrusted():
    d = harness.scratch_dir()
    try:
        with harness.Target("HeapShapes") as t:
            copy_runtime(harness.runtime_dir(t.truth), d)
            os.chmod(d, 0o777)
            tr = harness.lldb(["eeheap -gc"], pid=t.pid, env={"CLRSOS_RUNTIME_DIR": d})
            # The user names the directory: then it is trusted.
            tr2 = harness.lldb(["setclrpath " + d, "eeversion --json"], pid=t.pid,
                               env={"CLRSOS_RUNTIME_DIR": d})
    finally:
        harness.cleanup(d)
    expect_error(tr, "eeheap -gc", "refused", "writable by other users", "CLRSOS_RUNTIME_DIR",
                 "setclrpath")
    v = tr2.json("eeversion --json")
    check(tr2.error("eeversion --json") is None, "eeversion after setclrpath failed")
    check(v["dacPath"] == d + "/libmscordaccore.so", "DAC path %s" % v["dacPath"])


# Walks limited to gen0 (nearly empty between GCs) keep each attempt short:
# the refusal comes before any walk, whatever the filter.
MID_GC_COMMANDS = ["eeversion --json", "eeversion", "eeheap -gc", "dumpheap -stat -gen gen0",
                   "dumpheap -type Node -gen gen0", "findstring Node -gen gen0",
                   "dumpheap -stat -ignoreGCState -gen gen0 --json",
                   "dumpheap -stat -ignoreGCState -gen gen0", "clrthreads", "clrstack -all", "clrbt", "dso --json"]


def case_mid_gc():
    # GcBusy runs full GCs back to back: most stops land inside one. Only
    # what walks objects is refused there; threads, stacks, MethodTables,
    # exceptions and the layout are still shown.
    with harness.Target("GcBusy") as t:
        # MethodTables and the runtime's preallocated exceptions stay put: learn them first.
        mt = exception = None
        for attempt in range(40):
            tr = harness.lldb(["dumpheap -stat -ignoreGCState --json",
                               "dumpheap -type System.OutOfMemoryException -ignoreGCState --json"], pid=t.pid)
            # A stop in the middle of a compaction may leave the walk nothing to show: try another stop.
            if tr.error("dumpheap -stat -ignoreGCState --json") or \
                    tr.error("dumpheap -type System.OutOfMemoryException -ignoreGCState --json"):
                print("attempt %d: %s" % (attempt + 1, tr.error("dumpheap -stat -ignoreGCState --json") or
                                           tr.error("dumpheap -type System.OutOfMemoryException -ignoreGCState --json")))
                continue
            rows = tr.json("dumpheap -stat -ignoreGCState --json")["statistics"]
            node = [r for r in rows if r["type"] == "GcBusy.Node"]
            oom = tr.json("dumpheap -type System.OutOfMemoryException -ignoreGCState --json")["objects"]
            if node and oom:
                mt, exception = node[0]["mt"], oom[0]["address"]
                break
        if not check(mt and exception, "no GcBusy.Node MethodTable or OutOfMemoryException found"):
            return
        for attempt in range(40):
            tr = harness.lldb(MID_GC_COMMANDS + ["dumpmt %s" % mt, "pe %s" % exception,
                                                 "objsize %s" % exception, "gcroot %s" % exception],
                              pid=t.pid)
            v = tr.json("eeversion --json")
            if not v["gcStructuresValid"]:
                print("stopped mid-GC at attempt %d" % (attempt + 1))
                check("In plan phase of garbage collection" in tr.text_of("eeversion"),
                      "eeversion does not say the GC is in progress")
                # Refused: what walks the heap, with what to do.
                for c in ("dumpheap -stat -gen gen0", "dumpheap -type Node -gen gen0", "findstring Node -gen gen0",
                          "objsize %s" % exception, "gcroot %s" % exception):
                    expect_error(tr, c, "middle of a garbage collection", "continue it", "-ignoreGCState")
                    # Refused before any output: no header left hanging.
                    check([l for l in tr.output(c) if l.strip()] == [l for l in tr.output(c) if l.startswith("error: ")],
                          "%r printed more than its error: %r" % (c, tr.output(c)))
                # Shown with a warning: the layout, and the walk when asked for.
                check(tr.error("eeheap -gc") is None, "eeheap -gc refused mid-GC")
                check("Warning: the process is stopped in the middle of a garbage collection" in
                      tr.text_of("eeheap -gc"), "eeheap -gc does not warn mid-GC")
                check(tr.error("dumpheap -stat -ignoreGCState -gen gen0") is None, "dumpheap -ignoreGCState refused")
                check("Warning: the process is stopped in the middle of a garbage collection" in
                      tr.text_of("dumpheap -stat -ignoreGCState -gen gen0"), "dumpheap -ignoreGCState does not warn")
                j = tr.json("dumpheap -stat -ignoreGCState -gen gen0 --json")
                check(any("middle of a garbage collection" in w for w in j["warnings"]),
                      "dumpheap -ignoreGCState --json has no warning: %s" % j["warnings"])
                # dso scans as SOS does, and says what the scan rests on.
                check(tr.error("dso --json") is None, "dso refused mid-GC: %s" % tr.error("dso --json"))
                check(any("middle of a garbage collection" in w for w in tr.json("dso --json")["warnings"]),
                      "dso --json mid-GC has no warning")
                # Shown as on any stop: threads, stacks, a MethodTable, an exception.
                for c in ("clrthreads", "clrstack -all", "clrbt", "dumpmt %s" % mt, "pe %s" % exception):
                    check(tr.error(c) is None, "%s refused mid-GC: %s" % (c, tr.error(c)))
                check("GcBusy.Program.Main" in tr.text_of("clrstack -all"), "clrstack -all lacks Main")
                check("GcBusy.Program.Main" in tr.text_of("clrbt"), "clrbt lacks Main")
                check("ThreadCount:" in tr.text_of("clrthreads"), "clrthreads shows nothing")
                check("GcBusy.Node" in tr.text_of("dumpmt %s" % mt), "dumpmt does not name GcBusy.Node")
                check("System.OutOfMemoryException" in tr.text_of("pe %s" % exception),
                      "pe does not show the OutOfMemoryException")
                return
            check(tr.error("eeheap -gc") is None, "eeheap failed outside a GC")
            check(tr.error("dumpheap -stat -gen gen0") is None, "dumpheap failed outside a GC")
    check(False, "never stopped inside a GC in 40 attempts")


def core_phdrs(data):
    """(offset of the phdr, type, vaddr, memsz) of each program header of an ELF core."""
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    out = []
    for i in range(phnum):
        off = phoff + i * phentsize
        p_type, = struct.unpack_from("<I", data, off)
        vaddr, = struct.unpack_from("<Q", data, off + 0x10)
        memsz, = struct.unpack_from("<Q", data, off + 0x28)
        out.append((off, p_type, vaddr, memsz))
    return out


def case_missing_memory():
    d = harness.scratch_dir()
    try:
        core, exe, _ = harness.core_of_finished("HeapShapes", "full", d, writable=True)
        tr = harness.lldb(["eeversion --json"], core=core, exe=exe)
        base = harness.parse_hex(tr.json("eeversion --json")["runtimeBase"])
        # Drop from the core every writable mapping of libcoreclr.so (the
        # runtime's globals): the DAC must fail, naming an address in them.
        clr = tr.json("eeversion --json")["runtimePath"]
        out = subprocess.run(["readelf", "-lW", clr], capture_output=True, text=True).stdout
        rw = []
        for line in out.splitlines():
            f = line.split()
            if f and f[0] == "LOAD" and "RW" in line:
                rw.append((base + int(f[2], 16), base + int(f[2], 16) + int(f[5], 16)))
        with open(core, "r+b") as f:
            data = bytearray(f.read())
            dropped = []
            for off, p_type, vaddr, memsz in core_phdrs(data):
                if p_type == 1 and any(vaddr < hi and vaddr + memsz > lo for lo, hi in rw):
                    struct.pack_into("<I", data, off, 0)  # PT_NULL
                    dropped.append((vaddr, vaddr + memsz))
            f.seek(0)
            f.write(data)
        check(dropped, "no mapping of libcoreclr.so's data found in the core")
        tr = harness.lldb(["eeheap -gc", "eeversion"], core=core, exe=exe)
    finally:
        harness.cleanup(d)
    msg = expect_error(tr, "eeheap -gc", "is not in the target")
    if msg:
        import re
        m = re.search(r"memory at 0x([0-9a-f]+)", msg)
        if check(m is not None, "the error names no address: " + msg):
            addr = int(m.group(1), 16)
            check(any(lo <= addr < hi for lo, hi in dropped),
                  "the named address 0x%x is not in a dropped range" % addr)


def case_truncated_core():
    d = harness.scratch_dir()
    try:
        core, exe, _ = harness.core_of_finished("HeapShapes", "full", d)
        size = os.path.getsize(core)
        for pct in (10, 50, 90):
            cut = os.path.join(d, "core.cut%d" % pct)
            with open(core, "rb") as src, open(cut, "wb") as dst:
                dst.write(src.read(size * pct // 100))
            more = ["dumpheap -stat", "dumpheap -stat -live", "gchandles -stat", "clrthreads",
                    "clrstack -all -a", "finalizequeue"]
            tr = harness.lldb(["eeversion", "eeheap -gc"] + more, core=cut, exe=exe)
            print(tr.text)
            # What is readable is reported; what is not is a one-line error
            # that points at the core.
            for c in ("eeversion", "eeheap -gc"):
                if tr.error(c) is not None:
                    expect_error(tr, c, "this core", "truncated")
                else:
                    check(c != "eeheap -gc" or "GC Allocated Heap Size" in tr.text_of(c),
                          "%d%%: eeheap succeeded without a heap" % pct)
            # The heap, roots and stack commands on what is left: lldb lives
            # (the harness fails on a crash) and a failure is one error line.
            for c in more:
                if tr.error(c) is not None:
                    expect_error(tr, c)
    finally:
        harness.cleanup(d)


def case_bad_arguments():
    with harness.Target("HeapShapes") as t:
        tr = harness.lldb(["eeheap -bogus", "eeheap -heap", "eeheap -heap x1", "eeheap -heap 7",
                           "eeheap -segment", "eeheap -segment 0x10", "eeheap -segment $rsp+",
                           "eeversion extra", "setclrpath /no/such/dir",
                           "setclrpath a b", "eeheap 0x2000 0x1000"], pid=t.pid)
    expect_error(tr, "eeheap -bogus", "unknown option '-bogus'", "help eeheap")
    expect_error(tr, "eeheap -heap", "-heap needs a value")
    expect_error(tr, "eeheap -heap x1", "-heap needs a number", "x1")
    expect_error(tr, "eeheap -heap 7", "-heap 7", "GC heap")
    expect_error(tr, "eeheap -segment", "-segment needs a value")
    expect_error(tr, "eeheap -segment 0x10", "0x10", "no GC segment", "eeheap -gc")
    expect_error(tr, "eeheap -segment $rsp+", "cannot evaluate '$rsp+'")
    expect_error(tr, "eeversion extra", "unexpected argument 'extra'")
    expect_error(tr, "setclrpath /no/such/dir", "/no/such/dir", "No such file")
    expect_error(tr, "setclrpath a b", "one directory")
    expect_error(tr, "eeheap 0x2000 0x1000", "range end")


def case_hostile_input():
    """Values that overflow, options of a megabyte, files that cannot be written."""
    big = "A" * (1 << 20)
    with harness.Target("HeapShapes") as t:
        string = t.truth["objects"]["strings"]["ascii"]["address"]
        ints = t.truth["objects"]["arrays"]["ints"]
        cmds = ["dumpheap -stat -min 18446744073709551616", "dumpheap -stat -min 0x1ffffffffffffffff",
                "dumpheap -stat -max -1", "dumparray %s -start 99999999999999999999" % string,
                "dumpheap -stat -type " + big, "dumpheap -stat -" + big, "gcroot " + big,
                "dumpstring %s --outfile /nonexistent-dir/s.txt" % string,
                "dumpstring %s --outfile /proc/version" % string,
                "dumpheap -stat --save /proc/version", "dumpheap -stat --save /nonexistent-dir/h.json",
                "heapdiff /proc/self/mem",
                # 2^32 + a real thread id must not show that thread; a heap
                # number past 32 bits is quoted as typed.
                "clrbt %d" % ((1 << 32) + t.pid), "dumpheap -stat -heap 4294967296",
                "eeheap -gc -heap 4294967296",
                "dumparray %s -start 4294967296" % ints["address"], "gcroot -limit 0 %s" % ints["address"],
                "eeversion"]
        tr = harness.lldb(cmds, pid=t.pid)
    expect_error(tr, cmds[0], "-min")
    expect_error(tr, cmds[1], "-min")
    expect_error(tr, cmds[2], "-max")
    expect_error(tr, cmds[3], "-start")
    # A type filter of a megabyte matches nothing: an answer, not an error.
    check(tr.error(cmds[4]) is None, "a 1 MB -type filter is an empty answer: %s" % tr.error(cmds[4]))
    msg = expect_error(tr, cmds[5], "unknown option")
    check(msg is None or len(msg) <= 700, "the error about a 1 MB option is short: %d chars" % len(msg or ""))
    msg = expect_error(tr, cmds[6])
    check(msg is None or len(msg) <= 700, "the error about a 1 MB address is short: %d chars" % len(msg or ""))
    expect_error(tr, cmds[7], "/nonexistent-dir/s.txt")
    expect_error(tr, cmds[8], "/proc/version")
    expect_error(tr, cmds[9], "cannot write '/proc/version'")
    expect_error(tr, cmds[10], "cannot write '/nonexistent-dir/h.json'")
    expect_error(tr, cmds[11], "/proc/self/mem")
    expect_error(tr, cmds[12], "clrbt: the OS thread id '%d' is out of range" % ((1 << 32) + t.pid),
                 "1 to 4294967295")
    check(not any(l.startswith("  frame #") for l in tr.output(cmds[12])), "clrbt 2^32+tid shows no thread")
    expect_error(tr, cmds[13], "-heap '4294967296' is out of range", "0 to 2147483647")
    expect_error(tr, cmds[14], "-heap '4294967296' is out of range", "0 to 2147483647")
    # Past the array's end: said, not an empty list; -limit 0 is not "nothing keeps it alive".
    expect_error(tr, cmds[15], "-start 4294967296", "has %d elements" % len(ints["values"]))
    expect_error(tr, cmds[16], "-limit '0' is out of range")
    check(tr.error("eeversion") is None, "lldb and clrsos carry on")


def case_double_load():
    """The plugin loaded twice from one path registers once; a copy from another path is refused."""
    scratch = harness.scratch_dir()
    try:
        copy = os.path.join(scratch, "libclrsos-copy.so")
        shutil.copy(harness.PLUGIN, copy)
        tr = harness.lldb(["plugin load " + harness.PLUGIN, "setclrpath " + scratch, "plugin load " + copy,
                           "setclrpath", "clrsos setclrpath", "help dumpheap"])
        check(tr.error("plugin load " + harness.PLUGIN) is None, "loading the same plugin again succeeds")
        expect_error(tr, "plugin load " + copy, "refused to load")
        for c in ("setclrpath", "clrsos setclrpath"):
            check(scratch in tr.text_of(c), "%s: the first copy's setting stays after a second copy is refused" % c)
        check(tr.error("help dumpheap") is None and "--save" in tr.text_of("help dumpheap"),
              "the commands stay registered")
    finally:
        harness.cleanup(scratch)


CASES = {
    "double-load": case_double_load,
    "hostile-input": case_hostile_input,
    "no-target": case_no_target,
    "no-process": case_no_process,
    "no-runtime": case_no_runtime,
    "dac-not-found": case_dac_not_found,
    "dac-mismatch": case_dac_mismatch,
    "dac-untrusted": case_dac_untrusted,
    "mid-gc": case_mid_gc,
    "missing-memory": case_missing_memory,
    "truncated-core": case_truncated_core,
    "bad-arguments": case_bad_arguments,
}


if __name__ == "__main__":
    harness.run_case(CASES)
