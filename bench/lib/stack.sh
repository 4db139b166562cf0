# Sourced by bench/http, bench/scenarios and bench/feeds (from the repository root): the stack they measure.
# Everything bench/lib/common.sh does and defines (the build, $ENCORE, $WORK removed on exit,
# free_port, start_broker, …), then exits 1 unless $ENCORE exists, and defines:
#   stack_start   Tansu broker, one `encore projector`, one `encore gateway` (SQLite, --auth none)
#                 on free ports; sets HTTP_PORT, BROKERS, GATEWAY_PID, PROJECTOR_PID and exports
#                 ENCORE_BROKERS / ENCORE_STORE so `$ENCORE load` etc. reach the same stack.
#   wait_drained  until the gateway's lag monitor, sampled after the call, shows every projector
#                 group at the log end.
source bench/lib/common.sh
[ -x "$ENCORE" ] || { echo "no $ENCORE (unset ENCORE_BENCH_SKIP_BUILD or set ENCORE_BENCH_SCRATCH)" >&2; exit 1; }

stack_start() {
  HTTP_PORT=$(free_port)
  start_broker
  export ENCORE_BROKERS="$BROKERS" ENCORE_STORE="sqlite:$WORK/encore.db" ENCORE_AUTH=none ENCORE_SESSION_TIMEOUT_MS=6000 \
    ENCORE_WRITE_RATE_LIMIT=0 # one load generator would otherwise be limited like any single client
  "$ENCORE" projector --log-level error > "$WORK/projector.log" 2>&1 & PROJECTOR_PID=$!; pids+=($PROJECTOR_PID)
  "$ENCORE" gateway --port "$HTTP_PORT" --log-level error > "$WORK/gateway.log" 2>&1 & GATEWAY_PID=$!; pids+=($GATEWAY_PID)
  local deadline=$((SECONDS + 60))
  until curl -sf "http://127.0.0.1:$HTTP_PORT/health" >/dev/null; do
    kill -0 "$GATEWAY_PID" 2>/dev/null && [ $SECONDS -lt $deadline ] \
      || { echo "the gateway did not answer /health:" >&2; cat "$WORK/gateway.log" >&2; exit 1; }
    sleep 0.2
  done
}

wait_drained() {
  python3 - "127.0.0.1:$HTTP_PORT" <<'PY'
import datetime, json, sys, time, urllib.request
since, deadline = datetime.datetime.now(datetime.timezone.utc), time.monotonic() + 300
while True:
    try:
        report = json.load(urllib.request.urlopen(f"http://{sys.argv[1]}/lag", timeout=5))
        at = datetime.datetime.fromisoformat(report["generatedAt"].replace("Z", "+00:00"))
        lag = sum(g["lag"] for g in report["groups"])
        if at > since and lag == 0 and report["groups"]:
            break
    except OSError:  # 503 until the first sample
        lag = None
    if time.monotonic() > deadline:
        sys.exit(f"the projectors did not reach the log end within 300 s (lag {lag})")
    time.sleep(0.2)
PY
}
