"""Where the suites find `encore` and Tansu."""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def encore_binary():
    """$ENCORE_BIN, else `swift build --show-bin-path` (with $ENCORE_SCRATCH as --scratch-path if set) + /encore."""
    if os.environ.get("ENCORE_BIN"):
        return os.environ["ENCORE_BIN"]
    argv = ["swift", "build", "--show-bin-path"]
    if os.environ.get("ENCORE_SCRATCH"):
        argv += ["--scratch-path", os.environ["ENCORE_SCRATCH"]]
    return os.path.join(subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip(), "encore")


def tansu_binary():
    """$ENCORE_TANSU, else the project's .venv/bin/tansu."""
    return os.environ.get("ENCORE_TANSU") or os.path.join(ROOT, ".venv", "bin", "tansu")
