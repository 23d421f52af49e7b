"""Check-ins keep their venue and person without foreign-key constraints (models.py says why).

On PostgreSQL, triggers keep the rule the constraints kept, at the time rows are deleted rather
than at every scan:

- deleting venues or people first takes a SHARE ROW EXCLUSIVE lock on the check-ins: it waits
  for the transactions storing scans and holds new ones off until it ends, so no scan can be
  stored for a venue or person deleted meanwhile (scans check their person exists after taking
  their own lock, `checkins.services`);
- a venue some check-in points to is not deleted (Django refuses first: PROTECT);
- deleting people empties their check-ins' person (Django does the same first: SET_NULL; the
  trigger also catches scans stored between Django's update and the delete).

SQLite, the one-machine default, writes one transaction at a time: Django's own PROTECT and
SET_NULL keep the rule there, so it gets no triggers.
"""

import django.db.models.deletion
from django.db import migrations, models

CREATE = """
CREATE FUNCTION kiemdich_hold_scans() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE checkins_checkin IN SHARE ROW EXCLUSIVE MODE;
    RETURN NULL;
END $$;

CREATE FUNCTION kiemdich_keep_visited_venues() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM checkins_checkin c JOIN gone ON c.venue_id = gone.id) THEN
        RAISE EXCEPTION 'checkpoints with check-ins cannot be deleted'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION kiemdich_forget_deleted_people() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE checkins_checkin c SET person_id = NULL FROM gone WHERE c.person_id = gone.id;
    RETURN NULL;
END $$;

CREATE TRIGGER kiemdich_hold_scans BEFORE DELETE ON venues_venue
    FOR EACH STATEMENT EXECUTE FUNCTION kiemdich_hold_scans();
CREATE TRIGGER kiemdich_keep_visited_venues AFTER DELETE ON venues_venue
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION kiemdich_keep_visited_venues();
CREATE TRIGGER kiemdich_hold_scans BEFORE DELETE ON declarations_person
    FOR EACH STATEMENT EXECUTE FUNCTION kiemdich_hold_scans();
CREATE TRIGGER kiemdich_forget_deleted_people AFTER DELETE ON declarations_person
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION kiemdich_forget_deleted_people();
"""

DROP = """
DROP TRIGGER kiemdich_forget_deleted_people ON declarations_person;
DROP TRIGGER kiemdich_hold_scans ON declarations_person;
DROP TRIGGER kiemdich_keep_visited_venues ON venues_venue;
DROP TRIGGER kiemdich_hold_scans ON venues_venue;
DROP FUNCTION kiemdich_forget_deleted_people();
DROP FUNCTION kiemdich_keep_visited_venues();
DROP FUNCTION kiemdich_hold_scans();
"""


def on_postgresql(sql: str):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("checkins", "0002_scans_people_exits"),
        ("declarations", "0002_person_organization"),
        ("venues", "0002_usualstay"),
    ]

    operations = [
        migrations.AlterField(
            model_name="checkin",
            name="person",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="checkins",
                to="declarations.person",
                verbose_name="person",
            ),
        ),
        migrations.AlterField(
            model_name="checkin",
            name="venue",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                to="venues.venue",
                verbose_name="checkpoint",
            ),
        ),
        migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP)),
    ]
