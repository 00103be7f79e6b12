"""dumpasync against the AsyncShapes target's own truth.

usage: test_async.py <live|full>

AsyncShapes starts chains Outer -> Middle -> Inner, Inner awaiting a
TaskCompletionSource's Task that never completes, lone awaits of the same
kind, and finished ones, and prints their counts, states and the chain's
shape. The test runs dumpasync (--json and text, -coalesce, -stats,
-completed, -type, -mt, -fields) and checks:
  - one stack per paused chain, each the awaited Task<Int32> then Inner,
    Middle and Outer one level deeper each, every box at the state the
    target says (Inner 0, Middle and Outer 1), each frame the continuation
    of the one before (its continuations name the next frame's address);
  - the lone awaits as stacks of the Task and LoneWait; the shared source's
    Task continuing (through a List<object>) to SharedA, SharedB and a
    ContinueWith task, all one level down;
  - the finished boxes absent, and present with -completed, completed (the
    runtime clears a finished box's StateMachine, so its state reads 0);
  - Parked's stack starts with '<< Awaiting: ... Never >>', the struct
    awaiter its state machine holds, the box one level down;
  - -stats counts per state machine type as the target does; -coalesce
    groups the chains into one stack with their count;
  - -mt and -type keep only the stacks with such an object; -fields shows
    the state machine's <>1__state with its value;
  - the text is SOS's layout ('STACK n', '<address> <MT> (<state>) <type>',
    two spaces per level) and agrees with the JSON;
  - errors (an unknown option, -mt of something that is no MethodTable):
    one line, failed status.
"""

import re
import sys
from collections import Counter

import harness
from harness import check

BAD = {
    "dumpasync -bogus": "unknown option '-bogus'",
    "dumpasync -mt 0x10": "not a MethodTable",
    "dumpasync -mt": "-mt",
}


def method_of(description, prefix):
    """'AsyncShapes.Program+<Inner>d__1' -> 'Inner'; None for another type."""
    m = re.match(re.escape(prefix) + r"(\w+)>d__\d+$", description)
    return m.group(1) if m else None


def main():
    mode = sys.argv[1]
    scratch = None

    def run(commands):
        if mode == "live":
            return harness.lldb(commands, pid=target.pid)
        return harness.lldb(commands, core=core, exe=exe)

    target = None
    try:
        if mode == "live":
            target = harness.Target("AsyncShapes")
            truth = target.truth
        else:
            scratch = harness.scratch_dir()
            core, exe, truth = harness.core_of_finished("AsyncShapes", mode, scratch)
        prefix = truth["type_prefix"]
        states = truth["states"]
        chain = truth["chain"]
        first = ["dumpasync --json", "dumpasync", "dumpasync -completed --json", "dumpasync -stats --json",
                 "dumpasync -stats", "dumpasync -coalesce --json", "dumpasync -coalesce",
                 "dumpasync -type <Inner> --json", "dumpasync -tasks -stats --json", "dumpasync -completed", "dumpasync -fields --json", "dumpasync -fields",
                 "DumpAsync"]
        tr = run(first + list(BAD))

        # The stacks: each chain innermost first, the awaited Task at depth 0.
        result = tr.json("dumpasync --json")
        check(result["stack_count"] == len(result["stacks"]), "stack_count counts the stacks")
        shapes = Counter()
        shared = []
        parked = []
        by_address = {}
        for stack in result["stacks"]:
            frames = stack["frames"]
            names = []
            if "awaiting" in stack:
                check(len(frames) == 1 and method_of(frames[0]["description"], prefix) == "Parked" and
                      frames[0]["depth"] == 1, "only Parked's stack starts with an awaiter: %r" % stack)
                check(stack["awaiting"]["type"] == truth["parked_awaiter"] and stack["awaiting"]["is_value"],
                      "Parked awaits the Never struct: %r" % stack["awaiting"])
                parked.append(stack)
                by_address[int(frames[0]["address"], 16)] = frames[0]
                continue
            check(frames[0]["depth"] == 0 and frames[0]["type"] == "System.Threading.Tasks.Task<System.Int32>",
                  "each stack starts at an awaited Task<Int32>: %r" % frames[0])
            for k, f in enumerate(frames):
                by_address[int(f["address"], 16)] = f
                if k:
                    parents = [p for p in frames[:k] if p["depth"] == f["depth"] - 1]
                    check(parents and f["address"] in parents[-1]["continuations"],
                          "each frame is a continuation of the frame above it, one level up: %r" % f)
                if f["is_state_machine"]:
                    name = method_of(f["description"], prefix)
                    check(name is not None, "a state machine of the target: %r" % f["description"])
                    check(f["state"] == states[name], "%s paused at state %d, dumpasync says %r"
                          % (name, states[name], f["state"]))
                    check(f["state_machine_type"] == f["description"], "the box's StateMachine type: %r" % f)
                    check(not f["completed"], "a paused box is not completed: %r" % f)
                    names.append(name)
                elif f["depth"] == 0:
                    names.append("Task")
                else:
                    check(f["type"].startswith("System.Threading.Tasks.ContinuationResultTaskFromResultTask<"),
                          "a Task continuation is the ContinueWith's task: %r" % f)
                    names.append("ContinueWith")
            if len(frames) > 1 and frames[1]["depth"] == frames[-1]["depth"] == 1 and len(frames) > 2:
                shared.append(sorted(names[1:]))
                check(len(frames[0]["continuations"]) == len(frames) - 1, "the shared Task's continuations (a List)")
            else:
                check([f["depth"] for f in frames] == list(range(len(frames))), "a chain one level deeper each")
                shapes[tuple(names)] += 1
        want = Counter({tuple(["Task"] + chain): truth["chains"], ("Task", "LoneWait"): truth["lone"]})
        check(shapes == want, "the stacks: dumpasync %r, the target %r" % (shapes, want))
        check(len(parked) == 1, "Parked's one stack, with its awaiter: %d" % len(parked))
        ptext = tr.text_of("dumpasync")
        check(re.search(r"^STACK \d+\n<< Awaiting: [0-9a-f]{16} %016x %s >>\n  [0-9a-f]{16} [0-9a-f]{16} \(0\) %s"
                        % (int(parked[0]["awaiting"]["mt"], 16), re.escape(truth["parked_awaiter"]),
                           re.escape(prefix + "Parked>")), ptext, re.M),
              "the text shows Parked's awaiter above it:\n%s" % ptext)
        check(shared == [sorted(truth["shared"])], "the shared source's stack: %r, the target %r"
              % (shared, truth["shared"]))

        # The text: SOS's layout, the same frames as the JSON.
        text = tr.text_of("dumpasync")
        check(len(re.findall(r"^STACK \d+$", text, re.M)) == result["stack_count"], "a STACK line per stack")
        rows = re.findall(r"^( *)([0-9a-f]{16}) ([0-9a-f]{16}) \((-?\d+|[A-Za-z| ]*)\) (\S.*)$", text, re.M)
        check(len(rows) == sum(len(s["frames"]) for s in result["stacks"]), "a row per frame:\n%s" % text)
        for indent, address, mt, state, desc in rows:
            f = by_address.get(int(address, 16))
            check(f is not None, "the text's frame %s is a JSON frame" % address)
            check(len(indent) == 2 * f["depth"], "two spaces per level: %r" % indent)
            check(int(mt, 16) == int(f["mt"], 16) and desc == f["description"], "the text's frame %s" % address)
            if f["is_state_machine"]:
                check(int(state) == f["state"], "the text's state of %s" % address)
        check(tr.text_of("DumpAsync") == text, "DumpAsync is dumpasync")

        # -completed: the finished boxes too (the runtime clears a finished box's state machine: state 0).
        done = Counter()
        for stack in tr.json("dumpasync -completed --json")["stacks"]:
            for f in stack["frames"]:
                if f["is_state_machine"] and f["completed"]:
                    name = method_of(f["description"], prefix)
                    if name:
                        check(f["state"] == states[name], "%s finished: state %r" % (name, f["state"]))
                        done[name] += 1
        check(done == Counter(truth["completed"]), "completed boxes: %r, the target %r" % (done, truth["completed"]))

        # -stats: per state machine type.
        stats = {method_of(s["type"], prefix): s for s in tr.json("dumpasync -stats --json")["stats"]}
        counts = {k: v["count"] for k, v in stats.items() if k}
        check(counts == truth["paused"], "-stats: %r, the target %r" % (counts, truth["paused"]))
        stext = tr.text_of("dumpasync -stats")
        for name, s in stats.items():
            if name:
                check(re.search(r"^%016x %-8d %s$" % (int(s["mt"], 16), s["count"], re.escape(s["type"])), stext,
                                re.M), "-stats text row of %s:\n%s" % (name, stext))

        # -tasks -stats: the awaited Task<Int32>s counted too, one per paused chain or lone await.
        tstats = {s["type"]: s["count"] for s in tr.json("dumpasync -tasks -stats --json")["stats"]}
        check(tstats.get("System.Threading.Tasks.Task<System.Int32>") == truth["chains"] + truth["lone"] + 1,
              "-tasks -stats counts the awaited Tasks: %r" % tstats)
        ctext_done = tr.text_of("dumpasync -completed")
        check(len(re.findall(r"^[0-9a-f]{16} [0-9a-f]{16} \(0\) %s" % re.escape(prefix + "Finished>"), ctext_done,
                             re.M)) == truth["completed"]["Finished"], "-completed text: the finished boxes")
        check(len(re.findall(r"^  [0-9a-f]{16} [0-9a-f]{16} \(\) TaskCompletionSentinel$", ctext_done, re.M)) ==
              truth["completed"]["Finished"], "-completed text: each finished box's continuation is the sentinel:\n%s"
              % ctext_done)

        # -coalesce: the chains in one group.
        groups = tr.json("dumpasync -coalesce --json")["coalesced"]
        top = [g for g in groups if g["frame"] == "System.Threading.Tasks.Task<System.Int32>"]
        check(len(top) == 1 and top[0]["count"] == truth["chains"] + truth["lone"] + 1,
              "-coalesce: the awaited Tasks in one group: %r" % groups)
        level = Counter((method_of(g["frame"].split(") ", 1)[-1], prefix), g["count"]) for g in top[0]["continuations"])
        check(level == Counter({("Inner", truth["chains"]): 1, ("LoneWait", truth["lone"]): 1, ("SharedA", 1): 1,
                                ("SharedB", 1): 1, (None, 1): 1}),
              "-coalesce: the next level: %r" % level)
        ctext = tr.text_of("dumpasync -coalesce")
        check(re.search(r"^STACKS 1$", ctext, re.M) and
              re.search(r"^  \[%d\] [0-9a-f]{16} \(0\) %s" % (truth["chains"], re.escape(prefix + "Inner>")),
                        ctext, re.M), "-coalesce text:\n%s" % ctext)

        # -mt and -type filter stacks.
        inner = [f for f in by_address.values() if method_of(f["description"], prefix) == "Inner"]
        lone = [f for f in by_address.values() if method_of(f["description"], prefix) == "LoneWait"]
        tr2 = run(["dumpasync -mt %s --json" % lone[0]["mt"], "dumpasync -addr %s --json" % inner[0]["address"]])
        typed = tr.json("dumpasync -type <Inner> --json")
        check(typed["stack_count"] == truth["chains"], "-type <Inner>: the chains only: %r" % typed["stack_count"])
        check(tr2.json("dumpasync -mt %s --json" % lone[0]["mt"])["stack_count"] == truth["lone"],
              "-mt of LoneWait's box: the lone stacks only")
        check(tr2.json("dumpasync -addr %s --json" % inner[0]["address"])["stack_count"] == 1,
              "-addr: the one stack with that box")

        # -fields: the state machine's own <>1__state.
        for stack in tr.json("dumpasync -fields --json")["stacks"]:
            for f in stack["frames"]:
                if f["is_state_machine"]:
                    fields = {x["name"]: x["value"] for x in f["fields"]}
                    check(int(fields["<>1__state"]) == f["state"], "-fields shows <>1__state: %r" % fields)
        check("<>1__state" in tr.text_of("dumpasync -fields"), "-fields text lists <>1__state")

        for command, text in BAD.items():
            err = tr.error(command)
            check(err is not None and text in err, "%r fails with %r: %r" % (command, text, err))
            check(len([l for l in tr.output(command) if l.strip()]) == 1, "%r: one line" % command)
    finally:
        if target:
            target.kill()
        if scratch:
            harness.cleanup(scratch)


if __name__ == "__main__":
    try:
        main()
    except harness.Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
    harness.finish()
