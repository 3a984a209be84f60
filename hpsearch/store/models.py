"""The store's tables, as SQLAlchemy 2.0 typed models.

    studies 1─n rounds 1─n trials 1─n epoch_metrics
                   rounds 1─n round_domains    trials 1─n trial_params
                                               trials 1─n trial_metrics
    studies 1─n evaluations n─1 trials

A study trains the book's network (``objective`` NULL: its epochs are
``epoch_metrics`` rows, its trials ranked by ``val_accuracy``) or a training function
of the user's (``objective`` its ``module:function``: every reported metric of every
epoch is a ``trial_metrics`` row, its trials ranked by ``value``, the study's
``metric`` at their last epoch, in the study's ``direction``).

Times are UTC. A trial's ``status`` is a :class:`~hpsearch.store.status.TrialStatus`,
stored as its plain word. Every searched value of a trial is a ``trial_params`` row,
and every domain of a round a ``round_domains`` row, whatever the parameter; a
conditional parameter has a row only in the trials it applied to.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import BigInteger, Dialect, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from hpsearch.store.status import TrialStatus


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class StatusWord(TypeDecorator[TrialStatus]):
    """A :class:`TrialStatus` stored as its word in a ``VARCHAR(20)``: SQL reads and
    writes the plain words, Python gets the enum (and an unknown word is an error)."""

    impl = String(20)
    cache_ok = True

    def process_bind_param(self, value: object, dialect: Dialect) -> str | None:
        return None if value is None else TrialStatus(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> TrialStatus | None:
        return None if value is None else TrialStatus(value)


class Base(DeclarativeBase):
    if TYPE_CHECKING:
        # DeclarativeBase types it as any FromClause; every model here maps a Table.
        __table__: ClassVar[Table]


class Study(Base):
    """A named search: its seed and the training settings every trial shares."""

    __tablename__ = "studies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    seed: Mapped[int] = mapped_column(BigInteger)
    dataset: Mapped[str] = mapped_column(String(50))
    train_size: Mapped[int | None]  # None: the whole training set
    val_fraction: Mapped[float]
    epochs: Mapped[int]
    batch_size: Mapped[int]
    hidden_sizes: Mapped[str] = mapped_column(String(200))  # "100,100,100"
    activation: Mapped[str] = mapped_column(String(20))
    weight_init: Mapped[str] = mapped_column(String(20))
    optimizer: Mapped[str] = mapped_column(String(20))
    batchnorm: Mapped[bool]
    dropout: Mapped[float]
    dtype: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The options of the `auto` run that made the study (NULL for `start`), reused when
    # that run is continued.
    auto_rounds: Mapped[int | None]
    auto_trials: Mapped[int | None]
    auto_top_k: Mapped[int | None]
    auto_pruner: Mapped[str | None] = mapped_column(String(20))
    auto_min_improvement: Mapped[float | None]
    # The training function (NULL: the book's network), its fixed settings (a JSON
    # object), and the metric trials are ranked by with its direction.
    objective: Mapped[str | None] = mapped_column(String(300))
    objective_settings: Mapped[str | None] = mapped_column(Text)
    metric: Mapped[str] = mapped_column(
        String(50), default="val_accuracy", server_default="val_accuracy"
    )
    direction: Mapped[str] = mapped_column(
        String(10), default="maximize", server_default="maximize"
    )

    rounds: Mapped[list[Round]] = relationship(
        back_populates="study", order_by="Round.number", cascade="all, delete-orphan"
    )
    evaluations: Mapped[list[Evaluation]] = relationship(
        back_populates="study", order_by="Evaluation.id", cascade="all, delete-orphan"
    )

    @property
    def hidden(self) -> tuple[int, ...]:
        return tuple(int(size) for size in self.hidden_sizes.split(","))


class Round(Base):
    """One sampling of trials (the book's STEP1): round 0 from the start ranges,
    each later one narrowed from the ``top_k`` best trials of ``parent``."""

    __tablename__ = "rounds"
    __table_args__ = (UniqueConstraint("study_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"))
    number: Mapped[int]
    n_trials: Mapped[int]
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"))
    top_k: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    pruner: Mapped[str] = mapped_column(String(20), default="none", server_default="none")

    study: Mapped[Study] = relationship(back_populates="rounds")
    parent: Mapped[Round | None] = relationship(remote_side=[id])
    trials: Mapped[list[Trial]] = relationship(
        back_populates="round", order_by="Trial.number", cascade="all, delete-orphan"
    )
    domains: Mapped[list[RoundDomain]] = relationship(
        back_populates="round", order_by="RoundDomain.position", cascade="all, delete-orphan"
    )


class RoundDomain(Base):
    """The domain one parameter of a round was sampled from, the learning rate and
    weight decay among them.

    ``kind`` is ``float``, ``int`` or ``choice``; a range has ``low``, ``high`` and
    ``log``; a choice has ``choices``, a JSON list. A conditional parameter has
    ``condition_parent`` and ``condition_values`` (a JSON list): it applies only to the
    trials whose parent took one of those values, and the others have no ``trial_params``
    row for it. Both are NULL for a parameter that applies to every trial.
    """

    __tablename__ = "round_domains"
    __table_args__ = (UniqueConstraint("round_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    position: Mapped[int]  # the order of the space
    name: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(10))
    log: Mapped[bool | None]
    low: Mapped[float | None]
    high: Mapped[float | None]
    choices: Mapped[str | None] = mapped_column(Text)
    spec: Mapped[str] = mapped_column(String(500))  # as the CLI prints it
    condition_parent: Mapped[str | None] = mapped_column(String(50))
    condition_values: Mapped[str | None] = mapped_column(Text)

    round: Mapped[Round] = relationship(back_populates="domains")


class Trial(Base):
    """One training run: its sampled values (``params``), its own ``seed``, its status."""

    __tablename__ = "trials"
    __table_args__ = (UniqueConstraint("round_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    seed: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[TrialStatus] = mapped_column(
        StatusWord(), default=TrialStatus.PENDING, index=True
    )
    worker: Mapped[str | None] = mapped_column(String(200))  # "host:pid"
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    epochs_run: Mapped[int] = mapped_column(default=0)
    val_accuracy: Mapped[float | None]  # at the last epoch run
    best_val_accuracy: Mapped[float | None]
    best_epoch: Mapped[int | None]
    train_accuracy: Mapped[float | None]  # at the last epoch run
    error: Mapped[str | None] = mapped_column(Text)
    # Claims so far: a worker's writes are conditional on the attempt it claimed.
    attempt: Mapped[int] = mapped_column(default=0, server_default="0")
    # A training function's trial: the study's metric at the last epoch run, and at its
    # best epoch (``best_epoch``) by the study's direction. NULL for the book's network.
    value: Mapped[float | None]
    best_value: Mapped[float | None]

    round: Mapped[Round] = relationship(back_populates="trials")
    epochs: Mapped[list[EpochMetric]] = relationship(
        back_populates="trial", order_by="EpochMetric.epoch", cascade="all, delete-orphan"
    )
    params: Mapped[list[TrialParam]] = relationship(
        back_populates="trial", order_by="TrialParam.id", cascade="all, delete-orphan"
    )


class TrialParam(Base):
    """One searched parameter's value in one trial: the learning rate and weight decay
    are rows like every other parameter's. A parameter that did not apply to the trial
    (its condition did not hold, see ``round_domains``) has no row.

    ``value_text`` is the value as written (``adam``, ``true``, ``0.001``);
    ``value_num`` the same as a number, for numbers and booleans (1/0), else NULL.
    """

    __tablename__ = "trial_params"
    __table_args__ = (UniqueConstraint("trial_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    value_num: Mapped[float | None]
    value_text: Mapped[str] = mapped_column(String(200))

    trial: Mapped[Trial] = relationship(back_populates="params")


class EpochMetric(Base):
    """Train and validation metrics of one trial after one epoch (1-based)."""

    __table_args__ = (UniqueConstraint("trial_id", "epoch"),)
    __tablename__ = "epoch_metrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"))
    epoch: Mapped[int]
    train_accuracy: Mapped[float]
    val_accuracy: Mapped[float]
    train_loss: Mapped[float]
    val_loss: Mapped[float]
    seconds: Mapped[float]

    trial: Mapped[Trial] = relationship(back_populates="epochs")


class TrialMetric(Base):
    """One named metric a training function reported for one trial after one epoch."""

    __tablename__ = "trial_metrics"
    __table_args__ = (UniqueConstraint("trial_id", "epoch", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"))
    epoch: Mapped[int]
    name: Mapped[str] = mapped_column(String(50))
    value: Mapped[float]
    seconds: Mapped[float]  # since the report before, or since the trial started


class Evaluation(Base):
    """The book's last step: the best trial's settings trained on train + validation,
    measured once on the test set (a training function's study: by its ``test`` hook,
    its metrics in ``test_metrics``)."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"))
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"))
    epochs: Mapped[int]
    seed: Mapped[int] = mapped_column(BigInteger)
    train_samples: Mapped[int | None]  # None: a training function's own evaluation
    test_samples: Mapped[int | None]
    train_accuracy: Mapped[float | None]
    test_accuracy: Mapped[float | None]
    status: Mapped[str] = mapped_column(String(20))  # completed or diverged
    seconds: Mapped[float]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    test_metrics: Mapped[str | None] = mapped_column(Text)  # a function's: a JSON object

    study: Mapped[Study] = relationship(back_populates="evaluations")
    trial: Mapped[Trial] = relationship()
