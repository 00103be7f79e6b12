"""ephrefs and ephtoloh against the Generations target's own truth.

usage: test_ephrefs.py <gc config> <live|full>

Generations makes, after its last GC, references from generation 2 to 0
and 1, from 1 to 0, from a large array to generation 0 and from a young
object to the large array, and prints each object's address and
generation. The test checks:
  - ephrefs --json has a row for each of those older objects with the
    generations, the count of references and their objects' bytes (sizes
    from dumpobj), and none for an old object that refers to nothing young;
    the summary counts at least those young objects; the text has SOS's
    group headers, rows and summary line, and the same numbers;
  - ephtoloh --json lists young -> large, large -> leaf and the chain
    young -> large -> leaf; the text has SOS's three sections;
  - bad arguments fail with one line.
"""

import re
import sys

import harness
from harness import check

TYPES = {"old": "Generations.Old", "old2": "Generations.Old", "middle": "Generations.Middle",
         "large": "System.Object[]"}
BAD = {"ephrefs 5": "unexpected argument '5'", "ephtoloh -x": "unknown option '-x'"}


def addr(text):
    return int(text, 16)


def main():
    config, mode = sys.argv[1], sys.argv[2]
    env = harness.GC_CONFIGS[config]
    names = ["old", "old2", "oldEmpty", "middle", "large", "young", "leaf1", "leaf2", "leaf3", "leaf4"]

    def commands(truth):
        cmds = ["ephrefs --json", "ephrefs", "ephtoloh --json", "ephtoloh"]
        cmds += ["dumpobj %s --json" % truth[n]["address"] for n in names]
        return cmds + list(BAD)

    if mode == "live":
        with harness.Target("Generations", env=env) as t:
            truth = t.truth
            tr = harness.lldb(commands(truth), pid=t.pid)
    else:
        scratch = harness.scratch_dir()
        try:
            core, exe, truth = harness.core_of_finished("Generations", mode, scratch, env=env)
            tr = harness.lldb(commands(truth), core=core, exe=exe)
        finally:
            harness.cleanup(scratch)
    a = {n: addr(truth[n]["address"]) for n in names}
    size = {n: tr.json("dumpobj %s --json" % truth[n]["address"])["size"] for n in names}
    for n, want in (("old", 2), ("old2", 2), ("middle", 1), ("leaf1", 0), ("young", 0)):
        check(truth[n]["generation"] == want, "the target's %s is in generation %d, not %d: the test's premise"
              % (n, truth[n]["generation"], want))

    r = tr.json("ephrefs --json")
    rows = {}
    for row in r["objects"]:
        rows.setdefault(addr(row["address"]), []).append(row)
    expect = [("old", "gen2", "gen0", 2, size["leaf1"] + size["leaf2"]),
              ("old2", "gen2", "gen1", 1, size["middle"]),
              ("middle", "gen1", "gen0", 1, size["leaf3"]),
              ("large", "loh", "gen0", 1, size["leaf4"])]
    for n, gen, refgen, count, refsize in expect:
        got = [x for x in rows.get(a[n], []) if x["referenceGeneration"] == refgen]
        check(len(got) == 1, "ephrefs: one row for %s (%x) to %s: %r" % (n, a[n], refgen, rows.get(a[n])))
        if got:
            x = got[0]
            check(x["generation"] == gen and x["referenceCount"] == count and x["referenceSize"] == refsize
                  and x["size"] == size[n] and x["type"] == TYPES[n],
                  "ephrefs: %s: %r, expected %s -> %s, %d references, %d bytes" % (n, x, gen, refgen, count, refsize))
    check(a["oldEmpty"] not in rows, "ephrefs lists the old object that refers to nothing young")
    check(a["young"] not in rows, "ephrefs lists a generation 0 object")
    check(r["count"] == len(r["objects"]), "ephrefs: count %d, %d rows" % (r["count"], len(r["objects"])))
    check(r["referenced"] >= 5, "ephrefs: %d younger objects referenced, the target made 5" % r["referenced"])
    check(r["referencedBytes"] >= sum(size[n] for n in ("leaf1", "leaf2", "leaf3", "leaf4", "middle")),
          "ephrefs: referenced bytes %d" % r["referencedBytes"])
    text = tr.text_of("ephrefs")
    check("References from gen2 to gen0:" in text and "References from gen1 to gen0:" in text,
          "ephrefs: SOS's group headers:\n%s" % text)
    check(re.search(r"^%016x\s+[0-9a-f]{16}\s+%d\s+Generation2\s+Generation0\s+2\s+%d\s+Generations\.Old$"
                    % (a["old"], size["old"], size["leaf1"] + size["leaf2"]), text, re.M),
          "ephrefs: the row of Old:\n%s" % text)
    check(re.search(r"^[\d,]+ older generation objects referenced [\d,]+ younger objects \([\d,]+ bytes\)$", text, re.M),
          "ephrefs: the summary line")
    m = re.search(r"^([\d,]+) older generation objects referenced ([\d,]+) younger objects \(([\d,]+) bytes\)$", text,
                  re.M)
    if m:
        check([int(g.replace(",", "")) for g in m.groups()] == [r["count"], r["referenced"], r["referencedBytes"]],
              "ephrefs: the text's summary %r and the JSON's differ" % (m.groups(),))

    e = tr.json("ephtoloh --json")
    pairs = lambda key: {(addr(x["from"]), addr(x["to"])) for x in e[key]}
    check((a["young"], a["large"]) in pairs("ephemeralToLarge"), "ephtoloh: young -> large missing: %r" % e)
    check((a["large"], a["leaf4"]) in pairs("largeToEphemeral"), "ephtoloh: large -> leaf missing: %r" % e)
    chains = {(addr(c["ephemeral"]), addr(c["large"]), addr(c["then"])) for c in e["chains"]}
    check((a["young"], a["large"], a["leaf4"]) in chains, "ephtoloh: the chain young -> large -> leaf: %r" % chains)
    check(all(addr(x["from"]) != a["old"] for x in e["ephemeralToLarge"]), "ephtoloh: a gen2 object as ephemeral")
    text = tr.text_of("ephtoloh")
    for header in ("Ephemeral objects pointing to the Large objects:", "Large objects pointing to Ephemeral objects:",
                   "Ephemeral objects which point to Large objects which point to Ephemeral objects:"):
        check(header in text, "ephtoloh: %r missing:\n%s" % (header, text))
    check(re.search(r"^%016x Generations\.YoungHolder\s+%016x System\.Object\[\]$" % (a["young"], a["large"]), text,
                    re.M), "ephtoloh: the row young -> large:\n%s" % text)
    for c, want in BAD.items():
        err = tr.error(c)
        check(err is not None and want in err, "%r fails with %r: %r" % (c, want, err))


if __name__ == "__main__":
    try:
        main()
    except harness.Failure as ex:
        print("FAIL: %s" % ex)
        sys.exit(1)
    harness.finish()
