#!/usr/bin/env bash
# Set up, configure and build everything: libclrsos.so, the unit tests and
# the .NET test targets, into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLRSOS_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)"
echo "clrsos: built build/libclrsos.so"
