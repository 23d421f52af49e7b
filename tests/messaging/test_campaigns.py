"""Campaigns reach the right people, each phone once, and count their progress as they go."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from kiemdich.declarations.models import Person
from kiemdich.geo.models import Unit
from kiemdich.messaging import campaigns
from kiemdich.messaging.models import Campaign, CampaignStatus, Message, State
from kiemdich.messaging.segments import SmsSegments, sms_segments
from kiemdich.messaging.tasks import send_campaign

from .conftest import DUC_PHONG, person


@pytest.fixture(autouse=True)
def _database_sender(settings):
    settings.MESSAGE_SENDER = "kiemdich.messaging.senders.DatabaseSender"


#: A campaign made as its preview's Confirm button makes it.
YES = {"confirmed": True}


def start(user, kind: str = "install", **audience) -> Campaign:
    campaign, created = campaigns.create(user, kind=kind, channel="sms", confirmed=True, **audience)
    assert created
    campaign.refresh_from_db()
    return campaign


def phones(campaign: Campaign) -> list[str]:
    return sorted(
        Message.objects.filter(key__startswith=f"campaign:{campaign.pk}:").values_list(
            "to", flat=True
        )
    )


def test_an_area_campaign_reaches_the_people_living_under_the_unit(personas, people):
    district = start(personas["district"], unit=Unit.objects.get(code="696"))
    commune = start(personas["district"], unit=Unit.objects.get(code=DUC_PHONG))

    # Bù Đăng: An, Bình's family phone, the teacher of Thống Nhất; not Lộc Ninh, not no-phone.
    assert phones(district) == ["+84912000001", "+84912000002", "+84912000003"]
    assert phones(commune) == ["+84912000001", "+84912000002"]
    assert (commune.status, commune.total, commune.queued) == (CampaignStatus.DONE, 2, 2)


def test_an_organization_campaign_reaches_its_people_wherever_they_live(org_admin, people, school):
    campaign = start(org_admin, organization=school)
    assert phones(campaign) == ["+84912000003"]
    assert (campaign.total, campaign.queued) == (1, 1)


def test_the_campaign_text_is_sent_and_the_outbox_sends_it(personas, people):
    campaign = start(personas["commune"], unit=Unit.objects.get(code=DUC_PHONG))
    messages = Message.objects.filter(key__startswith=campaign.key_prefix)
    assert {m.body for m in messages} == {campaign.text}
    assert "Bluezone" in campaign.text and "Đức Phong" in campaign.text
    assert {m.state for m in messages} == {State.SENT}
    progress = campaigns.progress(campaign)
    assert (progress["total"], progress["queued"], progress["sent"], progress["failed"]) == (
        2,
        2,
        2,
        0,
    )
    assert progress["finished"] is True


def test_a_phone_gets_a_campaign_once_even_when_it_runs_again(personas, people):
    campaign = start(personas["district"], unit=Unit.objects.get(code=DUC_PHONG))
    Message.objects.update(state=State.QUEUED)  # as if not sent yet: a re-run must not add any
    first = set(Message.objects.values_list("pk", flat=True))

    send_campaign.call(campaign.pk)
    send_campaign.call(campaign.pk)

    assert set(Message.objects.values_list("pk", flat=True)) == first
    campaign.refresh_from_db()
    assert (campaign.status, campaign.total, campaign.queued) == (CampaignStatus.DONE, 2, 2)
    # Someone who declared since is reached by the re-run, once.
    person("Đỗ Văn Mới", "+84912000009", DUC_PHONG)
    send_campaign.call(campaign.pk)
    send_campaign.call(campaign.pk)
    assert phones(campaign) == ["+84912000001", "+84912000002", "+84912000009"]


def test_the_same_people_get_each_campaign_once(personas, people, settings):
    settings.CAMPAIGN_REPEAT_HOURS = 0  # the repeat rule off: two campaigns, each phone once
    unit = Unit.objects.get(code=DUC_PHONG)
    first, second = start(personas["commune"], unit=unit), start(personas["district"], unit=unit)
    assert phones(first) == phones(second) == ["+84912000001", "+84912000002"]
    assert Message.objects.count() == 4


def test_batches_count_progress_as_they_go(personas, people, monkeypatch):
    """A batch of one recipient per transaction: the counter moves after each."""
    monkeypatch.setattr(campaigns, "BATCH", 1)
    seen = []
    original = campaigns.queue_many

    def spy(rows):
        rows = list(rows)
        original(rows)
        seen.append(Campaign.objects.values_list("queued", flat=True).get())

    monkeypatch.setattr(campaigns, "queue_many", spy)
    campaign = start(personas["district"], unit=Unit.objects.get(code="696"))
    assert seen == [0, 1, 2]  # read inside each batch, before its own count is saved
    assert (campaign.total, campaign.queued) == (3, 3)
    assert len(phones(campaign)) == 3


def test_a_failing_run_is_marked_failed_and_queues_nothing_twice(personas, people, monkeypatch):
    def broken(rows):
        raise RuntimeError("database went away")

    monkeypatch.setattr(campaigns, "queue_many", broken)
    campaign = start(personas["district"], unit=Unit.objects.get(code=DUC_PHONG))
    assert campaign.status == CampaignStatus.FAILED
    assert "database went away" in campaign.error
    assert campaigns.progress(campaign)["finished"] is True
    monkeypatch.undo()
    send_campaign.call(campaign.pk)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.queued) == (CampaignStatus.DONE, 2)


def test_a_repeated_client_id_starts_nothing(personas, people):
    key = uuid.uuid4()
    unit = Unit.objects.get(code=DUC_PHONG)
    first, created = campaigns.create(
        personas["commune"], kind="install", channel="sms", unit=unit, client_id=key, **YES
    )
    again, created_again = campaigns.create(
        personas["commune"], kind="install", channel="sms", unit=unit, client_id=key, **YES
    )
    assert created and not created_again and again.pk == first.pk
    assert Campaign.objects.count() == 1 and Message.objects.count() == 2
    with pytest.raises(PermissionDenied):  # another area's officer learns nothing from it
        campaigns.create(
            personas["other_district"],
            kind="install",
            channel="sms",
            unit=unit,
            client_id=key,
            **YES,
        )


AREA_ALLOWED = {"commune", "commune_peer", "district", "province"}


@pytest.mark.parametrize(
    "who",
    [
        *("commune", "commune_peer", "other_commune", "district", "other_district"),
        *("province", "tracer", "citizen", "venue_owner"),
    ],
)
def test_who_may_send_to_a_commune(personas, people, who):
    unit = Unit.objects.get(code=DUC_PHONG)
    if who in AREA_ALLOWED:
        assert start(personas[who], unit=unit).queued == 2
    else:
        with pytest.raises(PermissionDenied):
            campaigns.create(personas[who], kind="install", channel="sms", unit=unit, **YES)
        assert not Campaign.objects.exists() and not Message.objects.exists()


@pytest.mark.parametrize(
    "who", ["org_admin", "commune", "district", "province", "other_commune", "tracer", "citizen"]
)
def test_who_may_send_to_an_organization(personas, org_admin, people, school, who):
    user = org_admin if who == "org_admin" else personas[who]
    if who in {"org_admin", "commune", "district", "province"}:
        assert start(user, organization=school).queued == 1
    else:
        with pytest.raises(PermissionDenied):
            campaigns.create(user, kind="install", channel="sms", organization=school, **YES)


def test_an_organization_admin_may_not_send_to_an_area(org_admin, people):
    with pytest.raises(PermissionDenied):
        campaigns.create(
            org_admin, kind="install", channel="sms", unit=Unit.objects.get(code=DUC_PHONG), **YES
        )


def test_each_persona_sees_the_campaigns_of_its_area(personas, org_admin, people, school):
    commune = start(personas["commune"], unit=Unit.objects.get(code=DUC_PHONG))
    other = start(personas["other_commune"], unit=Unit.objects.get(code="25420"))
    district = start(personas["district"], unit=Unit.objects.get(code="696"))
    org = start(org_admin, organization=school)

    def seen(user):
        return set(Campaign.objects.visible_to(user).values_list("pk", flat=True))

    assert seen(personas["commune"]) == {commune.pk, org.pk}
    assert seen(personas["other_commune"]) == {other.pk}
    assert (
        seen(personas["district"])
        == seen(personas["province"])
        == {
            commune.pk,
            other.pk,
            district.pk,
            org.pk,
        }
    )
    assert seen(org_admin) == {org.pk}
    for who in ("other_district", "tracer", "citizen", "venue_owner"):
        assert seen(personas[who]) == set(), who


def test_default_texts_name_the_sender_and_fit_one_sms_or_two(personas, org_admin):
    with translation.override("en"):
        install = campaigns.default_text("install", personas["district"])
        declaration = campaigns.default_text("declaration", org_admin)
    assert "huyện Bù Đăng" in install and "Bluezone" in install
    assert declaration.startswith("Trường THCS Đức Phong") and "/declare/" in declaration
    for text in (install, declaration):
        assert len(text) <= 160 and sms_segments(text).parts <= 3


def test_a_campaign_bigger_than_a_sending_round_is_sent_whole(personas, binh_phuoc):
    """The outbox sends 500 a round; a campaign of 1,200 phones is still sent to everyone."""
    Person.objects.bulk_create(
        Person(full_name=f"Người {i}", phone=f"+8491300{i:04d}", commune_id=DUC_PHONG)
        for i in range(1200)
    )
    campaign = start(personas["commune"], unit=Unit.objects.get(code=DUC_PHONG))
    progress = campaigns.progress(campaign)
    assert (progress["total"], progress["queued"], progress["sent"]) == (1200, 1200, 1200)
    assert not Message.objects.filter(state=State.QUEUED).exists()


def test_sending_stops_when_the_gateway_refuses_everything(personas, people, settings):
    settings.MESSAGE_SENDER = "tests.messaging.test_campaigns.RefusingSender"
    campaign = start(personas["commune"], unit=Unit.objects.get(code=DUC_PHONG))
    progress = campaigns.progress(campaign)
    # Queued and tried once, not hammered: the next enqueue retries them.
    assert (progress["queued"], progress["sent"], progress["failed"]) == (2, 0, 0)
    assert set(Message.objects.values_list("attempts", "state")) == {(1, State.QUEUED)}
    assert progress["finished"] is False


class RefusingSender:
    def send(self, message) -> None:
        raise ConnectionError("gateway down")


@pytest.mark.parametrize(
    ("text", "encoding", "length", "parts"),
    [
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("[" * 80, "GSM-7", 160, 1),  # an extended character counts two
        ("[" * 81, "GSM-7", 162, 2),
        ("ắ" * 70, "UCS-2", 70, 1),
        ("ắ" * 71, "UCS-2", 71, 2),
        ("ắ" * 134, "UCS-2", 134, 2),
        ("ắ" * 135, "UCS-2", 135, 3),
        # One diacritic turns a plain text of 100 into UCS-2: two SMS instead of one.
        ("a" * 99 + "ệ", "UCS-2", 100, 2),
        ("Xin chào 😷", "UCS-2", 11, 1),  # an emoji is two UTF-16 units
    ],
)
def test_sms_segments_count_like_a_carrier(text, encoding, length, parts):
    assert sms_segments(text) == SmsSegments(encoding, length, parts)


def test_a_preview_counts_masks_and_queues_nothing(personas, people):
    unit = Unit.objects.get(code="696")
    shown = campaigns.preview(personas["district"], kind="install", channel="sms", unit=unit)
    assert shown.recipients == 3  # An, Bình's family phone, the teacher of Thống Nhất
    assert [s.phone for s in shown.samples] == ["+849*****001", "+849*****002", "+849*****003"]
    assert shown.samples[0].name == "N***** V** A*" and "Đức Phong" in shown.samples[0].commune
    assert shown.text == shown.delivered == campaigns.default_text("install", personas["district"])
    assert shown.total_sms == 3 * shown.segments.parts
    assert not Campaign.objects.exists() and not Message.objects.exists()
    zalo = campaigns.preview(personas["district"], kind="install", channel="zalo", unit=unit)
    assert zalo.total_sms == 0


class BrandedSender:
    """A gateway that puts the carrier-registered brand name before every SMS."""

    def render(self, body: str, channel: str) -> str:
        return f"[BCD COVID] {body}" if channel == "sms" else body

    def send(self, message) -> None:
        return None


def test_the_preview_shows_and_counts_what_the_sender_adds(personas, people, settings):
    settings.MESSAGE_SENDER = "tests.messaging.test_campaigns.BrandedSender"
    text = "Ba con nho cai dat Bluezone: bluezone.gov.vn " + "x" * 100  # 145, GSM-7
    shown = campaigns.preview(
        personas["commune"], kind="install", channel="sms", text=text, unit=people["an"].commune
    )
    assert shown.text == text and shown.delivered == f"[BCD COVID] {text}"
    # 12 more, and the brackets are extended GSM characters (two each): 159 of 160.
    assert shown.segments == SmsSegments("GSM-7", 159, 1)
    longer = campaigns.preview(
        personas["commune"],
        kind="install",
        channel="sms",
        text=text + "xxx",
        unit=people["an"].commune,
    )
    assert longer.segments.parts == 2  # fits alone, not with the brand name


def test_nothing_is_made_unconfirmed(personas, people):
    unit = Unit.objects.get(code=DUC_PHONG)
    with pytest.raises(campaigns.CampaignError) as refused:
        campaigns.create(personas["commune"], kind="install", channel="sms", unit=unit)
    assert refused.value.field == "confirm" and refused.value.status == 422
    assert not Campaign.objects.exists() and not Message.objects.exists()


def test_the_same_reminder_to_the_same_audience_waits_for_the_interval(personas, people, school):
    unit = Unit.objects.get(code=DUC_PHONG)
    first = start(personas["commune"], unit=unit)
    for who in ("commune", "district"):  # whoever sends it: the people are the same
        with pytest.raises(campaigns.CampaignRepeated) as refused:
            campaigns.create(personas[who], kind="install", channel="sms", unit=unit, **YES)
        assert (refused.value.status, refused.value.code) == (409, "campaign_repeated")
        assert refused.value.last == first
        assert refused.value.next_at == first.created_at + dt.timedelta(hours=24)
        with pytest.raises(campaigns.CampaignRepeated):  # the preview says so already
            campaigns.preview(personas[who], kind="install", channel="sms", unit=unit)
    assert Campaign.objects.count() == 1 and Message.objects.count() == 2
    # Another kind, another audience (the school, the district), a failed-empty one: allowed.
    start(personas["commune"], unit=unit, kind="declaration")
    start(personas["commune"], organization=school)
    start(personas["district"], unit=Unit.objects.get(code="696"))
    Campaign.objects.filter(kind="install", unit=unit).update(
        created_at=timezone.now() - dt.timedelta(hours=24, seconds=1)
    )
    assert start(personas["commune"], unit=unit).queued == 2


def test_a_campaign_that_reached_nobody_does_not_block_the_next(personas, people, monkeypatch):
    unit = Unit.objects.get(code=DUC_PHONG)

    def broken(rows):
        raise RuntimeError("database went away")

    monkeypatch.setattr(campaigns, "queue_many", broken)
    assert start(personas["commune"], unit=unit).status == CampaignStatus.FAILED
    monkeypatch.undo()
    assert start(personas["commune"], unit=unit).queued == 2
