"""Hypothesis throws bad bodies at the scan and declaration endpoints: never a 500, never a row.

Each strategy below only makes bodies that must be refused (a wrong type, a missing or mangled
field, a scan time out of range, bytes that are not JSON), so a 2xx is as much a failure as a 5xx.
"""

import datetime as dt
import json
import uuid

import pytest
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiemdich.checkins.models import Checkin, ScanDaily
from kiemdich.declarations.models import Declaration, Person
from kiemdich.declarations.services import person_token
from kiemdich.venues.services import qr_url
from tests.declarations.conftest import DECLARATION
from tests.venues.conftest import make_venue

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
not_a_uuid = json_values.filter(lambda v: not (isinstance(v, str) and _is_uuid(v)))
not_a_direction = json_values.filter(lambda v: v not in ("in", "out", None))


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except (ValueError, AttributeError, TypeError):
        return False
    return True


def fingerprint() -> tuple:
    return (
        Checkin.objects.count(),
        ScanDaily.objects.aggregate(n=Sum("scans"))["n"],
        Person.objects.count(),
        Declaration.objects.count(),
    )


@pytest.fixture
def world(binh_phuoc):
    venue = make_venue()
    person = Person.objects.create(full_name="Nguyễn Văn An", phone="+84912345678")
    return {"venue": qr_url(venue), "token": person_token(person)}


def scan_body(world) -> dict:
    return {"client_id": str(uuid.uuid4()), "venue": world["venue"], "person_token": world["token"]}


def refused(client, url: str, body, raw: bool = False) -> None:
    before = fingerprint()
    data = body if raw else json.dumps(body)
    response = client.post(url, data, content_type="application/json")
    assert 400 <= response.status_code < 500, (response.status_code, body)
    assert set(response.json()) >= {"detail", "code"}
    assert fingerprint() == before, body


def bad_scans(world) -> st.SearchStrategy:
    """A valid scan with one thing wrong."""
    now = timezone.now()
    too_late = st.integers(10, 10**6).map(lambda m: now + dt.timedelta(minutes=m))
    too_early = st.integers(31 * 24 * 60, 10**7).map(lambda m: now - dt.timedelta(minutes=m))
    replace = st.one_of(
        not_a_uuid.map(lambda v: ("client_id", v)),
        st.text(max_size=600).map(lambda v: ("venue", v)),
        json_values.filter(lambda v: not isinstance(v, str)).map(lambda v: ("venue", v)),
        not_a_direction.map(lambda v: ("direction", v)),
        (too_late | too_early).map(lambda t: ("at", t.isoformat())),
        st.text(min_size=1).filter(lambda t: not t.strip().isdigit()).map(lambda v: ("at", v)),
        st.text(min_size=1, max_size=200).map(lambda v: ("person_token", v)),
        json_values.filter(lambda v: v is not None and not isinstance(v, dict)).map(
            lambda v: ("person", v)
        ),
    )
    drop = st.sampled_from(["client_id", "venue"]).map(lambda k: (k, KeyError))
    return (replace | drop).map(lambda kv: _mutated(scan_body(world), *kv))


def _mutated(body: dict, key: str, value) -> dict:
    if value is KeyError:
        body.pop(key)
    else:
        body[key] = value
    return body


def test_bad_single_scans_are_refused_and_store_nothing(client, world):
    @SETTINGS
    @given(body=bad_scans(world) | json_values.filter(lambda v: not isinstance(v, dict)))
    def run(body) -> None:
        refused(client, "/api/v1/checkins", body)

    run()


def test_bad_batches_are_refused_item_by_item_and_store_nothing(client, world):
    @SETTINGS
    @given(items=st.lists(bad_scans(world), min_size=1, max_size=5))
    def run(items) -> None:
        before = fingerprint()
        response = client.post(
            "/api/v1/checkins/batch", {"items": items}, content_type="application/json"
        )
        assert response.status_code == 200 or 400 <= response.status_code < 500
        if response.status_code == 200:
            results = response.json()["results"]
            assert all(400 <= r["status"] < 500 for r in results), (items, results)
        assert fingerprint() == before

    run()


def test_bad_declarations_are_refused_and_store_nothing(client, world):
    fields = st.sampled_from(
        ["full_name", "birth_year", "gender", "phone", "commune_code", "id_number", "symptoms"]
    )
    junk = st.text(max_size=30).filter(lambda t: t.strip() == "" or not t.strip()[0].isalpha())

    @SETTINGS
    @given(field=fields, value=junk | json_values.filter(lambda v: not isinstance(v, str)))
    def run(field, value) -> None:
        if field == "id_number" and isinstance(value, str) and value.strip() == "":
            value = "12"  # empty is allowed (children): make it wrong instead
        if field == "symptoms" and value == []:
            value = ["sneezing"]
        refused(client, "/api/v1/declarations", {**DECLARATION, field: value})

    run()


@pytest.mark.parametrize(
    "url", ["/api/v1/checkins", "/api/v1/checkins/batch", "/api/v1/declarations"]
)
def test_bytes_that_are_not_json_are_refused(client, world, url):
    @SETTINGS
    @given(raw=st.binary(max_size=200).filter(lambda b: not _is_json(b)))
    def run(raw) -> None:
        refused(client, url, raw, raw=True)

    run()


def _is_json(raw: bytes) -> bool:
    try:
        json.loads(raw)
    except ValueError:
        return False
    return True
