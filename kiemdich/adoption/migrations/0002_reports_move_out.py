"""The daily reports move to their own app (`kiemdich.reports`, migration reports.0001): adoption
forgets the two models, and their tables stay where they are for reports to take over."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("adoption", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="DailyReport"),
                migrations.DeleteModel(name="MissedDeadline"),
            ],
            database_operations=[],
        ),
    ]
