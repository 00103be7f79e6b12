#!/usr/bin/env bash
# Unpacks other versions of Debian's lldb side by side, without installing
# them (their packages conflict through python3-lldb-N), so that the plugin
# can be tested in each:
#
#   bash scripts/setup-lldb.sh 22 [19 16 15 13 ...]
#
# Each goes to $CLRSOS_LLDB_ROOT/<N> (default ~/.cache/clrsos/lldb/<N>), with
# a wrapper, $CLRSOS_LLDB_ROOT/<N>/lldb, that runs that lldb with its own
# libraries, Python package and lldb-server. The end-to-end tests run a subset
# again in lldb 19 and 22 (tests/lldb/CMakeLists.txt).
set -euo pipefail
root=${CLRSOS_LLDB_ROOT:-$HOME/.cache/clrsos/lldb}
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo "$(uname -m)-linux-gnu")

for v in "$@"; do
  dir="$root/$v"
  if [ -x "$dir/lldb" ] && "$dir/lldb" --version >/dev/null 2>&1; then
    continue
  fi
  echo "clrsos setup: unpacking lldb $v into $dir"
  work=$(mktemp -d)
  packages=(lldb-$v liblldb-$v python3-lldb-$v libllvm$v libclang-cpp$v)
  if ! (cd "$work" && apt-get download -qq "${packages[@]}" >/dev/null 2>&1); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    (cd "$work" && apt-get download -qq "${packages[@]}" >/dev/null 2>&1) || {
      echo "clrsos setup: cannot download ${packages[*]} ($arch) from the package source" >&2
      rm -rf "$work"; exit 1; }
  fi
  rm -rf "$dir.new"
  mkdir -p "$dir.new"
  for deb in "$work"/*.deb; do
    dpkg-deb -x "$deb" "$dir.new"
  done
  rm -rf "$work"
  llvm="$dir/usr/lib/llvm-$v"
  python=$(cd "$dir.new/usr/lib/llvm-$v/lib" && ls -d python3*/*-packages 2>/dev/null | head -1)
  cat > "$dir.new/lldb" <<WRAPPER
#!/bin/sh
# lldb $v unpacked by clrsos's scripts/setup-lldb.sh (not installed).
export LD_LIBRARY_PATH="$dir/usr/lib/$multiarch:$llvm/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export PYTHONPATH="$llvm/lib/$python\${PYTHONPATH:+:\$PYTHONPATH}"
export LLDB_DEBUGSERVER_PATH="$llvm/bin/lldb-server"
exec "$llvm/bin/lldb" "\$@"
WRAPPER
  chmod +x "$dir.new/lldb"
  rm -rf "$dir"
  mv "$dir.new" "$dir"
  if ! "$dir/lldb" --version >/dev/null 2>&1; then
    echo "clrsos setup: lldb $v in $dir does not run:" >&2
    "$dir/lldb" --version >&2 || true
    exit 1
  fi
done
