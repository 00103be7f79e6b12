#!/usr/bin/env bash
# Build the libFuzzer harnesses of core/ (clang, ASan+UBSan) into build-fuzz/
# and run each for a fixed time, from the committed seeds (tests/fuzz/seeds/,
# real heaps of tests/targets programs) and the corpus grown by earlier runs
# (build-fuzz/corpus/).
#
#   scripts/fuzz.sh [seconds per fuzzer (60)] [fuzzer ...]
#   fuzzers: heap roots gcdesc histogram utf16 elfcore gcinfo glibcheap ipc countersfile nettrace (all by default)
#
# A crash or hang leaves its input in build-fuzz/artifacts/<fuzzer>/ and
# fails the script. Fix it, then add the input to tests/fuzz/regressions/
# <fuzzer>/: ctest replays every file there (fuzz.replay.<fuzzer>).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
fuzzers=("$@")
[ ${#fuzzers[@]} -gt 0 ] || fuzzers=(heap roots gcdesc histogram utf16 elfcore gcinfo glibcheap ipc countersfile nettrace)

if ! command -v clang-14 >/dev/null || [ ! -e /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a ]; then
  bash scripts/setup.sh
fi
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLRSOS_FUZZ=ON -DCLRSOS_WERROR=ON \
  -DCLRSOS_BUILD_TESTS=OFF -DCLRSOS_BUILD_TARGETS=OFF >/dev/null
cmake --build build-fuzz --target fuzzers -j"$(nproc)" >/dev/null

failed=0
for f in "${fuzzers[@]}"; do
  case $f in
    heap|roots|gcdesc) seeds=tests/fuzz/seeds/snapshot; max_len=2097152 ;;
    histogram) seeds=tests/fuzz/seeds/histogram; max_len=262144 ;;
    utf16) seeds=tests/fuzz/seeds/utf16; max_len=65536 ;;
    elfcore) seeds=tests/fuzz/seeds/elfcore; max_len=262144 ;;
    gcinfo) seeds=tests/fuzz/seeds/gcinfo; max_len=4096 ;;
    glibcheap) seeds=tests/fuzz/seeds/glibcheap; max_len=65536 ;;
    ipc) seeds=tests/fuzz/seeds/ipc; max_len=65536 ;;
    countersfile) seeds=tests/fuzz/seeds/countersfile; max_len=65536 ;;
    nettrace) seeds=tests/fuzz/seeds/nettrace; max_len=262144 ;;
    *) echo "fuzz: no fuzzer '$f' (heap roots gcdesc histogram utf16 elfcore gcinfo glibcheap ipc countersfile nettrace)" >&2; exit 2 ;;
  esac
  corpus=build-fuzz/corpus/$f
  artifacts=build-fuzz/artifacts/$f/
  mkdir -p "$corpus" "$artifacts"
  log=build-fuzz/fuzz-$f.log
  echo "fuzz: $f for ${seconds}s (log: $log)"
  if ! build-fuzz/tests/fuzz/fuzz_$f -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 \
      -max_len=$max_len -print_final_stats=1 -artifact_prefix="$artifacts" \
      "$corpus" "$seeds" >"$log" 2>&1; then
    echo "fuzz: $f FAILED: input in $artifacts; end of the log:" >&2
    tail -40 "$log" >&2
    failed=1
  else
    grep -E "^stat::number_of_executed_units|^Done" "$log" | tr '\n' ' '
    echo
  fi
done
exit $failed
