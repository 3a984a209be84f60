from hpsearch import store
from hpsearch.store.models import Study, Trial
from hpsearch.store.status import TrialStatus


def test_a_new_trial_is_pending_and_a_study_reads_its_hidden_sizes(factory, round0):
    with factory() as session:
        trial = session.get(Trial, 1)
        assert trial.status == TrialStatus.PENDING and trial.epochs_run == 0
        study = session.get(Study, store.get_study(session, "s").id)
        assert study.hidden == (100,) * 6 and study.hidden_sizes == "100,100,100,100,100,100"
        assert [r.number for r in study.rounds] == [0] and len(study.rounds[0].trials) == 6
