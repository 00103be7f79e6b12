"""End-to-end tests of the live tool (build/clrsos) and its EventPipe transport.

Real .NET processes from tests/targets (they print their own truth), fake
peers served by this test for what a real runtime never does (garbage,
silence, a socket path too long for sockaddr_un). Fake peers are found
through CLRSOS_IPC_SOCKET_DIR, the tool's documented override of where
sockets are looked for.

    test_tool.py <case>

Environment (tests/tool/CMakeLists.txt): CLRSOS_TOOL, CLRSOS_EP_PROBE,
CLRSOS_PLUGIN, CLRSOS_TARGETS_DIR.
"""

import glob
import json
import shutil
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lldb"))
import harness  # noqa: E402
from harness import check, Failure  # noqa: E402

TOOL = os.environ.get("CLRSOS_TOOL", "")
EP_PROBE = os.environ.get("CLRSOS_EP_PROBE", "")


def tool(*args, env=None, timeout=600):
    full = dict(os.environ)
    full.pop("CLRSOS_IPC_SOCKET_DIR", None)
    full.update(env or {})
    start = time.time()
    r = subprocess.run([TOOL] + list(args), capture_output=True, text=True, timeout=timeout,
                       env=full, stdin=subprocess.DEVNULL)
    r.elapsed = time.time() - start
    print("$ clrsos %s  (status %d, %.1f s)\n%s%s" % (" ".join(args), r.returncode, r.elapsed,
                                                    r.stdout[-3000:], r.stderr), flush=True)
    if r.returncode < 0:
        raise Failure("clrsos died of signal %d" % -r.returncode)
    return r


def check_one_line_error(r, words):
    check(r.returncode == 1, "status 1, not %d" % r.returncode)
    lines = r.stderr.strip().splitlines()
    check(len(lines) == 1, "one line on stderr, not %d" % len(lines))
    check(words in r.stderr, "stderr says %r: %r" % (words, r.stderr))


# ------------------------------------------------------------------ ps

def ps_case(variant=None):
    with harness.Target("HeapShapes", variant=variant) as t:
        truth = t.truth
        r = tool("ps")
        check(r.returncode == 0, "ps succeeds")
        line = [l for l in r.stdout.splitlines() if l.split()[:1] == [str(t.pid)]]
        check(len(line) == 1, "ps lists pid %d once" % t.pid)
        if line:
            check(truth["runtime"] in line[0].split(), "ps shows runtime %s: %r" % (truth["runtime"], line[0]))
            check("HeapShapes" in line[0], "ps shows the command line: %r" % line[0])
        r = tool("ps", "--json")
        check(r.returncode == 0, "ps --json succeeds")
        procs = {p["pid"]: p for p in json.loads(r.stdout)}
        p = procs.get(t.pid)
        if not check(p is not None, "ps --json lists pid %d" % t.pid):
            return
        check(p["runtimeVersion"] == truth["runtime"], "runtimeVersion %r == the target's %r"
              % (p["runtimeVersion"], truth["runtime"]))
        check(p["assembly"] == "HeapShapes", "assembly %r" % p["assembly"])
        comm = open("/proc/%d/comm" % t.pid).read().strip()
        check(p["name"] == comm, "name %r == /proc comm %r" % (p["name"], comm))
        argv = open("/proc/%d/cmdline" % t.pid, "rb").read().rstrip(b"\0").split(b"\0")
        # The runtime's: the full path of the executable, then the arguments (an apphost's with the
        # .dll it runs inserted, as the host hands it to the runtime).
        exe = os.readlink("/proc/%d/exe" % t.pid)
        check(p["commandLine"].startswith(exe + " ") or p["commandLine"] == exe,
              "commandLine %r starts with the executable %r" % (p["commandLine"], exe))
        check(p["commandLine"].endswith(" ".join(a.decode() for a in argv[1:])) and "HeapShapes.dll" in p["commandLine"],
              "commandLine %r ends with the arguments %r" % (p["commandLine"], argv[1:]))
        check(p["os"] == "Linux" and p["arch"] == "x64", "os/arch %r/%r" % (p["os"], p["arch"]))
        check(p["nsPid"] == t.pid, "nsPid")


# ------------------------------------------------------------------ collect

def is_elf_core(path):
    with open(path, "rb") as f:
        head = f.read(18)
    return len(head) == 18 and head[:4] == b"\x7fELF" and struct.unpack("<H", head[16:18])[0] == 4


def collect_case(kind, variant=None, dumpheap=False):
    scratch = harness.scratch_dir()
    try:
        with harness.Target("HeapShapes", variant=variant) as t:
            out = os.path.join(scratch, "core." + kind)
            r = tool("collect", "-p", str(t.pid), "--type", kind, "-o", out)
            check(r.returncode == 0, "collect --type %s succeeds" % kind)
            check(os.path.exists(out), "the dump exists at %s" % out)
            if not os.path.exists(out):
                return
            check(is_elf_core(out), "the dump is an ELF core")
            size = os.path.getsize(out)
            check(("%s (%s bytes)" % (out, format(size, ","))) in r.stdout,
                  "collect says where and how big: %r" % r.stdout)
            if kind == "full":
                check(size > 50 * 1024 * 1024, "a full dump holds all memory (%d bytes)" % size)
            exe = t.exe
            truth = t.truth
        if dumpheap:
            tr = harness.lldb(["dumpheap -stat -type HeapShapes.Customer"], core=out, exe=exe)
            text = tr.text_of("dumpheap -stat -type HeapShapes.Customer")
            want = truth["types"]["HeapShapes.Customer"]
            rows = [l.split() for l in text.splitlines() if l.rstrip().endswith(" HeapShapes.Customer")]
            check(len(rows) == 1, "one HeapShapes.Customer row in dumpheap -stat")
            if rows:
                check(rows[0][1].replace(",", "") == str(want),
                      "dumpheap -stat counts %s HeapShapes.Customer, the target made %d" % (rows[0][1], want))
    finally:
        harness.cleanup(scratch)


def collect_default_name():
    """No -o: core_YYYYMMDD_HHMMSS in the current directory, as dotnet-dump."""
    scratch = harness.scratch_dir()
    try:
        with harness.Target("HeapShapes") as t:
            r = subprocess.run([TOOL, "collect", str(t.pid), "--type", "mini"], cwd=scratch,
                               capture_output=True, text=True, timeout=600)
            print(r.stdout + r.stderr)
            names = os.listdir(scratch)
            check(r.returncode == 0, "collect succeeds")
            check(len(names) == 1 and names[0].startswith("core_") and len(names[0]) == len("core_20260101_120000"),
                  "one core_YYYYMMDD_HHMMSS: %r" % names)
            if names:
                check(os.path.join(os.path.realpath(scratch), names[0]) in r.stdout
                      or os.path.join(scratch, names[0]) in r.stdout, "the absolute path is printed")
    finally:
        harness.cleanup(scratch)


def collect_bad_dir():
    with harness.Target("HeapShapes") as t:
        r = tool("collect", str(t.pid), "-o", "/nonexistent-dir/core")
        check_one_line_error(r, "could not write the dump")
        check("/nonexistent-dir/core" in r.stderr, "the runtime's message names the file")


def container():
    """A process in its own pid and mount namespaces with a private /tmp (as in a
    container): found through /proc/<pid>/root and NSpid, its dump written
    inside it and said where it is from here."""
    dll = os.path.join(harness.TARGETS_DIR, "HeapShapes", "HeapShapes.dll")
    copy = None
    if os.path.realpath(dll).startswith("/tmp/"):
        # The private /tmp would hide a build under /tmp: run a copy from elsewhere.
        copy = tempfile.mkdtemp(prefix="clrsos-container-", dir="/var/tmp" if os.path.isdir("/var/tmp") else None)
        shutil.copytree(os.path.dirname(dll), os.path.join(copy, "HeapShapes"))
        dll = os.path.join(copy, "HeapShapes", "HeapShapes.dll")
    try:
        container_in(dll)
    finally:
        if copy:
            shutil.rmtree(copy, ignore_errors=True)


def container_in(dll):
    try:
        outer = subprocess.Popen(["unshare", "-pfm", "--mount-proc", "sh", "-c",
                                  "mount -t tmpfs none /tmp && exec dotnet " + dll],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 start_new_session=True, stdin=subprocess.DEVNULL)
    except OSError as e:
        raise harness.Unavailable("no unshare: %s" % e)
    try:
        truth = None
        for line in outer.stdout:
            if line.startswith("TRUTH "):
                truth = json.loads(line[6:])
            elif line.strip() == "READY":
                break
        if truth is None:
            raise harness.Unavailable("cannot make namespaces here: %s" % outer.stderr.read().strip())
        pid = None
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    st = open("/proc/%s/status" % d).read()
                except OSError:
                    continue
                if "\nPPid:\t%d\n" % outer.pid in st:
                    pid = int(d)
        if not check(pid is not None, "found the process in the namespace"):
            return
        check(truth["pid"] != pid, "it has a pid of its own inside (%d, %d here)" % (truth["pid"], pid))
        r = tool("ps", "--json")
        procs = {p["pid"]: p for p in json.loads(r.stdout)}
        p = procs.get(pid)
        if check(p is not None, "ps lists pid %d" % pid):
            check(p["nsPid"] == truth["pid"], "nsPid %r is the pid it sees, %r" % (p["nsPid"], truth["pid"]))
            check(p["socket"].startswith("/proc/%d/root/tmp/dotnet-diagnostic-%d-" % (pid, truth["pid"])),
                  "its socket is reached through /proc/<pid>/root: %r" % p["socket"])
            check(p["runtimeVersion"] == truth["runtime"], "runtimeVersion")
        name = "/tmp/clrsos-container-%d.core" % os.getpid()
        r = tool("collect", str(pid), "--type", "mini", "-o", name)
        here = "/proc/%d/root%s" % (pid, name)
        check(r.returncode == 0, "collect succeeds")
        check(here in r.stdout and "another container" in r.stdout, "collect says where the file is from here")
        check(os.path.exists(here) and is_elf_core(here), "the dump is in the process's /tmp")
        check(not os.path.exists(name), "and not in ours")
    finally:
        try:
            os.killpg(outer.pid, 9)
        except ProcessLookupError:
            pass
        outer.wait()


# ------------------------------------------------------------------ errors

def free_pid():
    pid = 4000000
    while os.path.exists("/proc/%d" % pid):
        pid += 1
    return pid


def no_process():
    pid = free_pid()
    check_one_line_error(tool("collect", str(pid)), "no process with pid %d" % pid)


def not_dotnet():
    # This process is no .NET one: a socket named for its pid can only be stale,
    # left by a killed .NET target that had the same pid before.
    for d in {os.environ.get("TMPDIR", "/tmp"), "/tmp"}:
        for stale in glob.glob(os.path.join(d, "dotnet-diagnostic-%d-*-socket" % os.getpid())):
            os.unlink(stale)
    r = tool("collect", str(os.getpid()))
    check_one_line_error(r, "is not a .NET process")


def diagnostics_disabled():
    with harness.Target("HeapShapes", env={"DOTNET_EnableDiagnostics": "0"}) as t:
        r = tool("collect", str(t.pid))
        check_one_line_error(r, "runs with DOTNET_EnableDiagnostics=0")
        r = tool("ps")
        check(str(t.pid) not in r.stdout.split(), "ps does not list it")


def other_user():
    """A root process seen by an unprivileged user: a clear permission error, and ps leaves it out."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        raise harness.Unavailable("needs root and setpriv to run clrsos as another user")
    with harness.Target("HeapShapes") as t:
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", TOOL]
        r = subprocess.run(as_nobody + ["collect", str(t.pid)], capture_output=True, text=True, timeout=120)
        print(r.stdout + r.stderr)
        check_one_line_error(r, "permission denied")
        check("run clrsos as the process's user or as root" in r.stderr, "says what to do")
        r = subprocess.run(as_nobody + ["ps"], capture_output=True, text=True, timeout=120)
        print(r.stdout + r.stderr)
        check(r.returncode == 0, "ps succeeds as nobody")
        check(str(t.pid) not in r.stdout.split(), "ps as nobody leaves root's process out")


def start_time(pid):
    """The process's start time in clock ticks (/proc/<pid>/stat field 22): the runtime's socket key."""
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


class FakePeer:
    """A diagnostics socket served by this test for a real, non-.NET process
    (a sleep): dotnet-diagnostic-<its pid>-1-socket in directory, answering
    each connection with answer(request bytes) (None: never answer)."""

    def __init__(self, directory, answer, close_after=False, key=None):
        self.sleeper = subprocess.Popen(["sleep", "600"])
        self.pid = self.sleeper.pid
        # As the runtime names it: with the process's start time (a socket with another key is stale).
        self.key = start_time(self.pid) if key is None else key
        self.name = "dotnet-diagnostic-%d-%d-socket" % (self.pid, self.key)
        self.path = os.path.join(directory, self.name)
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # Bound relative to its directory: the path may be too long for sun_path.
        cwd = os.getcwd()
        os.chdir(directory)
        try:
            self.server.bind(self.name)
        finally:
            os.chdir(cwd)
        self.server.listen(8)
        self.answer = answer
        self.close_after = close_after
        self.requests = []
        self.conns = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.conns.append(conn)
            conn.settimeout(5)
            try:
                req = conn.recv(65536)
            except OSError:
                continue
            self.requests.append(req)
            reply = self.answer(req)
            if reply is not None:
                try:
                    conn.sendall(reply)
                except OSError:
                    pass
            if self.close_after or reply is not None:
                conn.close()

    def close(self):
        self.server.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass
        self.sleeper.kill()
        self.sleeper.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def reply(set_, id_, payload=b""):
    return b"DOTNET_IPC_V1\0" + struct.pack("<HBBH", 20 + len(payload), set_, id_, 0) + payload


def wstr(s):
    b = (s + "\0").encode("utf-16-le")
    return struct.pack("<I", len(b) // 2) + b


def process_info3(pid, command_line):
    return reply(0xFF, 0x00, struct.pack("<IQ", 1, pid) + bytes(16) + wstr(command_line) + wstr("Linux")
                 + wstr("x64") + wstr("Fake") + wstr("99.0.0") + wstr("linux-x64"))


def garbage_peer():
    d = harness.scratch_dir()
    try:
        with FakePeer(d, lambda req: b"HTTP/1.1 400 Bad Request\r\n\r\n" + os.urandom(64)) as peer:
            r = tool("collect", str(peer.pid), env={"CLRSOS_IPC_SOCKET_DIR": d})
            check_one_line_error(r, "not a diagnostics reply")
            check(len(peer.requests) >= 1 and peer.requests[0].startswith(b"DOTNET_IPC_V1\0"),
                  "the tool sent a diagnostics request")
            # A reply whose header promises more than comes.
            peer.answer = lambda req: reply(0xFF, 0x00, b"\0" * 40)[:30]
            r = tool("collect", str(peer.pid), env={"CLRSOS_IPC_SOCKET_DIR": d})
            check_one_line_error(r, "closed the connection in the middle of its reply")
            # A well-formed reply whose strings lie about their length.
            peer.answer = lambda req: reply(0xFF, 0x00, struct.pack("<IQ", 1, 1) + bytes(16) + struct.pack("<I", 30000))
            r = tool("collect", str(peer.pid), env={"CLRSOS_IPC_SOCKET_DIR": d})
            check_one_line_error(r, "more than the reply holds")
            # ps lists it with the reason, and goes on.
            r = tool("ps", env={"CLRSOS_IPC_SOCKET_DIR": d})
            check(r.returncode == 0, "ps succeeds with a broken peer")
            check(str(peer.pid) in r.stdout and "more than the reply holds" in r.stdout, "ps shows the peer's fault")
    finally:
        harness.cleanup(d)


def silent_peer():
    d = harness.scratch_dir()
    try:
        with FakePeer(d, lambda req: None) as peer:
            r = tool("collect", str(peer.pid), env={"CLRSOS_IPC_SOCKET_DIR": d}, timeout=120)
            check_one_line_error(r, "did not answer within 5.0 s")
            check(r.elapsed < 60, "gave up in %.1f s" % r.elapsed)
    finally:
        harness.cleanup(d)


def closing_peer():
    d = harness.scratch_dir()
    try:
        with FakePeer(d, lambda req: None, close_after=True) as peer:
            r = tool("collect", str(peer.pid), env={"CLRSOS_IPC_SOCKET_DIR": d})
            check_one_line_error(r, "closed the connection without answering")
        # A stale socket: nobody listens any more (the peer's process is gone too: use a fresh sleeper).
        sleeper = subprocess.Popen(["sleep", "600"])
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(os.path.join(d, "dotnet-diagnostic-%d-%d-socket" % (sleeper.pid, start_time(sleeper.pid))))
            s.close()
            r = tool("collect", str(sleeper.pid), env={"CLRSOS_IPC_SOCKET_DIR": d})
            check_one_line_error(r, "does not answer (the process exited or is not listening)")
            # Left by an earlier process with the same pid (another start time): not this process's.
            os.unlink(os.path.join(d, "dotnet-diagnostic-%d-%d-socket" % (sleeper.pid, start_time(sleeper.pid))))
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(os.path.join(d, "dotnet-diagnostic-%d-%d-socket" % (sleeper.pid, start_time(sleeper.pid) + 1)))
            s.close()
            r = tool("collect", str(sleeper.pid), env={"CLRSOS_IPC_SOCKET_DIR": d})
            check_one_line_error(r, "not a .NET process")
        finally:
            sleeper.kill()
            sleeper.wait()
    finally:
        harness.cleanup(d)


def newest_socket():
    """Sockets of an earlier process with the same pid stay behind (a killed
    runtime removes none): the one keyed with this process's start time is
    the one that answers, whatever keys the others have."""
    d = harness.scratch_dir()
    try:
        with FakePeer(d, lambda req: process_info3(7, "/the/newest --one")) as peer:
            for key in (1, peer.key - 1, peer.key + 1):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.bind(os.path.join(d, "dotnet-diagnostic-%d-%d-socket" % (peer.pid, key)))
                s.close()
            r = tool("ps", "--json", env={"CLRSOS_IPC_SOCKET_DIR": d})
            procs = {p["pid"]: p for p in json.loads(r.stdout)}
            p = procs.get(peer.pid, {})
            check(p.get("socket", "").endswith("-%d-socket" % peer.key),
                  "the socket of this process's start time is chosen: %r" % p.get("socket"))
            check(p.get("commandLine") == "/the/newest --one", "and it answered")
    finally:
        harness.cleanup(d)


def old_runtime():
    """A runtime that knows only the first version of each command (as .NET 5
    and 6 did): the tool falls back, command by command, on its "unknown
    command" answer."""
    d = harness.scratch_dir()
    unknown = reply(0xFF, 0xFF, struct.pack("<I", 0x80131385))

    def answer(req):
        cmd = req[16:18]
        if cmd == b"\x04\x00":
            return reply(0xFF, 0x00, struct.pack("<Q", 7) + bytes(16) + wstr("/old/app") + wstr("Linux") + wstr("x64"))
        if cmd == b"\x01\x01":
            # CreateCoreDump: string path, uint type, uint diagnostics. Write the "dump" where asked.
            n = struct.unpack("<I", req[20:24])[0]
            path = req[24:24 + 2 * n].decode("utf-16-le").rstrip("\0")
            with open(path, "wb") as f:
                f.write(b"\x7fELF" + bytes(12) + struct.pack("<H", 4) + bytes(100))
            return reply(0xFF, 0x00, struct.pack("<I", 0))
        if cmd == b"\x02\x02":
            return reply(0xFF, 0x00, struct.pack("<Q", 0x1234)) + b"Nettrace" + b"!" * 100
        return unknown

    try:
        with FakePeer(d, answer) as peer:
            env = {"CLRSOS_IPC_SOCKET_DIR": d}
            r = tool("ps", "--json", env=env)
            p = {p["pid"]: p for p in json.loads(r.stdout)}.get(peer.pid, {})
            check(p.get("commandLine") == "/old/app" and p.get("runtimeVersion") is None,
                  "ProcessInfo answers after ProcessInfo3 and 2 were unknown: %r" % p)
            out = os.path.join(d, "core.old")
            peer.requests.clear()
            r = tool("collect", str(peer.pid), "--type", "heap", "-o", out, env=env)
            check(r.returncode == 0 and os.path.exists(out), "collect falls back to CreateCoreDump (0x0101)")
            cmds = [q[16:18].hex() for q in peer.requests]
            check(cmds == ["0408", "0404", "0400", "0103", "0102", "0101"], "the commands tried, in order: %s" % cmds)
            dump_req = peer.requests[-1]
            n = struct.unpack("<I", dump_req[20:24])[0]
            check(struct.unpack("<II", dump_req[24 + 2 * n:32 + 2 * n]) == (2, 0), "type 2 (heap), diagnostics 0")
            peer.requests.clear()
            full = dict(os.environ, CLRSOS_IPC_SOCKET_DIR=d)
            pr = subprocess.run([EP_PROBE, str(peer.pid), "5", "normal"], capture_output=True, text=True,
                                timeout=120, env=full)
            print(pr.stdout + pr.stderr)
            check(pr.returncode == 0, "the EventPipe session starts on CollectTracing (0x0202)")
            check("SESSION 0x1234" in pr.stdout and "EOF" in pr.stdout, "its id, then the stream to its end")
            check_stream(pr.stdout)
            cmds = [q[16:18].hex() for q in peer.requests]
            check(cmds[:3] == ["0204", "0203", "0202"], "CollectTracing3, 2, then 1: %s" % cmds)
            req = peer.requests[2]
            check(struct.unpack("<III", req[20:32]) == (16, 1, 1), "16 MB, nettrace, one provider (no rundown byte in v1)")
    finally:
        harness.cleanup(d)


def long_path():
    base = harness.scratch_dir()
    d = base
    while len(d) < 150:
        d = os.path.join(d, "a-rather-long-directory-name")
    os.makedirs(d)
    try:
        with FakePeer(d, lambda req: process_info3(4242, "/fake/app --long-path")) as peer:
            check(len(peer.path) > 108, "the socket path (%d bytes) is longer than sun_path" % len(peer.path))
            r = tool("ps", "--json", env={"CLRSOS_IPC_SOCKET_DIR": d})
            check(r.returncode == 0, "ps succeeds")
            procs = {p["pid"]: p for p in json.loads(r.stdout)}
            p = procs.get(peer.pid, {})
            check(p.get("commandLine") == "/fake/app --long-path", "the peer behind the long path answered: %r" % p)
            check(p.get("runtimeVersion") == "99.0.0" and p.get("rid") == "linux-x64", "ProcessInfo3's fields")
    finally:
        harness.cleanup(base)


def usage():
    for args, words in [(["frobnicate"], "unknown command 'frobnicate'"),
                        (["--frob"], "unknown option '--frob'"),
                        (["collect", "--frob"], "unknown option '--frob'"),
                        (["collect", "12", "--type", "huge"], "unknown dump type 'huge'"),
                        (["collect"], "which process?"),
                        (["collect", "-p", "x1"], "'x1' is not a process id"),
                        (["ps", "extra"], "unexpected argument 'extra'"),
                        ([], "usage: clrsos")]:
        r = tool(*args)
        check(r.returncode == 1, "clrsos %s: status 1" % " ".join(args))
        check(words in r.stderr, "clrsos %s says %r" % (" ".join(args), words))
        if args:
            check(len(r.stderr.strip().splitlines()) == 1, "one line")
    for args in (["--help"], ["ps", "--help"], ["collect", "--help"], ["--version"]):
        r = tool(*args)
        check(r.returncode == 0 and r.stdout and not r.stderr, "clrsos %s: help on stdout, status 0" % " ".join(args))


# ------------------------------------------------------------------ EventPipe sessions

def streaming_threads(pid):
    """The runtime's '.NET EventPipe' threads: the diagnostics server's, and one per streaming session."""
    n = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            if open("/proc/%d/task/%s/comm" % (pid, tid)).read().strip() == ".NET EventPipe":
                n += 1
        except OSError:
            pass
    return n


def wait_threads(pid, want, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        n = streaming_threads(pid)
        if n == want:
            return n
        time.sleep(0.2)
    return streaming_threads(pid)


def probe(pid, seconds, mode):
    return subprocess.Popen([EP_PROBE, str(pid), str(seconds), mode], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def check_stream(out):
    words = out.split()
    if check("BYTES" in words, "the probe reports bytes: %r" % out):
        n = int(words[words.index("BYTES") + 1])
        check(n > 0, "the session streamed %d bytes" % n)
        check("MAGIC Nettrace" in out, "the stream starts with 'Nettrace'")


def eventpipe_case(how, variant=None):
    with harness.Target("HeapShapes", variant=variant) as t:
        base = wait_threads(t.pid, streaming_threads(t.pid), 1)
        # Long enough that a loaded machine still sees the session streaming before it ends.
        p = probe(t.pid, 8 if how == "normal" else 600, "normal" if how == "normal" else "signal")
        first = p.stdout.readline()
        check(first.startswith("SESSION 0x"), "the session started: %r" % first)
        during = wait_threads(t.pid, base + 1)
        check(during == base + 1, "the runtime streams the session on a thread of its own (%d -> %d)" % (base, during))
        if how == "normal":
            out, err = p.communicate(timeout=120)
            check(p.returncode == 0, "the probe ends normally: %s" % err)
            check_stream(first + out)
        else:
            time.sleep(2)
            p.send_signal({"sigint": 2, "sigterm": 15}[how])
            out, err = p.communicate(timeout=120)
            check(p.returncode == 130, "the probe's handler stopped the session and exited 130 (%d): %s"
                  % (p.returncode, err))
        after = wait_threads(t.pid, base)
        check(after == base, "no session is left in the runtime after the tool exits (threads %d, before %d)"
              % (after, base))
        # The runtime still takes and streams a new session.
        p = probe(t.pid, 2, "normal")
        out, err = p.communicate(timeout=120)
        check(p.returncode == 0, "a second session runs: %s" % err)
        check_stream(out)
        check(wait_threads(t.pid, base) == base, "and ends")


CASES = {
    "ps": lambda: ps_case(),
    "collect-default-name": collect_default_name,
    "collect-full": lambda: collect_case("full"),
    "collect-heap": lambda: collect_case("heap"),
    "collect-mini": lambda: collect_case("mini"),
    "collect-triage": lambda: collect_case("triage"),
    "collect-dumpheap": lambda: collect_case("full", dumpheap=True),
    "collect-bad-dir": collect_bad_dir,
    "container": container,
    "no-process": no_process,
    "not-dotnet": not_dotnet,
    "diagnostics-disabled": diagnostics_disabled,
    "other-user": other_user,
    "garbage-peer": garbage_peer,
    "silent-peer": silent_peer,
    "closing-peer": closing_peer,
    "long-path": long_path,
    "newest-socket": newest_socket,
    "old-runtime": old_runtime,
    "usage": usage,
    "eventpipe-normal": lambda: eventpipe_case("normal"),
    "eventpipe-sigint": lambda: eventpipe_case("sigint"),
    "eventpipe-sigterm": lambda: eventpipe_case("sigterm"),
}
for _v in ("net8", "net9"):
    CASES[_v + "-ps"] = (lambda v: lambda: ps_case(v))(_v)
    CASES[_v + "-collect"] = (lambda v: lambda: collect_case("full", variant=v, dumpheap=True))(_v)
    CASES[_v + "-eventpipe"] = (lambda v: lambda: eventpipe_case("sigint", variant=v))(_v)


def main():
    if not TOOL or not os.path.exists(TOOL):
        print("no clrsos tool at %r" % TOOL)
        sys.exit(1)
    try:
        harness.run_case(CASES)
    except harness.Unavailable as e:
        print("SKIPPED: %s" % e)
        sys.exit(harness.SKIP)


if __name__ == "__main__":
    main()
