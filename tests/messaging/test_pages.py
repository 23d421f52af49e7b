"""The campaign pages: who gets in, the form, its preview and confirmation, and a campaign's
counters."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from kiemdich.accounts.models import AuditLog
from kiemdich.messaging.models import Campaign, Message
from tests.conftest import PASSWORD

from .conftest import DUC_PHONG


@pytest.fixture(autouse=True)
def _database_sender(settings):
    settings.MESSAGE_SENDER = "kiemdich.messaging.senders.DatabaseSender"


def log_in(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


def preview(client, data: dict):
    """Send the form: its preview, and nothing queued by it."""
    before = (Campaign.objects.count(), Message.objects.count())
    response = client.post("/campaigns/new/", data)
    assert (Campaign.objects.count(), Message.objects.count()) == before
    return response


def hidden_values(response) -> dict[str, str]:
    """What the preview's Confirm button sends: its hidden inputs, as a browser would."""
    page = response.content.decode()
    form = re.search(r'<form[^>]+action="/campaigns/new/confirm/".*?</form>', page, re.S)
    assert form, "the preview has no confirm form"
    found = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(0))
    return {name: html.unescape(value) for name, value in found}


def confirm(client, data: dict):
    """Preview the campaign, then press Confirm."""
    shown = preview(client, data)
    assert shown.status_code == 200, shown.content.decode()[:3000]
    return client.post("/campaigns/new/confirm/", {**hidden_values(shown), "confirm": "1"})


AREA = {"kind": "install", "audience": "unit", "unit": DUC_PHONG, "channel": "sms"}


def test_the_list_is_at_slash_campaigns():
    assert reverse("campaigns:list") == "/campaigns/"
    assert reverse("campaigns:confirm") == "/campaigns/new/confirm/"


@pytest.mark.parametrize("who", ["tracer", "citizen", "venue_owner"])
def test_others_are_refused_every_page(client, personas, who):
    log_in(client, personas[who])
    for url in ("/campaigns/", "/campaigns/new/"):
        assert client.get(url).status_code == 403, url
    for url in ("/campaigns/new/", "/campaigns/new/confirm/"):
        assert client.post(url, {**AREA, "confirm": "1"}).status_code == 403, url
    assert not Campaign.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, binh_phuoc):
    response = client.get("/campaigns/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    response = client.post("/campaigns/new/confirm/", AREA)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_district_officer_previews_confirms_and_sees_the_counters(client, personas, people):
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
    data = {**AREA, "client_id": client_id, "text": defaults["install"], "name": ""}

    shown = preview(client, data)
    assert shown.status_code == 200
    page = shown.content.decode()
    # Two phones (Bình and her son share one), masked; the text as it arrives, its cost.
    assert shown.context["preview"].recipients == 2
    assert re.search(r'id="preview-recipients">2<', page)
    assert "+849*****001" in page and "+849*****002" in page and "+84912000001" not in page
    assert "N***** V** A*" in page and "Nguyễn Văn An" not in page
    assert defaults["install"] in page
    segments = shown.context["preview"].segments
    assert segments.encoding == "UCS-2" and segments.parts >= 2
    assert f"{segments.parts * 2} SMS" in page
    assert not Campaign.objects.exists()
    # The masked recipients shown are an audited read.
    audit = AuditLog.objects.get(actor=personas["district"])
    assert set(audit.subjects) == {people["an"].pk, people["binh"].pk}
    assert audit.unit_code == DUC_PHONG

    values = hidden_values(shown)
    assert values["client_id"] == str(client_id) and values["text"] == defaults["install"]
    response = client.post("/campaigns/new/confirm/", {**values, "confirm": "1"})
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:detail", args=[campaign.pk])
    # Confirm tapped twice: the same campaign, no second message.
    again = client.post("/campaigns/new/confirm/", {**values, "confirm": "1"})
    assert again["Location"] == response["Location"]
    assert Message.objects.count() == 2 and Campaign.objects.count() == 1

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


def test_back_to_edit_keeps_what_was_typed(client, personas, people):
    log_in(client, personas["commune"])
    typed = 'Bà con Đức Phong nhớ cài Bluezone & khai báo y tế "ngay" nhé'
    shown = preview(client, {**AREA, "text": typed, "name": "Đợt <2>"})
    back = client.post("/campaigns/new/", {**hidden_values(shown), "edit": "1"})
    assert back.status_code == 200
    assert back.context["form"]["text"].value() == typed
    assert back.context["form"]["name"].value() == "Đợt <2>"
    assert "Đợt &lt;2&gt;" in back.content.decode()
    assert not Campaign.objects.exists() and not Message.objects.exists()


@pytest.mark.parametrize("text", ["x", "  ok  ", "Cài app đi"])
def test_a_text_too_short_is_refused_next_to_the_field_and_kept(client, personas, people, text):
    log_in(client, personas["commune"])
    client.cookies["django_language"] = "en"
    response = preview(client, {**AREA, "text": text})
    assert response.status_code == 422
    errors = response.context["form"].errors["text"]
    assert "at least 20" in errors[0]
    html = response.content.decode()
    assert re.search(r'id="field-text".*?role="alert">Too short', html, re.S)
    assert response.context["form"]["text"].value() == text
    assert not Campaign.objects.exists()


def test_the_error_is_in_vietnamese_for_vietnamese_readers(client, personas, people):
    log_in(client, personas["commune"])  # Vietnamese first
    response = preview(client, {**AREA, "text": "x"})
    assert "Quá ngắn" in response.context["form"].errors["text"][0]


def test_the_same_reminder_to_the_same_people_is_refused_with_when(client, personas, people):
    log_in(client, personas["commune"])
    first = confirm(client, AREA)
    assert first.status_code == 302
    sent = Campaign.objects.get()
    # Another officer of the district, a new form: refused already at the preview, and with a
    # forged confirmation too.
    client.logout()
    log_in(client, personas["district"])
    for url in ("/campaigns/new/", "/campaigns/new/confirm/"):
        response = client.post(url, {**AREA, "client_id": "", "confirm": "1"})
        assert response.status_code == 409, url
        error = response.context["form"].non_field_errors()[0]
        went = timezone.localtime(sent.created_at)
        assert f"{went:%H:%M %d/%m/%Y}" in error
        assert f"{went + dt.timedelta(hours=24):%H:%M %d/%m/%Y}" in error
    assert Campaign.objects.count() == 1 and Message.objects.count() == 2
    # Another reminder, or other people, may go.
    assert confirm(client, {**AREA, "kind": "declaration"}).status_code == 302
    assert confirm(client, {**AREA, "unit": "25420"}).status_code == 302
    assert Campaign.objects.count() == 3


def test_after_the_interval_it_may_go_again(client, personas, people, settings):
    settings.CAMPAIGN_REPEAT_HOURS = 2
    log_in(client, personas["commune"])
    confirm(client, AREA)
    Campaign.objects.update(created_at=timezone.now() - dt.timedelta(hours=2, minutes=1))
    assert confirm(client, AREA).status_code == 302
    assert Campaign.objects.count() == 2


def test_an_audience_without_phones_has_nothing_to_confirm(client, personas, binh_phuoc):
    log_in(client, personas["commune"])
    response = preview(client, AREA)
    assert response.status_code == 200 and response.context["preview"].recipients == 0
    assert 'id="confirm"' not in response.content.decode()


def test_a_form_without_an_area_says_so(client, personas, people):
    log_in(client, personas["district"])
    response = client.post(
        "/campaigns/new/", {"kind": "install", "audience": "unit", "unit": "", "channel": "sms"}
    )
    assert response.status_code == 422
    assert "unit" in response.context["form"].errors
    assert not Campaign.objects.exists()


def test_a_forged_area_outside_the_officers_is_refused(client, personas, people):
    log_in(client, personas["other_district"])
    for url in ("/campaigns/new/", "/campaigns/new/confirm/"):
        response = client.post(url, {**AREA, "client_id": "", "confirm": "1"})
        assert response.status_code == 403
    assert not Message.objects.exists() and not Campaign.objects.exists()


def test_an_org_admin_sends_to_the_organization_only(client, org_admin, people, school):
    log_in(client, org_admin)
    form = client.get("/campaigns/new/")
    assert not form.context["form"].offers_units
    assert form.context["form"].initial["organization"] == school.code
    html = form.content.decode()
    assert 'name="unit"' not in html and f'value="{school.code}"' in html

    response = confirm(
        client,
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
    confirm(client, AREA)
    campaign = Campaign.objects.get()
    client.logout()
    log_in(client, personas["other_commune"])
    assert client.get(f"/campaigns/{campaign.pk}/").status_code == 404
    assert campaign.name not in client.get("/campaigns/").content.decode()


@pytest.mark.parametrize(
    ("who", "listed"),
    [
        ("commune", True),
        ("district", True),
        ("province", True),
        ("tracer", False),
        ("citizen", False),
        ("venue_owner", False),
    ],
)
def test_campaigns_are_in_the_navigation_of_those_who_may_send(client, personas, who, listed):
    log_in(client, personas[who])
    nav = re.search(r"<nav>.*?</nav>", client.get("/venues/").content.decode(), re.S).group(0)
    assert ('href="/campaigns/"' in nav) is listed


def test_campaigns_are_in_an_org_admins_navigation(client, org_admin):
    log_in(client, org_admin)
    nav = re.search(r"<nav>.*?</nav>", client.get("/venues/").content.decode(), re.S).group(0)
    assert 'href="/campaigns/"' in nav
