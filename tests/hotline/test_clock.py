"""The 5-hour clock (issue 17, Done when): the tests drive the clock, nothing sleeps."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kiemdich.hotline import services
from kiemdich.hotline.models import Category, CategoryTarget, Channel, Outcome, Status
from kiemdich.messaging.models import Message

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=LOCAL)


def report(**extra) -> services.Report:
    values = {
        "channel": Channel.CALL,
        "category": Category.SUSPECTED_CASE,
        "commune_code": "25396",
        "location": "chợ Đức Phong",
        "description": "Người ho sốt, mới về từ vùng dịch",
        "caller_phone": "0912 345 678",
    }
    return services.Report(**(values | extra))


@pytest.fixture
def ticket(hotline):
    return services.receive(
        report(received_at=at(3, 22)), actor=hotline["operator"], now=at(3, 22, 1)
    )


def test_received_at_22_is_due_at_03_and_routed(ticket, hotline):
    assert ticket.due_at == at(4, 3)
    assert ticket.first_response_due_at == at(3, 22, 30)
    assert ticket.status == Status.ASSIGNED
    assert ticket.agency == hotline["health"]
    assert ticket.caller_phone == "+84912345678"


def test_warned_once_at_02_if_still_open(ticket, hotline):
    assert services.escalate(at(4, 1, 59)).steps == 0
    run = services.escalate(at(4, 2))
    assert run.fired == [(ticket.number, 80)]
    warned = set(Message.objects.values_list("to", flat=True))
    # the agency's head and the supervisor; not the province yet
    assert warned == {hotline["health_head"].phone, hotline["supervisor"].phone}
    assert services.escalate(at(4, 2, 5)).steps == 0
    assert Message.objects.count() == 2


def test_not_warned_when_resolved_before_02(ticket, hotline):
    services.resolve(ticket, hotline["health_member"], now=at(4, 1))
    assert services.escalate(at(4, 2, 30)).steps == 0
    assert not Message.objects.exists()


def test_resolved_after_03_is_breached_and_the_breach_goes_to_the_province(ticket, hotline):
    services.escalate(at(4, 2))
    services.escalate(at(4, 3))
    assert set(Message.objects.filter(key__contains=":100:").values_list("to", flat=True)) == {
        hotline["supervisor"].phone,
        hotline["province"].phone,
    }
    ticket = services.resolve(ticket, hotline["health_member"], now=at(4, 3, 1))
    assert ticket.outcome == Outcome.BREACHED
    assert ticket.minutes_used == 301


def test_resolved_by_03_is_met(ticket, hotline):
    ticket = services.resolve(ticket, hotline["health_member"], now=at(4, 3))
    assert (ticket.outcome, ticket.minutes_used) == (Outcome.MET, 300)


def test_reassigning_at_01_does_not_move_03(ticket, hotline):
    ticket = services.reassign(ticket, hotline["police"], hotline["operator"], now=at(4, 1))
    assert ticket.due_at == at(4, 3)
    assert ticket.moves == 1
    segments = list(ticket.segments.values_list("agency_id", "assigned_at", "released_at"))
    assert segments == [
        (hotline["health"].pk, at(3, 22, 1), at(4, 1)),
        (hotline["police"].pk, at(4, 1), None),
    ]
    run = services.escalate(at(4, 2))
    assert run.fired == [(ticket.number, 80)]
    ticket = services.resolve(ticket, hotline["police_member"], now=at(4, 3, 30))
    assert ticket.outcome == Outcome.BREACHED


def test_reopened_ticket_keeps_its_original_clock(ticket, hotline):
    services.resolve(ticket, hotline["health_member"], now=at(4, 0))
    ticket = services.reopen(ticket, hotline["operator"], "Người gọi báo chưa xử lý", now=at(4, 4))
    assert ticket.reopened and ticket.due_at == at(4, 3)
    assert ticket.status == Status.ASSIGNED
    # the steps it never reached fire at the next check
    assert services.escalate(at(4, 4, 5)).fired == [(ticket.number, 80), (ticket.number, 100)]
    ticket = services.resolve(ticket, hotline["health_member"], now=at(4, 5))
    assert (ticket.outcome, ticket.minutes_used) == (Outcome.BREACHED, 420)


def test_many_at_once_make_one_digest_per_recipient(hotline):
    for minute in range(4):
        services.receive(report(received_at=at(3, 22, minute)), now=at(3, 22, 5))
    run = services.escalate(at(4, 2, 10))
    assert run.steps == 4
    to_supervisor = Message.objects.filter(to=hotline["supervisor"].phone)
    assert to_supervisor.count() == 1
    assert "4" in to_supervisor.get().body


def test_category_limit_and_unrouted_queue(hotline):
    CategoryTarget.objects.create(category=Category.GATHERING, resolution_minutes=120)
    ticket = services.receive(
        report(category=Category.GATHERING, received_at=at(3, 22)), now=at(3, 22)
    )
    assert ticket.due_at == at(4, 0)
    assert (ticket.status, ticket.agency) == (Status.UNROUTED, None)


def test_most_specific_rule_wins(hotline):
    from kiemdich.geo.models import Unit

    services.set_rule(Category.SUSPECTED_CASE, Unit.objects.get(code="696"), hotline["police"])
    assert services.receive(report(), now=at(3, 10)).agency == hotline["police"]
    other = services.receive(report(commune_code="25420"), now=at(3, 10))
    assert other.agency == hotline["police"]  # 25420 is in Bù Đăng too


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("received_at", {"received_at": at(3, 23)}),
        ("received_at", {"received_at": at(2, 9)}),
        ("caller_phone", {"caller_phone": "12"}),
        ("commune_code", {"commune_code": "696"}),
        ("category", {"category": "nope"}),
        ("description", {"description": "  "}),
    ],
)
def test_refusals_name_the_field(hotline, field, values):
    with pytest.raises(services.TicketFieldError) as refused:
        services.receive(report(**values), now=at(3, 22))
    assert refused.value.field == field
