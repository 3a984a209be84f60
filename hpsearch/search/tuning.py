"""A study from Python: create or open it, run a round, narrow, read the results.

The database is given once, as a path or a URL (``hpsearch.db``, ``sqlite:///nb.db``,
``postgresql://...``). A training function is given as the function itself: one that
worker processes can import runs in ``workers`` processes; one defined in ``__main__``
(a script, a notebook) runs in this process, with ``workers=1`` only: the caller's
script is never run again in a worker. A run whose workers failed raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from hpsearch import store
from hpsearch.data.datasets import DataSource
from hpsearch.errors import HpsearchError, ObjectiveError
from hpsearch.run.objective import Objective, check_signature, reference_of
from hpsearch.run.worker import Worker
from hpsearch.search import steps
from hpsearch.search.training import Training
from hpsearch.settings import Goal, StudySettings
from hpsearch.space.samplers import RANDOM, Sampling
from hpsearch.space.sampling import SearchSpace
from hpsearch.store.engine import database_url
from hpsearch.store.records import FrozenTrial
from hpsearch.store.schema import open_store


@dataclass
class Tuning:
    """Study ``name`` in the store at ``db``, training ``function`` (None: the book's
    network) ranked by ``goal``; :meth:`start` creates it, the others open it."""

    name: str
    db: str = "hpsearch.db"
    function: Objective | None = None
    goal: Goal = field(default_factory=Goal)
    settings: dict[str, object] = field(default_factory=dict)  # the function's fixed ones
    workers: int = 1
    source: DataSource = field(default_factory=DataSource)

    def __post_init__(self) -> None:
        self.url = database_url(self.db)
        self.reference = None
        if self.function is not None:
            check_signature(self.function, getattr(self.function, "__name__", "function"))
            self.reference = reference_of(self.function)
            if self.reference is None and self.workers != 1:
                raise ObjectiveError(
                    f"{self.function!r} is defined in __main__ (or a notebook): worker "
                    "processes cannot import it; use workers=1 to run it in this process, "
                    "or move it into a module"
                )

    def factory(self, create: bool = False) -> sessionmaker[Session]:
        return open_store(self.url, create=create)

    def start(
        self, space: SearchSpace, *, trials: int, settings: StudySettings, seed: int = 0,
        pruner: str = "none", sampling: Sampling = RANDOM,
    ) -> list[FrozenTrial]:  # fmt: skip
        """Create the study and run its round 0 (sampled as ``sampling`` says: at random by
        default); returns its trials, the best first."""
        name = self.reference or f"__main__:{getattr(self.function, '__qualname__', '?')}"
        training = Training(name if self.function else None, self.settings, self.goal)
        if self.reference is None and self.function is not None:  # checked here, not imported
            store.check_trials(trials)  # the rest as the round is created
            round_id = steps.create(
                self.factory(create=True), self.name, seed=seed, settings=settings,
                space=space, n_trials=trials, pruner=pruner, training=training,
                sampling=sampling,
            )  # fmt: skip
        else:
            round_id = steps.start(
                lambda: self.factory(create=True), self.name, seed=seed, settings=settings,
                space=space, n_trials=trials, source=self.source, pruner=pruner,
                training=training, sampling=sampling,
            )  # fmt: skip
        return self.run(round_id)

    def narrow(self, top_k: int, trials: int | None = None) -> list[FrozenTrial]:
        """STEP3: a round narrowed around the ``top_k`` best of the last, run."""
        plan = steps.create_narrowed_round(self.factory(), self.name, top_k, trials)
        assert plan.round_id is not None
        return self.run(plan.round_id)

    def run(self, round_id: int) -> list[FrozenTrial]:
        """Run the round's pending trials; raises when a worker failed or the store did."""
        if self.reference is None and self.function is not None:
            stats = Worker(self.url, round_id, self.source, function=self.function).run()
            if stats.store_fault:
                raise HpsearchError(stats.store_fault)
        else:
            options = steps.RunOptions(self.url, self.workers, self.source)
            summary = steps.run(self.factory(), self.name, round_id, options)
            if summary.failed_workers or summary.store_fault:
                raise HpsearchError(summary.trouble() or summary.store_fault)
        return self.results()

    def results(self) -> list[FrozenTrial]:
        """The study's completed and pruned trials, the best first, with their values."""
        with self.factory().begin() as session:
            study = store.get_study(session, self.name)
            return store.frozen_trials(session, store.leaderboard(session, study))
