"""clrstack's source lines against what .NET itself reports.

usage: test_lines.py <live|full>

Starts the Lines target, which prints, for the frames of its own methods,
the file and line System.Diagnostics.StackTrace reads from Lines.pdb and
then blocks in the innermost of them (Third, on the line that took the
trace: a #line directive puts it in Elsewhere/Moved.cs @ 500). clrstack -all
on the live process or on a full core of it must show each of those frames
with the same file and line (--json: file, line; text: SOS's
"<method> [<file> @ <line>]", checked with the regex of SOS's
SimpleThrow.script), and no source for frames whose module has no PDB
beside it (System.Private.CoreLib's).
"""

import os
import re
import sys

import harness
from harness import check

HEX = r"[A-Fa-f0-9]+(`[A-Fa-f0-9]+)?"


def lines_frames(result):
    """The frames of the thread that runs Lines' own methods, and that thread."""
    for thread in result["threads"]:
        frames = [f for f in thread.get("frames", []) if f.get("name") and "Lines.Program" in f["name"]]
        if frames:
            return thread, frames
    return None, []


def run(mode):
    directory = harness.scratch_dir()
    try:
        with harness.Target("Lines", args=["wait"], stdin=True) as t:
            commands = ["clrstack -all --json", "clrstack -all"]
            if mode == "live":
                tr = harness.lldb(commands, pid=t.pid)
            else:
                core = harness.make_core(t, "full", directory)
                tr = harness.lldb(commands, core=core, exe=t.exe)
            truth = t.truth["frames"]
    finally:
        harness.cleanup(directory)
    thread, frames = lines_frames(tr.json("clrstack -all --json"))
    check(len(frames) == len(truth) == 5,
          "5 frames of Lines' methods, as .NET reported (clrstack %d, .NET %d)" % (len(frames), len(truth)))
    for f, want in zip(frames, truth):
        short = want["method"].split(".")[-1]
        check(short in f["name"], "frame order: %s is %s" % (f["name"], want["method"]))
        check(f.get("file") == want["file"] and f.get("line") == want["line"],
              "%s: .NET says %s @ %d, clrstack %s @ %s (IL 0x%x, .NET's 0x%x)" %
              (f["name"], want["file"], want["line"], f.get("file"), f.get("line"),
               f.get("ilOffset", -1), want["il"]))
    others = [f for f in (thread or {}).get("frames", [])
              if f.get("name") and f["name"].startswith("System.") and f.get("methodDesc") not in (None, "0x0")]
    check(others and all("file" not in f for f in others),
          "frames of System.Private.CoreLib (no PDB beside it) have no source: %d frames" % len(others))
    text = tr.text_of("clrstack -all")
    for want in truth:
        base = os.path.basename(want["file"])
        parent = os.path.basename(os.path.dirname(want["file"]))
        # SOS's SimpleThrow.script: [.*SimpleThrow[\\|/]UserObject\.cs @ 19\s*\]
        pattern = r"%s %s .*\.%s[\[(].*\) \[.*%s[\\|/]%s @ %d\s*\]" % (
            HEX, HEX, re.escape(want["method"].split(".")[-1]), re.escape(parent), re.escape(base), want["line"])
        check(re.search(pattern, text) is not None, "text: " + pattern)


def main():
    mode = sys.argv[1]
    try:
        run(mode)
    except harness.Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
    harness.finish()


main()
