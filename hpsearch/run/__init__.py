"""Running trials: worker processes, one trial's training, and pruning.

    forkserver the server workers are forked from, having imported their modules once
    runner     a round's N workers, the progress poll, and Ctrl-C
    lifeline   a worker ends with the command that started it
    worker     one process that claims trials from the queue and trains them
    reports    what a worker keeps of a trial's reports, and how its end is told from them
    objective  the training-function contract: the trial, its reports, a reference resolved
    training   one trial's training, the study's network with a trial's values
    pruning    early stopping of hopeless trials, decided from the store in round order
    order      the order rule: a decision waits for the earlier trials of its round
    learning   a learning round's trial waits for the trials before its batch, then is sampled

May import: :mod:`hpsearch.data`, :mod:`hpsearch.store`, :mod:`hpsearch.space`,
:mod:`hpsearch.settings`, :mod:`hpsearch.errors` and :mod:`trainer`.
"""
