#!/usr/bin/env python3
"""Reads by id at a growing number of virtual users: our own take on the original system's Gatling tests.

Each virtual user has its own keep-alive connection and loops: GET one entity by id, pause 1 s
after the answer, again (a closed model, as Gatling's `exec(get).pause(1)`). A third of the users
each read users, songs and playlists (v1 routes), ids drawn at random from the CSV files.
The population grows step by step (new users start spread over --ramp seconds); each step is
measured for --step-seconds after --warmup seconds, and the run stops after the first step whose
p99 exceeds --threshold-ms, or at --max-users.

Usage:
  scenarios.py synthesize DIR N [--seed 42]   users.csv, music.csv, playlist.csv with N rows each
  scenarios.py run HOST:PORT --data DIR [--data DIR …] [--gateway-pid PID] [options]
`run` prints one Markdown table row per step.
"""
import argparse
import asyncio
import csv
import os
import random
import resource
import sys
import time
import uuid
from pathlib import Path

KINDS = [("users.csv", "/api/v1/user/"), ("music.csv", "/api/v1/music/"), ("playlist.csv", "/api/v1/playlist/")]


def synthesize(directory, count, seed):
    """Rows in the original files' format; each playlist names 1 to 10 of the songs written here."""
    rng = random.Random(seed)
    fresh = lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4))
    first = ["Ada", "Nina", "Miles", "Joni", "Fela", "Björk", "Ravi", "Aretha", "Youssou", "Kate", "Léo", "Mariza"]
    last = ["Lovelace", "Simone", "Davis", "Mitchell", "Kuti", "Shankar", "Franklin", "N'Dour", "Bush", "Ferré"]
    words = ["Blue", "Night", "River", "Love", "Electric", "Morning", "Song", "Dance", "Rain", "Gold", "Home", "Fire"]
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "users.csv", "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["fname", "lname", "email", "UUID"])
        for i in range(count):
            fname, lname = rng.choice(first), rng.choice(last)
            out.writerow([fname, lname, f"user{i}@example.org", fresh()])
    songs = []
    with open(directory / "music.csv", "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["Artist", "SongTitle", "UUID"])
        for _ in range(count):
            songs.append(fresh())
            out.writerow([f"{rng.choice(first)} {rng.choice(last)}", " ".join(rng.sample(words, rng.randint(1, 3))), songs[-1]])
    with open(directory / "playlist.csv", "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["Name", "Playlist", "UUID"])
        for i in range(count):
            named = rng.sample(songs, min(len(songs), rng.randint(1, 10)))
            out.writerow([f"{rng.choice(words)} mix {i}", ",".join(named), fresh()])


def read_ids(directories):
    """Per kind (file order of KINDS), the UUID column of that file in every directory."""
    ids = [[] for _ in KINDS]
    for directory in directories:
        for slot, (name, _) in enumerate(KINDS):
            path = Path(directory) / name
            if path.exists():
                with open(path, newline="", encoding="utf-8") as f:
                    ids[slot] += [row["UUID"].strip() for row in csv.DictReader(f) if row.get("UUID")]
    return ids


class Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request at a time; answers need Content-Length."""

    def __init__(self):
        self.buffer = bytearray()
        self.waiter = None
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.waiter is None or self.waiter.done():
            return
        head = bytes(self.buffer[:end]).lower()
        at = head.find(b"\ncontent-length:")
        length = 0
        if at >= 0:
            stop = head.find(b"\r", at + 1)
            length = int(head[at + 16:stop if stop > 0 else len(head)])
        if len(self.buffer) < end + 4 + length:
            return
        del self.buffer[:end + 4 + length]
        self.waiter.set_result(int(head[9:12]))

    def connection_lost(self, exc):
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("closed by the server"))

    def request(self, data):
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return self.waiter


class Step:
    """What completes inside the measured window."""

    def __init__(self):
        self.window = (float("inf"), float("inf"))
        self.latencies, self.failures, self.reasons = [], 0, {}

    def record(self, at, seconds, failure=None):
        if self.window[0] <= at < self.window[1]:
            if failure is None:
                self.latencies.append(seconds)
            else:
                self.failures += 1
                self.reasons[failure] = self.reasons.get(failure, 0) + 1


class Run:
    def __init__(self, host, port, requests, pause, timeout):
        self.host, self.port, self.requests, self.pause, self.timeout = host, port, requests, pause, timeout
        self.step = Step()
        self.stopping = False

    async def user(self, kind, start_at):
        loop = asyncio.get_running_loop()
        await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
        choices = self.requests[kind]
        while not self.stopping:
            try:
                _, connection = await loop.create_connection(Connection, self.host, self.port)
            except OSError as error:
                self.step.record(time.perf_counter(), 0, f"connect: {error.strerror or error}")
                await asyncio.sleep(self.pause)
                continue
            try:
                while not self.stopping:
                    began = time.perf_counter()
                    failure = None
                    try:
                        async with asyncio.timeout(self.timeout):
                            status = await connection.request(random.choice(choices))
                        if status != 200:
                            failure = f"HTTP {status}"
                    except TimeoutError:
                        failure = f"no answer within {self.timeout:g} s"
                    except ConnectionError as error:
                        failure = str(error)
                    ended = time.perf_counter()
                    self.step.record(ended, ended - began, failure)
                    if failure is not None and not failure.startswith("HTTP"):
                        break  # the connection's state is unknown: open a new one
                    await asyncio.sleep(self.pause)
            finally:
                connection.transport.close()


def cpu_seconds_of(pid):
    """utime + stime of a process, or None when it is gone or not given."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, TypeError):
        return None


def host_busy_ticks():
    """(busy, total) jiffies over all CPUs from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values) - values[3] - values[4], sum(values)


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))] * 1000


def next_counts(args):
    counts = [int(c) for c in args.steps.split(",")]
    yield from (c for c in counts if c <= args.max_users)
    count = counts[-1]
    while True:
        count = count * 2 if args.beyond == "double" else count + int(args.beyond)
        if count > args.max_users:
            return
        yield count


async def run(args):
    host, port = args.address.rsplit(":", 1)
    port = int(port)
    ids = read_ids(args.data)
    if not all(ids):
        sys.exit(f"no ids for {', '.join(name for (name, _), found in zip(KINDS, ids) if not found)} in {args.data}")
    requests = [[f"GET {route}{i} HTTP/1.1\r\nHost: {args.address}\r\n\r\n".encode() for i in found]
                for (_, route), found in zip(KINDS, ids)]
    loop = asyncio.get_running_loop()
    # Sanity: the last id of each kind reads (the caller waited for the projectors).
    _, probe = await loop.create_connection(Connection, host, port)
    for (name, route), found in zip(KINDS, ids):
        status = await probe.request(f"GET {route}{found[-1]} HTTP/1.1\r\nHost: {args.address}\r\n\r\n".encode())
        if status != 200:
            sys.exit(f"GET {route}{found[-1]} (last id of {name}) answered {status}, expected 200")
    probe.transport.close()

    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if args.max_users > limit - 64:
        print(f"note: open-file limit {limit}: at most {limit - 64} users", file=sys.stderr)
        args.max_users = limit - 64
    print(f"{len(ids[0])} users, {len(ids[1])} songs, {len(ids[2])} playlists to read; pause {args.pause:g} s; "
          f"each step: new users over {args.ramp:g} s, {args.warmup:g} s warm-up, {args.step_seconds:g} s measured")
    print()
    print("| users | req/s | success % | p50 ms | p90 ms | p99 ms | < 100 ms % | generator CPU % | gateway CPU % | host CPU % |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |", flush=True)
    state = Run(host, port, requests, args.pause, args.timeout)
    tasks, verdict = [], None
    for count in next_counts(args):
        start = time.perf_counter()
        added = count - len(tasks)
        for n in range(added):
            index = len(tasks)
            tasks.append(asyncio.create_task(state.user(index % 3, start + args.ramp * n / max(1, added))))
        await asyncio.sleep(args.ramp + args.warmup)
        step = state.step = Step()
        wall0, own0, gateway0, host0 = time.perf_counter(), os.times(), cpu_seconds_of(args.gateway_pid), host_busy_ticks()
        step.window = (wall0, wall0 + args.step_seconds)
        await asyncio.sleep(args.step_seconds)
        wall, own, gateway, host_now = time.perf_counter() - wall0, os.times(), cpu_seconds_of(args.gateway_pid), host_busy_ticks()
        latencies = sorted(step.latencies)
        answered = len(latencies) + step.failures
        own_cpu = (own.user - own0.user + own.system - own0.system) / wall * 100
        gateway_cpu = f"{(gateway - gateway0) / wall * 100:.0f}" if gateway is not None and gateway0 is not None else "—"
        host_cpu = (host_now[0] - host0[0]) / max(1, host_now[1] - host0[1]) * 100
        under = sum(1 for s in latencies if s < 0.1)
        p99 = percentile(latencies, 99)
        print(f"| {count:,} | {answered / wall:,.0f} | {100 * len(latencies) / max(1, answered):.2f} | "
              f"{percentile(latencies, 50):.1f} | {percentile(latencies, 90):.1f} | {p99:.1f} | "
              f"{100 * under / max(1, answered):.1f} | {own_cpu:.0f} | {gateway_cpu} | {host_cpu:.0f} |", flush=True)
        if step.reasons:
            print(f"  failures at {count:,} users: " + ", ".join(f"{n} × {r}" for r, n in step.reasons.items()), file=sys.stderr)
        if not latencies or p99 > args.threshold_ms:
            verdict = f"stopped: p99 {p99:.1f} ms > {args.threshold_ms:g} ms at {count:,} users"
            break
    state.stopping = True
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    print()
    print(verdict or f"stopped at --max-users {args.max_users:,}: p99 stayed within {args.threshold_ms:g} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("synthesize", help="write N rows per CSV into DIR")
    make.add_argument("directory")
    make.add_argument("count", type=int)
    make.add_argument("--seed", type=int, default=42)
    measure = commands.add_parser("run", help="measure steps of virtual users")
    measure.add_argument("address", help="HOST:PORT of the gateway")
    measure.add_argument("--data", action="append", required=True, help="directory with users.csv, music.csv, playlist.csv")
    measure.add_argument("--steps", default="300,600,900,1200,1500", help="user counts of the first steps")
    measure.add_argument("--beyond", default="double", help="after the listed steps: double, or add this many users")
    measure.add_argument("--max-users", type=int, default=12000)
    measure.add_argument("--step-seconds", type=float, default=20)
    measure.add_argument("--warmup", type=float, default=5)
    measure.add_argument("--ramp", type=float, default=2)
    measure.add_argument("--pause", type=float, default=1)
    measure.add_argument("--threshold-ms", type=float, default=100)
    measure.add_argument("--timeout", type=float, default=10, help="seconds before a request counts as failed")
    measure.add_argument("--gateway-pid", type=int)
    args = parser.parse_args()
    if args.command == "synthesize":
        synthesize(args.directory, args.count, args.seed)
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
