#!/usr/bin/env python3
"""The counters chart is well-formed SVG, also with hostile names.

Runs `counters_unit --svg DIR` (charts of a made-up history, one with a
provider named with XML's special characters, control characters and
invalid UTF-8) and parses each file with xml.etree.
"""
import os
import sys
import tempfile
import subprocess
import xml.etree.ElementTree as ET

exe = sys.argv[1]
with tempfile.TemporaryDirectory() as d:
    subprocess.run([exe, "--svg", d], check=True)
    files = sorted(os.listdir(d))
    assert files == ["chart0.svg", "chart1.svg"], files
    for f in files:
        root = ET.parse(os.path.join(d, f)).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
        lines = root.findall(".//{http://www.w3.org/2000/svg}polyline")
        assert len(lines) == 3, (f, len(lines))
        for line in lines:
            pts = line.get("points").split()
            assert len(pts) == 120, len(pts)
        texts = "".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
        if f == "chart1.svg":
            assert "<&\"'>" in texts, texts[:200]
        print("ok", f)
print("2 passed, 0 failed")
