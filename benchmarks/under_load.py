"""Run tests many times while busy processes hold the cores, and count the failures.

    python benchmarks/under_load.py --runs 20 --busy 2 TEST_ID [TEST_ID ...]

Each run is one ``pytest`` process over the given test ids (e.g.
``tests/cli/test_cli.py::test_results_do_not_depend_on_the_number_of_workers``), while
``--busy`` processes spin on the CPU the whole time: the load under which a test that
depends on timing fails. Prints each run's outcome and, at the end, the failures per run.

With ``--keep DIR``, each run's temporary folders go to ``DIR/run-N`` (pytest's
``--basetemp``), and those of the failed runs are kept there, the databases they
compared included, to be read with ``sqlite3``; a passed run's folder is removed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import subprocess
import sys
import time
from pathlib import Path


def spin() -> None:
    while True:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tests", nargs="+")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--busy", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="keep the failed runs' tmp_path folders here")
    args = parser.parse_args()
    spinners = [multiprocessing.Process(target=spin, daemon=True) for _ in range(args.busy)]
    for process in spinners:
        process.start()
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)  # pytest makes only the last folder
    failed = 0
    try:
        for run in range(1, args.runs + 1):
            started = time.perf_counter()
            command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args.tests]
            basetemp = args.keep / f"run-{run}" if args.keep else None
            if basetemp is not None:
                command.append(f"--basetemp={basetemp}")
            result = subprocess.run(command, capture_output=True, text=True)
            summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
            failed += result.returncode != 0
            print(f"run {run:>3}: {summary} ({time.perf_counter() - started:.0f} s)", flush=True)
            if result.returncode != 0:
                print(result.stdout[-3000:], flush=True)
                if basetemp is not None:
                    print(f"kept in {basetemp}", flush=True)
            elif basetemp is not None:
                shutil.rmtree(basetemp, ignore_errors=True)
    finally:
        for process in spinners:
            process.kill()
    print(f"{failed} of {args.runs} runs failed, {args.busy} busy processes beside them")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
