#!/usr/bin/env bash
# Publish a test target self-contained for a pinned runtime patch (8.0.34,
# 9.0.23, 10.0.15, ...): the runtime pack of exactly that version comes from
# the package source (restore fetches it), so a patch's layout change shows up
# in the tests. The version is written to <out>/RUNTIME_VERSION. If the source
# lacks the pack, leave a note in <out>/UNAVAILABLE instead of failing the
# build; the tests then report the runtime as skipped, with that note. A
# target that does not compile fails the build.
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
cp "$src"/*.csproj "$stage"/
cp "$src"/*.cs "$stage"/ 2>/dev/null
# Sources the project takes from a sibling directory (LinesEmbedded compiles
# ../Lines/Program.cs): staged beside it under the same relative path.
for rel in $(grep -o 'Include="\.\./[^"]*\.cs"' "$src"/*.csproj | sed 's/^Include="//; s/"$//'); do
  mkdir -p "$(dirname "$stage/$rel")"
  cp "$src/$rel" "$stage/$rel"
done
log=$(dotnet publish "$stage" -c Release -r linux-x64 --self-contained \
        -f "$tfm" -p:TargetFrameworks="$tfm" -p:RuntimeFrameworkVersion="$version" \
        -nologo -v quiet -o "$out" 2>&1)
status=$?
if echo "$log" | grep -q 'error CS[0-9]'; then
  # The pack was there but the target does not compile for this runtime: a
  # defect of the target, not a runtime the source lacks (no skip).
  echo "$log" | grep 'error CS[0-9]' | head -5 >&2
  echo "clrsos: $(basename "$src") does not compile for .NET $version" >&2
  exit 1
fi
if [ $status -ne 0 ] || [ ! -f "$out/libmscordaccore.so" ]; then
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
