"""The admin asks the same gate as the pages: a staff official given the right to view visits
sees those of their own area only, and the list they open is audit-logged with its people.

The permission matrix asks the admin as the superuser, who sees everything; this is the case it
cannot show, an area official who is also staff.
"""

import uuid

from django.contrib.auth.models import Permission
from django.test import Client

from kiemdich.accounts.models import AuditLog
from kiemdich.checkins.models import Checkin
from kiemdich.checkins.services import Scan, record_scans
from kiemdich.declarations.services import person_token
from kiemdich.venues.services import qr_url
from tests.conftest import PASSWORD
from tests.declarations.conftest import make_person
from tests.venues.conftest import make_venue


def test_a_staff_official_sees_in_the_admin_only_the_visits_of_their_area(personas):
    here = make_venue(name="Chợ Đức Phong")  # 25396, the commune officer's
    there = make_venue(commune="25420", name="Quán cơm Thống Nhất")
    neighbour, stranger = make_person(1), make_person(2)
    record_scans(
        [
            Scan(uuid.uuid4(), qr_url(here), "in", person_token=person_token(neighbour)),
            Scan(uuid.uuid4(), qr_url(there), "in", person_token=person_token(stranger)),
        ]
    )
    assert Checkin.objects.count() == 2
    official = personas["commune"]
    official.is_staff = True
    official.save()
    official.user_permissions.add(Permission.objects.get(codename="view_checkin"))
    client = Client()
    assert client.login(username=official.username, password=PASSWORD)

    page = client.get("/admin/checkins/checkin/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Chợ Đức Phong" in html and "Quán cơm Thống Nhất" not in html
    theirs = Checkin.objects.get(venue=there)
    assert client.get(f"/admin/checkins/checkin/{theirs.pk}/change/").status_code in (302, 404)
    read = AuditLog.objects.filter(actor=official).latest("pk")
    assert read.subjects == [neighbour.pk]
