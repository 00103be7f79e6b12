"""clrsos(1)'s generator (docs/man/gen_toolpage.c) on help texts of every
shape a command may print, from a stand-in tool: several usage lines, an
option alone on its line with its text below, text that goes on over
several lines, examples, prose with a leading dot, backslashes, non-ASCII,
placeholders (<pid>) and comparisons (< <=). The page must have every
command the stand-in's --help lists, each usage line, render without a man
warning; and the generator must fail, leaving no page, when a command's
--help fails, is not "usage: clrsos <command>", or --help lists nothing.

Environment (set by tests/package/CMakeLists.txt):
  CLRSOS_GEN_TOOLPAGE  the generator
  CLRSOS_SOURCE_DIR    the source tree (docs/man/clrsos.1.in)
"""

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lldb"))
import harness  # noqa: E402
from harness import check  # noqa: E402

GEN = os.environ["CLRSOS_GEN_TOOLPAGE"]
TEMPLATE = os.path.join(os.environ["CLRSOS_SOURCE_DIR"], "docs", "man", "clrsos.1.in")

MAIN_HELP = """usage: clrsos <command> [options]

commands:
  ps         list the processes
  counters   watch counters \u2014 live
  trigger    dump when a condition holds
  chart-it   draw a recording

  clrsos <command> --help   the command's options
  clrsos --version          the tool's version
"""

HELPS = {
    "ps": "usage: clrsos ps [--json]\n\n  --json   one JSON array of {pid, name}\n",
    "counters": """usage: clrsos counters monitor [-p] <pid> [--counters <list>]
       clrsos counters collect -p <pid> -o <file>
   or: clrsos counters list

Watches the counters of a process.
.NET counters; a \\backslash, 5% and \u00b5s.

  -p, --process-id <pid>   the process
  --counters <list>
        providers[counter,...]; default System.Runtime
  --refresh-interval <s>   every <s> seconds
                           (1 by default)
examples:
  clrsos counters monitor 1234
      clrsos counters monitor -p 1234 --counters System.Runtime[cpu-usage]

'Quoted' prose at the start of a line.
""",
    "trigger": """usage: clrsos trigger -p <pid> --when "cpu-usage > 80" [--count <n>]

conditions: <name> <op> <value>, op one of < <= > >= ==
""",
    "chart-it": "usage: clrsos chart-it <file.json>\n",
}


def stand_in(directory, helps, main_help=MAIN_HELP, fail=None):
    """A program that prints main_help for --help and helps[cmd] for
    `cmd --help`; `fail` exits 1 instead."""
    data = os.path.join(directory, "helps")
    os.makedirs(data, exist_ok=True)
    with open(os.path.join(data, "--help"), "w") as f:
        f.write(main_help)
    for name, text in helps.items():
        with open(os.path.join(data, name), "w") as f:
            f.write(text)
    path = os.path.join(directory, "clrsos")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n")
        if fail:
            f.write('[ "$1" = "%s" ] && exit 1\n' % fail)
        f.write('exec cat "%s/$1"\n' % data)
    os.chmod(path, 0o755)
    return path


def generate(scratch, program):
    out = os.path.join(scratch, "clrsos.1")
    if os.path.exists(out):
        os.unlink(out)
    r = subprocess.run([GEN, TEMPLATE, out, "9.9.9", program], capture_output=True, text=True, timeout=120)
    print("gen_toolpage: exit %d %s" % (r.returncode, r.stderr), flush=True)
    return r, out


def plain(roff):
    text = re.sub(r"\\fI(.*?)\\fP", r"<\1>", roff)
    text = re.sub(r"\\\[u([0-9A-F]{4,6})\]", lambda m: chr(int(m.group(1), 16)), text)
    text = re.sub(r"\\f[BIRP]", "", text).replace("\\&", "").replace("\\-", "-")
    return text.replace("\\e", "\\")


def check_shapes(scratch):
    r, out = generate(scratch, stand_in(os.path.join(scratch, "good"), HELPS))
    check(r.returncode == 0 and os.path.exists(out), "gen_toolpage failed on good help texts: " + r.stderr)
    if not os.path.exists(out):
        return
    source = open(out).read()
    print(source, flush=True)
    subsections = re.findall(r"^\.SS (.+)$", source, re.M)
    check([plain(s) for s in subsections] == ["clrsos " + c for c in HELPS],
          "subsections %s, commands %s" % (subsections, list(HELPS)))
    synopsis = plain(source[source.index(".SH SYNOPSIS"):source.index(".SH DESCRIPTION")]).splitlines()
    for usage in ("clrsos ps [--json]", "clrsos counters monitor [-p] <pid> [--counters <list>]",
                  "clrsos counters collect -p <pid> -o <file>", "clrsos counters list",
                  'clrsos trigger -p <pid> --when "cpu-usage > 80" [--count <n>]', "clrsos chart-it <file.json>"):
        check(usage in synopsis, "SYNOPSIS lacks %r: %s" % (usage, synopsis))
    check("\\fB\\-\\-counters \\fIlist\\fP\\fR" in source, "--counters <list> is not an entry")
    check(re.search(r"^\\fB\\-\\-refresh\\-interval \\fIs\\fP\\fR\nevery \\fIs\\fP seconds\n\(1 by default\)$",
                    source, re.M) is not None, "--refresh-interval's text is not one entry's")
    check("\n\\&.NET counters; a \\ebackslash, 5% and \\[u00B5]s.\n" in source,
          "a leading dot, a backslash or a non-ASCII character is not escaped")
    check("\n\\&'Quoted' prose" in source, "a leading quote is not escaped")
    check("watch counters \\[u2014] live" in source, "the summary's dash is not \\[u2014]")
    check(re.search(r"^\.nf\nclrsos counters monitor 1234\n(\\ ){4}clrsos counters monitor", source, re.M)
          is not None, "examples are not shown as is")
    check("op one of < <= > >= ==" in source, "comparisons taken for placeholders")
    if shutil.which("man"):
        m = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", out],
                           capture_output=True, text=True, env=dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8"))
        check(m.returncode == 0 and m.stderr.strip() == "", "man -l: exit %d: %s" % (m.returncode, m.stderr))


def check_failures(scratch):
    cases = [
        ("a command's --help fails", stand_in(os.path.join(scratch, "f1"), HELPS, fail="trigger")),
        ("a help without usage", stand_in(os.path.join(scratch, "f2"), dict(HELPS, trigger="Usage: trigger\n"))),
        ("a usage of another command", stand_in(os.path.join(scratch, "f3"),
                                                dict(HELPS, trigger="usage: clrsos triggers\n"))),
        ("no commands: list", stand_in(os.path.join(scratch, "f4"), HELPS, main_help="usage: clrsos\n")),
        ("no program", os.path.join(scratch, "none")),
    ]
    for what, program in cases:
        r, out = generate(scratch, program)
        check(r.returncode == 1, "%s: exit %d, not 1" % (what, r.returncode))
        check(not os.path.exists(out), "%s: a page was left" % what)
        check(re.search(r"^gen_toolpage: .+", r.stderr, re.M) is not None, "%s: no error message" % what)


def main():
    scratch = harness.scratch_dir()
    try:
        check_shapes(scratch)
        check_failures(scratch)
    except harness.Failure as e:
        check(False, str(e))
    finally:
        harness.cleanup(scratch)
    harness.finish()


if __name__ == "__main__":
    main()
