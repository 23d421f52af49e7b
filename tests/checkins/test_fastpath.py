"""The WSGI shortcut for entry scans answers like the API, and hands everything else to Django."""

import io
import json
import os
import subprocess
import sys
import uuid

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone

from kiemdich.checkins import fastpath
from kiemdich.checkins.models import Checkin, ScanDaily
from kiemdich.venues.services import qr_url
from kiemdich.wsgi import application
from tests.declarations.conftest import DECLARATION
from tests.venues.conftest import make_venue


@pytest.fixture(autouse=True)
def _keep_test_connection(monkeypatch):
    """Django closes a connection that is not in autocommit when a request starts: the test's
    own, inside its transaction. Keep it, as Django's test client does (see `call`)."""
    monkeypatch.setattr(fastpath, "close_old_connections", lambda: None)


@pytest.fixture
def token(client, binh_phuoc) -> str:
    response = client.post("/api/v1/declarations", DECLARATION, content_type="application/json")
    return response.json()["person_token"]


def call(body: bytes, path="/api/v1/checkins", host="127.0.0.1") -> tuple[int, dict, dict]:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": host,
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": host,
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    started = {}

    def start_response(status, headers, exc_info=None):
        started["status"], started["headers"] = int(status.split()[0]), dict(headers)

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        content = b"".join(application(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    is_json = started["headers"].get("Content-Type", "").startswith("application/json")
    return started["status"], json.loads(content) if is_json else None, started["headers"]


def entry(venue, token, **extra) -> bytes:
    body = {"client_id": str(uuid.uuid4()), "venue": qr_url(venue), "person_token": token}
    return json.dumps({**body, "direction": "in", **extra}).encode()


def test_an_entry_is_stored_and_answered_like_the_api_would(binh_phuoc, token):
    shop = make_venue()
    body = entry(shop, token)
    status, first, headers = call(body)
    assert status == 201 and first["direction"] == "in" and first["venue"]["name"] == shop.name
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert Checkin.objects.count() == 1
    assert ScanDaily.objects.get(date=timezone.localdate()).scans == 1
    # The replay is Django's to answer (200) and says exactly the same.
    status, again, _ = call(body)
    assert status == 200 and again == first
    assert Checkin.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "host", "status"),
    [
        (b"{not json", "127.0.0.1", 400),
        (b'{"client_id": "x"}', "127.0.0.1", 422),
        (None, "evil.example", 400),  # a host not allowed: Django refuses it
    ],
)
def test_anything_else_is_left_to_django(binh_phuoc, token, body, host, status):
    shop = make_venue()
    answer_status, _answer, _ = call(body or entry(shop, token), host=host)
    assert answer_status == status
    assert not Checkin.objects.exists()


def test_exits_and_staff_scans_take_the_general_path(binh_phuoc, token):
    shop = make_venue()
    call(entry(shop, token))
    status, body, _ = call(entry(shop, token, direction="out"))
    assert status == 201 and body["direction"] == "out"
    visit = Checkin.objects.get()
    assert visit.t_out_auto is False


def test_a_new_worker_may_get_a_scan_as_its_first_request():
    """A fresh gunicorn worker whose first request is a scan: the shortcut's imports must not
    run into the API's own (they once did, and every scan of that worker failed)."""
    body = json.dumps({"venue": "not-a-poster"})  # no client_id: refused before any query
    script = f"""
import io
from kiemdich.wsgi import application
body = {body!r}.encode()
environ = {{"REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/checkins", "SERVER_NAME": "127.0.0.1",
    "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1", "CONTENT_TYPE": "application/json",
    "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http",
    "wsgi.errors": io.StringIO()}}
statuses = []
application(environ, lambda status, headers, exc_info=None: statuses.append(status))
print(statuses[0])
"""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kiemdich.settings",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    done = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().startswith("4"), done.stdout  # refused by the API, not a crash
