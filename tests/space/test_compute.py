from hpsearch.settings import StudySettings
from hpsearch.space.compute import EVALUATION_FLOPS, TRAINING_FLOPS, seconds_per_flop, trial_flops


def test_a_trials_arithmetic_is_its_weights_times_its_samples_and_epochs():
    settings = StudySettings(train_size=100, val_fraction=0.2, epochs=3, hidden=(10,))
    weights = 784 * 10 + 10 * 10
    per_epoch = weights * (TRAINING_FLOPS * 80 + EVALUATION_FLOPS * 100)
    assert trial_flops(settings, {}) == 3 * per_epoch
    wider = trial_flops(settings, {"hidden_size": 20})  # a searched value changes the shape
    assert wider == 3 * (784 * 20 + 20 * 10) * (TRAINING_FLOPS * 80 + EVALUATION_FLOPS * 100)


def test_this_machines_time_per_operation_is_measured_in_the_dtype():
    assert 0 < seconds_per_flop("float32", width=64) < 1e-6
    assert 0 < seconds_per_flop("float64", width=64) < 1e-6


def test_the_largest_trials_line_takes_the_spaces_largest_shape():
    from hpsearch.space.compute import largest_trial_line
    from hpsearch.space.domains import IntRange
    from hpsearch.space.sampling import BOOK_SPACE, SearchSpace

    settings = StudySettings(train_size=100, val_fraction=0.2, epochs=3, hidden=(10,))
    deeper = SearchSpace((*BOOK_SPACE, IntRange(1, 4, "hidden_layers")))
    flops = trial_flops(settings, {"hidden_layers": 4}) / 1e9
    line = largest_trial_line(settings, deeper)
    assert line.startswith("The largest trial: about ")
    assert f"{flops:,.1f} GFLOP" in line and "on one core of this machine" in line


def test_a_dry_run_of_the_book_network_says_what_its_largest_trial_takes(cli, db_path):
    result = cli("start", "x", "--trials", "2", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "The largest trial: about 8 MiB and 22.0 GFLOP" in result.output
    assert not db_path.exists()
