"""What the check-in tests share."""

import psycopg
from django.db import connection


def other_connection() -> psycopg.Connection:
    """A second session on the test database, as another worker or the retention purge would
    have; plain psycopg, without the session options of settings.py."""
    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"], host=s["HOST"], port=s["PORT"]
    )
