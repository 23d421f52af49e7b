"""`Checkin.t_out_max` in the tracing index in place of `t_out` (models.py says why), and room
in each page of the table for the updates that end visits (fillfactor, PostgreSQL only)."""

import datetime as dt

from django.db import migrations, models
from django.db.models.functions import Coalesce

import kiemdich.checkins.models


def backfill(apps, schema_editor) -> None:
    """The bound of the visits stored so far: their end, or their entry plus the longest stay."""
    Checkin = apps.get_model("checkins", "Checkin")
    longest = dt.timedelta(minutes=720)  # MAX_STAY_MINUTES when this was written
    Checkin.objects.update(t_out_max=Coalesce(models.F("t_out"), models.F("t_in") + longest))


def fillfactor(percent: int):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE checkins_checkin SET (fillfactor = {percent})")

    return run


class Migration(migrations.Migration):
    dependencies = [("checkins", "0003_guarded_deletes")]

    operations = [
        migrations.AddField(
            model_name="checkin",
            name="t_out_max",
            field=kiemdich.checkins.models.EndBoundField(
                editable=False,
                null=True,
                help_text="The visit ends by then: its exit when stored or scanned out.",
                verbose_name="latest exit",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="checkin",
            name="t_out_max",
            field=kiemdich.checkins.models.EndBoundField(
                editable=False,
                help_text="The visit ends by then: its exit when stored or scanned out.",
                verbose_name="latest exit",
            ),
        ),
        migrations.RemoveIndex(model_name="checkin", name="checkin_venue_t_in"),
        migrations.AddIndex(
            model_name="checkin",
            index=models.Index(fields=["venue", "t_in", "t_out_max"], name="checkin_venue_t_in"),
        ),
        migrations.AddConstraint(
            model_name="checkin",
            constraint=models.CheckConstraint(
                condition=models.Q(("t_out__isnull", True))
                | models.Q(("t_out__lte", models.F("t_out_max"))),
                name="checkin_t_out_within_bound",
            ),
        ),
        migrations.RunPython(fillfactor(85), fillfactor(100)),
    ]
