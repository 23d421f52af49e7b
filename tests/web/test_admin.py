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
