#!/usr/bin/env bash
# Installs what clrsos needs from Debian's packages, if missing:
# lldb and its headers, libunwind, cmocka (unit tests), jansson (JSON reading),
# RE2 (findstring -regex),
# cmake, a C/C++ compiler, gdb (OS-style cores in the tests) and python3
# (the end-to-end harness); clang and its runtimes for the fuzzers (scripts/fuzz.sh); GNU time (the
# benchmark's peak memory); dpkg-dev (dpkg-shlibdeps: the Debian package's
# Depends; dpkg-buildflags: the builds.* tests) and lintian (package.install).
# The .NET SDK builds the test targets only; the
# plugin needs no .NET at run time.
set -euo pipefail

packages=(lldb liblldb-dev libunwind-dev libcmocka-dev libjansson-dev libre2-dev zlib1g-dev cmake gcc g++ make gdb python3 binutils
          clang-14 libclang-rt-14-dev time dpkg-dev lintian)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "clrsos setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Other lldb versions, unpacked side by side (not installed), for the tests
# that load the plugin in each (tests/lldb/test_lldb.py, lldb19.*, lldb22.*).
bash "$(dirname "$0")/setup-lldb.sh" 13 15 16 19 22

if ! command -v dotnet >/dev/null 2>&1; then
  echo "clrsos setup: the .NET SDK (dotnet) is not on PATH; the test targets and the demo need it" >&2
  exit 1
fi
