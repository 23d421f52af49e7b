"""The report link's version (links.py): sending a new link stops the old one."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('monitoring', '0002_figure_counts'),
    ]

    operations = [
        migrations.AddField(
            model_name='monitoring',
            name='link_version',
            field=models.PositiveIntegerField(default=1, verbose_name='report link version'),
        ),
    ]
