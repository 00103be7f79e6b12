#!/usr/bin/env python3
"""The layer check passes on the source and fails on each kind of violation."""
import os
import subprocess
import sys
import tempfile

SRC = os.path.abspath(sys.argv[1])
CHECK = os.path.join(SRC, "scripts", "check-layers.py")


def run(root):
    p = subprocess.run([sys.executable, CHECK, root], capture_output=True, text=True)
    return p.returncode, p.stdout


def tree(files):
    d = tempfile.mkdtemp(prefix="clrsos-layers-")
    for path, text in files.items():
        full = os.path.join(d, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)
    return d


def main():
    rc, out = run(SRC)
    assert rc == 0, "the source breaks its layers:\n" + out
    assert "0 violations" in out, out

    good = {"core/base/error.h": "", "core/model/heap.c": '#include "base/error.h"\n#include "heap.h"\n'}
    rc, out = run(tree(good))
    assert rc == 0, out

    cases = [
        ({"core/model/heap.c": '#include "session/session.h"\n'}, "from the floor above it (session)"),
        ({"core/commands/x.c": '#include "dac/dac.h"\n'}, "commands/ includes the DAC header dac/dac.h"),
        ({"core/commands/x.c": '#include "../model/heap.h"\n'}, "by a relative path"),
        ({"core/model/x.c": '#include "nowhere/x.h"\n'}, "which is on no floor"),
        ({"core/loose.c": ""}, "outside every floor"),
        ({"plugin/p.cpp": '#include "dac/dac.h"\n'}, "plugin/ includes dac/dac.h"),
        ({"core/model/heap.h": '#include "dac/dac.h"\n'}, "the header includes the DAC header dac/dac.h"),
        ({"core/commands/x.c": 'err = clrsos_dac_thread_store(dac, &s);\n'}, "names the DAC's clrsos_dac_thread_store"),
        ({"core/commands/x.c": 'struct clrsos_dacp_thread_data t;\n'}, "names the DAC's clrsos_dacp_thread_data"),
        ({"tool/diag/ipc.c": '#include "cli/main.h"\n'}, "diag includes cli/main.h from the floor above it (cli)"),
        ({"tool/cli/main.c": '#include "model/heap.h"\n'}, "which is on none of its floors"),
        ({"tool/loose.c": ""}, "outside every floor of tool/"),
        ({"core/model/x.c": '#include "diag/ipc.h"\n'}, "of the live tool (tool/)"),
    ]
    for files, expect in cases:
        rc, out = run(tree(files))
        assert rc == 1 and expect in out, "expected %r, got rc=%d:\n%s" % (expect, rc, out)
    print("layers: source clean, %d kinds of violation caught" % len(cases))


if __name__ == "__main__":
    main()
