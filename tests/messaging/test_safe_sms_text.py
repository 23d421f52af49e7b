"""Text someone typed (a checkpoint's name, an organization's name, a campaign text) never
becomes a clickable link or hides control characters in an SMS."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from kiemdich.messaging import campaigns
from kiemdich.messaging.models import Message
from kiemdich.messaging.services import safe_sms_text
from kiemdich.tracing.models import Case, Contact
from kiemdich.tracing.services import notify_contacts
from tests.declarations.conftest import make_person
from tests.venues.conftest import make_venue

#: What a phone's SMS app turns into a link: a scheme, or a dot between two name parts.
LINKABLE = re.compile(r"(?i)[a-z0-9]+://|\w[.\u3002\uff0e\uff61]\w")


@pytest.mark.parametrize(
    "text",
    [
        "vaccine-free.example.com",
        "Nhà thuốc http://evil.example/tiem-vaccine",
        "HTTPS://EVIL.EXAMPLE",
        "www.evil.vn",
        "xem tại evil\uff0ecom",  # a full-width dot, which IDNA maps to "."
        "xem tại evil\u3002com",
        "mail: ai@evil.example",
        "javascript://x",
    ],
)
def test_links_are_defused(text):
    safe = safe_sms_text(text)
    assert not LINKABLE.search(safe), safe
    assert safe  # still readable, not dropped


def test_control_characters_go_and_length_is_limited():
    assert safe_sms_text("Tạp\u202ehóa\x00 Minh\u200b\nPhương\t") == "Tạphóa Minh Phương"
    long = safe_sms_text("Chợ " * 100, max_length=40)
    assert len(long) <= 40 and long.endswith("…")
    assert safe_sms_text("Tạp hóa Minh Phương") == "Tạp hóa Minh Phương"


def test_trusted_hosts_keep_their_links():
    text = "Cài Bluezone: bluezone.gov.vn, khai báo: https://kiemdich.example.gov.vn/declare/"
    assert safe_sms_text(text, max_length=320, allow_hosts=("gov.vn",)) == text
    assert "bluezone.gov.vn" not in safe_sms_text(
        "bluezone.gov.vn.evil.example", allow_hosts=("gov.vn",)
    )


def test_a_contact_warning_names_the_venue_without_a_link(binh_phuoc):
    venue = make_venue(name="Tiêm vaccine-free.example.com")
    f0, f1 = make_person(1), make_person(2)
    f1.phone = "+84912000002"
    f1.save()
    now = timezone.now()
    case = Case.objects.create(
        person=f0,
        unit_id="25396",
        confirmed_at=now,
        infectious_from=now - dt.timedelta(days=2),
        infectious_to=now + dt.timedelta(days=1),
    )
    Contact.objects.create(
        case=case,
        person=f1,
        degree=1,
        source=f0,
        venue=venue,
        overlap_from=now - dt.timedelta(hours=2),
        overlap_to=now - dt.timedelta(hours=1),
        commune_id="25396",
    )
    assert len(notify_contacts(case, confirmed_recipients=1)) == 1
    body = Message.objects.get().body
    assert "vaccine-free" in body and "vaccine-free.example.com" not in body
    assert not LINKABLE.search(body.replace("1022", "")), body


def test_campaign_texts_carry_no_link_but_the_official_ones(personas, org_admin, school, people):
    school.name = "Trường evil.example.com"
    school.save()
    org_admin.refresh_from_db()
    text = campaigns.default_text("install", org_admin)
    assert "evil.example.com" not in text and "bluezone.gov.vn" in text
    declaration = campaigns.default_text("declaration", personas["commune"])
    assert "/declare/" in declaration  # our own page keeps its link
    campaign, _ = campaigns.create(
        personas["commune"],
        kind="install",
        channel="sms",
        text="Cài ứng dụng tại http://vaccine-free.example.com hoặc bluezone.gov.vn",
        unit=personas["commune"].unit,
        confirmed=True,
    )
    assert "vaccine-free.example.com" not in campaign.text
    assert "bluezone.gov.vn" in campaign.text
    assert all("vaccine-free.example.com" not in m.body for m in Message.objects.all())
