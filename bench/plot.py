#!/usr/bin/env python3
"""How each tool's cost grows with the heap: an SVG drawn from bench.py's raw results.

usage: plot.py [--out FILE] RAW.jsonl [RAW.jsonl ...]

For each command that clrsos and at least one other tool were timed on at
two or more heap sizes, one panel of time against live heap objects, and one
of peak RSS, both on log scales, a line per tool (clrsos, SOS in lldb,
dotnet-dump, ClrMD). Each point is the median of the runs recorded for that
tool, command and size; when several benchmark runs measured the same
point, the latest one's runs are used. A run cut at bench.py's timeout is
drawn as an open marker at the timeout, labelled with ">". Needs nothing
beyond Python's standard library.
"""

import json
import math
import statistics
import sys

TOOLS = [("clrsos", "clrsos", "#1b7837"), ("sos", "SOS in lldb", "#b2182b"),
         ("dotnet-dump", "dotnet-dump", "#2166ac"), ("clrmd", "ClrMD", "#8c6bb1")]
PANEL_W, PANEL_H, MARGIN_L, MARGIN_B, MARGIN_T, GAP = 300, 220, 70, 50, 30, 36


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def points(records):
    """{command: {tool: {objects: (seconds, cut, peak MB)}}} from the latest run of each point."""
    runs = {}
    for r in records:
        if r.get("kind") != "run" or r.get("mode", "core") != "core" or r["command"].startswith("("):
            continue
        key = (r["command"], r["tool"], r["millions"])
        prev = runs.get(key)
        if prev is None or r["bench"] > prev[0]:
            runs[key] = (r["bench"], [r])
        elif r["bench"] == prev[0]:
            prev[1].append(r)
    out = {}
    for (command, tool, _), (_, rs) in runs.items():
        done = [r["seconds"] for r in rs if not r["cut"] and r["seconds"] is not None]
        cut = not done
        seconds = statistics.median(done) if done else max(r.get("timeout") or r["wall"] for r in rs)
        peak = max(r["rss_kib"] for r in rs) / 1024
        out.setdefault(command, {}).setdefault(tool, {})[rs[0]["objects"]] = (seconds, cut, peak)
    return out


def log_axis(lo, hi):
    """Bounds a little beyond lo..hi and ticks (1, 2, 5 per decade when few decades) between them."""
    lo, hi = lo / 1.3, hi * 1.3
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    steps = (1, 2, 5) if b - a <= 4 else (1,)
    ticks = [m * 10 ** e for e in range(a, b + 1) for m in steps if lo <= m * 10 ** e <= hi]
    return lo, hi, ticks


def fmt_tick(v, unit):
    if unit == "objects":
        return "%gM" % (v / 1e6) if v >= 1e6 else "%gk" % (v / 1e3)
    if unit == "MB":
        return "{:,g} MB".format(v)
    return "%g s" % v if v >= 1 else "%g ms" % (v * 1000)


def panel(x0, y0, title, series, unit, xs_all, ys_all):
    """One panel: series is [(tool, colour, [(x, y, cut)])]."""
    xlo, xhi, xt = log_axis(min(xs_all), max(xs_all))
    ylo, yhi, yt = log_axis(min(ys_all), max(ys_all))
    X = lambda v: x0 + (math.log10(v) - math.log10(xlo)) / (math.log10(xhi) - math.log10(xlo)) * PANEL_W
    Y = lambda v: y0 + PANEL_H - (math.log10(v) - math.log10(ylo)) / (math.log10(yhi) - math.log10(ylo)) * PANEL_H
    svg = ['<text x="%.1f" y="%.1f" class="title">%s</text>' % (x0, y0 - 10, esc(title)),
           '<rect x="%d" y="%d" width="%d" height="%d" class="frame"/>' % (x0, y0, PANEL_W, PANEL_H)]
    for t in yt:
        svg.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="grid"/>' % (x0, x0 + PANEL_W, Y(t), Y(t)))
        svg.append('<text x="%d" y="%.1f" class="ytick">%s</text>' % (x0 - 4, Y(t) + 4, fmt_tick(t, unit)))
    for t in xt:
        if xlo <= t <= xhi:
            svg.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" class="grid"/>' % (X(t), X(t), y0, y0 + PANEL_H))
            svg.append('<text x="%.1f" y="%d" class="xtick">%s</text>' % (X(t), y0 + PANEL_H + 14,
                                                                      fmt_tick(t, "objects")))
    svg.append('<text x="%.1f" y="%d" class="xtick">heap objects</text>' % (x0 + PANEL_W / 2, y0 + PANEL_H + 28))
    for _, colour, pts in series:
        pts = sorted(pts)
        path = " ".join("%s%.1f,%.1f" % ("M" if i == 0 else "L", X(x), Y(y)) for i, (x, y, _) in enumerate(pts))
        svg.append('<path d="%s" stroke="%s" class="line"/>' % (path, colour))
        for x, y, cut in pts:
            fill = "white" if cut else colour
            svg.append('<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s" stroke="%s"/>' % (X(x), Y(y), fill, colour))
            if cut:
                svg.append('<text x="%.1f" y="%.1f" class="cut" fill="%s">&gt;</text>' % (X(x) + 5, Y(y) - 4, colour))
    return svg


def render(data):
    commands = [c for c in sorted(data) if len([t for t in data[c].values() if len(t) > 1]) > 1
                and len(data[c].get("clrsos", ())) > 1]
    if not commands:
        raise SystemExit("no command was timed in clrsos and another tool at two or more sizes")
    width = MARGIN_L + 2 * (PANEL_W + MARGIN_L + GAP)
    row_h = PANEL_H + MARGIN_T + MARGIN_B
    height = 60 + len(commands) * row_h
    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">'
           % (width, height, width, height),
           '<style>text{font:11px sans-serif}.title{font-weight:bold}.ytick{text-anchor:end}'
           '.xtick{text-anchor:middle}.frame{fill:none;stroke:#888}.grid{stroke:#ddd}'
           '.line{fill:none;stroke-width:1.8}.cut{font-weight:bold}</style>',
           '<rect width="100%" height="100%" fill="white"/>']
    lx = MARGIN_L
    for tool, label, colour in TOOLS:
        if any(len(data[c].get(tool, ())) > 1 for c in commands):
            svg.append('<line x1="%d" x2="%d" y1="20" y2="20" stroke="%s" stroke-width="3"/>' % (lx, lx + 18, colour))
            svg.append('<text x="%d" y="24">%s</text>' % (lx + 22, esc(label)))
            lx += 40 + 7 * len(label)
    svg.append('<text x="%d" y="40">Time in session (median) and peak RSS, against heap objects; log scales. '
               'An open marker with &gt;: cut at the timeout. MB: 2^20 bytes.</text>' % MARGIN_L)
    for i, c in enumerate(commands):
        y0 = 60 + i * row_h + MARGIN_T
        time_series, rss_series, xs, ts, ms = [], [], [], [], []
        for tool, _, colour in TOOLS:
            pts = data[c].get(tool)
            if not pts or len(pts) < 2:  # a line needs two sizes
                continue
            time_series.append((tool, colour, [(x, s, cut) for x, (s, cut, _) in pts.items()]))
            rss_series.append((tool, colour, [(x, m, False) for x, (_, cut, m) in pts.items() if not cut]))
            xs += list(pts)
            ts += [s for s, _, _ in pts.values()]
            ms += [m for _, cut, m in pts.values() if not cut]
        svg += panel(MARGIN_L, y0, "%s: time" % c, time_series, "s", xs, [max(t, 1e-3) for t in ts])
        if ms:
            svg += panel(2 * MARGIN_L + PANEL_W + GAP, y0, "%s: peak RSS" % c, rss_series, "MB", xs, ms)
    svg.append("</svg>")
    return "\n".join(svg) + "\n"


def main():
    argv, out = sys.argv[1:], None
    if len(argv) >= 2 and argv[0] == "--out":
        out, argv = argv[1], argv[2:]
    if not argv:
        raise SystemExit(__doc__.strip().splitlines()[2])
    records = []
    for path in argv:
        with open(path) as f:
            records += [json.loads(line) for line in f if line.strip()]
    text = render(points(records))
    if out:
        with open(out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
