"""The processes under test: PostgreSQL, a Tansu broker, `encore gateway` and `encore projector`s
(also scripts/topology's, on their hosts: Roles, tansu_argv, wait_healthy).

Each is a real process on a free port, started and signalled by the suite; logs go to files in the
run's work directory so a failed check can point at them.
"""
import json
import base64
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from http.client import HTTPException

PG_BIN = "/usr/lib/postgresql/15/bin"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def accepts(port):
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_until(what, condition, timeout, interval=0.2):
    """Polls `condition` until it returns a truthy value; raises TimeoutError naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout} s")
        time.sleep(interval)


def http(method, url, body=None, headers=None, timeout=10):
    """(status, parsed JSON or None, headers); status 0 when no answer (refused, reset, timeout)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw, status, answer_headers = response.read(), response.status, response.headers
    except urllib.error.HTTPError as error:
        raw, status, answer_headers = error.read(), error.code, error.headers
    except (OSError, HTTPException):  # refused, reset, timed out, cut mid-answer
        return 0, None, {}
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    return status, parsed, answer_headers


def rss_peak_mb(pid):
    """VmHWM (peak resident set) of a live process, in MB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


class Process:
    """One child process with its log file; signals go to it by its own pid only."""

    def __init__(self, name, argv, log_path, env=None):
        self.name, self.argv, self.log_path = name, argv, log_path
        self.log = open(log_path, "ab")
        self.popen = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=True)

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def kill(self):
        self.signal(signal.SIGKILL)
        self.popen.wait()

    def stop(self, timeout=10):
        if self.alive():
            self.signal(signal.SIGCONT)
            self.signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def log_text(self):
        with open(self.log_path, errors="replace") as log:
            return log.read()


class Postgres:
    """A private PostgreSQL server: its own data folder and port, stoppable and restartable."""

    def __init__(self, root):
        self.root = os.path.join(root, "pg")
        self.data = os.path.join(self.root, "data")
        self.port = free_port()
        os.makedirs(os.path.join(self.root, "socket"), exist_ok=True)
        as_root = os.geteuid() == 0
        self.runas = ["runuser", "-u", "postgres", "--"] if as_root else []
        if as_root:
            subprocess.run(["chown", "-R", "postgres:postgres", self.root], check=True)
        self._run(f"{PG_BIN}/initdb", "-D", self.data, "-U", "encore", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
        self.start()

    @property
    def url(self):
        return f"postgres://encore:encore@127.0.0.1:{self.port}/postgres"

    def _run(self, *argv):
        subprocess.run(self.runas + list(argv), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self):
        # Durable settings (fsync, synchronous commit): an immediate stop is a crash, and a crash
        # must not lose a transaction the store acknowledged.
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root}/socket "
                   "-c max_connections=200")
        self._run(f"{PG_BIN}/pg_ctl", "start", "-D", self.data, "-w", "-t", "30", "-l", f"{self.root}/server.log", "-o", options)

    def stop(self):
        """`pg_ctl stop -m immediate`: the server goes away at once, as in a crash."""
        self._run(f"{PG_BIN}/pg_ctl", "stop", "-D", self.data, "-m", "immediate", "-w", "-t", "10")

    def close(self):
        subprocess.run(self.runas + [f"{PG_BIN}/pg_ctl", "stop", "-D", self.data, "-m", "immediate", "-w", "-t", "10"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def tansu_argv(tansu, address, cluster_id):
    """A Tansu broker on `address` (host:port), its log in memory."""
    url = f"tcp://{address}"
    return [tansu, "broker", "--listener-url", url, "--advertised-listener-url", url,
            "--storage-engine", "memory://tansu/", "--cluster-id", cluster_id]


def wait_healthy(what, base, timeout):
    """Until `base`/health answers 200: raises TimeoutError naming `what` after `timeout` s."""
    wait_until(f"{what} answers /health", lambda: http("GET", base + "/health", timeout=1)[0] == 200, timeout)


class Roles:
    """What Cluster and scripts/topology's Topology share: the roles' command lines and log files, and
    what the checks ask of them. A subclass sets `encore`, `workdir`, `pg` and `generation` (0), and
    the properties `brokers` (host:port) and `base` (the gateway that serves reads and /lag)."""

    session_timeout_ms = 6000

    def _log(self, name):
        self.generation += 1
        return os.path.join(self.workdir, f"{self.generation:03d}-{name}.log")

    def master_key_file(self):
        """The cluster's master key (wraps the users' data keys), made once in the work directory:
        every role and command of the cluster gets the same one, none falls back to ./.encore."""
        path = os.path.join(self.workdir, "master.key")
        if not os.path.exists(path):
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as file:
                file.write(base64.b64encode(os.urandom(32)).decode() + "\n")
        return path

    def common(self):
        return ["--brokers", self.brokers, "--store", self.pg.url, "--session-timeout-ms", str(self.session_timeout_ms),
                "--master-key-file", self.master_key_file()]

    def projector_argv(self, *extra):
        return [self.encore, "projector", "--metrics-port", "0", "--log-level", "info"] + self.common() + list(extra)

    def gateway_argv(self, role, port, host=None, write_rate_limit=True):
        """`encore gateway --role ROLE --auth none`, with --write-rate-limit 0 where it has the option."""
        argv = [self.encore, "gateway", "--role", role, "--auth", "none"] + (["--host", host] if host else [])
        argv += ["--port", str(port)] + self.common()
        return argv + (["--write-rate-limit", "0"] if write_rate_limit else [])

    def encore_command(self, *args, timeout=300):
        """Runs an `encore` subcommand against this cluster's broker, store and key store: (exit status, output)."""
        target = ["--brokers", self.brokers, "--store", self.pg.url, "--master-key-file", self.master_key_file()]
        result = subprocess.run([self.encore] + list(args) + target, capture_output=True, text=True, timeout=timeout)
        return result.returncode, result.stdout + result.stderr

    def lag(self):
        """The gateway's lag report, or None."""
        status, body, _ = http("GET", self.base + "/lag", timeout=3)
        return body if status == 200 else None

    def caught_up(self):
        """True when every projector group's checkpoint is at the log end (from the gateway's /lag)."""
        report = self.lag()
        return bool(report) and all(group["lag"] == 0 for group in report["groups"])

    def wait_caught_up(self, timeout=120):
        # Two fresh samples in a row: a sample right after a write may not count it yet.
        def settled():
            if not self.caught_up():
                return False
            time.sleep(1.2)
            return self.caught_up()
        wait_until("projectors catch up (lag 0)", settled, timeout, interval=0.5)


class Cluster(Roles):
    """Broker, store, one gateway and N projectors; restarts keep ports, data folders and the broker's log."""

    def __init__(self, encore, tansu, workdir, projectors=2):
        self.encore, self.tansu, self.workdir = encore, tansu, workdir
        self.pg = Postgres(workdir)
        self.broker_port = free_port()
        self.gateway_port = free_port()
        self.broker = None
        self.gateway = None
        self.projectors = []
        self.generation = 0
        self.write_rate_limit = "--write-rate-limit" in subprocess.run(
            [encore, "gateway", "--help"], capture_output=True, text=True).stdout
        self.start_broker()
        for _ in range(projectors):
            self.start_projector()
        self.start_gateway()

    @property
    def brokers(self):
        return f"127.0.0.1:{self.broker_port}"

    @property
    def base(self):
        return f"http://127.0.0.1:{self.gateway_port}"

    def start_broker(self):
        self.broker = Process("tansu", tansu_argv(self.tansu, self.brokers, "encore-chaos"), self._log("tansu"))
        wait_until("broker accepts connections", lambda: accepts(self.broker_port), 20)

    def start_gateway(self):
        argv = self.gateway_argv("all", self.gateway_port, write_rate_limit=self.write_rate_limit)
        self.gateway = Process("gateway", argv, self._log("gateway"))
        wait_healthy("gateway", self.base, 60)

    def start_projector(self, *extra):
        projector = Process("projector", self.projector_argv(*extra), self._log("projector"))
        self.projectors.append(projector)
        return projector

    def stop_projectors(self):
        """kill -9 every projector: after graceful leaves Tansu has been seen to leave a group
        without any assignment for minutes (README, Chaos suite), which is not what a drill measures."""
        for projector in self.projectors:
            projector.kill()
            projector.stop()
        self.projectors = []

    def close(self):
        for process in self.projectors + [self.gateway, self.broker]:
            if process:
                process.stop()
        self.pg.close()
