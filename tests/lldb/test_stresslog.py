"""dumplog and the GC history commands against HeapShapes run with a stress log.

usage: test_stresslog.py <live|full>

HeapShapes forces full compacting GCs before READY and prints the index of
its last GC (gcIndex). It runs with DOTNET_StressLog=1, the GC and GCROOTS
facilities at level 6 (the GC's root promote and relocate messages). The
test checks:
  - dumplog <file>: SUCCESS; the file has SOS's header with the facilities
    and level the target was started with, a BEGINGC and an ENDGC message
    for the target's gcIndex, messages newest first (timestamps never
    increase), a footer counting every message, MethodTable names (%pT)
    resolved in the GC's relocation lines;
  - histinit, histstats --json: the GC history holds the target's gcIndex;
  - histroot <a root relocated in that GC>: the GC's row with the new value;
    histobj <that new value>: the root named in that GC's row;
    histobjfind <it>: its relocation record;
  - histclear, then histroot: the one-line error asking for histinit;
  - dumplog to a directory: refused, one line;
  - live only: a process started without DOTNET_StressLog: one error line
    that says how to turn the log on.
"""

import os
import re
import sys

import harness
from harness import check

ENV = {
    "DOTNET_StressLog": "1",
    "DOTNET_LogFacility": "0x80001",  # GC | GCROOTS
    "DOTNET_LogLevel": "6",
    "DOTNET_StressLogSize": "0x400000",
    "DOTNET_TotalStressLogSize": "0x10000000",
}

LINE = re.compile(r"^\s*([0-9a-f]+)\s+(\d+\.\d{9}) : (`\S*)\s+(.*)$")


def main():
    mode = sys.argv[1]
    scratch = harness.scratch_dir()
    try:
        log_file = os.path.join(scratch, "stress.txt")
        first = ["dumplog %s" % log_file, "dumplog %s" % scratch, "histinit", "histstats --json"]
        if mode == "live":
            with harness.Target("HeapShapes", env=ENV) as target:
                truth = target.truth
                tr = harness.lldb(first, pid=target.pid)
                text = open(log_file).read()
                roots = relocations(text, truth["gcIndex"])
                tr2 = harness.lldb(second(roots), pid=target.pid)
        else:
            core, exe, truth = harness.core_of_finished("HeapShapes", mode, scratch, env=ENV)
            tr = harness.lldb(first, core=core, exe=exe)
            text = open(log_file).read()
            roots = relocations(text, truth["gcIndex"])
            tr2 = harness.lldb(second(roots), core=core, exe=exe)
        check_dumplog(tr, text, truth, log_file, scratch)
        check_history(tr, tr2, truth, roots)
        if mode == "live":
            with harness.Target("HeapShapes") as plain:
                tr3 = harness.lldb(["dumplog %s" % os.path.join(scratch, "none.txt")], pid=plain.pid)
            err = tr3.error("dumplog %s" % os.path.join(scratch, "none.txt"))
            check(err is not None and "DOTNET_StressLog=1" in err,
                  "a process without a stress log: %r" % tr3.text)
            check(not os.path.exists(os.path.join(scratch, "none.txt")), "dumplog wrote a file with no log")
    finally:
        harness.cleanup(scratch)


def relocations(text, gc_index):
    """(root, new value, MT) of the relocation messages of GC gc_index, from the file."""
    found = []
    in_gc = False
    # The file is newest first: a GC's messages come before its BEGINGC line.
    for line in text.splitlines():
        if "ENDGC %d (" % gc_index in line:
            in_gc = True
        elif "BEGINGC %d," % gc_index in line:
            break
        elif in_gc:
            m = re.search(r"GC Root (0x[0-9a-f]+) RELOCATED (0x[0-9a-f]+) -> (0x[0-9a-f]+)  MT = (0x[0-9a-f]+)", line)
            if m:
                found.append((int(m.group(1), 16), int(m.group(3), 16), int(m.group(4), 16)))
    return found


def second(roots):
    cmds = ["histinit"]
    if roots:
        root, new, _ = roots[-1]
        cmds += ["histroot 0x%x" % root, "histobj 0x%x" % new, "histobjfind 0x%x" % new]
    cmds += ["histclear", "histroot 0x1234"]
    return cmds


def check_dumplog(tr, text, truth, log_file, scratch):
    out = tr.text_of("dumplog %s" % log_file)
    check("SUCCESS: Stress log dumped" in out and tr.error("dumplog %s" % log_file) is None,
          "dumplog did not succeed: %r" % out)
    check("Attempting to dump Stress log to file '%s'" % log_file in out, "dumplog's first line: %r" % out)
    check(text.startswith("STRESS LOG:\n"), "the file does not start with SOS's header: %r" % text[:200])
    # The runtime adds LF_ALWAYS (0x80000000) to the facilities it was given.
    fac = re.search(r"^    facilitiesToLog  = 0x([0-9a-f]+)$", text, re.M)
    check(fac and int(fac.group(1), 16) & ~0x80000000 == 0x80001 and "    levelToLog       = 6\n" in text,
          "the header does not show the target's LogFacility/LogLevel: %r" % text[:400])
    gc = truth["gcIndex"]
    check(re.search(r"`GC`\S*\s+\} =========== BEGINGC %d, \(requested generation = 2," % gc, text),
          "no BEGINGC %d (the target's last GC, gen 2) in the log" % gc)
    check(re.search(r"ENDGC %d \(gen = 2," % gc, text), "no ENDGC %d in the log" % gc)
    stamps = []
    messages = 0
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            stamps.append(float(m.group(2)))
            messages += 1
        elif line.startswith("Task was switched from "):
            messages += 1
    check(messages > 100, "only %d message lines" % messages)
    check(all(a >= b for a, b in zip(stamps, stamps[1:])), "the messages are not newest first")
    footer = re.search(r"^-+ (\d+) total entries -+$", text, re.M)
    check(footer and int(footer.group(1)) == messages,
          "the footer's count %r is not the %d message lines" % (footer and footer.group(1), messages))
    check(re.search(r"RELOCATED 0x[0-9a-f]+ -> 0x[0-9a-f]+  MT = 0x[0-9a-f]+ \(System\.", text),
          "no relocation line names its MethodTable (%pT)")
    err = tr.error("dumplog %s" % scratch)
    check(err is not None and "cannot write" in err, "dumplog to a directory: %r" % err)


def check_history(tr, tr2, truth, roots):
    gc = truth["gcIndex"]
    check("SUCCESS: GCHist structures initialized" in tr.text_of("histinit"), "histinit: %r" % tr.text_of("histinit"))
    stats = None
    for line in tr.output("histstats --json"):
        if line.startswith("["):
            import json
            stats = json.loads(line)
    check(stats and any(s["gc"] == gc for s in stats), "histstats has no GC %d: %r" % (gc, stats))
    check(roots, "GC %d logged no root relocation" % gc)
    if roots:
        root, new, mt = roots[-1]
        rows = [l.split() for l in tr2.output("histroot 0x%x" % root)]
        check(any(r[:3] == [str(gc), "%016X" % new, "%016X" % mt] for r in rows if len(r) >= 3),
              "histroot 0x%x has no row for GC %d with value %x: %r" % (root, gc, new, rows))
        obj = tr2.text_of("histobj 0x%x" % new)
        check(re.search(r"^\s*%d %016X .*%016X, " % (gc, new, root), obj, re.M),
              "histobj 0x%x does not name root %x in GC %d: %r" % (new, root, gc, obj))
        find = tr2.text_of("histobjfind 0x%x" % new)
        check("%8d %016X Relocation NEWVALUE for root %016X" % (gc, new, root) in find,
              "histobjfind 0x%x: %r" % (new, find))
    check("Completed successfully." in tr2.text_of("histclear"), "histclear: %r" % tr2.text_of("histclear"))
    err = tr2.error("histroot 0x1234")
    check(err is not None and "run histinit first" in err, "histroot after histclear: %r" % err)


if __name__ == "__main__":
    harness.run_case({"live": main, "full": main})
