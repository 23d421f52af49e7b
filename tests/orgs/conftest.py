"""Organizations in Bù Đăng with headcounts, their admins, and the seed-001 group targets."""

import datetime as dt

import pytest

from kiemdich.accounts.models import Role
from kiemdich.adoption.models import Target
from kiemdich.orgs.models import Group, Headcount, Organization, OrgKind
from tests.conftest import make_user


def make_org(code: str, kind: str = OrgKind.SCHOOL, unit: str = "25396", **counts) -> Organization:
    """An organization with `group=(headcount, installed)` pairs."""
    org = Organization.objects.create(code=code, name=f"Đơn vị {code}", kind=kind, unit_id=unit)
    for group, (headcount, installed) in counts.items():
        Headcount.objects.create(
            organization=org, group=group, headcount=headcount, installed=installed
        )
    return org


@pytest.fixture
def targets(db) -> dict[str, Target]:
    """Seed 001: 100% of civil servants, health staff, teachers, upper-secondary pupils; 80% of
    workers; at least 30% of lower-secondary pupils."""
    deadline = dt.date.today() + dt.timedelta(days=30)
    rows = [
        ("civil servants", Group.STAFF, OrgKind.AGENCY, 100),
        ("health staff", Group.STAFF, OrgKind.HOSPITAL, 100),
        ("workers", Group.WORKERS, "", 80),
        ("teachers", Group.TEACHERS, "", 100),
        ("upper", Group.UPPER_SECONDARY, "", 100),
        ("lower", Group.LOWER_SECONDARY, "", 30),
    ]
    return {
        name: Target.objects.create(
            name=name, group=group, org_kind=kind, threshold=threshold, deadline=deadline
        )
        for name, group, kind, threshold in rows
    }


@pytest.fixture
def school(personas) -> Organization:
    """Trường THCS Đức Phong: 40 teachers (30 installed), 500 lower-secondary pupils (100)."""
    return make_org(
        "BP-THCS-DUCPHONG",
        OrgKind.SCHOOL,
        "25396",
        teachers=(40, 30),
        lower_secondary=(500, 100),
    )


@pytest.fixture
def factory(personas) -> Organization:
    """A factory in another commune of Bù Đăng (Thống Nhất)."""
    return make_org("BP-NM-THONGNHAT", OrgKind.FACTORY, "25420", workers=(200, 170), staff=(10, 3))


@pytest.fixture
def far_hospital(personas) -> Organization:
    """A hospital in Lộc Ninh (another district)."""
    return make_org("BP-BV-LOCNINH", OrgKind.HOSPITAL, "25270", staff=(300, 150))


@pytest.fixture
def school_admin(school):
    return make_user("truong_ducphong", Role.ORG_ADMIN, organization=school)


@pytest.fixture
def factory_admin(factory):
    return make_user("nhamay_thongnhat", Role.ORG_ADMIN, organization=factory)
