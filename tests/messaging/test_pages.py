"""The campaign pages: who gets in, the form, and a campaign's counters."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from kiemdich.messaging.models import Campaign, Message
from tests.conftest import PASSWORD

from .conftest import DUC_PHONG


@pytest.fixture(autouse=True)
def _database_sender(settings):
    settings.MESSAGE_SENDER = "kiemdich.messaging.senders.DatabaseSender"


def log_in(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


def test_the_list_is_at_slash_campaigns():
    assert reverse("campaigns:list") == "/campaigns/"


@pytest.mark.parametrize("who", ["tracer", "citizen", "venue_owner"])
def test_others_are_refused_every_page(client, personas, who):
    log_in(client, personas[who])
    for url in ("/campaigns/", "/campaigns/new/"):
        assert client.get(url).status_code == 403, url
    assert client.post("/campaigns/new/", {"kind": "install", "unit": DUC_PHONG}).status_code == 403
    assert not Campaign.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, binh_phuoc):
    response = client.get("/campaigns/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_district_officer_picks_a_commune_and_sees_the_counters(client, personas, people):
    log_in(client, personas["district"])
    form = client.get("/campaigns/new/")
    assert form.status_code == 200
    html = form.content.decode()
    # The district and its 16 communes to choose from; no other district's.
    assert 'value="696"' in html and f'value="{DUC_PHONG}"' in html
    assert 'value="692"' not in html
    defaults = json.loads(form.context["form"].fields["text"].widget.attrs["data-defaults"])
    assert set(defaults) == {"install", "declaration"}
    client_id = form.context["form"].initial["client_id"]

    data = {
        "client_id": client_id,
        "kind": "install",
        "audience": "unit",
        "unit": DUC_PHONG,
        "channel": "sms",
        "text": defaults["install"],
        "name": "",
    }
    response = client.post("/campaigns/new/", data)
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:detail", args=[campaign.pk])
    # Pressed twice: the same campaign, no second message.
    assert client.post("/campaigns/new/", data)["Location"] == response["Location"]
    assert Message.objects.count() == 2

    detail = client.get(response["Location"])
    assert detail.status_code == 200
    assert detail.context["progress"] == {
        **detail.context["progress"],
        "total": 2,
        "queued": 2,
        "sent": 2,
        "failed": 0,
        "finished": True,
    }
    html = detail.content.decode()
    assert 'data-field="sent">2<' in html and '<progress id="progress-sent"' in html
    assert reverse("api:campaign", args=[campaign.pk]) in html
    assert campaign.name in client.get("/campaigns/").content.decode()


def test_a_form_without_an_area_says_so(client, personas, people):
    log_in(client, personas["district"])
    response = client.post(
        "/campaigns/new/", {"kind": "install", "audience": "unit", "unit": "", "channel": "sms"}
    )
    assert response.status_code == 200
    assert "unit" in response.context["form"].errors
    assert not Campaign.objects.exists()


def test_a_forged_area_outside_the_officers_is_refused(client, personas, people):
    log_in(client, personas["other_district"])
    response = client.post(
        "/campaigns/new/",
        {"kind": "install", "audience": "unit", "unit": DUC_PHONG, "channel": "sms"},
    )
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_an_org_admin_sends_to_the_organization_only(client, org_admin, people, school):
    log_in(client, org_admin)
    form = client.get("/campaigns/new/")
    assert not form.context["form"].offers_units
    assert form.context["form"].initial["organization"] == school.code
    html = form.content.decode()
    assert 'name="unit"' not in html and f'value="{school.code}"' in html

    response = client.post(
        "/campaigns/new/",
        {
            "kind": "declaration",
            "audience": "organization",
            "organization": school.code,
            "channel": "sms",
        },
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.organization == school and campaign.kind == "declaration"
    assert list(Message.objects.values_list("to", flat=True)) == ["+84912000003"]


def test_another_areas_campaign_is_not_found(client, personas, people):
    log_in(client, personas["commune"])
    client.post(
        "/campaigns/new/",
        {"kind": "install", "audience": "unit", "unit": DUC_PHONG, "channel": "sms"},
    )
    campaign = Campaign.objects.get()
    client.logout()
    log_in(client, personas["other_commune"])
    assert client.get(f"/campaigns/{campaign.pk}/").status_code == 404
    assert campaign.name not in client.get("/campaigns/").content.decode()
