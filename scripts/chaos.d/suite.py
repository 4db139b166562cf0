"""The frame scripts/chaos and scripts/topology share: binaries and work directory first, table and exit status last."""
import os
import shutil
import signal
import sys
import tempfile
import time

from binaries import encore_binary, tansu_binary
from report import table


def begin(name):
    """The binaries and a fresh work directory (printed); returns (encore, tansu, workdir, started)."""
    # Stopped with SIGTERM (or SIGINT, which background jobs ignore): still stop every process started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    encore, tansu = encore_binary(), tansu_binary()
    workdir = tempfile.mkdtemp(prefix=f"encore-{name}-")
    os.chmod(workdir, 0o755)  # PostgreSQL runs as its own user inside it
    print(f"{name}: {encore}, logs in {workdir}", flush=True)
    return encore, tansu, workdir, time.monotonic()


def finish(name, rows, started, workdir, keep, held):
    """Prints the table; removes the work directory if everything held (unless `keep`), else names it. The exit status."""
    print()
    print(table(rows, time.monotonic() - started))
    if held and not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    elif not held:
        print(f"\n{name}: logs kept in {workdir}")
    return 0 if held else 1
