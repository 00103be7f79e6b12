"""heapdiff end to end: two cores of Grower, a known growth between them.

Grower holds N Items and N/10 Vanishing; told to grow, it adds G Items,
drops every Vanishing and creates G/5 Appearing. A core before and one
after; `dumpheap -stat --save` on the first, `heapdiff` on the second (and
live, attached to the grown process), and between two saved files. Then
every error a user can meet with these commands.

usage: test_heapdiff.py
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, Failure  # noqa: E402

ITEMS, GROW = 3000, 700


def rows_by_name(diff):
    return {r["name"]: r for r in diff["types"]}


def check_growth(diff, before, after, label):
    rows = rows_by_name(diff)
    item = rows.get("Grower.Item")
    if not check(item is not None, "%s: Grower.Item is among the changes" % label):
        return
    check(item["countDelta"] == after["items"] - before["items"] == GROW,
          "%s: Grower.Item grew by %d (the target's count), heapdiff says %d" % (label, GROW, item["countDelta"]))
    check(item["countBefore"] == ITEMS and item["countAfter"] == ITEMS + GROW,
          "%s: Grower.Item %d -> %d, heapdiff says %d -> %d" % (label, ITEMS, ITEMS + GROW, item["countBefore"],
                                                                 item["countAfter"]))
    size = item["bytesBefore"] // ITEMS
    check(size >= 24 and item["bytesBefore"] == size * ITEMS and item["bytesDelta"] == size * GROW,
          "%s: Grower.Item's bytes grew by %d x its size %d: %s" % (label, GROW, size, item))
    check(item["change"] == "changed", "%s: Grower.Item is 'changed': %s" % (label, item["change"]))
    van = rows.get("Grower.Vanishing")
    check(van is not None and van["change"] == "vanished" and van["countDelta"] == -before["vanishing"]
          and van["countAfter"] == 0,
          "%s: Grower.Vanishing vanished (%d before): %s" % (label, before["vanishing"], van))
    app = rows.get("Grower.Appearing")
    check(app is not None and app["change"] == "new" and app["countDelta"] == after["appearing"] == GROW // 5
          and app["countBefore"] == 0,
          "%s: Grower.Appearing is new with %d: %s" % (label, GROW // 5, app))
    # Sorted by bytes grown, largest first.
    deltas = [r["bytesDelta"] for r in diff["types"]]
    check(deltas == sorted(deltas, reverse=True), "%s: rows sorted by bytes grown: %s" % (label, deltas[:10]))
    # The totals are the two sides' own totals.
    check(diff["totals"]["countDelta"] == diff["after"]["objects"] - diff["before"]["objects"],
          "%s: total count change is after - before" % label)
    check(all(r["change"] != "same" for r in diff["types"]), "%s: unchanged types are not rows" % label)


def main():
    scratch = harness.scratch_dir()
    try:
        with harness.Target("Grower", args=(str(ITEMS), str(GROW)), stdin=True) as t:
            before = dict(t.truth)
            core1 = harness.make_core(t, "full", scratch)
            os.rename(core1, os.path.join(scratch, "core.before"))
            core1 = os.path.join(scratch, "core.before")
            after = t.send("grow")
            core2 = harness.make_core(t, "full", scratch)
            saved = os.path.join(scratch, "before.json")
            saved_live = os.path.join(scratch, "before-live.json")
            saved_after = os.path.join(scratch, "after.json")

            # The first dump: save its histogram (all objects, and live ones).
            tr = harness.lldb(["dumpheap -stat --save " + saved,
                               "dumpheap -live -stat --save %s --json" % saved_live],
                              core=core1, exe=t.exe)
            text = tr.text_of("dumpheap -stat --save " + saved)
            check("Saved the statistics of" in text and saved in text, "dumpheap --save says where it saved")
            check(tr.json("dumpheap -live -stat --save %s --json" % saved_live).get("savedTo") == saved_live,
                  "dumpheap --save --json says savedTo")
            with open(saved) as f:
                h = json.load(f)
            check(h["format"] == "clrsos-heap-histogram" and h["version"] == 1, "the file names its format and version")
            items = [r for r in h["types"] if r["name"] == "Grower.Item"]
            check(len(items) == 1 and items[0]["count"] == ITEMS and
                  items[0]["generations"].get("gen2", {}).get("count", 0) + items[0]["generations"].get("gen1", {}).get("count", 0)
                  + items[0]["generations"].get("gen0", {}).get("count", 0) == ITEMS,
                  "the saved histogram counts %d Grower.Item, per generation too: %s" % (ITEMS, items))
            check(sum(r["count"] for r in h["types"]) == h["objects"], "the saved rows sum to the saved total")
            with open(saved_live) as f:
                check(json.load(f)["live"] is True, "a -live histogram says live")

            # The second dump against the saved first one, and between two files.
            cmds = ["heapdiff %s --json" % saved, "heapdiff " + saved, "heapdiff %s --json" % saved_live,
                    "dumpheap -stat --save " + saved_after, "heapdiff %s %s --json" % (saved, saved_after),
                    "heapdiff %s -min 100000" % saved, "dumpheap -stat"]
            tr = harness.lldb(cmds, core=core2, exe=t.exe)
            diff = tr.json("heapdiff %s --json" % saved)
            check_growth(diff, before, after, "core vs saved")
            check(diff["after"]["source"] == "target", "the second side is the target")
            total = [l for l in tr.output("dumpheap -stat") if l.startswith("Total ")]
            check(total and "{:,}".format(diff["after"]["objects"]) in total[0],
                  "the target side counts what dumpheap -stat counts: %s" % total)
            text = tr.text_of("heapdiff " + saved)
            line = [l for l in text.splitlines() if l.endswith(" Grower.Item")]
            check(len(line) == 1 and line[0].split()[0] == "+{:,}".format(GROW),
                  "the text row of Grower.Item starts with +%d: %s" % (GROW, line))
            check(any(l.endswith("vanished Grower.Vanishing") for l in text.splitlines()),
                  "the text marks Grower.Vanishing vanished")
            check(any(l.endswith("new      Grower.Appearing") for l in text.splitlines()),
                  "the text marks Grower.Appearing new")
            check(text.splitlines()[0].startswith("Before: " + saved), "the text names the saved file first")
            check(text.splitlines()[-1].startswith("Total: "), "the text ends with the totals")
            live = tr.json("heapdiff %s --json" % saved_live)
            check(live["after"]["live"] is True, "a -live histogram is compared with the target's live objects")
            check_growth(live, before, after, "live vs saved live")
            check_growth(tr.json("heapdiff %s %s --json" % (saved, saved_after)), before, after, "file vs file")
            small = tr.text_of("heapdiff %s -min 100000" % saved)
            check("Grower.Item" not in small and "changed by less than -min 100000 bytes" in small,
                  "-min hides small changes and says how many: %s" % small[-300:])

            # Live: attached to the grown process, against the first dump's file.
            tr = harness.lldb(["heapdiff %s --json" % saved], pid=t.pid)
            check_growth(tr.json("heapdiff %s --json" % saved), before, after, "live process vs saved")

            # Errors: each one line, a failed status, lldb carries on.
            bad = os.path.join(scratch, "bad.json")
            with open(bad, "w") as f:
                f.write('{"format": "clrsos-heap-histogram", "version": 1, "types": [')
            newer = os.path.join(scratch, "newer.json")
            with open(newer, "w") as f:
                f.write('{"format": "clrsos-heap-histogram", "version": 9, "types": []}')
            filtered = os.path.join(scratch, "filtered.json")
            missing = os.path.join(scratch, "missing.json")
            errors = {
                "heapdiff " + missing: "cannot read '%s': No such file or directory" % missing,
                "heapdiff " + bad: "'%s' is not valid JSON" % bad,
                "heapdiff " + newer: "is format version 9, from a later clrsos",
                "heapdiff " + core2: "is too large to be a heap histogram" if os.path.getsize(core2) > (1 << 30)
                else "is not valid JSON",
                "heapdiff": "heapdiff needs a saved histogram",
                "heapdiff %s %s %s" % (saved, saved, saved): "a third file",
                "heapdiff %s -min" % saved: "-min needs a value",
                "dumpheap -stat --save /nonexistent-dir/h.json": "cannot write '/nonexistent-dir/h.json'",
                "dumpheap -short --save " + filtered: "use it with -stat, not with -short",
                "dumpheap -stat -type Grower --save " + filtered: None,
                "heapdiff " + filtered: "was saved with filters",
            }
            tr = harness.lldb(list(errors) + ["eeversion"], core=core2, exe=t.exe)
            for cmd, says in errors.items():
                err = tr.error(cmd)
                if says is None:
                    check(err is None, "%s succeeds: %s" % (cmd, err))
                else:
                    check(err is not None and says in err and "\n" not in err,
                          "%s fails with one line saying %r: %r" % (cmd, says, err))
            check(tr.error("eeversion") is None, "lldb and the plugin carry on after the errors")
            tr = harness.lldb(["heapdiff " + saved, "heapdiff %s %s" % (saved, saved_after)], load_plugin=True)
            check("give a second saved file" in (tr.error("heapdiff " + saved) or ""),
                  "without a process, one file is an error that says what to do")
            check(tr.error("heapdiff %s %s" % (saved, saved_after)) is None, "without a process, two files compare")
    except Failure as e:
        check(False, str(e))
    finally:
        harness.cleanup(scratch)
    harness.finish()


if __name__ == "__main__":
    main()
