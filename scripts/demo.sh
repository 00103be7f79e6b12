#!/usr/bin/env bash
# The leak hunt, end to end (docs/walkthrough.md): build clrsos and a small
# ASP.NET Core service (demo/DiagScenario) with the classic memory problems,
# start it, watch its counters grow while it leaks (clrsos counters), take
# core dumps through the runtime (clrsos collect), and let lldb with
# libclrsos.so say what grew and who holds it; then the same for a memory
# spike, caught at its top by clrsos trigger. The dumps, the saved histograms and the transcript are
# left in one folder, named at the end.
#
# Sizes and places (environment):
#   DEMO_LEAK_REQUESTS  memleak requests before dump 1, and again before dump 2 (200)
#   DEMO_LEAK_KB        customers (~1 KB each) each request caches (100)
#   DEMO_XML_EVENTS     order events (a ~39 KB XML payload each) before dump 2 (100)
#   DEMO_SPIKE_MB       how high the spike climbs, in MB (200); DEMO_SPIKE=0 skips the spike hunt
#   DEMO_SPIKE_SECONDS  how long the service spikes (20)
#   DEMO_OUT            the output folder (demo-out/<date>-<time>)
#   DEMO_PORT           the service's port (0: any free one)
#   CLRSOS_PLUGIN       libclrsos.so (build/libclrsos.so)
#   CLRSOS_TOOL         the clrsos tool (build/clrsos)
#   DEMO_SERVICE_DIR    where the service is built (build/demo/DiagScenario)
#   DEMO_SKIP_BUILD=1   do not run scripts/build.sh (setup + the full build):
#                       use CLRSOS_PLUGIN as it is; the service is still built
#   CLRSOS_LLDB_PRELOAD preloaded into lldb (the sanitizers' runtimes, for a
#                       plugin built with them; the tests set it)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

leak_requests=${DEMO_LEAK_REQUESTS:-200}
leak_kb=${DEMO_LEAK_KB:-100}
xml_events=${DEMO_XML_EVENTS:-100}
spike_mb=${DEMO_SPIKE_MB:-200}
spike_seconds=${DEMO_SPIKE_SECONDS:-20}
out=${DEMO_OUT:-demo-out/$(date +%Y%m%d-%H%M%S)}
plugin=${CLRSOS_PLUGIN:-$root/build/libclrsos.so}
tool=${CLRSOS_TOOL:-$root/build/clrsos}
service_dir=${DEMO_SERVICE_DIR:-$root/build/demo/DiagScenario}

if [ "${DEMO_SKIP_BUILD:-0}" != 1 ]; then
  bash scripts/build.sh >/dev/null
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
plugin=$(cd "$(dirname "$plugin")" && pwd)/$(basename "$plugin")
[ -f "$plugin" ] || { echo "demo: no plugin at $plugin" >&2; exit 1; }
[ -x "$tool" ] || { echo "demo: no clrsos tool at $tool" >&2; exit 1; }
transcript=$out/transcript.txt
: > "$transcript"

dotnet build demo/DiagScenario/DiagScenario.csproj -c Release -nologo -v quiet \
  -o "$service_dir" > "$out/service-build.log" 2>&1 ||
  { cat "$out/service-build.log" >&2; echo "demo: the service did not build" >&2; exit 1; }

# Debian's lldb 14 looks for its Python package in the wrong place.
export PYTHONPATH=/usr/lib/llvm-14/lib/python3.11/dist-packages:/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}

say() { printf '%s\n' "$*" | tee -a "$transcript"; }
step() { say ""; say "=== $* ==="; }

# Shows lldb's output on the terminal with each command's output cut to its
# first $1 and last $2 lines; the transcript keeps all of it.
condense() {
  awk -v H="$1" -v T="$2" -v F="$transcript" '
    function flush(  i) {
      if (n <= H + T + 1) { for (i = 1; i <= n; i++) print b[i] }
      else {
        for (i = 1; i <= H; i++) print b[i]
        printf "        [... %d more lines: see %s ...]\n", n - H - T, F
        for (i = n - T + 1; i <= n; i++) print b[i]
      }
      n = 0
    }
    /^\(lldb\) / { flush(); print; next }
    { b[++n] = $0 }
    END { flush() }'
}

# run_lldb <core> <head> <tail> <command>...: lldb in batch mode on a core
# with the plugin loaded; every command runs even if one fails. Its output
# goes to the transcript, and condensed to the terminal.
run_lldb() {
  local core=$1 head=$2 tail=$3; shift 3
  lldb_raw "$core" "$@" | tee -a "$transcript" | condense "$head" "$tail"
}
# lldb_raw <core> <command>...: the same, to stdout only.
lldb_raw() {
  local core=$1; shift
  local script
  script=$(mktemp "$out/.commands.XXXXXX")
  printf '%s\n' "$@" > "$script"
  local preload=()
  if [ -n "${CLRSOS_LLDB_PRELOAD:-}" ]; then
    # A plugin built under ASan+UBSan (the tests' CLRSOS_SANITIZE_PLUGIN): their runtimes into lldb.
    preload=(env "LD_PRELOAD=$CLRSOS_LLDB_PRELOAD" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
             UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
  fi
  "${preload[@]}" lldb -b --no-use-colors -c "$core" "$host" -o "plugin load $plugin" \
    -o "command source -e false $script" < /dev/null 2>&1 |
    grep -v -e '^(lldb) command source ' -e "^Executing commands in '"
  rm -f "$script"
}

# json_of <file> <command> <expression>: the Python expression over j, the
# JSON that <command> printed in the lldb output saved in <file>.
json_of() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
text, command, expr = open(sys.argv[1]).read().splitlines(), sys.argv[2], sys.argv[3]
for i, line in enumerate(text):
    if line == "(lldb) " + command:
        for l in text[i + 1:]:
            if l.startswith("{"):
                j = json.loads(l)
                print(eval(expr))
                sys.exit(0)
            if l.startswith("(lldb) ") or l.startswith("error: "):
                break
sys.exit("demo: no JSON from '%s' in %s" % (command, sys.argv[1]))
PY
}

# --- start the service ---------------------------------------------------
step "Start the service"
DIAG_SPIKE_MB=$spike_mb dotnet "$service_dir/DiagScenario.dll" --urls "http://127.0.0.1:${DEMO_PORT:-0}" \
  > "$out/service.log" 2>&1 &
pid=$!
stop_service() {
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
}
trap stop_service EXIT
trap 'exit 130' INT TERM
url=""
for _ in $(seq 1 300); do
  url=$(grep -o 'Now listening on: http://[0-9.:]*' "$out/service.log" 2>/dev/null | head -n 1 | sed 's/^Now listening on: //') || true
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$url" ] || { cat "$out/service.log" >&2; echo "demo: the service did not start" >&2; exit 1; }
host=$(readlink "/proc/$pid/exe")
say "service: pid $pid, $url (host program $host)"
say "\$ clrsos ps"
"$tool" ps | grep -E "^ *(PID|$pid) " | tee -a "$transcript"

# get <path> [<times>]: GET a path of the service that many times (loopback,
# no proxy); prints the last answer.
get() {
  python3 - "$url$1" "${2:-1}" <<'PY'
import sys, urllib.request
url, times = sys.argv[1], int(sys.argv[2])
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
body = b""
for _ in range(times):
    with opener.open(url, timeout=120) as r:
        body = r.read()
sys.stdout.write(body.decode())
PY
}
# dump <name>: the service's own count of what it holds, then a full core
# written by the runtime (clrsos collect, as dotnet-dump collect).
dump() {
  get /api/diagscenario/stats > "$out/$1.stats.json"
  say "service stats at $1: $(cat "$out/$1.stats.json")"
  say "\$ clrsos collect $pid -o $1.core"
  "$tool" collect "$pid" -o "$out/$1.core" 2>&1 | sed 's/^/    /' | tee -a "$transcript"
  [ "${PIPESTATUS[0]}" = 0 ] && [ -s "$out/$1.core" ] || { echo "demo: clrsos collect wrote no $1.core" >&2; exit 1; }
}

# The last view `clrsos counters` printed (not on a terminal: one per refresh).
last_view() { awk '/^--- /{ n++; buf="" } { buf = buf $0 "\n" } END { printf "%s", buf }'; }

# value <csv> <counter display name>: the last value a recording has of it.
value() { python3 -c 'import csv,sys; rows=[r for r in csv.reader(open(sys.argv[1])) if r[2].split(" (")[0] == sys.argv[2]]; print(rows[-1][4] if rows else "")' "$1" "$2"; }

# --- the leak ----------------------------------------------------------------
step "Leak: $leak_requests x GET /api/diagscenario/memleak/$leak_kb, its counters recorded (clrsos counters --format csv)"
say "\$ clrsos counters $pid --format csv -o leak-counters.csv &"
"$tool" counters "$pid" --format csv -o "$out/leak-counters.csv" 2> "$out/leak-counters.log" &
recorder=$!
sleep 2
answer=$(get "/api/diagscenario/memleak/$leak_kb" "$leak_requests")
say "$answer"
say "\$ clrsos counters $pid --duration 3s     (the last of its views)"
"$tool" counters "$pid" --duration 3s | last_view | tee -a "$transcript"
dump leak-1

step "More leak: $leak_requests x memleak/$leak_kb, and $xml_events order events (GET /api/diagscenario/xmlevents/$xml_events)"
answer=$(get "/api/diagscenario/memleak/$leak_kb" "$leak_requests")
say "$answer"
answer=$(get "/api/diagscenario/xmlevents/$xml_events")
say "$answer"
sleep 2
kill -INT "$recorder"
wait "$recorder" || { cat "$out/leak-counters.log" >&2; echo "demo: clrsos counters failed" >&2; exit 1; }
say "$(cat "$out/leak-counters.log")"
heap=dotnet.gc.last_collection.heap.size
[ -n "$(value "$out/leak-counters.csv" "$heap")" ] || heap="GC Heap Size"   # .NET 8: EventCounters
say "\$ clrsos chart leak-counters.csv --counters '$heap'"
"$tool" chart "$out/leak-counters.csv" --counters "$heap" 2>&1 | tee -a "$transcript"
dump leak-2

# --- the spike: a dump at its top and one back at the baseline ---------------
if [ "${DEMO_SPIKE:-1}" != 0 ]; then
  step "Spike: GET /api/diagscenario/memspike/$spike_seconds; clrsos trigger dumps at its top, then a dump back at the baseline"
  "$tool" counters "$pid" --counters 'System.Runtime[gc-heap-size]' --format csv -o "$out/spike-before.csv" \
    --duration 3s 2> /dev/null
  base=$(value "$out/spike-before.csv" "GC Heap Size")
  base=${base%.*}
  [ -n "$base" ] || { echo "demo: no GC heap size from clrsos counters" >&2; exit 1; }
  high=$((base + spike_mb * 6 / 10))
  say "GC heap before the spike: $base MB; the trigger: a full dump when it passes $high MB"
  say "\$ clrsos trigger $pid $high -o spike"
  mkdir -p "$out/spike"
  "$tool" trigger "$pid" "$high" -o "$out/spike" --duration "$((spike_seconds + 20))s" > "$out/spike-trigger.log" 2>&1 &
  trigger=$!
  sleep 2
  answer=$(get "/api/diagscenario/memspike/$spike_seconds")
  say "$answer"
  status=0
  wait "$trigger" || status=$?
  sed 's/^/    /' "$out/spike-trigger.log" | tee -a "$transcript"
  [ "$status" = 0 ] || { echo "demo: clrsos trigger did not catch the spike (status $status)" >&2; exit 1; }
  get /api/diagscenario/stats > "$out/spike-high.stats.json"
  say "service stats at spike-high: $(cat "$out/spike-high.stats.json")"
  for f in "$out"/spike/core_*; do
    case $f in
      *.counters.json) mv "$f" "$out/spike-high.counters.json" ;;
      *.counters.svg) mv "$f" "$out/spike-high.counters.svg" ;;
      *) mv "$f" "$out/spike-high.core" ;;
    esac
  done
  rmdir "$out/spike"
  say "(renamed: spike-high.core, with the counters that led to it in spike-high.counters.json and .svg)"
  # The baseline: once the spike is over.
  deadline=$((SECONDS + spike_seconds + 20))
  while get /api/diagscenario/stats | grep -q '"running":true'; do
    [ $SECONDS -lt $deadline ] || { echo "demo: the spike never ended" >&2; exit 1; }
    sleep 0.5
  done
  dump spike-low
fi
stop_service
say "service stopped"

# --- the diagnosis -------------------------------------------------------------
step "Dump 1: the runtime, and the type histogram, saved"
run_lldb "$out/leak-1.core" 2 12 "eeversion" "dumpheap -stat --save $out/before.json"

step "Dump 2: what grew since dump 1"
run_lldb "$out/leak-2.core" 16 2 "heapdiff $out/before.json" "dumpheap -stat -type DiagScenario." \
  "dumpheap -strings -min 20000"

# The script finds its addresses in clrsos's JSON output, kept beside the
# transcript (leak-2.json.txt).
lldb_raw "$out/leak-2.core" "heapdiff $out/before.json --json" "dumpheap -stat -type DiagScenario.Customer --json" \
  "dumpheap -strings -min 20000 --json" "dumpheap -type DiagScenario.Processor -short --json" > "$out/leak-2.json.txt"
customer_mt=$(json_of "$out/leak-2.json.txt" "dumpheap -stat -type DiagScenario.Customer --json" \
  '[s["mt"] for s in j["statistics"] if s["type"] == "DiagScenario.Customer"][0]')
xml_string=$(json_of "$out/leak-2.json.txt" "dumpheap -strings -min 20000 --json" \
  '[s["example"] for s in j["strings"] if s["text"].startswith("<?xml")][0]')
processor=$(json_of "$out/leak-2.json.txt" "dumpheap -type DiagScenario.Processor -short --json" 'j["addresses"][0]')

step "Dump 2: the customers (MethodTable $customer_mt, from dumpheap -stat -type DiagScenario.Customer --json)"
# One address a line: into their own file; the transcript shows the first few.
lldb_raw "$out/leak-2.core" "dumpheap -mt $customer_mt -short" | { grep -E '^[0-9a-f]+$' || true; } \
  > "$out/leak-2.customers.txt"
count=$(wc -l < "$out/leak-2.customers.txt")
{
  echo "(lldb) dumpheap -mt $customer_mt -short"
  head -n 5 "$out/leak-2.customers.txt"
  echo "        [... $count addresses in all: see leak-2.customers.txt ...]"
} | tee -a "$transcript"
[ "$count" -gt 0 ] || { echo "demo: no DiagScenario.Customer in dump 2" >&2; exit 1; }
customer=$(sed -n "$(( (count + 1) / 2 ))p" "$out/leak-2.customers.txt")
say "the customer in the middle of the list: $customer"

step "Dump 2: who holds a customer, what it is, all that its holder keeps alive; one of the XML payloads and who holds it"
run_lldb "$out/leak-2.core" 14 2 "gcroot $customer" "dumpobj $customer" "objsize $processor -stat" \
  "dumpstring $xml_string --count 600" "dumpstring $xml_string --outfile $out/payload.xml" "gcroot $xml_string"

if [ "${DEMO_SPIKE:-1}" != 0 ]; then
  step "Spike: the baseline's histogram, saved"
  run_lldb "$out/spike-low.core" 2 12 "dumpheap -stat --save $out/spike-baseline.json"

  step "Spike: what the top of the spike holds beyond the baseline"
  run_lldb "$out/spike-high.core" 12 2 "heapdiff $out/spike-baseline.json" "dumpheap -stat -type DiagScenario.Spike"
  lldb_raw "$out/spike-high.core" "heapdiff $out/spike-baseline.json --json" \
    "dumpheap -type System.Byte[] -min 1000000 -short --json" > "$out/spike-high.json.txt"
  # One the spike's list holds: the newest array may still be in its
  # constructor when the dump is taken, held by that thread's stack only, and
  # LOH addresses do not follow allocation order (freed space is reused), so
  # of three from the middle of the list, the first with a root off the stack.
  candidates=$(json_of "$out/spike-high.json.txt" "dumpheap -type System.Byte[] -min 1000000 -short --json" \
    '" ".join(j["addresses"][max(0, len(j["addresses"]) // 2 - 1):len(j["addresses"]) // 2 + 2])')
  gcroots=()
  for a in $candidates; do gcroots+=("gcroot $a --json"); done
  lldb_raw "$out/spike-high.core" "${gcroots[@]}" > "$out/spike-high.gcroot.txt"
  chunk=""
  for a in $candidates; do
    if [ "$(json_of "$out/spike-high.gcroot.txt" "gcroot $a --json" 'any(r.get("kind") != "stack" for r in j["roots"])')" = True ]; then
      chunk=$a
      break
    fi
  done
  if [ -z "$chunk" ]; then
    echo "demo: none of the spike arrays $candidates is held by the spike's list" >&2
    exit 1
  fi
  step "Spike: who holds one of its 1 MB arrays ($chunk, from the middle of dumpheap -type System.Byte[] -min 1000000 -short --json)"
  run_lldb "$out/spike-high.core" 14 2 "gcroot $chunk"
fi

rm -f "$out"/.commands.*
step "Done"
say "dumps, histograms and the transcript ($out/transcript.txt) are in $out:"
(cd "$out" && ls -l | sed 's/^/    /') | tee -a "$transcript"
