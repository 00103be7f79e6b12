#!/usr/bin/env python3
"""The portable PDB reader against .NET's own answers.

Runs the Lines target, which prints for each of its frames the method's
token, the IL offset and the file and line System.Diagnostics.StackTrace
read from Lines.pdb; asks pdblines (core/model/pdb.c) for the same
(token, IL offset) pairs and checks file and line. Then broken inputs: a
truncated PDB, garbage, an assembly instead of a PDB, a missing file and a
token of the wrong table give one-line errors, never a crash (pdblines is
built with ASan+UBSan).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def pdblines(tool, pdb, pairs):
    args = [tool, pdb]
    for token, il in pairs:
        args += [hex(token), str(il)]
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout, r.stderr


def main():
    tool, target_dir = sys.argv[1], sys.argv[2]
    dll = os.path.join(target_dir, "Lines.dll")
    pdb = os.path.join(target_dir, "Lines.pdb")
    out = subprocess.run(["dotnet", dll], capture_output=True, text=True, timeout=120).stdout
    truth = None
    for line in out.splitlines():
        if line.startswith("TRUTH "):
            truth = json.loads(line[6:])
    check(truth is not None, "Lines prints its TRUTH")
    if truth is None:
        return
    frames = truth["frames"]
    check(len(frames) == 5, "5 frames of Lines' own methods (got %d)" % len(frames))
    check(all(f["file"] and f["line"] > 0 for f in frames), ".NET found a file and line for every frame")
    check(any(f["file"].endswith("Moved.cs") for f in frames) and
          any(f["file"].endswith("Program.cs") for f in frames),
          "the frames span two documents (#line)")
    rc, stdout, stderr = pdblines(tool, pdb, [(f["token"], f["il"]) for f in frames])
    check(rc == 0, "pdblines succeeds (%d): %s" % (rc, stderr.strip()[:300]))
    got = stdout.splitlines()
    check(len(got) == len(frames), "one answer per frame")
    for f, g in zip(frames, got):
        parts = g.split(" ", 3)
        ok = len(parts) == 4 and int(parts[2]) == f["line"] and parts[3] == f["file"]
        check(ok, "%s (0x%08x) at IL 0x%x: .NET says %s @ %d, the reader %s" %
              (f["method"], f["token"], f["il"], f["file"], f["line"], g))

    # A token that is not a MethodDef, a method past the table: an error, no line.
    rc, stdout, _ = pdblines(tool, pdb, [(0x02000001, 0)])
    check(rc == 1 and stdout.startswith("error: ") and "not a MethodDef token" in stdout,
          "a TypeDef token is refused: " + stdout.strip())
    rc, stdout, _ = pdblines(tool, pdb, [(0x06FFFFFF, 0)])
    check(rc == 0 and stdout.split()[2:] == ["0", "-"], "a method the PDB does not have has no line: " + stdout.strip())

    tmp = tempfile.mkdtemp(prefix="clrsos-pdb-")
    try:
        data = open(pdb, "rb").read()
        cases = {
            "empty": b"",
            "truncated-header": data[:40],
            "truncated-half": data[:len(data) // 2],
            "truncated-last-byte": data[:-1],
            "garbage": bytes((i * 131 + 7) & 0xFF for i in range(len(data))),
        }
        for name, content in cases.items():
            path = os.path.join(tmp, name + ".pdb")
            open(path, "wb").write(content)
            rc, stdout, stderr = pdblines(tool, path, [(frames[0]["token"], frames[0]["il"])])
            check(rc == 1 and stdout.startswith("error: ") and "corrupt" in stdout and
                  "AddressSanitizer" not in stderr and "runtime error" not in stderr,
                  "%s PDB: %s" % (name, stdout.strip()))
        rc, stdout, _ = pdblines(tool, dll, [])
        check(rc == 1 and "not a portable PDB" in stdout, "an assembly is not a PDB: " + stdout.strip())
        rc, stdout, _ = pdblines(tool, os.path.join(tmp, "missing.pdb"), [])
        check(rc == 1 and "cannot read" in stdout, "a missing PDB: " + stdout.strip())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


main()
if failures:
    print("%d FAILED" % len(failures))
    sys.exit(1)
print("all passed")
