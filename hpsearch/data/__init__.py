"""The data: where a data set's files are found, verified, and split for a study.

    datasets  the data sets known (MNIST, Fashion-MNIST), where they are found, and
              the study's train/validation split
    verified  data files this machine has verified, so a worker need not hash them again

May import: :mod:`hpsearch.space`, :mod:`hpsearch.settings`, :mod:`hpsearch.errors`
and :mod:`trainer`.
"""
