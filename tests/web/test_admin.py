"""Every admin page an administrator opens (each model's list and its "add" form) loads."""

import pytest
from django.contrib import admin
from django.urls import reverse

from kiemdich.accounts.models import User


@pytest.fixture
def superuser(binh_phuoc, client):
    user = User.objects.create_superuser("root", "root@example.org", "a-long-test-password")
    client.force_login(user)
    return user


def test_every_admin_list_and_add_page_loads(superuser, client, rf):
    request = rf.get("/admin/")
    request.user = superuser
    opened = []
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert client.get(changelist).status_code == 200, changelist
        opened.append(meta.model_name)
        if model_admin.has_add_permission(request):
            add = reverse(f"admin:{meta.app_label}_{meta.model_name}_add")
            assert client.get(add).status_code == 200, add
    assert {"target", "installfigure", "install", "dailyreport", "campaign"} <= set(opened)


def test_admin_reads_of_personal_data_are_audited(superuser, client):
    """The admin is a way to personal data like any page: its lists and records are logged."""
    import uuid

    from django.utils import timezone

    from kiemdich.accounts.models import AuditLog
    from kiemdich.checkins.models import Checkin
    from tests.declarations.conftest import make_person
    from tests.venues.conftest import make_venue

    person = make_person()
    visit = Checkin.objects.create(
        client_id=uuid.uuid4(),
        venue=make_venue(),
        person=person,
        method="staff",
        t_in=timezone.now(),
    )
    client.get(reverse("admin:checkins_checkin_changelist"))
    listed = AuditLog.objects.get(
        actor=superuser, subject__startswith="admin checkins.checkin list"
    )
    assert listed.subjects == [person.pk]
    client.get(reverse("admin:checkins_checkin_change", args=[visit.pk]))
    assert AuditLog.objects.get(subject=f"admin checkins.checkin {visit.pk}").subjects == [
        person.pk
    ]
    client.get(reverse("admin:messaging_message_changelist"))
    assert AuditLog.objects.filter(subject__startswith="admin messaging.message list").exists()


def test_the_superuser_sees_every_checkpoint(superuser, client):
    """`Q() | Q(owner=user)` is just the owner's: the superuser's list was empty."""
    from tests.venues.conftest import make_venue

    make_venue(name="Chợ Đức Phong")
    assert "Chợ Đức Phong" in client.get("/venues/").content.decode()
    listed = client.get("/api/v1/venues").json()
    assert [v["name"] for v in listed["items"]] == ["Chợ Đức Phong"]


def test_the_admin_adds_no_scan_and_lists_no_people_to_pick(superuser, client):
    """Scans are stored by the scan service with their daily counts; the admin's add form would
    have skipped the counts and offered every person on record in a drop-down."""
    from tests.declarations.conftest import make_person

    make_person()
    assert client.get(reverse("admin:checkins_checkin_add")).status_code == 403
    changelist = client.get(reverse("admin:checkins_checkin_changelist")).content.decode()
    assert reverse("admin:checkins_checkin_add") not in changelist
