"""The store: the database every study, round, trial and epoch is kept in.

    models     the tables, as SQLAlchemy 2.0 typed models
    status     a trial's status, one closed set of words
    engine     the database URL, engines, read-only sessions, and driver errors translated
    schema     the schema's revision: create, check, upgrade (Alembic); open_store
    studies    studies and rounds: create, read, count
    records    one frozen record of a trial (and of its epochs), for every reader
    trials     ranked trials, leaderboards, the values they were sampled with, records
    epochs     curves, streamed rows for the exports, and what a pruner reads
    metrics    a training function's named metrics: each report written, and read back
    progress   how far a study or a round has come, summed in SQL
    queue      the protocol workers claim, run, finish and give back trials by
    observations  what a learning sampler reads: the trials before a batch, ranked
    liveness   whether a trial's worker is alive: its name, heartbeat and staleness

Every function takes a ``Session`` and leaves the transaction to the caller
(``with factory.begin() as session:``). The readers of studies, rounds and trials
are re-exported here (``store.get_study``, ``store.leaderboard``); the other modules
are used by name (``hpsearch.store.queue``).

May import: :mod:`hpsearch.space`, :mod:`hpsearch.settings`, :mod:`hpsearch.errors`
and :mod:`trainer`; SQLAlchemy and Alembic.
"""

from hpsearch.store.epochs import (
    BATCH_ROWS,
    EPOCH_ROW,
    Store,
    epoch_curves,
    epoch_rows,
    rung_rows,
    study_epochs,
    trial_rows,
)
from hpsearch.store.records import (
    TRIAL_ROW,
    FrozenEpoch,
    FrozenTrial,
    frozen_epoch,
    frozen_row,
    frozen_trial,
)
from hpsearch.store.studies import (
    check_trials,
    create_round,
    create_study,
    get_round,
    get_study,
    latest_round,
    list_studies,
    round_sampling,
    round_space,
    searched_names,
    status_counts,
    study_exists,
    study_status_counts,
    unfinished_count,
)
from hpsearch.store.trials import (
    RANK_ORDER,
    TRIAL_BATCH,
    best_trial,
    count_searched_trials,
    frozen_trials,
    leaderboard,
    ranked,
    read_value,
    round_best,
    round_top,
    searched_trials,
    streamed_trials,
    study_trials,
    trial_values,
)

__all__ = [
    "FrozenEpoch", "FrozenTrial", "frozen_epoch", "frozen_row", "frozen_trial",
    "frozen_trials", "streamed_trials",
    "BATCH_ROWS", "EPOCH_ROW", "RANK_ORDER", "TRIAL_BATCH", "TRIAL_ROW",
    "Store", "best_trial", "check_trials", "count_searched_trials", "create_round",
    "create_study",
    "epoch_curves", "epoch_rows", "get_round", "get_study", "latest_round", "leaderboard",
    "list_studies", "ranked", "read_value", "round_best", "round_sampling", "round_space",
    "round_top", "rung_rows", "searched_names", "searched_trials", "status_counts",
    "study_epochs", "study_exists", "study_status_counts", "study_trials", "trial_rows",
    "trial_values", "unfinished_count",
]  # fmt: skip
