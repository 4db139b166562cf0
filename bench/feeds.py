#!/usr/bin/env python3
"""Change-feed delivery: N open `text/event-stream` clients while writes flow.

Opens N streams on GET /api/v2/music/events, then sends `POST /api/v2/music` with
`Prefer: respond-async` at a fixed rate (answered once the broker has the command: its commit to
the log). Latency runs from that answer to each client's receipt of the command's event, for every
(stream, command) pair. Also reports the gateway's RSS (from /proc) with the streams open.

Usage: feeds.py HOST:PORT --streams 1000 [--rate 20] [--seconds 15] [--pid GATEWAY_PID]
Prints one line: RESULT streams=N writes=W deliveries=D missing=M ended=E p50_ms=… p99_ms=… max_ms=… rss_mb=R
(missing: not received within 30 s of the last write; ended: streams the gateway ended, e.g. overflow;
an event that arrives before its write's answer has been read counts as 0 ms).
The generator is one Python process on the same cores: with 1,000 streams it parses every event.
"""
import argparse
import asyncio
import json
import time


def rss_mb(pid):
    if not pid:
        return "na"
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return f"{int(line.split()[1]) / 1024:.0f}"
    return "na"


async def stream(host, port, opened, answered, latencies, received, ended, early):
    reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
    writer.write(f"GET /api/v2/music/events HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode())
    status = await reader.readline()
    assert b" 200 " in status, status
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    opened.release()
    # Chunked framing is skipped: only the `data:` lines matter here.
    while True:
        line = await reader.readline()
        if not line or line.startswith(b"event: overflow"):
            ended[0] += 1
            return
        if line.startswith(b"data: "):
            now = time.perf_counter()
            entity = json.loads(line[6:]).get("id")
            at = answered.get(entity)
            if at is None:
                # The event beat the write's answer to this process: matched at the end.
                early.append((entity, now))
            else:
                latencies.append(now - at)
                received[0] += 1


async def write(host, port, rate, seconds, answered):
    reader, writer = await asyncio.open_connection(host, port)
    body_template = '{"artist":"Bench","songTitle":"Feed %d"}'
    start = time.perf_counter()
    for index in range(int(rate * seconds)):
        delay = start + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        body = (body_template % index).encode()
        writer.write((f"POST /api/v2/music HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                      f"Prefer: respond-async\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body)
        status = await reader.readline()
        headers = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        payload = await reader.readexactly(int(headers.get("content-length", "0")))
        assert b" 202 " in status, status
        answered[json.loads(payload)["id"]] = time.perf_counter()
    writer.close()
    return int(rate * seconds)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("address")
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--pid", type=int)
    args = parser.parse_args()
    host, port = args.address.rsplit(":", 1)
    answered, latencies, received, ended, early = {}, [], [0], [0], []
    opened = asyncio.Semaphore(0)
    readers = [asyncio.create_task(stream(host, port, opened, answered, latencies, received, ended, early)) for _ in range(args.streams)]
    for _ in range(args.streams):
        await opened.acquire()
    writes = await write(host, port, args.rate, args.seconds, answered)
    expected = writes * args.streams
    deadline = time.perf_counter() + 30
    while received[0] + len(early) < expected and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    rss = rss_mb(args.pid)
    for entity, at in early:
        if entity in answered:
            latencies.append(max(0.0, at - answered[entity]))
            received[0] += 1
    for task in readers:
        task.cancel()
    latencies.sort()
    pick = lambda q: f"{latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000:.1f}" if latencies else "na"
    print(f"RESULT streams={args.streams} writes={writes} deliveries={received[0]} missing={expected - received[0]} ended={ended[0]} "
          f"p50_ms={pick(0.5)} p99_ms={pick(0.99)} max_ms={pick(1.0)} rss_mb={rss}")


asyncio.run(main())
