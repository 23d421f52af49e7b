"""The daily reports left `adoption` for their own app: an installation upgraded across that
move keeps its reports, the flags of missed deadlines, the admin rights given on them and the
deadline check already queued."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("adoption", "0001_initial"),
    ("contenttypes", "0002_remove_content_type_name"),
    ("auth", "0012_alter_user_first_name_max_length"),
    ("django_tasks_database", "0021_conditional_partial_index_ordering"),
]
AFTER = [("reports", "0001_initial")]


def migrate(targets) -> object:
    """Migrate the test database to `targets`; the apps' historical models there."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_an_upgrade_keeps_the_reports_their_rights_and_the_queued_check(binh_phuoc):
    old = migrate(BEFORE)
    Unit = old.get_model("geo", "Unit")
    report = old.get_model("adoption", "DailyReport").objects.create(
        unit=Unit.objects.get(code="25396"), date=dt.date(2026, 12, 2), installs=812
    )
    old.get_model("adoption", "MissedDeadline").objects.create(
        unit=Unit.objects.get(code="25420"), date=dt.date(2026, 12, 2)
    )
    ContentType = old.get_model("contenttypes", "ContentType")
    Permission = old.get_model("auth", "Permission")
    kind = ContentType.objects.get_or_create(app_label="adoption", model="dailyreport")[0]
    right = Permission.objects.get_or_create(
        content_type=kind, codename="view_dailyreport", defaults={"name": "Can view"}
    )[0]
    old.get_model("django_tasks_database", "DBTaskResult").objects.create(
        task_path="kiemdich.adoption.tasks.check_report_deadlines",
        queue_name="default",
        backend_name="default",
        args_kwargs={"args": [], "kwargs": {}},
        run_after=dt.datetime(2026, 12, 3, 8, tzinfo=dt.UTC),
    )

    try:
        new = migrate(AFTER)
        moved = new.get_model("reports", "DailyReport").objects.get()
        assert (moved.pk, moved.unit_id, moved.installs) == (report.pk, "25396", 812)
        assert new.get_model("reports", "MissedDeadline").objects.get().unit_id == "25420"
        relabelled = new.get_model("auth", "Permission").objects.get(pk=right.pk).content_type
        assert (relabelled.app_label, relabelled.model) == ("reports", "dailyreport")
        task = new.get_model("django_tasks_database", "DBTaskResult").objects.get()
        assert task.task_path == "kiemdich.reports.tasks.check_report_deadlines"
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
