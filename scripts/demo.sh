#!/usr/bin/env bash
# The main job on a built-in example: start a sample .NET program that builds
# a heap, attach lldb with libclrsos.so loaded, and show the runtime and its
# GC heap (eeversion, eeheap -gc). The transcript is also saved in demo-out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null
out=demo-out
mkdir -p "$out"
# Debian's lldb 14 looks for its Python package in the wrong place.
export PYTHONPATH=/usr/lib/llvm-14/lib/python3.11/dist-packages:/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}

dotnet build/targets/HeapShapes/HeapShapes.dll > "$out/sample.out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  grep -q '^READY' "$out/sample.out" 2>/dev/null && break
  sleep 0.1
done
grep -q '^READY' "$out/sample.out" || { echo "demo: the sample did not start" >&2; cat "$out/sample.out" >&2; exit 1; }

echo "demo: sample .NET process $pid is ready; attaching lldb"
lldb -b -p "$pid" \
  -o "plugin load $PWD/build/libclrsos.so" \
  -o "eeversion" \
  -o "eeheap -gc" 2>&1 | sed -n '/plugin load/,$p' | tee "$out/transcript.txt"
echo "demo: transcript saved in $out/transcript.txt"
