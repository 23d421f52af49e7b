"""Checkpoint staff kept by login instead of by account (see VenueStaff)."""

from django.db import migrations, models


def copy_logins(apps, schema_editor):
    VenueStaff = apps.get_model("venues", "VenueStaff")
    for staff in VenueStaff.objects.select_related("user"):
        staff.login = staff.user.username
        staff.save(update_fields=["login"])


class Migration(migrations.Migration):
    dependencies = [
        ("venues", "0003_venuestaff"),
    ]

    operations = [
        migrations.AddField(
            model_name="venuestaff",
            name="login",
            field=models.CharField(db_index=True, default="", max_length=150, verbose_name="login"),
            preserve_default=False,
        ),
        migrations.RunPython(copy_logins, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="venuestaff", name="venue_staff_once"),
        migrations.RemoveField(model_name="venuestaff", name="user"),
        migrations.AddConstraint(
            model_name="venuestaff",
            constraint=models.UniqueConstraint(fields=("venue", "login"), name="venue_staff_once"),
        ),
    ]
