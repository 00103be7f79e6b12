#!/usr/bin/env python3
"""Check that core/'s floors include only downwards (core/README.md).

Every quoted include in core/ and plugin/ is read.  A file on a floor may
include headers of its own floor and of the floors below it, never above;
plugin/ includes only the floors named in PLUGIN; core/commands/ includes
no header of the DAC floor (commands see the model, not the DAC); a
floor's private header (name_internal.h) is included only on its floor.  Prints
each violation as file:line and exits 1 if there is one.
"""
import os
import re
import sys

FLOORS = ["base", "target", "dac", "model", "analysis", "session", "commands"]
PLUGIN = {"base", "target", "session", "commands"}
# Floors above the DAC's whose headers must not show it: what they declare
# is all a command sees, so the DAC's structs stay below model/.
DAC_HIDDEN = {"model", "analysis", "session", "commands"}
# What only the DAC floor and model/ may name: its calls and structs.
# tool/ (the live tool) stands on core/base and floors of its own; it
# includes nothing else of core/ (it knows the diagnostics channel, not the
# DAC or the heap), and core/ and plugin/ include nothing of tool/.
TOOL_FLOORS = ["base", "diag", "counters", "cli"]
DAC_NAME = re.compile(r"\bclrsos_(dac|dacp|sos)_\w+")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def floor_of_header(name, here, floors=FLOORS):
    """The floor a quoted include names: "floor/x.h", or a header beside the file."""
    if "/" in name:
        top = name.split("/", 1)[0]
        return top if top in floors else None
    return here


def check(root):
    problems = []
    check.seen = 0
    problems += check_tool(root)
    seen = check.seen
    for top in ("core", "plugin"):
        for d, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if not f.endswith((".c", ".h", ".cc", ".cpp")):
                    continue
                path = os.path.join(d, f)
                rel = os.path.relpath(path, root)
                parts = rel.split(os.sep)
                if top == "core":
                    if len(parts) < 3 or parts[1] not in FLOORS:
                        problems.append("%s: a source file outside every floor of core/" % rel)
                        continue
                    here = parts[1]
                else:
                    here = "plugin"
                with open(path, encoding="utf-8") as fh:
                    for no, line in enumerate(fh, 1):
                        if here == "commands" and DAC_NAME.search(line):
                            problems.append("%s:%d: commands/ names the DAC's %s; ask model/" % (rel, no, DAC_NAME.search(line).group(0)))
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        check.seen += 1
                        seen = check.seen
                        name = m.group(1)
                        if name.startswith("../"):
                            problems.append("%s:%d: includes %s by a relative path; name its floor" % (rel, no, name))
                            continue
                        if name.split("/", 1)[0] in TOOL_FLOORS[1:]:
                            problems.append("%s:%d: includes %s of the live tool (tool/); core/ and plugin/ do not" % (rel, no, name))
                            continue
                        target = floor_of_header(name, here)
                        if here == "plugin":
                            if name.endswith("_internal.h"):
                                problems.append("%s:%d: includes %s, private to the floor %s" % (rel, no, name, target))
                            elif target not in PLUGIN and target != "plugin":
                                problems.append("%s:%d: plugin/ includes %s (floor %s)" % (rel, no, name, target))
                            continue
                        if name.endswith("_internal.h") and target != here:
                            problems.append("%s:%d: includes %s, private to the floor %s" % (rel, no, name, target))
                        elif target is None:
                            problems.append("%s:%d: includes %s, which is on no floor" % (rel, no, name))
                        elif FLOORS.index(target) > FLOORS.index(here):
                            problems.append("%s:%d: %s includes %s from the floor above it (%s)" % (rel, no, here, name, target))
                        elif target == "dac" and here in DAC_HIDDEN and f.endswith(".h"):
                            problems.append("%s:%d: the header includes the DAC header %s; declare struct clrsos_dac and keep the DAC's structs in the .c file" % (rel, no, name))
                        elif here == "commands" and target == "dac":
                            problems.append("%s:%d: commands/ includes the DAC header %s; reach the DAC through model/" % (rel, no, name))
    return problems, seen


def check_tool(root):
    """tool/'s floors: base (core/base), diag, counters, cli, each including only downwards."""
    problems = []
    base = os.path.join(root, "tool")
    for d, _, files in os.walk(base):
        for f in sorted(files):
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(d, f)
            rel = os.path.relpath(path, root)
            parts = rel.split(os.sep)
            if len(parts) < 3 or parts[1] not in TOOL_FLOORS[1:]:
                problems.append("%s: a source file outside every floor of tool/" % rel)
                continue
            here = parts[1]
            with open(path, encoding="utf-8") as fh:
                for no, line in enumerate(fh, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    check.seen += 1
                    name = m.group(1)
                    target = floor_of_header(name, here, TOOL_FLOORS)
                    if name.startswith("../"):
                        problems.append("%s:%d: includes %s by a relative path; name its floor" % (rel, no, name))
                    elif target is None:
                        problems.append("%s:%d: the live tool includes %s, which is on none of its floors (base, diag, counters, cli)" % (rel, no, name))
                    elif TOOL_FLOORS.index(target) > TOOL_FLOORS.index(here):
                        problems.append("%s:%d: %s includes %s from the floor above it (%s)" % (rel, no, here, name, target))
    return problems


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    problems, seen = check(root)
    for p in problems:
        print(p)
    if seen == 0:
        print("check-layers: no include found under %s (wrong directory?)" % root)
        return 1
    print("check-layers: %d includes, %d violations" % (seen, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
