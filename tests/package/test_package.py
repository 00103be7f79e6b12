"""The Debian package, end to end.

Builds libclrsos_<version>_<arch>.deb from the build tree with cpack (into
a scratch directory), checks its metadata (name, version, architecture,
depends) and its file list, installs it with dpkg into a private root (its
own dpkg database, never the machine's), then starts HeapShapes, runs lldb
with the installed lldbinit.example (its plugin path pointed at the private
root) and checks eeversion and dumpheap -stat against the target's truth.

Environment (set by tests/package/CMakeLists.txt):
  CLRSOS_BUILD_DIR     the CMake build directory (its CPackConfig.cmake)
  CLRSOS_CPACK         the cpack program
  CLRSOS_VERSION       the project's version
  CLRSOS_INSTALL_DIR   where the plugin goes, relative to the prefix (lib/clrsos)
  CLRSOS_PLUGIN        the built libclrsos.so (must not be the one loaded)
  CLRSOS_TARGETS_DIR   the C# test programs
"""

import glob
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lldb"))
import harness  # noqa: E402
from harness import check  # noqa: E402

BUILD_DIR = os.environ["CLRSOS_BUILD_DIR"]
CPACK = os.environ.get("CLRSOS_CPACK") or "cpack"
VERSION = os.environ["CLRSOS_VERSION"]
INSTALL_DIR = os.environ.get("CLRSOS_INSTALL_DIR", "lib/clrsos").strip("/")
PREFIX = "usr"
PLUGIN_PATH = "/%s/%s/libclrsos.so" % (PREFIX, INSTALL_DIR)  # inside the package
DOC_DIR = "/usr/share/doc/libclrsos"


def run(args, **kw):
    r = subprocess.run(args, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise harness.Failure("%s failed (%d):\n%s%s" % (" ".join(args), r.returncode,
                                                         r.stdout, r.stderr))
    return r.stdout


def build_package(scratch):
    out = os.path.join(scratch, "out")
    run([CPACK, "--config", os.path.join(BUILD_DIR, "CPackConfig.cmake"), "-B", out])
    debs = glob.glob(os.path.join(out, "*.deb"))
    if len(debs) != 1:
        raise harness.Failure("cpack made %s, not one .deb" % debs)
    return debs[0]


def package_owner(path):
    """The Debian package holding a file on this machine, or None: the file
    itself, not a link to it (a -dev package holds those). With /lib a link
    to /usr/lib, a file is registered under one of the two names."""
    real = os.path.realpath(path)
    for candidate in (real, re.sub(r"^/usr/lib/", "/lib/", real)):
        r = subprocess.run(["dpkg-query", "-S", candidate], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":")[0].strip()
    return None


def needed_packages(so):
    """The packages of this machine that hold the libraries `so` needs."""
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]",
                        run(["readelf", "-d", so]))
    check(needed, "readelf found no NEEDED entry in " + so)
    resolved = dict(re.findall(r"^\s*(\S+) => (/\S+)", run(["ldd", so]), re.M))
    packages = {}
    for lib in needed:
        owner = package_owner(resolved[lib]) if lib in resolved else None
        check(owner is not None, "no package holds %s (%s)" % (lib, resolved.get(lib)))
        packages[lib] = owner
    return packages


def check_metadata(deb):
    fields = {}
    for name in ("Package", "Version", "Architecture", "Depends", "Maintainer",
                 "Description"):
        fields[name] = run(["dpkg-deb", "-f", deb, name]).strip()
    print("control: %s" % fields, flush=True)
    arch = run(["dpkg", "--print-architecture"]).strip()
    check(fields["Package"] == "libclrsos", "package name " + fields["Package"])
    check(fields["Version"] == VERSION, "version %s, project %s" % (fields["Version"], VERSION))
    check(fields["Architecture"] == arch, "architecture %s, machine %s" %
          (fields["Architecture"], arch))
    check(os.path.basename(deb) == "libclrsos_%s_%s.deb" % (VERSION, arch),
          "file name " + os.path.basename(deb))
    check("<" in fields["Maintainer"] and "@" in fields["Maintainer"],
          "maintainer " + fields["Maintainer"])
    check(fields["Description"] != "", "no description")
    depends = {d.strip().split(" ")[0].split(":")[0]
               for d in fields["Depends"].split(",") if d.strip()}
    # The debugger the plugin was built for, and every library it needs.
    lldb_pkg = package_owner(os.path.realpath(shutil.which("lldb")))
    check(lldb_pkg is not None and lldb_pkg in depends,
          "Depends %s lacks %s, the package of this lldb" % (sorted(depends), lldb_pkg))
    for lib, owner in needed_packages(os.environ["CLRSOS_PLUGIN"]).items():
        check(owner in depends, "Depends %s lacks %s (for %s)" % (sorted(depends), owner, lib))


def check_files(deb):
    listing = run(["dpkg-deb", "-c", deb])
    files = sorted(line.split()[-1].lstrip(".") for line in listing.splitlines()
                   if not line.startswith("d"))
    print("files: %s" % files, flush=True)
    expected = [PLUGIN_PATH] + [DOC_DIR + "/" + f for f in
                                ("README.md", "install.md", "lldbinit.example")]
    check(files == sorted(expected), "files %s, expected %s" % (files, sorted(expected)))


SCRIPT_LINE = re.compile(r'^(#!/bin/sh|set -e|if \[ "\$1" = "(configure|remove)" \]; then|\s*ldconfig|fi|)$')


def check_scripts(deb, scratch):
    """Maintainer scripts run outside the private root (chrootless), on this
    machine: the package may have only CPack's ldconfig calls."""
    control = os.path.join(scratch, "control")
    run(["dpkg-deb", "-e", deb, control])
    for name in sorted(os.listdir(control)):
        if name in ("control", "md5sums"):
            continue
        check(name in ("postinst", "postrm"), "unexpected control file " + name)
        for line in open(os.path.join(control, name)).read().splitlines():
            check(SCRIPT_LINE.match(line) is not None, "%s: unexpected line %r" % (name, line))


def install(deb, root, scratch):
    """dpkg -i into a root of its own: a fresh dpkg database, dependencies
    not looked for (they are this machine's), scripts run chrootless with
    ldconfig replaced by a stub (the machine's ld.so.cache stays as it is)."""
    for d in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers"):
        os.makedirs(os.path.join(root, d))
    open(os.path.join(root, "var/lib/dpkg/status"), "w").close()
    stubs = os.path.join(scratch, "bin")
    os.makedirs(stubs)
    calls = os.path.join(scratch, "ldconfig.calls")
    with open(os.path.join(stubs, "ldconfig"), "w") as f:
        f.write('#!/bin/sh\necho "ldconfig $*" >> %s\n' % calls)
    os.chmod(os.path.join(stubs, "ldconfig"), 0o755)
    env = dict(os.environ, PATH=stubs + ":" + os.environ.get("PATH", "/usr/bin:/bin"))
    base = ["dpkg", "--root=" + root, "--force-not-root", "--force-depends",
            "--force-script-chrootless", "--log=" + os.path.join(root, "dpkg.log")]
    print(run(base + ["-i", deb], env=env), flush=True)
    check(os.path.exists(calls), "the postinst did not run (no ldconfig call)")
    status = run(base + ["-s", "libclrsos"])
    check("Status: install ok installed" in status, "dpkg status:\n" + status)
    listed = run(base + ["-L", "libclrsos"]).split()
    check(PLUGIN_PATH in listed, "dpkg -L does not list %s: %s" % (PLUGIN_PATH, listed))
    plugin = root + PLUGIN_PATH
    check(os.path.isfile(plugin), "not installed: " + plugin)
    dynamic = run(["readelf", "-d", plugin])
    check(BUILD_DIR not in dynamic and "RPATH" not in dynamic and "RUNPATH" not in dynamic,
          "the installed plugin keeps a run path:\n" + dynamic)
    check("debug_info" not in run(["readelf", "-S", plugin]), "the installed plugin is not stripped")
    return plugin


def check_in_lldb(root, plugin, scratch):
    # The installed example, with its plugin path moved into the private root.
    example = open(root + DOC_DIR + "/lldbinit.example").read()
    check(("plugin load " + PLUGIN_PATH) in example,
          "lldbinit.example does not load %s" % PLUGIN_PATH)
    init = os.path.join(scratch, "lldbinit")
    with open(init, "w") as f:
        f.write(example.replace("plugin load " + PLUGIN_PATH, "plugin load " + plugin))
    with harness.Target("HeapShapes") as t:
        truth = t.truth
        maps = "platform shell grep -o '/[^ ]*libclrsos[^ ]*' /proc/$PPID/maps | sort -u"
        tr = harness.lldb([maps,
                           "dotnet-signals",
                           "eeversion --json",
                           "dumpheap -stat -type HeapShapes.Customer --json"],
                          pid=t.pid, load_plugin=False,
                          pre=["command source -e true " + init])
    out = tr.text
    # The example's commands, echoed one by one: each without an error.
    sourced = []
    for cmd, lines in tr.blocks:
        if cmd == maps:
            break
        sourced.append(cmd)
        check(not any(line.startswith("error:") for line in lines),
              "lldbinit.example: %r failed: %s" % (cmd, lines))
    check("plugin load " + plugin in sourced, "lldbinit.example did not run: %s" % sourced)
    check(re.search(r"^SIGSEGV\s+true\s+false\s+false", out, re.M) is not None,
          "dotnet-signals did not set SIGSEGV to pass, no stop, no notify")
    check(re.search(r"^SIGRTMIN\s+true\s+false\s+false", out, re.M) is not None,
          "dotnet-signals did not set SIGRTMIN")
    v = tr.json("eeversion --json")
    check(tr.error("eeversion --json") is None, "eeversion failed")
    check(v.get("runtimeVersion") == truth["runtime"],
          "eeversion says %s, the target %s" % (v.get("runtimeVersion"), truth["runtime"]))
    stats = tr.json("dumpheap -stat -type HeapShapes.Customer --json")
    want = truth["dumpheap"]["types"]["HeapShapes.Customer"]
    rows = [r for r in stats["statistics"]
            if harness.parse_hex(r["mt"]) == harness.parse_hex(want["mt"])]
    check(len(rows) == 1 and rows[0]["count"] == want["count"],
          "dumpheap -stat: Customer rows %s, target has %d" % (rows, want["count"]))
    # The commands ran in the installed copy, the only one lldb mapped.
    mapped = [line for line in tr.output(maps) if line.strip()]
    check(mapped == [plugin], "lldb mapped %s, not only %s" % (mapped, plugin))


def main():
    for tool in ("dpkg", "dpkg-deb", "dpkg-query", "readelf", "ldd"):
        if shutil.which(tool) is None:
            print("SKIP: %s not found: not a Debian-like system" % tool)
            sys.exit(harness.SKIP)
    scratch = harness.scratch_dir()
    try:
        deb = build_package(scratch)
        check_metadata(deb)
        check_files(deb)
        root = os.path.join(scratch, "root")
        check_scripts(deb, scratch)
        plugin = install(deb, root, scratch)
        check_in_lldb(root, plugin, scratch)
    except harness.Failure as e:
        check(False, str(e))
    finally:
        harness.cleanup(scratch)
    harness.finish()


if __name__ == "__main__":
    main()
