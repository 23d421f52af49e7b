"""Scans under load: the production server taking single scans and batches from many phones.

Targets (issue), against PostgreSQL with the production server command (`server_command`, the
README's "Production"):

- single-scan `POST /api/v1/checkins` sustains at least 1,000 durable requests/s for 30 s with
  no error, and at least 40 % of the rate of a trivial JSON endpoint (`GET /api/v1/health`, no
  database) on the same server in the same run;
- the batch endpoint ingests at least 20,000 scans/s.

The load comes from `wrk` (-t2 -c32), a C client that costs the machine little; a Lua script
gives every request a fresh random UUID v4 and a venue poster and person token drawn at random
from the 2,000 venues and 200,000 people made here. "Durable" is checked, not assumed: after the
run the check-ins stored since it began are counted and must cover every 2xx response wrk got
(a few more are fine: the requests still in flight when wrk stopped were stored but never
counted by wrk). PostgreSQL's `synchronous_commit` and `fsync` are printed too, since a 2xx is
only durable when the commit waited for the disk.

The batch client is Python (a few threads, `http.client`), posting pregenerated bodies of 1,000
fresh scans; its rate is the rows stored divided by the time taken. Its baseline is PostgreSQL's
own COPY of those very rows into a temporary copy of the check-in table, the fastest way rows
get into this server at all.

Each load test also prints the CPU time it cost per request, split between gunicorn, PostgreSQL
and the load generator, and what other processes used meanwhile: with 2 cores, 1,000 requests/s
leave 2 ms of CPU per request for all of them together, and a disturbed run shows as such.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import random
import re
import resource
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .common import Figure, Options, log, median, step
from .db import Server, connect_bench

if TYPE_CHECKING:
    from .data import Dataset

ROOT = Path(__file__).resolve().parent.parent
HEALTH_PATH = "/api/v1/health"
SCAN_PATH = "/api/v1/checkins"
BATCH_PATH = "/api/v1/checkins/batch"

VENUES = 2_000
#: About as many people as the run stores scans (~500,000): two or three visits each, as in a
#: day. With 20,000, each person had 23 visits in one minute, and every entry ended its
#: predecessor after reading all of them (the person's visits of the last 12 hours): the batch
#: rate fell through the run, from ~25,000 to ~9,000 scans/s in-process (bench/README.md).
PERSONS = 200_000
WRK_THREADS = 2
WRK_CONNECTIONS = 32
#: Untimed load before each measurement: every worker loads Django, connects, fills caches.
WARMUP_SECONDS = 3
BATCH_SIZE = 1_000
#: Batches are pregenerated for this rate; a faster server just finishes early.
BATCH_PREGEN_RATE = 40_000
BATCH_MAX_SECONDS = 20
COPY_RUNS = 3

TARGET_SCAN_RATE = 1_000.0
TARGET_SHARE = 40.0
TARGET_BATCH_RATE = 20_000.0
SEED = 2022
#: Clock ticks per second of /proc's CPU times.
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


# ---------------------------------------------------------------------------------------------
# The production server


def default_workers() -> int:
    """gunicorn sync workers for this machine: 2 per usable CPU (README "Production").

    Measured on 2 cores, 4 workers against 8 in alternating 10 s runs on one database: `GET
    /health` 3,170-3,320 req/s against 2,660-2,920, single scans 340-410 against 320-385. Every
    request keeps a CPU busy here, so more processes only add switching (bench/README.md).
    """
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return 2 * (usable or 1)


def server_command(port: int, workers: int) -> list[str]:
    """The production server command, as the README documents it; the only place it is spelled.

    No access log: one line per request written by the workers would be measured too, and a
    production server behind a reverse proxy logs there.
    """
    gunicorn = Path(sys.executable).with_name("gunicorn")
    return [
        str(gunicorn) if gunicorn.exists() else "gunicorn",
        "kiemdich.wsgi:application",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--backlog",
        "2048",
    ]


#: wrk sends every request from 127.0.0.1, one client address, which the production limits
#: (settings.RATELIMITS) would stop within a second. The run raises them instead of turning them
#: off, so every scan is still counted, in the cache production uses (the database's, or Redis
#: with REDIS_URL). Set any of these in the environment to measure with another limit.
RATELIMITS = {
    "KIEMDICH_RATELIMIT_SCAN": "1000000000/m",
    "KIEMDICH_RATELIMIT_SCAN_BACKDATED": "1000000000/m",
    "KIEMDICH_RATELIMIT_SCAN_BATCH": "1000000000/m",
}


def server_environment(server: Server) -> dict[str, str]:
    """Production settings on the bench database, with this process's keys so tokens verify."""
    from django.conf import settings

    from . import BENCH_DB

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kiemdich.settings",
        "DEBUG": "0",
        "DATABASE_URL": server.url_for(BENCH_DB),
        "CONN_MAX_AGE": "600",
        "SECRET_KEY": settings.SECRET_KEY,
        "KIEMDICH_QR_SIGNING_KEY": settings.QR_SIGNING_KEY,
        "KIEMDICH_PUBLIC_URL": settings.PUBLIC_URL,
        "ALLOWED_HOSTS": "127.0.0.1",
        **{name: os.environ.get(name, rate) for name, rate in RATELIMITS.items()},
    }


def _machine_cpu() -> tuple[float, float]:
    """(busy, all) CPU-seconds of every CPU since boot, from /proc/stat (Linux)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    total = sum(fields) / _TICK
    return total - (fields[3] + fields[4]) / _TICK, total  # idle and iowait are not busy


def cpu_busy(seconds: float = 2.0) -> float | None:
    """Share of all CPUs busy over `seconds`, before any load: other work on the machine (a
    test run, a build) takes CPU from the server and lowers every figure."""
    try:
        busy0, total0 = _machine_cpu()
        time.sleep(seconds)
        busy1, total1 = _machine_cpu()
    except (OSError, ValueError, IndexError):
        return None
    return (busy1 - busy0) / max(total1 - total0, 1e-9)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass(frozen=True)
class Running:
    """A started server: its base URL, and its master's pid (for its CPU time)."""

    base: str
    pid: int


@contextmanager
def production_server(server: Server, workers: int, logdir: Path) -> Iterator[Running]:
    """Run gunicorn until the block ends (also on error or Ctrl-C); yield where it listens."""
    port = _free_port()
    command = server_command(port, workers)
    log(f"  server: {' '.join([Path(command[0]).name, *command[1:]])}")
    logfile = logdir / "gunicorn.log"
    with logfile.open("wb") as out:
        # A session of its own: Ctrl-C in the terminal reaches only this process, which then
        # stops the server itself, gracefully.
        proc = subprocess.Popen(  # noqa: S603 (our own command line)
            command,
            cwd=ROOT,
            env=server_environment(server),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(proc, base, logfile)
        yield Running(base, proc.pid)
    finally:
        _stop(proc)
        errors = [
            line
            for line in logfile.read_text(errors="replace").splitlines()
            if "[ERROR]" in line or "Traceback" in line
        ]
        if errors:
            log(f"  server log ({logfile}) has {len(errors)} error lines, first: {errors[0]}")


def _wait_until_up(proc: subprocess.Popen, base: str, logfile: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {proc.returncode}:\n{_tail(logfile)}")
        try:
            with urllib.request.urlopen(base + HEALTH_PATH, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"gunicorn did not answer {HEALTH_PATH} in {timeout:.0f} s:\n{_tail(logfile)}"
    )


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM: gunicorn finishes the requests in hand and stops its workers; then SIGKILL."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the server's own process group, started above
        proc.wait()


# ---------------------------------------------------------------------------------------------
# Where the CPU goes


@dataclass(frozen=True)
class CpuSample:
    """CPU-seconds used so far: the whole machine, and the processes a load test involves."""

    at: float
    machine: float
    server: float
    postgres: float
    client: float


@dataclass(frozen=True)
class CpuUse:
    """CPU-seconds each part used during a load test; `other` is everything else running."""

    seconds: float
    server: float
    postgres: float
    client: float
    other: float
    idle: float

    def describe(self, requests: int, what: str = "request") -> str:
        if not requests:
            return "    CPU: nothing done"
        per = 1000 / requests
        return (
            f"    CPU per {what}: gunicorn {self.server * per:.2f} ms, PostgreSQL "
            f"{self.postgres * per:.2f} ms, load generator {self.client * per:.2f} ms; "
            f"other processes {self.other:.1f} CPU-s in {self.seconds:.0f} s, "
            f"CPUs idle {100 * self.idle:.0f} %"
        )


def _postgres_pids(server: Server) -> set[int]:
    """The server's processes that work for the bench: its backends connected to BENCH_DB and
    its background processes (WAL writer, checkpointer...), not other databases' sessions."""
    from . import BENCH_DB

    if urlsplit(server.url).hostname not in {None, "", "localhost", "127.0.0.1", "::1"}:
        return set()  # another machine's pids mean nothing here
    with connect_bench(server, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s OR datname IS NULL", (BENCH_DB,)
        ).fetchall()
    return {int(pid) for (pid,) in rows}


def cpu_sample(server_pid: int, postgres_pids: set[int]) -> CpuSample | None:
    """Linux /proc: busy time of all CPUs, of gunicorn (master and workers), of PostgreSQL's
    `postgres_pids` (when it runs on this machine), and of this process and its finished
    children (wrk)."""
    try:
        machine = _machine_cpu()[0]
        server = postgres = 0.0
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                text = Path(entry.path, "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            rest = text[text.rindex(")") + 2 :].split()
            used = (int(rest[11]) + int(rest[12])) / _TICK  # utime, stime
            pid = int(entry.name)
            if pid == server_pid or int(rest[1]) == server_pid:
                server += used
            elif pid in postgres_pids:
                postgres += used
    except (OSError, ValueError, IndexError):
        return None
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    return CpuSample(time.perf_counter(), machine, server, postgres, client)


class CpuMeter:
    """Samples before and after a load test of `running`; PostgreSQL's pids are looked up at
    the start, when the workers' persistent connections (CONN_MAX_AGE) are all open."""

    def __init__(self, server: Server, running: Running) -> None:
        self.server, self.running = server, running

    @contextmanager
    def measure(self) -> Iterator[list[CpuUse]]:
        pids = _postgres_pids(self.server)
        before = cpu_sample(self.running.pid, pids)
        found: list[CpuUse] = []
        yield found
        use = cpu_use(before, cpu_sample(self.running.pid, pids))
        if use is not None:
            found.append(use)


def cpu_use(before: CpuSample | None, after: CpuSample | None) -> CpuUse | None:
    if before is None or after is None:
        return None
    seconds = after.at - before.at
    server = after.server - before.server
    postgres = after.postgres - before.postgres
    client = after.client - before.client
    machine = after.machine - before.machine
    cpus = os.cpu_count() or 1
    return CpuUse(
        seconds=seconds,
        server=server,
        postgres=postgres,
        client=client,
        other=max(0.0, machine - server - postgres - client),
        idle=max(0.0, 1 - machine / (seconds * cpus)) if seconds else 0.0,
    )


# ---------------------------------------------------------------------------------------------
# wrk


def find_wrk() -> str:
    """The wrk binary; installed with apt-get when missing and this process may (root)."""
    path = shutil.which("wrk")
    if path:
        return path
    apt_get = shutil.which("apt-get")
    if apt_get and hasattr(os, "geteuid") and os.geteuid() == 0:
        log("  wrk is missing: apt-get install -y wrk")
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "check": False}
        install = [apt_get, "install", "-y", "-q", "wrk"]
        if subprocess.run(install, **quiet).returncode != 0:  # noqa: S603
            subprocess.run([apt_get, "update", "-q"], **quiet)  # noqa: S603
            subprocess.run(install, **quiet)  # noqa: S603
        path = shutil.which("wrk")
        if path:
            return path
    raise RuntimeError(
        "the scans benchmark needs wrk, the HTTP load generator: install it "
        "(`sudo apt-get install wrk` on Debian or Ubuntu, `brew install wrk` on macOS) and run "
        "it again"
    )


#: The wrk script. Each thread counts responses by status in `response`, and `done` (in wrk's
#: main state) sums the threads' counts and prints one JSON line for Python to read.
WRK_SCRIPT = string.Template(r"""
-- Written by bench/scans.py for one wrk run.
local mode, path, seed = "$mode", "$path", $seed
local venues_file, persons_file = "$venues", "$persons"
local random, format = math.random, string.format
local fixed, venues, persons
threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  statuses = {}
  first_error = ""
  math.randomseed(seed + 7919 * id)
  if mode == "scan" then
    venues, persons = {}, {}
    for line in io.lines(venues_file) do venues[#venues + 1] = line end
    for line in io.lines(persons_file) do persons[#persons + 1] = line end
    wrk.headers["Content-Type"] = "application/json"
  else
    fixed = wrk.format("GET", path)
  end
end

local function uuid4()
  return format("%04x%04x-%04x-%04x-%04x-%04x%04x%04x",
    random(0, 65535), random(0, 65535), random(0, 65535), 16384 + random(0, 4095),
    32768 + random(0, 16383), random(0, 65535), random(0, 65535), random(0, 65535))
end

function request()
  if fixed then return fixed end
  local body = '{"client_id":"' .. uuid4() .. '","venue":' .. venues[random(#venues)]
    .. ',"person_token":' .. persons[random(#persons)] .. ',"direction":"in"}'
  return wrk.format("POST", path, nil, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 300 and first_error == "" then
    first_error = status .. " " .. string.sub(body or "", 1, 300)
  end
end

function done(summary, latency, requests)
  local total, first = {}, ""
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + n
    end
    if first == "" then first = thread:get("first_error") or "" end
  end
  local parts = {}
  for status, n in pairs(total) do parts[#parts + 1] = format('"%d": %d', status, n) end
  local e = summary.errors
  io.write(format('\nBENCH_RESULT {"duration_us": %d, "requests": %d, "statuses": {%s}, '
    .. '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, '
    .. '"latency_us": {"p50": %d, "p99": %d, "max": %d}}\n',
    summary.duration, summary.requests, table.concat(parts, ", "), e.connect, e.read,
    e.write, e.timeout, latency:percentile(50), latency:percentile(99), latency.max))
  io.write("BENCH_FIRST_ERROR " .. string.gsub(first, "%s+", " ") .. "\n")
end
""")


@dataclass(frozen=True)
class Load:
    """What one wrk run got back."""

    label: str
    seconds: float
    statuses: dict[int, int]
    socket_errors: dict[str, int]
    latency_ms: dict[str, float]
    first_error: str = ""

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    @property
    def rate(self) -> float:
        """2xx responses per second: failures are not throughput."""
        return self.ok / self.seconds

    @property
    def failed(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    @property
    def errors(self) -> int:
        return self.failed + sum(self.socket_errors.values())

    def describe(self) -> str:
        statuses = ", ".join(f"{n:,}×{status}" for status, n in sorted(self.statuses.items()))
        sockets = ", ".join(f"{k} {n}" for k, n in self.socket_errors.items() if n) or "none"
        lat = self.latency_ms
        text = (
            f"  {self.label}: {self.rate:,.0f} req/s over {self.seconds:.1f} s ({statuses or 'no'}"
            f" responses; socket errors: {sockets}; latency p50 {lat['p50']:.1f} ms, p99 "
            f"{lat['p99']:.1f} ms, max {lat['max']:.0f} ms)"
        )
        if self.first_error:
            text += f"\n    first failure: {self.first_error}"
        return text


@dataclass
class Scanners:
    """What the load generators send: venue posters and person tokens, as JSON strings."""

    venues: list[str]
    persons: list[str]
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))  # noqa: S311

    def write(self, directory: Path) -> tuple[Path, Path]:
        """One JSON string literal a line, for the Lua script to paste into bodies as it is."""
        venues, persons = directory / "venues.txt", directory / "persons.txt"
        venues.write_text("".join(json.dumps(v) + "\n" for v in self.venues))
        persons.write_text("".join(json.dumps(p) + "\n" for p in self.persons))
        return venues, persons

    def client_id(self) -> str:
        bits = self.rng.getrandbits(128)
        bits = (bits & ~(0xF000 << 64)) | (0x4000 << 64)
        bits = (bits & ~(0xC000 << 48)) | (0x8000 << 48)
        h = f"{bits:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def batch_body(self, size: int) -> bytes:
        choice, venues, persons = self.rng.choice, self.venues, self.persons
        items = ",".join(
            f'{{"client_id":"{self.client_id()}","venue":{json.dumps(choice(venues))},'
            f'"person_token":{json.dumps(choice(persons))},"direction":"in"}}'
            for _ in range(size)
        )
        return f'{{"items":[{items}]}}'.encode()


def run_wrk(wrk: str, base: str, path: str, seconds: int, files: tuple[Path, Path]) -> Load:
    """One wrk run: GET `path` over and over, or POST fresh scans to it when it is SCAN_PATH."""
    mode = "scan" if path == SCAN_PATH else "get"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            WRK_SCRIPT.substitute(
                mode=mode,
                path=path,
                seed=random.SystemRandom().randrange(2**31),
                venues=files[0],
                persons=files[1],
            )
        )
    try:
        command = [
            wrk,
            f"-t{WRK_THREADS}",
            f"-c{WRK_CONNECTIONS}",
            f"-d{seconds}s",
            "-s",
            script.name,
            base + path,
        ]
        done = subprocess.run(  # noqa: S603 (our own command line)
            command, capture_output=True, text=True, timeout=seconds + 60, check=False
        )
    finally:
        os.unlink(script.name)
    result = first_error = None
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            result = json.loads(line.removeprefix("BENCH_RESULT "))
        elif line.startswith("BENCH_FIRST_ERROR"):
            first_error = line.removeprefix("BENCH_FIRST_ERROR").strip()
    if done.returncode != 0 or result is None:
        raise RuntimeError(
            f"wrk failed (status {done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    return Load(
        label=f"{'POST' if mode == 'scan' else 'GET'} {path}",
        seconds=result["duration_us"] / 1e6,
        statuses={int(k): v for k, v in result["statuses"].items()},
        socket_errors=result["errors"],
        latency_ms={k: v / 1000 for k, v in result["latency_us"].items()},
        first_error=first_error or "",
    )


# ---------------------------------------------------------------------------------------------
# Batches


@dataclass(frozen=True)
class BatchLoad:
    seconds: float
    requests: int
    #: What the 200 responses said: items stored, and items replayed or refused.
    items_stored: int
    items_refused: int
    #: Requests answered with another status than 200, or not at all.
    failed: int
    ran_out: bool
    first_error: str = ""


#: A batch response ends with its counts: read them there rather than parse 1,000 results.
BATCH_COUNTS = re.compile(rb'"stored": ?(\d+), ?"replayed": ?(\d+), ?"failed": ?(\d+)}$')


def _first_failure(status: int, data: bytes) -> str:
    """A readable failure: the first refused item of a batch, or the start of the body."""
    if status == 200:
        try:
            results = json.loads(data)["results"]
            item = next(r for r in results if r["status"] != 201)
            return f"item {item['status']} {item['code']}: {item['detail']}"
        except (ValueError, KeyError, StopIteration):
            pass
    return f"{status} {data[:300].decode(errors='replace')}"


def post_batches(base: str, bodies: list[bytes], seconds: float, connections: int) -> BatchLoad:
    """Post `bodies` from `connections` threads until `seconds` have passed or none are left."""
    host, port = base.removeprefix("http://").split(":")
    lock = threading.Lock()
    queue = iter(bodies)
    counts = {"requests": 0, "items": 0, "refused": 0, "failed": 0}
    first_error: list[str] = []
    ran_out = threading.Event()
    start = time.perf_counter()
    deadline = start + seconds

    def client() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=120)
        headers = {"Content-Type": "application/json"}
        while time.perf_counter() < deadline:
            with lock:
                body = next(queue, None)
            if body is None:
                ran_out.set()
                break
            try:
                conn.request("POST", BATCH_PATH, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                status, data = 0, repr(exc).encode()
            tail = BATCH_COUNTS.search(data[-200:])
            with lock:
                counts["requests"] += 1
                if status == 200 and tail:
                    counts["items"] += int(tail[1])
                    counts["refused"] += int(tail[2]) + int(tail[3])
                if (status != 200 or not tail or int(tail[3])) and not first_error:
                    first_error.append(_first_failure(status, data))
                if status != 200:
                    counts["failed"] += 1
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return BatchLoad(
        seconds=time.perf_counter() - start,
        requests=counts["requests"],
        items_stored=counts["items"],
        items_refused=counts["refused"],
        failed=counts["failed"],
        ran_out=ran_out.is_set(),
        first_error=first_error[0] if first_error else "",
    )


# ---------------------------------------------------------------------------------------------
# The database side


def _checkin_table() -> str:
    from kiemdich.checkins.models import Checkin

    return Checkin._meta.db_table


def last_checkin_id(server: Server) -> int:
    with connect_bench(server) as conn:
        row = conn.execute(f"SELECT coalesce(max(id), 0) FROM {_checkin_table()}").fetchone()  # noqa: S608
        return int(row[0])


def stored_since(server: Server, after_id: int) -> int:
    """Check-ins stored after `after_id`, once the server has finished the requests in hand."""
    sql = f"SELECT count(*) FROM {_checkin_table()} WHERE id > %s"  # noqa: S608
    with connect_bench(server, autocommit=True) as conn:
        previous = -1
        for _ in range(50):
            count = int(conn.execute(sql, (after_id,)).fetchone()[0])
            if count == previous:
                return count
            previous = count
            time.sleep(0.2)
        return count


def durability_settings(server: Server) -> str:
    with connect_bench(server) as conn:
        values = [
            f"{name}={conn.execute(f'SHOW {name}').fetchone()[0]}"
            for name in ("synchronous_commit", "fsync", "wal_sync_method", "commit_delay")
        ]
    return ", ".join(values)


def copy_rates(server: Server, after_id: int) -> tuple[int, dict[str, list[float]]]:
    """COPY the check-ins stored after `after_id`, as they are, into a temporary copy of the
    check-in table; return the rows and the rows/s of each run, by what the copy includes.

    "DEFAULTS" is the table's columns alone (the baseline); "ALL" adds its indexes, which the
    real table makes every insert maintain. Temporary tables skip the WAL either way. The rows
    are read out first, so only PostgreSQL's side is timed: parsing, storing, the commit.
    """
    from psycopg import sql

    table = sql.Identifier(_checkin_table())
    select = sql.SQL("COPY (SELECT * FROM {} WHERE id > {} ORDER BY id) TO STDOUT").format(
        table, sql.Literal(after_id)
    )
    rates: dict[str, list[float]] = {"DEFAULTS": [], "ALL": []}
    with connect_bench(server) as conn:
        with conn.cursor() as cur, cur.copy(select) as copy:
            data = b"".join(bytes(block) for block in copy)
        rows = data.count(b"\n")
        conn.commit()
        create = {
            "DEFAULTS": sql.SQL("CREATE TEMP TABLE bench_copy (LIKE {} INCLUDING DEFAULTS)"),
            "ALL": sql.SQL("CREATE TEMP TABLE bench_copy (LIKE {} INCLUDING ALL)"),
        }
        for including, runs in rates.items():
            for _ in range(COPY_RUNS if rows else 0):
                conn.execute(create[including].format(table))
                conn.commit()
                start = time.perf_counter()
                with conn.cursor() as cur, cur.copy("COPY bench_copy FROM STDIN") as copy:
                    for offset in range(0, len(data), 1 << 20):
                        copy.write(data[offset : offset + (1 << 20)])
                conn.commit()
                runs.append(rows / (time.perf_counter() - start))
                conn.execute("DROP TABLE bench_copy")
                conn.commit()
    return rows, rates


# ---------------------------------------------------------------------------------------------
# The data


def make_scanners(dataset: Dataset, options: Options) -> Scanners:
    """VENUES active venues' poster payloads and PERSONS people's tokens."""
    from kiemdich.declarations.models import Gender, Person
    from kiemdich.declarations.services import person_token
    from kiemdich.geo.models import Level, Unit
    from kiemdich.venues.models import Status, Venue
    from kiemdich.venues.signing import current_key, sign

    from .data import GIVEN_NAMES, PROVINCE, STREETS

    rng = random.Random(SEED)  # noqa: S311 (test data[-200:])
    dataset.ensure_venues(max(options.venues, VENUES))
    # A province's table holds a year of scans (as after the checkpoints benchmark): run alone
    # on an empty table, VACUUM ANALYZE would record "no rows", and PostgreSQL would cache
    # plans for that (a sequential scan to end visits) in a state no deployment is in.
    dataset.ensure_checkins(options.checkins)
    with step(f"{VENUES:,} venue payloads"):
        ids = list(
            Venue.objects.filter(status=Status.ACTIVE).order_by("pk").values_list("pk", flat=True)
        )
        key = current_key()
        venues = [sign(pk, key) for pk in rng.sample(ids, min(VENUES, len(ids)))]
    with step(f"{PERSONS:,} people and their tokens"):
        communes = list(
            Unit.objects.filter(level=Level.COMMUNE, path__startswith=f"{PROVINCE}/").values_list(
                "code", flat=True
            )
        )
        family = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Điểu", "Thị")
        genders = [str(g.value) for g in (Gender.MALE, Gender.FEMALE)]
        people = Person.objects.bulk_create(
            [
                Person(
                    full_name=f"{rng.choice(family)} {rng.choice(GIVEN_NAMES)}",
                    birth_year=rng.randint(1940, 2015),
                    gender=rng.choice(genders),
                    nationality="VN",
                    id_number=f"0{rng.randrange(10**11):011d}",
                    phone=f"09{rng.randrange(10**8):08d}",
                    commune_id=rng.choice(communes),
                    address=f"Số {rng.randint(1, 400)}, {rng.choice(STREETS)}",
                )
                for _ in range(PERSONS)
            ],
            batch_size=2_000,
        )
        persons = [person_token(person) for person in people]
    return Scanners(venues=venues, persons=persons, rng=rng)


# ---------------------------------------------------------------------------------------------
# The benchmark


def metered_wrk(
    meter: CpuMeter, wrk: str, path: str, seconds: int, files: tuple[Path, Path]
) -> Load:
    """run_wrk, and print what it got and the CPU time each process spent per request."""
    with meter.measure() as use:
        load = run_wrk(wrk, meter.running.base, path, seconds, files)
    log(load.describe())
    for found in use:
        log(found.describe(load.ok + load.failed))
    return load


def measure_single(
    server: Server, wrk: str, meter: CpuMeter, files: tuple[Path, Path], seconds: int
) -> tuple[Load, Load, int]:
    """Warm up, then the trivial endpoint and single scans, each for `seconds`."""
    with step(f"warm-up, {WARMUP_SECONDS} s of each endpoint"):
        for path in (HEALTH_PATH, SCAN_PATH):
            run_wrk(wrk, meter.running.base, path, WARMUP_SECONDS, files)
    trivial = metered_wrk(meter, wrk, HEALTH_PATH, seconds, files)
    before = last_checkin_id(server)
    scans = metered_wrk(meter, wrk, SCAN_PATH, seconds, files)
    stored = stored_since(server, before)
    return trivial, scans, stored


def measure_batches(
    server: Server, scanners: Scanners, meter: CpuMeter, seconds: int, connections: int
) -> tuple[BatchLoad, int, int, CpuUse | None]:
    """Post batches from `connections` threads, one per gunicorn worker: on 2 cores, with 3
    threads for 4 workers, the machine sat 11 % idle while commits waited for the disk, and 4
    threads stored 24,086-25,574 scans/s against 22,797-23,912 (alternating 12 s runs)."""
    count = math.ceil(seconds * BATCH_PREGEN_RATE / BATCH_SIZE)
    with step(f"{count} batch bodies of {BATCH_SIZE:,} scans"):
        warmup = [scanners.batch_body(BATCH_SIZE) for _ in range(connections)]
        bodies = [scanners.batch_body(BATCH_SIZE) for _ in range(count)]
    log(f"    {sum(map(len, bodies)) / len(bodies) / 1024:,.0f} KiB each")
    base = meter.running.base
    post_batches(base, warmup, seconds, connections)
    before = last_checkin_id(server)
    with meter.measure() as use:
        load = post_batches(base, bodies, seconds, connections)
    stored = stored_since(server, before)
    return load, stored, before, use[0] if use else None


def run(dataset: Dataset, options: Options) -> list[Figure]:
    wrk = find_wrk()
    server = dataset.server
    workers = options.scan_workers or default_workers()
    seconds = options.scan_seconds
    scanners = make_scanners(dataset, options)
    from .data import vacuum_analyze

    with step("VACUUM ANALYZE"):
        vacuum_analyze(server)
    log(f"  PostgreSQL: {durability_settings(server)}")
    log(f"  check-ins already stored: {last_checkin_id(server):,} (highest id)")
    busy = cpu_busy()
    if busy is not None:
        log(
            f"  CPU busy before the load: {100 * busy:.0f} %"
            + (" ✗ other work is running: the figures will be low" if busy > 0.15 else "")
        )

    with (
        tempfile.TemporaryDirectory(prefix="kiemdich-bench-") as tmp,
        production_server(server, workers, Path(tmp)) as running,
    ):
        files = scanners.write(Path(tmp))
        meter = CpuMeter(server, running)
        trivial, scans, stored = measure_single(server, wrk, meter, files, seconds)
        batch_seconds = min(seconds, BATCH_MAX_SECONDS)
        batch, batch_stored, batch_after, batch_cpu = measure_batches(
            server, scanners, meter, batch_seconds, workers
        )

    # Durable: every 2xx is a stored row. Rows beyond that were in flight when wrk stopped
    # (at most one per connection); fewer rows than 2xx responses would be lost scans.
    lost = max(0, scans.ok - stored)
    in_flight = stored - scans.ok
    durable = lost == 0 and in_flight <= WRK_CONNECTIONS
    replays = scans.statuses.get(200, 0)
    log(
        f"  durable: {stored:,} check-ins stored during the run, {scans.ok:,} 2xx responses "
        f"({scans.statuses.get(201, 0):,} created, {replays:,} replays), {in_flight:,} in "
        f"flight at the end {'✓' if durable else '✗ MISMATCH'}"
    )
    share = 100 * scans.rate / trivial.rate if trivial.rate else 0.0
    log(
        f"  single scans: {scans.rate:,.0f} req/s = {share:.0f} % of the trivial endpoint's "
        f"{trivial.rate:,.0f} req/s ({workers} gunicorn workers)"
    )

    batch_rate = batch_stored / batch.seconds if batch.seconds else 0.0
    # Every item a 200 response reports as stored must be a row, and no more rows than that.
    mismatch = abs(batch.items_stored - batch_stored)
    log(
        f"  batches: {batch.requests:,} requests of {BATCH_SIZE:,} scans from "
        f"{workers} connections in {batch.seconds:.1f} s, {batch.failed:,} failed, "
        f"{batch.items_refused:,} items refused or replayed; {batch_stored:,} check-ins stored, "
        f"{batch.items_stored:,} reported stored {'✓' if not mismatch else '✗ MISMATCH'}: "
        f"{batch_rate:,.0f} scans/s"
        + (" (all pregenerated bodies sent before the time was up)" if batch.ran_out else "")
    )
    if batch_cpu is not None:
        log(batch_cpu.describe(batch_stored, "scan"))
    if batch.first_error:
        log(f"    first failure: {batch.first_error}")
    with step(f"COPY baseline, {COPY_RUNS} runs without and with the indexes"):
        copied, rates = copy_rates(server, batch_after)
    copy_rate = median(rates["DEFAULTS"]) if rates["DEFAULTS"] else None
    for including, runs in rates.items():
        if runs:
            log(
                f"  COPY of the same {copied:,} rows into a temporary table "
                f"{'with the indexes' if including == 'ALL' else '(columns only)'}: "
                f"{median(runs):,.0f} rows/s median (runs: {', '.join(f'{r:,.0f}' for r in runs)})"
                f"; batches reach {100 * batch_rate / median(runs):.0f} % of it"
            )

    return [
        Figure(
            name=f"single scans, POST {SCAN_PATH.removeprefix('/api/v1')}",
            unit="req/s",
            median=scans.rate,
            target=TARGET_SCAN_RATE,
            baseline=trivial.rate,
            baseline_label=f"GET {HEALTH_PATH.removeprefix('/api/v1')}",
            higher_is_better=True,
            ratio_target=TARGET_SHARE / 100,
            errors=scans.errors + trivial.errors + lost,
        ),
        Figure(
            name=f"batches of {BATCH_SIZE:,}, POST {BATCH_PATH.removeprefix('/api/v1')}",
            unit="scans/s",
            median=batch_rate,
            target=TARGET_BATCH_RATE,
            baseline=copy_rate,
            baseline_label="COPY into a temp table (columns only)",
            higher_is_better=True,
            errors=batch.failed + batch.items_refused + mismatch,
        ),
    ]
