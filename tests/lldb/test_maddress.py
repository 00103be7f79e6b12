"""maddress against AddressSpace's own truth.

usage: test_maddress.py <gc config> <live|full|heap>

Starts AddressSpace (64 MiB blocks from malloc, AllocHGlobal and
NativeMemory.Alloc, pinned buffers, named threads, a 24 MiB mapped file),
then runs maddress in lldb attached to it (live) or on a createdump core of
it, and checks:
  - the mapped file is a FileMapping region of its path holding its view;
  - each named thread's stack: the Stack region holding its stack pointer
    is named by its OS id and managed id;
  - each native block lies inside a listed region (live and full core);
  - the GC heap's committed bytes equal eeheap -gc's committed total;
  - the images are the modules of `image list`;
  - the summary's [TOTAL] adds up the regions, the owners' total the owners;
  - the JSON and the text agree; each bad option is one error line.
On a heap core: what the core does not hold is said (a note).
"""

import os
import re
import sys

import harness
from harness import check


def parse_size(text):
    m = re.fullmatch(r"([\d.]+)(kb|mb|gb)", text)
    check(m is not None, "not a size: %r" % text)
    return float(m.group(1)) * 1024 ** {"kb": 1, "mb": 2, "gb": 3}[m.group(2)]


def table_rows(lines):
    """The cells of a bordered table's rows (header first)."""
    rows = []
    for line in lines:
        if line.startswith(" | "):
            rows.append([c.strip() for c in line.strip()[1:-1].split(" | ")])
    return rows


def main():
    config, mode = sys.argv[1], sys.argv[2]
    env = harness.GC_CONFIGS[config]
    commands = [
        "maddress",
        "maddress --json",
        "maddress -summary",
        "maddress -summary --json",
        "maddress -images",
        "maddress -reserve -reserveHeuristic --json",
        "maddress -list Stack,FileMapping",
        "eeheap -gc --json",
        "nativeheap --json",
        "maddress -native --json",
        "image list",
        "maddress -reserveHeuristic",
        "maddress -list NoSuchKind",
        "maddress -bogus",
    ]
    scratch = harness.scratch_dir()
    saved = os.path.join(scratch, "before.json")
    saved2 = os.path.join(scratch, "after.json")
    hist = os.path.join(scratch, "heap.json")
    commands += [
        "maddress -summary --save " + saved,
        "maddress -summary --save " + saved2,
        "heapdiff %s %s" % (saved, saved2),
        "heapdiff %s --json" % saved,
        "heapdiff " + saved,
        "dumpheap -stat --save " + hist,
        "heapdiff %s %s" % (saved, hist),
    ]
    try:
        if mode == "live":
            with harness.Target("AddressSpace", args=[scratch], env=env) as t:
                truth = t.truth
                tr = harness.lldb(commands, pid=t.pid)
        else:
            with harness.Target("AddressSpace", args=[scratch], env=env) as t:
                core = harness.make_core(t, mode, scratch)
                exe, truth = t.exe, t.truth
            tr = harness.lldb(commands, core=core, exe=exe)
    finally:
        harness.cleanup(scratch)
    print(tr.text)

    for c in commands[:8]:
        check(tr.error(c) is None, "%s failed: %s" % (c, tr.error(c)))
    j = tr.json("maddress --json")
    regions = j["regions"]
    check(j["live"] == (mode == "live"), "live flag")
    starts = [int(r["start"], 16) for r in regions]
    check(starts == sorted(starts), "regions not in address order")
    for a, b in zip(regions, regions[1:]):
        check(int(a["end"], 16) <= int(b["start"], 16), "regions overlap at " + b["start"])

    def holding(address):
        for r in regions:
            if int(r["start"], 16) <= address < int(r["end"], 16):
                return r
        return None

    # The mapped file.
    f = truth["file"]
    r = holding(f["address"])
    if mode == "heap" and r is None:
        pass  # a heap core need not list a mapped file's pages
    else:
        check(r is not None, "the mapped file's view 0x%x is in no region" % f["address"])
        check(r["kind"] == "FileMapping" and r["owner"] == "mappedFiles",
              "the mapped file's region is %s" % r["kind"])
        check(r["path"] == f["path"], "the mapped file's path %r" % r["path"])
        check(int(r["end"], 16) - f["address"] >= f["size"] and r["size"] == f["size"],
              "the mapped file's region is %d bytes, the file %d" % (r["size"], f["size"]))

    # Each named thread's stack.
    for th in truth["threads"]:
        want = "thread %d (managed %d)" % (th["osId"], th["managedId"])
        hits = [r for r in regions if r["kind"] == "Stack" and r["detail"] == want]
        check(len(hits) == 1, "no Stack region for %s" % want)
        check(hits[0]["owner"] == "stacks", "stack owner")

    # The native blocks.
    for b in truth["native"]:
        r = holding(b["address"])
        if mode == "heap" and r is None:
            continue
        check(r is not None, "%s block 0x%x in no region" % (b["how"], b["address"]))
        check(int(r["end"], 16) >= b["address"] + b["size"],
              "%s block runs past its region %s" % (b["how"], r["end"]))
        check(r["owner"] in ("unowned", "nativeHeap"), "%s block owned by %s" % (b["how"], r["owner"]))
        if mode != "heap":
            check(r["inCore"] is None or r["inCore"] == r["size"], "a full core lacks the block")

    # GC heap committed == eeheap -gc's committed total.
    ee = tr.json("eeheap -gc --json")
    owners = {o["owner"]: o for o in j["owners"]}
    gc_committed = ee["totalCommitted"] if "totalCommitted" in ee else ee["committed"]
    check(owners["gcHeap"]["committed"] == gc_committed,
          "GC heap committed %d, eeheap -gc %d" % (owners["gcHeap"]["committed"], gc_committed))

    # The native heap owner is glibc's arenas: their system bytes as nativeheap
    # reads them (live and on full cores; a heap core lacks libc's data).
    if mode != "heap":
        nh = tr.json("nativeheap --json")
        check(owners["nativeHeap"]["committed"] == nh["totals"]["systemBytes"],
              "native heap committed %d, nativeheap's arenas %d" % (owners["nativeHeap"]["committed"],
                                                                    nh["totals"]["systemBytes"]))
        check(tr.json("maddress -native --json") == nh, "maddress -native differs from nativeheap")

    # Pinned buffers are in GC heap regions.
    for p in truth["pinned"]:
        r = holding(p["address"])
        check(r is not None and r["owner"] == "gcHeap", "pinned buffer 0x%x not in the GC heap" % p["address"])

    # Totals add up.
    total = j["total"]
    check(sum(o["committed"] for o in j["owners"]) == total["committed"], "owners' committed")
    check(sum(o["reserved"] for o in j["owners"]) == total["reserved"], "owners' reserved")
    check(sum(r["size"] for r in regions) == total["committed"],
          "the regions shown (%d) are not the committed total (%d)" % (sum(r["size"] for r in regions),
                                                                       total["committed"]))
    check(sum(k["size"] for k in j["summary"]) == total["committed"], "summary sizes")
    if mode == "live":
        check(total["resident"] > 3 * 64 * 1024 * 1024, "resident %s" % total["resident"])
    else:
        check(total["resident"] is None, "a core has no resident sizes")

    # JSON equals text.
    text_rows = table_rows(tr.output("maddress"))
    body = [row for row in text_rows[1:] if row[0] != "Memory Kind"]
    check(len(body) >= len(regions), "text rows %d, JSON regions %d" % (len(body), len(regions)))
    for row, r in zip(body, regions):
        check(row[0] == r["kind"] and int(row[1], 16) == int(r["start"], 16) and
              int(row[2], 16) == int(r["end"], 16) - 1, "text row %s, JSON %s" % (row, r))
    summary = table_rows(tr.output("maddress -summary"))
    kinds = {row[0]: row for row in summary if row[0] not in ("Memory Type", "Owner")}
    for k in j["summary"]:
        row = kinds.get(k["kind"])
        check(row is not None and int(row[3].replace(",", "")) == k["size"], "summary row for " + k["kind"])
    check(int(kinds["[TOTAL]"][3].replace(",", "")) == total["committed"], "[TOTAL] row")
    sj = tr.json("maddress -summary --json")
    check(sj["total"]["committed"] == total["committed"], "-summary --json total")

    # Images match image list.
    modules = set()
    for line in tr.output("image list"):
        m = re.match(r"\[\s*\d+\] \S+(?: 0x[0-9a-f]+)? (/\S+)", line)
        if m:
            modules.add(os.path.realpath(m.group(1)))
    image_rows = table_rows(tr.output("maddress -images"))
    first = [i for i, row in enumerate(image_rows) if row[0] == "Image" and len(row) == 4][0]
    last = [i for i, row in enumerate(image_rows) if row[0] == "[TOTAL]" and i > first][0]
    images = image_rows[first + 1:last]
    elf_images = [row[0] for row in images if not row[0].lower().endswith(".dll")]
    check(elf_images, "no ELF images listed")
    for path in elf_images:
        check(os.path.realpath(path) in modules, "image %s is not in image list" % path)
    check("libcoreclr.so" in " ".join(elf_images), "libcoreclr.so not an image")

    # -reserve: reserved regions appear (live: the GC's reservation).
    rj = tr.json("maddress -reserve -reserveHeuristic --json")
    if mode == "live":
        check(any(r["state"] == "MEM_RESERVE" for r in rj["regions"]), "-reserve lists no reserved region")
        check(rj["total"]["reserved"] > 0, "nothing reserved")

    # -list.
    lst = tr.text_of("maddress -list Stack,FileMapping")
    check("Stack Memory Regions:" in lst, "-list Stack")
    if mode != "heap":
        check("FileMapping Memory Regions:" in lst, "-list FileMapping")

    # Heap core: says what it lacks.
    if mode == "heap":
        check(any("heap or partial core" in n for n in j["notes"]), "a heap core's note")

    # --save and heapdiff by owner.
    check(tr.error("maddress -summary --save " + saved) is None, "--save failed")
    same = tr.text_of("heapdiff %s %s" % (saved, saved2))
    check("Memory by owner" in same and "Owner" in same, "heapdiff of two saves is not by owner:\n" + same)
    check("Total: 0 regions, 0 bytes" in same, "two saves of one stop differ:\n" + same)
    hd = tr.json("heapdiff %s --json" % saved)
    check(hd is not None, "heapdiff <saved> against the target")
    cur = tr.text_of("heapdiff " + saved)
    check("Memory by owner" in cur and "regions" in cur and tr.error("heapdiff " + saved) is None,
          "heapdiff against the target is not by owner:\n" + cur)
    e = tr.error("heapdiff %s %s" % (saved, hist))
    check(e is not None and "compare two of a kind" in e, "a maddress save against a heap histogram: %r" % e)

    # Errors: one line, failed.
    for c, want in (("maddress -reserveHeuristic", "needs -reserve"),
                    ("maddress -list NoSuchKind", "no memory regions match 'NoSuchKind'"),
                    ("maddress -bogus", "-bogus")):
        e = tr.error(c)
        check(e is not None and want in e, "%s: error %r" % (c, e))
        check(len([l for l in tr.output(c) if l.strip()]) == 1, "%s: more than one line" % c)


if __name__ == "__main__":
    try:
        main()
    except harness.Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
    harness.finish()
