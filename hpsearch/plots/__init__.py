"""Figures of a study, on ``matplotlib.figure.Figure`` (no pyplot state).

    data        what the figures show, read from the store once (FigureData)
    figures     the curves grid and the history, and the list of every figure
    narrowing   the narrowing scatter of two numeric parameters
    parameters  parallel coordinates, slices and importance bars
    frame       every figure's size, DPI and title
    files       writing the figures to image files

May import: :mod:`hpsearch.report` and everything below it. matplotlib is imported by
the modules that draw, never by this package itself.
"""
