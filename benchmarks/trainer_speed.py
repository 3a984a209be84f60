"""Seconds per epoch and per trial of the trainer, float64 and float32, one BLAS thread.

    python benchmarks/trainer_speed.py [--data-dir DIR] [--repeats N]

Two settings: the book's trial (500 samples -> 400 train / 100 validation,
6x100 ReLU, He init, SGD, batch 100, 50 epochs) and one epoch on the full
48000 / 12000 split. Each epoch includes measuring train and validation
accuracy and loss, as in a search.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from trainer import MultiLayerNet, Trainer, load_mnist, validation_split


def run(split, epochs: int, dtype, seed: int) -> float:
    rng = np.random.default_rng(seed)
    net = MultiLayerNet(784, [100] * 6, 10, weight_decay=5e-6, rng=rng, dtype=dtype)
    trainer = Trainer(
        net,
        split.x_train.astype(dtype),
        split.t_train,
        split.x_val.astype(dtype),
        split.t_val,
        epochs=epochs,
        batch_size=100,
        optimizer_params={"lr": 0.008},
        rng=rng,
    )
    started = time.perf_counter()
    trainer.train()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    mnist = load_mnist(args.data_dir)
    book = validation_split(mnist.x_train, mnist.t_train, train_size=500, seed=0)
    full = validation_split(mnist.x_train, mnist.t_train, seed=0)
    with threadpool_limits(limits=1):
        blas = [(i["internal_api"], i["num_threads"]) for i in threadpool_info()]
        print(f"BLAS: {blas}")
        print(f"{'setting':<34} {'dtype':<8} {'s/epoch':>9} {'s/trial':>9}")
        for dtype in (np.float64, np.float32):
            name = np.dtype(dtype).name
            trials = [run(book, 50, dtype, seed) for seed in range(args.repeats)]
            trial = statistics.median(trials)
            print(
                f"{'book trial 400/100, 50 epochs':<34} {name:<8} {trial / 50:>9.4f} {trial:>9.2f}"
            )
            epochs = [run(full, 1, dtype, seed) for seed in range(args.repeats)]
            epoch = statistics.median(epochs)
            print(f"{'full split 48000/12000, 1 epoch':<34} {name:<8} {epoch:>9.2f} {'':>9}")


if __name__ == "__main__":
    main()
