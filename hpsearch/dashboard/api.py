"""The JSON the interactive charts draw (see :mod:`hpsearch.dashboard.explore`).

    /api/study/NAME/trials        what the charts draw: every trial as columns (a sample
                                  of a large study's), each round's domains, the history
    /api/study/NAME/leaderboard   a page of the leaderboard (?page=&rows=&sort=&desc=,
                                  a filter per column as f.KEY=TEXT, brush=JSON)
    /api/study/NAME/curves        the best ?top=N trials' validation curves and the
                                  running ones'
    /api/study/NAME/importance    each searched parameter's importance, or why not
    /api/compare?study=A&study=B  each study's charts' trials and history, for two charts

Each is a GET read through :func:`hpsearch.dashboard.routes.reading`, like the pages.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hpsearch import store
from hpsearch.dashboard.board import PAGE_ROWS, BoardView, leaderboard_page
from hpsearch.dashboard.curves import DEFAULT_CURVES, MOST_CURVES, study_curves
from hpsearch.dashboard.explore import chart_columns
from hpsearch.dashboard.routes import compared, reading
from hpsearch.errors import UsageError
from hpsearch.report.summaries import QUICK_FOREST, importance_report
from hpsearch.store.models import Round, Study, Trial
from hpsearch.store.status import RANKED

api = Blueprint("api", __name__)


@api.get("/api/study/<study:name>/trials")
def trials(name: str) -> Response:
    with reading() as session:
        return jsonify(chart_columns(session, store.get_study(session, name)))


def _brush() -> dict[str, list[Any]]:
    """The ``brush`` argument: {column: [[low, high], ...] or [value, ...]}; 400 if not."""
    text = request.args.get("brush", "")
    try:
        brush = json.loads(text) if text else {}
        if not isinstance(brush, dict) or not all(isinstance(v, list) for v in brush.values()):
            raise ValueError(text)
        for kept in brush.values():
            for item in kept:
                if isinstance(item, list):
                    low, high = item
                    float(low), float(high)
    except (ValueError, TypeError):
        abort(400, "brush: a JSON object of a list of [low, high] intervals or values per column")
    return brush


@api.get("/api/study/<study:name>/leaderboard")
def leaderboard(name: str) -> Response:
    view = BoardView(
        page=request.args.get("page", 0, type=int) or 0,
        rows=request.args.get("rows", PAGE_ROWS, type=int) or PAGE_ROWS,
        sort=request.args.get("sort", "score"),
        descending=request.args["desc"] != "0" if "desc" in request.args else None,
        filters={k[2:]: v for k, v in request.args.items() if k.startswith("f.")},
        brush=_brush(),
    )
    with reading() as session:
        return jsonify(leaderboard_page(session, store.get_study(session, name), view))


@api.get("/api/study/<study:name>/curves")
def curves(name: str) -> Response:
    top = request.args.get("top", DEFAULT_CURVES, type=int) or DEFAULT_CURVES
    with reading() as session:
        study = store.get_study(session, name)
        return jsonify(study_curves(session, study, min(max(top, 1), MOST_CURVES)))


#: Importance reports kept per application, by study and the trials they judged.
_KEPT_REPORTS = 32
_LOCK = threading.Lock()


def _judged(session: Session, study: Study) -> tuple[int, int, int]:
    """What an importance report depends on: the study, how many trials it may judge and
    the sum of their ids (a finished trial's values and accuracy no longer change)."""
    final = Trial.value if study.objective else Trial.val_accuracy  # as searched_trials
    count, total = session.execute(
        select(func.count(Trial.id), func.coalesce(func.sum(Trial.id), 0))
        .join(Round)
        .where(Round.study_id == study.id, Trial.status.in_(RANKED), final.is_not(None))
    ).one()
    return study.id, int(count), int(total)


@api.get("/api/study/<study:name>/importance")
def importance(name: str) -> Response:
    """The importance report; ``{"error": ...}`` when it cannot be had (too few trials,
    no scikit-learn): the page shows that sentence in its place. A report is kept until
    the trials it judges change: its forests (:data:`~hpsearch.report.summaries.QUICK_FOREST`)
    take well under a second whatever the study's size (it judges a sample of at most
    :data:`~hpsearch.report.summaries.IMPORTANCE_TRIALS`)."""
    kept: dict[tuple[int, int, int], dict[str, Any]]
    kept = current_app.extensions.setdefault("hpsearch.importance", {})
    with reading() as session:
        study = store.get_study(session, name)
        key = _judged(session, study)
        with _LOCK:
            report = kept.get(key)
        if report is None:
            try:
                report = importance_report(session, study, forest=QUICK_FOREST)
            except UsageError as exc:
                report = {"error": str(exc)}
            with _LOCK:
                kept[key] = report
                while len(kept) > _KEPT_REPORTS:
                    kept.pop(next(iter(kept)))
        return jsonify(report)


@api.get("/api/compare")
def compare() -> Response:
    with reading() as session:
        studies = compared(session)
        return jsonify([{"name": s.name, **chart_columns(session, s)} for s in studies])
