"""The faults, each applied under continuous mixed load; each returns a table row.

A row: fault, load applied (writes acknowledged / reads answered, other outcomes in brackets),
the checks with what they measured, and whether everything held.
"""
import random
import signal
import time

from checks import Check, settled
from cluster import http, rss_peak_mb, wait_until
from load import Load

READ_BOUND = 3.0  # seconds: a read while the store is down must answer within this
WRITE_BOUND = 8.0  # seconds: message.timeout.ms is 5 s in the gateway, plus slack on a loaded machine
RSS_BOUND_MB = 200  # peak RSS of a throttled projector sitting on a large backlog


def last_line(output):
    lines = output.strip().splitlines()
    return lines[-1][:160] if lines else ""


class Row:
    def __init__(self, fault, load, checks):
        self.fault, self.load, self.checks = fault, load, checks

    @property
    def held(self):
        return all(check.held for check in self.checks)


def kill_gateway(cluster, ledger, rounds, pause):
    """kill -9 the gateway mid-load, restart it; every acknowledged command must survive."""
    with Load(cluster.base, ledger) as load:
        for _ in range(rounds):
            time.sleep(pause)
            cluster.gateway.kill()
            cluster.start_gateway()
        time.sleep(pause)
    return Row(f"kill -9 gateway ×{rounds}", load.summary(), settled(cluster, ledger))


def kill_projectors(cluster, ledger, rounds, pause):
    """kill -9 a projector mid-load, start a new one; read model = fold of the log, nothing applied twice."""
    rng = random.Random()
    with Load(cluster.base, ledger) as load:
        for _ in range(rounds):
            time.sleep(pause)
            victim = rng.choice(cluster.projectors)
            victim.kill()
            cluster.projectors.remove(victim)
            cluster.start_projector()
        time.sleep(pause)
    return Row(f"kill -9 projector ×{rounds}", load.summary(), settled(cluster, ledger))


def stop_store(cluster, ledger, down):
    """PostgreSQL stopped (immediate) and started again: reads answer 503 quickly, projectors pause and resume."""
    entity = next(iter(ledger.entities()), None)
    with Load(cluster.base, ledger) as load:
        time.sleep(3)
        cluster.pg.stop()
        start = time.time()
        probe = time.monotonic()
        status, body, headers = http("GET", f"{cluster.base}/api/v2/music/{entity}", timeout=10)
        probe = time.monotonic() - probe
        time.sleep(down)
        end = time.time()
        cluster.pg.start()
        # The load's own reads during the outage, leaving a second for the server to notice.
        reads = load.answers_between("read", start + 1, end - READ_BOUND)
        survivors = [p for p in cluster.projectors if p.alive()]
        time.sleep(3)
    slow = [r for r in reads if r[1] >= READ_BOUND]
    not503 = [r for r in reads if r[2] != 503]
    checks = [
        Check("read while down: 503 store_unavailable with Retry-After",
              status == 503 and body and body.get("error") == "store_unavailable" and headers.get("Retry-After"),
              f"{status} {body and body.get('error')} in {probe:.2f} s"),
        Check(f"reads while down answer 503 within {READ_BOUND:.0f} s", reads and not slow and not not503,
              f"{len(reads)} reads, max {max((r[1] for r in reads), default=0):.2f} s, {len(not503)} not 503"),
        Check("projectors paused, none exited", len(survivors) == len(cluster.projectors), f"{len(survivors)}/{len(cluster.projectors)} alive"),
    ]
    return Row(f"PostgreSQL stopped {down:.0f} s", load.summary(), checks + settled(cluster, ledger))


def pause_broker(cluster, ledger, down):
    """SIGSTOP/SIGCONT the broker: writes 503 + Retry-After in bounded time, reads go on, all resumes."""
    with Load(cluster.base, ledger) as load:
        time.sleep(3)
        cluster.broker.signal(signal.SIGSTOP)
        start = time.time()
        time.sleep(down)
        end = time.time()
        cluster.broker.signal(signal.SIGCONT)
        acked_before = load.acked()
        try:
            wait_until("a write succeeds again", lambda: load.acked() > acked_before + 5, 60)
            resumed = Check("writes succeed again after SIGCONT", True)
        except TimeoutError as error:
            resumed = Check("writes succeed again after SIGCONT", False, str(error))
        time.sleep(2)
    # Writes answered while the broker had been stopped a moment: all refused (503 + Retry-After);
    # writes sent while it was stopped: answered within the bound.
    answered = [w for w in load.answers_between("write", start - WRITE_BOUND, end) if start + 0.5 < w[0] + w[1] <= end]
    refused = [w for w in answered if w[2] == 503 and w[3]]
    sent = load.answers_between("write", start, end)
    reads = load.answers_between("read", start, end)
    served = [r for r in reads if r[2] in (200, 404)]
    checks = [
        Check(f"writes while stopped: 503 with Retry-After within {WRITE_BOUND:.0f} s",
              answered and len(refused) == len(answered) and max(w[1] for w in sent) < WRITE_BOUND,
              f"{len(refused)}/{len(answered)} refused, max {max((w[1] for w in sent), default=0):.1f} s"),
        Check("reads keep serving", reads and len(served) == len(reads), f"{len(served)}/{len(reads)} answered"),
        resumed,
    ]
    return Row(f"broker SIGSTOP {down:.0f} s, SIGCONT", load.summary(), checks + settled(cluster, ledger))


def slow_consumer(cluster, ledger, backlog, rate, duration):
    """One projector throttled far behind a large backlog: lag shows it, memory stays bounded."""
    cluster.stop_projectors()
    # With the cluster's store: its users are sealed under keys in the cluster's key store.
    status, output = cluster.encore_command("generate", str(backlog), "--seed", str(random.randrange(10**6)))
    generated = Check(f"backlog of {backlog} appended", status == 0, last_line(output) if status else "")
    slow = cluster.start_projector("--max-records-per-second", str(rate))
    peak, lags = 0.0, []
    with Load(cluster.base, ledger) as load:
        deadline = time.monotonic() + duration
        while time.monotonic() < deadline and slow.alive():
            peak = max(peak, rss_peak_mb(slow.pid) or 0)
            report = cluster.lag()
            if report:
                lags.append((sum(g["lag"] for g in report["groups"]), {g["status"] for g in report["groups"]}))
            time.sleep(1)
        alive = slow.alive()
    behind = [lag for lag, _ in lags if lag > backlog // 2]
    checks = [
        generated,
        Check("throttled projector keeps running", alive),
        Check("lag report shows it far behind", len(behind) >= len(lags) // 2 and lags,
              f"lag {lags[0][0] if lags else '?'} → {lags[-1][0] if lags else '?'}, statuses {sorted(set().union(*(s for _, s in lags))) if lags else []}"),
        Check(f"peak RSS under {RSS_BOUND_MB} MB", 0 < peak < RSS_BOUND_MB, f"VmHWM {peak:.0f} MB at {rate} records/s"),
    ]
    cluster.stop_projectors()
    cluster.start_projector()
    cluster.start_projector()
    return Row(f"slow consumer ({rate}/s behind {backlog})", load.summary(), checks + settled(cluster, ledger, timeout=240))


def restart_broker_empty(cluster, ledger):
    """kill -9 the broker and start an empty one on the same port: projectors exit naming the fix, /ready says data loss."""
    with Load(cluster.base, ledger) as load:
        time.sleep(3)
        cluster.broker.kill()
        cluster.start_broker()
        started = time.monotonic()
        try:
            wait_until("projectors exit", lambda: all(not p.alive() for p in cluster.projectors), 60)
        except TimeoutError:
            pass
        exit_seconds = time.monotonic() - started
        exits = [p.popen.returncode for p in cluster.projectors]
        named = [p for p in cluster.projectors if "encore replay --adopt-log" in p.log_text()]

        def ready_says_data_loss():
            status, body, _ = http("GET", cluster.base + "/ready", timeout=3)
            return (status, body) if status == 503 and body and body.get("error") == "data_loss" else None
        try:
            ready = wait_until("/ready reports data loss", ready_says_data_loss, 60)
        except TimeoutError:
            ready = None
        gateway_logged = "encore replay --adopt-log" in cluster.gateway.log_text()
    checks = [
        Check("projectors exit non-zero", exits and all(code not in (None, 0) for code in exits), f"exits {exits} after {exit_seconds:.0f} s"),
        Check("projector logs name the lost log and the fix", len(named) == len(cluster.projectors), f"{len(named)}/{len(cluster.projectors)}"),
        Check("gateway /ready: 503 data_loss", ready is not None, ready and ready[1]["detail"][:60] + "…"),
        Check("gateway logs an error with the fix", gateway_logged),
    ]
    status, output = cluster.encore_command("replay", "--adopt-log")
    cluster.stop_projectors()  # any that did not exit
    cluster.start_projector()
    try:
        wait_until("/ready again", lambda: http("GET", cluster.base + "/ready", timeout=3)[0] == 200, 90)
        recovered = True
    except TimeoutError:
        recovered = False
    checks.append(Check("recovers with encore replay --adopt-log", status == 0 and recovered, f"replay exit {status}, /ready {'200' if recovered else 'not 200'}" + (": " + last_line(output) if status else "")))
    return Row("broker restarted empty", load.summary(), checks)
