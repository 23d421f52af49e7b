"""The daily reports take over the models and tables that `adoption` made (adoption.0002 let
them go): the tables keep their names, so no row moves. Existing installations keep their
admin permissions (the content types are relabelled) and a deadline check already queued
still runs (its task path is rewritten)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODELS = ("dailyreport", "misseddeadline")
OLD_TASK = "kiemdich.adoption.tasks.check_report_deadlines"
NEW_TASK = "kiemdich.reports.tasks.check_report_deadlines"


def relabel(apps, schema_editor, old: str = "adoption", new: str = "reports") -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).delete()
        else:
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    old_task, new_task = (OLD_TASK, NEW_TASK) if new == "reports" else (NEW_TASK, OLD_TASK)
    DBTaskResult.objects.filter(task_path=old_task).update(task_path=new_task)


def unlabel(apps, schema_editor) -> None:
    relabel(apps, schema_editor, old="reports", new="adoption")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("adoption", "0002_reports_move_out"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
        ("geo", "0002_importjob"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='DailyReport',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('date', models.DateField(verbose_name='date')),
                        ('installs', models.PositiveIntegerField(verbose_name='installs (cumulative)')),
                        ('smartphone_users', models.PositiveIntegerField(blank=True, null=True, verbose_name='smartphone users')),
                        ('venues', models.PositiveIntegerField(blank=True, null=True, verbose_name='checkpoints')),
                        ('scans', models.PositiveIntegerField(blank=True, null=True, verbose_name='scans today')),
                        ('note', models.TextField(blank=True, verbose_name='note')),
                        ('status', models.CharField(choices=[('draft', 'draft'), ('sent', 'sent')], default='sent', max_length=8, verbose_name='status')),
                        ('submitted_at', models.DateTimeField(blank=True, null=True, verbose_name='sent at')),
                        ('late', models.BooleanField(default=False, verbose_name='late')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('submitted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='sent by')),
                        ('unit', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='geo.unit', verbose_name='unit')),
                    ],
                    options={
                        'verbose_name': 'daily report',
                        'verbose_name_plural': 'daily reports',
                        'db_table': 'adoption_dailyreport',
                        'ordering': ['-date', 'unit'],
                        'constraints': [models.UniqueConstraint(fields=('unit', 'date'), name='dailyreport_unit_date')],
                    },
                ),
                migrations.CreateModel(
                    name='MissedDeadline',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('date', models.DateField(verbose_name='date')),
                        ('flagged_at', models.DateTimeField(auto_now_add=True, verbose_name='flagged at')),
                        ('reminded', models.PositiveSmallIntegerField(default=0, verbose_name='people reminded')),
                        ('unit', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='geo.unit', verbose_name='unit')),
                    ],
                    options={
                        'verbose_name': 'missed report deadline',
                        'verbose_name_plural': 'missed report deadlines',
                        'db_table': 'adoption_misseddeadline',
                        'ordering': ['-date', 'unit'],
                        'constraints': [models.UniqueConstraint(fields=('unit', 'date'), name='misseddeadline_unit_date')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(relabel, unlabel),
    ]
