#!/usr/bin/env bash
# Build everything and run every test (unit tests, plain and under
# ASan+UBSan; end-to-end tests in real lldb, live and on cores, across the
# GC modes) with one summary from ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j2 "$@"
