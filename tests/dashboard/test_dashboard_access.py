"""Who the dashboard answers: the hosts it listens as (DNS rebinding is refused), its
token, the security headers of every answer over HTTP, and the command's warning."""

from __future__ import annotations

import http.client
import socket

import pytest

import hpsearch.dashboard
from hpsearch.dashboard import create_app
from hpsearch.dashboard.access import Access, access, host_name
from hpsearch.store.schema import open_store
from tests.support import serving

URLS = (
    "/", "/api/studies", "/study/small", "/api/study/small", "/study/small/leaderboard.csv",
    "/study/small/figure/history.svg", "/static/dashboard.js", "/static/dashboard.css",
    "/no/such/page",
)  # fmt: skip


@pytest.fixture
def served(stored_study):
    app = create_app(open_store(str(stored_study.db), read_only=True))
    with serving(app) as base:
        yield base.removeprefix("http://")


def _request(where: str, url: str, host: str | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection(where, timeout=60)
    connection.request("GET", url, headers={"Host": host or where})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.mark.parametrize("url", URLS)
def test_every_answer_carries_the_security_headers(served, url):
    response = _request(served, url)
    assert response.status == (404 if url == "/no/such/page" else 200)
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("X-Frame-Options") == "DENY"
    assert response.getheader("Referrer-Policy") == "no-referrer"
    policy = response.getheader("Content-Security-Policy")
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-eval" not in policy
    if url.endswith(".svg"):  # a figure runs no script at all
        assert "script-src" not in policy
    else:  # a page runs its own script only, never one written into it
        assert "script-src 'self';" in policy and "connect-src 'self'" in policy


@pytest.mark.fault("a foreign Host header (DNS rebinding, dashboard)", check="refused")
@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "localhost.evil.example"])
def test_a_foreign_host_is_refused(served, host):
    port = served.rpartition(":")[2]
    response = _request(served, "/api/studies", host.format(port=port))
    assert response.status == 400


@pytest.mark.parametrize(
    "host", ["localhost:{port}", "127.0.0.1:{port}", "[::1]:{port}", "LOCALHOST"]
)
def test_the_loopback_names_are_answered(served, host):
    port = served.rpartition(":")[2]
    assert _request(served, "/api/studies", host.format(port=port)).status == 200


@pytest.mark.parametrize(
    ("header", "host"),
    [("localhost:8080", "localhost"), ("[::1]:8080", "::1"), ("Dash.Example.", "dash.example"),
     ("127.0.0.1", "127.0.0.1"), ("[0:0::1]", "::1")],
)  # fmt: skip
def test_host_name_drops_the_port(header, host):
    assert host_name(header) == host


def test_bound_to_every_address_it_answers_any_address_and_its_own_names():
    rules = access("0.0.0.0", ["dash.lan:8080"])
    assert rules.allows("192.168.1.7") and rules.allows("fe80::1") and rules.allows("::1")
    assert rules.allows(socket.gethostname().lower()) and rules.allows("dash.lan")
    assert not rules.allows("evil.example")


def test_bound_to_one_address_it_answers_that_one_and_loopback():
    rules = access("10.1.2.3")
    assert rules.allows("10.1.2.3") and rules.allows("localhost")
    assert not rules.allows("10.1.2.4") and not rules.allows("evil.example")


def test_a_token_is_asked_once_then_kept_in_a_cookie(stored_study):
    factory = open_store(str(stored_study.db), read_only=True)
    client = create_app(factory, Access(token="s3cret")).test_client()
    refused = client.get("/api/studies")
    assert refused.status_code == 403 and "token" in refused.get_data(as_text=True)
    assert client.get("/?token=wrong").status_code == 403
    first = client.get("/?token=s3cret")
    assert first.status_code == 200
    cookie = first.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert client.get("/api/study/small").status_code == 200  # the cookie, no token
    assert client.get("/static/dashboard.js").status_code == 200
    other = create_app(factory, Access(token="s3cret")).test_client()
    other.set_cookie(first.headers["Set-Cookie"].split("=")[0], "wrong")
    assert other.get("/").status_code == 403


@pytest.fixture
def started(monkeypatch):
    """The command without its socket and server: returns what it would have served."""
    served = {}
    monkeypatch.setattr(hpsearch.dashboard, "bind", lambda host, port: socket.socket())
    monkeypatch.setattr(hpsearch.dashboard, "serve", lambda app, sock: served.update(app=app))
    return served


def test_off_loopback_the_command_warns_and_asks_for_a_new_token(cli, stored_study, started):
    result = cli("dashboard", "--db", str(stored_study.db), "--host", "0.0.0.0")
    assert result.exit_code == 0, result.output
    warning = result.stderr.strip().splitlines()[0]
    assert warning.startswith("Warning: 0.0.0.0 opens the dashboard to other machines")
    url = result.stdout.splitlines()[0].rpartition(" at ")[2]
    token = url.partition("?token=")[2]
    assert url.startswith("http://0.0.0.0:8080/?token=") and len(token) >= 20
    client = started["app"].test_client()
    assert client.get("/", headers={"Host": "192.168.1.7:8080"}).status_code == 403
    assert client.get(f"/?token={token}", headers={"Host": "192.168.1.7:8080"}).status_code == 200
    assert client.get(f"/?token={token}", headers={"Host": "evil.example"}).status_code == 400


def test_on_loopback_no_warning_and_a_token_only_when_given(
    cli, stored_study, started, monkeypatch
):
    result = cli("dashboard", "--db", str(stored_study.db))
    assert result.exit_code == 0 and result.stderr == "" and "token" not in result.stdout
    assert started["app"].test_client().get("/").status_code == 200
    monkeypatch.setenv("HPSEARCH_DASHBOARD_TOKEN", "from-env")
    result = cli("dashboard", "--db", str(stored_study.db), "--allow-host", "dash.lan")
    assert "http://127.0.0.1:8080/?token=from-env" in result.stdout and result.stderr == ""
    client = started["app"].test_client()
    assert client.get("/", headers={"Host": "dash.lan"}).status_code == 403
    assert client.get("/?token=from-env", headers={"Host": "dash.lan"}).status_code == 200


def test_an_empty_token_is_one_error_line(cli, stored_study, started):
    result = cli("dashboard", "--db", str(stored_study.db), "--token", " ")
    assert result.exit_code == 1
    assert result.output.startswith("Error: --token") and len(result.output.splitlines()) == 1
    assert "app" not in started
