"""Persona tests for "may this user see this unit / this person's data" (DESIGN.md §4)."""

import pytest
from django.core.exceptions import ValidationError

from kiemdich.accounts import audit
from kiemdich.accounts.access import may_see_person, may_see_unit
from kiemdich.accounts.models import AuditLog, Role, User
from kiemdich.geo.models import Unit

DUC_PHONG, THONG_NHAT = "25396", "25420"


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


@pytest.mark.parametrize(
    ("persona", "sees_duc_phong", "sees_thong_nhat", "sees_district", "sees_loc_ninh"),
    [
        ("commune", True, False, False, False),
        ("commune_peer", True, False, False, False),
        ("other_commune", False, True, False, False),
        ("district", True, True, True, False),
        ("other_district", False, False, False, True),
        ("province", True, True, True, True),
        ("tracer", True, True, True, False),
        ("citizen", False, False, False, False),
        ("venue_owner", False, False, False, False),
    ],
)
def test_unit_visibility(personas, persona, sees_duc_phong, sees_thong_nhat, sees_district,
                         sees_loc_ninh):  # fmt: skip
    user = personas[persona]
    assert may_see_unit(user, unit(DUC_PHONG)) is sees_duc_phong
    assert may_see_unit(user, unit(THONG_NHAT)) is sees_thong_nhat
    assert may_see_unit(user, unit("696")) is sees_district
    assert may_see_unit(user, unit("692")) is sees_loc_ninh
    visible = set(Unit.objects.visible_to(user).values_list("code", flat=True))
    assert (DUC_PHONG in visible) is sees_duc_phong
    assert (THONG_NHAT in visible) is sees_thong_nhat


def test_commune_officer_cannot_read_another_communes_personal_data(personas):
    officer = personas["commune"]
    assert may_see_person(officer, unit=unit(DUC_PHONG))
    assert not may_see_person(officer, unit=unit(THONG_NHAT))
    assert not may_see_person(personas["other_commune"], unit=unit(DUC_PHONG))
    assert may_see_person(personas["district"], unit=unit(DUC_PHONG))


def test_citizen_sees_only_their_own_data(personas):
    citizen = personas["citizen"]
    assert may_see_person(citizen, unit=unit(DUC_PHONG), person_user_id=citizen.pk)
    assert not may_see_person(citizen, unit=unit(DUC_PHONG), person_user_id=citizen.pk + 1000)
    assert not may_see_person(personas["venue_owner"], unit=unit(DUC_PHONG))


def test_inactive_official_sees_nothing(personas):
    officer = personas["district"]
    officer.is_active = False
    assert not may_see_unit(officer, unit(DUC_PHONG))
    assert not may_see_person(officer, unit=unit(DUC_PHONG))


def test_superuser_sees_everything(binh_phuoc):
    admin = User.objects.create_superuser("root", password="x" * 12)
    assert may_see_unit(admin, unit(THONG_NHAT))
    assert Unit.objects.visible_to(admin).count() == Unit.objects.count()


@pytest.mark.parametrize(
    ("role", "code", "field"),
    [
        (Role.COMMUNE_OFFICER, "696", "unit"),  # a district is not a commune
        (Role.DISTRICT_OFFICER, None, "unit"),
        (Role.PROVINCE_OFFICER, "25396", "unit"),
        (Role.ORG_ADMIN, None, "organization"),
    ],
)
def test_a_role_needs_a_scope_of_the_right_level(binh_phuoc, role, code, field):
    user = User(username="u", role=role, unit_id=code, password="x")
    with pytest.raises(ValidationError) as exc:
        user.full_clean()
    assert field in exc.value.message_dict


def test_audit_records_who_read_what(personas, rf):
    request = rf.get("/", REMOTE_ADDR="127.0.0.9")
    audit.record_read(
        personas["tracer"], "contact 42", unit=unit(DUC_PHONG), reason="F1 call", request=request
    )
    entry = AuditLog.objects.get()
    assert (entry.actor, entry.subject, entry.unit_code, entry.reason, entry.ip) == (
        personas["tracer"],
        "contact 42",
        DUC_PHONG,
        "F1 call",
        "127.0.0.9",
    )
