"""Closing, rejecting and revoking a checkpoint ask first (what happens, then Confirm); a closed
checkpoint can be reopened by the area's officers, not by its owner."""

from __future__ import annotations

import pytest

from kiemdich.accounts.models import Role
from kiemdich.venues import services, signing
from kiemdich.venues.models import Status, Venue
from tests.conftest import PASSWORD, make_user

from .conftest import make_venue


@pytest.fixture
def owner(binh_phuoc):
    return make_user("chudiem_minhphuong", Role.VENUE_OWNER)


def log_in(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


def status_of(venue: Venue) -> str:
    return Venue.objects.values_list("status", flat=True).get(pk=venue.pk)


def test_closing_asks_first_and_says_what_happens(owner, client):
    venue = make_venue(owner=owner)
    log_in(client, owner)
    detail = client.get(f"/venues/{venue.pk}/").content.decode()
    assert f'action="/venues/{venue.pk}/close/"' in detail

    asked = client.post(f"/venues/{venue.pk}/close/")  # the detail page's button
    assert asked.status_code == 200 and status_of(venue) == Status.ACTIVE
    page = asked.content.decode()
    assert "Mã QR ngừng hoạt động" in page and "vẫn được giữ" in page
    assert 'name="confirm" value="1"' in page
    assert f'href="/venues/{venue.pk}/"' in page  # the way out: keep it as it is
    # The owner is told who can reopen it.
    assert "chỉ cán bộ của Thị trấn Đức Phong" in page
    client.cookies["django_language"] = "en"
    english = client.post(f"/venues/{venue.pk}/close/").content.decode()
    assert "Its QR poster stops working" in english and "only an official of" in english
    assert client.get(f"/venues/{venue.pk}/close/").status_code == 200  # a link works too
    assert status_of(venue) == Status.ACTIVE

    done = client.post(f"/venues/{venue.pk}/close/", {"confirm": "1"})
    assert done.status_code == 302 and status_of(venue) == Status.CLOSED
    closed = client.get(f"/venues/{venue.pk}/").content.decode()
    assert 'id="closed-note"' in closed and "Thị trấn Đức Phong" in closed
    assert f"/venues/{venue.pk}/reopen/" not in closed  # not the owner's to reopen


def test_the_owner_may_not_reopen(owner, client):
    venue = make_venue(owner=owner, status=Status.CLOSED)
    log_in(client, owner)
    assert client.get(f"/venues/{venue.pk}/reopen/").status_code == 405
    assert client.post(f"/venues/{venue.pk}/reopen/").status_code == 403
    assert status_of(venue) == Status.CLOSED
    assert services.available_actions(owner, venue) == []


def test_an_officer_of_the_area_reopens_and_the_poster_works_again(personas, owner, client):
    venue = make_venue(owner=owner)
    services.transition(owner, venue, "close")
    venue.refresh_from_db()
    assert venue.ended_at is not None
    activated = venue.activated_at

    log_in(client, personas["other_commune"])  # another commune's officer does not see it
    assert client.post(f"/venues/{venue.pk}/reopen/").status_code == 404
    client.logout()
    log_in(client, personas["commune"])
    detail = client.get(f"/venues/{venue.pk}/").content.decode()
    assert f'action="/venues/{venue.pk}/reopen/"' in detail
    assert client.post(f"/venues/{venue.pk}/reopen/").status_code == 302  # no question: undoable

    venue.refresh_from_db()
    assert venue.status == Status.ACTIVE and venue.ended_at is None
    assert venue.activated_at == activated and venue.decided_by == personas["commune"]
    assert services.resolve_payload(signing.sign(venue.pk)).pk == venue.pk
    # Its owner runs it again: edit, pause, close (asking again).
    assert set(services.available_actions(owner, venue)) == {"pause", "close"}


def test_the_api_reopens_for_officers_only(personas, owner, client):
    venue = make_venue(owner=owner, status=Status.CLOSED)
    log_in(client, owner)
    refused = client.post(f"/api/v1/venues/{venue.pk}/reopen")
    assert refused.status_code == 403
    client.logout()
    log_in(client, personas["district"])
    reopened = client.post(f"/api/v1/venues/{venue.pk}/reopen")
    assert reopened.status_code == 200 and reopened.json()["status"] == "active"
    assert reopened.json()["ended_at"] is None and reopened.json()["qr_url"]
    again = client.post(f"/api/v1/venues/{venue.pk}/reopen")
    assert again.status_code == 409 and again.json()["code"] == "conflict"


@pytest.mark.parametrize("action", ["revoke", "reject"])
def test_revoking_and_rejecting_ask_first_and_keep_the_reason(
    personas, approval_required, client, action
):
    venue = make_venue(status=Status.PENDING if action == "reject" else Status.ACTIVE)
    log_in(client, personas["commune"])
    asked = client.post(f"/venues/{venue.pk}/{action}/", {"reason": "Sai địa chỉ"})
    assert asked.status_code == 200 and 'value="Sai địa chỉ"' in asked.content.decode()
    assert status_of(venue) == venue.status
    empty = client.post(f"/venues/{venue.pk}/{action}/", {"confirm": "1", "reason": " "})
    assert empty.status_code == 422 and 'role="alert"' in empty.content.decode()
    assert status_of(venue) == venue.status
    done = client.post(f"/venues/{venue.pk}/{action}/", {"confirm": "1", "reason": "Sai địa chỉ"})
    assert done.status_code == 302
    assert status_of(venue) == {"reject": Status.REJECTED, "revoke": Status.REVOKED}[action]


def test_reversible_actions_need_no_question(owner, client):
    venue = make_venue(owner=owner)
    log_in(client, owner)
    assert client.post(f"/venues/{venue.pk}/pause/").status_code == 302
    assert status_of(venue) == Status.PAUSED
    assert client.get(f"/venues/{venue.pk}/resume/").status_code == 405  # a link changes nothing
    assert status_of(venue) == Status.PAUSED


def test_a_confirmation_for_what_no_longer_applies_says_so(owner, client):
    venue = make_venue(owner=owner, status=Status.CLOSED)
    log_in(client, owner)
    response = client.post(f"/venues/{venue.pk}/close/", {"confirm": "1"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/venues/{venue.pk}/"
    assert status_of(venue) == Status.CLOSED
    assert client.get(f"/venues/{venue.pk}/close/")["Location"] == f"/venues/{venue.pk}/"
