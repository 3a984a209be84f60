"""The book's own search script against `hpsearch start` on the same work, in one run.

    python benchmarks/book_comparison.py [--data-dir DIR] [--repeat 3] [--workers 2]
                                         [--timing-asha REV]

Runs, REPEAT times and interleaved (book, new defaults, none, old defaults, ..., book, ...):

- `../shared/reference/run-book-search.sh` (the book's ch06/hyperparameter_optimization.py,
  100 trials x 50 epochs on 400 / 100; its own wall time, which leaves out building the
  book's MNIST pickle, and its Best-1 validation accuracy);
- `hpsearch start` with the defaults (100 trials x 50 epochs on 400 / 100: float32,
  asha in the round's order);
- the same with `--pruner none`, every trial trained to the end;
- the same with the old defaults: `--dtype float64 --pruner none`;
- `hpsearch start --dtype float32 --pruner asha` of revision REV (default: the last one
  whose asha decided by timing, against whichever trials had reached a rung), run from
  a copy of that revision (`git archive`) with the same Python, in that copy's folder
  and with it on PYTHONPATH (checked: Python imports that copy, not this checkout).

Every hpsearch run uses a fresh SQLite file, `--seed 0` and `--workers WORKERS`; its
wall time is the whole command's (start-up, reading MNIST, the workers). The timed runs
are not sampled for memory (reading a process's PSS costs the kernel about 2 ms, which
would slow the runs, and hpsearch's four processes more than the book's one); after
them, one more run of each measures its peak memory: the largest sum of the
proportional set sizes (PSS: resident pages, each page shared by several processes
divided among them, as forked workers share their server's) of the command and all its
descendants, sampled every 50 ms from /proc/PID/smaps_rollup. Prints each run, the
peaks, then the medians, each one's speed-up over the book's median, and its speed-up
in each repeat. The best validation accuracy of an hpsearch run is read with `hpsearch
report --json`, and the epochs its trials trained (trial-epochs) from its store with
SQL; the book's script trains 100 x 50.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

#: The last revision whose asha decided by timing (the next one brought the order rule).
TIMING_ASHA = "363a97414995dd7e83e0d0faf2ad21e37e5ed763"
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "run-book-search.sh"


@dataclass(frozen=True)
class Run:
    wall: float
    peak_mb: float
    best: float
    epochs: int


def _pss(pid: str) -> int:
    """The proportional set size of a process in bytes (its resident pages, each shared
    one divided among the processes sharing it), or its resident size where the kernel
    has no smaps_rollup."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _tree_memory(root: int) -> int:
    """The memory of ``root`` and all its descendants (the sum of their PSS), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += _pss(str(pid))
        stack += children.get(pid, [])
    return total


def measured(
    args: list[str], env: dict[str, str] | None, cwd: Path | None, sample: bool
) -> tuple[float, float, str]:
    """Run a command; its wall seconds, peak memory of its process tree (MB, 0 unless
    ``sample``), stdout."""
    began = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=env, cwd=cwd)
    peak = 0
    done = threading.Event()

    def poll() -> None:
        nonlocal peak
        while not done.wait(0.05):
            peak = max(peak, _tree_memory(process.pid))

    poller = threading.Thread(target=poll, daemon=True)
    if sample:
        poller.start()
    out, _ = process.communicate()
    done.set()
    if sample:
        poller.join()
    wall = time.perf_counter() - began
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(args)} exited {process.returncode}:\n{out[-2000:]}")
    return wall, peak / 1e6, out


def book(trials: int, sample: bool) -> Run:
    env = dict(os.environ, PYTHON=sys.executable)
    _, peak, out = measured(["bash", str(REFERENCE), str(trials)], env, None, sample)
    wall = float(re.search(r"book script, \d+ trials: ([\d.]+) s wall", out)[1])  # type: ignore[index]
    best = max(float(m) for m in re.findall(r"^Best-\d+\(val acc:([\d.]+)\)", out, re.M))
    return Run(wall, peak, best, trials * 50)


def environment(code: Path) -> dict[str, str]:
    """This process's environment with ``code`` first on PYTHONPATH."""
    return dict(os.environ, PYTHONPATH=str(code))


def check_imports(code: Path, cwd: Path) -> None:
    """Stops unless ``python -m hpsearch``, run in ``cwd`` with :func:`environment`,
    imports ``code`` (``-m`` puts the working directory first on the path, before
    PYTHONPATH)."""
    script = "import hpsearch, trainer; print(hpsearch.__file__, trainer.__file__)"
    found = subprocess.run(
        [sys.executable, "-c", script],
        env=environment(code), cwd=cwd, check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    if not all(Path(path).resolve().is_relative_to(code.resolve()) for path in found):
        raise SystemExit(f"{code} is not what Python imports: {found}")


def code_of(code: Path) -> tuple[dict[str, str], Path]:
    """The environment and working directory (its own folder) that run ``code``."""
    check_imports(code, code)
    return environment(code), code


def hpsearch(options: list[str], args: argparse.Namespace, code: Path | None, sample: bool) -> Run:
    """``hpsearch start`` with ``options``, of this checkout or of the code in ``code``."""
    env, cwd = code_of(code or Path(__file__).resolve().parents[1])
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "book.db")
        command = [sys.executable, "-m", "hpsearch"]
        wall, peak, _ = measured(
            [*command, "start", "book", "--db", db, "--data-dir", args.data_dir, "--seed", "0",
             "--trials", str(args.trials), "--workers", str(args.workers), "-q", *options],
            env, cwd, sample,
        )  # fmt: skip
        report = subprocess.run(
            [*command, "report", "book", "--db", db, "--json", "--top", "1"],
            capture_output=True, text=True, check=True, env=env, cwd=cwd,
        )  # fmt: skip
        best = json.loads(report.stdout)["leaderboard"][0]["val_accuracy"]
        with contextlib.closing(sqlite3.connect(db)) as connection:
            (epochs,) = connection.execute("SELECT sum(epochs_run) FROM trials").fetchone()
        return Run(wall, peak, best, epochs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(REFERENCE.parents[1] / "data" / "mnist"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timing-asha", default=TIMING_ASHA, metavar="REV")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        compare(args, checkout(args.timing_asha, Path(folder)))


def checkout(revision: str, folder: Path) -> Path:
    """The files of ``revision`` of this repository, extracted into ``folder``."""
    here = Path(__file__).resolve().parents[1]
    archive = subprocess.run(["git", "-C", str(here), "archive", revision],
                             capture_output=True, check=True).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def compare(args: argparse.Namespace, old: Path) -> None:
    setups: dict[str, tuple[list[str], Path | None] | None] = {
        "book script": None,
        "hpsearch, new defaults (float32, asha)": ([], None),
        "hpsearch --pruner none": (["--pruner", "none"], None),
        "hpsearch, old defaults (float64, no pruner)": (
            ["--dtype", "float64", "--pruner", "none"], None),
        "timing-dependent asha (float32)": (["--dtype", "float32", "--pruner", "asha"], old),
    }  # fmt: skip
    runs: dict[str, list[Run]] = {name: [] for name in setups}

    def execute(setup: tuple[list[str], Path | None] | None, sample: bool) -> Run:
        if setup is None:
            return book(args.trials, sample)
        return hpsearch(setup[0], args, setup[1], sample)

    print(f"{args.trials} trials x 50 epochs on 400 / 100, hpsearch with {args.workers} workers")
    print(f"{'run':<46} {'wall s':>7} {'best val':>9} {'epochs':>7}")
    for i in range(args.repeat):
        for name, setup in setups.items():
            run = execute(setup, sample=False)
            runs[name].append(run)
            print(f"{name + f' #{i + 1}':<46} {run.wall:>7.1f} {run.best:>9.2f} {run.epochs:>7}")
    print("\npeak memory: one more run of each, its process tree sampled every 50 ms")
    peaks = {}
    for name, setup in setups.items():
        peaks[name] = execute(setup, sample=True).peak_mb
        print(f"{name:<46} {peaks[name]:>7.0f} MB")
    print(f"\nmedians of {args.repeat}")
    print(f"{'run':<46} {'wall s':>7} {'speed-up':>9} {'peak MB':>8} {'best val':>9}")
    book_wall = statistics.median(r.wall for r in runs["book script"])
    for name, results in runs.items():
        wall = statistics.median(r.wall for r in results)
        best = statistics.median(r.best for r in results)
        print(f"{name:<46} {wall:>7.1f} {book_wall / wall:>8.1f}x {peaks[name]:>8.0f} {best:>9.2f}")
    print("\nspeed-up over the book script of the same repeat")
    for name, results in list(runs.items())[1:]:
        pairs = zip(runs["book script"], results, strict=True)
        ratios = "  ".join(f"{book_run.wall / run.wall:5.1f}x" for book_run, run in pairs)
        print(f"{name:<46} {ratios}")


if __name__ == "__main__":
    main()
