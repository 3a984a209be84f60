"""`report` on a large study: 10,000 trials x 6 searched parameters x 50 epochs.

    python benchmarks/report_scale.py [--trials 10000] [--epochs 50] [--repeat 3]
                                      [--baseline REV]

Builds the study straight into a fresh SQLite file (round 0 sampled by hpsearch
from a space of six parameters, every trial completed with 50 stored epochs:
500,000 epoch rows and 60,000 parameter rows), then times `hpsearch report NAME
--json`, the plain `report` and `hpsearch --help` (the start-up alone), each in a
new process (start-up included): its wall time and the CPU time of the process
(os.wait4), the steadier figure on a shared machine. Then the in-process report
alone. Prints the median of ``--repeat`` runs.

With ``--baseline REV``, the same commands also run on the same store with the code
of revision REV (`git archive` into a temporary folder, put first on PYTHONPATH),
interleaved with this code's runs, and the script prints the ratio this / REV and
whether both printed the same output, byte for byte.
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

import numpy as np
from book_comparison import check_imports, checkout
from sqlalchemy import insert, update

from hpsearch import store
from hpsearch.report.summaries import study_report
from hpsearch.settings import StudySettings
from hpsearch.space.parameters import parse_spec
from hpsearch.space.sampling import make_space
from hpsearch.store.models import EpochMetric, Trial
from hpsearch.store.schema import open_store
from hpsearch.store.status import TrialStatus

SPACE = ("optimizer=sgd,momentum,adagrad,adam", "batch_size=32,64,128",
         "hidden_layers=2:6", "dropout=0:0.5")  # fmt: skip


def build(db: str, trials: int, epochs: int) -> None:
    factory = open_store(db, create=True)
    searched = {d.name: d for d in map(parse_spec, SPACE)}
    space = make_space((1e-6, 1e-2), (1e-8, 1e-4), searched)
    rng = np.random.default_rng(0)
    with factory.begin() as session:
        study = store.create_study(session, "big", 0, StudySettings(epochs=epochs))
        round_ = store.create_round(session, study, space, trials)
        ids = [t.id for t in round_.trials]
    finals = rng.uniform(0.1, 0.95, size=len(ids))
    with factory.begin() as session:
        rows = [
            {"trial_id": trial_id, "epoch": e, "train_accuracy": final * e / epochs,
             "val_accuracy": final * e / epochs, "train_loss": 2.3 / e, "val_loss": 2.4 / e,
             "seconds": 0.02}
            for trial_id, final in zip(ids, finals, strict=True) for e in range(1, epochs + 1)
        ]  # fmt: skip
        session.execute(insert(EpochMetric), rows)
        session.execute(
            update(Trial),
            [
                {
                    "id": trial_id,
                    "status": TrialStatus.COMPLETED,
                    "epochs_run": epochs,
                    "val_accuracy": final,
                    "best_val_accuracy": final,
                    "best_epoch": epochs,
                    "train_accuracy": final,
                }
                for trial_id, final in zip(ids, finals, strict=True)
            ],  # fmt: skip
        )


def timed(command: list[str], cwd: Path, code: Path | None) -> tuple[float, float, bytes]:
    """Wall and CPU seconds of ``command`` run with ``code`` first on the path, and its
    output."""
    env = dict(os.environ, PYTHONPATH=str(code)) if code else None
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, cwd=cwd, env=env)
    output = process.stdout.read() if process.stdout else b""
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed")
    return wall, usage.ru_utime + usage.ru_stime, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", help="also time the code of this git revision")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "big.db")
        started = time.perf_counter()
        build(db, args.trials, args.epochs)
        print(f"built {args.trials} trials x 6 parameters x {args.epochs} epochs "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        codes: dict[str, Path | None] = {"this code": None}
        if args.baseline:
            (Path(folder) / "baseline").mkdir()
            codes[args.baseline] = checkout(args.baseline, Path(folder) / "baseline")
            check_imports(Path(folder) / "baseline", Path(folder))
        cli = [sys.executable, "-m", "hpsearch"]
        commands = {
            "report --json": [*cli, "report", "big", "--json", "--db", db],
            "report": [*cli, "report", "big", "--db", db],
            "--help (start-up alone)": [*cli, "--help"],
        }
        runs: dict[tuple[str, str], list[tuple[float, float]]] = {}
        outputs: dict[tuple[str, str], set[bytes]] = {}
        for _ in range(args.repeat):
            for command, line in commands.items():
                for code_name, code in codes.items():
                    # A folder of its own as the working directory: `python -m` puts it
                    # first on the path, before PYTHONPATH.
                    wall, cpu, output = timed(line, Path(folder), code)
                    runs.setdefault((command, code_name), []).append((wall, cpu))
                    outputs.setdefault((command, code_name), set()).add(output)
        factory = open_store(db, read_only=True)
        inside = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            with factory() as session:
                study_report(session, store.get_study(session, "big"))
            inside.append(time.perf_counter() - started)
    print(f"median of {args.repeat} runs, each in a new process")
    print(f"{'command':<24} {'code':<10} {'wall s':>7} {'cpu s':>7}")
    for (command, code_name), times in runs.items():
        wall = statistics.median(w for w, _ in times)
        cpu = statistics.median(c for _, c in times)
        print(f"{command:<24} {code_name:<10} {wall:>7.2f} {cpu:>7.2f}")
    if args.baseline:
        print(f"\nthis code / {args.baseline}, medians:")
        for command in commands:
            new, old = runs[command, "this code"], runs[command, args.baseline]
            wall = statistics.median(w for w, _ in new) / statistics.median(w for w, _ in old)
            cpu = statistics.median(c for _, c in new) / statistics.median(c for _, c in old)
            same = outputs[command, "this code"] == outputs[command, args.baseline]
            print(f"{command:<24} wall {wall:.2f}  cpu {cpu:.2f}  "
                  f"same output: {'yes' if same else 'NO'}")  # fmt: skip
    print(f"\nreport, in process: {statistics.median(inside):.3f} s wall")


if __name__ == "__main__":
    main()
