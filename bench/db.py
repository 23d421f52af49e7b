"""The bench database: found from DATABASE_URL, always a separate `kiemdich_bench` database.

The developer's DATABASE_URL names their own data (or the test runner's); the benchmarks only
borrow its server and credentials. The single statement that deletes anything names BENCH_DB,
which is a constant, so no environment can turn it against another database.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from . import BENCH_DB

POSTGRES_SCHEMES = frozenset({"postgres", "postgresql", "pgsql", "postgis"})


class NotPostgres(Exception):
    """DATABASE_URL is missing or not PostgreSQL; the message says what to do."""


@dataclass(frozen=True)
class Server:
    """Where the PostgreSQL server is and how to log in, from DATABASE_URL."""

    url: str

    @classmethod
    def from_url(cls, url: str | None) -> Server:
        if not url:
            raise NotPostgres(
                "DATABASE_URL is not set, so Django would use SQLite. The targets are about "
                "PostgreSQL: run `make bench`, which finds or starts one (scripts/testdb.py)."
            )
        scheme = urlsplit(url).scheme.lower()
        if scheme not in POSTGRES_SCHEMES:
            raise NotPostgres(
                f"DATABASE_URL uses {scheme or 'no scheme'!r}, not PostgreSQL. SQLite has no "
                "COPY, no parallel scans and another planner, so its times would say nothing "
                "about the targets."
            )
        return cls(url)

    def conninfo(self, dbname: str) -> str:
        """A libpq connection string for `dbname` on this server (for psycopg directly)."""
        parts = urlsplit(self.url)
        params = {
            "host": unquote(parts.hostname or "") or None,
            "port": parts.port,
            "user": unquote(parts.username) if parts.username else None,
            "password": unquote(parts.password) if parts.password else None,
            "dbname": dbname,
        }
        # Query parameters such as ?sslmode=require are libpq options; keep them.
        params.update(dict(parse_qsl(parts.query)))
        return make_conninfo(**{k: v for k, v in params.items() if v is not None})

    def url_for(self, dbname: str) -> str:
        """DATABASE_URL for `dbname` on this server (for Django, via dj_database_url)."""
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(path=f"/{dbname}"))

    @property
    def where(self) -> str:
        """host:port for the header, without credentials."""
        parts = urlsplit(self.url)
        return f"{parts.hostname or 'local socket'}:{parts.port or 5432}"


def recreate_bench_db(server: Server) -> None:
    """Drop and create BENCH_DB, via the `postgres` maintenance database.

    A fresh database every run means no leftovers from an older schema or an interrupted run,
    and sizes and plans are the same each time. FORCE ends sessions still connected to it (an
    earlier run's psql, say); it only ever applies to BENCH_DB.
    """
    with psycopg.connect(server.conninfo("postgres"), autocommit=True) as conn:
        name = sql.Identifier(BENCH_DB)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def connect_bench(server: Server, *, autocommit: bool = False) -> psycopg.Connection:
    """A plain psycopg connection to BENCH_DB, for COPY and maintenance outside Django."""
    return psycopg.connect(server.conninfo(BENCH_DB), autocommit=autocommit)
