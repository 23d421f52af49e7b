"""The counts are shared by every worker: separate processes count one total (settings.CACHES)."""

import concurrent.futures
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.declarations.conftest import DECLARATION

pytestmark = pytest.mark.django_db(transaction=True)

#: Counts hits in the "declare" group for one address, in a process of its own.
HITS = """
import os, sys
import django
django.setup()
from types import SimpleNamespace
from kiemdich.ratelimit import RateLimited, hit
limited = 0
for _ in range(int(sys.argv[1])):
    try:
        hit(SimpleNamespace(META={"REMOTE_ADDR": "198.51.100.7"}), ["declare"])
    except RateLimited:
        limited += 1
print(limited)
"""


def environment(**extra: str) -> dict[str, str]:
    s = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kiemdich.settings",
        "DATABASE_URL": f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}",
        **extra,
    }


def test_two_processes_share_one_count():
    env = environment(KIEMDICH_RATELIMIT_DECLARE="10/h")
    run = [sys.executable, "-c", HITS, "6"]
    options = {"env": env, "capture_output": True, "text": True, "timeout": 60, "check": True}
    first = subprocess.run(run, **options)  # noqa: S603
    second = subprocess.run(run, **options)  # noqa: S603
    assert (int(first.stdout), int(second.stdout)) == (0, 2)  # 12 hits, the last 2 over 10


def test_concurrent_hits_are_none_lost(limits):
    """Django's DatabaseCache incr is a read then a write; kiemdich.cache locks the row."""
    from types import SimpleNamespace

    from kiemdich.ratelimit import _usage

    limits(declare="100000/h")  # the rate is part of the counter's key: as in the children
    env = environment(KIEMDICH_RATELIMIT_DECLARE="100000/h")
    run = [sys.executable, "-c", HITS, "50"]
    processes = [subprocess.Popen(run, env=env, stdout=subprocess.PIPE) for _ in range(4)]  # noqa: S603
    for process in processes:
        assert process.wait(timeout=120) == 0
    usage = _usage(SimpleNamespace(META={}), "declare", "198.51.100.7", increment=False)
    assert usage["count"] == 200


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port: int) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/declarations",
        data=json.dumps({**DECLARATION, "commune_code": "99999"}).encode(),
        headers={"Content-Type": "application/json", "Connection": "close"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_gunicorn_workers_share_one_count(tmp_path):
    """4 clients at once against 2 sync workers: 20 requests, exactly 8 within the limit (the
    others 429), as one process would count; each worker on its own would let up to 16 pass."""
    port = free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = (tmp_path / "gunicorn.log").open("w")
    env = environment(KIEMDICH_RATELIMIT_DECLARE="8/h", ALLOWED_HOSTS="127.0.0.1")
    server = subprocess.Popen(  # noqa: S603
        [str(gunicorn), "kiemdich.wsgi:application", "--workers", "2", "--bind",
         f"127.0.0.1:{port}"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "gunicorn died"
                time.sleep(0.2)
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(post, [port] * 20))
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    # 422: counted, then refused for its unknown commune (nothing stored either way).
    assert sorted(statuses) == [422] * 8 + [429] * 12


def test_a_full_cache_deletes_expired_counts_and_never_live_ones():
    """A flood of new addresses must not wipe a sign-in lock-out: over MAX_ENTRIES only what
    has expired goes."""
    import time as clock

    from kiemdich.cache import DatabaseCache

    cache = DatabaseCache("kiemdich_cache", {"OPTIONS": {"MAX_ENTRIES": 10}})
    cache.clear()
    cache.set("lockout", 5, timeout=900)
    for n in range(5):
        cache.set(f"old:{n}", 1, timeout=1)
    clock.sleep(2.1)  # expiry times are kept in whole seconds
    for n in range(40):
        cache.set(f"scan:{n}", 1, timeout=60)
    assert cache.get("lockout") == 5
    assert all(cache.get(f"scan:{n}") == 1 for n in range(40))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM kiemdich_cache WHERE cache_key LIKE %s", ["%old:%"])
        assert cursor.fetchone()[0] == 0


def test_concurrent_batches_never_take_more_than_the_limit(limits):
    """Counted first, given back after: batches taking room at once never pass the limit."""
    from types import SimpleNamespace

    from django.db import connections

    from kiemdich.ratelimit import take

    limits(scan_backdated="30/m")
    request = SimpleNamespace(META={"REMOTE_ADDR": "198.51.100.8"})

    def batch(_n: int) -> int:
        try:
            return take(request, "scan-backdated", 5)
        finally:
            connections.close_all()

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        taken = list(pool.map(batch, range(20)))
    assert sum(taken) <= 30
    assert take(request, "scan-backdated", 5) <= 30 - sum(taken)
