"""Django's DatabaseCache, fit to hold rate-limit counts (settings.CACHES without REDIS_URL).

django-ratelimit counts with `add` then `incr`, for every request it limits (every scan). Django's
DatabaseCache makes that a dozen round trips: `add` counts the whole table (for culling), reads
the row, and writes it in a transaction of its own; `incr` is a `get` then a `set`, so two workers
that read the same count both write count + 1 and one hit is lost (measured with 4 processes
hitting one key 300 times each: 429 counted of 1,200), and every commit waited for the disk.
Under `make bench` that cost a scan more than storing it.

On PostgreSQL, so:

- `add` is one statement: an insert that replaces the row only if it has expired, and says
  whether it wrote;
- `incr` is a compare-and-swap: read the count, then write count + delta only where the row
  still holds what was read (one statement each, retried if another worker counted meanwhile),
  so concurrent hits are never lost and nobody waits on a lock;
- each of these statements, run on its own (autocommit), commits without waiting for the disk
  (`set_config('synchronous_commit', 'off', true)` inside the statement: it lasts for that
  statement's own transaction). A crash may forget the last counts of the last fraction of a
  second, which a rate limit can afford. Inside a transaction someone else opened (a test's, a
  view's) the setting is left alone, as it would apply to all of it;
- expired counts are deleted now and then (one `add` in `CULL_EVERY`), not counted on each.

On SQLite Django's own code runs, in a transaction: settings.py begins every one IMMEDIATE, so
the database's write lock is taken before the read and no count is lost.

Imports no app.
"""

from __future__ import annotations

import base64
import datetime as dt
import pickle
import random
from contextlib import contextmanager

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, router, transaction
from django.utils import timezone

#: One `add` in this many also deletes the expired counts.
CULL_EVERY = 1000
#: Tries of `incr`'s compare-and-swap before it takes the row lock instead.
SWAP_TRIES = 20


class DatabaseCache(DjangoDatabaseCache):
    def _connection(self):
        return connections[router.db_for_write(self.cache_model_class)]

    @contextmanager
    def _transaction(self):
        """Django's own code, in one transaction (SQLite: IMMEDIATE, the write lock first)."""
        with transaction.atomic(using=router.db_for_write(self.cache_model_class)):
            yield

    def _quiet(self, connection) -> str:
        """A FROM item that makes the statement's own commit skip the wait for the disk."""
        if connection.in_atomic_block:
            return "(SELECT 1) AS quiet"
        return "(SELECT set_config('synchronous_commit', 'off', true)) AS quiet"

    def _encode(self, value) -> str:
        return base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")

    @staticmethod
    def _decode(text: str):
        return pickle.loads(base64.b64decode(text.encode()))  # noqa: S301 (our own rows)

    def _cull(self, db, cursor, now, num):
        """Over MAX_ENTRIES (SQLite; on PostgreSQL `add` deletes expired counts itself): delete
        the expired counts only, never live ones. Django would delete a third of the live ones,
        so a flood of new addresses could wipe sign-in lock-outs; the counts' keys are hashes,
        so the lock-outs cannot be told apart and kept. The table holds at most what the
        windows' live counts hold."""
        table = connections[db].ops.quote_name(self._table)
        cursor.execute(f"DELETE FROM {table} WHERE expires < %s", [now])  # noqa: S608

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        connection = self._connection()
        if connection.vendor != "postgresql":
            with self._transaction():
                return super().add(key, value, timeout, version)
        key = self.make_and_validate_key(key, version=version)
        timeout = self.get_backend_timeout(timeout)
        expires = (
            dt.datetime.max.replace(tzinfo=dt.UTC)
            if timeout is None
            else dt.datetime.fromtimestamp(timeout, tz=dt.UTC)
        ).replace(microsecond=0)
        now = timezone.now()
        table = connection.ops.quote_name(self._table)
        with connection.cursor() as cursor:
            if random.randrange(CULL_EVERY) == 0:  # noqa: S311 (a sampling, not a secret)
                cursor.execute(f"DELETE FROM {table} WHERE expires < %s", [now])  # noqa: S608
            cursor.execute(
                f"INSERT INTO {table} (cache_key, value, expires) "  # noqa: S608
                f"SELECT %s, %s, %s FROM {self._quiet(connection)} "
                "ON CONFLICT (cache_key) DO UPDATE "
                "SET value = EXCLUDED.value, expires = EXCLUDED.expires "
                f"WHERE {table}.expires < %s RETURNING 1",
                [key, self._encode(value), expires, now],
            )
            return cursor.fetchone() is not None

    def incr(self, key, delta=1, version=None):
        connection = self._connection()
        if connection.vendor != "postgresql":
            with self._transaction():
                return super().incr(key, delta, version)
        stored = self.make_and_validate_key(key, version=version)
        table = connection.ops.quote_name(self._table)
        with connection.cursor() as cursor:
            for _attempt in range(SWAP_TRIES):
                cursor.execute(
                    f"SELECT value FROM {table} WHERE cache_key = %s AND expires >= %s",  # noqa: S608
                    [stored, timezone.now()],
                )
                row = cursor.fetchone()
                if row is None:
                    raise ValueError(f"Key '{key}' not found.")
                value = self._decode(row[0]) + delta
                cursor.execute(
                    f"UPDATE {table} SET value = %s FROM {self._quiet(connection)} "  # noqa: S608
                    "WHERE cache_key = %s AND value = %s",
                    [self._encode(value), stored, row[0]],
                )
                if cursor.rowcount == 1:
                    return value
        with self._transaction():  # a key this busy: queue on its row instead
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT 1 FROM {table} WHERE cache_key = %s FOR UPDATE",  # noqa: S608
                    [stored],
                )
            return super().incr(key, delta, version)
