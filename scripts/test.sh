#!/usr/bin/env bash
# Build everything and run every test (unit tests, plain and under
# ASan+UBSan; end-to-end tests in real lldb, live and on cores, across the
# GC modes) with one summary from ctest; then the lldb tests with the plugin
# under ASan+UBSan, and a short run of each fuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
# The disk the tests write cores to, before and after (a full disk fails
# many tests at once: say so beside them).
df -h . "${TMPDIR:-/tmp}" | sed 's/^/clrsos: disk: /'
trap 'df -h . "${TMPDIR:-/tmp}" | sed "s/^/clrsos: disk at the end: /"' EXIT
ctest --test-dir build --output-on-failure -j2 "$@"
# The lldb tests again with the plugin under ASan+UBSan (CLRSOS_SANITIZED=0: not).
if [ "${CLRSOS_SANITIZED:-1}" != 0 ]; then
  bash scripts/test-sanitized.sh
fi
# A short run of each fuzzer (CLRSOS_FUZZ_SECONDS each, 0: none); longer
# runs: scripts/fuzz.sh <seconds> (docs/reliability.md).
seconds=${CLRSOS_FUZZ_SECONDS:-15}
if [ "$seconds" != 0 ]; then
  bash scripts/fuzz.sh "$seconds"
fi
