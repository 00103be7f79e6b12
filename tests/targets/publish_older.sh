#!/usr/bin/env bash
# Publish a test target self-contained for an older .NET (8, 9): the runtime
# pack comes from the package source. If the source lacks it, leave a note in
# <out>/UNAVAILABLE instead of failing the build; the tests then report the
# runtime as skipped, with that note.
#
# usage: publish_older.sh <project dir> <framework, e.g. net8.0> <out dir> <staging dir>
set -u
src=$1 tfm=$2 out=$3 stage=$4
rm -rf "$out" "$stage"
mkdir -p "$out" "$stage"
cp "$src"/*.cs "$src"/*.csproj "$stage"/
log=$(dotnet publish "$stage" -c Release -r linux-x64 --self-contained \
        -f "$tfm" -p:TargetFrameworks="$tfm" -nologo -v quiet -o "$out" 2>&1)
if [ $? -ne 0 ] || [ ! -f "$out/libmscordaccore.so" ]; then
  {
    echo "could not publish $(basename "$src") for $tfm (self-contained, linux-x64):"
    echo "$log" | grep -E 'error|NU1' | head -5
  } > "$out/UNAVAILABLE"
  echo "clrsos: $tfm test target unavailable: $(head -c 300 "$out/UNAVAILABLE")"
fi
exit 0
