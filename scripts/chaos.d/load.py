"""Continuous mixed load with a ledger of what the gateway acknowledged.

Writers create and update songs through `/api/v2/music` with `Prefer: respond-async`, so a
2xx means the broker acknowledged the record (the gateway answers only after the broker's ack);
the ledger keeps every acknowledged command id with its entity. Readers fetch songs by id and
list pages. Anything else (no answer, 429, 5xx) is counted and not acknowledged.
"""
import collections
import random
import threading
import time

from cluster import http

ASYNC = {"Prefer": "respond-async"}


class Ledger:
    """Acknowledged commands: entity id → command ids, in the order they were acknowledged."""

    def __init__(self):
        self.lock = threading.Lock()
        self.commands = collections.defaultdict(list)

    def add(self, entity, command):
        with self.lock:
            self.commands[entity].append(command)

    def entities(self):
        with self.lock:
            return list(self.commands)

    def snapshot(self):
        with self.lock:
            return {entity: list(commands) for entity, commands in self.commands.items()}

    def size(self):
        with self.lock:
            return sum(len(commands) for commands in self.commands.values())


class Load:
    """Writer and reader threads against one gateway, paced to `rate` requests per second each kind."""

    def __init__(self, base, ledger, writers=2, readers=2, rate=40, timeout=8, read_base=None):
        """`read_base`: where reads go when another gateway serves them (a read-role host)."""
        self.base, self.ledger, self.timeout = base, ledger, timeout
        self.read_base = read_base or base
        self.interval = (writers + readers) / (2 * rate)
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.counts = collections.Counter()
        self.read_latencies = []  # (sent, wall clock; seconds to answer; status)
        self.write_answers = []  # (sent, wall clock; seconds to answer; status; Retry-After)
        self.threads = [threading.Thread(target=self._writer, daemon=True) for _ in range(writers)]
        self.threads += [threading.Thread(target=self._reader, daemon=True) for _ in range(readers)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_):
        self.stop()

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join()

    def _count(self, key, **record):
        with self.lock:
            self.counts[key] += 1
            if "read" in record:
                self.read_latencies.append(record["read"])
            if "write" in record:
                self.write_answers.append(record["write"])

    def _pace(self, started):
        self.stopping.wait(max(0.0, self.interval - (time.monotonic() - started)))

    def _writer(self):
        rng = random.Random()
        while not self.stopping.is_set():
            started, sent = time.monotonic(), time.time()
            known = self.ledger.entities()
            song = {"artist": f"artist {rng.randrange(10**6)}", "songTitle": f"title {rng.randrange(10**6)}"}
            if known and rng.random() < 0.3:
                entity = rng.choice(known)
                status, body, headers = http("PUT", f"{self.base}/api/v2/music/{entity}", song, ASYNC, self.timeout)
            else:
                status, body, headers = http("POST", f"{self.base}/api/v2/music", song, ASYNC, self.timeout)
            answer = (sent, time.monotonic() - started, status, headers.get("Retry-After") if headers else None)
            if 200 <= status < 300 and body and "commandId" in body:
                self.ledger.add(body["id"], body["commandId"])
                self._count("acked", write=answer)
            else:
                self._count(f"write {status or 'no answer'}", write=answer)
            self._pace(started)

    def _reader(self):
        rng = random.Random()
        while not self.stopping.is_set():
            started, sent = time.monotonic(), time.time()
            known = self.ledger.entities()
            if known and rng.random() < 0.8:
                status, _, _ = http("GET", f"{self.read_base}/api/v2/music/{rng.choice(known)}", timeout=self.timeout)
                ok = status in (200, 404)  # 404: acknowledged but not projected yet
            else:
                status, _, _ = http("GET", f"{self.read_base}/api/v2/music?limit=20", timeout=self.timeout)
                ok = status == 200
            self._count("answered" if ok else f"read {status or 'no answer'}", read=(sent, time.monotonic() - started, status))
            self._pace(started)

    def summary(self):
        """`acked/answered` plus the other outcomes, e.g. `812 / 1604 (write 503: 12)`."""
        with self.lock:
            counts = dict(self.counts)
        others = ", ".join(f"{key}: {value}" for key, value in sorted(counts.items()) if key not in ("acked", "answered"))
        text = f"{counts.get('acked', 0)} / {counts.get('answered', 0)}"
        return text + (f" ({others})" if others else "")

    def acked(self):
        with self.lock:
            return self.counts["acked"]

    def answers_between(self, kind, start, end):
        """Reads or writes sent within [start, end] (wall clock)."""
        with self.lock:
            rows = self.read_latencies if kind == "read" else self.write_answers
            return [row for row in rows if start <= row[0] <= end]
