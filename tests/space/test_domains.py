import json

import numpy as np
import pytest

from hpsearch.errors import UsageError
from hpsearch.space.domains import (
    Choice,
    DomainKind,
    FloatRange,
    IntRange,
    format_value,
    from_columns,
)


def test_a_linear_float_range_samples_uniformly():
    rng = np.random.default_rng(0)
    values = np.array([FloatRange(0.0, 0.5, "dropout", log=False).sample(rng) for _ in range(4000)])

    assert values.min() >= 0 and values.max() <= 0.5
    counts = np.histogram(values, bins=5, range=(0, 0.5))[0]
    assert np.all(np.abs(counts / 4000 - 0.2) < 0.03)


@pytest.mark.parametrize("log", [False, True])
def test_an_integer_range_samples_every_value_bounds_included(log):
    rng = np.random.default_rng(1)
    domain = IntRange(1, 8, "hidden_layers", log=log)
    values = [domain.sample(rng) for _ in range(3000)]

    assert set(values) == set(range(1, 9)) and all(isinstance(v, int) for v in values)
    counts = np.bincount(values)[1:]
    if log:  # small values more often: uniform in log space
        assert counts[0] > counts[-1]
    else:
        assert np.all(np.abs(counts / 3000 - 1 / 8) < 0.03)


def test_a_choice_samples_each_choice_alike():
    rng = np.random.default_rng(2)
    domain = Choice(("sgd", "momentum", "adam"), "optimizer")
    counts = {c: 0 for c in domain.choices}
    for _ in range(3000):
        counts[domain.sample(rng)] += 1

    assert all(abs(n / 3000 - 1 / 3) < 0.03 for n in counts.values())


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: FloatRange(0.5, 0.1, "dropout", log=False), "low must be < high"),
        (lambda: FloatRange(0.0, 1.0, "lr", log=True), "both bounds must be > 0"),
        (lambda: IntRange(4, 2, "hidden_layers"), "low must be <= high"),
        (lambda: IntRange(0, 4, "batch_size", log=True), "must be >= 1"),
        (lambda: IntRange(1.5, 4, "hidden_layers"), "integer bounds"),  # type: ignore[arg-type]
        (lambda: Choice((), "optimizer"), "at least one choice"),
        (lambda: Choice(("sgd", "sgd"), "optimizer"), "given twice"),
    ],
)
def test_bad_domains_are_refused(make, message):
    with pytest.raises(UsageError, match=message):
        make()


@pytest.mark.parametrize(
    "domain",
    [
        FloatRange(1e-6, 1e-2, "lr"),
        FloatRange(0.0, 0.5, "dropout", log=False),
        IntRange(2, 6, "hidden_layers"),
        IntRange(16, 256, "batch_size", log=True),
        Choice(("sgd", "adam"), "optimizer"),
        Choice((True, False), "batchnorm"),
        Choice(("he", 0.01), "weight_init"),
    ],
)
def test_a_domain_reads_back_from_its_columns(domain):
    columns = domain.columns()
    if "choices" in columns:
        json.loads(columns["choices"])  # plain JSON in the database
    assert columns["kind"] in set(DomainKind)
    back = from_columns(domain.name, **columns)
    assert back == domain


def test_values_are_stored_as_they_read():
    assert [format_value(v) for v in (True, 3, 0.1, "adam")] == ["true", "3", "0.1", "adam"]
    assert float(format_value(6.49193869755168e-05)) == 6.49193869755168e-05
