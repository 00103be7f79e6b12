#!/usr/bin/env python3
"""Seeds for the fuzzers, from a real heap: a core of tests/targets/HeapShapes.

usage: make_seeds.py <plugin> <HeapShapes.dll> <seeds directory>

Starts HeapShapes, dumps it with createdump, and reads the core with lldb and
clrsos: the types (dumpheap -stat, dumpmt, the GCDesc words below each
MethodTable), slices of each generation's region (whole objects only; each
object's MethodTable word rewritten to where the fuzzers' loader puts that
type), the strong, pinned, weak and dependent handles, and a few objects to
ask about. Writes snapshot seeds (format: snapshot.h; seeds/snapshot/) for
fuzz_heap, fuzz_roots and fuzz_gcdesc, the histogram dumpheap -stat --save writes (and
variants) for fuzz_histogram, and string contents for fuzz_utf16.
"""

import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

LLDB_PYTHONPATH = "/usr/lib/llvm-14/lib/python3.11/dist-packages:/usr/lib/python3/dist-packages"
MT_BASE = 0x7f4000000000
GENERATIONS = {"gen0": 0, "gen1": 1, "gen2": 2, "loh": 3, "poh": 4}
HANDLE_KINDS = {"Strong": 0, "Pinned": 1, "WeakShort": 2, "Dependent": 3}


def mt_of(k):
    return MT_BASE + 0x1000 + k * 0x200


def lldb(plugin, core, exe, commands):
    with tempfile.NamedTemporaryFile("w", suffix=".lldb", delete=False) as f:
        f.write("\n".join(commands) + "\n")
        script = f.name
    try:
        r = subprocess.run(["lldb", "-b", "--no-use-colors", "-c", core, exe, "-o", "plugin load " + plugin,
                            "-o", "command source -e false " + script], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, env=dict(os.environ, PYTHONPATH=LLDB_PYTHONPATH),
                           stdin=subprocess.DEVNULL, timeout=600)
    finally:
        os.unlink(script)
    blocks, current = {}, None
    for line in r.stdout.splitlines():
        if line.startswith("(lldb) "):
            current = line[7:]
            blocks[current] = []
        elif current is not None:
            blocks[current].append(line)
    return blocks


def json_of(blocks, command):
    for line in blocks.get(command, []):
        if line.startswith("{"):
            return json.loads(line)
    raise SystemExit("no JSON from %r: %s" % (command, blocks.get(command)))


def snapshot(types, special, segments, roots, queries):
    out = bytearray(b"CLRSOSF1")
    out += struct.pack("<H4H", len(types), *special)
    for t in types:
        out += struct.pack("<IIIIB", t["flags"], t["mtBaseSize"], t["baseSize"], t["componentSize"],
                           (1 if t["pointers"] else 0) | (2 if t["free"] else 0))
        out += struct.pack("<H", len(t["gcdesc"])) + t["gcdesc"]
        name = t["name"].encode()[:255]
        out += struct.pack("<B", len(name)) + name
    out += struct.pack("<B", len(segments))
    for start, gen, data in segments:
        out += struct.pack("<QBI", start, gen, len(data)) + data
    out += struct.pack("<H", len(roots))
    for kind, obj, secondary in roots:
        out += struct.pack("<BQQ", kind, obj, secondary)
    out += struct.pack("<B", len(queries))
    for q in queries:
        out += struct.pack("<Q", q)
    return bytes(out)


def main():
    plugin, dll, seeds = sys.argv[1:4]
    work = tempfile.mkdtemp(prefix="clrsos-seeds-")
    try:
        p = subprocess.Popen(["dotnet", dll], stdout=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
        truth = None
        for line in p.stdout:
            if line.startswith("TRUTH "):
                truth = json.loads(line[6:])
            if line.strip() == "READY":
                break
        core = os.path.join(work, "core")
        subprocess.run([os.path.join(truth["runtimeDirectory"], "createdump"), "--full", "-f", core, str(p.pid)],
                       check=True, stdout=subprocess.DEVNULL)
        exe = os.readlink("/proc/%d/exe" % p.pid)
        p.kill()
        p.wait()
        hist = os.path.join(work, "histogram.json")
        b = lldb(plugin, core, exe, ["eeheap -gc --json", "dumpheap -stat --json --save " + hist, "gchandles --json"])
        heap = json_of(b, "eeheap -gc --json")
        stats = json_of(b, "dumpheap -stat --json --save " + hist)["statistics"]
        handles = json_of(b, "gchandles --json")["handles"]
        names = {int(s["mt"], 16): s["type"] for s in stats}

        # Slices: whole objects of each generation's first non-empty region (or an empty one).
        regions = {}
        for seg in heap["heaps"][0]["segments"]:
            gen = GENERATIONS.get(seg["kind"])
            if gen is None:
                continue
            begin, allocated = int(seg["begin"], 16), int(seg["allocated"], 16)
            if gen not in regions or (regions[gen][1] == regions[gen][0] and allocated > begin):
                regions[gen] = (begin, allocated)
        cmds = ["dumpheap --json 0x%x 0x%x" % (s, min(e, s + (1 << 20))) for s, e in regions.values() if e > s]
        b = lldb(plugin, core, exe, cmds)
        objects = {}
        for gen, (s, e) in regions.items():
            objects[gen] = json_of(b, "dumpheap --json 0x%x 0x%x" % (s, min(e, s + (1 << 20))))["objects"] if e > s else []

        # Types: the special four and every type in the slices.
        wanted = {}
        for special in ("Free", "System.String", "System.Object[]", "System.Object"):
            mt = next((m for m, n in names.items() if n == special), None)
            if mt is None:
                raise SystemExit("no %s in the heap" % special)
            wanted[mt] = special
        for objs in objects.values():
            for o in objs:
                wanted.setdefault(int(o["mt"], 16), o["type"])
        mts = list(wanted)
        cmds = []
        for mt in mts:
            cmds.append("dumpmt --json 0x%x" % mt)
            cmds.append("memory read --force --binary --outfile %s/mt-%x.bin --count 8 0x%x" % (work, mt, mt))
            cmds.append("memory read --force --binary --outfile %s/n-%x.bin --count 8 0x%x" % (work, mt, mt - 8))
        b = lldb(plugin, core, exe, cmds)
        # The GCDesc: its series count just below the MethodTable, then exactly its length.
        lengths, cmds = {}, []
        for mt in mts:
            if not json_of(b, "dumpmt --json 0x%x" % mt)["containsPointers"]:
                continue
            with open("%s/n-%x.bin" % (work, mt), "rb") as f:
                n = struct.unpack("<q", f.read())[0]
            lengths[mt] = min(8 + 16 * n if n > 0 else 16 + 8 * -n, 0x1f0)
            cmds.append("memory read --force --binary --outfile %s/pre-%x.bin --count %d 0x%x"
                        % (work, mt, lengths[mt], mt - lengths[mt]))
        lldb(plugin, core, exe, cmds)
        types = []
        for mt in mts:
            info = json_of(b, "dumpmt --json 0x%x" % mt)
            with open("%s/mt-%x.bin" % (work, mt), "rb") as f:
                flags, mt_base_size = struct.unpack("<II", f.read(8))
            gcdesc = b""
            if mt in lengths:
                with open("%s/pre-%x.bin" % (work, mt), "rb") as f:
                    gcdesc = f.read()
            types.append({"name": wanted[mt], "flags": flags, "mtBaseSize": mt_base_size, "baseSize": info["baseSize"],
                          "componentSize": info["componentSize"], "pointers": info["containsPointers"],
                          "free": wanted[mt] == "Free", "gcdesc": gcdesc})
        index = {mt: k for k, mt in enumerate(mts)}
        special = [index[mt] for mt in mts[:4]]

        # The region bytes, each object's MethodTable word rewritten.
        cmds = []
        for gen, (s, e) in regions.items():
            if e > s:
                end = min(e, s + (1 << 20))
                cmds.append("memory read --force --binary --outfile %s/gen%d.bin --count %d 0x%x" % (work, gen, end - s, s))
        lldb(plugin, core, exe, cmds)

        def slices(cap):
            segs, kept = [], []
            for gen in sorted(regions):
                s, e = regions[gen]
                data = b""
                if e > s:
                    with open("%s/gen%d.bin" % (work, gen), "rb") as f:
                        raw = bytearray(f.read())
                    end = s
                    for o in objects[gen]:
                        a, size = int(o["address"], 16), o["size"]
                        if a + size - s > cap:
                            break
                        struct.pack_into("<Q", raw, a - s, mt_of(index[int(o["mt"], 16)]))
                        end = a + size
                        kept.append(o)
                    data = bytes(raw[:end - s])
                segs.append((s, gen, data))
            return segs, kept

        for label, cap in (("small", 6 << 10), ("medium", 48 << 10), ("large", 160 << 10)):
            segs, kept = slices(cap)
            inside = {int(o["address"], 16) for o in kept}
            roots = []
            for h in handles:
                kind = HANDLE_KINDS.get(h["type"])
                obj = int(h["object"], 16) if h.get("object") else 0
                if kind is not None and (obj in inside or label == "large"):
                    roots.append((kind, obj, int(h.get("secondary") or "0", 16)))
            roots = roots[:4096]
            # Ask about a string, an array, and the first few rooted objects.
            queries = [int(o["address"], 16) for o in kept if o["type"] == "System.String"][:1]
            queries += [int(o["address"], 16) for o in kept if o["type"].endswith("[]")][:1]
            strong = [r[1] for r in roots if r[0] in (0, 1) and r[1] in inside]
            queries += strong[:3] + strong[-3:]
            d = os.path.join(seeds, "snapshot")
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "heapshapes-" + label), "wb") as f:
                f.write(snapshot(types, special, segs, roots, queries))

        # Histograms: the real file, and small variants.
        d = os.path.join(seeds, "histogram")
        os.makedirs(d, exist_ok=True)
        with open(hist) as f:
            text = f.read()
        with open(os.path.join(d, "heapshapes.json"), "w") as f:
            f.write(text)
        h = json.loads(text)
        h["types"] = h["types"][:5]
        with open(os.path.join(d, "five-types.json"), "w") as f:
            json.dump(h, f)
        h["live"] = True
        h["types"].append(dict(h["types"][0]))
        with open(os.path.join(d, "live-duplicate.json"), "w") as f:
            json.dump(h, f)

        # Strings: the UTF-16 units of some of the heap's strings (first byte: the split).
        d = os.path.join(seeds, "utf16")
        os.makedirs(d, exist_ok=True)
        strs = [o for objs in objects.values() for o in objs if o["type"] == "System.String"][:400]
        cmds = ["memory read --force --binary --outfile %s/s-%d.bin --count %d 0x%x"
                % (work, i, o["size"] - 12, int(o["address"], 16) + 12) for i, o in enumerate(strs[::40])]
        lldb(plugin, core, exe, cmds)
        for i in range(len(strs[::40])):
            with open("%s/s-%d.bin" % (work, i), "rb") as f:
                data = f.read()
            with open(os.path.join(d, "string-%d" % i), "wb") as f:
                f.write(bytes([i * 7 % 256]) + data)
        with open(os.path.join(d, "surrogates"), "wb") as f:
            f.write(b"\x03" + "a\U0001F600b".encode("utf-16-le") + b"\x00\xd8" + b"\x00\xdc" + b"\x0a\x00\x22\x00")
        print("seeds written to " + seeds)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
