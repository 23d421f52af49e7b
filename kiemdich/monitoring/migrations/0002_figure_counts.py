"""The dashboards' counts per commune and regime (`FigureCount`), filled from the monitorings
already stored; the partial indexes the follow-up list and the clock read."""

from collections import Counter

import django.db.models.deletion
from django.db import migrations, models

from kiemdich.monitoring.stats import COUNTED_COLUMNS, counted


def count_existing(apps, schema_editor) -> None:
    """What `services.recount` does, with this migration's models."""
    Monitoring = apps.get_model("monitoring", "Monitoring")
    FigureCount = apps.get_model("monitoring", "FigureCount")
    counts = Counter(
        key
        for row in Monitoring.objects.values_list(*COUNTED_COLUMNS).iterator(chunk_size=2000)
        for key in counted(row)
    )
    FigureCount.objects.bulk_create(
        [
            FigureCount(commune_id=commune, regime=regime, figure=figure, day=day, n=n)
            for (commune, regime, figure, day), n in counts.items()
        ],
        batch_size=2000,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('geo', '0003_verbose_names'),
        ('monitoring', '0001_monitoring'),
    ]

    operations = [
        migrations.CreateModel(
            name='FigureCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('regime', models.CharField(choices=[('centralized', 'centralized quarantine'), ('home_quarantine', 'home quarantine'), ('home_isolation', 'home isolation (F0)'), ('self_monitoring', 'self-monitoring')], max_length=16, verbose_name='regime')),
                ('figure', models.CharField(max_length=16, verbose_name='figure')),
                ('day', models.DateField(blank=True, null=True, verbose_name='day')),
                ('n', models.IntegerField(verbose_name='count')),
            ],
            options={
                'verbose_name': 'dashboard count',
                'verbose_name_plural': 'dashboard counts',
            },
        ),
        migrations.RemoveIndex(
            model_name='monitoring',
            name='monitoring_commune',
        ),
        migrations.RemoveIndex(
            model_name='monitoring',
            name='monitoring_ends',
        ),
        migrations.AddIndex(
            model_name='monitoring',
            index=models.Index(condition=models.Q(('state', 'active')), fields=['commune', 'regime'], include=('last_report_on',), name='monitoring_commune'),
        ),
        migrations.AddIndex(
            model_name='monitoring',
            index=models.Index(condition=models.Q(('state', 'active')), fields=['ends_at'], name='monitoring_ends'),
        ),
        migrations.AddField(
            model_name='figurecount',
            name='commune',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='geo.unit', verbose_name='commune'),
        ),
        migrations.AddConstraint(
            model_name='figurecount',
            constraint=models.UniqueConstraint(condition=models.Q(('day__isnull', False)), fields=('commune', 'regime', 'figure', 'day'), name='figure_count_once_a_day'),
        ),
        migrations.AddConstraint(
            model_name='figurecount',
            constraint=models.UniqueConstraint(condition=models.Q(('day__isnull', True)), fields=('commune', 'regime', 'figure'), name='figure_count_once'),
        ),
        migrations.RunPython(count_existing, migrations.RunPython.noop),
    ]
