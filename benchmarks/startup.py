"""The fixed cost of a command: a one-trial one-epoch `start`, a `report`, the imports.

    python benchmarks/startup.py [--data-dir DIR] [--repeat 5]

Each command runs in its own process (`python -m hpsearch ...`) on a fresh SQLite
store, REPEAT times; prints the median wall time (until the command exits) and the
median CPU time of the process and all its descendants: the command, the server its
workers fork from and the workers (os.wait4; this process becomes the Linux
"subreaper" of the server, which outlives the command by a moment, so that it is
waited for here too). `start` trains one trial of the book's setting for one epoch with one
worker, so nearly all of it is the fixed cost: imports, opening the store, reading
and checking MNIST, starting the worker. `report` runs on that small study.
`import hpsearch.cli` is the import of the command line alone. The first `start` of
each repeat runs with an empty cache folder, so MNIST's MD5 is checked as on a new
machine (hpsearch.data.verified); the others find the files verified.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def become_subreaper() -> None:
    """Let orphaned descendants be reparented to this process instead of to init (Linux)."""
    import ctypes

    pr_set_child_subreaper = 36
    if ctypes.CDLL(None, use_errno=True).prctl(pr_set_child_subreaper, 1, 0, 0, 0) != 0:
        raise SystemExit("prctl(PR_SET_CHILD_SUBREAPER) failed: CPU times would miss processes")


def timed(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds of one command, and CPU seconds of it and all its descendants."""
    began = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed")
    cpu = usage.ru_utime + usage.ru_stime
    while True:  # descendants that outlived it, reparented here
        try:
            _, _, usage = os.wait4(-1, 0)
        except ChildProcessError:
            return wall, cpu
        cpu += usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data/mnist")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    become_subreaper()
    hpsearch = [sys.executable, "-m", "hpsearch"]
    runs: dict[str, list[tuple[float, float]]] = {
        "first": [],
        "start": [],
        "report": [],
        "import": [],
    }
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as folder:
            db = str(Path(folder) / "s.db")
            fresh = dict(os.environ, XDG_CACHE_HOME=str(Path(folder) / "cache"))
            runs["first"].append(
                timed([*hpsearch, "start", "f", "--trials", "1", "--epochs", "1", "--workers",
                       "1", "--db", db, "--data-dir", args.data_dir, "-q"], fresh)
            )  # fmt: skip
            runs["start"].append(
                timed([*hpsearch, "start", "s", "--trials", "1", "--epochs", "1", "--workers",
                       "1", "--db", db, "--data-dir", args.data_dir, "-q"])
            )  # fmt: skip
            runs["report"].append(timed([*hpsearch, "report", "s", "--db", db]))
            runs["import"].append(timed([sys.executable, "-c", "import hpsearch.cli"]))
    print(f"median of {args.repeat} runs")
    print(f"{'command':<40} {'wall s':>7} {'cpu s':>7}")
    names = {
        "first": "start, MNIST not verified before",
        "start": "start --trials 1 --epochs 1 --workers 1",
        "report": "report (1 trial)",
        "import": "python -c 'import hpsearch.cli'",
    }
    for key, name in names.items():
        wall = statistics.median(w for w, _ in runs[key])
        cpu = statistics.median(c for _, c in runs[key])
        print(f"{name:<40} {wall:>7.2f} {cpu:>7.2f}")


if __name__ == "__main__":
    main()
