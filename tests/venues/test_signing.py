"""Signed QR payloads: forged, altered, retired and revoked codes are refused."""

import pytest
from django.test import override_settings
from django.utils import timezone

from kiemdich.checkins.services import venue_payload
from kiemdich.venues import signing
from kiemdich.venues.models import SigningKey, Status

from .conftest import make_venue


def test_payload_round_trip_and_is_short(venue):
    payload = signing.sign(venue.pk)
    assert signing.verify(payload).number == venue.pk
    assert len(payload) < 100
    assert signing.sign(venue.pk) == payload  # a reprint is the same poster


def test_every_single_character_change_is_refused(venue):
    payload = signing.sign(venue.pk)
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_."
    for i, original in enumerate(payload):
        for replacement in {alphabet[(alphabet.index(original) + 1) % len(alphabet)], "A", "0"}:
            if replacement == original:
                continue
            altered = payload[:i] + replacement + payload[i + 1 :]
            with pytest.raises(signing.InvalidPayload):
                signing.verify(altered)


@pytest.mark.parametrize("bad", ["", "abc", "1.k1.short", "x" * 300, "1.K1." + "A" * 86, "../.."])
def test_malformed_payloads(db, bad):
    with pytest.raises(signing.InvalidPayload) as exc:
        signing.verify(bad)
    assert exc.value.code in {"malformed", "forged"}


@pytest.mark.parametrize("extra", ["\n", "\r\n", " ", "\t", "\x00"])
def test_only_the_exact_payload_verifies(venue, extra):
    """The signed text is the whole payload: `$` in the pattern let a trailing newline pass."""
    payload = signing.sign(venue.pk)
    for text in (payload + extra, extra + payload):
        with pytest.raises(signing.InvalidPayload) as exc:
            signing.verify(text)
        assert exc.value.code == "malformed"


def test_the_forms_scanners_send_still_verify(venue):
    """A phone camera or a scanner reads the poster's URL; a keyboard scanner adds Enter."""
    payload = signing.sign(venue.pk)
    url = signing.qr_url(payload)
    for text in (payload, url, f"{url}\n", f"{url}?utm_source=poster", f" {payload}\r\n"):
        assert signing.verify(venue_payload(text)).number == venue.pk


def test_a_key_retired_by_another_process_is_refused_at_once(venue):
    """`kiemdich venues keys retire` runs in its own process: this one's caches are warm."""
    payload = signing.sign(venue.pk)
    assert signing.verify(payload).number == venue.pk
    kid = payload.split(".")[1]
    SigningKey.objects.filter(kid=kid).update(retired_at=timezone.now())  # as that process does
    with pytest.raises(signing.InvalidPayload) as exc:
        signing.verify(payload)
    assert exc.value.code == "key_retired"


def test_a_payload_signed_with_another_secret_is_forged(venue):
    genuine_kid = signing.current_key().kid
    with override_settings(QR_SIGNING_KEY="an attacker's own secret"):
        forged = signing.sign(venue.pk, signing.SigningKey(kid=genuine_kid))
    with pytest.raises(signing.InvalidPayload) as exc:
        signing.verify(forged)
    assert exc.value.code == "forged"


def test_rotation_keeps_old_posters_until_their_key_is_retired(venue):
    old = signing.sign(venue.pk)
    new_key = signing.rotate()
    new = signing.sign(venue.pk)
    assert new != old and f".{new_key.kid}." in new
    assert signing.verify(old).number == venue.pk
    signing.retire(old.split(".")[1])
    with pytest.raises(signing.InvalidPayload) as exc:
        signing.verify(old)
    assert exc.value.code == "key_retired"
    assert signing.verify(new).number == venue.pk


def test_a_new_master_secret_gets_a_new_key_and_old_posters_still_verify(venue):
    old = signing.sign(venue.pk)
    with override_settings(QR_SIGNING_KEY="rotated master secret"):
        new = signing.sign(venue.pk)
        assert new.split(".")[1] != old.split(".")[1]
        assert signing.verify(old).number == venue.pk


def test_scan_landing_accepts_genuine_refuses_altered_and_revoked(venue, client):
    payload = signing.sign(venue.pk)
    ok = client.get(f"/c/{payload}")
    assert ok.status_code == 200 and "Tạp hóa Minh Phương" in ok.content.decode()
    altered = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    refused = client.get(f"/c/{altered}")
    assert refused.status_code == 400
    assert "không phải mã thật" in refused.content.decode()
    venue.status = Status.REVOKED
    venue.save()
    gone = client.get(f"/c/{payload}")
    assert gone.status_code == 410 and "thu hồi" in gone.content.decode()


def test_resolve_api(venue, client):
    payload = signing.sign(venue.pk)
    body = client.get(f"/api/v1/venues/resolve/{payload}").json()
    assert body["id"] == venue.pk and body["accepts_scans"] is True
    bad = client.get(f"/api/v1/venues/resolve/{payload[:-1]}x")
    assert bad.status_code == 400 and bad.json()["code"] == "forged"
    closed = make_venue(status=Status.CLOSED)
    gone = client.get(f"/api/v1/venues/resolve/{signing.sign(closed.pk)}")
    assert gone.status_code == 410 and gone.json()["code"] == "closed"


def test_public_keys_are_published(venue, client):
    signing.current_key()
    keys = client.get("/api/v1/venues/keys").json()
    assert len(keys) == 1 and len(keys[0]["public_key"]) == 43
