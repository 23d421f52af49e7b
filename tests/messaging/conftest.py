"""People with phones in Bù Đăng and elsewhere, an organization, and its admin."""

from __future__ import annotations

import pytest

from kiemdich.accounts.models import Role
from kiemdich.declarations.models import Person
from kiemdich.orgs.models import Organization
from tests.conftest import make_user

#: Thị trấn Đức Phong and Xã Thống Nhất (Bù Đăng, 696); Lộc Ninh (692) is another district.
DUC_PHONG, THONG_NHAT = "25396", "25420"


def person(name: str, phone: str, commune: str | None, organization=None) -> Person:
    return Person.objects.create(
        full_name=name, phone=phone, commune_id=commune, organization=organization
    )


@pytest.fixture
def school(binh_phuoc) -> Organization:
    return Organization.objects.create(
        code="BP-THCS-DUCPHONG", name="Trường THCS Đức Phong", kind="school", unit_id=DUC_PHONG
    )


@pytest.fixture
def org_admin(school):
    return make_user("donvi", Role.ORG_ADMIN, organization=school)


@pytest.fixture
def people(binh_phuoc, school) -> dict[str, Person]:
    """Two people of Đức Phong share a phone (a family); one has none; the teacher lives in
    Thống Nhất but works at the Đức Phong school; one lives in Lộc Ninh district."""
    loc_ninh_commune = binh_phuoc.children.get(code="692").children.order_by("code").first()
    return {
        "an": person("Nguyễn Văn An", "+84912000001", DUC_PHONG),
        "binh": person("Trần Thị Bình", "+84912000002", DUC_PHONG),
        "binh_child": person("Trần Văn Bé", "+84912000002", DUC_PHONG),
        "no_phone": person("Lê Văn Không", "", DUC_PHONG),
        "teacher": person("Phạm Thị Giáo", "+84912000003", THONG_NHAT, organization=school),
        "far": person("Hoàng Văn Xa", "+84912000004", loc_ninh_commune.code),
    }
