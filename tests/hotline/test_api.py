"""`/api/v1/tickets` and `/api/v1/stats/hotline`: operators log, agencies act, the gate holds."""

import pytest
from django.utils import timezone

from kiemdich.accounts.models import AuditLog, Role
from kiemdich.accounts.tokens import create_token
from tests.conftest import make_user

BODY = {
    "caller_phone": "0912345678",
    "channel": "call",
    "category": "suspected_case",
    "commune_code": "25396",
    "location": "ấp 3",
    "description": "Hàng xóm sốt cao, ho",
}


def auth(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {create_token(user)[1]}"}


@pytest.fixture
def filed(client, hotline):
    answer = client.post(
        "/api/v1/tickets", BODY, content_type="application/json", **auth(hotline["operator"])
    )
    assert answer.status_code == 201, answer.json()
    return answer.json()


def test_an_operator_logs_a_call_and_it_is_routed(filed, hotline):
    assert filed["status"] == "assigned"
    assert filed["agency"]["name"] == "TTYT Bù Đăng"
    assert len(filed["number"]) == 8
    assert [e["kind"] for e in filed["history"]] == ["received", "assigned"]
    assert AuditLog.objects.filter(subject=f"hotline ticket {filed['number']}").exists()


def test_the_agency_acknowledges_and_resolves(client, filed, hotline):
    member = auth(hotline["health_member"])
    url = f"/api/v1/tickets/{filed['id']}"
    assert client.get(url, **member).json()["caller_phone"] == "+84912345678"
    assert client.post(f"{url}/acknowledge", **member).json()["status"] == "acknowledged"
    done = client.post(
        f"{url}/resolve", {"note": "Đã lấy mẫu"}, content_type="application/json", **member
    ).json()
    assert (done["status"], done["outcome"]) == ("resolved", "met")
    again = client.post(f"{url}/acknowledge", **member)
    assert (again.status_code, again.json()["code"]) == (409, "conflict")


def test_reassign_keeps_due_and_the_new_agency_sees_it(client, filed, hotline):
    url = f"/api/v1/tickets/{filed['id']}"
    police = auth(hotline["police_member"])
    assert client.get(url, **police).status_code == 404
    moved = client.post(
        f"{url}/reassign",
        {"agency_id": hotline["police"].pk, "note": "việc của công an"},
        content_type="application/json",
        **auth(hotline["operator"]),
    ).json()
    assert moved["due_at"] == filed["due_at"] and moved["agency"]["name"] == "Công an Bù Đăng"
    assert client.get(url, **police).status_code == 200
    # the first agency held it once: it still reads the ticket, but acts no more
    health = auth(hotline["health_member"])
    assert client.get(url, **health).status_code == 200
    assert client.post(f"{url}/acknowledge", **health).status_code == 403


def test_who_may_not(client, filed, hotline, personas):
    url = f"/api/v1/tickets/{filed['id']}"
    assert client.get(url, **auth(personas["citizen"])).status_code == 404
    assert client.get(url, **auth(personas["other_district"])).status_code == 404
    assert client.get(url, **auth(personas["district"])).status_code == 200
    answer = client.post(
        "/api/v1/tickets", BODY, content_type="application/json", **auth(personas["district"])
    )
    assert answer.status_code == 403
    reopen = client.post(
        f"{url}/reopen",
        {"note": "x"},
        content_type="application/json",
        **auth(hotline["police_member"]),
    )
    assert reopen.status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"commune_code": "99999"}, "commune_code"),
        ({"caller_phone": "abc"}, "caller_phone"),
        ({"received_at": "2099-01-01T00:00:00+07:00"}, "received_at"),
        ({"received_at": "yesterday"}, "received_at"),
        ({"channel": "fax"}, "channel"),
    ],
)
def test_bad_input_is_a_clear_422(client, hotline, change, field):
    answer = client.post(
        "/api/v1/tickets",
        BODY | change,
        content_type="application/json",
        **auth(hotline["operator"]),
    )
    assert answer.status_code == 422
    assert field in str(answer.json()["detail"])


def test_an_operator_outside_the_commune_cannot_log_for_it(client, hotline):
    elsewhere = make_user("tongdai_locninh", Role.HOTLINE_OPERATOR, "692")
    answer = client.post(
        "/api/v1/tickets", BODY, content_type="application/json", **auth(elsewhere)
    )
    assert answer.status_code == 422 and "commune_code" in str(answer.json()["detail"])


def test_statistics_count_what_was_resolved_in_time(client, filed, hotline):
    member = auth(hotline["health_member"])
    client.post(
        f"/api/v1/tickets/{filed['id']}/resolve", {}, content_type="application/json", **member
    )
    today = timezone.localdate().isoformat()
    stats = client.get(
        f"/api/v1/stats/hotline?unit=70&from={today}&to={today}", **auth(hotline["province"])
    ).json()
    assert (stats["tickets"], stats["resolved"], stats["met_share"]) == (1, 1, 100.0)
    assert stats["first_response_share"] is None  # resolved without acknowledging
    assert stats["per_agency"][0]["agency"] == "TTYT Bù Đăng"
    assert stats["per_district"][0]["code"] == "696"
    assert stats["per_category"][0]["category"] == "suspected_case"
    bad = client.get("/api/v1/stats/hotline?unit=70&from=2026-13-01", **auth(hotline["province"]))
    assert bad.status_code == 422
    other = client.get("/api/v1/stats/hotline?unit=70", **auth(hotline["health_member"]))
    assert other.status_code == 404
