"""A commune under watch: people of Đức Phong (25396) and Thống Nhất (25420) to enrol."""

import datetime as dt

import pytest
from django.utils import timezone

from kiemdich.declarations.models import Person
from kiemdich.monitoring import services
from kiemdich.monitoring.models import Regime, Source

#: 07:00 local time on a weekday: before anyone's 08:00 reminder.
START = timezone.make_aware(dt.datetime(2021, 7, 12, 7, 0))


@pytest.fixture
def people(personas):
    return {
        "an": Person.objects.create(
            full_name="Trần Thị An", phone="+84912000001", commune_id="25396"
        ),
        "binh": Person.objects.create(
            full_name="Lê Văn Bình", phone="+84912000002", commune_id="25420"
        ),
    }


def enrol(actor, person, regime=Regime.HOME_QUARANTINE, at=START, **extra):
    monitoring, _created = services.enrol(
        actor,
        person,
        regime=regime,
        exposure_at=at - dt.timedelta(hours=1),
        source=Source.MANUAL,
        now=at,
        **extra,
    )
    return monitoring
