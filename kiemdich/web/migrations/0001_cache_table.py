"""The database cache's table (settings.CACHES), so `kiemdich migrate` alone makes a working site.

The rate-limit counts (kiemdich.ratelimit) live in the default cache, which is Django's
DatabaseCache unless REDIS_URL is set; Django makes its table only with `createcachetable`,
which the production steps (migrate, collectstatic, gunicorn) never run. This runs it: it makes
the table of every DatabaseCache in CACHES that is missing, and nothing when there is none.
The table belongs to no app's models, so this migration sits in kiemdich.web, the app that
reads from all the others.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = []

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]
