"""API bearer tokens: `kiemdich token create`, hashed storage, revocation."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kiemdich.accounts.models import ApiToken


def create(username: str) -> str:
    out = io.StringIO()
    call_command("token", "create", username, "--name", "test", stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def test_token_is_shown_once_and_stored_hashed(personas, client):
    plain = create("huyen_budang")
    stored = ApiToken.objects.get()
    assert plain.startswith("kd_") and plain not in stored.key_hash
    assert stored.user == personas["district"]
    response = client.get("/api/v1/units/696/stats", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 200
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_revoked_token_is_refused(personas, client):
    plain = create("huyen_budang")
    prefix = ApiToken.objects.get().prefix
    call_command("token", "revoke", prefix, stdout=io.StringIO())
    response = client.get("/api/v1/units/696/stats", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_inactive_user_token_is_refused(personas, client):
    plain = create("huyen_budang")
    personas["district"].is_active = False
    personas["district"].save()
    response = client.get("/api/v1/units/696/stats", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 401


def test_unknown_user_is_an_error(db):
    with pytest.raises(CommandError, match="nobody"):
        call_command("token", "create", "nobody")


def test_list_shows_prefixes_not_tokens(personas):
    plain = create("huyen_budang")
    out = io.StringIO()
    call_command("token", "list", stdout=out)
    assert ApiToken.objects.get().prefix in out.getvalue()
    assert plain not in out.getvalue()
