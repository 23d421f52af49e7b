"""The hotline's people: an operator, a supervisor, two agencies with their heads and members,
and the province's rules for suspected cases (the district health centre) and gatherings (the
commune's committee)."""

import pytest

from kiemdich.accounts.models import Role
from kiemdich.geo.models import Unit
from kiemdich.hotline import services
from kiemdich.hotline.models import Agency, AgencyKind, Category, Supervisor
from tests.conftest import make_user


@pytest.fixture
def hotline(binh_phuoc):
    operator = make_user("tongdai_1", Role.HOTLINE_OPERATOR, "70", phone="+84911000001")
    supervisor = make_user("giamsat_1", Role.HOTLINE_OPERATOR, "70", phone="+84911000002")
    Supervisor.objects.create(user=supervisor)
    province = make_user("tinh_1", Role.PROVINCE_OFFICER, "70", phone="+84911000003")
    health_head = make_user("ttyt_truong", Role.CITIZEN, phone="+84911000004")
    health_member = make_user("ttyt_canbo", Role.CITIZEN, phone="+84911000005")
    police_member = make_user("congan_canbo", Role.CITIZEN, phone="+84911000006")
    health = Agency.objects.create(
        name="TTYT Bù Đăng", kind=AgencyKind.DISTRICT_HEALTH, unit_id="696", head=health_head
    )
    health.members.add(health_member)
    police = Agency.objects.create(name="Công an Bù Đăng", kind=AgencyKind.POLICE, unit_id="696")
    police.members.add(police_member)
    services.set_rule(Category.SUSPECTED_CASE, Unit.objects.get(code="70"), health)
    return {
        "operator": operator,
        "supervisor": supervisor,
        "province": province,
        "health": health,
        "health_head": health_head,
        "health_member": health_member,
        "police": police,
        "police_member": police_member,
    }
