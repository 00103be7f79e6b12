"""The Debian package, end to end.

Builds clrsos_<version>-<revision>_<arch>.deb from the build tree with cpack
(into a scratch directory), runs lintian on it (any error or warning fails),
checks its metadata (name, version, architecture, depends: any lldb from 14
up and every library the plugin needs), its file list, that it has no
maintainer script, its copyright file (DEP-5, the text of LICENSE) and its
changelog, installs it with dpkg into a private root (its own dpkg
database, never the machine's), then starts HeapShapes, runs lldb with the
installed lldbinit.example (its plugin path pointed at the private root),
checks eeversion and dumpheap -stat against the target's truth, and that
the installed clrsos(7) names every command the plugin registered. The
installed tool, /usr/bin/clrsos: it runs (--version, every command's --help),
lists the live target (ps --json), and the installed clrsos(1) has every
command `clrsos --help` lists.

Environment (set by tests/package/CMakeLists.txt):
  CLRSOS_BUILD_DIR     the CMake build directory (its CPackConfig.cmake)
  CLRSOS_CPACK         the cpack program
  CLRSOS_VERSION       the project's version
  CLRSOS_DEB_REVISION  the package's Debian revision
  CLRSOS_SOURCE_DIR    the source tree (its LICENSE)
  CLRSOS_INSTALL_DIR   where the plugin goes, relative to the prefix (lib/clrsos)
  CLRSOS_PLUGIN        the built libclrsos.so (must not be the one loaded)
  CLRSOS_TOOL          the built clrsos program (must not be the one run)
  CLRSOS_TARGETS_DIR   the C# test programs
"""

import glob
import gzip
import json
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
DEB_VERSION = VERSION + "-" + os.environ.get("CLRSOS_DEB_REVISION", "1")
SOURCE_DIR = os.environ["CLRSOS_SOURCE_DIR"]
PACKAGE = "clrsos"
INSTALL_DIR = os.environ.get("CLRSOS_INSTALL_DIR", "lib/clrsos").strip("/")
PREFIX = "usr"
PLUGIN_PATH = "/%s/%s/libclrsos.so" % (PREFIX, INSTALL_DIR)  # inside the package
DOC_DIR = "/usr/share/doc/clrsos"
MAN_PAGE = "/usr/share/man/man7/clrsos.7.gz"
OVERRIDES = "/usr/share/lintian/overrides/clrsos"
TOOL_PATH = "/usr/bin/clrsos"
TOOL_MAN_PAGE = "/usr/share/man/man1/clrsos.1.gz"
# The lldb packages the package must accept: every lldb the plugin loads in
# (14 up), whichever one a user has; and Debian's `lldb`, the default one.
LLDB_VERSIONS = range(14, 20)


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


def depends_groups(field):
    """Depends as a list of groups, each a list of (package, version relation)."""
    groups = []
    for group in field.split(","):
        alts = []
        for alt in group.split("|"):
            m = re.match(r"^\s*([a-z0-9][a-z0-9+.-]*)(?::[a-z0-9]+)?\s*(?:\((.*)\))?\s*$", alt)
            check(m is not None, "Depends: cannot read %r" % alt)
            if m:
                alts.append((m.group(1), (m.group(2) or "").strip()))
        groups.append(alts)
    return groups


def check_metadata(deb):
    fields = {}
    for name in ("Package", "Version", "Architecture", "Depends", "Maintainer",
                 "Description", "Conflicts", "Replaces"):
        fields[name] = run(["dpkg-deb", "-f", deb, name]).strip()
    print("control: %s" % fields, flush=True)
    arch = run(["dpkg", "--print-architecture"]).strip()
    check(fields["Package"] == PACKAGE, "package name " + fields["Package"])
    check(fields["Version"] == DEB_VERSION, "version %s, expected %s" % (fields["Version"], DEB_VERSION))
    check(fields["Architecture"] == arch, "architecture %s, machine %s" %
          (fields["Architecture"], arch))
    check(os.path.basename(deb) == "%s_%s_%s.deb" % (PACKAGE, DEB_VERSION, arch),
          "file name " + os.path.basename(deb))
    check("<" in fields["Maintainer"] and "@" in fields["Maintainer"],
          "maintainer " + fields["Maintainer"])
    check(fields["Description"] != "", "no description")
    # The earlier package name holds the same plugin path.
    check(fields["Conflicts"] == "libclrsos" and fields["Replaces"] == "libclrsos",
          "Conflicts %r, Replaces %r: not libclrsos" % (fields["Conflicts"], fields["Replaces"]))
    groups = depends_groups(fields["Depends"])
    # One group accepts any supported lldb: Debian's default `lldb` from 14
    # on, or any versioned lldb-N, this machine's among them.
    lldb_groups = [g for g in groups if any(name == "lldb" or name.startswith("lldb-")
                                            for name, _ in g)]
    check(len(lldb_groups) == 1, "Depends %s: not one group of lldb packages" % fields["Depends"])
    if len(lldb_groups) == 1:
        alts = dict(lldb_groups[0])
        check(alts.get("lldb") == ">= 1:14",
              "Depends: lldb %r, not lldb (>= 1:14)" % alts.get("lldb"))
        for v in LLDB_VERSIONS:
            check(alts.get("lldb-%d" % v) == "", "Depends %s does not accept lldb-%d" %
                  (fields["Depends"], v))
        check(not any(re.match(r"lldb-(\d+)$", n) and int(n[5:]) < 14 for n in alts),
              "Depends accepts an lldb older than 14: %s" % sorted(alts))
        lldb_pkg = package_owner(os.path.realpath(shutil.which("lldb")))
        check(lldb_pkg in alts, "Depends %s does not accept %s, the package of this lldb" %
              (fields["Depends"], lldb_pkg))
    # Every library the plugin and the tool need, and no liblldb they do not.
    depends = {name for g in groups for name, _ in g}
    needed = needed_packages(os.environ["CLRSOS_PLUGIN"])
    for lib, owner in needed.items():
        check(owner in depends, "Depends %s lacks %s (for %s)" % (sorted(depends), owner, lib))
    tool_needed = needed_packages(os.environ["CLRSOS_TOOL"])
    print("the tool needs: %s" % tool_needed, flush=True)
    for lib, owner in tool_needed.items():
        check(owner in depends, "Depends %s lacks %s (for %s, bin/clrsos)" % (sorted(depends), owner, lib))
    for name in depends:
        if name.startswith("liblldb"):
            check(name in needed.values(),
                  "Depends on %s, but libclrsos.so does not link liblldb" % name)


def check_files(deb):
    listing = run(["dpkg-deb", "-c", deb])
    files = sorted(line.split()[-1].lstrip(".") for line in listing.splitlines()
                   if not line.startswith("d"))
    print("files: %s" % files, flush=True)
    expected = [PLUGIN_PATH, MAN_PAGE, OVERRIDES, TOOL_PATH, TOOL_MAN_PAGE] + [
        DOC_DIR + "/" + f for f in ("README.md", "install.md", "commands.md", "lldbinit.example",
                                    "copyright", "changelog.Debian.gz")]
    check(files == sorted(expected), "files %s, expected %s" % (files, sorted(expected)))


def check_scripts(deb, scratch):
    """No maintainer script: a plugin lldb loads by path needs no ldconfig
    (nor anything else run as root when it is installed)."""
    control = os.path.join(scratch, "control")
    run(["dpkg-deb", "-e", deb, control])
    names = sorted(os.listdir(control))
    check(names == ["control", "md5sums"], "control files %s, not only control and md5sums" % names)


def check_lintian(deb):
    """lintian, with every check it has: no error, no warning. The one
    override the package carries is for the Debian archive's own process."""
    if shutil.which("lintian") is None:
        check(False, "lintian not found: scripts/setup.sh installs it")
        return
    r = subprocess.run(["lintian", "--no-cfg", "--display-level", ">=warning", "--show-overrides",
                        deb], capture_output=True, text=True)
    print("lintian (%d):\n%s" % (r.returncode, r.stdout), flush=True)
    tags = [line for line in r.stdout.splitlines() if re.match(r"^[EWX]: ", line)]
    check(tags == [], "lintian: %s" % tags)
    overridden = sorted(set(re.findall(r"^O: \S+ (\S+)", r.stdout, re.M)))
    check(overridden in ([], ["initial-upload-closes-no-bugs"]),
          "lintian tags overridden: %s" % overridden)
    check(r.returncode == 0, "lintian exited with %d: %s" % (r.returncode, r.stderr))


def check_copyright(root):
    """/usr/share/doc/clrsos/copyright: machine-readable (DEP-5), the text of LICENSE."""
    text = open(root + DOC_DIR + "/copyright").read()
    check(text.startswith("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"),
          "copyright: no DEP-5 Format line:\n" + text[:200])
    stanza = text[text.index("\nFiles: *"):] if "\nFiles: *" in text else ""
    check(stanza != "", "copyright: no 'Files: *' stanza")
    m = re.search(r"^Copyright: (.+)$", stanza, re.M)
    licence = open(os.path.join(SOURCE_DIR, "LICENSE")).read()
    holder = re.search(r"^Copyright \(c\) (.+)$", licence, re.M)
    check(m is not None and holder is not None and m.group(1) == holder.group(1),
          "copyright: Copyright %r, LICENSE %r" % (m and m.group(1), holder and holder.group(1)))
    m = re.search(r"^License: Expat\n((?: .*\n?)+)", stanza, re.M)
    check(m is not None, "copyright: no 'License: Expat' with its text")
    if m:
        body = "\n".join("" if line == " ." else line[1:] for line in m.group(1).splitlines())
        want = licence[licence.index("Permission is hereby granted"):].strip()
        check(body.strip() == want, "copyright: the licence text differs from LICENSE")


def check_changelog(root):
    path = root + DOC_DIR + "/changelog.Debian.gz"
    with gzip.open(path, "rt") as f:
        first = f.readline()
    check(first.startswith("%s (%s) " % (PACKAGE, DEB_VERSION)),
          "changelog.Debian.gz starts %r, not with %s (%s)" % (first, PACKAGE, DEB_VERSION))
    version = run(["dpkg-parsechangelog", "-l", path, "-S", "Version"]).strip() \
        if shutil.which("dpkg-parsechangelog") else DEB_VERSION
    check(version == DEB_VERSION, "dpkg-parsechangelog: version %s, package %s" % (version, DEB_VERSION))


def check_man_page(root, registered):
    """clrsos(7): it renders without a warning and names every command the
    plugin registered (as `help clrsos` lists them), each as an entry."""
    source = man_page_source(root + MAN_PAGE)
    tags = set()
    lines = source.splitlines()
    for i, line in enumerate(lines):
        if line == ".TP" and i + 1 < len(lines):
            m = re.match(r"^\.BR? (\S+)", lines[i + 1])
            if m:
                tags.add(m.group(1).replace("\\-", "-"))
    check(len(registered) >= 20, "help clrsos lists only %s" % registered)
    missing = sorted(set(registered) - tags)
    check(missing == [], "clrsos(7) lacks the commands %s" % missing)


def man_page_source(page):
    """A manual page's roff, and the page rendered by man without a warning."""
    with gzip.open(page, "rt") as f:
        source = f.read()
    if shutil.which("man"):
        r = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", page],
                           capture_output=True, text=True,
                           env=dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8"))
        check(r.returncode == 0 and r.stderr.strip() == "",
              "man -l %s: exit %d: %s" % (page, r.returncode, r.stderr))
    return source


def tool_commands(help_text):
    """The commands `clrsos --help` lists: "  <name>  <summary>" lines
    after "commands:", up to a blank line."""
    lines = help_text.splitlines()
    check("commands:" in lines, "clrsos --help has no commands: list:\n" + help_text)
    commands = []
    for line in lines[lines.index("commands:") + 1 if "commands:" in lines else len(lines):]:
        if not line.strip():
            break
        m = re.match(r"^ +([a-z][a-z0-9-]*) +\S", line)
        check(m is not None, "clrsos --help: not a command line: %r" % line)
        if m:
            commands.append(m.group(1))
    return commands


def check_tool(root, target):
    """The installed tool runs, finds the live target, and clrsos(1) names
    and describes every command it has."""
    tool = root + TOOL_PATH
    r = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and r.stdout == "clrsos %s\n" % VERSION,
          "clrsos --version: exit %d, %r (version %s)" % (r.returncode, r.stdout + r.stderr, VERSION))
    r = subprocess.run([tool, "--help"], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "clrsos --help: exit %d: %s" % (r.returncode, r.stderr))
    commands = tool_commands(r.stdout)
    print("clrsos --help lists: %s" % commands, flush=True)
    check("ps" in commands and "collect" in commands, "clrsos --help lacks ps or collect: %s" % commands)
    usages = {}
    for cmd in commands:
        h = subprocess.run([tool, cmd, "--help"], capture_output=True, text=True, timeout=60)
        check(h.returncode == 0 and h.stdout.startswith("usage: clrsos %s" % cmd),
              "clrsos %s --help: exit %d, %r" % (cmd, h.returncode, h.stdout[:200] + h.stderr))
        usages[cmd] = h.stdout.split("\n", 1)[0][len("usage: "):]
    # The installed program on a live process: ps lists it, with its runtime.
    r = subprocess.run([tool, "ps", "--json"], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, "clrsos ps --json: exit %d: %s" % (r.returncode, r.stderr))
    try:
        procs = {p["pid"]: p for p in json.loads(r.stdout)}
    except (ValueError, TypeError, KeyError) as e:
        procs = {}
        check(False, "clrsos ps --json: not a JSON array of processes (%s): %r" % (e, r.stdout[:300]))
    p = procs.get(target.pid)
    check(p is not None and p.get("runtimeVersion") == target.truth["runtime"],
          "clrsos ps --json: pid %d with runtime %s not in %s" % (target.pid, target.truth["runtime"], r.stdout))

    source = man_page_source(root + TOOL_MAN_PAGE)
    sections = re.findall(r"^\.SH (.+)$", source, re.M)
    for want in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "\"EXIT STATUS\"", "ENVIRONMENT",
                 "\"SEE ALSO\""):
        check(want in sections or want.strip('"') in sections, "clrsos(1) has no %s section: %s" % (want, sections))
    check(re.search(r"^\.TH CLRSOS 1 .*%s" % re.escape(VERSION), source, re.M) is not None,
          "clrsos(1): no .TH CLRSOS 1 of version %s" % VERSION)

    def section(name):
        m = re.search(r"^\.SH \"?%s\"?\n(.*?)(?=^\.SH |\Z)" % name, source, re.M | re.S)
        return m.group(1) if m else ""

    def plain(roff):
        """Roff text as the tool printed it: an italic argument as <arg>."""
        text = re.sub(r"\\fI(.*?)\\fP", r"<\1>", roff)
        text = re.sub(r"\\\[u([0-9A-F]{4,6})\]", lambda m: chr(int(m.group(1), 16)), text)
        text = re.sub(r"\\f[BIRP]", "", text).replace("\\&", "").replace("\\-", "-")
        return text.replace("\\e", "\\")
    check(re.search(r"^clrsos \\- \S", section("NAME"), re.M) is not None,
          "clrsos(1): NAME is not \"clrsos \\- ...\": %r" % section("NAME"))
    # Every command: its subsection, and its usage line in SYNOPSIS and there.
    subsections = re.findall(r"^\.SS (.+)$", section("COMMANDS"), re.M)
    synopsis = plain(section("SYNOPSIS"))
    commands_text = plain(section("COMMANDS"))
    for cmd in commands:
        check("clrsos " + cmd in subsections, "clrsos(1) has no subsection for %s: %s" % (cmd, subsections))
        check(usages.get(cmd, "?") in synopsis.splitlines(),
              "clrsos(1) SYNOPSIS lacks %r" % usages.get(cmd))
        check(usages.get(cmd, "?") in commands_text.splitlines(),
              "clrsos(1) COMMANDS lacks %r" % usages.get(cmd))
    check(len(subsections) == len(commands), "clrsos(1) subsections %s, commands %s" % (subsections, commands))
    env = section("ENVIRONMENT")
    for var in ("CLRSOS_IPC_SOCKET_DIR", "TMPDIR"):
        check(re.search(r"^\.B %s$" % var, env, re.M) is not None, "clrsos(1) ENVIRONMENT lacks " + var)
    see_also = section("SEE ALSO")
    for ref in ("clrsos (7)", "lldb (1)"):
        check(".BR " + ref in see_also, "clrsos(1) SEE ALSO lacks " + ref)


def install(deb, root, scratch):
    """dpkg -i into a root of its own: a fresh dpkg database, dependencies
    not looked for (they are this machine's), scripts (there are none) run
    chrootless with ldconfig replaced by a stub that must not run."""
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
    check(not os.path.exists(calls), "installing ran ldconfig")
    status = run(base + ["-s", PACKAGE])
    check("Status: install ok installed" in status, "dpkg status:\n" + status)
    listed = run(base + ["-L", PACKAGE]).split()
    check(PLUGIN_PATH in listed, "dpkg -L does not list %s: %s" % (PLUGIN_PATH, listed))
    plugin = root + PLUGIN_PATH
    check(os.path.isfile(plugin), "not installed: " + plugin)
    dynamic = run(["readelf", "-d", plugin])
    check(BUILD_DIR not in dynamic and "RPATH" not in dynamic and "RUNPATH" not in dynamic,
          "the installed plugin keeps a run path:\n" + dynamic)
    check("debug_info" not in run(["readelf", "-S", plugin]), "the installed plugin is not stripped")
    check(TOOL_PATH in listed, "dpkg -L does not list %s: %s" % (TOOL_PATH, listed))
    tool = root + TOOL_PATH
    check(os.path.isfile(tool) and os.stat(tool).st_mode & 0o777 == 0o755,
          "not installed as an executable (0755): " + tool)
    dynamic = run(["readelf", "-d", tool])
    check(BUILD_DIR not in dynamic and "RPATH" not in dynamic and "RUNPATH" not in dynamic,
          "the installed tool keeps a run path:\n" + dynamic)
    check("debug_info" not in run(["readelf", "-S", tool]), "the installed tool is not stripped")
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
        check_tool(root, t)
        maps = "platform shell grep -o '/[^ ]*libclrsos[^ ]*' /proc/$PPID/maps | sort -u"
        tr = harness.lldb([maps,
                           "dotnet-signals",
                           "help clrsos",
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
    # The commands it registered: `help clrsos` lists them, one line each,
    # as "  name (alias)   help" after "Commands".
    text = tr.text_of("help clrsos")
    listing = text[text.find("\nCommands"):] if "\nCommands" in text else ""
    return re.findall(r"^  ([a-z0-9]+)(?: \([a-z0-9]+\))?\s{2,}\S", listing, re.M)


def main():
    for tool in ("dpkg", "dpkg-deb", "dpkg-query", "readelf", "ldd"):
        if shutil.which(tool) is None:
            print("SKIP: %s not found: not a Debian-like system" % tool)
            sys.exit(harness.SKIP)
    scratch = harness.scratch_dir()
    try:
        deb = build_package(scratch)
        check_lintian(deb)
        check_metadata(deb)
        check_files(deb)
        root = os.path.join(scratch, "root")
        check_scripts(deb, scratch)
        plugin = install(deb, root, scratch)
        check_copyright(root)
        check_changelog(root)
        registered = check_in_lldb(root, plugin, scratch)
        check_man_page(root, registered)
    except harness.Failure as e:
        check(False, str(e))
    finally:
        harness.cleanup(scratch)
    harness.finish()


if __name__ == "__main__":
    main()
