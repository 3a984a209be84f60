"""``hpsearch dashboard``: a local, read-only web app over the study database.

    app       the Flask application, its error pages, the server and its socket
    routes    the pages (HTML), their data (JSON), figures (SVG) and downloads (CSV),
              each read in a session of the application's read-only factory
    pages     what each page shows, as plain data, from the report's own functions
    charts    ``hpsearch plot``'s matplotlib figures served as SVG
    templates, static   Jinja pages and the one script that keeps the study page live

May import: :mod:`hpsearch.report`, :mod:`hpsearch.plots` and everything below them;
Flask, Werkzeug and Jinja. Nothing imports it but the ``dashboard`` command, when it
runs.
"""

from hpsearch.dashboard.app import bind, create_app, serve, server

__all__ = ["bind", "create_app", "serve", "server"]
