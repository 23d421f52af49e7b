"""Running a checkpoint is owning it, administering its organization, or staffing it; only
checkpoints that take scans make someone a scanner of other people."""

import pytest

from kiemdich.accounts.models import Role
from kiemdich.declarations.services import masked_name, personal_qr_url
from kiemdich.orgs.models import Organization, OrgKind
from kiemdich.venues import services as venue_services
from kiemdich.venues.models import Status
from tests.conftest import make_user
from tests.declarations.conftest import make_person
from tests.venues.conftest import make_venue


@pytest.fixture
def school(binh_phuoc):
    return Organization.objects.create(
        code="BP-THCS-DP", name="Trường THCS Đức Phong", kind=OrgKind.SCHOOL, unit_id="25396"
    )


def test_only_an_organizations_admins_manage_its_checkpoints(school):
    venue = make_venue(organization=school)
    member = make_user("hocsinh", Role.CITIZEN, organization=school)
    admin = make_user("donvi", Role.ORG_ADMIN, organization=school)
    assert not venue_services.may_manage(member, venue)
    assert venue_services.may_manage(admin, venue)
    with pytest.raises(venue_services.PermissionDenied):
        venue_services.add_staff(member, venue, "0900000001")


def test_a_checkpoint_waiting_for_approval_shows_its_owner_nobody(client, binh_phuoc):
    """Anyone can sign up and register a checkpoint: until it is approved, a personal QR opened
    by its owner names nobody."""
    owner = make_user("+84900000001", Role.VENUE_OWNER)
    venue = make_venue(owner=owner, status=Status.PENDING)
    person = make_person(3)
    client.force_login(owner)
    url = personal_qr_url(person)
    url = url[url.index("/p/") :]
    assert masked_name("Nguyễn Văn 3") not in client.get(url).content.decode()
    venue.status = Status.ACTIVE
    venue.save()
    assert masked_name("Nguyễn Văn 3") in client.get(url).content.decode()
