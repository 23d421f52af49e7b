"""A confirmed case in Đức Phong (25396) and the API calls a tracer and a phone make."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.utils import timezone

from kiemdich.accounts.tokens import create_token
from kiemdich.declarations.models import Person
from kiemdich.proximity import client, tekmac
from kiemdich.tracing import services as tracing


@pytest.fixture
def case(personas):
    person = Person.objects.create(
        full_name="Nguyễn Văn Ca", phone="+84912000001", commune_id="25396"
    )
    now = timezone.now()
    return tracing.record_case(
        personas["tracer"], person, now - dt.timedelta(hours=2), onset_at=now - dt.timedelta(days=2)
    )


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {create_token(user)[1]}"}


def post(api_client, path: str, body: dict, **extra):
    return api_client.post(
        f"/api/v1/proximity/{path}", body, content_type="application/json", **extra
    )


def issue(api_client, user, case=None, **body):
    if case is not None:
        body["case_id"] = case.pk
    return post(api_client, "codes", body, **bearer(user))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def key_body(keys, risk: int = 0) -> list[dict]:
    return [
        {
            "key": b64(k.key),
            "rollingStartNumber": k.rolling_start,
            "rollingPeriod": k.rolling_period,
            "transmissionRisk": risk,
        }
        for k in keys
    ]


def refs(keys) -> list[tekmac.KeyRef]:
    return [tekmac.KeyRef(b64(k.key), k.rolling_start, k.rolling_period) for k in keys]


class Phone:
    """A phone's keys and secret, and the steps it takes against the API."""

    def __init__(self, api_client, now=None, days: int = 14) -> None:
        self.api = api_client
        self.keys = client.make_keys(now or timezone.now(), days)
        self.secret = tekmac.new_secret()

    def token(self, code: str) -> str:
        response = post(self.api, "verify", {"code": code})
        assert response.status_code == 200, response.json()
        return response.json()["token"]

    def certificate(self, code: str, keys=None) -> str:
        mac = tekmac.calculate_b64(self.secret, refs(keys or self.keys))
        response = post(self.api, "certificate", {"token": self.token(code), "ekeyhmac": mac})
        assert response.status_code == 200, response.json()
        return response.json()["certificate"]

    def upload(self, certificate: str, keys=None, secret=None, **extra):
        body = {
            "temporaryExposureKeys": key_body(self.keys if keys is None else keys),
            "verificationPayload": certificate,
            "hmacKey": b64(secret or self.secret),
            **extra,
        }
        return post(self.api, "keys", body)
