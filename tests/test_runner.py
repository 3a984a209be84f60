from conftest import epoch_metrics
from hpsearch.run.runner import RoundProgress, read_progress
from hpsearch.store import queue
from hpsearch.store.status import TrialStatus


def test_progress_counts_the_stored_epochs_of_running_trials(factory, round0):
    with factory.begin() as session:
        running = queue.claim_trial(session, round0, "host:1")
        for epoch in (1, 2, 3):
            queue.record_epoch(session, running.id, epoch_metrics(epoch), attempt=1)
        done = queue.claim_trial(session, round0, "host:1")
        queue.finish_trial(
            session, done.id, queue.Outcome(TrialStatus.COMPLETED, 3, final=epoch_metrics(3, 0.8))
        )
    with factory() as session:
        progress = read_progress(session, round0)
    assert progress.running == [(running.number, 3)]
    assert progress.done == 1 and progress.total == 6
    assert progress.best_val_accuracy == 0.8


def test_a_round_is_done_with_every_trial_that_no_longer_waits():
    counts = {"pending": 2, "running": 1, "completed": 3, "interrupted": 1, "failed": 1}
    progress = RoundProgress(0, 8, counts, 0.9, [])
    assert progress.done == 5
