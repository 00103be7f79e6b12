"""Never crash, never lie on a bad core: real cores, damaged on purpose.

usage: test_corrupt.py <case>
  bitflips, zeroed-mt, size-past-segment, segment-cycle, handle-garbage,
  stack-missing, heap-missing, truncated-10, truncated-50, truncated-90, bad-refs
(CLRSOS_KEEP_CORE=1 keeps the scratch directory with the damaged core.)

Each case takes a createdump --full core of HeapShapes (workstation GC with
segments, so that there are segment lists), asks the good core where things
are (eeheap, gchandles, dumpheap), damages the core with a small ELF core
editor (below: virtual address -> file offset through the PT_LOAD segments,
bytes written there, program headers edited), then runs every clrsos command
on it. Each lldb run must end within a time limit (a hang is a failure) and
without a crash (the harness fails on one); each command either succeeds or
fails with ONE `error:` line; where the damage allows a precise claim (the
address of a zeroed MethodTable in dumpheap's warning, exact counts of
untouched types) it is asserted.
"""

import contextlib
import io
import json
import os
import random
import re
import struct
import subprocess
import sys
import time

import harness
from harness import check

CONFIG = "wks-segments"
TIMEOUT = 120          # one lldb run on a damaged core
MAX_LINES = 200000     # more output than this from one command is "endless"
CASE_BUDGET = 450      # seconds; the rest of ctest's 600 is for the target and the core

# ---------------------------------------------------------------------------
# A small ELF64 core editor (little-endian x86-64 cores).

PT_LOAD, PT_NOTE = 1, 4
NT_PRSTATUS = 1
PHDR = struct.Struct("<IIQQQQQQ")  # type flags offset vaddr paddr filesz memsz align


class Phdr:
    def __init__(self, index, fields):
        (self.type, self.flags, self.offset, self.vaddr, self.paddr,
         self.filesz, self.memsz, self.align) = fields
        self.index = index

    def pack(self):
        return PHDR.pack(self.type, self.flags, self.offset, self.vaddr, self.paddr,
                         self.filesz, self.memsz, self.align)

    def __repr__(self):
        return "phdr[%d] type %d vaddr 0x%x memsz 0x%x offset 0x%x filesz 0x%x" % (
            self.index, self.type, self.vaddr, self.memsz, self.offset, self.filesz)


class CoreFile:
    """An ELF64 core opened for editing in place."""

    def __init__(self, path):
        self.path = path
        self.f = open(path, "r+b")
        ident = self.f.read(64)
        if ident[:4] != b"\x7fELF" or ident[4] != 2 or ident[5] != 1:
            raise harness.Failure("%s is not a little-endian ELF64 file" % path)
        e_type, = struct.unpack_from("<H", ident, 0x10)
        if e_type != 4:
            raise harness.Failure("%s is not a core (e_type %d)" % (path, e_type))
        self.phoff, = struct.unpack_from("<Q", ident, 0x20)
        self.phentsize, self.phnum = struct.unpack_from("<HH", ident, 0x36)
        self.phdrs = []
        for i in range(self.phnum):
            self.f.seek(self.phoff + i * self.phentsize)
            self.phdrs.append(Phdr(i, PHDR.unpack(self.f.read(PHDR.size))))

    def close(self):
        self.f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def loads(self):
        return [p for p in self.phdrs if p.type == PT_LOAD]

    def load_covering(self, vaddr):
        for p in self.loads():
            if p.vaddr <= vaddr < p.vaddr + p.memsz:
                return p
        return None

    def offset_of(self, vaddr, size=1):
        """File offset of [vaddr, vaddr + size), or None if the core lacks any of it."""
        p = self.load_covering(vaddr)
        if p is None or vaddr + size > p.vaddr + p.filesz:
            return None
        return p.offset + (vaddr - p.vaddr)

    def read(self, vaddr, size):
        off = self.offset_of(vaddr, size)
        if off is None:
            raise harness.Failure("0x%x (+%d) is not in the core" % (vaddr, size))
        self.f.seek(off)
        return self.f.read(size)

    def write(self, vaddr, data):
        off = self.offset_of(vaddr, len(data))
        if off is None:
            raise harness.Failure("0x%x (+%d) is not in the core" % (vaddr, len(data)))
        self.f.seek(off)
        self.f.write(data)

    def read_u64(self, vaddr):
        return struct.unpack("<Q", self.read(vaddr, 8))[0]

    def write_u64(self, vaddr, value):
        self.write(vaddr, struct.pack("<Q", value))

    def write_phdr(self, p):
        self.f.seek(self.phoff + p.index * self.phentsize)
        self.f.write(p.pack())

    def notes(self):
        """(name, type, desc) of every note in the PT_NOTE segments."""
        out = []
        for p in self.phdrs:
            if p.type != PT_NOTE:
                continue
            self.f.seek(p.offset)
            data = self.f.read(p.filesz)
            pos = 0
            while pos + 12 <= len(data):
                namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
                pos += 12
                name = data[pos:pos + namesz].rstrip(b"\0").decode("latin-1")
                pos += (namesz + 3) & ~3
                out.append((name, ntype, data[pos:pos + descsz]))
                pos += (descsz + 3) & ~3
        return out

    def thread_sps(self):
        """{thread id: rsp} from the NT_PRSTATUS notes (x86-64 elf_prstatus:
        pr_pid at 32, pr_reg at 112; rsp is register 19 of user_regs_struct)."""
        sps = {}
        for name, ntype, desc in self.notes():
            if name == "CORE" and ntype == NT_PRSTATUS and len(desc) >= 112 + 27 * 8:
                tid, = struct.unpack_from("<I", desc, 32)
                rsp, = struct.unpack_from("<Q", desc, 112 + 19 * 8)
                sps[tid] = rsp
        return sps


# ---------------------------------------------------------------------------
# Running lldb on a damaged core.

class Session:
    """One case: the good core, what it says, and runs on the damaged one."""

    def __init__(self, directory):
        self.started = time.time()
        self.directory = directory
        self.core, self.exe, self.truth = harness.core_of_finished(
            "HeapShapes", "full", directory, env=harness.GC_CONFIGS[CONFIG], writable=True)
        self.save_file = os.path.join(directory, "saved-histogram.json")
        good = self.run(["eeheap -gc --json", "gchandles --json", "clrthreads --json",
                         "dumpheap -stat --json", "help dumpheap"], what="the good core")
        for c in ("eeheap -gc --json", "gchandles --json", "clrthreads --json", "dumpheap -stat --json"):
            if good.error(c) is not None:
                raise harness.Failure("%r fails on the good core: %s" % (c, good.error(c)))
        self.heap = good.json("eeheap -gc --json")
        self.handles = good.json("gchandles --json")
        self.threads = good.json("clrthreads --json")
        self.baseline = good.json("dumpheap -stat --json")
        self.has_save = "--save" in good.text_of("help dumpheap")

    def types(self):
        return self.truth["dumpheap"]["types"]

    def open_core(self):
        return CoreFile(self.core)

    def run(self, commands, core=None, what="the damaged core"):
        """Run the commands in one lldb; if it hangs or crashes, run each alone
        to tell which one did (each is then reported as a failure)."""
        core = core or self.core
        commands = unique(commands)
        t0 = time.time()
        try:
            tr = harness.lldb(commands, core=core, exe=self.exe, timeout=TIMEOUT)
            print("[%s: %d commands in %.1f s]" % (what, len(commands), time.time() - t0), flush=True)
            return tr
        except subprocess.TimeoutExpired as e:
            partial = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            started = [l for l in partial.splitlines() if l.startswith("(lldb) ")]
            check(False, "%s: lldb did not finish in %d s (hang); last command started: %s" %
                  (what, TIMEOUT, started[-1] if started else "none"))
        except harness.Failure as e:
            check(False, "%s: %s" % (what, str(e)[:3000]))
        # One command per lldb, to name the culprit(s) and still check the rest.
        texts = []
        for c in commands:
            if time.time() - self.started > CASE_BUDGET:
                check(False, "out of time before running %r alone" % c)
                break
            t1 = time.time()
            try:
                texts.append(harness.lldb([c], core=core, exe=self.exe, timeout=TIMEOUT).text)
            except subprocess.TimeoutExpired:
                check(False, "%r: lldb did not finish in %d s (hang)" % (c, TIMEOUT))
            except harness.Failure as e:
                check(False, "%r: %s" % (c, str(e)[:3000]))
            print("[%r alone: %.1f s]" % (c, time.time() - t1), flush=True)
        return harness.Transcript("\n".join(texts))


def block(tr, command):
    """The command's output lines, or None if it did not run to the end (already a failure)."""
    hits = [lines for cmd, lines in tr.blocks if cmd == command]
    if not hits:
        check(False, "%r: no output (lldb died or hung before it finished)" % command)
        return None
    return hits[0]


def check_command(tr, command, max_lines=MAX_LINES):
    """Output, or exactly one error line, last in the command's output; bounded.
    Returns the error text, None on success, or False if the command did not finish."""
    lines = block(tr, command)
    if lines is None:
        return False
    check(len(lines) <= max_lines, "%r: %d lines of output (endless?)" % (command, len(lines)))
    errors = [i for i, l in enumerate(lines) if l.startswith("error: ")]
    if not errors:
        return None
    check(len(errors) == 1, "%r: %d error lines: %r" % (command, len(errors),
                                                         [lines[i] for i in errors][:5]))
    after = [l for l in lines[errors[0] + 1:] if l.strip()]
    check(not after, "%r: the error runs over more than one line: %r" % (command, lines[errors[0]:][:6]))
    msg = lines[errors[0]][len("error: "):]
    check(msg.strip() != "", "%r: an empty error" % command)
    return msg


def json_of(tr, command):
    lines = block(tr, command)
    if lines is None:
        return None
    for l in lines:
        if l.startswith("{"):
            try:
                return json.loads(l)
            except ValueError as e:
                check(False, "%r: invalid JSON: %s" % (command, e))
                return None
    return None


def standard_commands(s):
    """Every clrsos command, on objects the target's truth names."""
    t = s.truth
    o = t["objects"]
    roots = {r["name"]: r for r in t["dumpheap"]["liveRoots"]}
    cmds = [
        "eeversion",
        "eeheap -gc",
        "dumpheap -stat",
        "dumpheap -live -stat",
        "dumpheap -strings",
        "dumpheap -type HeapShapes",
        "dumpobj %s" % o["allFields"]["address"],
        "dumparray %s" % o["arrays"]["ints"]["address"],
        "dumpstring %s" % o["strings"]["ascii"]["address"],
        "gcroot %s" % roots["firstCustomer"]["address"],
        "objsize %s" % t["roots"]["objsize"]["tree"]["address"],
        "gchandles",
        "finalizequeue",
        "clrthreads",
        "clrstack -all",
        "dso",
        "verifyheap",
        "verifyobj %s" % o["allFields"]["address"],
    ]
    if s.has_save:
        cmds.append("dumpheap -stat --save %s" % s.save_file)
    return cmds


def unique(commands):
    seen = set()
    return [c for c in commands if not (c in seen or seen.add(c))]


def check_all(tr, commands):
    """The generic promise for every command; returns {command: error or None}."""
    return {c: check_command(tr, c) for c in commands}


def output_size(tr, command):
    lines = block(tr, command) or []
    return len(lines), sum(len(l) + 1 for l in lines)


def check_save(s, tr, errors):
    """A save either wrote a whole histogram file or none."""
    if not s.has_save:
        print("dumpheap has no --save here: not checked")
        return
    c = "dumpheap -stat --save %s" % s.save_file
    if errors.get(c) is False:
        return
    if errors.get(c) is None:
        try:
            saved = json.load(open(s.save_file))
            check(saved.get("format") == "clrsos-heap-histogram", "%r: the file is not a histogram" % c)
        except (OSError, ValueError) as e:
            check(False, "%r succeeded but the file is unreadable: %s" % (c, e))
    else:
        check(not os.path.exists(s.save_file), "%r failed but left a file" % c)



def run_all(s, extra, core=None):
    """The standard commands and extra ones on the damaged core: (transcript, errors by command)."""
    commands = unique(standard_commands(s) + extra)
    tr = s.run(commands, core=core) if core else s.run(commands)
    errors = check_all(tr, commands)
    check_save(s, tr, errors)
    return tr, errors


def check_problem_at(stat, addr, what, skipped, label):
    """The walk reported a problem at addr whose text has what, skipping exactly skipped bytes."""
    mine = [p for p in problems(stat) if harness.parse_hex(p["address"]) == addr]
    if check(mine, "dumpheap -stat: no problem at the %s 0x%x: %s" % (label, addr, problems(stat)[:5])):
        check(what in mine[0]["what"], "the problem at 0x%x: %r" % (addr, mine[0]["what"]))
        check(mine[0]["skipped"] == skipped,
              "skipped %d bytes at 0x%x, the %s had %d" % (mine[0]["skipped"], addr, label, skipped))


def segments(s):
    return [seg for heap in s.heap["heaps"] for seg in heap["segments"]]


def addr_re(address):
    """A regex matching an address as clrsos prints it (bare hex or 0x-prefixed, any padding)."""
    return r"(?<![0-9a-fA-F])(0x)?0*%x(?![0-9a-fA-F])" % address


def mentions(text, address):
    return re.search(addr_re(address), text, re.I) is not None


def counts_by_mt(result):
    return {harness.parse_hex(r["mt"]): r["count"] for r in result["statistics"]}


def names_by_mt(result):
    return {harness.parse_hex(r["mt"]): r["type"] for r in result["statistics"]}


def compare_counts(result, baseline, what, except_mts=()):
    """Every type's count equals the good core's, but those named."""
    if result is None:
        check(False, "%s: no result" % what)
        return
    got, want, names = counts_by_mt(result), counts_by_mt(baseline), names_by_mt(baseline)
    names.update(names_by_mt(result))
    wrong = [(names.get(mt, hex(mt)), got.get(mt, 0), want.get(mt, 0))
             for mt in set(got) | set(want)
             if mt not in except_mts and got.get(mt, 0) != want.get(mt, 0)]
    check(not wrong, "%s: counts differ from the good core's (type, now, before): %s" % (what, wrong[:20]))


def compare_listed(s, result, what, except_names=(), field="count"):
    """The target's listed types: exact counts (or live counts) from its truth."""
    if result is None:
        check(False, "%s: no result" % what)
        return
    got = counts_by_mt(result)
    for name, t in s.types().items():
        if name in except_names:
            continue
        n = got.get(harness.parse_hex(t["mt"]), 0) if t["mt"] else 0
        check(n == t[field], "%s: %d %s, the target says %d" % (what, n, name, t[field]))


def problems(result):
    return (result or {}).get("problems", [])


HEADER_FAILURES = ("InvalidMethodTable", "ObjectTooLarge", "CouldNotReadObject")


def verify_errors(tr, errors, command):
    """verifyheap's (or verifyobj's) --json errors on a damaged core: it must
    fail (the heap is corrupt) with its whole answer; None if it did not answer."""
    v = json_of(tr, command)
    e = errors.get(command)
    if e is False or v is None:
        check(False, "%r gave no JSON answer: %r" % (command, e))
        return None
    if check(e and "corrupt" in e, "%r did not fail as corrupt: %r" % (command, e)):
        check(v.get("errorCount", 0) > 0 and v.get("errors"), "%r: no errors listed: %s" % (command, v))
    return v


def check_verify_header(tr, errors, addr, failure, allowed_refs):
    """verifyheap finds the damaged header at addr (failure), and nothing else
    but references to addresses in allowed_refs (the objects the damage hid)."""
    v = verify_errors(tr, errors, "verifyheap --max 100000 --json")
    if v is None:
        return
    mine = [x for x in v["errors"] if harness.parse_hex(x["object"]) == addr]
    if check(mine, "verifyheap: no error at the damaged object 0x%x: %s" % (addr, v["errors"][:5])):
        check(mine[0]["failure"] == failure, "verifyheap at 0x%x: %s, want %s" % (addr, mine[0], failure))
    other = [x for x in v["errors"] if harness.parse_hex(x["object"]) != addr and
             not (x["failure"] == "InvalidObjectReference" and harness.parse_hex(x["value"]) in allowed_refs)]
    check(not other, "verifyheap: errors besides the damage at 0x%x: %s" % (addr, other[:5]))
    check(v["errorCount"] == len(v["errors"]), "verifyheap: %d errors, %d listed" %
          (v["errorCount"], len(v["errors"])))
    text = "\n".join(block(tr, "verifyheap") or [])
    check(re.search(r"^[0-9a-f]+\s+%s\s+%s\s+" % (addr_re(addr)[len("(?<![0-9a-fA-F])"):], failure), text,
                    re.M | re.I), "verifyheap's text has no %s row for 0x%x" % (failure, addr))
    check(re.search(r"^[,0-9]+ objects verified, %s errors?\.$" % "{:,}".format(v["errorCount"]), text, re.M),
          "verifyheap's text does not count %d errors" % v["errorCount"])
    check("No heap corruption detected" not in text, "verifyheap says no corruption on a damaged heap")
    o = verify_errors(tr, errors, "verifyobj 0x%x --json" % addr)
    if o is not None and o.get("errors"):
        check(o["errors"][0]["failure"] == failure and not o["valid"], "verifyobj 0x%x: %s" % (addr, o))
    e = errors.get("verifyobj 0x%x" % addr)
    check(e and mentions(e, addr), "verifyobj 0x%x: error %r" % (addr, e))


VERIFY_ON = lambda addr: ["verifyheap --max 100000 --json", "verifyobj 0x%x --json" % addr, "verifyobj 0x%x" % addr]


# ---------------------------------------------------------------------------
# The cases.

def case_bitflips(s):
    rng = random.Random(2000)
    ranges = [(harness.parse_hex(seg["begin"]), harness.parse_hex(seg["allocated"])) for seg in segments(s)]
    ranges = [(lo, hi) for lo, hi in ranges if hi > lo]
    total = sum(hi - lo for lo, hi in ranges)
    # The objects of the good core, to know which flips hit a MethodTable
    # word or an array's length (its transcript is not worth logging).
    with contextlib.redirect_stdout(io.StringIO()):
        tr_objects = s.run(["dumpheap --json"], what="the good core (objects)")
    objects = json_of(tr_objects, "dumpheap --json")["objects"]
    starts = {harness.parse_hex(o["address"]): o for o in objects}
    flips = []
    for _ in range(2000):
        pos = rng.randrange(total)
        for lo, hi in ranges:
            if pos < hi - lo:
                flips.append((lo + pos, rng.randrange(8)))
                break
            pos -= hi - lo
    # Objects whose MethodTable word gets a flip above the mark bits (0-2):
    # no valid MethodTable any more (bits toggled back excepted). An array or
    # string whose length grows but stays inside its segment is a plausible
    # bigger object that may hide what follows: what it covers is excused.
    hit, grown = {}, []
    with s.open_core() as core:
        flips = [(a, b) for a, b in flips if core.offset_of(a) is not None]
        lengths = {}
        for addr, bit in flips:
            word = addr & ~7
            n = (addr - word) * 8 + bit
            if word in starts and n >= 3:
                hit[word] = hit.get(word, 0) ^ (1 << n)
            o = starts.get(word - 8)
            if o and n < 32 and (o["type"].endswith("]") or o["type"] in ("System.String", "Free")):
                lengths.setdefault(word - 8, struct.unpack("<I", core.read(word, 4))[0])
                lengths[word - 8] ^= 1 << n
        for a, new_length in lengths.items():
            o = starts[a]
            old_length = struct.unpack("<I", core.read(a + 8, 4))[0]
            if new_length <= old_length:
                continue
            # The element size: exact for strings and free space; for arrays
            # the sizes that give the object's size from its length.
            if o["type"] == "System.String":
                per = [2]
            elif o["type"] == "Free":
                per = [1]
            else:
                per = [c for c in range(1, 257) if old_length and (24 + old_length * c + 7) & ~7 == o["size"]]
                per = per or [1, 256]
            seg_end = next(hi for lo, hi in ranges if lo <= a < hi)
            growth = new_length - old_length
            if a + o["size"] + growth * min(per) <= seg_end:
                grown.append((a, min(seg_end, a + o["size"] + growth * max(per))))
        for addr, bit in flips:
            b = core.read(addr, 1)[0] ^ (1 << bit)
            core.write(addr, bytes([b]))
    print("%d bits flipped over %d bytes of objects" % (len(flips), total))
    bad_mt = sorted(a for a, mask in hit.items() if mask and not any(lo < a < hi for lo, hi in grown))
    print("%d objects had their MethodTable word damaged (%d lengths grew inside their segment)" %
          (len(bad_mt), len(grown)))

    roots = s.truth["dumpheap"]["liveRoots"]
    extra = ["dumpheap -stat --json", "dumpheap -live -stat --json"]
    for r in roots:
        extra += ["gcroot %s" % r["address"], "dumpobj %s" % r["address"]]
    extra += ["objsize %s" % r["address"] for r in roots[:3]]
    extra += ["verifyheap --max 1000000 --json"]
    tr, errors = run_all(s, extra)
    v = verify_errors(tr, errors, "verifyheap --max 1000000 --json")

    stat = json_of(tr, "dumpheap -stat --json")
    if errors.get("dumpheap -stat --json") is None and stat:
        check(stat["totalObjects"] > 0, "dumpheap -stat reports no object at all")
        probs = problems(stat)
        text = "\n".join(block(tr, "dumpheap -stat") or [])
        if probs:
            check("Warning:" in text, "dumpheap -stat has problems in JSON but no Warning in text")
            for p in probs[:20]:
                check(mentions(text, harness.parse_hex(p["address"])),
                      "dumpheap -stat's warning does not list %s" % p["address"])
        for p in probs:
            a = harness.parse_hex(p["address"])
            check(any(lo <= a < hi for lo, hi in ranges), "problem at %s is outside every segment" % p["address"])
        # Never lie: no object whose MethodTable word was damaged is counted
        # as an object; each lies in a place the warning names.
        if len(probs) == stat.get("problemCount", len(probs)):
            spans = [(harness.parse_hex(p["address"]), harness.parse_hex(p["address"]) + p["skipped"])
                     for p in probs]
            missed = [a for a in bad_mt if not any(lo <= a < max(hi, lo + 1) for lo, hi in spans)]
            check(not missed, "objects with a damaged MethodTable not among the problems: %s" %
                  ["0x%x" % a for a in missed[:10]])
            check(not bad_mt or probs, "%d MethodTables damaged, no problem reported" % len(bad_mt))
        else:
            print("problems listed: %d of %d; damaged MethodTables not matched one by one" %
                  (len(probs), stat["problemCount"]))
        # verifyheap: the same walk's problems, each an error at its address.
        if v is not None:
            headers = {harness.parse_hex(x["object"]) for x in v["errors"] if x["failure"] in HEADER_FAILURES}
            want = {harness.parse_hex(p["address"]) for p in probs}
            check(want <= headers, "dumpheap's problems at %s are no verifyheap errors" %
                  sorted("0x%x" % a for a in want - headers)[:10])
            check(len(headers) == stat.get("problemCount", len(probs)),
                  "verifyheap: %d damaged headers, dumpheap -stat %d problems" %
                  (len(headers), stat.get("problemCount", len(probs))))
            print("verifyheap: %d errors, %d of them damaged headers (dumpheap: %d problems)" %
                  (v["errorCount"], len(headers), stat.get("problemCount", len(probs))))
            check(v["errorCount"] > len(headers), "verifyheap: no bad reference among 2000 flipped bits")
            check(v["errorCount"] == len(v["errors"]), "verifyheap: %d errors, %d listed" %
                  (v["errorCount"], len(v["errors"])))


def case_zeroed_mt(s):
    name = "HeapShapes.Box<System.Int32>"
    t = s.types()[name]
    victim = t["objects"][3]
    addr, size = harness.parse_hex(victim["address"]), victim["size"]
    with s.open_core() as core:
        check(core.read_u64(addr) & ~7 == harness.parse_hex(t["mt"]), "the victim's MT is not %s" % t["mt"])
        core.write_u64(addr, 0)
    tr, errors = run_all(s, [
        "dumpheap -stat --json",
        "dumpheap -live -stat --json",
        "dumpobj 0x%x" % addr,
        "dumpobj 0x%x --json" % addr,
        "gcroot 0x%x" % addr,
    ] + VERIFY_ON(addr))
    check_verify_header(tr, errors, addr, "InvalidMethodTable", (addr,))

    stat = json_of(tr, "dumpheap -stat --json")
    if errors.get("dumpheap -stat --json") is None and stat:
        check_problem_at(stat, addr, "MethodTable", size, "zeroed object")
        check(len(problems(stat)) == 1, "other problems reported: %s" % problems(stat)[:5])
        compare_listed(s, stat, "dumpheap -stat", except_names=(name,))
        n = counts_by_mt(stat).get(harness.parse_hex(t["mt"]), 0)
        check(n == t["count"] - 1, "%s: %d counted, %d after zeroing one" % (name, n, t["count"] - 1))
        compare_counts(stat, s.baseline, "dumpheap -stat", except_mts=(harness.parse_hex(t["mt"]),))
    text = "\n".join(block(tr, "dumpheap -stat") or [])
    check("Warning:" in text and mentions(text, addr), "dumpheap -stat's text names no 0x%x in a Warning" % addr)
    live = json_of(tr, "dumpheap -live -stat --json")
    if errors.get("dumpheap -live -stat --json") is None:
        compare_listed(s, live, "dumpheap -live -stat", except_names=(name,), field="live")
    for c in ("dumpobj 0x%x" % addr, "dumpobj 0x%x --json" % addr):
        e = errors.get(c)
        if check(e, "%r did not fail on an object without MethodTable" % c):
            check(mentions(e, addr), "%r: the error does not name 0x%x: %s" % (c, addr, e))


def case_size_past_segment(s):
    arr = s.truth["objects"]["arrays"]["ints"]
    addr = harness.parse_hex(arr["address"])
    with s.open_core() as core:
        check(struct.unpack("<I", core.read(addr + 8, 4))[0] == arr["length"], "the array's length is not %d" % arr["length"])
        core.write(addr + 8, struct.pack("<I", 0x7FFFFFFF))
    int_mt = harness.parse_hex(arr["mt"])
    tr, errors = run_all(s, [
        "dumpheap -stat --json",
        "dumpheap -live -stat --json",
        "dumparray 0x%x" % addr,
        "dumparray 0x%x --json" % addr,
        "dumpobj 0x%x" % addr,
        "objsize 0x%x" % addr,
        "gcroot 0x%x" % addr,
    ] + VERIFY_ON(addr))
    check_verify_header(tr, errors, addr, "ObjectTooLarge", (addr,))
    stat = json_of(tr, "dumpheap -stat --json")
    if errors.get("dumpheap -stat --json") is None and stat:
        check_problem_at(stat, addr, "size", arr["size"], "array")
        compare_listed(s, stat, "dumpheap -stat")
        compare_counts(stat, s.baseline, "dumpheap -stat", except_mts=(int_mt,))
        n, before = counts_by_mt(stat).get(int_mt, 0), counts_by_mt(s.baseline).get(int_mt, 0)
        check(n == before - 1, "System.Int32[]: %d counted, %d before, the bad one must not count" % (n, before))
    text = "\n".join(block(tr, "dumpheap -stat") or [])
    check("Warning:" in text and mentions(text, addr), "dumpheap -stat's text names no 0x%x in a Warning" % addr)
    live = json_of(tr, "dumpheap -live -stat --json")
    if errors.get("dumpheap -live -stat --json") is None:
        compare_listed(s, live, "dumpheap -live -stat", field="live")
    # The array's own commands: no reading 2^31 elements past its segment.
    for c in ("dumparray 0x%x" % addr, "dumparray 0x%x --json" % addr, "dumpobj 0x%x" % addr):
        lines, chars = output_size(tr, c)
        check(lines <= 1000 and chars <= 100000,
              "%r: %d lines, %d bytes of output for an array of %d elements whose length is damaged" %
              (c, lines, chars, arr["length"]))
        e = errors.get(c)
        if e:
            check(mentions(e, addr), "%r: the error does not name 0x%x: %s" % (c, addr, e))


def case_segment_cycle(s):
    segs = segments(s)
    with s.open_core() as core:
        # heap_segment (gc/gcpriv.h): allocated, committed, reserved, used, mem,
        # flags, next, ... If each record has that layout (checked against
        # what eeheap says) the next pointer is at +48; if not, it is the word
        # of a record's first 64 bytes that holds another record's address.
        records, layout = {}, True
        for seg in segs:
            a = harness.parse_hex(seg["address"])
            if core.offset_of(a, 64) is None:
                continue
            words = struct.unpack("<8Q", core.read(a, 64))
            records[a] = words
            if not (words[1] == harness.parse_hex(seg["committed"]) and
                    words[2] == harness.parse_hex(seg["reserved"]) and
                    words[4] == harness.parse_hex(seg["begin"])):
                print("segment record 0x%x lacks the heap_segment layout: %s" % (a, [hex(w) for w in words]))
                layout = False
        if layout:
            NEXT = 48
        else:
            found = sorted({i * 8 for a, w in records.items() for i, v in enumerate(w)
                            if v in records and v != a and i != 2})
            check(len(found) == 1, "cannot tell where a segment record's next pointer is: %s" % found)
            NEXT = found[0] if found else 48
        links = [(a, w[NEXT // 8]) for a, w in records.items() if w[NEXT // 8] in records]
        print("segment records: %s; next at +%d; links: %s" % (
            ["0x%x" % a for a in records], NEXT, ["0x%x -> 0x%x" % l for l in links]))
        edits = []
        if links:
            # The last of a chain points back to the first: a two-segment cycle.
            first, second = links[0]
            core.write_u64(second + NEXT, first)
            edits.append((second, first))
        # The LOH's record points to itself.
        for seg in segs:
            a = harness.parse_hex(seg["address"])
            if seg["kind"] == "loh" and a in records:
                core.write_u64(a + NEXT, a)
                edits.append((a, a))
        check(edits, "no segment record to edit")
    print("edits: %s" % ["next of 0x%x := 0x%x" % e for e in edits])
    tr, errors = run_all(s, ["eeheap -gc --json", "dumpheap -stat --json", "verifyheap --json"])
    v = json_of(tr, "verifyheap --json")
    if check(errors.get("verifyheap --json") is None and v, "verifyheap --json failed: %r" %
             errors.get("verifyheap --json")):
        check(v["errorCount"] == 0 and v["objects"] == s.baseline["totalObjects"],
              "verifyheap on the looping segment list: %d objects (the good core %d), %d errors" %
              (v["objects"], s.baseline["totalObjects"], v["errorCount"]))
    h = json_of(tr, "eeheap -gc --json")
    if errors.get("eeheap -gc --json") is None and h:
        warnings = " | ".join(h.get("warnings", []))
        check(re.search(r"loop|cycl", warnings, re.I), "eeheap -gc --json: no warning of a loop: %r" % warnings)
        for rec, _ in edits:
            check(any(mentions(w, rec) or any(mentions(w, b) for _, b in edits) for w in h.get("warnings", [])),
                  "eeheap -gc: no warning names the looping segment 0x%x" % rec)
        got = sorted(seg["address"] for heap in h["heaps"] for seg in heap["segments"])
        want = sorted(seg["address"] for seg in segs)
        check(got == want, "eeheap -gc lists segments %s, the good core %s" % (got, want))
        check(h["totalAllocated"] == s.heap["totalAllocated"],
              "eeheap -gc: %d bytes allocated, the good core %d" % (h["totalAllocated"], s.heap["totalAllocated"]))
    text = "\n".join(block(tr, "eeheap -gc") or [])
    check(re.search(r"^Warning:.*loop", text, re.M | re.I), "eeheap -gc's text says nothing of the loop")
    stat = json_of(tr, "dumpheap -stat --json")
    if errors.get("dumpheap -stat --json") is None and stat:
        # Each segment once: exactly the good core's objects.
        compare_counts(stat, s.baseline, "dumpheap -stat")
        check(stat["totalObjects"] == s.baseline["totalObjects"],
              "dumpheap -stat: %d objects, the good core %d" % (stat["totalObjects"], s.baseline["totalObjects"]))
    for c in ("dumpheap -stat", "dumpheap -stat --json"):
        text = "\n".join(block(tr, c) or [])
        check(re.search(r"loop|cycl", text, re.I), "%r does not say that the segment list loops" % c)


def case_handle_garbage(s):
    listed = {h["name"]: h for h in s.truth["handles"]["list"]}
    garbage_slot = harness.parse_hex(listed["normal"]["slot"])       # holds the HandleOnly
    interior_slot = harness.parse_hex(listed["twoRoots"]["slot"])    # TwoRoots: also held by a static
    dead = s.types()["HeapShapes.DeadObject"]
    dead_obj = harness.parse_hex(dead["minAddress"])
    interior = dead_obj + 16                                          # inside a dead 40-byte DeadObject
    garbage = 0x4141414141414140
    listed_handles = {harness.parse_hex(h["handle"]): h for h in s.handles["handles"]}
    check(garbage_slot in listed_handles and interior_slot in listed_handles,
          "gchandles on the good core does not list the handles %s" % [hex(garbage_slot), hex(interior_slot)])
    with s.open_core() as core:
        check(core.read_u64(garbage_slot) == harness.parse_hex(listed["normal"]["target"]), "normal handle's slot")
        core.write_u64(garbage_slot, garbage)
        core.write_u64(interior_slot, interior)
    handle_only = harness.parse_hex(listed["normal"]["target"])
    tr, errors = run_all(s, [
        "gchandles --json",
        "dumpheap -live -stat --json",
        "dumpheap -live -stat",
        "gcroot 0x%x" % handle_only,
        "gcroot 0x%x --json" % handle_only,
        "gcroot 0x%x" % dead_obj,
        "gcroot 0x%x --json" % dead_obj,
        "gcroot 0x%x" % interior,
    ])

    # gchandles: the two handles are shown with what they hold, not as objects.
    text = "\n".join(block(tr, "gchandles") or [])
    hj = json_of(tr, "gchandles --json")
    if errors.get("gchandles --json") is None and hj:
        by_slot = {harness.parse_hex(h["handle"]): h for h in hj["handles"]}
        for slot, value in ((garbage_slot, garbage), (interior_slot, interior)):
            h = by_slot.get(slot)
            if check(h is not None, "gchandles --json leaves out the handle 0x%x (it holds 0x%x)" % (slot, value)):
                check(harness.parse_hex(h["object"]) == value,
                      "gchandles: handle 0x%x holds 0x%x, shown as %s" % (slot, value, h["object"]))
                check(not h.get("objectType") or "HeapShapes" not in h["objectType"],
                      "gchandles: 0x%x is not an object, typed %r" % (value, h.get("objectType")))
        check(len(hj["handles"]) == len(s.handles["handles"]),
              "gchandles: %d handles, the good core %d" % (len(hj["handles"]), len(s.handles["handles"])))
    for value in (garbage, interior):
        check(mentions(text, value), "gchandles' text does not show the bad reference 0x%x" % value)

    # Reachability: the handles' garbage is not followed.
    live = json_of(tr, "dumpheap -live -stat --json")
    if errors.get("dumpheap -live -stat --json") is None and live:
        compare_listed(s, live, "dumpheap -live -stat", except_names=("HeapShapes.HandleOnly",), field="live")
        n = counts_by_mt(live).get(harness.parse_hex(s.types()["HeapShapes.HandleOnly"]["mt"]), 0)
        check(n == 0, "HeapShapes.HandleOnly is live (%d) though its only handle now holds garbage" % n)
    # The roots are damaged: HandleOnly was live in the process. Saying it is
    # dead is right only with a word that some roots could not be used.
    for c in ("dumpheap -live -stat", "gcroot 0x%x" % handle_only):
        t = "\n".join(block(tr, c) or [])
        check(re.search(r"^Warning:.*(handle|reference)", t, re.M | re.I),
              "%r does not report (count or name) the strong handles that hold no object" % c)
    for obj in (handle_only, dead_obj):
        g = json_of(tr, "gcroot 0x%x --json" % obj)
        if errors.get("gcroot 0x%x --json" % obj) is None and g:
            check(g["count"] == 0, "gcroot 0x%x: %d roots, expected none: %s" % (obj, g["count"], g["roots"][:3]))
    e = errors.get("gcroot 0x%x" % interior)
    if check(e, "gcroot of an address inside an object did not fail"):
        check(mentions(e, interior), "gcroot 0x%x: the error does not name it: %s" % (interior, e))


def case_stack_missing(s):
    holder = s.truth["threads"]["StackHolderThread"]
    tid = holder["osId"]
    with s.open_core() as core:
        sps = core.thread_sps()
        if not check(tid in sps, "no NT_PRSTATUS for thread %d: %s" % (tid, sorted(sps))):
            return
        check(tid in [t["osId"] for t in s.threads["threads"]], "clrthreads does not list thread %d" % tid)
        sp = sps[tid]
        p = core.load_covering(sp)
        if not check(p is not None and p.filesz, "no memory at the thread's SP 0x%x in the core" % sp):
            return
        print("thread %d (0x%x): rsp 0x%x in %r; dropped from the core" % (tid, tid, sp, p))
        others = [t for t, v in sps.items() if t != tid and p.vaddr <= v < p.vaddr + p.memsz]
        check(not others, "the mapping holds other threads' stacks too: %s" % others)
        p.filesz = 0
        core.write_phdr(p)
    roots = {r["name"]: r for r in s.truth["dumpheap"]["liveRoots"]}
    stack_only = harness.parse_hex(holder["stackObjectAddress"])
    tr, errors = run_all(s, [
        "clrstack -all --json",
        "gcroot %s --json" % roots["firstCustomer"]["address"],
        "gcroot 0x%x" % stack_only,
        "dumpheap -live -stat --json",
        "dumpheap -live -stat -type HeapShapes.",
    ])
    unreadable = re.compile(r"could not be read|cannot be read|unreadable|not in the (target|core)", re.I)

    # clrstack: the thread is named unreadable; the other threads' frames are there.
    text = "\n".join(block(tr, "clrstack -all") or [])
    check(errors.get("clrstack -all") is None, "clrstack -all failed: %s" % errors.get("clrstack -all"))
    check("HeapShapes.Program.Main" in text, "clrstack -all lost the main thread's frames")
    check("HeapShapes.FinalizerBlocker.Finalize" in text, "clrstack -all lost the finalizer thread's frames")
    m = re.search(r"OS Thread Id: 0x%x\n(.*?)(\n\n|\Z)" % tid, text, re.S)
    if check(m is not None, "clrstack -all leaves out thread 0x%x (its stack is not in the core) "
             "without a word" % tid):
        check(unreadable.search(m.group(1)) is not None,
              "clrstack -all does not say that thread 0x%x's stack could not be read: %r" % (tid, m.group(1)[:400]))
    # gcroot and dumpheap -live: a warning of one unreadable thread, and the rest.
    for c in ("gcroot %s" % roots["firstCustomer"]["address"], "gcroot 0x%x" % stack_only,
              "dumpheap -live -stat", "dumpheap -live -stat -type HeapShapes."):
        t = "\n".join(block(tr, c) or [])
        check(re.search(r"(stacks? of 1 managed thread|1 managed thread).*(could not be read|unreadable)", t, re.I),
              "%r does not report the thread whose stack could not be read" % c)
    g = json_of(tr, "gcroot %s --json" % roots["firstCustomer"]["address"])
    if g:
        check(g["count"] >= 1, "gcroot of the first Customer lost its static root")
        check(g.get("threadsUnreadable") == 1, "gcroot --json: threadsUnreadable %r" % g.get("threadsUnreadable"))
    live = json_of(tr, "dumpheap -live -stat --json")
    if errors.get("dumpheap -live -stat --json") is None and live:
        compare_listed(s, live, "dumpheap -live -stat", except_names=("HeapShapes.StackOnly",), field="live")


def case_truncated(s, percent):
    size = os.path.getsize(s.core)
    cut = os.path.join(s.directory, "core.cut%d" % percent)
    with open(s.core, "rb") as src, open(cut, "wb") as dst:
        left = size * percent // 100
        while left:
            chunk = src.read(min(left, 1 << 24))
            dst.write(chunk)
            left -= len(chunk)
    os.unlink(s.core)  # one copy on disk at a time
    tr, errors = run_all(s, ["eeversion --json", "dumpheap -stat --json"], core=cut)
    no_runtime = errors.get("eeversion")
    if no_runtime and "no .NET runtime" in no_runtime:
        # lldb could not load the module list: every command says so.
        check("truncated" in no_runtime, "eeversion: %r does not say the core may be truncated" % no_runtime)
        for c, e in errors.items():
            check(e is not None, "%r succeeded without a runtime" % c)
            if e:
                check("truncated" in e, "%r: %r does not say the core may be truncated" % (c, e))
        return
    check(errors.get("eeversion --json") is None, "eeversion --json failed where eeversion did not")
    # What cannot be read is named: an address, or the core's truncation.
    for c, e in errors.items():
        if e:
            check(re.search(r"0x[0-9a-f]+|truncated", e),
                  "%r: the error names neither an address nor the truncation: %r" % (c, e))
    stat = json_of(tr, "dumpheap -stat --json")
    if errors.get("dumpheap -stat --json") is None and stat:
        before, now = s.baseline["totalObjects"], stat["totalObjects"]
        check(now <= before, "dumpheap -stat: %d objects, more than the whole core's %d" % (now, before))
        if now < before:
            check(stat.get("problemCount", 0) > 0 or stat.get("skippedBytes", 0) > 0,
                  "dumpheap -stat: %d of %d objects and no problem reported" % (now, before))


def case_heap_missing(s):
    """Not a cut at a fraction (lldb 14 then loses the module list) but the
    small object heap's memory alone dropped from the core: the rest of the
    heap (LOH, POH, NonGC) is still there and must still be reported."""
    soh = [seg for seg in segments(s) if seg["kind"] in ("ephemeral", "gen0", "gen1", "gen2")]
    others = ("loh", "poh", "foh")
    good = s.run(["dumpheap -stat -gen %s --json" % g for g in others], what="the good core (by heap)")
    want = {g: json_of(good, "dumpheap -stat -gen %s --json" % g) for g in others}
    dropped = []
    with s.open_core() as core:
        for seg in soh:
            lo, hi = harness.parse_hex(seg["begin"]), harness.parse_hex(seg["allocated"])
            for p in core.loads():
                if p.filesz and p.vaddr < hi and p.vaddr + p.memsz > lo:
                    check(not any(p.vaddr <= harness.parse_hex(o["begin"]) < p.vaddr + p.memsz
                                  for o in segments(s) if o["kind"] in ("loh", "poh", "frozen")),
                          "%r holds more than the small object heap" % p)
                    p.filesz = 0
                    core.write_phdr(p)
                    dropped.append((p.vaddr, p.vaddr + p.memsz))
    check(dropped, "no PT_LOAD holds the small object heap")
    print("dropped: %s" % ["0x%x-0x%x" % d for d in dropped])
    tr, errors = run_all(s, ["eeheap -gc --json", "dumpheap -stat --json"] + \
        ["dumpheap -stat -gen %s --json" % g for g in others])

    def in_dropped(text):
        return any(lo <= int(a, 16) < hi for a in re.findall(r"0x([0-9a-f]+)", text) for lo, hi in dropped)
    # Errors name the memory that is missing.
    for c, e in errors.items():
        if e:
            check(re.search(r"0x[0-9a-f]+", e), "%r: the error names no address: %r" % (c, e))
    # eeheap: the other segments are listed; the unreadable one is a warning.
    h = json_of(tr, "eeheap -gc --json")
    if check(errors.get("eeheap -gc --json") is None and h, "eeheap -gc failed: %s" % errors.get("eeheap -gc --json")):
        listed = {seg["address"] for heap in h["heaps"] for seg in heap["segments"]}
        for seg in segments(s):
            if seg["kind"] in ("loh", "poh", "frozen"):
                check(seg["address"] in listed, "eeheap -gc lost the %s segment %s" % (seg["kind"], seg["address"]))
        check(any(in_dropped(w) for w in h.get("warnings", [])) or
              all(seg["address"] in listed for seg in soh),
              "eeheap -gc: the small object heap's segment is neither listed nor named in a warning: %s" %
              h.get("warnings"))
    # dumpheap: the large, pinned and NonGC heaps exactly as before.
    for g in others:
        c = "dumpheap -stat -gen %s --json" % g
        r = json_of(tr, c)
        if check(errors.get(c) is None and r, "%r failed: %s" % (c, errors.get(c))):
            compare_counts(r, want[g], c)
    stat = json_of(tr, "dumpheap -stat --json")
    if check(errors.get("dumpheap -stat --json") is None and stat, "dumpheap -stat failed: %s" %
             errors.get("dumpheap -stat --json")):
        check(stat["totalObjects"] >= sum(w["totalObjects"] for w in want.values()),
              "dumpheap -stat: %d objects, fewer than the LOH, POH and NonGC hold" % stat["totalObjects"])
        check(any(in_dropped(p["address"]) for p in problems(stat)) or
              any(in_dropped(w) for w in stat.get("warnings", [])),
              "dumpheap -stat --json names no missing memory of the small object heap (problems %s, warnings %s)" %
              (problems(stat)[:5], stat.get("warnings")))
    text = "\n".join(block(tr, "dumpheap -stat") or [])
    warned = text[text.find("Warning:"):] if "Warning:" in text else ""
    check(any(lo <= int(a, 16) < hi for a in re.findall(r"(?<![0-9a-fx])(?:0x)?([0-9a-f]{8,16})\b", warned)
              for lo, hi in dropped),
          "dumpheap -stat's text has no warning naming the missing small object heap")
    # Objects there: the memory is missing, which is not the same as "not an object".
    t, o = s.truth, s.truth["objects"]
    for c in ("dumpobj %s" % o["allFields"]["address"], "dumparray %s" % o["arrays"]["ints"]["address"],
              "dumpstring %s" % o["strings"]["ascii"]["address"],
              "objsize %s" % t["roots"]["objsize"]["tree"]["address"]):
        e = errors.get(c)
        if check(e, "%r succeeded on memory that is not in the core" % c):
            check(re.search(r"not in the (target|core)|missing|not saved", e) and in_dropped(e),
                  "%r: %r does not say that the memory at the address is missing from the core" % (c, e))


def case_bad_refs(s):
    """References planted in the object with every kind of field: garbage, an
    unaligned one, one inside an object, one at a Free object."""
    af = s.truth["objects"]["allFields"]
    obj = harness.parse_hex(af["address"])
    fields = [f for f in af["fields"] if f.get("target")]
    check(len(fields) >= 3, "allFields holds only %d references" % len(fields))
    free_mt = [r["mt"] for r in s.baseline["statistics"] if r["type"] == "Free"]
    with contextlib.redirect_stdout(io.StringIO()):
        frees = s.run(["dumpheap -mt %s --json" % free_mt[0]] if free_mt else ["eeversion"], what="the good core (Free)")
    free_objs = json_of(frees, "dumpheap -mt %s --json" % free_mt[0])["objects"] if free_mt else []
    inside = harness.parse_hex(s.truth["objects"]["arrays"]["ints"]["address"]) + 16
    planted = [(0x4141414141414140, "InvalidObjectReference"), (harness.parse_hex(fields[1]["target"]) + 1,
               "ObjectReferenceNotPointerAligned"), (inside, "InvalidObjectReference")]
    if free_objs:
        planted.append((harness.parse_hex(free_objs[0]["address"]), "FreeObjectReference"))
    want = {}
    with s.open_core() as core:
        for f, (value, failure) in zip(fields, planted):
            slot = harness.parse_hex(f["fieldAddress"])
            check(core.read_u64(slot) == harness.parse_hex(f["target"]), "field %s does not hold its target" % f["name"])
            core.write_u64(slot, value)
            want[slot - obj] = (value, failure)
    print("planted in 0x%x: %s" % (obj, {"+0x%x" % k: ("0x%x" % v, w) for k, (v, w) in want.items()}))
    tr, errors = run_all(s, ["verifyheap --max 100000 --json", "verifyobj 0x%x --json" % obj, "verifyobj 0x%x" % obj])
    for c in ("verifyheap --max 100000 --json", "verifyobj 0x%x --json" % obj):
        v = verify_errors(tr, errors, c)
        if v is None:
            continue
        got = {x["offset"]: (harness.parse_hex(x["value"]), x["failure"]) for x in v["errors"]
               if harness.parse_hex(x["object"]) == obj}
        check(got == want, "%s: at 0x%x found %s, planted %s" % (c, obj, got, want))
        others = [x for x in v["errors"] if harness.parse_hex(x["object"]) != obj]
        check(not others, "%s: errors elsewhere: %s" % (c, others[:5]))
    text = "\n".join(block(tr, "verifyheap") or [])
    for off, (value, failure) in want.items():
        check(re.search(r"%s\s+%s\s+.*offset %x: " % (addr_re(obj)[len("(?<![0-9a-fA-F])"):], failure, off), text, re.I),
              "verifyheap's text has no %s row at +0x%x of 0x%x" % (failure, off, obj))
    text = "\n".join(block(tr, "verifyobj 0x%x" % obj) or [])
    check(re.search(r"^%d errors?  detected\.$" % len(want), text, re.M), "verifyobj: no count of %d errors" % len(want))
    for off, (value, failure) in want.items():
        check(re.search(r"^%x\s+%s\s" % (off, failure), text, re.M), "verifyobj: no %s row at offset %x" % (failure, off))


CASES = {
    "bitflips": case_bitflips,
    "zeroed-mt": case_zeroed_mt,
    "size-past-segment": case_size_past_segment,
    "segment-cycle": case_segment_cycle,
    "handle-garbage": case_handle_garbage,
    "stack-missing": case_stack_missing,
    "heap-missing": case_heap_missing,
    "truncated-10": lambda s: case_truncated(s, 10),
    "truncated-50": lambda s: case_truncated(s, 50),
    "truncated-90": lambda s: case_truncated(s, 90),
    "bad-refs": case_bad_refs,
}


def main():
    case = sys.argv[1]
    if case not in CASES:
        print("unknown case %r: one of %s" % (case, ", ".join(CASES)))
        sys.exit(2)
    d = harness.scratch_dir()
    t0 = time.time()
    try:
        s = Session(d)
        CASES[case](s)
    finally:
        if os.environ.get("CLRSOS_KEEP_CORE"):  # to look at the damaged core by hand
            print("kept %s" % d)
        else:
            harness.cleanup(d)
        print("case %s took %.1f s" % (case, time.time() - t0))


if __name__ == "__main__":
    try:
        main()
    except harness.Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
    harness.finish()
