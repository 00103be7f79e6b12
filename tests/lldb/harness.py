"""End-to-end harness: real .NET targets, real lldb, real cores.

A test starts a program from tests/targets, reads the truth it prints about
its own heap, then runs lldb in batch mode with libclrsos.so loaded (attached
to the live process, or on a core made with createdump or gdb's gcore) and
checks the transcript against that truth.

Environment (set by tests/lldb/CMakeLists.txt):
  CLRSOS_PLUGIN       path of libclrsos.so
  CLRSOS_TARGETS_DIR  where the C# targets were built (<dir>/<Name>/<Name>.dll)
  CLRSOS_LLDB         the lldb to run (default: lldb on PATH), e.g. the lldb 19
                      that scripts/setup-lldb.sh unpacks
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

PLUGIN = os.environ.get("CLRSOS_PLUGIN", "")
LLDB = os.environ.get("CLRSOS_LLDB") or "lldb"
TARGETS_DIR = os.environ.get("CLRSOS_TARGETS_DIR", "")
# Debian's lldb 14 looks for its Python package in the wrong place; point it there.
LLDB_PYTHONPATH = "/usr/lib/llvm-14/lib/python3.11/dist-packages:/usr/lib/python3/dist-packages"

GC_CONFIGS = {
    "wks-regions": {},
    "wks-segments": {"DOTNET_GCName": "libclrgc.so"},
    "svr-regions": {"DOTNET_gcServer": "1", "DOTNET_GCHeapCount": "2"},
    "svr-segments": {"DOTNET_gcServer": "1", "DOTNET_GCHeapCount": "2",
                     "DOTNET_GCName": "libclrgc.so"},
    # Server GC with dynamic adaptation (DATAS): the runtime picks, and
    # changes, the number of heaps in use.
    "svr-datas": {"DOTNET_gcServer": "1", "DOTNET_GCDynamicAdaptationMode": "1"},
}


class Failure(Exception):
    pass


class Unavailable(Exception):
    """What the test needs is not on this machine (said why); ctest shows it skipped."""


SKIP = 77  # ctest's SKIP_RETURN_CODE for these tests


failures = []


def check(cond, what):
    """Record a failed expectation (the test goes on, to report them all)."""
    if not cond:
        failures.append(what)
        print("FAIL: " + what, flush=True)
    return cond


def finish():
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("all checks passed")
    sys.exit(0)


def run_case(cases):
    """Run the case named by the first argument; a Failure fails it."""
    try:
        cases[sys.argv[1]]()
    except Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
    finish()


class Target:
    """A running test target that printed TRUTH and READY."""

    def __init__(self, name, args=(), env=None, timeout=60, variant=None, stdin=False):
        """name: the program; variant: a self-contained build of it
        (<targets>/<name>-<variant>/<name>), e.g. for an older runtime;
        stdin: keep a pipe to the program's input (see send)."""
        if variant:
            directory = os.path.join(TARGETS_DIR, name + "-" + variant)
            note = os.path.join(directory, "UNAVAILABLE")
            if os.path.exists(note):
                raise Unavailable(open(note).read().strip())
            command = [os.path.join(directory, name)]
        else:
            command = ["dotnet", os.path.join(TARGETS_DIR, name, name + ".dll")]
        if not os.path.exists(command[-1]):
            raise Failure("test target not built: " + command[-1])
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.name = name
        self.proc = subprocess.Popen(
            command + list(args), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=full_env, text=True,
            start_new_session=True, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL)
        self.truth = None
        self._read_until_ready(timeout)
        self.pid = self.proc.pid
        self.exe = os.readlink("/proc/%d/exe" % self.pid)

    def _read_until_ready(self, timeout):
        truth = None
        deadline = time.time() + timeout
        for line in self.proc.stdout:
            if line.startswith("TRUTH "):
                truth = json.loads(line[len("TRUTH "):])
            elif line.strip() == "READY":
                break
            if time.time() > deadline:
                break
        if truth is None:
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            self.kill()
            raise Failure("target %s did not become ready: %s" % (self.name, err))
        self.truth = truth

    def send(self, line, timeout=60):
        """Write a line to the program, then wait for its next TRUTH and READY."""
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        self._read_until_ready(timeout)
        return self.truth

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


def runtime_dir(truth):
    return truth["runtimeDirectory"].rstrip("/")


def make_core(target, kind, directory):
    """A core of the live target: createdump full or heap, or gdb's gcore."""
    path = os.path.join(directory, "core." + kind)
    if kind in ("full", "heap"):
        createdump = os.path.join(runtime_dir(target.truth), "createdump")
        flag = "--full" if kind == "full" else "--withheap"
        r = subprocess.run([createdump, flag, "-f", path, str(target.pid)],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise Failure("createdump failed: " + r.stdout + r.stderr)
    elif kind == "os":
        r = subprocess.run(["gdb", "-p", str(target.pid), "-batch", "-nx",
                            "-ex", "gcore " + path],
                           capture_output=True, text=True, timeout=300)
        if not os.path.exists(path):
            raise Failure("gcore failed: " + r.stdout + r.stderr)
    else:
        raise ValueError(kind)
    return path


def core_of_finished(name, kind, directory, env=None, variant=None):
    """Start a target, make a core of it, end it: (core path, host program, truth).
    The core alone is left, as a user has it."""
    with Target(name, env=env, variant=variant) as t:
        core = make_core(t, kind, directory)
        return core, t.exe, t.truth


class Transcript:
    """lldb's batch output, split into one block per command."""

    def __init__(self, text):
        self.text = text
        self.blocks = []  # (command, output lines)
        for line in text.splitlines():
            if line.startswith("(lldb) "):
                self.blocks.append((line[len("(lldb) "):], []))
            elif self.blocks:
                self.blocks[-1][1].append(line)

    def output(self, command, index=0):
        hits = [lines for cmd, lines in self.blocks if cmd == command]
        if len(hits) <= index:
            raise Failure("command %r not in the transcript:\n%s" % (command, self.text))
        return hits[index]

    def text_of(self, command, index=0):
        return "\n".join(self.output(command, index))

    def error(self, command, index=0):
        """The command's error line, or None if it succeeded."""
        for line in self.output(command, index):
            if line.startswith("error: "):
                return line[len("error: "):]
        return None

    def json(self, command, index=0):
        lines = self.output(command, index)
        for line in lines:
            if line.startswith("{"):
                return json.loads(line)
        raise Failure("no JSON from %r:\n%s" % (command, "\n".join(lines)))


def lldb_major():
    """The major version of the lldb the tests run (LLDB)."""
    out = subprocess.run([LLDB, "--version"], capture_output=True, text=True, timeout=60).stdout
    m = re.search(r"lldb version (\d+)", out)
    if not m:
        raise Failure("cannot tell the version of %s: %r" % (LLDB, out))
    return int(m.group(1))


def lldb(commands, pid=None, core=None, exe=None, load_plugin=True, env=None,
         pre=(), timeout=300):
    """Run lldb in batch mode; commands run even after one fails."""
    if LLDB != "lldb" and not os.path.exists(LLDB):
        raise Failure("no lldb at %s (scripts/setup-lldb.sh unpacks other versions)" % LLDB)
    args = [LLDB, "-b", "--no-use-colors"]
    if pid is not None:
        args += ["-p", str(pid)]
    if core is not None:
        args += ["-c", core]
    if exe is not None:
        args += [exe]
    for p in pre:
        args += ["-o", p]
    with tempfile.NamedTemporaryFile("w", suffix=".lldb", delete=False) as f:
        f.write("\n".join(commands) + "\n")
        script = f.name
    if load_plugin:
        args += ["-o", "plugin load " + PLUGIN]
    args += ["-o", "command source -e false " + script]
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = LLDB_PYTHONPATH
    if os.environ.get("CLRSOS_LLDB_PRELOAD"):
        # The plugin built under ASan+UBSan (CLRSOS_SANITIZE_PLUGIN): their
        # runtimes into lldb only; a report ends lldb and fails the test.
        # (Two copies of the plugin, as lldb.errors.double-load loads, define
        # the same globals: no ODR violation to report there.)
        full_env["LD_PRELOAD"] = os.environ["CLRSOS_LLDB_PRELOAD"]
        full_env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=1:detect_odr_violation=0"
        full_env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    full_env.update(env or {})
    try:
        for attempt in range(3):
            # One stream, so that each error stays next to its command.
            r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=full_env, timeout=timeout,
                               stdin=subprocess.DEVNULL)
            # ptrace now and then refuses an attach (EPERM) for a moment: try again.
            if pid is None or "error: attach failed" not in r.stdout:
                break
            print("attach failed, trying again:\n" + r.stdout[-300:], flush=True)
            time.sleep(1)
    finally:
        os.unlink(script)
    out = r.stdout
    if (r.returncode < 0 or "PLEASE submit a bug report" in out or "Stack dump" in out
            or "ERROR: AddressSanitizer" in out or ": runtime error: " in out):
        raise Failure("lldb crashed (status %d):\n%s" % (r.returncode, out))
    print(out, flush=True)  # the whole transcript, for the test log
    return Transcript(out)


def scratch_dir():
    return tempfile.mkdtemp(prefix="clrsos-test-")


def cleanup(directory):
    shutil.rmtree(directory, ignore_errors=True)


def parse_hex(text):
    return int(text, 16)
