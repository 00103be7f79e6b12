"""gcroot, objsize, gchandles, finalizequeue and clrthreads against HeapShapes' roots.

usage: test_roots.py <gc config> <live|full|heap|os>

The target knows what keeps each of its objects alive: a static field (on
.NET 10, an element of the statics object[] a strong handle holds), a
strong handle, both, a thread's stack, the finalizer queue, a dependent
handle, nothing; and the exact size of subgraphs it built (a tree, a ring,
a sparse object).
"""

import re
import sys

import harness
from harness import check


def main():
    config, mode = sys.argv[1], sys.argv[2]
    env = harness.GC_CONFIGS[config]

    def commands(truth):
        g = truth["roots"]["gcroot"]
        cmds = ["gcroot %s --json" % case["address"] for case in g.values()]
        cmds += ["gcroot %s" % g["staticChain"]["address"], "gcroot %s" % g["unrooted"]["address"],
                 "gcroot %s -nostacks --json" % g["stackOnly"]["address"],
                 "gcroot %s -nostacks" % g["stackOnly"]["address"], "dumpheap -stat", "dumpheap -live -stat"]
        cmds += ["objsize %s --json" % o["address"] for o in truth["roots"]["objsize"].values()]
        cmds += ["objsize %s" % truth["roots"]["objsize"]["tree"]["address"],
                 "gchandles --json", "gchandles -stat", "finalizequeue --json", "fq -detail",
                 "clrthreads --json", "clrthreads", "clrstack -all --json", "clrstack -all",
                 "finalizequeue", "finalizequeue -allReady --json", "finalizequeue -short",
                 "finalizequeue -stat -short", "clrthreads -live --json", "thread list",
                 "finalizequeue -mt *(long*)%s --json" % truth["roots"]["finalizeQueue"]["readyAddresses"][0],
                 "clrstack -all -a --json", "clrstack -all -p",
                 "clrbt %d --json" % truth["threads"]["StackHolderThread"]["osId"],
                 "clrbt %d" % truth["threads"]["StackHolderThread"]["osId"],
                 # dso reads the selected thread: the main one (after an attach
                 # lldb 22 may select a native thread of the runtime's).
                 "thread select 1", "dso --json", "clrbt 0x1",
                 "gcroot 0x10", "objsize 0x10", "gcroot", "gchandles -type Bogus", "gcroot 0x10 0x20",
                 "gcroot %s --json" % truth["threads"]["LockHolderThread"]["threadStaticObject"],
                 "gcroot %s" % truth["threads"]["LockHolderThread"]["threadStaticObject"]]
        ev = g["eventDelegate"]["roots"][0]["path"]  # Publisher, its EventHandler, the list, handler 1, subscriber 1
        cmds += ["dumpdelegate %s" % ev[1], "dumpdelegate %s --json" % ev[1], "dumpdelegate %s --json" % ev[3],
                 "dumpdelegate %s" % ev[0], "dumpdelegate"]
        cmds += ["dumpexceptions --json", "dumpexceptions -type applicationexception --json", "dumpexceptions",
                 "dumpexceptions -live --json", "dumpexceptions -dead --json", "dumpexceptions -gen bogus"]
        # Last: it selects a thread.
        cmds += ["clrthreads -managedexception", "thread info"]
        return cmds

    if mode == "live":
        with harness.Target("HeapShapes", env=env) as t:
            truth = t.truth
            tr = harness.lldb(commands(truth), pid=t.pid)
    else:
        scratch = harness.scratch_dir()
        try:
            core, exe, truth = harness.core_of_finished("HeapShapes", mode, scratch, env=env)
            tr = harness.lldb(commands(truth), core=core, exe=exe)
        finally:
            harness.cleanup(scratch)
    g = truth["roots"]["gcroot"]

    def roots_of(case):
        r = tr.json("gcroot %s --json" % g[case]["address"])
        check(tr.error("gcroot %s --json" % g[case]["address"]) is None, "gcroot %s failed" % case)
        return r["roots"]

    def types(path):
        return [p["type"] for p in path]

    # A static: the handle holds the statics array, which holds the field's
    # value. Under DATAS the runtime's handle walk skips the handle tables
    # beyond the heaps in use: clrsos then reads the class's statics itself
    # and the root is the static field.
    datas = config == "svr-datas"

    def static_root(case, root, want):
        """One root of a static: through its statics array's handle, or the field itself."""
        if root["kind"] == "handle":
            check(root["handleType"] == "Strong", "%s: handle %s" % (case, root["handleType"]))
            check(types(root["path"]) == ["System.Object[]"] + want["chain"], "%s: path %s" % (case, types(root["path"])))
            if want.get("staticsArray"):
                check(harness.parse_hex(root["path"][0]["address"]) == harness.parse_hex(want["staticsArray"]),
                      "%s: not through the statics array" % case)
            check([harness.parse_hex(p["address"]) for p in root["path"][1:]] == [harness.parse_hex(a) for a in want["path"]],
                  "%s: addresses differ" % case)
            check(len(root["path"]) > 1 and root["path"][1].get("staticField") == want["field"],
                  "%s: static field %s, expected %s" % (case, root["path"][1:2], want["field"]))
        elif check(root["kind"] == "static", "%s: root kind %s" % (case, root["kind"])):
            check(datas, "%s: a static root although the handle walk covers every table" % case)
            check(types(root["path"]) == want["chain"], "%s: path %s" % (case, types(root["path"])))
            check([harness.parse_hex(p["address"]) for p in root["path"]] == [harness.parse_hex(a) for a in want["path"]],
                  "%s: addresses differ" % case)
            check(root.get("field") == want["field"], "%s: field %s, expected %s" % (case, root.get("field"), want["field"]))
            check(harness.parse_hex(root["slot"]) == harness.parse_hex(want["slotAddress"]),
                  "%s: slot %s, target says %s" % (case, root["slot"], want["slotAddress"]))

    def static_case(case):
        if case not in g:
            return check(False, "%s: the target did not describe it" % case)
        r = roots_of(case)
        if check(len(r) == 1, "%s: roots %s" % (case, [x["kind"] for x in r])):
            static_root(case, r[0], g[case]["roots"][0])

    # Under DATAS the runtime's own handle walk skips handle tables
    # (dotnet/runtime#124872, not fixed in .NET 10); clrsos reads those from
    # memory, so every handle the target made is listed in every config, and
    # the statics array's strong handle with them.
    gh = tr.json("gchandles --json")
    hs = {harness.parse_hex(h["handle"]): h for h in gh["handles"]}
    print("gchandles: %d handles, %d read from tables the runtime's walk skipped" % (len(hs), gh["unlistedByRuntime"]))
    handle_checks = True
    statics_array = g["staticChain"]["roots"][0].get("staticsArray")
    if statics_array:
        check(any(h["type"] == "Strong" and harness.parse_hex(h["object"]) == harness.parse_hex(statics_array) for h in hs.values()),
              "gchandles: no strong handle holds the statics array %s" % statics_array)

    static_case("staticChain")
    # Through a struct element's field, and through an event's invocation list.
    static_case("structArray")
    static_case("eventDelegate")

    r = roots_of("pinnedHandle")
    check(not handle_checks or len(r) == 1 and r[0]["kind"] == "handle" and r[0]["handleType"] == "Pinned" and
          harness.parse_hex(r[0]["handle"]) == harness.parse_hex(g["pinnedHandle"]["roots"][0]["slot"]) and
          types(r[0]["path"]) == ["System.Byte[]"], "pinnedHandle: %s" % r)

    r = roots_of("handleOnly")
    check(not handle_checks or len(r) == 1 and r[0]["kind"] == "handle" and r[0]["handleType"] == "Strong" and types(r[0]["path"]) == ["HeapShapes.HandleOnly"],
          "handleOnly: %s" % r)

    r = roots_of("twoRoots")
    handle = [x for x in r if x["kind"] == "handle" and len(x["path"]) == 1]
    rest = [x for x in r if x not in handle]
    check(len(rest) == 1 and (not handle_checks or len(r) == 2 and len(handle) == 1 and types(handle[0]["path"]) == ["HeapShapes.TwoRoots"]),
          "twoRoots: %s" % [(x["kind"], types(x["path"])) for x in r])
    static_want = [w for w in g["twoRoots"]["roots"] if w["kind"] == "static"][0]
    for x in rest:
        static_root("twoRoots", x, static_want)

    r = roots_of("stackOnly")
    os_id = truth["threads"]["StackHolderThread"]["osId"]
    check(r and all(x["kind"] == "stack" and x["osThreadId"] == os_id and types(x["path"]) == ["HeapShapes.StackOnly"] for x in r),
          "stackOnly: %s" % r)
    check(tr.json("gcroot %s -nostacks --json" % g["stackOnly"]["address"])["count"] == 0, "-nostacks still shows stack roots")
    # Live without marking: a stack root leads to it, though -nostacks lists none.
    text = tr.text_of("gcroot %s -nostacks" % g["stackOnly"]["address"])
    check("Found 0 unique roots other than stacks" in text and "kept alive only from a stack" in text,
          "gcroot -nostacks of a stack-only object: %r" % text[-300:])

    # gcroot's index numbers every object, live and dead: no fewer than
    # dumpheap -live counts, no more than dumpheap -stat.
    def total(cmd):
        m = re.search(r"^Total ([\d,]+) objects", tr.text_of(cmd), re.M)
        return int(m.group(1).replace(",", "")) if m else None
    index = tr.json("gcroot %s --json" % g["unrooted"]["address"])["index"]
    everything, live = total("dumpheap -stat"), total("dumpheap -live -stat")
    check(everything and live and live <= index["objects"] <= everything and index["references"] > 0,
          "gcroot's index: %r objects; dumpheap -live %r, -stat %r" % (index, live, everything))

    r = roots_of("freachable")
    check(len(r) == 1 and r[0]["kind"] == "finalizer" and types(r[0]["path"]) == ["HeapShapes.Finalizable"],
          "freachable: %s" % r)

    r = roots_of("dependent")
    if handle_checks and check(len(r) == 1, "dependent: %d roots" % len(r)):
        p = r[0]["path"]
        check(types(p)[-1] == "HeapShapes.CwtValue" and p[-1]["dependentHandle"] and
              not any(x["dependentHandle"] for x in p[:-1]), "dependent: path %s" % p)

    r = roots_of("weakNotRoot")
    if check(len(r) == 1, "weakNotRoot: weak handles counted as roots: %s" % r):
        static_root("weakNotRoot", r[0], g["weakNotRoot"]["roots"][0])

    check(roots_of("unrooted") == [], "unrooted: found roots")
    text = tr.text_of("gcroot %s" % g["unrooted"]["address"])
    check("Found 0 unique roots: nothing keeps" in text and "the next full GC collects it" in text, "unrooted text: %r" % text[-300:])

    text = tr.text_of("gcroot %s" % g["staticChain"]["address"])
    check((re.search(r"^HandleTable:$", text, re.M) and re.search(r"^\s+[0-9a-f]{16} \(Strong handle\)$", text, re.M) or
           datas and re.search(r"^Static variable:$", text, re.M)) and
          "-> %012x HeapShapes.ChainC" % harness.parse_hex(g["staticChain"]["address"]) in text and
          "(static variable: HeapShapes.RootHolder.First)" in text and
          "Found 1 unique root." in text, "gcroot text layout")

    # objsize: exact counts and sizes of the subgraphs the target built.
    for name, o in truth["roots"]["objsize"].items():
        j = tr.json("objsize %s --json" % o["address"])
        check(j["objects"] == o["count"] and j["size"] == o["totalSize"],
              "objsize %s: %d objects %d bytes, target says %d and %d" % (name, j["objects"], j["size"], o["count"], o["totalSize"]))
    check("sizeof(%012x) = %s (0x%x) bytes in %d objects" % (
        harness.parse_hex(truth["roots"]["objsize"]["tree"]["address"]), "{:,}".format(truth["roots"]["objsize"]["tree"]["totalSize"]),
        truth["roots"]["objsize"]["tree"]["totalSize"], truth["roots"]["objsize"]["tree"]["count"])
        in tr.text_of("objsize %s" % truth["roots"]["objsize"]["tree"]["address"]), "objsize text")

    # gchandles: the target's own handles with their kinds and targets.
    for h in truth["handles"]["list"] if handle_checks else []:
        if not h.get("target"):
            continue  # a weak handle whose object died: the runtime lists no target for it
        got = hs.get(harness.parse_hex(h["slot"]))
        if not check(got is not None, "gchandles: handle %s (%s) missing" % (h["slot"], h["name"])):
            continue
        check(got["type"] == h["sosType"], "gchandles %s: type %s, expected %s" % (h["name"], got["type"], h["sosType"]))
        target = harness.parse_hex(h["target"]) if h.get("target") else 0
        check(harness.parse_hex(got["object"]) == target, "gchandles %s: object %s" % (h["name"], got["object"]))
    check("Handles:" in tr.text_of("gchandles -stat"), "gchandles -stat text")

    # finalizequeue: the 50 ready Finalizables and all 150 registered.
    fq = tr.json("finalizequeue --json")
    fin = [s for s in fq["statistics"] if s["type"] == "HeapShapes.Finalizable"]
    gen2 = sum(h["generation 2"] for h in fq["heaps"])
    check(gen2 >= truth["roots"]["finalizeQueue"]["notReadyGenerations"].get("gen2", 0),
          "finalizequeue: %d registered in gen2, target has %s" % (gen2, truth["roots"]["finalizeQueue"]["notReadyGenerations"]))
    check(fin and fin[0]["count"] == truth["roots"]["finalizeQueue"]["total"], "finalizequeue: Finalizable %s" % fin)
    check(fq["readyTotal"] >= truth["roots"]["finalizeQueue"]["ready"], "finalizequeue: ready %d" % fq["readyTotal"])
    # SOS's layout (OtherCommands.script's checks), the objects listed with their statistics.
    fqt = tr.text_of("finalizequeue")
    for pat in (r"^SyncBlocks to be cleaned up: \d+$", r"^Statistics for all finalizable objects \(including all objects ready for finalization\):$",
                r"^ +Address +MT +Size$", r"^ +[0-9a-f]{12} +[0-9a-f]{12} +[\d,]+$", r"^Total [\d,]+ objects, [\d,]+ bytes$",
                r"^Heap \d+$", r"^generation 0 has \d+ objects \([0-9a-f]+->[0-9a-f]+\)$"):
        check(re.search(pat, fqt, re.M) is not None, "finalizequeue text: no line like %s:\n%s" % (pat, fqt[:1500]))
    check(sum(s["count"] for s in fq["statistics"]) == len(fq["objects"]), "finalizequeue --json: objects and statistics differ")
    listed = re.findall(r"^ +([0-9a-f]{12}) +[0-9a-f]{12} +[\d,]+$", fqt, re.M)
    check(len(listed) == len(fq["objects"]), "finalizequeue: %d rows, %d objects" % (len(listed), len(fq["objects"])))
    # -short: the same objects' addresses alone.
    short = tr.text_of("finalizequeue -short").split()
    check(sorted(int(a, 16) for a in short) == sorted(harness.parse_hex(o["address"]) for o in fq["objects"]),
          "finalizequeue -short: %d addresses, %d objects" % (len(short), len(fq["objects"])))
    check(tr.error("finalizequeue -stat -short") is not None, "finalizequeue -stat -short: not refused")
    # -allReady: of the Finalizables, only the doomed ones (ready, rooted by the queue alone);
    # the live ones a static list holds are not.
    ar = tr.json("finalizequeue -allReady --json")
    ar_fin = [s for s in ar["statistics"] if s["type"] == "HeapShapes.Finalizable"]
    check(ar_fin and ar_fin[0]["count"] == truth["roots"]["finalizeQueue"]["ready"],
          "finalizequeue -allReady: Finalizable %s, target has %d ready" % (ar_fin, truth["roots"]["finalizeQueue"]["ready"]))
    ready_set = {harness.parse_hex(a) for a in truth["roots"]["finalizeQueue"]["readyAddresses"]}
    listed_ready = {harness.parse_hex(o["address"]) for o in ar["objects"]}
    check(ready_set <= listed_ready, "finalizequeue -allReady: %d of the %d ready Finalizables listed"
          % (len(ready_set & listed_ready), len(ready_set)))
    check(not listed_ready & {harness.parse_hex(a) for a in truth["roots"]["finalizeQueue"]["notReadyAddresses"]},
          "finalizequeue -allReady: lists a Finalizable the target holds")
    # -mt (the MethodTable read from a Finalizable's first word): the Finalizables alone, all of them.
    mj = tr.json("finalizequeue -mt *(long*)%s --json" % truth["roots"]["finalizeQueue"]["readyAddresses"][0])
    check([s["type"] for s in mj["statistics"]] == ["HeapShapes.Finalizable"]
          and mj["statistics"][0]["count"] == truth["roots"]["finalizeQueue"]["total"], "finalizequeue -mt: %s" % mj["statistics"])
    detail = tr.text_of("fq -detail")
    ready = truth["roots"]["finalizeQueue"].get("readyAddresses") or truth["roots"]["finalizeQueue"].get("readyObjects") or []
    for a in ready[:10]:
        a = a if isinstance(a, str) else a.get("address")
        check("%012x HeapShapes.Finalizable" % harness.parse_hex(a) in detail, "fq -detail: %s not listed" % a)

    # clrthreads: the target's named threads and the finalizer.
    th = tr.json("clrthreads --json")["threads"]
    by_os = {t["osId"]: t for t in th}
    sh = truth["threads"]["StackHolderThread"]
    check(sh["osId"] in by_os and by_os[sh["osId"]]["managedId"] == sh["managedId"], "clrthreads: StackHolderThread")
    check(sum(1 for t in th if t["finalizer"]) == 1, "clrthreads: one finalizer thread")
    check("(Finalizer)" in tr.text_of("clrthreads"), "clrthreads text: finalizer")
    # dumpdelegate: the event's multicast EventHandler calls its three
    # handlers in order; the second is the target's handler 1, on subscriber 1.
    ev = g["eventDelegate"]["roots"][0]["path"]
    on_changed = "HeapShapes.Subscriber.OnChanged(System.Object, System.EventArgs)"
    dd = tr.json("dumpdelegate %s --json" % ev[1])
    check(tr.error("dumpdelegate %s --json" % ev[1]) is None and dd["type"] == "System.EventHandler", "dumpdelegate: %s" % dd)
    ds = dd.get("delegates", [])
    check(len(ds) == 3 and all(d["method"] == on_changed and harness.parse_hex(d["methodDesc"]) for d in ds),
          "dumpdelegate of the event: %s" % ds)
    check(len(ds) == 3 and harness.parse_hex(ds[1]["address"]) == harness.parse_hex(ev[3])
          and harness.parse_hex(ds[1]["target"]) == harness.parse_hex(ev[4]), "dumpdelegate: handler 1 %s, target says %s" % (ds[1:2], ev[3:]))
    one = tr.json("dumpdelegate %s --json" % ev[3])["delegates"]
    check(len(one) == 1 and harness.parse_hex(one[0]["target"]) == harness.parse_hex(ev[4]) and one[0]["method"] == on_changed,
          "dumpdelegate of handler 1: %s" % one)
    dtext = tr.text_of("dumpdelegate %s" % ev[1])
    check(dtext.startswith("Target           Method           Name\n") and
          len(re.findall(r"^[0-9a-f]{16} [0-9a-f]{16} HeapShapes\.Subscriber\.OnChanged\(System\.Object, System\.EventArgs\)$", dtext, re.M)) == 3,
          "dumpdelegate text:\n%s" % dtext)
    check("%016x " % harness.parse_hex(ev[4]) in dtext, "dumpdelegate text: no row for subscriber 1")
    e = tr.error("dumpdelegate %s" % ev[0])
    check(e is not None and "is not a delegate: it is a HeapShapes.Publisher" in e, "dumpdelegate of a Publisher: %r" % e)
    e = tr.error("dumpdelegate")
    check(e is not None and "help dumpdelegate" in e, "dumpdelegate without an address: %r" % e)

    # dumpexceptions: the target's thrown exception and its inner one, with
    # their messages and the outer one's throw site.
    tx = truth["threads"]["exception"]
    allx = tr.json("dumpexceptions --json")
    check(tr.error("dumpexceptions --json") is None, "dumpexceptions failed")
    byaddr = {harness.parse_hex(x["address"]): x for x in allx["exceptions"]}
    outer, inner = byaddr.get(harness.parse_hex(tx["address"])), byaddr.get(harness.parse_hex(tx["innerAddress"]))
    check(outer is not None and outer["type"] == tx["type"] and outer["message"] == tx["message"],
          "dumpexceptions: the target's exception %s, got %s" % (tx["address"], outer))
    check(outer is not None and outer["stackFrame"] and "ThrowOuter" in outer["stackFrame"],
          "dumpexceptions: its top frame %s" % (outer and outer["stackFrame"]))
    check(inner is not None and inner["type"] == tx["innerType"] and inner["message"] == tx["innerMessage"],
          "dumpexceptions: the inner exception, got %s" % inner)
    check(allx["total"] == len(allx["exceptions"]), "dumpexceptions: total")
    typed = tr.json("dumpexceptions -type applicationexception --json")["exceptions"]
    check(typed and all("applicationexception" in x["type"].lower() for x in typed)
          and harness.parse_hex(tx["address"]) in {harness.parse_hex(x["address"]) for x in typed}
          and len(typed) == sum(1 for x in allx["exceptions"] if "applicationexception" in x["type"].lower()),
          "dumpexceptions -type: %s" % [x["type"] for x in typed])
    live = {x["address"] for x in tr.json("dumpexceptions -live --json")["exceptions"]}
    dead = {x["address"] for x in tr.json("dumpexceptions -dead --json")["exceptions"]}
    check(not live & dead and live | dead == {x["address"] for x in allx["exceptions"]},
          "dumpexceptions -live/-dead do not split the exceptions: %d live, %d dead, %d in all" % (len(live), len(dead), len(byaddr)))
    xt = tr.text_of("dumpexceptions")
    check(re.search(r"^ +Address +MethodTable Message Name$", xt, re.M) is not None, "dumpexceptions: no SOS header")
    check(re.search(r"^ +%012x +[0-9a-f]{12} %s\n +Message: %s$" % (harness.parse_hex(tx["address"]), re.escape(tx["type"]),
                                                                  re.escape(tx["message"])), xt, re.M) is not None,
          "dumpexceptions text: no rows for the target's exception:\n%s" % xt[:1500])
    check(re.search(r"^    Total: %d objects$" % allx["total"], xt, re.M) is not None, "dumpexceptions text: total")
    e = tr.error("dumpexceptions -gen bogus")
    check(e is not None and "bogus" in e, "dumpexceptions -gen bogus: %r" % e)

    # SOS's header and DBG column: lldb's thread numbers, as `thread list` gives them.
    ctext = tr.text_of("clrthreads")
    check(re.search(r"^Hosted Runtime: +no$", ctext, re.M) is not None, "clrthreads: no Hosted Runtime line")
    check(re.search(r"^ +DBG +ID +OSID +ThreadOBJ +State +GC Mode +GC Alloc Context +Domain +Count +Apt +Exception$", ctext, re.M)
          is not None, "clrthreads: SOS's header:\n%s" % ctext[:800])
    lldb_index = {int(m.group(2)): int(m.group(1))
                  for m in re.finditer(r"thread #(\d+): tid = (\d+)", tr.text_of("thread list"))}
    check(len(lldb_index) > 2, "thread list: %r" % tr.text_of("thread list")[:300])
    for t in th:
        want = lldb_index.get(t["osId"])
        check(t["debuggerId"] == want, "clrthreads: thread %x DBG %s, lldb says %s" % (t["osId"], t["debuggerId"], want))
        row = re.search(r"^ *(\S+) +%d +%x +%016x " % (t["managedId"], t["osId"], harness.parse_hex(t["thread"])), ctext, re.M)
        if check(row is not None, "clrthreads: no row for thread %x" % t["osId"]):
            check(row.group(1) == (str(want) if want else "XXXX"), "clrthreads text: DBG %s for %x" % (row.group(1), t["osId"]))
    live = tr.json("clrthreads -live --json")["threads"]
    check(sorted(t["osId"] for t in live) == sorted(t["osId"] for t in th if t["osId"] in lldb_index),
          "clrthreads -live: %s" % [t["osId"] for t in live])
    # -managedexception selects the first thread that holds one (thread info says which).
    holding = [t for t in th if harness.parse_hex(t["exceptionObject"] or "0") and t["debuggerId"]]
    me = tr.text_of("clrthreads -managedexception")
    if holding:
        check(me.strip() == "Found managed exception on thread %x" % holding[0]["osId"], "clrthreads -managedexception: %r" % me)
        check("tid = %d" % holding[0]["osId"] in tr.text_of("thread info"), "-managedexception did not select the thread: %r"
              % tr.text_of("thread info"))
    else:
        check(me.strip() == "No thread has a managed exception", "clrthreads -managedexception: %r" % me)

    # clrstack: the managed frames of the target's threads, as it ran them.
    stacks = {t["osThreadId"]: [f["name"] for f in t["frames"]] for t in tr.json("clrstack -all --json")["threads"]}
    def has(os_id, method):
        return any(n and n.startswith(method) for n in stacks.get(os_id, []))
    check(has(truth["threads"]["Main"]["osId"], "HeapShapes.Program.Main("), "clrstack: Main not on the main thread: %s" % stacks.get(truth["threads"]["Main"]["osId"]))
    check(has(sh["osId"], "HeapShapes.Program.StackHolderMain("), "clrstack: StackHolderMain missing: %s" % stacks.get(sh["osId"]))
    if harness.runtime_major() >= 10:
        check(has(sh["osId"], "System.Threading.Thread.StartCallback("), "clrstack: StackHolderThread's start missing")
    else:
        # SOS 10.0.750501 shows the same stack on .NET 9's cores.
        print("SKIPPED on .NET %d: Thread.StartCallback (no managed frame of it before .NET 10: "
              "the thread's method sits on DebuggerU2MCatchHandlerFrame)" % harness.runtime_major())
    # With the source position from HeapShapes.pdb beside HeapShapes.dll, as SOS prints it.
    check(re.search(r"^[0-9A-F]{16} [0-9A-F]{16} HeapShapes\.Program\.StackHolderMain\(\) "
                    r"\[.*[\\/]HeapShapes[\\/]Program\.cs @ [0-9]+\]$", tr.text_of("clrstack -all"), re.M)
          is not None, "clrstack text row")

    # clrstack -a: StackHolderMain's local holds the StackOnly the target
    # named; Main's parameter is its string[] args; -p shows parameters only.
    def frame(os_id, method):
        for t in tr.json("clrstack -all -a --json")["threads"]:
            if t["osThreadId"] == os_id:
                for f in t["frames"]:
                    if f["name"] and f["name"].startswith(method):
                        return f
        return None
    f = frame(sh["osId"], "HeapShapes.Program.StackHolderMain(")
    if check(f is not None and f.get("locals") is not None, "clrstack -a: StackHolderMain's locals: %s" % f):
        values = [harness.parse_hex(v["value"]) for v in f["locals"] if v["value"]]
        check(harness.parse_hex(truth["threads"]["StackHolderThread"]["stackObjectAddress"]) in values,
              "clrstack -a: StackHolderMain's locals %s lack the StackOnly %s" % (f["locals"], truth["threads"]["StackHolderThread"]["stackObjectAddress"]))
        check(f["parameters"] == [], "clrstack -a: StackHolderMain() has parameters %s" % f["parameters"])
    f = frame(truth["threads"]["Main"]["osId"], "HeapShapes.Program.Main(")
    if check(f is not None and f.get("parameters"), "clrstack -a: Main's parameters: %s" % f):
        p = f["parameters"][0]
        check(p.get("name") == "args" and p["state"] == "value" and p["size"] == 8 and harness.parse_hex(p["value"]),
              "clrstack -a: Main's args %s" % p)
    ptext = tr.text_of("clrstack -all -p")
    check(re.search(r"HeapShapes\.Program\.Main\(System\.String\[\]\)( \[[^\n]* @ [0-9]+\])?\n    PARAMETERS:\n        args (\(0x[0-9a-f]{16}\) |\(<CLR reg>\) )?= 0x[0-9a-f]{16}\n", ptext) is not None
          and "LOCALS:" not in ptext, "clrstack -p text")

    # clrbt: lldb's native frames, and the JIT-compiled ones named by the runtime.
    bt = tr.json("clrbt %d --json" % sh["osId"])["frames"]
    managed = [f["name"] for f in bt if f["managed"]]
    check("HeapShapes.Program.StackHolderMain()" in managed, "clrbt: StackHolderMain not named: %s" % managed)
    check(any(not f["managed"] and f["name"] and f["module"] and f["module"].startswith("libc") for f in bt),
          "clrbt: no native libc frame named by lldb: %s" % [(f["module"], f["name"]) for f in bt])
    check(re.search(r"frame #\d+: 0x[0-9a-f]{16} \[managed\] HeapShapes\.Program\.StackHolderMain\(\)( at \S+Program\.cs:\d+)?"
                    r"( \(the runtime.s walk\)| \(unwound by clrsos\))?$",
                    tr.text_of("clrbt %d" % sh["osId"]), re.M) is not None, "clrbt text")
    objs = tr.json("dso --json")["objects"]
    check(objs and all(o["type"] and harness.parse_hex(o["object"]) for o in objs), "dso: %s" % objs[:3])

    # A [ThreadStatic] field: the object's only root is LockHolderThread's
    # thread-static storage (the thread may also hold it in a stack slot; on
    # .NET 8 that storage is an object[] a strong handle holds, a root too).
    lh = truth["threads"]["LockHolderThread"]
    ts_cmd = "gcroot %s --json" % lh["threadStaticObject"]
    check(tr.error(ts_cmd) is None, "gcroot of the thread-static object failed: %s" % tr.error(ts_cmd))
    ts = [x for x in (tr.json(ts_cmd) or {}).get("roots", []) if x["kind"] == "threadStatic"]
    if check(len(ts) == 1, "thread static: roots %s" % [x["kind"] for x in (tr.json(ts_cmd) or {}).get("roots", [])]):
        check(ts[0].get("osThreadId") == lh["osId"], "thread static: thread %s, expected %d" % (ts[0].get("osThreadId"), lh["osId"]))
        check(types(ts[0]["path"])[-1] == lh["threadStaticObjectType"] and
              harness.parse_hex(ts[0]["path"][-1]["address"]) == harness.parse_hex(lh["threadStaticObject"]),
              "thread static: path %s" % types(ts[0]["path"]))
        check(ts[0].get("field") == "HeapShapes.Program.t_threadStaticOnly", "thread static: field %s" % ts[0].get("field"))
        if harness.runtime_major() < 9:
            # The slot is an element of the object[] a strong handle holds.
            held = [x["path"][0] for x in tr.json(ts_cmd)["roots"] if x["kind"] == "handle" and len(x["path"]) == 2]
            slot = harness.parse_hex(ts[0]["slot"])
            check(any(h["type"] == "System.Object[]" and
                      harness.parse_hex(h["address"]) + 16 <= slot < harness.parse_hex(h["address"]) + 16 + 8 * 4096
                      for h in held), "thread static on .NET 8: slot %x in no handle's object[]: %s" % (slot, held))
    check("(thread static variable: HeapShapes.Program.t_threadStaticOnly)" in tr.text_of("gcroot %s" % lh["threadStaticObject"]), "thread static: text lacks the root")

    def err(cmd, *needles):
        e = tr.error(cmd)
        if check(e is not None, "%r did not fail" % cmd):
            for n in needles:
                check(n in e, "%r: %r lacks %r" % (cmd, e, n))
    err("gcroot 0x10", "0x10 is not a managed object")
    err("objsize 0x10", "0x10 is not a managed object")
    err("gcroot", "needs the address")
    err("gcroot 0x10 0x20", "a second address '0x20'", "help gcroot")
    err("gchandles -type Bogus", "expected Strong")
    err("clrbt 0x1", "no thread with OS id 1")
    harness.finish()


if __name__ == "__main__":
    try:
        main()
    except harness.Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
