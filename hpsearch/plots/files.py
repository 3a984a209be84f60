"""Writing a study's figures (:data:`hpsearch.plots.figures.FIGURES`, and the importance
bars of :func:`hpsearch.plots.parameters.importance_figure`) to image files."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from hpsearch.errors import UsageError
from hpsearch.plots.data import DEFAULT_AXES, FigureData
from hpsearch.plots.figures import FIGURES
from hpsearch.plots.frame import DPI
from hpsearch.plots.parameters import importance_figure

FORMATS = ("png", "svg", "pdf")


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise UsageError(f"figure format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return fmt


def file_format(path: Path) -> str:
    """The image format a file's suffix names; refused before anything is drawn."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        known = ", ".join(f".{f}" for f in FORMATS)
        raise UsageError(f"cannot tell the image format of {path}: name it {known}")
    if not path.parent.is_dir():
        raise UsageError(f"cannot write {path}: no folder {path.parent}")
    return fmt


def save_figure(
    fig: Figure,
    path: Path,
    fmt: str,
    *,
    what: str | None = None,
    check: Callable[[Path], None] | None = None,
) -> Path:
    """Write ``fig`` to ``path``; a failure is a UsageError naming ``what`` (or ``path``).
    ``check(path)``, given, runs first and raises to refuse the path (the store's file)."""
    if check is not None:
        check(path)
    FigureCanvasAgg(fig)
    try:
        fig.savefig(path, format=fmt, dpi=DPI)
    except OSError as exc:  # a folder that exists but cannot be written
        raise UsageError(f"cannot write {what or path}: {exc.strerror or exc}") from None
    return path


def figure_name(data: FigureData, kind: str) -> str:
    """``<study>[-round<R>]-<kind>``; the narrowing of other axes than the book's names them."""
    stem = re.sub(r"[^\w.-]+", "_", data.study)
    if data.round_number is not None:
        stem += f"-round{data.round_number}"
    if kind == "narrowing" and data.axes != DEFAULT_AXES:
        kind += "-" + "-".join(data.axes)
    return f"{stem}-{kind}"


def save_figures(
    data: FigureData,
    out_dir: str | Path,
    fmt: str = "png",
    importance: Mapping[str, Any] | None = None,
    check: Callable[[Path], None] | None = None,
) -> list[Path]:
    """Write the figures as ``<study>[-round<R>]-<kind>.<fmt>`` in ``out_dir``, and the
    importance bars of ``importance`` (``importance_report``'s record) when given."""
    check_format(fmt)
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot write figures to {folder}: {exc.strerror or exc}") from None
    what = f"figures to {folder}"
    targets = {kind: folder / f"{figure_name(data, kind)}.{fmt}" for kind in FIGURES}
    if importance is not None:
        targets["importance"] = folder / f"{figure_name(data, 'importance')}.{fmt}"
    for target in targets.values():  # every path refused before any figure is written
        if check is not None:
            check(target)
    paths = [
        save_figure(draw(data), targets[kind], fmt, what=what) for kind, draw in FIGURES.items()
    ]
    if importance is not None:
        fig = importance_figure(data.study, importance, data.round_number)
        paths.append(save_figure(fig, targets["importance"], fmt, what=what))
    return paths
