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
  CLRSOS_RUNTIME      the runtime matrix (lldb.<family>.net<N>.*): net8, net9 or
                      net10 starts every target from its self-contained build for
                      that pinned runtime patch (<targets>/<name>-net<N>/), not
                      on the machine's own .NET
  CLRSOS_CORE_CACHE   a directory where cores are made once per target,
                      runtime, GC configuration and kind, and shared by every
                      test family that asks for one (core_of_finished)
  CLRSOS_CORE_CACHE_RESERVE_MB
                      before a new core is made, the least recently used
                      cached cores (of any runtime) are removed while the disk
                      has less than this free (default 4096)
"""

import atexit
import fcntl
import hashlib

import json
import os
import platform
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
RUNTIME = os.environ.get("CLRSOS_RUNTIME") or None
CORE_CACHE = os.environ.get("CLRSOS_CORE_CACHE") or None
CORE_CACHE_RESERVE = int(os.environ.get("CLRSOS_CORE_CACHE_RESERVE_MB") or 4096) << 20
# read(2)'s number, to see a target blocked on its input in /proc/<pid>/task/*/syscall.
READ_SYSCALL = {"aarch64": 63}.get(platform.machine(), 0)
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


def skip(reason):
    """End the test as skipped (ctest shows it so), saying why."""
    print("SKIPPED: " + reason, flush=True)
    sys.exit(SKIP)


def runtime_major():
    """The major version of the runtime the test runs on: CLRSOS_RUNTIME's, or the machine's .NET."""
    if RUNTIME:
        return int(RUNTIME[len("net"):])
    r = subprocess.run(["dotnet", "--list-runtimes"], capture_output=True, text=True, timeout=60)
    found = re.findall(r"^Microsoft\.NETCore\.App (\d+)\.", r.stdout, re.M)
    return max(int(v) for v in found) if found else 0


def variant_dir(name, variant):
    """The self-contained build of a target for a runtime (<targets>/<name>-<variant>);
    a note saying why it is missing ends the test as skipped under the matrix."""
    directory = os.path.join(TARGETS_DIR, name + "-" + variant)
    note = os.path.join(directory, "UNAVAILABLE")
    if os.path.exists(note):
        reason = open(note).read().strip()
        if variant == RUNTIME:
            skip(reason)
        raise Unavailable(reason)
    pinned = os.path.join(directory, "RUNTIME_VERSION")
    if os.path.exists(pinned):
        print("runtime: .NET %s (%s, self-contained)" % (open(pinned).read().strip(), directory),
              flush=True)
    return directory


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


def target_command(name, variant=None):
    """The command that starts a target: its self-contained build for a
    runtime (variant, or CLRSOS_RUNTIME's), else dotnet with its dll."""
    variant = variant or RUNTIME
    if variant:
        command = [os.path.join(variant_dir(name, variant), name)]
    else:
        command = ["dotnet", os.path.join(TARGETS_DIR, name, name + ".dll")]
    if not os.path.exists(command[-1]):
        raise Failure("test target not built: " + command[-1])
    return command


def program_of(command):
    """The program a target_command runs, as lldb is given it for a core or a launch."""
    return os.path.realpath(shutil.which(command[0]) or command[0])


class Target:
    """A running test target that printed TRUTH and READY."""

    def __init__(self, name, args=(), env=None, timeout=60, variant=None, stdin=False):
        """name: the program; variant: a self-contained build of it
        (<targets>/<name>-<variant>/<name>), e.g. for an older runtime;
        stdin: keep a pipe to the program's input (see send)."""
        variant = variant or RUNTIME
        command = target_command(name, variant)
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.name = name
        self.proc = subprocess.Popen(
            command + list(args), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=full_env, text=True,
            start_new_session=True, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL)
        self.truth = None
        self._read_until_ready(timeout)
        pinned = os.path.join(os.path.dirname(command[-1]), "RUNTIME_VERSION")
        if variant and os.path.exists(pinned) and "runtime" in self.truth:
            want = open(pinned).read().strip()
            if self.truth["runtime"] != want:
                self.kill()
                raise Failure("%s runs on .NET %s, published for %s" % (name, self.truth["runtime"], want))
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
        if self.proc.stdin is not None:
            self._wait_parked(deadline)

    def _wait_parked(self, deadline):
        """READY is written before the target blocks on its input: a core or
        an attach in between catches the stack still in Console's write. Wait
        until one of its threads sits in read(2) of the pipe on its stdin
        (.NET reads a dup of fd 0)."""
        while True:
            if self._reading_stdin():
                return
            if self.proc.poll() is not None or time.time() > deadline:
                self.kill()
                raise Failure("target %s did not wait on its input after READY" % self.name)
            time.sleep(0.01)

    def _reading_stdin(self):
        proc = "/proc/%d" % self.proc.pid
        try:
            stdin = os.readlink(proc + "/fd/0")
            tasks = os.listdir(proc + "/task")
        except OSError:
            return False
        for task in tasks:
            try:
                with open("%s/task/%s/syscall" % (proc, task)) as f:
                    fields = f.read().split()
                if len(fields) > 1 and int(fields[0]) == READ_SYSCALL and \
                        os.readlink("%s/fd/%d" % (proc, int(fields[1], 16))) == stdin:
                    return True
            except (OSError, ValueError):
                continue
        return False

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
    # Pages of zeros become holes (a core is about half zeros): the same bytes
    # to a reader, half the disk. util-linux's fallocate; kept as is without it.
    try:
        subprocess.run(["fallocate", "--dig-holes", path], capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        pass
    return path


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def _make_room(keep):
    """Remove the least recently used cached cores, of every runtime's cache
    beside CORE_CACHE, while the disk has less than CORE_CACHE_RESERVE free.
    A test still reading one keeps it: it holds a hard link or a copy."""
    root = os.path.dirname(os.path.abspath(CORE_CACHE))
    if free_bytes(root) >= CORE_CACHE_RESERVE:
        return
    entries = []
    for cache in os.listdir(root):
        try:  # a runtime's cache may be removed meanwhile (its cleanup test)
            for name in os.listdir(os.path.join(root, cache)):
                entry = os.path.join(root, cache, name)
                meta = os.path.join(entry, "meta.json")
                if entry != keep and os.path.exists(meta):
                    entries.append((os.path.getmtime(meta), entry))
        except OSError:
            pass
    for _, entry in sorted(entries):
        if free_bytes(root) >= CORE_CACHE_RESERVE:
            return
        with open(entry + ".lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # being made or linked by another test
            shutil.rmtree(entry, ignore_errors=True)
            print("core cache: removed %s (less than %d MB free)"
                  % (entry, CORE_CACHE_RESERVE >> 20), flush=True)


def core_of_finished(name, kind, directory, env=None, variant=None, writable=False):
    """Start a target, make a core of it, end it: (core path, host program, truth).
    The core alone is left, as a user has it.

    Under CLRSOS_CORE_CACHE the core is made once per target, runtime, GC
    configuration and kind, and every later call (any test family) gets that
    one: a hard link to it in <directory> (a copy if writable, for a test that
    damages its core)."""
    if kind == "os" and (variant or RUNTIME) == "net8":
        # .NET 8 keeps its loader heaps (MethodTables, EEClasses, FieldDescs)
        # and code in shared mappings of a memfd (W^X double mapping), which
        # gdb's gcore leaves out under the default coredump_filter (0x33):
        # types, fields and stacks are not in such a core.
        skip(".NET 8: gdb's core lacks the runtime's loader heaps and code (shared memfd "
             "mappings of W^X, left out under coredump_filter 0x33); not a case clrsos can read")
    if not CORE_CACHE:
        with Target(name, env=env, variant=variant) as t:
            core = make_core(t, kind, directory)
            return core, t.exe, t.truth
    variant = variant or RUNTIME or "host"
    config = sorted((env or {}).items())
    names = [n for n, e in GC_CONFIGS.items() if sorted(e.items()) == config]
    config_key = names[0] if names else hashlib.sha1(repr(config).encode()).hexdigest()[:12]
    entry = os.path.join(CORE_CACHE, "%s-%s-%s-%s" % (name, variant, config_key, kind))
    os.makedirs(CORE_CACHE, exist_ok=True)
    with open(entry + ".lock", "w") as lock:
        # Tests run one at a time in CI; the lock keeps a parallel ctest from
        # making the same core twice or reading one half written.
        fcntl.flock(lock, fcntl.LOCK_EX)
        meta_path = os.path.join(entry, "meta.json")
        if os.path.exists(meta_path):
            meta = json.load(open(meta_path))
            os.utime(meta_path)  # used: the last to be removed for room
            if variant != "host":
                variant_dir(name, variant)  # says which runtime the core is of
            print("shared core: %s (made by an earlier test)" % meta["core"], flush=True)
        else:
            shutil.rmtree(entry, ignore_errors=True)
            _make_room(entry)
            os.makedirs(entry)
            with Target(name, env=env, variant=None if variant == "host" else variant) as t:
                made = make_core(t, kind, entry)
                meta = {"core": made, "exe": t.exe, "truth": t.truth}
            with open(meta_path + ".tmp", "w") as f:
                json.dump(meta, f)
            os.rename(meta_path + ".tmp", meta_path)
            print("shared core: %s (made now)" % made, flush=True)
        # Still under the lock: the entry cannot be removed for room meanwhile.
        core = os.path.join(directory, os.path.basename(meta["core"]))
        if not writable:
            try:
                os.link(meta["core"], core)
                return core, meta["exe"], meta["truth"]
            except OSError:
                pass
        shutil.copyfile(meta["core"], core)
        return core, meta["exe"], meta["truth"]


# lldb's own commands, whose output may be a thread's stop status.
LLDB_THREAD_COMMANDS = ("thread", "frame", "process", "bt", "target", "f")
STOP_BANNER = re.compile(r"^\* thread #\d+, .*stop reason = ")
STOP_FRAME = re.compile(r"^    frame #\d+: ")


def without_stop_status(lines):
    """lines without lldb's asynchronous stop status: after `thread select`,
    lldb's event thread prints the thread and its frame ("* thread #1, ...
    stop reason = ...", "    frame #0: ...") whenever it runs, so in a later
    command's output (seen in CI, six commands later under the sanitizers)."""
    out, in_banner = [], False
    for line in lines:
        if STOP_BANNER.match(line):
            in_banner = True
            continue
        if in_banner and STOP_FRAME.match(line):
            continue
        in_banner = False
        out.append(line)
    return out


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
        self.blocks = [(cmd, lines if cmd.split(" ", 1)[0] in LLDB_THREAD_COMMANDS else without_stop_status(lines))
                       for cmd, lines in self.blocks]

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


_scratch_dirs = []


def _remove_scratch_dirs():
    if os.environ.get("CLRSOS_KEEP_CORE"):  # kept to look at by hand (test_corrupt.py says where)
        return
    for d in _scratch_dirs:
        shutil.rmtree(d, ignore_errors=True)


atexit.register(_remove_scratch_dirs)


def scratch_dir():
    """A directory for one test's cores and files, removed when the test
    process exits, however it exits, short of a kill."""
    d = tempfile.mkdtemp(prefix="clrsos-test-")
    _scratch_dirs.append(d)
    return d


def cleanup(directory):
    shutil.rmtree(directory, ignore_errors=True)


def parse_hex(text):
    return int(text, 16)
