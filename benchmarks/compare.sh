#!/usr/bin/env bash
# Compares Petrel with Mosquitto on this machine with the load driver. The report is a Markdown
# section between the "compare.sh results" markers: a table of Petrel / Mosquitto ratios
# (throughput, broker CPU per delivery, p99 and p99.9 latency), the raw figures, the idle-connection
# results, the hardware, the versions and the commands. A full run writes it into
# docs/benchmarks.md. A --quick run writes it into benchmarks/target/compare/quick.md instead, so
# that a smoke test does not replace the recorded results.
#
# Both brokers listen on free loopback ports only, the driver connects only to them, and both are
# stopped by PID when the script exits. Every driver run is bounded by its message count and
# --max-seconds.
#
# Usage: benchmarks/compare.sh [--quick] [--rounds N] [--output FILE] [--skip-build]
#   --quick       small counts and, unless --rounds is given, one round: a smoke test of about a
#                 minute after the build
#   --rounds N    rounds of all scenarios, each round running every scenario against both
#                 brokers, interleaved (default: 2; 1 with --quick)
#   --output FILE the Markdown file to write the report into (default: docs/benchmarks.md, or
#                 benchmarks/target/compare/quick.md with --quick). The report replaces the
#                 lines from "<!-- compare.sh results begin -->" to "<!-- compare.sh results end -->",
#                 so an existing file must contain each of these lines once, in this order. A new
#                 file is created with the report alone.
#   --skip-build  use benchmarks/target/benchmarks.jar as it is
#
# Exit status:
#   0  the report is written
#   1  Mosquitto is missing, the build or a broker failed, or the --output file changed during the
#      run so that the report no longer fits in. The report is then in
#      benchmarks/target/compare/section.md.
#   2  an invalid option, or an --output file that cannot be written. Both are checked before the
#      build and before any broker starts.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JAR="$ROOT/benchmarks/target/benchmarks.jar"
QUICK=0
ROUNDS=
OUTPUT=
SKIP_BUILD=0
MAX_SECONDS=120
# Per-session limits, the same for both brokers, so that neither may queue more or keep more in flight.
MAX_QUEUED=100000
MAX_INFLIGHT=1000

# Exits with 2 unless the option $1 is followed by a value: a next argument that is not an option.
require_value() {
  if [[ $# -lt 2 || -z "$2" || "$2" == --* ]]; then
    echo "error: missing value for $1; see --help" >&2
    exit 2
  fi
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) QUICK=1; shift ;;
    --rounds) require_value "$@"; ROUNDS="$2"; shift 2 ;;
    --output) require_value "$@"; OUTPUT="$2"; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "error: unknown option '$1'; see --help" >&2; exit 2 ;;
  esac
done
if [[ -z "$ROUNDS" ]]; then
  ROUNDS=$(( QUICK == 1 ? 1 : 2 ))
elif ! [[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]]; then
  echo "error: invalid --rounds '$ROUNDS': expected a positive integer" >&2
  exit 2
fi
if [[ -z "$OUTPUT" ]]; then
  if [[ $QUICK -eq 1 ]]; then
    OUTPUT="$ROOT/benchmarks/target/compare/quick.md"
  else
    OUTPUT="$ROOT/docs/benchmarks.md"
  fi
fi

BEGIN_MARKER='<!-- compare.sh results begin -->'
END_MARKER='<!-- compare.sh results end -->'

# Prints why the report cannot go into $OUTPUT, or nothing if it can: the file must be new or a
# writable regular file with one begin marker line followed by one end marker line. Creates the
# directory of a new file.
output_problem() {
  local directory probe begin_count end_count begin_line end_line
  directory=$(dirname "$OUTPUT")
  if ! mkdir -p "$directory" 2>/dev/null; then
    echo "its directory $directory cannot be created"
    return
  fi
  if [[ -e "$OUTPUT" ]]; then
    if [[ ! -f "$OUTPUT" ]]; then
      echo "it exists and is not a regular file"
      return
    fi
    # Opening the file for append writes nothing and tests the permission that the report needs.
    if ! (: >> "$OUTPUT") 2>/dev/null; then
      echo "the file is not writable"
      return
    fi
    begin_count=$(grep -c -x -F -e "$BEGIN_MARKER" "$OUTPUT" || true)
    end_count=$(grep -c -x -F -e "$END_MARKER" "$OUTPUT" || true)
    if [[ $begin_count -ne 1 || $end_count -ne 1 ]]; then
      echo "the file has $begin_count '$BEGIN_MARKER' and $end_count '$END_MARKER' lines, expected one" \
        "of each; add them where the report should go, or pass a new file with --output"
      return
    fi
    begin_line=$(grep -n -x -F -e "$BEGIN_MARKER" "$OUTPUT" | cut -d: -f1)
    end_line=$(grep -n -x -F -e "$END_MARKER" "$OUTPUT" | cut -d: -f1)
    if [[ $end_line -lt $begin_line ]]; then
      echo "its '$END_MARKER' line comes before its '$BEGIN_MARKER' line; swap them"
    fi
    return
  fi
  if ! probe=$(mktemp "$directory/.compare-probe.XXXXXX" 2>/dev/null); then
    echo "the directory $directory is not writable"
    return
  fi
  rm -f "$probe"
}

OUTPUT_PROBLEM=$(output_problem)
if [[ -n "$OUTPUT_PROBLEM" ]]; then
  echo "error: cannot write the report to '$OUTPUT': $OUTPUT_PROBLEM" >&2
  exit 2
fi

WORK=$(mktemp -d /tmp/petrel-compare.XXXXXX)
RESULTS="$WORK/results.txt"
: > "$RESULTS"
BROKER_PIDS=()

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
log "the report goes to $OUTPUT"

stop_pid() {
  local pid="$1"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "process $pid did not stop within 10 s of SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
}

# Set once the report is written; the work directory is then removed, otherwise kept for diagnosis.
COMPLETED=0

cleanup() {
  local pid
  for pid in "${BROKER_PIDS[@]}"; do
    stop_pid "$pid"
  done
  if [[ ${#BROKER_PIDS[@]} -gt 0 ]]; then
    log "stopped the brokers (PID ${BROKER_PIDS[*]})"
  fi
  if [[ $COMPLETED -eq 1 ]]; then
    rm -rf "$WORK"
  else
    log "logs and raw results are in $WORK"
  fi
}
trap cleanup EXIT
# The driver of the running case, if any; see run_case.
DRIVER_PID=

# On Ctrl+C or SIGTERM, stop the running driver and then the brokers (through the EXIT trap), without
# reporting the driver's early exit as a failure of the broker under test.
interrupted() {
  log "interrupted; stopping the driver and the brokers"
  if [[ -n "$DRIVER_PID" ]]; then
    kill -TERM "$DRIVER_PID" 2>/dev/null || true
    wait "$DRIVER_PID" 2>/dev/null || true
  fi
  exit 130
}
trap interrupted INT TERM

# Raise the open-file limit for 10,000 idle connections: the driver and each broker need one
# descriptor per connection. Without root the hard limit caps it.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# --- Mosquitto -----------------------------------------------------------------------------------
MOSQUITTO=$(command -v mosquitto || true)
if [[ -z "$MOSQUITTO" && -x /usr/sbin/mosquitto ]]; then
  MOSQUITTO=/usr/sbin/mosquitto
fi
if [[ -z "$MOSQUITTO" ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "error: mosquitto is not installed; install it with 'apt-get install -y mosquitto' or run as root" >&2
    exit 1
  fi
  log "installing mosquitto from the Debian packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null
  MOSQUITTO=/usr/sbin/mosquitto
fi

# --- Petrel --------------------------------------------------------------------------------------
if [[ $SKIP_BUILD -eq 0 || ! -f "$JAR" ]]; then
  log "building the benchmarks jar"
  (cd "$ROOT" && ./mvnw -q -B -DskipTests install -pl benchmarks -am)
fi
DISTRIBUTION="$ROOT/broker/target/petrel/bin/petrel"

# Succeeds if a TCP socket of this host uses local port $1, or with "listen" as $2 if a listening
# socket does. Reads the kernel's socket tables, so it sends nothing to the process that owns the port.
port_used() {
  local hex state_filter=""
  hex=$(printf '%04X' "$1")
  [[ "${2:-}" == listen ]] && state_filter="0A"
  awk -v port=":$hex" -v state="$state_filter" '
    FNR > 1 && substr($2, length($2) - 4) == port && (state == "" || $4 == state) { found = 1 }
    END { exit !found }
  ' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Prints a free TCP port on 127.0.0.1 below the ephemeral range, so no outgoing connection takes it.
free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 12000))
    if ! port_used "$port"; then
      echo "$port"
      return
    fi
  done
  echo "error: no free port found between 20000 and 32000" >&2
  exit 1
}

wait_for_port() {
  local port="$1" pid="$2" name="$3"
  for _ in $(seq 1 200); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "error: $name (PID $pid) exited during start; see $WORK/$name.log" >&2
      exit 1
    fi
    if port_used "$port" listen; then
      return
    fi
    sleep 0.1
  done
  echo "error: $name did not listen on 127.0.0.1:$port within 20 s; see $WORK/$name.log" >&2
  exit 1
}

# Starts Mosquitto; sets MOSQUITTO_PID and MOSQUITTO_PORT.
start_mosquitto() {
  MOSQUITTO_PORT=$(free_port)
  {
    echo "listener $MOSQUITTO_PORT 127.0.0.1"
    echo "allow_anonymous true"
    echo "max_queued_messages $MAX_QUEUED"
    echo "max_inflight_messages $MAX_INFLIGHT"
    # Petrel disables Nagle's algorithm on every connection; Mosquitto does so only when asked.
    echo "set_tcp_nodelay true"
    echo "persistence false"
    if [[ $(id -u) -eq 0 ]]; then
      echo "user root" # otherwise Mosquitto switches to the user 'mosquitto'
    fi
  } > "$WORK/mosquitto.conf"
  "$MOSQUITTO" -c "$WORK/mosquitto.conf" >> "$WORK/mosquitto.log" 2>&1 &
  MOSQUITTO_PID=$!
  BROKER_PIDS+=("$MOSQUITTO_PID")
  wait_for_port "$MOSQUITTO_PORT" "$MOSQUITTO_PID" mosquitto
  log "mosquitto PID $MOSQUITTO_PID on 127.0.0.1:$MOSQUITTO_PORT"
}

# Starts Petrel; sets PETREL_PID and PETREL_PORT.
start_petrel() {
  PETREL_PORT=$(free_port)
  if [[ -x "$DISTRIBUTION" ]]; then
    # The distribution reads PETREL_<KEY> environment variables as overrides of conf/petrel.conf.
    # Its journals go to a fresh directory under $WORK, so that a broker already running in the
    # working directory, or data it left there, does not affect the run.
    PETREL_LISTENER_HOST=127.0.0.1 PETREL_LISTENER_PORT="$PETREL_PORT" \
      PETREL_SESSION_MAX_QUEUED_MESSAGES="$MAX_QUEUED" PETREL_SESSION_MAX_INFLIGHT_MESSAGES="$MAX_INFLIGHT" \
      PETREL_PERSISTENCE_DIR="$WORK/petrel-data-$PETREL_PORT" "$DISTRIBUTION" >> "$WORK/petrel.log" 2>&1 &
    PETREL_START="PETREL_LISTENER_HOST=127.0.0.1 PETREL_LISTENER_PORT=PORT PETREL_SESSION_MAX_QUEUED_MESSAGES=$MAX_QUEUED PETREL_SESSION_MAX_INFLIGHT_MESSAGES=$MAX_INFLIGHT PETREL_PERSISTENCE_DIR=TEMPORARY_DIRECTORY broker/target/petrel/bin/petrel"
  else
    java -cp "$JAR" io.petrel.benchmarks.load.PetrelLauncher --host 127.0.0.1 --port "$PETREL_PORT" \
      --max-inflight "$MAX_INFLIGHT" --max-queued "$MAX_QUEUED" >> "$WORK/petrel.log" 2>&1 &
    PETREL_START="java -cp benchmarks/target/benchmarks.jar io.petrel.benchmarks.load.PetrelLauncher --host 127.0.0.1 --port PORT --max-inflight $MAX_INFLIGHT --max-queued $MAX_QUEUED"
  fi
  PETREL_PID=$!
  BROKER_PIDS+=("$PETREL_PID")
  wait_for_port "$PETREL_PORT" "$PETREL_PID" petrel
  log "petrel PID $PETREL_PID on 127.0.0.1:$PETREL_PORT"
}

stop_brokers() {
  stop_pid "$MOSQUITTO_PID"
  stop_pid "$PETREL_PID"
  BROKER_PIDS=()
  log "stopped mosquitto (PID $MOSQUITTO_PID) and petrel (PID $PETREL_PID)"
}

# --- Scenarios -----------------------------------------------------------------------------------
# name|driver arguments. Messaging scenarios run as fast as the driver's window allows, except the
# fixed-rate ones, which measure latency at 20,000 messages per second. Every messaging case sets a
# window of 1,000 messages per publisher, the driver's former default, which the queue limit of
# 100,000 per session that both brokers get here leaves room for.
if [[ $QUICK -eq 1 ]]; then
  SCENARIOS=(
    "fan-in-qos0|--scenario fan-in --clients 10 --qos 0 --window 1000 --messages 40000 --warmup-messages 10000"
    "fan-in-qos1|--scenario fan-in --clients 10 --qos 1 --window 1000 --messages 20000 --warmup-messages 10000"
    "fan-out-qos0|--scenario fan-out --clients 50 --qos 0 --window 1000 --messages 1000 --warmup-messages 200"
    "fan-out-qos1|--scenario fan-out --clients 50 --qos 1 --window 1000 --messages 1000 --warmup-messages 200"
    "p2p-qos0|--scenario p2p --clients 10 --qos 0 --window 1000 --messages 40000 --warmup-messages 10000"
    "p2p-qos1|--scenario p2p --clients 10 --qos 1 --window 1000 --messages 20000 --warmup-messages 10000"
    "fan-in-qos1-20k|--scenario fan-in --clients 10 --qos 1 --window 1000 --rate 20000 --messages 40000 --warmup-messages 10000"
    "p2p-qos1-20k|--scenario p2p --clients 10 --qos 1 --window 1000 --rate 20000 --messages 40000 --warmup-messages 10000"
  )
  IDLE_ARGS="--scenario idle --connections 1000 --connect-batch 200 --hold-seconds 2"
  IDLE_WARMUP_ARGS="--scenario idle --connections 200 --connect-batch 200 --hold-seconds 1"
  WARMUP_ARGS="--scenario p2p --clients 10 --qos 1 --window 1000 --messages 20000 --warmup-messages 0"
else
  SCENARIOS=(
    "fan-in-qos0|--scenario fan-in --clients 10 --qos 0 --window 1000 --messages 2000000 --warmup-messages 500000"
    "fan-in-qos1|--scenario fan-in --clients 10 --qos 1 --window 1000 --messages 1000000 --warmup-messages 300000"
    "fan-out-qos0|--scenario fan-out --clients 100 --qos 0 --window 1000 --messages 20000 --warmup-messages 5000"
    "fan-out-qos1|--scenario fan-out --clients 100 --qos 1 --window 1000 --messages 10000 --warmup-messages 3000"
    "p2p-qos0|--scenario p2p --clients 10 --qos 0 --window 1000 --messages 2000000 --warmup-messages 500000"
    "p2p-qos1|--scenario p2p --clients 10 --qos 1 --window 1000 --messages 1000000 --warmup-messages 300000"
    "fan-in-qos1-20k|--scenario fan-in --clients 10 --qos 1 --window 1000 --rate 20000 --messages 600000 --warmup-messages 200000"
    "p2p-qos1-20k|--scenario p2p --clients 10 --qos 1 --window 1000 --rate 20000 --messages 600000 --warmup-messages 200000"
  )
  IDLE_ARGS="--scenario idle --connections 10000 --connect-batch 200 --hold-seconds 10"
  IDLE_WARMUP_ARGS="--scenario idle --connections 1000 --connect-batch 200 --hold-seconds 2"
  WARMUP_ARGS="--scenario p2p --clients 10 --qos 1 --window 1000 --messages 300000 --warmup-messages 0"
fi
DRIVER_JAVA=(java -Xms512m -Xmx2g -cp "$JAR" io.petrel.benchmarks.load.LoadDriver)

# Runs the driver once; appends "round=R case=NAME broker=B" and its RESULT fields to the results
# file, $RESULTS unless a seventh argument names another.
run_case() {
  local round="$1" name="$2" broker="$3" port="$4" pid="$5" args="$6" results="${7:-$RESULTS}" output rc=0
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "error: $broker (PID $pid) is no longer running; see $WORK/$broker.log" >&2
    exit 1
  fi
  log "round $round: $name on $broker"
  # The driver runs in the background so that the INT trap can run while the shell waits for it.
  # shellcheck disable=SC2086 # args is a list of options
  timeout $((MAX_SECONDS + 90)) "${DRIVER_JAVA[@]}" --host 127.0.0.1 --port "$port" --broker-pid "$pid" \
    --max-seconds "$MAX_SECONDS" --label "$broker" $args > "$WORK/case.out" 2>> "$WORK/driver.log" &
  DRIVER_PID=$!
  wait "$DRIVER_PID" || rc=$?
  DRIVER_PID=
  output=$(cat "$WORK/case.out")
  if [[ $rc -ne 0 ]]; then
    log "driver exited with $rc on $name against $broker; see $WORK/driver.log"
  fi
  printf '%s\n' "$output" >> "$WORK/driver.out"
  local line
  line=$(printf '%s\n' "$output" | grep '^RESULT ' || true)
  if [[ -n "$line" ]]; then
    echo "round=$round case=$name broker=$broker ${line#RESULT }" >> "$results"
  else
    echo "round=$round case=$name broker=$broker outcome=failed" >> "$results"
  fi
}

START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED_AT=$(date -u +%Y-%m-%dT%H:%MZ)
for round in $(seq 1 "$ROUNDS"); do
  start_mosquitto
  start_petrel
  # One unrecorded run per broker first, so that the JIT compiler has compiled Petrel's hot paths
  # before the first recorded scenario; Mosquitto gets the same run.
  run_case "$round" warm-up mosquitto "$MOSQUITTO_PORT" "$MOSQUITTO_PID" "$WARMUP_ARGS" /dev/null
  run_case "$round" warm-up petrel "$PETREL_PORT" "$PETREL_PID" "$WARMUP_ARGS" /dev/null
  for entry in "${SCENARIOS[@]}"; do
    name=${entry%%|*}
    args=${entry#*|}
    # Alternate which broker goes first, so that neither always runs on a warmer or cooler machine.
    if (( round % 2 == 1 )); then
      run_case "$round" "$name" mosquitto "$MOSQUITTO_PORT" "$MOSQUITTO_PID" "$args"
      run_case "$round" "$name" petrel "$PETREL_PORT" "$PETREL_PID" "$args"
    else
      run_case "$round" "$name" petrel "$PETREL_PORT" "$PETREL_PID" "$args"
      run_case "$round" "$name" mosquitto "$MOSQUITTO_PORT" "$MOSQUITTO_PID" "$args"
    fi
  done
  stop_brokers
  # Idle connections run against freshly started brokers, so that memory freed by the messaging
  # runs does not hide the growth per connection.
  start_mosquitto
  start_petrel
  # One unrecorded idle run first (1,000 connections, 200 in quick runs). A fresh JVM loads classes
  # and runs its first collections on the first connections, and G1 may then shrink its heap. On a
  # fresh broker that made the measured RSS growth negative.
  run_case "$round" idle-warm-up mosquitto "$MOSQUITTO_PORT" "$MOSQUITTO_PID" "$IDLE_WARMUP_ARGS" /dev/null
  run_case "$round" idle-warm-up petrel "$PETREL_PORT" "$PETREL_PID" "$IDLE_WARMUP_ARGS" /dev/null
  run_case "$round" idle mosquitto "$MOSQUITTO_PORT" "$MOSQUITTO_PID" "$IDLE_ARGS"
  run_case "$round" idle petrel "$PETREL_PORT" "$PETREL_PID" "$IDLE_ARGS"
  stop_brokers
done
END_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

# --- Report --------------------------------------------------------------------------------------
JAVA_VERSION=$(java -version 2>&1 | head -1)
MOSQUITTO_VERSION=$("$MOSQUITTO" -h 2>&1 | head -1 || true)
# The distribution logs "Petrel VERSION listening for MQTT"; PetrelLauncher prints "(Petrel VERSION)".
# Both read VERSION from the Implementation-Version of the jar manifest. "development" means that
# Petrel ran from compiled classes without a manifest.
PETREL_VERSION=$(sed -n -e 's/.*Petrel \([^ ]*\) listening for MQTT.*/\1/p' -e 's/.*(Petrel \(.*\))$/\1/p' \
  "$WORK/petrel.log" | head -1)
case "$PETREL_VERSION" in
  "") PETREL_VERSION="of unknown version" ;;
  development) PETREL_VERSION="built from classes without a version" ;;
esac
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
PETREL_VERSION="$PETREL_VERSION at commit $COMMIT"
# A full run rewrites docs/benchmarks.md, so changes under docs/ do not count.
if [[ "$COMMIT" != unknown ]] && ! git -C "$ROOT" diff --quiet HEAD -- . ':(exclude)docs' 2>/dev/null; then
  PETREL_VERSION="$PETREL_VERSION with uncommitted changes"
fi
CPU_MODEL=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
MEMORY_GIB=$(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
ROUND_COUNT="$ROUNDS rounds"
if [[ $ROUNDS -eq 1 ]]; then
  ROUND_COUNT="1 round"
fi
MODE="full run, $ROUND_COUNT"
if [[ $QUICK -eq 1 ]]; then
  MODE="quick smoke run (--quick: small counts, $ROUND_COUNT); not a measurement to quote"
fi
if [[ $SKIP_BUILD -eq 1 ]]; then
  MODE="$MODE. Run with --skip-build, so the jar and the distribution may come from an older build"
fi

SECTION="$WORK/section.md"
{
  echo "$BEGIN_MARKER"
  echo "### Petrel / Mosquitto, $STARTED_AT"
  echo
  echo "- Mode: $MODE."
  echo "- Hardware: $(nproc) CPUs ($CPU_MODEL), $MEMORY_GIB GiB memory; load average $START_LOAD at the start and $END_LOAD at the end. Brokers and driver share the machine."
  echo "- Versions: $JAVA_VERSION; $MOSQUITTO_VERSION; Petrel $PETREL_VERSION."
  echo "- Petrel started with: \`$PETREL_START\` (default JVM options)."
  echo "- Mosquitto configuration: \`listener PORT 127.0.0.1\`, \`allow_anonymous true\`, \`max_queued_messages $MAX_QUEUED\`, \`max_inflight_messages $MAX_INFLIGHT\`, \`set_tcp_nodelay true\`, \`persistence false\`$( [[ $(id -u) -eq 0 ]] && echo ", \`user root\`")."
  echo "- Each round starts both brokers, gives each one unrecorded warm-up run (\`$WARMUP_ARGS\`), then runs every case against both, alternating which broker goes first. Idle connections run on freshly started brokers, after one unrecorded idle run (\`$IDLE_WARMUP_ARGS\`)."
  echo "- Each figure is the mean over the rounds. Ratios are Petrel / Mosquitto: above 1 is better for throughput, below 1 is better for CPU and latency."
  echo
  awk -f "$ROOT/benchmarks/compare-report.awk" "$RESULTS"
  echo
  echo "Driver command of each case (PORT and PID of the broker under test):"
  echo
  echo '```'
  for entry in "${SCENARIOS[@]}"; do
    echo "# ${entry%%|*}"
    echo "java -Xms512m -Xmx2g -cp benchmarks/target/benchmarks.jar io.petrel.benchmarks.load.LoadDriver --host 127.0.0.1 --port PORT --broker-pid PID --max-seconds $MAX_SECONDS ${entry#*|}"
  done
  echo "# idle"
  echo "java -Xms512m -Xmx2g -cp benchmarks/target/benchmarks.jar io.petrel.benchmarks.load.LoadDriver --host 127.0.0.1 --port PORT --broker-pid PID --max-seconds $MAX_SECONDS $IDLE_ARGS"
  echo '```'
  echo "$END_MARKER"
} > "$SECTION"

mkdir -p "$ROOT/benchmarks/target/compare"
cp "$RESULTS" "$WORK"/*.log "$WORK/driver.out" "$ROOT/benchmarks/target/compare/" 2>/dev/null || true
# The file was checked before the run, but it may have been changed or removed since.
OUTPUT_PROBLEM=$(output_problem)
if [[ -n "$OUTPUT_PROBLEM" ]]; then
  cp "$SECTION" "$ROOT/benchmarks/target/compare/section.md"
  echo "error: cannot write the report to '$OUTPUT': $OUTPUT_PROBLEM;" \
    "the report is in benchmarks/target/compare/section.md" >&2
  exit 1
fi
if [[ -f "$OUTPUT" ]]; then
  awk -v begin="$BEGIN_MARKER" -v end="$END_MARKER" -v section="$SECTION" '
    $0 == begin { while ((getline line < section) > 0) print line; skipping = 1; next }
    $0 == end { skipping = 0; next }
    !skipping { print }
  ' "$OUTPUT" > "$WORK/output.md"
  cp "$WORK/output.md" "$OUTPUT"
else
  cp "$SECTION" "$OUTPUT"
fi
COMPLETED=1
log "wrote $OUTPUT; raw results and logs are in benchmarks/target/compare"
