"""The search space: what a study searches, how trials are sampled, how rounds narrow.

    domains     the kinds of domain a parameter is searched over (float, int, choice)
    parameters  the parameters a study can search, and how a trial's values become
                its network and optimizer
    conditions  which parameters apply to a trial (a domain's condition), the rules
                conditions follow, the optimizers' settings conditional by default
    space_file  the ``--space`` TOML file, each entry checked for its type
    memory      a trial's memory, estimated from its shape, and what the machine has
    sampling    a round's search space, and each trial's values and training seed
    samplers    how a round samples: at random or learned (tpe), and the batch rule
    tpe         the tree-structured Parzen estimator, over each kind of domain
    narrowing   the book's STEP3: new domains from the best trials of a round

Pure: plain values in, plain values out; no database, no processes.

May import: :mod:`hpsearch.settings`, :mod:`hpsearch.errors`, :mod:`trainer` and NumPy.
"""
