"""Whether a declaration was made with the person's token (see Declaration.with_token).

Declarations stored before are marked as made with one: their replays without a token are
refused (409), the safe side, since it cannot be known now how they were made."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("declarations", "0002_person_organization"),
    ]

    operations = [
        migrations.AddField(
            model_name="declaration",
            name="with_token",
            field=models.BooleanField(default=True, verbose_name="made with the person's token"),
        ),
    ]
