"""Source lines (clrstack, clru, pe -lines, ip2md, clrbt) against what .NET itself reports.

usage: test_lines.py <live|full|embedded|stale|crash>

Starts the Lines target, which prints, for the frames of its own methods,
the file and line System.Diagnostics.StackTrace reads from Lines.pdb and
then blocks in the innermost of them (Third, on the line that took the
trace: a #line directive puts it in Elsewhere/Moved.cs @ 500). clrstack -all
on the live process or on a full core of it must show each of those frames
with the same file and line (--json: file, line; text: SOS's
"<method> [<file> @ <line>]", checked with the regex of SOS's
SimpleThrow.script), and no source for frames whose module has no PDB
beside it (System.Private.CoreLib's). clru <each frame's ip>: the call
the frame makes comes after SOS's "<file> @ <line>:" line of .NET's line
(text and --json), none with -n.

embedded: the same on a live LinesEmbedded, whose PDB is embedded in the
assembly (deflated in its debug directory), with no PDB file beside it.
stale: a copy of Lines whose Lines.pdb has another id than the one the
assembly names (as a PDB of another build has): no frame gets a line from
it, and pe -lines says why in one line.
native: Lines native, blocked in a read in liblinesnative.so (C, built
with -g): dumpstack and eestack show the native caller and callee with
lldb's "[<file>:<line>]" (the line the library printed), live and on a full
core, as SOS's DumpStack does; dumpstack -n without; clrstack -f with SOS's
" at <file>:<line>" (--json: file, line), clrstack -f -n without.
crash: the core the runtime writes as Lines dies of an unhandled exception
thrown from a catch block (Lines throw): pe -lines gives each frame of the
exception's stack trace the line .NET gave it, pe -nested shows the thread's
nested exception (the one in flight) as SOS does, plain pe says there is
one, and ip2md and clrbt give the throw's line.
"""
import json
import shutil
import subprocess

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


def run(mode, name="Lines", stale=False):
    directory = harness.scratch_dir()
    try:
        with harness.Target(name, args=["wait"], stdin=True) as t:
            commands = ["clrstack -all --json", "clrstack -all"]
            if mode == "live":
                where = dict(pid=t.pid)
            else:
                core = harness.make_core(t, "full", directory)
                where = dict(core=core, exe=t.exe)
            tr = harness.lldb(commands, **where)
            truth = t.truth["frames"]
            if not stale:
                check_clru(lines_frames(tr.json("clrstack -all --json"))[1], truth, where)
    finally:
        harness.cleanup(directory)
    thread, frames = lines_frames(tr.json("clrstack -all --json"))
    if stale:
        check(len(frames) == 5 and all("file" not in f for f in frames),
              "stale PDB: no frame gets a line from it: %s" % [(f["name"], f.get("line")) for f in frames])
        return
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


def check_clru(frames, truth, where):
    """clru <frame's ip>: the call each frame makes is under SOS's "<file> @ <line>:" of .NET's line."""
    if len(frames) != len(truth):
        return  # run() says what is wrong with the frames
    commands = []
    for f in frames:
        commands += ["clru %s" % f["ip"], "clru %s --json" % f["ip"], "clru -n %s" % f["ip"], "clru -il %s --json" % f["ip"]]
    tr = harness.lldb(commands, **where)
    for f, want in zip(frames, truth):
        ip = int(f["ip"], 16)
        text = tr.text_of("clru %s" % f["ip"])
        # SOS's StackAndOtherTests.script: \s+(?i:.*[\\|/]SymbolTestApp\.cs) @ 57:\s+
        pattern = r"^%s @ %d:$" % (re.escape(want["file"]), want["line"])
        check(re.search(pattern, text, re.M) is not None, "clru %s: a line %r\n%s" % (f["name"], pattern, text))
        # The line shown last before the call (the instruction ending at ip) is the frame's.
        shown, call_line = None, None
        for line in tr.output("clru %s" % f["ip"]):
            m = re.match(r"^(.*) @ (\d+):$", line)
            if m:
                shown = (m.group(1), int(m.group(2)))
            m = re.match(r"^(?:>>> )?([0-9a-f]{16}) ", line)
            if m and int(m.group(1), 16) < ip:
                call_line = shown
        check(call_line == (want["file"], want["line"]),
              "clru %s: the call before %x is under %s, .NET says %s @ %d" % (f["name"], ip, call_line,
                                                                              want["file"], want["line"]))
        j = tr.json("clru %s --json" % f["ip"])
        calls = [i for i in j["instructions"] if int(i["address"], 16) + i["size"] == ip]
        check(len(calls) == 1 and calls[0].get("file") == want["file"] and calls[0].get("line") == want["line"],
              "clru --json %s: the call's file and line %s" % (f["name"], calls))
        check(j.get("methodDesc") == f.get("methodDesc") and "methodTable" in j and "versions" in j,
              "clru --json: dumpmd's fields: %s" % {k: j.get(k) for k in ("methodDesc", "methodTable")})
        # An epilog (the runtime's map says IL 0xfffffffd) takes the line of the method's last IL offset, as SOS.
        jil = tr.json("clru -il %s --json" % f["ip"])
        real = [m for m in jil["ilMap"] if m["ilOffset"] < 0xfffffff0 and int(m["end"], 16) > int(m["begin"], 16)]
        epilogs = [m for m in jil["ilMap"] if m["ilOffset"] == 0xfffffffd and int(m["end"], 16) > int(m["begin"], 16)]

        def lines_in(entry):
            return {(i["file"], i["line"]) for i in jil["instructions"]
                    if int(entry["begin"], 16) <= int(i["address"], 16) < int(entry["end"], 16) and i.get("file")}
        if real and epilogs:
            last = max(real, key=lambda m: m["ilOffset"])
            want_epilog = lines_in(last)
            for e in epilogs:
                got = lines_in(e)
                check(got and got <= want_epilog, "clru %s: epilog at %s has lines %s, the last IL offset 0x%x %s" % (
                    f["name"], e["begin"], got, last["ilOffset"], want_epilog))
        no_lines = tr.text_of("clru -n %s" % f["ip"])
        check(re.search(r" @ \d+:$", no_lines, re.M) is None and ">>> " in no_lines,
              "clru -n: no source lines:\n%s" % no_lines)


def run_native():
    """Lines native: blocked in liblinesnative.so (built with -g); dumpstack names its line as SOS does."""
    directory = harness.scratch_dir()
    try:
        with harness.Target("Lines", args=["native"], stdin=True) as t:
            truth = t.truth
            commands = ["dumpstack", "dumpstack -n", "eestack", "clrstack -f", "clrstack -f -n", "clrstack -f --json"]
            trs = [("live", harness.lldb(commands, pid=t.pid))]
            core = harness.make_core(t, "full", directory)
            trs.append(("core", harness.lldb(commands, core=core, exe=t.exe)))
    finally:
        harness.cleanup(directory)
    # SOS's PrintNativeStack: "module!symbol + 0x<off> [<file>:<line>]", the line of the return address itself.
    caller = r"^%s %s liblinesnative\.so!%s \+ 0x[0-9a-f]+ \[%s:%d\], calling " % (
        HEX, HEX, re.escape(truth["nativeFunction"]), re.escape(truth["nativeFile"]), truth["nativeLine"])
    for where, tr in trs:
        text = tr.text_of("dumpstack")
        check(re.search(caller, text, re.M), "dumpstack (%s): the native caller with its line: %s\n%s" % (
            where, caller, text))
        plain = tr.text_of("dumpstack -n")
        check("liblinesnative.so!" in plain and "lines_native.c:" not in plain,
              "dumpstack -n (%s): no source lines:\n%s" % (where, plain))
        check(re.search(caller, tr.text_of("eestack"), re.M), "eestack (%s): the native caller's line" % where)
        # SOS's clrstack -f: "module!symbol + <decimal offset> at <file>:<line>", the line of the ip itself.
        full = r"^[0-9A-F]{16} [0-9A-F]{16} liblinesnative\.so!%s \+ \d+ at %s:%d$" % (
            re.escape(truth["nativeFunction"]), re.escape(truth["nativeFile"]), truth["nativeLine"])
        text = tr.text_of("clrstack -f")
        check(re.search(full, text, re.M), "clrstack -f (%s): the native caller with its line: %s\n%s" % (
            where, full, text))
        plain = tr.text_of("clrstack -f -n")
        check("liblinesnative.so!" in plain and " at " not in plain,
              "clrstack -f -n (%s): no source lines:\n%s" % (where, plain))
        natives = [f for t_ in tr.json("clrstack -f --json")["threads"] for f in t_["nativeFrames"]
                   if f.get("symbol") == truth["nativeFunction"]]
        check(any(f.get("file") == truth["nativeFile"] and f.get("line") == truth["nativeLine"] for f in natives),
              "clrstack -f --json (%s): no file and line on %s: %r" % (where, truth["nativeFunction"], natives))


def flip_pdb_id(path):
    """Change one byte of the id in the portable PDB's #Pdb stream (a PDB of another build)."""
    data = bytearray(open(path, "rb").read())
    root = data.index(b"BSJB")
    version_len = int.from_bytes(data[root + 12:root + 16], "little")
    pos = root + 16 + version_len + 2
    streams = int.from_bytes(data[pos:pos + 2], "little")
    pos += 2
    for _ in range(streams):
        offset = int.from_bytes(data[pos:pos + 4], "little")
        end = data.index(b"\0", pos + 8)
        name = data[pos + 8:end]
        pos = (end + 4) & ~3
        if name == b"#Pdb":
            data[root + offset] ^= 0xff
            open(path, "wb").write(bytes(data))
            return
    raise harness.Failure("no #Pdb stream in " + path)


def run_stale():
    """Lines with its PDB's id changed: the PDB is not used, and pe -lines says so."""
    directory = harness.scratch_dir()
    saved = harness.TARGETS_DIR
    try:
        # The build the run starts (under CLRSOS_RUNTIME its self-contained one), copied.
        built = harness.variant_dir("Lines", harness.RUNTIME) if harness.RUNTIME else os.path.join(saved, "Lines")
        copy = os.path.join(directory, os.path.basename(built))
        shutil.copytree(built, copy)
        pdb = os.path.join(copy, "Lines.pdb")
        flip_pdb_id(pdb)
        harness.TARGETS_DIR = directory
        run("live", stale=True)
        # pe -lines names the PDB it did not use: the crash of the same copy.
        core = os.path.join(directory, "core.crash")
        command = harness.target_command("Lines")
        r = subprocess.run(command + ["throw"], capture_output=True,
                           text=True, timeout=300, env=dict(os.environ, DOTNET_DbgEnableMiniDump="1",
                                                            DOTNET_DbgMiniDumpType="4", DOTNET_DbgMiniDumpName=core))
        if not os.path.exists(core):
            raise harness.Failure("Lines throw wrote no core: %s" % r.stderr[-400:])
        tr = harness.lldb(["clrthreads -managedexception", "pe -lines", "pe -lines --json"], core=core,
                          exe=harness.program_of(command))
        notes = [l for l in tr.output("pe -lines") if l.startswith("Note: ")]
        check(len(notes) == 1 and pdb in notes[0] and "another build" in notes[0],
              "pe -lines: one note naming the stale PDB: %r" % notes)
        check(" @ " not in tr.text_of("pe -lines"), "pe -lines: a line from the stale PDB")
        check(len(tr.json("pe -lines --json").get("sourceNotes", [])) == 1, "pe -lines --json: sourceNotes")
    finally:
        harness.TARGETS_DIR = saved
        harness.cleanup(directory)


def by_frame(frames):
    """Text of frames as (method's short name, file, line)."""
    return [(f["method"].split(".")[-1], f["file"], f["line"]) for f in frames]


def run_crash():
    directory = harness.scratch_dir()
    try:
        core = os.path.join(directory, "core.crash")
        command = harness.target_command("Lines")
        r = subprocess.run(command + ["throw"],
                           capture_output=True, text=True, timeout=300,
                           env=dict(os.environ, DOTNET_DbgEnableMiniDump="1", DOTNET_DbgMiniDumpType="4",
                                    DOTNET_DbgMiniDumpName=core))
        truth = [json.loads(l[6:]) for l in r.stdout.splitlines() if l.startswith("TRUTH ")]
        if not truth or not os.path.exists(core):
            raise harness.Failure("Lines throw: no TRUTH or no core: %s" % r.stderr[-400:])
        truth = truth[0]
        first = ["clrthreads -managedexception", "pe", "pe -lines", "pe -lines --json", "pe -nested -lines",
                 "pe -nested -lines --json", "clrstack --json", "clrbt"]
        tr = harness.lldb(first, core=core, exe=harness.program_of(command))
        # The outer exception: thrown by Throw, on the line Lines said.
        outer = tr.json("pe -lines --json")
        check(outer["type"] == "System.FormatException", "pe: the outer exception: %s" % outer["type"])
        top = outer["stackTrace"][0]
        check(top.get("file") == truth["outerFile"] and top.get("line") == truth["outerLine"],
              "pe -lines: the throw at %s @ %d, not %s @ %s" % (truth["outerFile"], truth["outerLine"],
                                                               top.get("file"), top.get("line")))
        check(re.search(r"^    %s %s Lines\.dll!Lines\.Program\.Throw\(\)\+0x%s \[.*[\\|/]Program\.cs @ %d\s*\]$"
                        % (HEX, HEX, HEX, truth["outerLine"]), tr.text_of("pe -lines"), re.M),
              "pe -lines: SOS's layout of the frame: %r" % tr.output("pe -lines")[5:7])
        nested_line = "There are nested exceptions on this thread. Run with -nested for details"
        check(nested_line in tr.text_of("pe") and nested_line not in tr.text_of("pe -nested -lines"),
              "pe: the nested-exceptions line in plain pe only")
        # pe -nested: the inner exception, in flight when the outer one was thrown, with .NET's lines.
        nested = tr.json("pe -nested -lines --json").get("nestedExceptions", [])
        check(len(nested) == 1 and nested[0]["type"] == "System.InvalidOperationException",
              "pe -nested: the thread's one nested exception: %s" % [n["type"] for n in nested])
        got = [(f["method"].split(".")[-1].split("(")[0], f.get("file"), f.get("line"))
               for f in nested[0]["stackTrace"]]
        want = [(m.split(".")[-1], f, l) for m, f, l in by_frame(truth["inner"])]
        check(got == want, "pe -nested -lines: the inner exception's frames\n  .NET:   %s\n  clrsos: %s" % (want, got))
        check(tr.text_of("pe -nested -lines").count("\nNested exception -----") == 1,
              "pe -nested: one 'Nested exception' separator")
        # ip2md at the call of Throw's frame (its return address less one) and clrbt: the same line.
        frames = [f for f in tr.json("clrstack --json")["threads"][0]["frames"] if f.get("name", "").startswith("Lines.Program.Throw")]
        if not frames:
            raise harness.Failure("clrstack: no frame of Lines.Program.Throw")
        check(frames[0].get("line") == truth["outerLine"], "clrstack: Throw's line: %s" % frames[:1])
        ip = int(frames[0]["ip"], 16) - 1
        tr2 = harness.lldb(["ip2md %x" % ip, "ip2md %x --json" % ip], core=core, exe=harness.program_of(command))
        src = [l for l in tr2.output("ip2md %x" % ip) if l.startswith("Source file:")]
        check(src == ["Source file:  %s @ %d" % (truth["outerFile"], truth["outerLine"])],
              "ip2md: Source file line: %r" % src)
        check(tr2.json("ip2md %x --json" % ip).get("line") == truth["outerLine"], "ip2md --json: line")
        check(re.search(r"\[managed\] Lines\.Program\.Throw\(\) at .*Program\.cs:%d$" % truth["outerLine"],
                        tr.text_of("clrbt"), re.M), "clrbt: Throw's frame with its line: %r" %
              [l for l in tr.output("clrbt") if "Throw" in l])
    finally:
        harness.cleanup(directory)


def main():
    mode = sys.argv[1]
    try:
        if mode == "crash":
            run_crash()
        elif mode == "native":
            run_native()
        elif mode == "stale":
            run_stale()
        elif mode == "embedded":
            run("live", name="LinesEmbedded")
        else:
            run(mode)
    except harness.Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
    harness.finish()


main()
