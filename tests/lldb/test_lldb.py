"""One libclrsos.so in every lldb a user has: 14 and later load and answer,
older ones and hosts without the SB API are refused with one line.

usage: test_lldb.py <case>
  version-<N>   lldb N as scripts/setup-lldb.sh unpacks it (14: the lldb on
                PATH): on a createdump core and live, eeversion, dumpheap,
                dumpobj, gcroot and clrstack against HeapShapes' truth; the
                plugin loaded from ~/.lldbinit. lldb 13: refused, one line.
  no-sb-api     a host without liblldb calls PluginInitialize: refused,
                naming the SB function it lacks, nothing called.
  undefined     the build check (cmake/CheckUndefined.cmake) fails on a
                library leaving a symbol undefined that nothing defines.
"""

import os
import shutil
import subprocess
import sys
import tempfile

import harness
from harness import check

OLDEST = 14
SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def lldb_path(version):
    if version == 14:
        return shutil.which("lldb")
    root = os.environ.get("CLRSOS_LLDB_ROOT") or os.path.expanduser("~/.cache/clrsos/lldb")
    path = os.path.join(root, str(version), "lldb")
    if not os.path.exists(path):
        raise harness.Failure("lldb %d is not unpacked at %s: run scripts/setup-lldb.sh %d"
                              % (version, path, version))
    return path


def env_without_preload():
    """The plugin under ASan+UBSan needs their runtimes preloaded (harness.lldb does it)."""
    env = dict(os.environ)
    if os.environ.get("CLRSOS_LLDB_PRELOAD"):
        env["LD_PRELOAD"] = os.environ["CLRSOS_LLDB_PRELOAD"]
        env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=1:detect_odr_violation=0"
    return env


def crashed(r):
    return r.returncode < 0 or "Stack dump" in r.stdout or "PLEASE submit a bug report" in r.stdout


def commands(truth):
    af = truth["objects"]["allFields"]
    chain = truth["roots"]["gcroot"]["staticChain"]["address"]
    return ["eeversion --json", "dumpheap -stat -type HeapShapes. --json",
            "dumpobj %s" % af["address"], "gcroot %s --json" % chain, "clrstack -all"]


def check_answers(tr, truth, where):
    version = tr.json("eeversion --json")
    check(version.get("runtimeDirectory", "").rstrip("/") == harness.runtime_dir(truth)
          or harness.runtime_dir(truth) in tr.text_of("eeversion --json"),
          "%s: eeversion does not name the runtime %s" % (where, harness.runtime_dir(truth)))
    stats = {harness.parse_hex(r["mt"]): r for r in tr.json("dumpheap -stat -type HeapShapes. --json")["statistics"]}
    for name, t in truth["dumpheap"]["types"].items():
        if not name.startswith("HeapShapes.") or t["count"] == 0:
            continue
        row = stats.get(harness.parse_hex(t["mt"]))
        if check(row is not None, "%s: %s missing from dumpheap -stat" % (where, name)):
            check(row["count"] == t["count"] and row["totalSize"] == t["totalSize"],
                  "%s: %s has %d objects, %d bytes; the target says %d, %d"
                  % (where, name, row["count"], row["totalSize"], t["count"], t["totalSize"]))
    af = truth["objects"]["allFields"]
    check("Name:        HeapShapes.AllFields" in tr.text_of("dumpobj %s" % af["address"]),
          "%s: dumpobj does not name HeapShapes.AllFields" % where)
    chain = truth["roots"]["gcroot"]["staticChain"]["address"]
    roots = tr.json("gcroot %s --json" % chain)["roots"]
    check(len(roots) >= 1, "%s: gcroot found no root of the static chain" % where)
    clrstack = tr.text_of("clrstack -all")
    check(tr.error("clrstack -all") is None and "Main" in clrstack,
          "%s: clrstack -all does not show Main" % where)


def case_version(version):
    path = lldb_path(version)
    harness.LLDB = path
    scratch = harness.scratch_dir()
    try:
        with harness.Target("HeapShapes") as t:
            truth = t.truth
            core = harness.make_core(t, "full", scratch)
            if version < OLDEST:
                case_refused(path, core, t.exe, scratch)
                return
            live = harness.lldb(commands(truth), pid=t.pid)
        check_answers(live, truth, "lldb %d, live" % version)
        on_core = harness.lldb(commands(truth), core=core, exe=t.exe)
        check_answers(on_core, truth, "lldb %d, core" % version)
        # Loaded at every start from ~/.lldbinit, as docs/install.md says.
        home = os.path.join(scratch, "home")
        os.mkdir(home)
        with open(os.path.join(home, ".lldbinit"), "w") as f:
            f.write("plugin load %s\n" % harness.PLUGIN)
        env = env_without_preload()
        env["HOME"] = home
        r = subprocess.run([path, "-b", "-o", "version", "-o", "help dumpheap"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
        print(r.stdout)
        check(not crashed(r) and r.returncode == 0, "lldb %d with the plugin in ~/.lldbinit: status %d"
              % (version, r.returncode))
        check("lldb version %d." % version in r.stdout, "lldb %d: no version line" % version)
        check("-stat" in r.stdout, "lldb %d: help dumpheap does not describe the command" % version)
    finally:
        harness.cleanup(scratch)


def case_refused(path, core, exe, scratch):
    """An lldb older than the oldest supported: one line, the session goes on."""
    tr = harness.lldb(["plugin load " + harness.PLUGIN, "dumpheap -stat", "version"], core=core, exe=exe,
                      load_plugin=False)
    lines = [l for l in tr.text.splitlines() if l.startswith("clrsos: ")]
    check(len(lines) == 1, "expected one line from clrsos, got %r" % lines)
    if lines:
        check("older than lldb %d" % OLDEST in lines[0] and "not loaded" in lines[0],
              "the refusal does not say why: %r" % lines[0])
    check(tr.error("dumpheap -stat") is not None, "dumpheap exists although the plugin was refused")
    check("lldb version" in tr.text_of("version"), "the session did not go on after the refusal")
    home = os.path.join(scratch, "home")
    os.mkdir(home)
    with open(os.path.join(home, ".lldbinit"), "w") as f:
        f.write("plugin load %s\n" % harness.PLUGIN)
    env = env_without_preload()
    env["HOME"] = home
    r = subprocess.run([path, "-b", "-o", "version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
    print(r.stdout)
    check(not crashed(r) and "lldb version" in r.stdout,
          "lldb with the plugin in ~/.lldbinit did not start: status %d" % r.returncode)


def case_no_sb_api():
    host = os.environ.get("CLRSOS_SBHOST")
    if not host or not os.path.exists(host):
        raise harness.Failure("sbhost not built (CLRSOS_SBHOST=%r)" % host)
    r = subprocess.run([host, harness.PLUGIN], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, env=env_without_preload(), timeout=60)
    print(r.stdout)
    check(r.returncode == 0, "the host ended with status %d (a call into a missing SB function?)" % r.returncode)
    check("PluginInitialize returned false" in r.stdout, "the plugin did not refuse to load")
    lines = [l for l in r.stdout.splitlines() if l.startswith("clrsos: ")]
    check(len(lines) == 1, "expected one line from clrsos, got %r" % lines)
    if lines:
        check("lacks lldb::SB" in lines[0] and "not loaded" in lines[0] and "lldb %d and later" % OLDEST in lines[0],
              "the refusal does not name the missing SB function: %r" % lines[0])


def case_undefined():
    """The build check passes on the plugin and fails on a library with a stray undefined symbol."""
    script = os.path.join(SOURCE_DIR, "cmake", "CheckUndefined.cmake")
    scratch = harness.scratch_dir()
    try:
        def run(library):
            copy = os.path.join(scratch, "checked-" + os.path.basename(library))
            shutil.copy(library, copy)
            r = subprocess.run(["cmake", "-DNM=nm", "-DREADELF=readelf", "-DCC=cc",
                                "-DLLDB=" + os.environ["CLRSOS_LLDB_LIBRARY"], "-DPLUGIN=" + copy,
                                "-P", script], capture_output=True, text=True, timeout=300)
            print(r.stdout + r.stderr)
            return r
        ok = run(harness.PLUGIN)
        check(ok.returncode == 0, "the check fails on the plugin itself")
        source = os.path.join(scratch, "stray.c")
        with open(source, "w") as f:
            f.write("extern int clrsos_nowhere_defined(void);\nint stray(void) { return clrsos_nowhere_defined(); }\n")
        library = os.path.join(scratch, "libstray.so")
        subprocess.run(["cc", "-shared", "-fPIC", "-o", library, source], check=True)
        bad = run(library)
        check(bad.returncode != 0 and "clrsos_nowhere_defined" in bad.stderr,
              "the check passed a library leaving clrsos_nowhere_defined undefined")
        now = os.path.join(scratch, "libnow.so")
        subprocess.run(["cc", "-shared", "-fPIC", "-Wl,-z,now", "-o", now, source], check=True)
        bad = run(now)
        check(bad.returncode != 0 and "bind" in bad.stderr, "the check passed a library linked to bind now")
    finally:
        harness.cleanup(scratch)


if __name__ == "__main__":
    cases = {"no-sb-api": case_no_sb_api, "undefined": case_undefined}
    for v in (13, 14, 15, 16, 19, 22):
        cases["version-%d" % v] = (lambda v=v: case_version(v))
    harness.run_case(cases)
