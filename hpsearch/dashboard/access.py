"""Who may read the dashboard, and the headers every answer carries.

Host     a request must name a host the server listens as (its ``Host`` header):
         a loopback name, the address or name it was bound to, any IP address when
         it was bound to all of them (``0.0.0.0``, ``::``) with the machine's own
         name, or a name given with ``--allow-host``; any other is refused (400).
         A page of another site whose name was pointed at this machine (DNS
         rebinding) sends its own name, so it cannot read the studies.
token    when there is one (``--token``, or a new one on any address other than a
         loopback one), a request must carry it: once in the query (``?token=...``,
         the address the command prints), then in the cookie that answer sets; 403
         otherwise.
headers  every answer: a Content-Security-Policy that lets a page load its own
         script, style sheet, data and figures and nothing else (a figure, SVG, no
         script at all), no framing, no sniffing of content types, no referrer.
"""

from __future__ import annotations

import hmac
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from flask import Flask, Response, abort, g, request

#: Names that mean this machine to any client.
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
#: Addresses that bind every interface.
ANY_ADDRESS = frozenset({"0.0.0.0", "::", ""})

#: The pages: their own script, style sheet, figures and data; no plugin, no frame.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
#: A figure: matplotlib's SVG styles itself inline, may hold a data: image, runs nothing.
FIGURE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
)

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine only."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name
        return False


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def host_name(header: str) -> str:
    """The host of a ``Host`` header, without its port: ``[::1]:8080`` -> ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        header = header[1:].partition("]")[0]
    elif header.count(":") == 1:
        header = header.partition(":")[0]
    try:
        return str(ipaddress.ip_address(header))  # one spelling of each address
    except ValueError:
        return header.rstrip(".")


@dataclass(frozen=True)
class Access:
    """The hosts a request may name, and the token it must carry (None: no token)."""

    hosts: frozenset[str] = LOOPBACK_NAMES
    any_address: bool = False
    token: str | None = None

    def allows(self, host: str) -> bool:
        """Whether a ``Host`` header's host (see :func:`host_name`) is one of these."""
        return host in self.hosts or (self.any_address and _is_address(host))


def access(host: str, allow: Iterable[str] = (), token: str | None = None) -> Access:
    """The rules of a server bound to ``host``, also known as the names in ``allow``."""
    bound = host_name(f"[{host}]" if ":" in host else host)  # an IPv6 address has no port
    any_address = bound in ANY_ADDRESS
    own = {socket.gethostname().lower()} if any_address else {bound}
    hosts = LOOPBACK_NAMES | own | {host_name(name) for name in allow}
    return Access(frozenset(hosts), any_address, token)


def _cookie() -> str:
    # Cookies do not tell ports apart: two dashboards on one machine keep one each.
    return f"hpsearch-dashboard-{request.environ.get('SERVER_PORT', '')}"


def install(app: Flask, rules: Access) -> None:
    """Check every request of ``app`` against ``rules``; add :data:`HEADERS` to every answer."""

    @app.before_request
    def _check() -> None:
        if not rules.allows(host_name(request.host)):
            abort(400, f"this dashboard does not answer to the host {request.host!r}")
        if rules.token is None:
            return
        token = rules.token.encode()
        given = request.args.get("token")
        if given is not None and hmac.compare_digest(given.encode(), token):
            g.keep_token = True
            return
        if not hmac.compare_digest(request.cookies.get(_cookie(), "").encode(), token):
            abort(403, "this dashboard asks for its token: open the address it printed")

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if g.pop("keep_token", False) and rules.token is not None:
            response.set_cookie(_cookie(), rules.token, httponly=True, samesite="Strict")
        return response
