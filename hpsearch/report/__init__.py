"""Reports: what the store holds, as plain data, rich tables and exports.

    summaries    what ``report`` and ``studies`` show, as plain data (and JSON)
    importance   which searched parameters matter (permutation importance)
    tables       rich renderings for people: leaderboards, rounds, live progress
    export       a study's trials as CSV rows or JSON records
    json_export  the JSON export, written piece by piece as rows stream
    number_text  rows of numbers as text, fast, exactly as ``repr`` writes them

May import: :mod:`hpsearch.search` and everything below it. scikit-learn is imported
only by ``importance``, when it runs.
"""
