"""Sign-ins lock out after repeated failures, per username and per client address."""

import pytest

from kiemdich.accounts.models import Role
from tests.conftest import PASSWORD, make_user

from .conftest import assert_limited


@pytest.fixture
def officer(binh_phuoc):
    return make_user("huyen", Role.DISTRICT_OFFICER, "696")


def sign_in(client, username, password, **extra):
    return client.post("/login/", {"username": username, "password": password}, **extra)


def test_a_username_is_locked_out_and_told_when_to_retry(client, officer, limits):
    limits(login_user="3/15m")
    for _ in range(3):
        assert sign_in(client, "huyen", "wrong").status_code == 200
    locked = sign_in(client, "huyen", PASSWORD)  # even the right password, until the window ends
    assert_limited(locked, api=False)
    page = locked.content.decode()
    assert "Thử lại sau" in page and "phút" in page
    assert "_auth_user_id" not in client.session
    # Another username from the same address is not locked out.
    make_user("xa", Role.COMMUNE_OFFICER, "25396")
    assert sign_in(client, "xa", PASSWORD).status_code == 302


def test_a_stranger_cannot_lock_an_official_out_from_elsewhere(client, officer, limits):
    limits(login_user="3/15m", login_account="5/h")
    for _ in range(3):
        assert sign_in(client, "huyen", "wrong", REMOTE_ADDR="203.0.113.7").status_code == 200
    assert_limited(sign_in(client, "huyen", PASSWORD, REMOTE_ADDR="203.0.113.7"), api=False)
    assert sign_in(client, "huyen", PASSWORD).status_code == 302  # the official's own address
    client.post("/logout/")  # the browser keeps its cookies (Client.logout would drop them)
    # Guessing from many addresses adds up to the account's own limit, for every new browser...
    stranger = type(client)()
    for n in range(2):
        guess = sign_in(stranger, "huyen", "wrong", REMOTE_ADDR=f"198.51.100.{n}")
        assert guess.status_code == 200
    assert_limited(sign_in(stranger, "huyen", PASSWORD, REMOTE_ADDR="192.0.2.1"), api=False)
    # ...but not for the browser the official signed in from before (its signed cookie).
    assert sign_in(client, "huyen", PASSWORD).status_code == 302


def test_an_address_is_locked_out_whatever_the_username(client, officer, limits):
    limits(login_address="3/15m")
    for n in range(3):
        assert sign_in(client, f"guess{n}", "wrong").status_code == 200
    assert_limited(sign_in(client, "huyen", PASSWORD), api=False)
    # Another client address may still sign in.
    assert sign_in(client, "huyen", PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 302


def test_successful_sign_ins_are_not_failures(client, officer, limits):
    limits(login_user="2/15m")
    for _ in range(4):
        assert sign_in(client, "huyen", PASSWORD).status_code == 302
        client.logout()


def test_the_admin_sign_in_locks_out_too(client, binh_phuoc, limits):
    limits(login_user="2/15m")
    make_user("admin", Role.CITIZEN, is_staff=True, is_superuser=True)
    for _ in range(2):
        response = client.post("/admin/login/", {"username": "admin", "password": "wrong"})
        assert response.status_code == 200
    assert_limited(
        client.post("/admin/login/", {"username": "admin", "password": PASSWORD}), api=False
    )
