"""SOS's host commands (sos modules, threads, registers, logopen/logclose,
logging, sethostruntime, setsymbolserver) against what lldb itself says.

usage: test_hostcmds.py <live|core>

On the Lines target (blocked in native code), live and on a full core:
- sos modules: libcoreclr.so at the base lldb's `image list` gives, with the
  image size its ELF program headers (read here from the file) map from the
  file, as SOS counts it; -n,
  -a and -v; an address in no module is a one-line error.
- sos threads: the threads of lldb's `thread list`, '*' on the selected one;
  -v: the selected thread's IP, SP, FP equal lldb's rip, rsp, rbp; `sos
  threads 1` selects the second one (lldb's `thread list` then marks it).
- sos registers: each register equals lldb's `register read`; lldb's own
  abbreviation `reg` still works (the command is not a top-level name).
- logopen/logclose: the file holds what the commands between printed;
  a directory or a symbolic link is refused in one line.
- sethostruntime, setsymbolserver and logging accept SOS's forms and say
  in one line what clrsos does instead.
"""
import os
import re
import struct
import sys

import harness

check = harness.check


def elf_image_span(path):
    """First loaded page to the end of the last PT_LOAD segment's file bytes, page-rounded (SOS's ImageSize)."""
    with open(path, "rb") as f:
        data = f.read(1 << 16)
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    lo, hi = None, 0
    for i in range(phnum):
        p_type, _, _, vaddr, _, filesz, _, _ = struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == 1:
            lo = vaddr & ~0xfff if lo is None else min(lo, vaddr & ~0xfff)
            hi = max(hi, vaddr + filesz)
    return ((hi - lo) + 0xfff) & ~0xfff


def run(mode):
    directory = harness.scratch_dir()
    log = os.path.join(directory, "console.log")
    os.symlink(log, os.path.join(directory, "link.log"))
    commands = ["image list", "sos modules", "sos modules -v", "sos modules -n COREclr", "sos modules --json",
                "sos modules -a 0x10", "thread list", "sos threads", "sos threads -v", "register read",
                "sos registers", "sos registers --json", "reg read rip",
                "sos logopen %s" % log, "sos threads --json", "clrsos threads", "sos logclose",
                "sos logopen %s" % directory, "sos logopen %s" % os.path.join(directory, "link.log"),
                "sos logopen",
                "sethostruntime", "sethostruntime -netcore /usr/share/dotnet", "SetSymbolServer -ms -timeout 10 -loadsymbols",
                "setsymbolserver -nosuchoption", "logging --disable", "sos logging /tmp/x.diaglog",
                "sos threads 1", "thread list", "sos threads 99999", "sos threads -t 1"]
    try:
        with harness.Target("Lines", args=["native"], stdin=True) as t:
            if mode == "live":
                tr = harness.lldb(commands, pid=t.pid)
            else:
                core = harness.make_core(t, "full", directory)
                tr = harness.lldb(commands, core=core, exe=t.exe)
        logged = open(log).read() if os.path.exists(log) else None
    finally:
        harness.cleanup(directory)

    # modules
    m = re.search(r"(0x[0-9a-f]+) (\S*/libcoreclr\.so)\s*$", tr.text_of("image list"), re.M)
    if not m:
        raise harness.Failure("image list: no libcoreclr.so:\n%s" % tr.text_of("image list"))
    base, path = int(m.group(1), 16), m.group(2)
    size = elf_image_span(path)
    text = tr.text_of("sos modules")
    want = "%016X %08X %s" % (base, size, path)
    check(want in text.splitlines(), "sos modules: no line %r:\n%s" % (want, text))
    check(re.search(r"^Total image size: \d+$", text, re.M), "sos modules: no total:\n%s" % text)
    check(tr.text_of("sos modules -n COREclr").splitlines()[:1] == [want],
          "sos modules -n: %r" % tr.text_of("sos modules -n COREclr"))
    verbose = tr.text_of("sos modules -v")
    check(re.search(r"^\d+ %s\n    Address:         %016X\n    ImageSize:       %08X\n" % (re.escape(path), base, size),
                    verbose, re.M), "sos modules -v: libcoreclr.so's entry:\n%s" % verbose[:3000])
    j = [x for x in tr.json("sos modules --json")["modules"] if x["path"] == path]
    check(len(j) == 1 and harness.parse_hex(j[0]["address"]) == base and j[0]["imageSize"] == size,
          "sos modules --json: %r" % j)
    check(tr.error("sos modules -a 0x10") is not None and len(tr.output("sos modules -a 0x10")) == 1,
          "sos modules -a 0x10: %r" % tr.output("sos modules -a 0x10"))

    # threads
    lldb_threads = re.findall(r"^(\*| ) thread #(\d+): tid = (\d+)", tr.text_of("thread list"), re.M)
    ours = re.findall(r"^(\*| )(\d+) 0x([0-9A-F]{4,}) \((\d+)\)$", tr.text_of("sos threads"), re.M)
    check(len(ours) == len(lldb_threads) > 0, "sos threads: %d threads, lldb %d" % (len(ours), len(lldb_threads)))
    for (star, index, hx, dec), (lstar, _, tid) in zip(ours, lldb_threads):
        check(int(hx, 16) == int(dec) == int(tid) and star == lstar,
              "sos threads: %r against lldb's %r" % ((star, index, hx, dec), (lstar, tid)))
    regs = {k: int(v, 16) for k, v in re.findall(r"^\s+(\w+) = 0x([0-9a-f]+)", tr.text_of("register read"), re.M)}
    v = re.search(r"^\*\d+ .*\n    IP  0x([0-9A-F]{16})\n    SP  0x([0-9A-F]{16})\n    FP  0x([0-9A-F]{16})$",
                  tr.text_of("sos threads -v"), re.M)
    check(v and [int(x, 16) for x in v.groups()] == [regs["rip"], regs["rsp"], regs["rbp"]],
          "sos threads -v: the selected thread's IP/SP/FP against lldb's %r:\n%s" % (
              [regs.get(r) for r in ("rip", "rsp", "rbp")], tr.text_of("sos threads -v")))
    check(tr.error("sos threads 1") is None, "sos threads 1: %r" % tr.error("sos threads 1"))
    after = re.findall(r"^\* thread #(\d+): tid = (\d+)", tr.text_of("thread list", 1), re.M)
    check(len(ours) > 1 and after and int(after[0][1]) == int(ours[1][3]),
          "sos threads 1 did not select the list's second thread: %r" % after)
    for bad in ("sos threads 99999", "sos threads -t 1"):
        check(tr.error(bad) is not None and len(tr.output(bad)) == 1, "%s: %r" % (bad, tr.output(bad)))

    # registers
    ours = {k: int(v, 16) for k, v in re.findall(r"^(\w+) = 0x([0-9A-F]+)$", tr.text_of("sos registers"), re.M)}
    for r in ("rip", "rsp", "rbp", "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r15"):
        check(ours.get(r) == regs.get(r), "sos registers: %s %r, lldb %r" % (r, ours.get(r), regs.get(r)))
    check(re.search(r"^rip = 0x[0-9A-F]{16}$", tr.text_of("sos registers"), re.M), "sos registers: rip's layout")
    rj = tr.json("sos registers --json")["registers"]
    check(harness.parse_hex(rj["rip"]) == regs["rip"], "sos registers --json: rip %r" % rj.get("rip"))
    check(re.search(r"rip = 0x0*%x" % regs["rip"], tr.text_of("reg read rip")), "reg read rip: lldb's abbreviation broke:\n%s"
          % tr.text_of("reg read rip"))

    # logopen / logclose
    check(tr.text_of("sos logopen %s" % log) == "Console is logging to %s" % log,
          "logopen: %r" % tr.text_of("sos logopen %s" % log))
    check(tr.text_of("sos logclose") == "Console logging is disabled", "logclose: %r" % tr.text_of("sos logclose"))
    want_log = "\n".join(["Console is logging to %s" % log] + tr.output("sos threads --json") +
                         tr.output("clrsos threads")) + "\n"
    check(logged == want_log, "the log holds %r, not %r" % (logged, want_log))
    for bad in ("sos logopen %s" % directory, "sos logopen %s" % os.path.join(directory, "link.log")):
        check(tr.error(bad) is not None and len(tr.output(bad)) == 1, "%s: %r" % (bad, tr.output(bad)))
    check(tr.text_of("sos logopen") == "Console logging is disabled", "logopen (status): %r" % tr.text_of("sos logopen"))

    # accepted, one line each
    for c in ("sethostruntime", "sethostruntime -netcore /usr/share/dotnet",
              "SetSymbolServer -ms -timeout 10 -loadsymbols", "logging --disable", "sos logging /tmp/x.diaglog"):
        check(tr.error(c) is None and len(tr.output(c)) == 1, "%s: %r" % (c, tr.output(c)))
    check(tr.error("setsymbolserver -nosuchoption") is not None, "setsymbolserver takes an unknown option")


if __name__ == "__main__":
    try:
        run(sys.argv[1])
    except harness.Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
    harness.finish()
