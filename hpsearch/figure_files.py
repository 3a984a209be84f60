"""Writing a study's figures (:data:`hpsearch.plots.FIGURES`) to image files."""

from __future__ import annotations

import re
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg

from hpsearch.errors import UsageError
from hpsearch.plots import DPI, FIGURES, FigureData

FORMATS = ("png", "svg", "pdf")


def save_figures(data: FigureData, out_dir: str | Path, fmt: str = "png") -> list[Path]:
    """Write the figures as ``<study>[-round<R>]-<kind>.<fmt>`` in ``out_dir``."""
    if fmt not in FORMATS:
        raise UsageError(f"figure format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot write figures to {folder}: {exc.strerror or exc}") from None
    stem = re.sub(r"[^\w.-]+", "_", data.study)
    if data.round_number is not None:
        stem += f"-round{data.round_number}"
    paths = []
    for kind, draw in FIGURES.items():
        path = folder / f"{stem}-{kind}.{fmt}"
        fig = draw(data)
        FigureCanvasAgg(fig)
        try:
            fig.savefig(path, format=fmt, dpi=DPI)
        except OSError as exc:  # a folder that exists but cannot be written
            raise UsageError(f"cannot write figures to {folder}: {exc.strerror or exc}") from None
        paths.append(path)
    return paths
