"""An unreachable database answers 503 with Retry-After: JSON under /api/, a short page elsewhere,
never a 500 and never a long wait (kiemdich/unavailable.py)."""

# ruff: noqa: S603 (our own interpreter and script)
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import InterfaceError, OperationalError

from kiemdich import unavailable
from kiemdich.accounts.models import Role
from kiemdich.accounts.tokens import create_token
from tests.conftest import make_user

DETAIL_VI = "Hệ thống đang tạm gián đoạn. Vui lòng thử lại sau vài giây."
DETAIL_EN = "The service is briefly unavailable. Please try again in a few seconds."


def assert_api_503(response, detail=DETAIL_VI) -> None:
    assert response.status_code == 503, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    assert response["Retry-After"] == str(unavailable.RETRY_AFTER)
    assert response.json() == {"detail": detail, "code": "unavailable"}


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_an_api_call_whose_database_is_gone_is_told_to_retry(
    client, binh_phuoc, monkeypatch, error
):
    official = make_user("huyen", Role.DISTRICT_OFFICER, "696")
    _token, plain = create_token(official)

    def gone(token):
        raise error("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr("kiemdich.core.auth.user_for_token", gone)
    response = client.get(
        "/api/v1/stats/checkpoints?unit=696", headers={"Authorization": f"Bearer {plain}"}
    )
    assert_api_503(response)


def test_a_page_whose_database_is_gone_gets_a_short_page_in_its_language(
    client, binh_phuoc, monkeypatch
):
    official = make_user("huyen", Role.DISTRICT_OFFICER, "696")
    client.force_login(official)

    def gone(self):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(SessionStore, "load", gone)
    client.raise_request_exception = False
    response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(unavailable.RETRY_AFTER)
    page = response.content.decode()
    assert DETAIL_VI in page and "Traceback" not in page
    client.cookies["django_language"] = "en"
    response = client.get("/")
    assert response.status_code == 503 and DETAIL_EN in response.content.decode()


def test_other_server_errors_stay_500(client, binh_phuoc, monkeypatch):
    """Only an unreachable database is a 503: a bug is still a bug."""

    def bug(token):
        raise ValueError("a bug")

    monkeypatch.setattr("kiemdich.core.auth.user_for_token", bug)
    client.raise_request_exception = False
    response = client.get(
        "/api/v1/stats/checkpoints?unit=696", headers={"Authorization": "Bearer x"}
    )
    assert response.status_code == 500 and response.json()["code"] == "server_error"
    assert "Retry-After" not in response


def test_psycopg_errors_raised_directly_count_too():
    import psycopg

    assert unavailable.is_unavailable(psycopg.OperationalError("gone"))
    wrapped = OperationalError("gone")
    wrapped.__cause__ = psycopg.errors.AdminShutdown("terminating connection")
    assert unavailable.is_unavailable(wrapped)
    assert not unavailable.is_unavailable(ValueError("no"))
    assert not unavailable.is_unavailable(None)


def test_postgresql_connections_give_up_quickly(settings):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("PostgreSQL settings")
    assert 2 <= settings.DATABASES["default"]["OPTIONS"]["connect_timeout"] <= 5


# The real thing: the production WSGI application (with its scan shortcut) in a child process,
# DEBUG off, its database a port where nothing listens, or one that accepts and never answers.
CHILD = r"""
import io, json, sys, time
from kiemdich.wsgi import application

def call(method, path, body=b"", cookie="", query="", auth=""):
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1", "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http", "wsgi.errors": io.StringIO(), "wsgi.multithread": False,
        "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0)}
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    if auth:
        environ["HTTP_AUTHORIZATION"] = auth
    started = {}
    def start_response(status, headers, exc_info=None):
        started["status"], started["headers"] = int(status.split()[0]), dict(headers)
    begin = time.monotonic()
    content = b"".join(application(environ, start_response))
    return {"status": started["status"], "headers": started["headers"],
            "body": content.decode(errors="replace"), "seconds": time.monotonic() - begin}

scan = {"client_id": "6f1c7e0e-3b9e-4a51-9d0e-0d6b1f2a3c4d", "venue": "1.abc.sig",
        "person_token": "pt", "direction": "in"}
out = dict(scan, direction="out")
requests = {
    "fast path scan": lambda: call("POST", "/api/v1/checkins", json.dumps(scan).encode()),
    "fast path scan, English": lambda: call(
        "POST", "/api/v1/checkins", json.dumps(scan).encode(), cookie="django_language=en"
    ),
    "exit scan (Django)": lambda: call("POST", "/api/v1/checkins", json.dumps(out).encode()),
    "batch": lambda: call(
        "POST", "/api/v1/checkins/batch", json.dumps({"items": [scan]}).encode()
    ),
    "API read": lambda: call("GET", "/api/v1/units/70"),
    "API with a token": lambda: call(
        "GET", "/api/v1/stats/checkpoints", query="unit=70", auth="Bearer kd_x"
    ),
    "page with a session": lambda: call("GET", "/", cookie="sessionid=" + "a" * 32),
    "health": lambda: call("GET", "/api/v1/health"),
}
names = sys.argv[1:] or list(requests)
results = {name: requests[name]() for name in names}
print("RESULTS " + json.dumps(results))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_child(port: int, *names: str) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kiemdich.settings",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/kiemdich",
        "DB_CONNECT_TIMEOUT": "2",
        "LOG_LEVEL": "CRITICAL",
    }
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *names], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULTS "))
    return json.loads(line.removeprefix("RESULTS "))


def check(results: dict, slowest: float) -> None:
    if "health" in results:
        assert results.pop("health")["status"] == 200  # no database needed
    if "fast path scan, English" in results:
        english = results.pop("fast path scan, English")
        assert json.loads(english["body"])["detail"] == DETAIL_EN
    page = results.pop("page with a session")
    assert page["status"] == 503, page
    assert page["headers"]["Retry-After"] == str(unavailable.RETRY_AFTER)
    assert DETAIL_VI in page["body"] and "Traceback" not in page["body"]
    assert page["seconds"] < slowest
    for name, result in results.items():
        assert result["status"] == 503, (name, result)
        assert result["headers"]["Retry-After"] == str(unavailable.RETRY_AFTER), name
        assert result["headers"]["Content-Type"].startswith("application/json"), name
        assert json.loads(result["body"]) == {"detail": DETAIL_VI, "code": "unavailable"}, name
        assert result["seconds"] < slowest, (name, result["seconds"])


def test_the_production_application_answers_503_when_postgresql_refuses():
    check(run_child(_free_port()), slowest=1.5)


def test_the_production_application_answers_503_when_postgresql_never_answers():
    """A server that takes the connection and says nothing (a hung host, a full backlog): the
    connect timeout (2 s here) ends the wait, whatever the request."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)  # the kernel accepts connections; nobody ever answers them
        start = time.monotonic()
        # One of each way in (the shortcut, the API, a page): each waits the timeout.
        results = run_child(
            silent.getsockname()[1], "fast path scan", "API with a token", "page with a session"
        )
    assert time.monotonic() - start < 60
    check(results, slowest=5.0)


def test_a_redis_that_is_down_is_a_503_and_nothing_is_written(client, binh_phuoc, settings):
    """With REDIS_URL the rate limits count in Redis: when it is gone, phones are told to retry
    (the counts cannot be kept, so nothing is stored), as when the database is gone."""
    from kiemdich.declarations.models import Declaration
    from tests.declarations.conftest import DECLARATION

    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        },
    }
    started = time.monotonic()
    response = client.post("/api/v1/declarations", DECLARATION, content_type="application/json")
    assert_api_503(response)
    assert time.monotonic() - started < 10
    assert not Declaration.objects.exists()
