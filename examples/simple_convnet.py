"""The book's chapter-7 ``SimpleConvNet``, in NumPy, tuned by hpsearch on MNIST.

    conv 5x5 (30 filters) -> ReLU -> 2x2 max pool -> Affine (100) -> ReLU -> Affine (10)
    -> SoftmaxWithLoss

Written as in one's own files: the ``Convolution`` and ``Pooling`` layers (over
``im2col``/``col2im``, in :mod:`examples.convnet_layers`), with the book's layer
contract (``forward(x, train=...)``, ``backward(dout)``, gradients in ``dW``/``db``);
``Affine``, ``Relu``,
``SoftmaxWithLoss``, the optimizers and the ``Trainer`` loop are the ``trainer``
package's; the train/validation split is hpsearch's (:func:`hpsearch.data.datasets.load_split`),
drawn as a book-network study draws it. From the project's folder (where
``examples`` imports from)::

    export HPSEARCH_DATA_DIR=/path/to/mnist
    hpsearch start conv --objective examples.simple_convnet:train \\
        --lr 1e-4 1e-1 --weight-decay 1e-8 1e-3 --search optimizer=sgd,adam \\
        --epochs 5 --trials 20 --workers 2 --seed 7 --set samples=2000
    hpsearch narrow conv --top-k 5 --trials 20 --workers 2

That run, its figures and the book network's on the same setting are in
docs/objectives.md ("Example: the book's SimpleConvNet on MNIST").

``train`` reads ``trial.values``: ``lr``, ``weight_decay`` (L2 on the weights),
``optimizer`` and ``filters`` when the study searches them (else the fixed settings
below). Its fixed settings (``--set KEY=VALUE``)
and their defaults: ``samples=500`` (training samples taken before the split, as
``--train-size``), ``val_fraction=0.2``, ``batch_size=100``, ``filters=30``,
``hidden=100``, ``optimizer="sgd"``, ``dataset="mnist"`` (or ``fashion-mnist``),
``data_dir`` (else ``$HPSEARCH_DATA_DIR``, then the cache, as hpsearch looks),
``verify=true`` (check the files' MD5 once) and ``split_seed=0`` (every trial gets
the same split). It reports ``val_accuracy``, ``train_accuracy``, ``val_loss`` and
``train_loss`` after each epoch; a non-finite loss ends the trial as diverged.
"""

from __future__ import annotations

import functools

import numpy as np

from examples.convnet_layers import Convolution, Pooling, output_size
from hpsearch.data.datasets import DataSource, load_split
from hpsearch.run.objective import TrialDiverged
from hpsearch.settings import StudySettings
from trainer import Affine, EpochMetrics, Relu, SoftmaxWithLoss, Split, Trainer, weight_scale
from trainer.training import DIVERGED


class SimpleConvNet:
    """conv -> ReLU -> max pool -> Affine -> ReLU -> Affine -> SoftmaxWithLoss.

    Parameters in ``params`` (``W1``, ``b1`` of the convolution, ``W2``, ``b2``,
    ``W3``, ``b3`` of the two Affine layers), shared with the layers; He-initialised
    from ``rng``. ``weight_decay`` is the L2 coefficient λ: ``0.5·λ·ΣW²`` is added to
    the loss and ``λ·W`` to each weight's gradient. Its methods are those
    :class:`trainer.Trainer` calls (``loss_and_gradient``, ``evaluate``, ``dtype``).
    """

    def __init__(
        self,
        input_shape: tuple[int, int, int] = (1, 28, 28),
        *,
        filters: int = 30,
        filter_size: int = 5,
        stride: int = 1,
        pad: int = 0,
        pool: int = 2,
        hidden: int = 100,
        classes: int = 10,
        weight_decay: float = 0.0,
        rng: np.random.Generator,
        dtype: np.dtype | type = np.float32,
    ) -> None:
        channels, h, w = input_shape
        conv_h = output_size(h, filter_size, stride, pad)
        conv_w = output_size(w, filter_size, stride, pad)
        pooled = filters * output_size(conv_h, pool, pool, 0) * output_size(conv_w, pool, pool, 0)
        self.dtype = np.dtype(dtype)
        self.weight_decay = weight_decay
        shapes = {  # each layer's weight shape, fan-in and bias size
            "1": (
                (filters, channels, filter_size, filter_size),
                channels * filter_size**2,
                filters,
            ),
            "2": ((pooled, hidden), pooled, hidden),
            "3": ((hidden, classes), hidden, classes),
        }
        self.params: dict[str, np.ndarray] = {}
        for i, (shape, fan_in, biases) in shapes.items():
            W = weight_scale("he", fan_in) * rng.standard_normal(shape)
            self.params[f"W{i}"] = W.astype(self.dtype)
            self.params[f"b{i}"] = np.zeros(biases, dtype=self.dtype)
        p = self.params
        self.conv = Convolution(p["W1"], p["b1"], stride, pad)
        self.affines = [Affine(p["W2"], p["b2"]), Affine(p["W3"], p["b3"])]
        self.layers = [
            self.conv,
            Relu(),
            Pooling(pool, pool),
            self.affines[0],
            Relu(),
            self.affines[1],
        ]
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        """Scores before the softmax, (N, classes), of images (N, C, H, W)."""
        for layer in self.layers:
            x = layer.forward(x, train)
        return x

    def decay_loss(self) -> float:
        squares = sum(float(np.sum(self.params[key] ** 2)) for key in ("W1", "W2", "W3"))
        return 0.5 * self.weight_decay * squares

    def loss(self, x: np.ndarray, t: np.ndarray, train: bool = False) -> float:
        """Mean cross entropy of labels ``t`` (N,) plus the weight-decay term."""
        return self.last_layer.forward(self.predict(x, train), t) + self.decay_loss()

    def evaluate(self, x: np.ndarray, t: np.ndarray, batch_size: int = 500) -> tuple[float, float]:
        """Loss and accuracy, in batches (im2col of 10,000 images would take 600 MB)."""
        data_loss, correct = 0.0, 0
        for start in range(0, len(x), batch_size):
            labels = t[start : start + batch_size]
            scores = self.predict(x[start : start + batch_size])
            data_loss += self.last_layer.forward(scores, labels) * len(labels)
            correct += int(np.sum(scores.argmax(axis=1) == labels))
        return data_loss / len(x) + self.decay_loss(), correct / len(x)

    def loss_and_gradient(
        self, x: np.ndarray, t: np.ndarray
    ) -> tuple[float, dict[str, np.ndarray]]:
        """One forward and one backward pass: the loss and the gradient of each parameter."""
        loss = self.loss(x, t, train=True)
        dout = self.last_layer.backward(1.0)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        grads = {}
        for i, layer in enumerate([self.conv, *self.affines], start=1):
            assert layer.dW is not None and layer.db is not None  # set by the backward pass
            grads[f"W{i}"] = layer.dW + self.weight_decay * layer.W
            grads[f"b{i}"] = layer.db
        return loss, grads


@functools.lru_cache(maxsize=2)
def images(
    dataset: str,
    samples: int,
    val_fraction: float,
    batch_size: int,
    split_seed: int,
    data_dir: str | None,
    verify: bool,
) -> Split:
    """The split of a study's trials, read once per worker process: hpsearch's own
    (as the book network's, in float32), its images as (N, 1, 28, 28)."""
    settings = StudySettings(
        dataset=dataset,
        train_size=samples,
        val_fraction=val_fraction,
        batch_size=batch_size,
        dtype="float32",
    )
    split = load_split(settings, split_seed, DataSource(data_dir=data_dir, verify=verify))
    as_images = (-1, 1, 28, 28)
    return Split(
        split.x_train.reshape(as_images),
        split.t_train,
        split.x_val.reshape(as_images),
        split.t_val,
    )


def train(trial) -> None:
    """One trial: a SimpleConvNet trained from the trial's seed, reported each epoch."""
    fixed, values = trial.settings, trial.values
    batch_size = int(fixed.get("batch_size", 100))
    data = images(
        fixed.get("dataset", "mnist"),
        int(fixed.get("samples", 500)),
        float(fixed.get("val_fraction", 0.2)),
        batch_size,
        int(fixed.get("split_seed", 0)),
        fixed.get("data_dir"),
        bool(fixed.get("verify", True)),
    )
    rng = np.random.default_rng(trial.seed)
    network = SimpleConvNet(
        filters=int(values.get("filters", fixed.get("filters", 30))),
        hidden=int(fixed.get("hidden", 100)),
        weight_decay=float(values["weight_decay"]),
        rng=rng,
    )

    def report(m: EpochMetrics) -> None:
        trial.report(
            m.epoch,
            val_accuracy=m.val_accuracy,
            train_accuracy=m.train_accuracy,
            val_loss=m.val_loss,
            train_loss=m.train_loss,
        )  # raises TrialPruned when the pruner stops the trial: it goes through Trainer

    trainer = Trainer(
        network,  # type: ignore[arg-type]  # any network with Trainer's methods
        data.x_train,
        data.t_train,
        data.x_val,
        data.t_val,
        epochs=int(fixed["epochs"]),
        batch_size=batch_size,
        optimizer=str(values.get("optimizer", fixed.get("optimizer", "sgd"))),
        optimizer_params={"lr": float(values["lr"])},
        rng=rng,
        on_epoch=report,
    )
    result = trainer.train()
    if result.status == DIVERGED:
        raise TrialDiverged(f"loss became non-finite in epoch {result.last_epoch}")
