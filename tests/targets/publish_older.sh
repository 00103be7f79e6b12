#!/usr/bin/env bash
# Publish a test target self-contained for a pinned runtime patch (8.0.34,
# 9.0.23, 10.0.15, ...): the runtime pack of exactly that version comes from
# the package source (restore fetches it), so a patch's layout change shows up
# in the tests. The version is written to <out>/RUNTIME_VERSION. If the source
# lacks the pack, leave a note in <out>/UNAVAILABLE instead of failing the
# build; the tests then report the runtime as skipped, with that note.
#
# usage: publish_older.sh <project dir> <runtime version, e.g. 8.0.34> <out dir> <staging dir>
set -u
src=$1 version=$2 out=$3 stage=$4
tfm="net${version%%.*}.0"
rm -rf "$out" "$stage"
# The sources under a directory of the target's name, as in the tree (the
# PDB's source paths end in <name>/Program.cs, as the tests expect).
stage="$stage/$(basename "$src")"
mkdir -p "$out" "$stage"
cp "$src"/*.cs "$src"/*.csproj "$stage"/
log=$(dotnet publish "$stage" -c Release -r linux-x64 --self-contained \
        -f "$tfm" -p:TargetFrameworks="$tfm" -p:RuntimeFrameworkVersion="$version" \
        -nologo -v quiet -o "$out" 2>&1)
if [ $? -ne 0 ] || [ ! -f "$out/libmscordaccore.so" ]; then
  {
    echo "could not publish $(basename "$src") for .NET $version (self-contained, linux-x64):"
    echo "$log" | grep -E 'error|NU1' | head -5
  } > "$out/UNAVAILABLE"
  echo "clrsos: .NET $version test target unavailable: $(head -c 300 "$out/UNAVAILABLE")"
else
  echo "$version" > "$out/RUNTIME_VERSION"
fi
# Only the sources stay staged (the PDB names them): the build's own copy of
# the self-contained output is as big as <out> (about 80 MB a target).
rm -rf "$stage/bin"
exit 0
