"""The admin in Vietnamese: every app and every model it lists, and every field of those models,
has a Vietnamese name (ours in locale/vi, the libraries' from their own catalogues or ours:
kiemdich/taskdb.py), not the English one."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.utils import translation

#: Names that read the same in both languages.
SAME = {"ID", "id", "SMS", "Zalo", "QR", "API"}


def _names(model) -> list[tuple[str, object]]:
    meta = model._meta
    names = [("model", meta.verbose_name), ("models", meta.verbose_name_plural)]
    names.append(("app", meta.app_config.verbose_name))
    names += [
        (f"field {f.name}", f.verbose_name) for f in meta.get_fields() if hasattr(f, "verbose_name")
    ]
    return names


def test_every_admin_model_app_and_field_has_a_vietnamese_name() -> None:
    untranslated = []
    for model in admin.site._registry:
        for what, name in _names(model):
            with translation.override("en"):
                english = str(name)
            with translation.override("vi"):
                vietnamese = str(name)
            if english == vietnamese and english not in SAME:
                untranslated.append(f"{model._meta.label} {what}: {english!r}")
    assert not untranslated, "\n".join(untranslated)


@pytest.mark.django_db
def test_admin_index_names_its_models_in_vietnamese(admin_client: Client) -> None:
    page = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "Tác vụ nền" in page
    for english in ("Task Results", "Install days", "Tasks Database Backend"):
        assert english not in page
