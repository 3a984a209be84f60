"""The closed sets of words an option takes, as the enums Typer lists in ``--help``
(``<sgd|momentum|...>``) and checks: a word not in its set is refused by the parser,
with exit code 2, before the command runs.

Each set is the library's own (a test compares them); the values stay plain strings
where they are stored (:func:`word`).
"""

from __future__ import annotations

from enum import Enum


class Dataset(str, Enum):
    mnist = "mnist"
    fashion_mnist = "fashion-mnist"


class Activation(str, Enum):
    relu = "relu"
    sigmoid = "sigmoid"


class Optimizer(str, Enum):
    sgd = "sgd"
    momentum = "momentum"
    nesterov = "nesterov"
    adagrad = "adagrad"
    rmsprop = "rmsprop"
    adam = "adam"


class Dtype(str, Enum):
    float32 = "float32"
    float64 = "float64"


class Pruner(str, Enum):
    none = "none"
    median = "median"
    asha = "asha"


def word(value: str) -> str:
    """The plain lower-case string of a choice, given as its enum member or as text."""
    return (value.value if isinstance(value, Enum) else value).lower()


class Sampler(str, Enum):
    random = "random"
    tpe = "tpe"
