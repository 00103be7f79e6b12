"""Behaving like an lldb command on a big heap: Ctrl-C, progress, streamed output.

A core of Grower holding ITEMS Items (each with a string and a byte[16]:
three objects per item, about 25 million objects for the default), so
that each long command takes seconds.

  interrupt: lldb runs in a pseudo-terminal, as a user runs it. Each long
      command (the heap walk, -live marking, gcroot's first index,
      findstring, dumpheap -strings, inspect, objsize, a long listing) gets SIGINT,
      as Ctrl-C sends it, once it is well into its work (its progress line
      shows): the prompt must come back within a second (measured and
      printed), the command must say it was interrupted, what it printed
      stays, and the next command gives the target's answer. Progress
      shows on the terminal in place (\\r), moving, and is cleared.
  stream: lldb -b with its output read as it comes: a listing of ITEMS
      rows starts at once (before a walk of the heap could have ended),
      lldb's peak memory does not grow with the rows, every row is there;
      progress is on the error stream, never in the output; a script that
      runs the command through the SB API (from Python, or `script` inside
      lldb) still gets every row in its result object.
"""

import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import fcntl
import json
import threading
import time

import harness
from harness import Failure, check

ITEMS = int(os.environ.get("CLRSOS_INTERRUPT_ITEMS", "8000000"))
PROMPT = b"(lldb) "
# The prompt is back within this after SIGINT (measured: under 0.1 s on an
# idle machine; 0.5-0.7 s with a load average of 15-20 on 2 cores, and 1.7 s
# with the plugin under ASan+UBSan there), far below the 8 s the command
# would run: 1 s, and 3 s with the sanitizers preloaded.
PROMPT_WITHIN = 3.0 if os.environ.get("CLRSOS_LLDB_PRELOAD") else 1.0


def lldb_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = harness.LLDB_PYTHONPATH
    env["TERM"] = "xterm"
    # Progress after 0.3 s (1 s by default): the test interrupts each command
    # once its progress shows, well before it ends, on a fast machine too.
    env["CLRSOS_PROGRESS_AFTER_MS"] = "300"
    if os.environ.get("CLRSOS_LLDB_PRELOAD"):
        env["LD_PRELOAD"] = os.environ["CLRSOS_LLDB_PRELOAD"]
        env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=1:detect_odr_violation=0"
        env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    return env


def make_core(directory):
    """(core, host program, truth) of a Grower holding ITEMS items."""
    made = os.environ.get("CLRSOS_INTERRUPT_CORE_JSON")  # one made earlier: {"core", "exe", "truth"}
    if made:
        m = json.load(open(made))
        return m["core"], m["exe"], m["truth"]
    with harness.Target("Grower", args=(str(ITEMS), "10"), stdin=True, timeout=600) as t:
        core = harness.make_core(t, "heap", directory)
        return core, t.exe, t.truth


class PtyLldb:
    """lldb in a pseudo-terminal, as a user runs it."""

    def __init__(self, core, exe):
        # lldb 21 and later draw a status line at the bottom of a terminal,
        # between the lines of output: off, to read the output as it comes.
        quiet = ["-o", "settings set show-statusline false"] if harness.lldb_major() >= 21 else []
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvpe(harness.LLDB, [harness.LLDB, "--no-use-colors", "-c", core, exe] + quiet +
                       ["-o", "plugin load " + harness.PLUGIN], lldb_env())
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 250, 0, 0))
        self.buf = b""
        self.start = 0  # where the running command's output starts
        if not self.wait_for(re.compile(rb"plugin load [^\n]*\n(.*\n)*?.*\(lldb\) "), 120):
            raise Failure("lldb did not start:\n%r" % self.buf[-2000:])

    def read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if r:
            try:
                data = os.read(self.fd, 1 << 20)
            except OSError:
                data = b""
            if not data:
                raise Failure("lldb ended:\n%r" % self.buf[-2000:])
            self.buf += data

    def wait_for(self, pattern, timeout, start=0):
        """Read until pattern (bytes, a regex, or a test of the output so far)
        occurs at or after start; whether it did."""
        deadline = time.time() + timeout
        while True:
            if callable(pattern):
                found = pattern(self.buf, start)
            elif hasattr(pattern, "search"):
                found = pattern.search(self.buf, start)
            else:
                found = self.buf.find(pattern, start) >= 0
            if found:
                return True
            left = deadline - time.time()
            if left <= 0:
                return False
            self.read(min(left, 0.05))

    def send(self, command):
        """Type a command; its output is self.buf[self.start:] (after its echo)."""
        mark = len(self.buf)
        os.write(self.fd, command.encode() + b"\n")
        if not self.wait_for(command.encode(), 10, mark):
            raise Failure("lldb did not echo %r:\n%r" % (command, self.buf[-2000:]))
        self.start = self.buf.find(command.encode(), mark) + len(command)
        self.sent_at = time.time()

    def done(self):
        return self.buf.find(PROMPT, self.start) >= 0

    def output(self):
        end = self.buf.find(PROMPT, self.start)
        return self.buf[self.start:end if end >= 0 else len(self.buf)]

    def run(self, command, timeout=300):
        self.send(command)
        if not self.wait_for(PROMPT, timeout, self.start):
            raise Failure("%r did not finish in %d s" % (command, timeout))
        text = self.output().decode(errors="replace")
        print("(lldb) %s  [%.1f s]\n%s" % (command, time.time() - self.sent_at, printable(text)), flush=True)
        return text

    def interrupt(self, command, wait_for, timeout=120, delay=0):
        """Run command; once wait_for shows (or delay seconds), SIGINT lldb:
        (output, seconds to the prompt)."""
        self.send(command)
        if delay:
            self.wait_for(PROMPT, delay, self.start)
        elif not self.wait_for(wait_for, timeout, self.start):
            raise Failure("%r: %r never showed:\n%r" % (command, wait_for, self.buf[self.start:][-2000:]))
        if self.done():
            raise Failure("%r ended before it could be interrupted: make the heap bigger (CLRSOS_INTERRUPT_ITEMS)"
                          % command)
        sent = time.time()
        os.kill(self.pid, signal.SIGINT)
        back = self.wait_for(PROMPT, 60, self.start)
        took = time.time() - sent
        text = self.output().decode(errors="replace")
        print("(lldb) %s  [SIGINT after %.1f s; prompt back %.2f s later]\n%s" %
              (command, sent - self.sent_at, took, printable(text[-3000:])), flush=True)
        if not back:
            raise Failure("%r: no prompt within 60 s of SIGINT" % command)
        check(took <= PROMPT_WITHIN, "%r: the prompt came back %.2f s after SIGINT (at most %.1f s)"
              % (command, took, PROMPT_WITHIN))
        check(re.search(r"^error: (\w+: )?interrupted \(Ctrl-C\)", printable(text), re.M) is not None,
              "%r: no 'error: interrupted' line after SIGINT" % command)
        return text, took

    def close(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        os.close(self.fd)


def printable(text):
    """Progress lines rewritten in place, shown one per line for the log."""
    return text.replace("\r\n", "\n").replace("\x1b[K", "").replace("\r", "\n")


def stat_count(text, name):
    for line in text.replace("\r", "\n").splitlines():
        f = line.split()
        if len(f) >= 4 and " ".join(f[3:]) == name and re.fullmatch(r"[\d,]+", f[1]):
            return int(f[1].replace(",", ""))
    return None


def mt_of(text, name):
    for line in text.replace("\r", "\n").splitlines():
        f = line.split()
        if len(f) >= 4 and " ".join(f[3:]) == name and re.fullmatch(r"[0-9a-f]{8,16}", f[0]):
            return f[0]
    return None


def case_interrupt():
    scratch = harness.scratch_dir()
    try:
        core, exe, truth = make_core(scratch)
        items, vanishing = truth["items"], truth["vanishing"]
        lldb = PtyLldb(core, exe)
        try:
            interrupt_each(lldb, items, vanishing)
        finally:
            lldb.close()
    finally:
        harness.cleanup(scratch)


def interrupt_each(lldb, items, vanishing):
    walked = re.compile(rb"\r[a-z]+: +\d+% of \d+ MB of heap walked")

    # The heap walk. Progress: in place, moving, before the interrupt.
    text, _ = lldb.interrupt("dumpheap -stat", re.compile(rb"\rdumpheap: +[1-9]\d*% of \d+ MB of heap walked"))
    shown = [int(p) for p in re.findall(r"\rdumpheap: +(\d+)% of \d+ MB of heap walked", text)]
    check(len(shown) >= 1 and all(0 < p < 100 for p in shown),
          "dumpheap -stat: progress shown in place, short of 100%% before SIGINT: %s" % shown)
    check("Total " not in text, "dumpheap -stat: a total printed though interrupted")
    # A whole walk: progress moves, then its line is cleared; the answer is the target's.
    text = lldb.run("dumpheap -stat -type Grower.Item")
    shown = [int(p) for p in re.findall(r"\rdumpheap: +(\d+)% of \d+ MB of heap walked", text)]
    check(len(set(shown)) >= 2 and shown == sorted(shown),
          "a whole walk's progress moves forward: %s" % shown)
    check(text.rfind("\r\x1b[K") > text.rfind("heap walked"), "the progress line is cleared at the end")
    check(stat_count(text, "Grower.Item") == items,
          "after the interrupted walk: Grower.Item count %s, the target has %d" % (stat_count(text, "Grower.Item"), items))
    item_mt = mt_of(text, "Grower.Item")
    list_mt = mt_of(text, "System.Collections.Generic.List<Grower.Item>")
    if not check(item_mt is not None and list_mt is not None, "Grower.Item's and its List's MethodTables"):
        return

    # -live marking: interrupted while marking; the half-marked heap is not reused.
    lldb.interrupt("dumpheap -live -stat -type Grower.Vanishing",
                   re.compile(rb"\rdumpheap: +\d+% of \d+ MB of heap marked live so far"))
    text = lldb.run("dumpheap -live -stat -type Grower.Vanishing")
    check(stat_count(text, "Grower.Vanishing") == vanishing,
          "after the interrupted marking: live Grower.Vanishing %s, the target holds %d"
          % (stat_count(text, "Grower.Vanishing"), vanishing))

    # A long listing: the rows printed stay.
    text, _ = lldb.interrupt("dumpheap -short -mt " + item_mt, lambda buf, start: buf.count(b"\n", start) > 20000)
    rows = re.findall(r"^[0-9a-f]{12,16}$", printable(text), re.M)
    check(20000 <= len(rows) < items, "dumpheap -short: %d rows stay printed before the interruption" % len(rows))
    first_item = rows[0].strip() if rows else None

    # gcroot's first index (the marking is kept from above; the referrer index is built now).
    if first_item:
        lldb.interrupt("gcroot " + first_item, re.compile(rb"\rgcroot: +\d+% of \d+ MB of heap indexed for gcroot"))
        text = lldb.run("gcroot " + first_item)
        check(re.search(r"-> %s Grower\.Item" % first_item, text) is not None and "Grower.Item[]" in text,
              "after the interrupted index: gcroot finds the chain through Grower.Item[] to %s" % first_item)

    # findstring and dumpheap -strings: the loop over the strings.
    lldb.interrupt("findstring zzz-not-there", walked)
    last = "item-%08d" % (items - 1)
    text = lldb.run("findstring " + last)
    check(re.search(r"^ +[0-9a-f]{12,16} +13 %s$" % last, printable(text), re.M) is not None and
          re.search(r"Found 1 string\b", text) is not None,
          "after the interrupted findstring: one string %s: %r" % (last, text[-300:]))
    lldb.interrupt("dumpheap -strings", walked)
    # inspect: its walk (strings, collections, arrays), then the dominator tree its retainers check builds.
    lldb.interrupt("inspect strings collections arrays", walked)
    lldb.interrupt("inspect retainers", re.compile(rb"\rinspect: +\d+% of \d+ MB of heap"))

    # objsize of the list of every Item (about 3 s): no progress of its own; interrupted after 0.5 s.
    text = lldb.run("dumpheap -short -mt " + list_mt)
    lists = re.findall(r"^([0-9a-f]{12,16})$", printable(text), re.M)
    if check(len(lists) == 1, "one List<Grower.Item>: %s" % lists):
        lldb.interrupt("objsize " + lists[0], None, delay=0.5)
        if first_item:
            text = lldb.run("objsize " + first_item)
            check(re.search(r"bytes in 3 objects", text) is not None,
                  "after the interrupted objsize: an Item keeps 3 objects alive: %r" % text[-300:])


class Reader(threading.Thread):
    """A pipe's lines, each with the time it arrived."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream = stream
        self.lines = []

    def run(self):
        for line in self.stream:
            self.lines.append((time.time(), line.rstrip("\n")))


def case_stream():
    scratch = harness.scratch_dir()
    try:
        core, exe, truth = make_core(scratch)
        items = truth["items"]
        r = subprocess.run([harness.LLDB, "-b", "--no-use-colors", "-c", core, exe, "-o", "plugin load " + harness.PLUGIN,
                            "-o", "dumpheap -stat -noprogress -type Grower.Item"],
                           capture_output=True, text=True, env=lldb_env(), timeout=600)
        item_mt = mt_of(r.stdout, "Grower.Item")
        if not check(item_mt is not None, "Grower.Item in dumpheap -stat:\n" + r.stdout + r.stderr):
            return
        stream_batch(core, exe, items, item_mt)
        capture_sb(core, exe, items, item_mt)
    finally:
        harness.cleanup(scratch)


def stream_batch(core, exe, items, mt):
    """lldb -b: the listing streams, memory stays flat, progress only on stderr."""
    date = "platform shell date +MARK%s.%N"
    hwm = "platform shell grep VmHWM /proc/$PPID/status"
    env = lldb_env()
    # Progress at once: it must still stay out of the output.
    args = [harness.LLDB, "-b", "--no-use-colors", "-c", core, exe, "-o", "plugin load " + harness.PLUGIN,
            "-o", "clrsos settings progress-after-ms 0",
            "-o", date, "-o", "dumpheap -stat -mt " + mt, "-o", date, "-o", hwm,
            "-o", date, "-o", "dumpheap -short -mt " + mt, "-o", date, "-o", hwm]
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    out, err = Reader(p.stdout), Reader(p.stderr)
    out.start()
    err.start()
    p.wait(timeout=900)
    out.join()
    err.join()
    lines = out.lines
    print("stdout: %d lines; stderr:\n%s" % (len(lines), "\n".join(l for _, l in err.lines)[-3000:]), flush=True)
    marks = [float(l[len("MARK"):]) for _, l in lines if l.startswith("MARK")]
    peaks = [int(l.split()[1]) for _, l in lines if l.startswith("VmHWM:")]
    rows = [(t, l) for t, l in lines if re.fullmatch(r"[0-9a-f]{12,16}", l)]
    if not check(len(marks) == 4 and len(peaks) == 2, "lldb -b ran every command:\n%s" %
                 "\n".join(l for _, l in lines if not re.fullmatch(r"[0-9a-f]{12,16}", l))):
        return
    walk = marks[1] - marks[0]
    whole = marks[3] - marks[2]
    first = rows[0][0] - marks[2] if rows else None
    print("a walk (dumpheap -stat -mt): %.2f s; the listing: first row after %s s, all %d rows in %.2f s; "
          "peak RSS %d kB after the walk, %d kB after the listing" %
          (walk, "%.2f" % first if first is not None else "-", len(rows), whole, peaks[0], peaks[1]), flush=True)
    check(len(rows) == items, "dumpheap -short -mt: %d rows, the target has %d Items" % (len(rows), items))
    check(first is not None and first < walk / 2,
          "the first row came %s s into the listing: not before half a walk of the heap (%.2f s)" % (first, walk))
    check(peaks[1] - peaks[0] < 64 * 1024,
          "lldb's peak memory grew by %d kB over %d rows (at most 64 MB)" % (peaks[1] - peaks[0], len(rows)))
    stdout = "\n".join(l for _, l in lines)
    stderr = "\n".join(l for _, l in err.lines)
    check("heap walked" in stderr, "progress on the error stream")
    check(re.search(r"\d+% of \d+ MB", stdout) is None, "no progress in the output")


def capture_sb(core, exe, items, mt):
    """Scripts read the result object: every row is there, and none on lldb's output."""
    child = subprocess.run([sys.executable, __file__, "sb-child", core, exe, mt],
                           capture_output=True, text=True, env=sb_child_env(), timeout=900)
    print(child.stdout[-2000:] + child.stderr[-2000:], flush=True)
    m = re.search(r"^captured (\d+) rows, (\d+) on the output, progress in result: (\w+)$", child.stdout, re.M)
    if check(m is not None, "the SB API child reported"):
        check(int(m.group(1)) == items, "SBCommandInterpreter.HandleCommand captured %s rows of %d" % (m.group(1), items))
        check(m.group(3) == "False", "no progress in the captured result")
        check(int(m.group(2)) == 0, "HandleCommand: %s rows went to lldb's output instead of the result" % m.group(2))
    # `script` inside lldb (lldb's own Python): the result object gets the rows, the terminal none.
    r = subprocess.run([harness.LLDB, "-b", "--no-use-colors", "-c", core, exe, "-o", "plugin load " + harness.PLUGIN,
                        "-o", "script r = lldb.SBCommandReturnObject(); "
                        "lldb.debugger.GetCommandInterpreter().HandleCommand('dumpheap -short -mt %s', r); "
                        "print('captured %%d rows' %% len(r.GetOutput().split()))" % mt],
                       capture_output=True, text=True, env=lldb_env(), timeout=900)
    rows = len(re.findall(r"^[0-9a-f]{12,16}$", r.stdout, re.M))
    m = re.search(r"^captured (\d+) rows$", r.stdout, re.M)
    print("script HandleCommand: %s; rows on lldb's output: %d" % (m.group(0) if m else r.stdout[-1000:], rows))
    check(m is not None and int(m.group(1)) == items, "`script` HandleCommand captured every row: %s"
          % (m.group(0) if m else r.stdout[-500:] + r.stderr[-500:]))
    check(rows == 0, "`script` HandleCommand: %d rows went to lldb's output instead of the result" % rows)


def sb_child_env():
    import test_session
    return test_session.sb_env()


def sb_child(core, exe, mt):
    """In a child: lldb's Python module, the command through HandleCommand."""
    import test_session
    lldb = test_session.import_lldb()
    lldb.SBDebugger.Initialize()
    dbg = lldb.SBDebugger.Create(False)
    dbg.SetAsync(False)
    ci = dbg.GetCommandInterpreter()
    ro = lldb.SBCommandReturnObject()
    ci.HandleCommand("target create %s --core %s" % (exe, core), ro)
    ro = lldb.SBCommandReturnObject()
    ci.HandleCommand("plugin load " + harness.PLUGIN, ro)
    if not ro.Succeeded():
        print("plugin load failed: " + (ro.GetError() or ""))
        return
    # What lldb writes to its own output meanwhile (nothing of the command's).
    path = os.path.join(os.path.dirname(core), "sb-output")
    f = open(path, "w")
    dbg.SetOutputFileHandle(f, False)
    os.environ["CLRSOS_PROGRESS_AFTER_MS"] = "0"
    ro = lldb.SBCommandReturnObject()
    ci.HandleCommand("dumpheap -short -mt " + mt, ro)
    f.flush()
    out = ro.GetOutput() or ""
    leaked = len(re.findall(r"^[0-9a-f]{12,16}$", open(path).read(), re.M))
    rows = len(re.findall(r"^[0-9a-f]{12,16}$", out, re.M))
    print("captured %d rows, %d on the output, progress in result: %s" % (rows, leaked, "heap walked" in out))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "sb-child":
        sb_child(*sys.argv[2:5])
    else:
        harness.run_case({"interrupt": case_interrupt, "stream": case_stream})
