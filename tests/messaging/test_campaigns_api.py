"""`/api/v1/campaigns`: start, follow and list campaigns; clear 4xx on bad input or access."""

from __future__ import annotations

import uuid

import pytest

from kiemdich.accounts.tokens import create_token
from kiemdich.declarations.models import Person
from kiemdich.messaging.models import Campaign, Message

from .conftest import DUC_PHONG

URL = "/api/v1/campaigns"


@pytest.fixture(autouse=True)
def _database_sender(settings):
    settings.MESSAGE_SENDER = "kiemdich.messaging.senders.DatabaseSender"


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {create_token(user)[1]}"}


def post(client, user, **body):
    body = {"kind": "install", "confirm": True, **body}
    return client.post(URL, body, content_type="application/json", **bearer(user))


def errors(response) -> dict[str, str]:
    return {e["loc"][-1]: e["msg"] for e in response.json()["detail"]}


def test_an_officer_starts_a_campaign_and_reads_its_progress(client, personas, people):
    response = post(client, personas["district"], unit_code=DUC_PHONG, kind="declaration")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["unit_code"] == DUC_PHONG and body["organization_code"] is None
    assert (body["kind"], body["channel"], body["status"]) == ("declaration", "sms", "done")
    assert (body["total"], body["queued"], body["sent"], body["failed"]) == (2, 2, 2, 0)
    assert body["finished"] is True and "/declare/" in body["text"]

    one = client.get(f"{URL}/{body['id']}", **bearer(personas["commune"]))
    assert one.status_code == 200 and one.json()["sent"] == 2


def test_own_text_name_and_channel_are_kept(client, personas, people):
    response = post(
        client,
        personas["commune"],
        unit_code=DUC_PHONG,
        text="Xin mời cài Bluezone.",
        name="Đợt 1",
        channel="zalo",
    )
    assert response.status_code == 201
    assert Message.objects.filter(channel="zalo", body="Xin mời cài Bluezone.").count() == 2
    assert Campaign.objects.get().name == "Đợt 1"


def test_an_org_admin_sends_to_the_organization(client, org_admin, people, school):
    response = post(client, org_admin, organization_code=school.code)
    assert response.status_code == 201
    assert response.json()["organization_code"] == school.code
    assert list(Message.objects.values_list("to", flat=True)) == ["+84912000003"]


def test_the_same_client_id_returns_the_first_campaign(client, personas, people):
    key = str(uuid.uuid4())
    first = post(client, personas["district"], unit_code=DUC_PHONG, client_id=key)
    again = post(client, personas["district"], unit_code=DUC_PHONG, client_id=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Campaign.objects.count() == 1 and Message.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"unit_code": "99999"}, "unit_code"),
        ({"organization_code": "NO-SUCH-ORG"}, "organization_code"),
        ({}, "unit_code"),
        ({"unit_code": DUC_PHONG, "organization_code": "BP-THCS-DUCPHONG"}, "__all__"),
        ({"unit_code": DUC_PHONG, "kind": "party"}, "kind"),
        ({"unit_code": DUC_PHONG, "channel": "fax"}, "channel"),
        ({"unit_code": DUC_PHONG, "text": "x" * 321}, "text"),
        ({"unit_code": DUC_PHONG, "client_id": "not-a-uuid"}, "client_id"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client, personas, people, body, field):
    response = post(client, personas["district"], **body)
    assert response.status_code == 422, response.json()
    assert response.json()["code"] == "invalid"
    assert field in errors(response)
    assert not Campaign.objects.exists() and not Message.objects.exists()


@pytest.mark.parametrize(
    "who", ["other_commune", "other_district", "tracer", "citizen", "venue_owner"]
)
def test_others_get_a_403_and_nothing_is_sent(client, personas, people, who):
    response = post(client, personas[who], unit_code=DUC_PHONG)
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert not Campaign.objects.exists() and not Message.objects.exists()


def test_an_org_admin_may_not_send_to_an_area(client, org_admin, people):
    response = post(client, org_admin, unit_code=DUC_PHONG)
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_without_credentials_it_is_a_401(client, binh_phuoc):
    response = client.post(URL, {"kind": "install"}, content_type="application/json")
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"
    assert client.get(URL).status_code == 401


def test_campaigns_outside_the_area_are_not_found(client, personas, people):
    created = post(client, personas["commune"], unit_code=DUC_PHONG).json()
    other = client.get(f"{URL}/{created['id']}", **bearer(personas["other_commune"]))
    assert other.status_code == 404 and other.json()["code"] == "not_found"
    tracer = client.get(f"{URL}/{created['id']}", **bearer(personas["tracer"]))
    assert tracer.status_code == 403


def test_the_list_is_paginated_and_scoped(client, personas, people, settings):
    settings.CAMPAIGN_REPEAT_HOURS = 0  # three of the same, on purpose
    for _ in range(3):
        post(client, personas["commune"], unit_code=DUC_PHONG)
    post(client, personas["other_commune"], unit_code="25420")
    mine = client.get(f"{URL}?page_size=2", **bearer(personas["commune"])).json()
    assert mine["count"] == 3 and len(mine["items"]) == 2
    page2 = client.get(f"{URL}?page_size=2&page=2", **bearer(personas["commune"])).json()
    assert len(page2["items"]) == 1
    district = client.get(URL, **bearer(personas["district"])).json()
    assert district["count"] == 4
    ids = [item["id"] for item in district["items"]]
    assert ids == sorted(ids, reverse=True)  # newest first


def test_a_declaration_can_name_an_organization(client, binh_phuoc, school):
    from tests.declarations.conftest import DECLARATION

    body = {**DECLARATION, "organization_code": school.code}
    response = client.post("/api/v1/declarations", body, content_type="application/json")
    assert response.status_code == 201, response.json()
    assert response.json()["organization_code"] == school.code
    assert Person.objects.get().organization == school


def test_an_unknown_organization_code_is_refused_and_nothing_stored(client, binh_phuoc, school):
    from tests.declarations.conftest import DECLARATION

    body = {**DECLARATION, "organization_code": "NO-SUCH-ORG"}
    response = client.post("/api/v1/declarations", body, content_type="application/json")
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    assert "organization_code" in errors(response)
    assert not Person.objects.exists()


def test_a_declaration_without_an_organization_still_works(client, binh_phuoc):
    from tests.declarations.conftest import DECLARATION

    response = client.post("/api/v1/declarations", DECLARATION, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["organization_code"] is None
    assert Person.objects.get().organization is None


def test_a_preview_says_what_would_go_and_queues_nothing(client, personas, people):
    response = client.post(
        f"{URL}/preview",
        {"kind": "install", "unit_code": DUC_PHONG},
        content_type="application/json",
        **bearer(personas["commune"]),
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["recipients"] == 2 and body["unit_code"] == DUC_PHONG
    assert "Bluezone" in body["text"] and body["delivered_text"] == body["text"]
    assert body["encoding"] == "UCS-2" and body["length"] == len(body["text"])
    assert body["segments"] >= 2 and body["total_sms"] == 2 * body["segments"]
    assert not Campaign.objects.exists() and not Message.objects.exists()


def test_starting_without_confirm_is_a_422_and_sends_nothing(client, personas, people):
    response = post(client, personas["commune"], unit_code=DUC_PHONG, confirm=False)
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    assert "confirm" in errors(response)
    body = {"kind": "install", "unit_code": DUC_PHONG}
    bare = client.post(URL, body, content_type="application/json", **bearer(personas["commune"]))
    assert bare.status_code == 422 and "confirm" in errors(bare)
    assert not Campaign.objects.exists() and not Message.objects.exists()


def test_a_text_too_short_is_a_422_on_text(client, personas, people):
    for path in (URL, f"{URL}/preview"):
        body = {"kind": "install", "unit_code": DUC_PHONG, "text": "x", "confirm": True}
        response = client.post(
            path, body, content_type="application/json", **bearer(personas["commune"])
        )
        assert response.status_code == 422 and "text" in errors(response), path
    assert not Campaign.objects.exists()


def test_the_same_reminder_again_is_a_409_saying_when(client, personas, people):
    assert post(client, personas["commune"], unit_code=DUC_PHONG).status_code == 201
    for path in (URL, f"{URL}/preview"):
        response = client.post(
            path,
            {"kind": "install", "unit_code": DUC_PHONG, "confirm": True},
            content_type="application/json",
            **bearer(personas["district"]),
        )
        assert response.status_code == 409, path
        assert response.json()["code"] == "campaign_repeated"
        assert "24" in response.json()["detail"]
    assert Campaign.objects.count() == 1 and Message.objects.count() == 2
