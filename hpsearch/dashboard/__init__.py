"""``hpsearch dashboard``: a local, read-only web app over the study database.

app       the Flask application, its read-only sessions, the server and its socket
routes    the pages (HTML), their data (JSON), figures (SVG) and downloads (CSV)
pages     what each page shows, as plain data, from the report's own functions
figures   ``hpsearch plot``'s matplotlib figures served as SVG
templates, static   Jinja pages and the one script that keeps the study page live
"""

from hpsearch.dashboard.app import bind, create_app, serve, server

__all__ = ["bind", "create_app", "serve", "server"]
