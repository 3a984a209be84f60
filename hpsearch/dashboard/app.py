"""The dashboard's Flask application and the server it runs in.

Flask (with Werkzeug's threaded WSGI server and Jinja templates) serves the pages;
every request reads through a read-only session factory, so a page never takes the
write lock that workers queue for, and no request can change the store. Every request
is checked, and every answer given its headers, by :mod:`hpsearch.dashboard.access`; a
study's name goes into its URLs through :class:`hpsearch.dashboard.urls.StudyName`. The
server binds its socket itself, so a port in use is one error line at start.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading

from flask import Flask, current_app, render_template
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import BadRequest, Forbidden, HTTPException, NotFound
from werkzeug.serving import BaseWSGIServer, make_server

from hpsearch.dashboard.access import Access, install
from hpsearch.dashboard.api import api
from hpsearch.dashboard.routes import FACTORY, pages
from hpsearch.dashboard.urls import StudyName
from hpsearch.errors import HpsearchError, StudyNotFound, UsageError
from hpsearch.report import numbers
from hpsearch.store.engine import masked, reader


def create_app(factory: sessionmaker[Session], rules: Access | None = None) -> Flask:
    """The dashboard over the store ``factory`` opens (only ever read), answering the
    requests ``rules`` allows (by default: this machine's names, no token)."""
    app = Flask(__name__)
    app.config[FACTORY] = reader(factory)
    app.config["DATABASE"] = masked(factory.kw["bind"].url)
    app.url_map.converters["study"] = StudyName
    app.jinja_env.filters["number"] = _number
    install(app, rules or Access())
    app.register_blueprint(pages)
    app.register_blueprint(api)
    app.register_error_handler(BadRequest, _refused)
    app.register_error_handler(Forbidden, _refused)
    app.register_error_handler(StudyNotFound, _not_found)
    app.register_error_handler(NotFound, _not_found)
    app.register_error_handler(HpsearchError, _store_error)
    app.register_error_handler(SQLAlchemyError, _database_error)
    # scikit-learn imported while the first pages are served, so that the study page's
    # first importance (asked last) waits for its forests only, not for the import too
    threading.Thread(target=_import_forests, name="import-forests", daemon=True).start()
    return app


def _number(value: object, kind: str = "significant") -> str:
    """A value as the command line's tables write it: a float of a log-scale parameter
    (``kind`` "scientific") as ``2.47e-3``, another to 3 significant digits; text as it
    is, None as ``-``."""
    if value is None:
        return numbers.MISSING
    if isinstance(value, float):
        return numbers.scientific(value) if kind == "scientific" else numbers.significant(value)
    return str(value)


def _not_found(exc: Exception) -> tuple[str, int]:
    message = str(exc) if isinstance(exc, StudyNotFound) else "no such page"
    if isinstance(exc, HTTPException) and exc.description != NotFound.description:
        message = str(exc.description)  # a message of the dashboard's own (no such trial)
    return render_template("error.html", title="Not found", message=message), 404


def _refused(exc: HTTPException) -> tuple[str, int]:
    code = exc.code or 400
    return render_template("error.html", title=exc.name, message=exc.description), code


def _store_error(exc: HpsearchError) -> tuple[str, int]:
    return render_template("error.html", title="Error", message=str(exc)), 500


def _database_error(exc: SQLAlchemyError) -> tuple[str, int]:
    reason = getattr(exc, "orig", None) or exc
    message = f"database {current_app.config['DATABASE']}: {reason}"
    return render_template("error.html", title="Error", message=message), 500


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``; UsageError when it cannot be had."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        reason = "port in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise UsageError(f"cannot listen on {host}:{port}: {reason}") from None
    return sock


def _import_forests() -> None:
    """Import scikit-learn's forests (seconds on a cold start), if it is installed."""
    try:
        import sklearn.ensemble  # noqa: F401
        import sklearn.inspection  # noqa: F401
    except ImportError:  # the importance says why not when asked
        pass


def server(app: Flask, sock: socket.socket) -> BaseWSGIServer:
    """Werkzeug's threaded server for ``app`` on ``sock`` (from :func:`bind`)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per poll
    host, port = sock.getsockname()[:2]
    return make_server(host, port, app, threaded=True, fd=sock.fileno())


def serve(app: Flask, sock: socket.socket) -> None:
    """Answer requests on ``sock`` until interrupted."""
    running = server(app, sock)
    try:
        running.serve_forever()
    finally:
        running.server_close()
