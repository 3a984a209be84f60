"""The dashboard's pages (HTML), their data (JSON), figures (SVG) and downloads (CSV).

    /                                   studies; pick several to compare
    /api/studies                        the same rows as JSON
    /study/NAME                         a study, updated live from /api/study/NAME
    /study/NAME/leaderboard.csv         the leaderboard shown (?rows=N)
    /study/NAME/figure/KIND.svg         curves (?top=N), narrowing, history
    /study/NAME/trial/ID                a trial and its epochs (/api/..., .csv, curve.svg)
    /compare?study=A&study=B            several studies side by side (.csv)

Every route is a GET and reads through :func:`reading`, in a session of the read-only
factory the application keeps under :data:`FACTORY`. NAME is the study's name as
:class:`hpsearch.dashboard.urls.StudyName` puts it in a path, whatever it holds. A CSV
is UTF-8, its file name in RFC 6266's two forms (:func:`attachment`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)
from sqlalchemy.orm import Session

from hpsearch import store
from hpsearch.dashboard import charts
from hpsearch.dashboard.access import FIGURE_POLICY
from hpsearch.dashboard.pages import (
    DEFAULT_ROWS,
    EPOCH_COLUMNS,
    FUNCTION_LEADERBOARD_COLUMNS,
    LEADERBOARD_COLUMNS,
    compare_page,
    csv_text,
    metric_trial_page,
    studies_rows,
    study_page,
    trial_page,
)
from hpsearch.dashboard.scoring import scoring
from hpsearch.store import FrozenTrial, progress
from hpsearch.store.models import Study

pages = Blueprint("pages", __name__)

#: The application's config key of the read-only session factory the routes read with.
FACTORY = "HPSEARCH_FACTORY"

#: Panels of the curves grid unless asked for more or fewer (the book shows 20).
DEFAULT_TOP = 10


@contextmanager
def reading() -> Iterator[Session]:
    """A session of the request's store; it is rolled back, never committed."""
    with current_app.config[FACTORY]() as session:
        yield session


def _count(name: str, default: int, most: int = 10_000) -> int:
    value = request.args.get(name, default, type=int)
    return min(max(value if value is not None else default, 1), most)


def _svg(content: bytes) -> Response:
    # The study page asks for ?v=VERSION (the study's state): that answer never changes.
    cache = "private, max-age=3600" if "v" in request.args else "no-store"
    headers = {"Cache-Control": cache, "Content-Security-Policy": FIGURE_POLICY}
    return Response(content, mimetype="image/svg+xml", headers=headers)


def attachment(filename: str) -> str:
    """The Content-Disposition of a download named ``filename`` (RFC 6266): an ASCII
    ``filename`` for old clients, and the name itself as UTF-8 in ``filename*`` (RFC
    5987) when it is not plain ASCII. A '/', a '\\' or a control character of a study's
    name becomes '_': no file name holds them."""
    name = re.sub(r"[/\\\x00-\x1f\x7f]", "_", filename)
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("._") or "download.csv"
    if ascii_name == name:
        return f'attachment; filename="{name}"'
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _csv(text: str, filename: str) -> Response:
    disposition = attachment(filename)
    return Response(text, mimetype="text/csv", headers={"Content-Disposition": disposition})


def _trial(
    session: Session, study: Study, trial_id: int, names: Sequence[str] | None = None
) -> FrozenTrial:
    """The study's trial of that id with its epochs and its values (of ``names`` only,
    in that order, when given); 404 if the study has none."""
    trial = progress.study_trial(session, study, trial_id)
    if trial is None:
        abort(404, f"study {study.name!r} has no trial {trial_id}")
    (frozen,) = store.frozen_trials(session, [trial], names=names, epochs=True)
    return frozen


@pages.get("/")
def index() -> str:
    with reading() as session:
        rows = studies_rows(session)
    return render_template("studies.html", studies=rows, database=current_app.config["DATABASE"])


@pages.get("/api/studies")
def studies_json() -> Response:
    """Every study's row, with the address of its page (the studies page polls this)."""
    with reading() as session:
        rows = studies_rows(session)
    return jsonify([{**row, "url": url_for("pages.study", name=row["name"])} for row in rows])


@pages.get("/study/<study:name>")
def study(name: str) -> str:
    with reading() as session:
        own = scoring(store.get_study(session, name))  # 404 for an unknown study
    return render_template(
        "study.html",
        name=name,
        rows=_count("rows", DEFAULT_ROWS),
        top=_count("top", DEFAULT_TOP),
        scoring=own,
    )


def _study_data(name: str) -> dict[str, Any]:
    with reading() as session:
        study = store.get_study(session, name)
        return study_page(session, study, rows=_count("rows", DEFAULT_ROWS))


def _trial_data(name: str, trial_id: int) -> dict[str, Any]:
    with reading() as session:
        study = store.get_study(session, name)
        trial = _trial(session, study, trial_id, store.searched_names(study))
        if study.objective is None:
            return trial_page(trial)
        return metric_trial_page(session, study, trial)


@pages.get("/api/study/<study:name>")
def study_json(name: str) -> Response:
    return jsonify(_study_data(name))


@pages.get("/study/<study:name>/leaderboard.csv")
def leaderboard_csv(name: str) -> Response:
    data = _study_data(name)
    return _csv(csv_text(data["leaderboard"], data["columns"]), f"{name}-leaderboard.csv")


@pages.get("/study/<study:name>/figure/<kind>.svg")
def study_svg(name: str, kind: str) -> Response:
    if kind not in charts.KINDS:
        abort(404, f"no figure {kind!r}: one of {', '.join(charts.KINDS)}")
    with reading() as session:
        study = store.get_study(session, name)
        return _svg(charts.study_figure(session, study, kind, top=_count("top", DEFAULT_TOP)))


@pages.get("/study/<study:name>/trial/<int:trial_id>")
def trial(name: str, trial_id: int) -> str:
    data = _trial_data(name, trial_id)
    columns = ["epoch", *data["metrics"]] if "metrics" in data else list(EPOCH_COLUMNS)
    return render_template("trial.html", name=name, trial=data, columns=columns)


@pages.get("/api/study/<study:name>/trial/<int:trial_id>")
def trial_json(name: str, trial_id: int) -> Response:
    return jsonify(_trial_data(name, trial_id))


@pages.get("/study/<study:name>/trial/<int:trial_id>/epochs.csv")
def trial_csv(name: str, trial_id: int) -> Response:
    data = _trial_data(name, trial_id)
    columns = ["epoch", *data["metrics"]] if "metrics" in data else list(EPOCH_COLUMNS)
    return _csv(csv_text(data["epochs"], columns), f"{name}-trial{trial_id}-epochs.csv")


@pages.get("/study/<study:name>/trial/<int:trial_id>/curve.svg")
def trial_svg(name: str, trial_id: int) -> Response:
    with reading() as session:
        study = store.get_study(session, name)
        return _svg(charts.trial_figure(study, _trial(session, study, trial_id)))


def _ranked_by(study: Study) -> str:
    own = scoring(study)
    return f"{own.metric} ({'minimize' if own.minimize else 'maximize'})"


def compared(session: Session) -> list[Study]:
    """The studies asked for; 400 unless they are all ranked by one metric, one way."""
    names = list(dict.fromkeys(request.args.getlist("study")))
    if not names:
        abort(404, "pick one or more studies to compare (?study=A&study=B)")
    studies = [store.get_study(session, name) for name in names]
    metrics = {study.name: _ranked_by(study) for study in studies}
    if len(set(metrics.values())) > 1:
        each = "; ".join(f"{name} by {metric}" for name, metric in metrics.items())
        abort(400, f"only studies ranked by the same metric compare: {each}")
    return studies


@pages.get("/compare")
def compare() -> str:
    with reading() as session:
        data = compare_page(session, compared(session))
    return render_template("compare.html", studies=data, names=[row["name"] for row in data])


@pages.get("/compare.csv")
def compare_csv() -> Response:
    with reading() as session:
        data = compare_page(session, compared(session))
    rows = [{"study": s["name"], **row} for s in data for row in s["best"]]
    own: tuple[str, ...] = LEADERBOARD_COLUMNS  # one metric for all: a function's if theirs
    if data and "metric" in data[0]:
        own = FUNCTION_LEADERBOARD_COLUMNS
    others = {key for row in rows for key in row} - {"study", "val_curve", *own}
    at = own.index("seed")  # other searched parameters after weight decay
    columns = ["study", *own[:at], *sorted(others), *own[at:]]
    return _csv(csv_text(rows, columns), "compare.csv")
