"""The NumPy network of *Deep Learning from Scratch*, chapter 6, and its training loop.

Pure NumPy; knows nothing of databases or command lines.
"""

from trainer.errors import ConfigError, DataError, DownloadError, TrainerError
from trainer.initializers import weight_scale
from trainer.layers import (
    Affine,
    BatchNormalization,
    Dropout,
    Relu,
    Sigmoid,
    SoftmaxWithLoss,
    cross_entropy_error,
    softmax,
)
from trainer.mnist import Mnist, find_mnist, load_mnist
from trainer.network import ACTIVATIONS, MultiLayerNet
from trainer.optimizers import (
    OPTIMIZERS,
    SGD,
    AdaGrad,
    Adam,
    Momentum,
    Nesterov,
    RMSprop,
    make_optimizer,
    optimizer_class,
)
from trainer.split import Split, validation_split
from trainer.training import EpochMetrics, Trainer, TrainingResult

__all__ = [
    "ACTIVATIONS",
    "OPTIMIZERS",
    "SGD",
    "AdaGrad",
    "Adam",
    "Affine",
    "BatchNormalization",
    "ConfigError",
    "DataError",
    "DownloadError",
    "Dropout",
    "EpochMetrics",
    "Mnist",
    "Momentum",
    "MultiLayerNet",
    "Nesterov",
    "RMSprop",
    "Relu",
    "Sigmoid",
    "SoftmaxWithLoss",
    "Split",
    "Trainer",
    "TrainerError",
    "TrainingResult",
    "cross_entropy_error",
    "find_mnist",
    "load_mnist",
    "make_optimizer",
    "optimizer_class",
    "softmax",
    "validation_split",
    "weight_scale",
]
