"""Requests no person sends still get a clear 4xx in the API's shape, never a 500."""

import pytest

from tests.conftest import PASSWORD
from tests.venues.conftest import make_venue


def test_nul_characters_are_refused_everywhere(personas, client):
    assert client.get("/api/v1/units/a%00b").json()["code"] == "invalid"
    assert client.get("/api/v1/units?parent=a%00b").status_code == 400
    venue = make_venue()
    client.login(username="xa_ducphong", password=PASSWORD)
    response = client.post(
        f"/api/v1/venues/{venue.pk}/revoke",
        '{"reason": "a\\u0000b"}',
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    page = client.post(f"/venues/{venue.pk}/revoke/", {"reason": "a\x00b"})
    assert page.status_code == 400
    venue.refresh_from_db()
    assert venue.status == "active" and venue.status_note == ""


@pytest.mark.parametrize(
    "path", ["/api/v1/declarations", "/api/v1/checkins", "/api/v1/campaigns/preview"]
)
def test_a_form_posted_to_the_api_is_a_4xx(personas, client, path):
    """Some clients post forms (multipart or urlencoded) by mistake: a clear 4xx, not a 500."""
    client.login(username="huyen_budang", password=PASSWORD)
    for content_type in (
        "multipart/form-data; boundary=BoUnDaRy",
        "application/x-www-form-urlencoded",
    ):
        body = (
            '--BoUnDaRy\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--BoUnDaRy--\r\n'
            if content_type.startswith("multipart")
            else "a=b"
        )
        response = client.post(path, body, content_type=content_type)
        assert 400 <= response.status_code < 500, (content_type, response.content[:300])
        assert "code" in response.json()


def test_huge_page_numbers_are_a_422(binh_phuoc, client):
    response = client.get("/api/v1/units?page=9223372036854775808")
    assert response.status_code == 422 and response.json()["code"] == "invalid"


def test_unknown_paths_and_methods_answer_in_json(binh_phuoc, client):
    missing = client.get("/api/v1/nope")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    wrong = client.delete("/api/v1/units")
    assert wrong.status_code == 405 and wrong.json()["code"] == "method_not_allowed"


def test_schema_names_are_unique():
    """The OpenAPI document keys schemas by class name: two `RowOut`s in two apps would make one
    endpoint documented (and checked) with the other's shape."""
    from collections import Counter

    from ninja import Schema

    from kiemdich.api import api

    api.get_openapi_schema()  # imports every router's schemas

    def walk(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    names = Counter(c.__name__ for c in set(walk(Schema)) if c.__module__.startswith("kiemdich."))
    assert [name for name, n in names.items() if n > 1] == []


def test_an_unexpected_exception_under_api_is_a_json_500(binh_phuoc, client, monkeypatch):
    """A bug in an endpoint answers in the API's shape, not with Django's HTML error page."""
    from django.test import Client

    from kiemdich.checkins import api as checkins_api

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(checkins_api, "fast_entry", broken)
    quiet = Client(raise_request_exception=False)
    response = quiet.post(
        "/api/v1/checkins",
        {"client_id": "8a0f3d38-5c55-4a0a-9b1e-5f7f2d8f6b11", "venue": "x", "person_token": "1:x"},
        content_type="application/json",
    )
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "server_error" and "a bug" not in response.content.decode()
    # Outside /api/ a 500 stays a page.
    assert quiet.get("/api-like-but-not/").status_code == 404
    for path in ("/api/nope", "/api/v2/units", "/api/"):
        missing = client.get(path)
        assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_the_error_handlers_answer_json_only_under_api(db, rf):
    from django.http import Http404
    from django.urls import get_resolver

    resolver = get_resolver()
    not_found = resolver.resolve_error_handler(404)
    server_error = resolver.resolve_error_handler(500)
    api_404 = not_found(rf.get("/api/v1/zzz"), Http404())
    assert api_404.status_code == 404 and api_404["Content-Type"] == "application/json"
    api_500 = server_error(rf.get("/api/v1/units"))
    assert api_500.status_code == 500 and api_500["Content-Type"] == "application/json"
    page_500 = server_error(rf.get("/venues/"))
    assert page_500.status_code == 500 and "html" in page_500["Content-Type"]
