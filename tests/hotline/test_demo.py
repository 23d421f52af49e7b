"""`kiemdich demo` gives the hotline a week of work: agencies, rules, a supervisor, and about
200 tickets made through the services with a driven clock, on SQLite and PostgreSQL alike."""

import datetime as dt

from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from kiemdich.accounts.access import is_hotline_supervisor
from kiemdich.accounts.models import User
from kiemdich.demo.province import DEMO_TICKETS, PASSWORD
from kiemdich.geo.models import Unit
from kiemdich.hotline import reading
from kiemdich.hotline.models import Agency, AgencyKind, RoutingRule, Ticket, TicketEvent


def test_the_demo_hotline_has_a_week_of_varied_tickets(db, client):
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115 (twice: the same data)
    assert set(Agency.objects.values_list("kind", flat=True)) == set(AgencyKind.values) - {
        AgencyKind.OTHER
    }
    assert RoutingRule.objects.count() >= 10
    assert is_hotline_supervisor(User.objects.get(username="giamsat"))
    tickets = Ticket.objects.all()
    assert tickets.count() == DEMO_TICKETS
    now = timezone.now()
    assert not TicketEvent.objects.filter(at__gt=now).exists()
    assert tickets.filter(received_at__lt=now - dt.timedelta(days=6)).exists()
    assert tickets.filter(outcome="breached").exists() and tickets.filter(outcome="met").exists()
    assert tickets.filter(reopened=True).exists() and tickets.filter(moves__gt=0).exists()
    assert tickets.filter(status="unrouted").exists()  # the supervisor's queue

    province = Unit.objects.get(code="70")
    today = timezone.localdate()
    week = (today - dt.timedelta(days=6), today)
    figures = reading.statistics(province, *week)
    assert figures["tickets"] > DEMO_TICKETS // 2 and figures["per_agency"]
    assert figures["median_minutes"] is not None and figures["reopened"] and figures["moved"]
    if connection.vendor == "postgresql":
        assert figures == reading.statistics_from_tickets(province, *week)

    client.login(username="giamsat", password=PASSWORD)
    stats = client.get("/hotline/stats/?unit=70")
    assert stats.status_code == 200
    assert f">{figures['tickets']}<" in stats.content.decode().replace(" ", "")
    board = client.get("/hotline/board/")
    assert board.status_code == 200
    assert (
        reading.board(tickets)["total"]
        == tickets.filter(status__in=["unrouted", "assigned", "acknowledged"]).count()
    )
