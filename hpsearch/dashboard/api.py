"""The JSON the interactive charts draw (see :mod:`hpsearch.dashboard.explore`).

    /api/study/NAME/trials        every trial as columns, with each round's domains
    /api/study/NAME/curves        the best ?top=N trials' validation curves and the
                                  running ones'
    /api/study/NAME/importance    each searched parameter's importance, or why not
    /api/compare?study=A&study=B  each study's trials as columns, for one chart

Each is a GET read through :func:`hpsearch.dashboard.routes.reading`, like the pages.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from hpsearch import store
from hpsearch.dashboard.explore import DEFAULT_CURVES, MOST_CURVES, study_curves, trial_columns
from hpsearch.dashboard.routes import compared, reading
from hpsearch.errors import UsageError
from hpsearch.report.summaries import importance_report

api = Blueprint("api", __name__)


@api.get("/api/study/<study:name>/trials")
def trials(name: str) -> Response:
    with reading() as session:
        return jsonify(trial_columns(session, store.get_study(session, name)))


@api.get("/api/study/<study:name>/curves")
def curves(name: str) -> Response:
    top = request.args.get("top", DEFAULT_CURVES, type=int) or DEFAULT_CURVES
    with reading() as session:
        study = store.get_study(session, name)
        return jsonify(study_curves(session, study, min(max(top, 1), MOST_CURVES)))


@api.get("/api/study/<study:name>/importance")
def importance(name: str) -> Response:
    """The importance report; ``{"error": ...}`` when it cannot be had (too few trials,
    no scikit-learn): the page shows that sentence in its place."""
    with reading() as session:
        study = store.get_study(session, name)
        try:
            return jsonify(importance_report(session, study))
        except UsageError as exc:
            return jsonify({"error": str(exc)})


@api.get("/api/compare")
def compare() -> Response:
    with reading() as session:
        studies = compared(session)
        return jsonify([{"name": s.name, **trial_columns(session, s)} for s in studies])
