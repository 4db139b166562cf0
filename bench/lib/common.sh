# Sourced (from the repository root) by every benchmark that starts its own processes: bench/lib/stack.sh
# (so bench/http, bench/scenarios, bench/feeds), bench/replay, bench/restore and bench/dev-writes.
# Runs scripts/setup, builds the release binary unless ENCORE_BENCH_SKIP_BUILD=1 (ENCORE_BENCH_SCRATCH=DIR
# builds in DIR instead of .build, so a benchmark does not fight another build for the same scratch
# path), sets ENCORE, makes $WORK (removed on exit) and defines:
#   free_port          a free TCP port on 127.0.0.1 (scripts/lib/ports.sh)
#   pids               processes killed (-9) on exit, after before_cleanup (a no-op a script may redefine)
#   start_broker [NAME]  a fresh in-memory Tansu broker on a free port, logging to $WORK/tansu[-NAME].log;
#                      returns once it accepts connections, with BROKERS (host:port) and BROKER_PID set
#   stop_broker        kills the last broker started (frees the memory and cores of one no longer measured)
#   peak_rss_mb FILE   GNU time -v's "Maximum resident set size" (KiB) in MB
#   ratio A B          A/B with 2 decimals, as Python's f'{A/B:.2f}' (rate A B: 0 decimals); fails
#                      with nothing on stdout unless both are plain numbers and B is not 0
SCRATCH="${ENCORE_BENCH_SCRATCH:-.build}"
scripts/setup >/dev/null
[ -n "${ENCORE_BENCH_SKIP_BUILD:-}" ] || swift build -c release --product encore --scratch-path "$SCRATCH" 2>&1 | tail -n 1 >&2
ENCORE="$SCRATCH/release/encore"

WORK="$(mktemp -d)"
# The run's own master key (it wraps the users' data keys), for every process it starts: none
# falls back to ./.encore, where `encore dev` keeps its own.
export ENCORE_MASTER_KEY="$(head -c 32 /dev/urandom | base64)"
source scripts/lib/ports.sh
pids=()
before_cleanup() { :; }
cleanup() {
  before_cleanup
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done # wait: no "Killed" notice
  rm -rf "$WORK"
}
trap cleanup EXIT

start_broker() {
  local port
  port=$(free_port)
  BROKERS="127.0.0.1:$port"
  .venv/bin/tansu broker --listener-url "tcp://$BROKERS" --advertised-listener-url "tcp://$BROKERS" \
    --storage-engine memory://tansu/ > "$WORK/tansu${1:+-$1}.log" 2>&1 &
  BROKER_PID=$!; pids+=("$BROKER_PID")
  until (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; do sleep 0.1; done
}
stop_broker() { kill -9 "$BROKER_PID" 2>/dev/null || true; wait "$BROKER_PID" 2>/dev/null || true; }

peak_rss_mb() { awk -F: '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$1"; }

# divide DECIMALS A B: the arithmetic of ratio and rate, in awk (C printf rounds as Python's format does).
divide() {
  LC_ALL=C awk -v decimals="$1" -v a="$2" -v b="$3" 'BEGIN {
    number = "^-?[0-9]+(\\.[0-9]*)?$"
    if (a !~ number || b !~ number || b + 0 == 0) { print "divide: cannot compute " a "/" b > "/dev/stderr"; exit 1 }
    printf "%." decimals "f\n", a / b
  }'
}
ratio() { divide 2 "$1" "$2"; }
rate() { divide 0 "$1" "$2"; }
