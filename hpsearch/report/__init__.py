"""Reports: what the store holds, as plain data, rich tables and exports.

    summaries    what ``report`` and ``studies`` show, as plain data (and JSON)
    importance   which searched parameters matter (permutation importance)
    leaderboard  the leaderboard as a table: its columns, ``--columns``, searched values
    tables       rich tables for people: rounds, evaluations, studies, importance, space
    fitting      how a table is laid out for the terminal's width, numbers never cut
    numbers      numbers as people read them: accuracies, log-scale values, seconds
    live         the live display of a running round
    export       a study's trials as CSV rows or JSON records
    json_export  the JSON export, written piece by piece as rows stream
    number_text  rows of numbers as text, fast, exactly as ``repr`` writes them

May import: :mod:`hpsearch.search` and everything below it. scikit-learn is imported
only by ``importance``, when it runs.
"""
