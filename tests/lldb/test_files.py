"""Hostile files and patterns: FIFOs, devices, symbolic links, crafted
histograms, regular expressions that backtrack for ever. Each command ends
(lldb runs under a time limit: a hang fails) with an answer or one error
line, and nothing that is not a regular file is written or replaced.

usage: test_files.py <case>
  fifo         heapdiff, dumpstring --outfile, dumpheap --save on FIFOs
  special      --save / --outfile on /dev/null, a symbolic link, a directory
  regex        findstring -regex: a back-reference, a huge repetition, ordinary ones
  histogram    heapdiff of histograms with control characters and a 50 MB name
  core-fifo    a gdb core whose assembly file is now a FIFO
"""

import os
import re
import shutil
import stat
import subprocess
import sys
import time

import harness
from harness import check

# Each lldb run: far more than these commands take, far less than a hang.
LIMIT = 180


def run(commands, **kw):
    """lldb with a time limit; a hang is a failure (not an exception)."""
    start = time.time()
    try:
        tr = harness.lldb(commands, timeout=LIMIT, **kw)
    except subprocess.TimeoutExpired:
        raise harness.Failure("lldb did not end within %d s (a hang) running %r" % (LIMIT, commands))
    return tr, time.time() - start


def one_error(tr, command, *needles):
    lines = tr.output(command)
    errors = [l for l in lines if l.startswith("error: ")]
    if not check(len(errors) == 1, "%r: expected one error line, got %r" % (command, lines[:6])):
        return None
    msg = errors[0][len("error: "):]
    for n in needles:
        check(n in msg, "%r: error %r lacks %r" % (command, msg, n))
    return msg


def huge_string(truth):
    return [s for s in truth["strings"] if s["name"] == "huge"][0]


def case_fifo():
    d = harness.scratch_dir()
    try:
        fifos = {n: os.path.join(d, n) for n in ("before.json", "out.txt", "saved.json")}
        for p in fifos.values():
            os.mkfifo(p)
        with harness.Target("HeapShapes") as t:
            s = t.truth["objects"]["strings"]["ascii"]["address"]
            cmds = ["heapdiff " + fifos["before.json"],
                    "dumpstring %s --outfile %s" % (s, fifos["out.txt"]),
                    "dumpheap -stat --save " + fifos["saved.json"],
                    "eeversion"]
            tr, took = run(cmds, pid=t.pid)
        print("lldb took %.1f s" % took)
        one_error(tr, cmds[0], fifos["before.json"], "FIFO", "not a regular file")
        one_error(tr, cmds[1], fifos["out.txt"], "FIFO", "not a regular file")
        one_error(tr, cmds[2], fifos["saved.json"], "FIFO", "not a regular file")
        check(tr.error("eeversion") is None, "the session goes on")
        for p in fifos.values():
            check(stat.S_ISFIFO(os.lstat(p).st_mode), "%s is still a FIFO" % p)
        check(sorted(os.listdir(d)) == sorted(fifos), "nothing else left in %s: %s" % (d, os.listdir(d)))
    finally:
        harness.cleanup(d)


def restore_dev_null():
    """A regression would leave a regular file at /dev/null (as root): put the device back."""
    st = os.lstat("/dev/null")
    if not stat.S_ISCHR(st.st_mode) and os.geteuid() == 0:
        os.remove("/dev/null")
        os.mknod("/dev/null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        os.chmod("/dev/null", 0o666)
        print("FAIL: /dev/null was replaced; the device node is made again", flush=True)


def case_special():
    """Run as root (as here), --save /dev/null would replace the device node."""
    d = harness.scratch_dir()
    try:
        target = os.path.join(d, "target.txt")
        with open(target, "w") as f:
            f.write("keep")
        link = os.path.join(d, "link")
        os.symlink(target, link)
        sub = os.path.join(d, "sub")
        os.mkdir(sub)
        new_save, new_out = os.path.join(d, "new.json"), os.path.join(d, "new.txt")
        with harness.Target("HeapShapes") as t:
            s = t.truth["objects"]["strings"]["ascii"]
            addr = s["address"]
            cmds = ["dumpheap -stat --save /dev/null",
                    "dumpstring %s --outfile /dev/null" % addr,
                    "dumpheap -stat --save " + link,
                    "dumpstring %s --outfile %s" % (addr, link),
                    "dumpheap -stat --save " + sub,
                    "dumpstring %s --outfile %s" % (addr, sub),
                    "dumpheap -stat --save " + new_save,
                    "dumpstring %s --outfile %s" % (addr, new_out)]
            tr, _ = run(cmds, pid=t.pid)
        one_error(tr, cmds[0], "'/dev/null'", "character device")
        one_error(tr, cmds[1], "'/dev/null'", "character device")
        one_error(tr, cmds[2], link, "symbolic link")
        one_error(tr, cmds[3], link, "symbolic link")
        one_error(tr, cmds[4], sub, "directory")
        one_error(tr, cmds[5], sub, "directory")
        check(stat.S_ISCHR(os.lstat("/dev/null").st_mode), "/dev/null is still a character device")
        check(os.lstat("/dev/null").st_rdev == os.makedev(1, 3), "/dev/null is still the null device")
        check(os.path.islink(link) and os.readlink(link) == target, "the link is still a link to %s" % target)
        with open(target) as f:
            check(f.read() == "keep", "the file the link names is untouched")
        check(os.path.isdir(sub) and os.listdir(sub) == [], "the directory is untouched")
        # New paths are written as before.
        check(tr.error(cmds[6]) is None and os.path.isfile(new_save), "--save to a new path works")
        with open(new_out, encoding="utf-8") as f:
            check(f.read() == s["value"], "--outfile to a new path writes the string")
        check(sorted(os.listdir(d)) == sorted(["target.txt", "link", "sub", "new.json", "new.txt"]),
              "no temporary file left: %s" % os.listdir(d))
    finally:
        restore_dev_null()
        harness.cleanup(d)


def case_regex():
    with harness.Target("HeapShapes") as t:
        truth = t.truth
        huge = huge_string(truth)
        planted = truth["objects"]["planted"]
        cmds = ["findstring -regex (x*)\\1y",
                "findstring -regex x{1000}{1000}",
                "findstring -regex (x{1000}){1000}",
                "findstring -regex NEEDLE-7f3a.*NEEDLE --json",
                "findstring -regex x{1000}<HeapShapes:END> --json",
                "findstring -regex ^x+<HeapShapes:END>$ --json",
                "findstring -regex [[:digit:]]{3}x*<HeapShapes:END> --json",
                "findstring -regex (x|xx)+<HeapShapes:END>z --json",
                "findstring -regex (x|xx)+<HeapShapes:END>$ --json",
                "findstring -regex \\<NEEDLE",
                "findstring -regex (x|y){1000}z --json",
                "findstring -regex (x{30}|x{31}|x{32}|x{33}){30}<HeapShapes:END> --json",
                "eeversion"]
        tr, took = run(cmds, pid=t.pid)
    print("lldb took %.1f s" % took)
    one_error(tr, cmds[0], "back-references", "not supported")
    one_error(tr, cmds[9], "not supported", "use \\b")
    one_error(tr, cmds[1], "repeats a repetition", "1000")
    one_error(tr, cmds[2], "repetition", "1000")
    twice = [i for i in planted["items"] if i["position"] == "twice"]
    rx = tr.json(cmds[3])
    check(sorted(harness.parse_hex(m["address"]) for m in rx["matches"]) ==
          sorted(harness.parse_hex(i["address"]) for i in twice), "ordinary regex: %s" % rx["matches"])
    want = [harness.parse_hex(huge["address"])]
    for c in cmds[4:6]:
        got = [harness.parse_hex(m["address"]) for m in tr.json(c)["matches"]]
        check(got == want, "%s: found %s, expected the huge string %s" % (c, got, want))
    check(tr.json(cmds[6])["count"] == 0, "a digit class finds no digits before the huge string's x's")
    # A pattern that backtracks exponentially on a million x's: linear here, no match.
    check(tr.json(cmds[7])["count"] == 0, "(x|xx)+<HeapShapes:END>z matches nothing")
    got = [harness.parse_hex(m["address"]) for m in tr.json(cmds[8])["matches"]]
    check(got == want, "(x|xx)+<HeapShapes:END>$ finds the huge string: %s" % got)
    # Large automata over the million x's: answered, within the budget.
    check(tr.json(cmds[10])["count"] == 0, "(x|y){1000}z matches nothing")
    got = [harness.parse_hex(m["address"]) for m in tr.json(cmds[11])["matches"]]
    check(got == want, "(x{30}|...){30}<HeapShapes:END> finds the huge string: %s" % got)
    check(tr.error("eeversion") is None, "the session goes on")
    # About 4 s here with attaching; with RE2's default 8 MB the two large
    # automata made the run take 91 s (NFA fallback).
    check(took < 45, "the regex commands took %.1f s" % took)


def write_histogram(path, names):
    import json
    with open(path, "w") as f:
        json.dump({"format": "clrsos-heap-histogram", "version": 1, "live": False, "dead": False,
                   "types": [{"name": n, "count": i + 1, "bytes": 24 * (i + 1)} for i, n in enumerate(names)]}, f)


def case_histogram():
    d = harness.scratch_dir()
    try:
        fake = "App.Evil\nFound 0 unique roots (run 'gcroot -all' to see all roots)."
        clear = "App.Clear\x1b[2J\x1b[H\x07\x9b31m"
        long_name = "App." + "L" * (50 << 20)
        before, after = os.path.join(d, "before.json"), os.path.join(d, "after.json")
        write_histogram(before, ["App.Plain"])
        write_histogram(after, ["App.Plain", fake, clear, long_name])
        cmds = ["heapdiff %s %s" % (before, after), "heapdiff %s %s --json" % (before, after)]
        with harness.Target("HeapShapes") as t:
            tr, took = run(cmds, pid=t.pid)
        print("(lldb took %.1f s)" % took)
        lines = tr.output(cmds[0])
        text = "\n".join(lines)
        check(tr.error(cmds[0]) is None, "heapdiff of the crafted files answers")
        check(not any(l.startswith("Found 0 unique roots") for l in lines), "a name fakes an output line")
        check("App.Evil\\nFound 0 unique roots" in text, "the newline in a name is shown as \\n")
        check("\x1b" not in tr.text and "\x07" not in tr.text and "\x9b" not in tr.text,
              "an escape sequence reaches the terminal")
        check("App.Clear\\u001B[2J\\u001B[H\\u0007\\u009B31m" in text, "control characters shown escaped: %r" %
              [l for l in lines if "App.Clear" in l])
        rows = [l for l in lines if "App.LLLL" in l]
        check(len(rows) == 1 and len(rows[0]) < 4096,
              "the 50 MB name is cut: %s" % [len(r) for r in rows])
        check(rows and re.search(r"\.\.\. \(%d bytes in all\)" % len(long_name), rows[0]),
              "the cut name says how long it was")
        check(len(text) < 20000, "heapdiff's text output is %d chars" % len(text))
        # JSON output carries names whole (scripts read them), escaped.
        j = tr.json(cmds[1])
        names = {r["name"] for r in j["types"]}
        check(fake in names and clear in names and long_name in names, "JSON names are exact")
    finally:
        harness.cleanup(d)


def case_core_fifo():
    """A core (gdb's, without file-backed pages: clrsos reads the module files
    for them) whose assembly was replaced by a FIFO afterwards."""
    d = harness.scratch_dir()
    saved = harness.TARGETS_DIR
    try:
        shutil.copytree(os.path.join(saved, "HeapShapes"), os.path.join(d, "HeapShapes"))
        harness.TARGETS_DIR = d
        with harness.Target("HeapShapes") as t:
            core = harness.make_core(t, "os", d)
            exe, truth = t.exe, t.truth
        harness.TARGETS_DIR = saved
        dll = os.path.join(d, "HeapShapes", "HeapShapes.dll")
        os.remove(dll)
        os.mkfifo(dll)
        obj = truth["objects"]["allFields"]["address"]
        cmds = ["eeversion", "dumpheap -stat", "dumpobj " + obj]
        tr, took = run(cmds, core=core, exe=exe)
        print("lldb took %.1f s" % took)
        check(tr.error("eeversion") is None, "eeversion answers: %s" % tr.error("eeversion"))
        for c in cmds:
            errors = [l for l in tr.output(c) if l.startswith("error: ")]
            check(len(errors) <= 1, "%s: at most one error line: %r" % (c, errors))
            if not errors:
                check(len(tr.output(c)) > 0, "%s: an answer" % c)
        # The heap is walked; types whose names lived in the assembly are unnamed, not invented.
        check(tr.error("dumpheap -stat") is None and "System.String" in tr.text_of("dumpheap -stat"),
              "dumpheap -stat answers")
        check(stat.S_ISFIFO(os.lstat(dll).st_mode), "the FIFO is still there")
    finally:
        harness.TARGETS_DIR = saved
        harness.cleanup(d)


CASES = {
    "fifo": case_fifo,
    "special": case_special,
    "regex": case_regex,
    "histogram": case_histogram,
    "core-fifo": case_core_fifo,
}


if __name__ == "__main__":
    harness.run_case(CASES)
