"""nativeheap against glibc's own view of the NativeHeap target's malloc heap.

usage: test_nativeheap.py <live|full|heap|damaged>

NativeHeap mallocs known counts of known sizes on the main thread (the main
arena) and on three threads (arenas of their own), frees some (tcaches, bins,
a fastbin), one block above the mmap threshold, Marshal.AllocHGlobal and
NativeMemory.Alloc blocks, then prints glibc's mallinfo2() right before READY.
Checks, attached live or on a createdump core:
  - the totals equal mallinfo2's: arena (system bytes), fordblks (free less
    the tcaches, which glibc counts as in use), uordblks, fsmblks (fastbins),
    hblks and hblkhd (mmapped chunks), keepcost (the main arena's top);
  - each address the target malloc'd on the main thread is in the main
    arena's heap, each thread's in a thread arena's heap, the mmapped block
    in none;
  - -stat holds at least the known counts of the known chunk sizes, and the
    tcaches at least the chunks the target freed into them;
  - the text equals the JSON; bad arguments fail with one line.
damaged: a full core with a chunk header overwritten (the error names that
chunk), and one without libc's writable pages (the error says they are
missing).
"""

import re
import sys

import harness
from harness import check

BAD = {
    "nativeheap -bogus": "unknown option '-bogus'",
    "nativeheap 5": "unexpected argument '5'",
}


def chunk_size(request):
    return max(32, (request + 8 + 15) & ~15)


def num(text):
    return int(text.replace(",", ""))


def inside(address, arena):
    return any(harness.parse_hex(h["start"]) <= address < harness.parse_hex(h["end"]) for h in arena["heaps"])


def check_truth(tr, truth):
    r = tr.json("nativeheap --json")
    s = tr.json("nativeheap -stat --json")
    m = truth["mallinfo2"]
    tot = r["totals"]
    check(r["glibcVersion"] == "2.36" and r["versionVerified"], "glibc version %s" % r["glibcVersion"])
    check(tot["systemBytes"] == m["arena"], "system bytes %d, mallinfo2 arena %d" % (tot["systemBytes"], m["arena"]))
    free_glibc = tot["free"]["bytes"] - tot["tcacheBytes"]
    check(free_glibc == m["fordblks"], "free less tcaches %d, mallinfo2 fordblks %d" % (free_glibc, m["fordblks"]))
    check(tot["systemBytes"] - free_glibc == m["uordblks"],
          "system less free %d, mallinfo2 uordblks %d" % (tot["systemBytes"] - free_glibc, m["uordblks"]))
    check(tot["fastbinBytes"] == m["fsmblks"], "fastbins %d, mallinfo2 fsmblks %d" % (tot["fastbinBytes"], m["fsmblks"]))
    check(tot["mmapped"]["chunks"] == m["hblks"] and tot["mmapped"]["bytes"] == m["hblkhd"],
          "mmapped %r, mallinfo2 hblks %d hblkhd %d" % (tot["mmapped"], m["hblks"], m["hblkhd"]))
    arenas = r["arenas"]
    main = arenas[0]
    check(main["kind"] == "main" and all(a["kind"] == "thread" for a in arenas[1:]), "arena kinds")
    check(main["topBytes"] == m["keepcost"], "main top %d, mallinfo2 keepcost %d" % (main["topBytes"], m["keepcost"]))
    check(len(arenas) >= 4, "%d arenas, the target has 3 threads of its own" % len(arenas))
    check(all(a["damage"] is None for a in arenas), "damage on a healthy heap: %r" %
          [a["damage"] for a in arenas if a["damage"]])
    check(sum(a["inUse"]["bytes"] for a in arenas) == tot["inUse"]["bytes"], "in-use total is the arenas' sum")
    for a in arenas:
        parts = (a["inUse"]["bytes"] + a["free"]["bytes"] + a["overheadBytes"])
        check(parts == a["systemBytes"], "arena %s: in use + free + overhead = %d, system %d" %
              (a["address"], parts, a["systemBytes"]))
    # Where the target's blocks are.
    for p in truth["main"]["addresses"] + [truth["hglobal"]["address"], truth["nativeMemory"]["address"]]:
        check(inside(harness.parse_hex(p), main), "main-thread block %s is not in the main arena's heap" % p)
    for k, t in enumerate(truth["threads"]):
        for p in t["addresses"]:
            a = harness.parse_hex(p)
            check(any(inside(a, x) for x in arenas[1:]), "thread %d's block %s is in no thread arena's heap" % (k, p))
    mm = harness.parse_hex(truth["mmapped"]["address"])
    check(not any(inside(mm, x) for x in arenas), "the mmapped block %s is inside an arena" % truth["mmapped"]["address"])
    # The sizes.
    by_size = {c["chunkSize"]: c for c in s["sizes"]}
    want = {chunk_size(truth["main"]["size"]): truth["main"]["count"]}
    for t in truth["threads"]:
        want[chunk_size(t["size"])] = want.get(chunk_size(t["size"]), 0) + t["count"]
    for size, count in want.items():
        got = by_size.get(size, {"count": 0})["count"]
        check(got >= count, "-stat: %d chunks of %d bytes, the target holds %d" % (got, size, count))
    check(sum(c["bytes"] for c in s["sizes"]) == tot["inUse"]["bytes"], "-stat's bytes add up to the in-use total")
    check(s["sizes"] == sorted(s["sizes"], key=lambda c: (-c["bytes"], -c["chunkSize"])), "-stat: most bytes first")
    check(main["tcache"]["chunks"] >= 14, "main arena's tcaches hold %d chunks, the target freed 14 into them" %
          main["tcache"]["chunks"])
    check(r["tcacheKeyKnown"], "tcache key not learnt")
    # The 2 blocks freed into a fastbin stay there unless a later malloc of
    # a large size (the runtime's own, on .NET 9 for one) consolidated the
    # fastbins: glibc's own mallinfo2, read at the same moment, says which.
    fast = 2 * chunk_size(truth["freedMain"]["fastSize"])
    m = truth["mallinfo2"]
    if m["fsmblks"] >= fast:
        check(tot["fastbinBytes"] >= fast, "fastbins hold the 2 freed blocks")
    else:
        print("glibc consolidated the fastbins before the stop (mallinfo2 fsmblks %d): the freed blocks are binned"
              % m["fsmblks"])
    # Text equals JSON.
    rows = {}
    for line in tr.output("nativeheap"):
        f = line.split()
        if len(f) >= 9 and re.fullmatch(r"[0-9a-f]{16}", f[0]):
            rows[int(f[0], 16)] = f
    check(len(rows) == len(arenas), "text has %d arena rows, JSON %d" % (len(rows), len(arenas)))
    for a in arenas:
        f = rows.get(harness.parse_hex(a["address"]))
        if check(f, "arena %s not in the text" % a["address"]):
            check([f[1], int(f[2]), num(f[3]), num(f[4]), num(f[5]), num(f[6]), num(f[7])] ==
                  [a["kind"], len(a["heaps"]), a["systemBytes"], a["inUse"]["bytes"], a["free"]["bytes"],
                   a["topBytes"], a["largestFree"]], "text row %r differs from JSON %r" % (f, a))
    text_sizes = [(int(f[0]), num(f[1]), num(f[2])) for f in (l.split() for l in tr.output("nativeheap -stat"))
                  if len(f) == 3 and f[0].isdigit()]
    check(text_sizes == [(c["chunkSize"], c["count"], c["bytes"]) for c in s["sizes"]], "-stat text differs from JSON")
    for c, msg in BAD.items():
        e = tr.error(c)
        check(e and msg in e, "%r: error %r, want %r" % (c, e, msg))
        check(len([l for l in tr.output(c) if l.startswith("error:")]) == 1, "%r: not one error line" % c)


COMMANDS = ["nativeheap", "nativeheap --json", "nativeheap -stat", "nativeheap -stat --json"] + list(BAD)


def case_live():
    with harness.Target("NativeHeap", env={"DOTNET_TieredCompilation": "0"}) as t:
        tr = harness.lldb(COMMANDS, pid=t.pid)
        check_truth(tr, t.truth)


def case_core(kind):
    d = harness.scratch_dir()
    try:
        with harness.Target("NativeHeap", env={"DOTNET_TieredCompilation": "0"}) as t:
            core = harness.make_core(t, kind, d)
            exe, truth = t.exe, t.truth
        tr = harness.lldb(COMMANDS, core=core, exe=exe)
        if kind == "heap":
            # createdump's heap cores leave out libc's written data pages: said so, for every command.
            for c in COMMANDS[:4]:
                e = tr.error(c)
                check(e and re.search(r"libc's data at 0x[0-9a-f]+ is not in the target", e),
                      "%r on a heap core: %r" % (c, e))
        else:
            check_truth(tr, truth)
    finally:
        harness.cleanup(d)


def case_damaged():
    import test_corrupt
    d = harness.scratch_dir()
    try:
        with harness.Target("NativeHeap", env={"DOTNET_TieredCompilation": "0"}) as t:
            core = harness.make_core(t, "full", d)
            exe, truth = t.exe, t.truth
        good = harness.lldb(["nativeheap --json"], core=core, exe=exe).json("nativeheap --json")
        # A chunk header of the main arena: a size that is no multiple of 16.
        chunk = harness.parse_hex(truth["main"]["addresses"][50]) - 16
        with test_corrupt.CoreFile(core) as c:
            old = c.read_u64(chunk + 8)
            c.write_u64(chunk + 8, 0xa8 | (old & 7))
        tr = harness.lldb(["nativeheap", "nativeheap --json", "nativeheap -stat"], core=core, exe=exe)
        for cmd in ("nativeheap", "nativeheap --json", "nativeheap -stat"):
            e = tr.error(cmd)
            check(e and "damaged native heap at 0x%x" % chunk in e,
                  "%r on a smashed chunk header: %r, want the chunk 0x%x named" % (cmd, e, chunk))
        check(not any('"arenas"' in l for l in tr.output("nativeheap --json")), "JSON written on a damaged heap")
        check(any(re.match(r"[0-9a-f]{16} +thread .*[0-9]", l) for l in tr.output("nativeheap")),
              "the undamaged thread arenas are not shown")
        with test_corrupt.CoreFile(core) as c:
            c.write_u64(chunk + 8, old)
            arena = harness.parse_hex(good["mainArena"])
            p = c.load_covering(arena)
            check(p is not None and p.filesz, "main_arena 0x%x is not in the core" % arena)
            p.filesz = 0
            c.write_phdr(p)
        tr = harness.lldb(["nativeheap", "nativeheap --json"], core=core, exe=exe)
        for cmd in ("nativeheap", "nativeheap --json"):
            e = tr.error(cmd)
            check(e and re.search(r"libc's data at 0x[0-9a-f]+ is not in the target", e),
                  "%r without libc's data: %r" % (cmd, e))
            check(len([l for l in tr.output(cmd) if l.startswith("error:")]) == 1, "%r: not one error line" % cmd)
    finally:
        harness.cleanup(d)


if __name__ == "__main__":
    harness.run_case({
        "live": case_live,
        "full": lambda: case_core("full"),
        "heap": lambda: case_core("heap"),
        "damaged": case_damaged,
    })
