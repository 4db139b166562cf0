#!/usr/bin/env python3
"""Write-to-visible latency at a fixed command rate: our own load generator.

Each command is `POST /api/v2/music` with `Prefer: respond-async` (answered once the broker has
it), then `GET` of its `Location` presenting the `X-Consistency-Token` it got (answered once the
projector has applied it). Latency runs from the command's *scheduled* start to the successful
read, so a generator falling behind shows up as latency (no coordinated omission).

Usage: visibility.py HOST:PORT [--rate 1000] [--seconds 10] [--connections 32]
Prints one line: RESULT commands=N errors=E error_statuses=STATUSxCOUNT,… rate=R p50_ms=… p99_ms=… max_ms=… cpu_pct=C
rate counts from the first scheduled start to the last answer; cpu_pct is this generator's own
user+sys time over that, in % of one core (near 100: the generator, not the gateway, is the limit).
"""
import argparse
import asyncio
import json
import os
import time


async def request(reader, writer, method, path, host, body=None, headers=()):
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive", *headers]
    data = b""
    if body is not None:
        data = json.dumps(body).encode()
        lines += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + data)
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    response_headers = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode().partition(":")
        response_headers[name.strip().lower()] = value.strip()
    length = int(response_headers.get("content-length", "0"))
    payload = await reader.readexactly(length) if length else b""
    return status, response_headers, payload


async def worker(host, port, schedule, results, errors, index):
    # Each connection from its own loopback address: a client of its own to the gateway, which
    # lets each client have 16 reads waiting for tokens (all from 127.0.0.1, 32 connections got 429s).
    local = (f"127.0.{1 + index // 250}.{2 + index % 250}", 0) if host.startswith("127.") else None
    reader, writer = await asyncio.open_connection(host, port, local_addr=local)
    authority = f"{host}:{port}"
    try:
        while True:
            try:
                due, index = schedule.get_nowait()
            except asyncio.QueueEmpty:
                return
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            status, headers, _ = await request(reader, writer, "POST", "/api/v2/music", authority,
                                               {"artist": "Bench", "songTitle": f"Visible {index}"},
                                               ["Prefer: respond-async"])
            if status != 202:
                errors.append(status)
                continue
            status, _, _ = await request(reader, writer, "GET", headers["location"], authority,
                                         headers=[f"X-Consistency-Token: {headers['x-consistency-token']}"])
            if status != 200:
                errors.append(status)
                continue
            results.append(time.perf_counter() - due)
    finally:
        writer.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("address")
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    host, port = args.address.rsplit(":", 1)
    total = int(args.rate * args.seconds)
    start = time.perf_counter() + 0.5
    schedule = asyncio.Queue()
    for index in range(total):
        schedule.put_nowait((start + index / args.rate, index))
    results, errors = [], []
    cpu = os.times()
    await asyncio.gather(*(worker(host, int(port), schedule, results, errors, index) for index in range(args.connections)))
    elapsed = time.perf_counter() - start
    cpu_seconds = sum(os.times()[:2]) - sum(cpu[:2])
    results.sort()
    def pct(p):
        return results[min(len(results) - 1, int(p / 100 * len(results)))] * 1000 if results else float("nan")
    statuses = ",".join(f"{status}x{errors.count(status)}" for status in sorted(set(errors))) or "none"
    print(f"RESULT commands={len(results)} errors={len(errors)} error_statuses={statuses} rate={len(results) / elapsed:.0f} "
          f"p50_ms={pct(50):.2f} p99_ms={pct(99):.2f} max_ms={(results[-1] * 1000 if results else float('nan')):.2f} "
          f"cpu_pct={100 * cpu_seconds / elapsed:.0f}")


if __name__ == "__main__":
    asyncio.run(main())
