"""clrsos settings: listed, shown, set; each takes effect; sessions end with their target.

usage: test_settings.py <case>
  list           no process: 'clrsos settings' lists every setting, its default
                 and one line of help (text and --json); 'clrsos help settings'
  set-show       no process: each setting set, shown, -clear'ed; clr-path is
                 setclrpath's directory
  errors         an unknown name, a bad value of each kind, too many operands:
                 one error line, a failed status, the --json error object, and
                 the setting unchanged
  environment    CLRSOS_RUNTIME_DIR, CLRSOS_PROGRESS_AFTER_MS and
                 CLRSOS_LLDB_MEMORY seed the first values when the plugin loads;
                 a value that does not parse is said and left out
  runtime-dir    live: runtime-dir set in a session loads the DAC from that
                 directory, -clear goes back to the runtime's own
  progress       live: progress-after-ms 0 makes dumpheap's progress show,
                 the default (a second) on a small heap shows none
  memory-reader  core: 'debugger' lets go of clrsos's mapping of the core file
                 (lldb's maps of the lldb process say so), 'direct' takes it
                 again; dumpheap answers the same either way
  target-delete  two cores: a command on the first, target delete, a target
                 on the second and a command: clrsos's mapping of the first
                 core is gone from the lldb process
"""

import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402

NAMES = ["clr-path", "runtime-dir", "progress-after-ms", "memory-reader"]
DEFAULTS = {"clr-path": None, "runtime-dir": None, "progress-after-ms": 1000, "memory-reader": "direct"}


def settings_of(tr, command="clrsos settings --json", index=0):
    got = tr.json(command, index)
    return {s["name"]: s["value"] for s in got.get("settings", [])}


def expect_failed(tr, command, *words, index=0):
    """The command failed with one error line saying each word."""
    err = tr.error(command, index)
    check(err is not None, "%r failed: %s" % (command, tr.text_of(command, index)))
    for w in words:
        check(err is not None and w in err, "%r: the error says %r: %r" % (command, w, err))
    return err


def case_list():
    tr = harness.lldb(["clrsos settings", "clrsos settings --json", "clrsos help settings"])
    lines = tr.output("clrsos settings")
    check(tr.error("clrsos settings") is None, "clrsos settings succeeded")
    check(len(lines) == len(NAMES), "one line per setting: %s" % lines)
    for name, line in zip(NAMES, lines):
        check(line.split()[:1] == [name], "the line of %s: %r" % (name, line))
        want = "(not set)" if DEFAULTS[name] is None else str(DEFAULTS[name])
        check(line[len(name):].split()[:2][0] == want.split()[0] and want in line,
              "%s shows its default %s: %r" % (name, want, line))
        check(len(line.split()) > 4, "%s has a line of help: %r" % (name, line))
    j = tr.json("clrsos settings --json")
    check([s["name"] for s in j["settings"]] == NAMES, "--json lists the settings in order: %s" % j)
    check(settings_of(tr) == DEFAULTS, "--json gives the defaults: %s" % settings_of(tr))
    check(all(s.get("help") and s.get("takes") for s in j["settings"]), "each with help and what it takes: %s" % j)
    help_text = tr.text_of("clrsos help settings")
    check("settings [<name>" in help_text and "progress-after-ms" in help_text and "CLRSOS_RUNTIME_DIR" in help_text,
          "clrsos help settings gives the syntax, the names and the variables: %s" % help_text)


def case_set_show():
    d = harness.scratch_dir()
    try:
        cmds = ["clrsos settings progress-after-ms 250",
                "clrsos settings progress-after-ms",
                "clrsos settings PROGRESS-AFTER-MS 0x20 --json",
                "clrsos settings memory-reader debugger",
                "clrsos settings memory-reader --json",
                "clrsos settings runtime-dir " + d + "/",
                "clrsos settings clr-path " + d,
                "setclrpath",
                "clrsos settings --json",
                "clrsos settings progress-after-ms -clear",
                "clrsos settings memory-reader -clear",
                "clrsos settings runtime-dir -clear",
                "setclrpath -clear",
                "clrsos settings clr-path",
                "clrsos settings --json"]
        tr = harness.lldb(cmds)
    finally:
        harness.cleanup(d)
    for c in cmds:
        check(tr.error(c) is None, "%r succeeded: %s" % (c, tr.text_of(c)))
    check(tr.output("clrsos settings progress-after-ms 250") == ["progress-after-ms = 250"],
          "set: %s" % tr.output("clrsos settings progress-after-ms 250"))
    check(tr.output("clrsos settings progress-after-ms") == ["progress-after-ms = 250"],
          "show: %s" % tr.output("clrsos settings progress-after-ms"))
    check(tr.json("clrsos settings PROGRESS-AFTER-MS 0x20 --json") ==
          {"name": "progress-after-ms", "value": 32, "changed": True},
          "set in hex, --json: %s" % tr.json("clrsos settings PROGRESS-AFTER-MS 0x20 --json"))
    check(tr.json("clrsos settings memory-reader --json") ==
          {"name": "memory-reader", "value": "debugger", "changed": False},
          "show --json: %s" % tr.json("clrsos settings memory-reader --json"))
    check(tr.output("clrsos settings runtime-dir " + d + "/") == ["runtime-dir = " + d],
          "a directory without its trailing slash: %s" % tr.output("clrsos settings runtime-dir " + d + "/"))
    check(tr.output("setclrpath") == ["Load path for DAC: " + d], "setclrpath shows clr-path: %s"
          % tr.output("setclrpath"))
    check(settings_of(tr) == {"clr-path": d, "runtime-dir": d, "progress-after-ms": 32,
                              "memory-reader": "debugger"}, "all set: %s" % settings_of(tr))
    check(tr.output("clrsos settings progress-after-ms -clear") == ["progress-after-ms = 1000"],
          "-clear: the default: %s" % tr.output("clrsos settings progress-after-ms -clear"))
    check(tr.output("clrsos settings clr-path") == ["clr-path = (not set)"],
          "setclrpath -clear clears clr-path: %s" % tr.output("clrsos settings clr-path"))
    check(settings_of(tr, index=1) == DEFAULTS, "all back to the defaults: %s" % settings_of(tr, index=1))


def case_errors():
    cmds = ["clrsos settings no-such-setting",
            "clrsos settings no-such-setting 1 --json",
            "clrsos settings progress-after-ms soon",
            "clrsos settings progress-after-ms -5",
            "clrsos settings progress-after-ms 99999999999999999999",
            "clrsos settings memory-reader ptrace",
            "clrsos settings memory-reader ptrace --json",
            "clrsos settings runtime-dir /nonexistent/clrsos-runtime",
            "clrsos settings runtime-dir /etc/hostname",
            "clrsos settings progress-after-ms 1 2",
            "clrsos settings --json"]
    tr = harness.lldb(cmds)
    expect_failed(tr, "clrsos settings no-such-setting", "no setting 'no-such-setting'", "clrsos settings")
    j = tr.json("clrsos settings no-such-setting 1 --json")
    check(j.get("code") == "invalidArgument", "--json: the error object: %s" % j)
    check(j.get("command") == "settings" and "no setting 'no-such-setting'" in j.get("error", ""),
          "--json error names the command and the setting: %s" % j)
    expect_failed(tr, "clrsos settings progress-after-ms soon", "'soon' is not a number", "milliseconds")
    expect_failed(tr, "clrsos settings progress-after-ms -5", "'-5' is not a number")
    expect_failed(tr, "clrsos settings progress-after-ms 99999999999999999999", "out of range")
    expect_failed(tr, "clrsos settings memory-reader ptrace", "'ptrace' is not one", "direct or debugger")
    check("is not one" in tr.json("clrsos settings memory-reader ptrace --json").get("error", ""),
          "--json error of a bad value")
    expect_failed(tr, "clrsos settings runtime-dir /nonexistent/clrsos-runtime", "No such file or directory")
    expect_failed(tr, "clrsos settings runtime-dir /etc/hostname", "not a directory")
    expect_failed(tr, "clrsos settings progress-after-ms 1 2", "'2'")
    for c in cmds[:-1]:
        check(len([l for l in tr.output(c) if l.startswith("error: ")]) == 1, "%r: one error line: %s"
              % (c, tr.output(c)))
    check(settings_of(tr) == DEFAULTS, "nothing changed: %s" % settings_of(tr))


def case_environment():
    d = harness.scratch_dir()
    try:
        tr = harness.lldb(["clrsos settings --json"], env={"CLRSOS_RUNTIME_DIR": d, "CLRSOS_PROGRESS_AFTER_MS": "250",
                                                            "CLRSOS_LLDB_MEMORY": "1"})
        bad = harness.lldb(["clrsos settings --json"], env={"CLRSOS_PROGRESS_AFTER_MS": "soon",
                                                           "CLRSOS_LLDB_MEMORY": "0"})
    finally:
        harness.cleanup(d)
    check(settings_of(tr) == {"clr-path": None, "runtime-dir": d, "progress-after-ms": 250,
                              "memory-reader": "debugger"}, "seeded from the environment: %s" % settings_of(tr))
    check(settings_of(bad) == DEFAULTS, "a bad value is left out, CLRSOS_LLDB_MEMORY=0 is direct: %s"
          % settings_of(bad))
    check("CLRSOS_PROGRESS_AFTER_MS left out" in bad.text and "'soon' is not a number" in bad.text,
          "the bad value is said: %s" % bad.text)


def case_runtime_dir():
    d = harness.scratch_dir()
    try:
        with harness.Target("HeapShapes") as t:
            rt = harness.runtime_dir(t.truth)
            shutil.copy(os.path.join(rt, "libmscordaccore.so"), d)
            shutil.copy(os.path.join(rt, "libcoreclr.so"), d)
            os.chmod(d, 0o755)
            tr = harness.lldb(["eeversion --json",
                               "clrsos settings runtime-dir " + d,
                               "eeversion --json",
                               "eeheap -gc --json",
                               "clrsos settings runtime-dir -clear",
                               "eeversion --json"], pid=t.pid)
    finally:
        harness.cleanup(d)
    own = tr.json("eeversion --json", 0)["dacPath"]
    check(os.path.dirname(own) == rt.rstrip("/"), "first the runtime's own DAC: %s (runtime in %s)" % (own, rt))
    check(tr.json("eeversion --json", 1)["dacPath"] == d + "/libmscordaccore.so",
          "runtime-dir set: the DAC from %s: %s" % (d, tr.json("eeversion --json", 1)))
    check(tr.error("eeheap -gc --json") is None and tr.json("eeheap -gc --json").get("heaps"),
          "eeheap with that DAC: %s" % tr.text_of("eeheap -gc --json")[:300])
    check(tr.json("eeversion --json", 2)["dacPath"] == own, "-clear: the runtime's own DAC again: %s"
          % tr.json("eeversion --json", 2))


def progress_lines(tr, command, index):
    return [l for l in tr.output(command, index) if "heap walked" in l]


def case_progress():
    with harness.Target("HeapShapes") as t:
        cmds = ["dumpheap -stat", "clrsos settings progress-after-ms 0", "dumpheap -stat",
                "clrsos settings progress-after-ms -clear", "dumpheap -stat"]
        tr = harness.lldb(cmds, pid=t.pid)
    for c in cmds:
        check(tr.error(c) is None, "%r succeeded" % c)
    check(progress_lines(tr, "dumpheap -stat", 0) == [], "by default (a second), a small heap shows no progress: %s"
          % progress_lines(tr, "dumpheap -stat", 0))
    shown = progress_lines(tr, "dumpheap -stat", 1)
    check(shown and all(l.startswith("dumpheap: ") for l in shown),
          "progress-after-ms 0: dumpheap shows its progress at once: %s" % tr.text_of("dumpheap -stat", 1)[:400])
    check(progress_lines(tr, "dumpheap -stat", 2) == [], "-clear: none again: %s" % progress_lines(tr, "dumpheap -stat", 2))
    # The answer itself is the same.
    rows = [[l for l in tr.output("dumpheap -stat", i) if "heap walked" not in l] for i in range(3)]
    check(rows[0] == rows[1] == rows[2], "dumpheap -stat answers the same with and without progress")


def maps_count(path):
    """An lldb command counting the lldb process's mappings of path (the shell's parent is lldb)."""
    return "platform shell grep -c -F %s /proc/$PPID/maps || true" % path


def count_of(tr, command, index):
    for line in tr.output(command, index):
        if line.strip().isdigit():
            return int(line.strip())
    raise harness.Failure("no count from %r: %s" % (command, tr.text_of(command, index)))


def case_memory_reader():
    scratch = harness.scratch_dir()
    try:
        core, exe, _ = harness.core_of_finished("HeapShapes", "full", scratch)
        count = maps_count(core)
        cmds = ["dumpheap -stat --json", count,
                "clrsos settings memory-reader debugger", "dumpheap -stat --json", count,
                "clrsos settings memory-reader direct", "dumpheap -stat --json", count]
        tr = harness.lldb(cmds, core=core, exe=exe)
    finally:
        harness.cleanup(scratch)
    direct, via_lldb, again = (count_of(tr, count, i) for i in range(3))
    check(direct >= 1, "memory-reader direct: clrsos maps the core: %d mappings" % direct)
    check(via_lldb == direct - 1, "memory-reader debugger: clrsos's mapping of the core is let go: %d -> %d"
          % (direct, via_lldb))
    check(again == direct, "memory-reader direct again: mapped again: %d" % again)
    answers = [tr.json("dumpheap -stat --json", i) for i in range(3)]
    check(answers[0] == answers[1] == answers[2], "dumpheap -stat answers the same through lldb and in place")


def case_target_delete():
    scratch = harness.scratch_dir()
    try:
        with harness.Target("Grower", args=("3000", "700"), stdin=True) as t:
            first = harness.make_core(t, "full", scratch)
            os.rename(first, os.path.join(scratch, "core.first"))
            first = os.path.join(scratch, "core.first")
            t.send("grow")
            second = harness.make_core(t, "full", scratch)
            exe = t.exe
        count = maps_count(first)
        cmds = ["target create %s --core %s" % (exe, first),
                "dumpheap -stat --json", count,
                "target delete",
                "target create %s --core %s" % (exe, second),
                "dumpheap -stat --json", count]
        tr = harness.lldb(cmds, load_plugin=True)
    finally:
        harness.cleanup(scratch)
    before, after = count_of(tr, count, 0), count_of(tr, count, 1)
    check(before >= 1, "the first core is mapped while its target lives: %d" % before)
    check(after <= before - 1, "after target delete and a command on another target, clrsos's mapping of the "
          "first core is gone: %d -> %d mappings" % (before, after))
    items = [r["count"] for r in tr.json("dumpheap -stat --json", 1)["statistics"] if r["type"] == "Grower.Item"]
    check(items == [3700], "the second target's own session answers: %s Grower.Item" % items)


CASES = {
    "list": case_list,
    "set-show": case_set_show,
    "errors": case_errors,
    "environment": case_environment,
    "runtime-dir": case_runtime_dir,
    "progress": case_progress,
    "memory-reader": case_memory_reader,
    "target-delete": case_target_delete,
}

if __name__ == "__main__":
    harness.run_case(CASES)
