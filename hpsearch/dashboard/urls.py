"""A study's name as one segment of a URL's path, whatever characters it holds.

A WSGI server percent-decodes the path once before the application routes it (its
``PATH_INFO``), so a '/' in a name, even sent as ``%2F``, would split the segment in
two; and a browser drops a segment of '.' or '..' before it sends the request. So the
segment carries the name with each '%' and '/' (and the dots of a name of dots only)
encoded twice: ``a/b`` goes out as ``a%252Fb``, the server decodes it to ``a%2Fb`` and
:meth:`StudyName.to_python` to ``a/b``. Every other character is encoded once, as any
URL's: ``my study`` is ``my%20study``, ``学習率`` reads as itself in the address bar.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from werkzeug.routing import BaseConverter


def segment(name: str) -> str:
    """The path segment, as the application receives it decoded, that holds ``name``."""
    if name.strip(".") == "":  # '.' and '..' are no segments to a browser
        return "%2E" * len(name)
    return name.replace("%", "%25").replace("/", "%2F")


class StudyName(BaseConverter):
    """The ``study`` converter of the dashboard's routes: ``/study/<study:name>``."""

    def to_python(self, value: str) -> str:
        return unquote(value)  # the only escapes left in a decoded segment are segment()'s

    def to_url(self, value: str) -> str:
        return quote(segment(value), safe="")
