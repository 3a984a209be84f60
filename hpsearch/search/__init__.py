"""The search's steps: start, narrow, resume and run a round, ``auto``, ``evaluate``.

    steps       start, narrow, resume and run, as operations on the store
    rounds      narrow: the plan of a narrowing and its round
    training    what a study trains: the book network or a training function, checked
    tuning      a study from Python: the database given once, rounds run, results read
    auto        STEP0-STEP3 without a person in the loop
    evaluation  the book's last step, the one look at the test set

May import: :mod:`hpsearch.run`, :mod:`hpsearch.data`, :mod:`hpsearch.store`,
:mod:`hpsearch.space`, :mod:`hpsearch.settings`, :mod:`hpsearch.errors` and
:mod:`trainer`.
"""
