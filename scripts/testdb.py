#!/usr/bin/env python3
"""Run a command with DATABASE_URL pointing at a reachable PostgreSQL.

Usage (from ``make test``)::

    python scripts/testdb.py -- <command ...>

Why this exists: the test suite must run against PostgreSQL (the production
database), not SQLite, yet developers and CI machines differ.  Rather than
asking everyone to configure a database by hand, this wrapper picks one, in
this order:

a. ``DATABASE_URL`` already set and non-empty: used unchanged, so an explicit
   choice always wins.
b. A server accepting connections on 127.0.0.1:5432 (a developer's local
   PostgreSQL): ``postgres://postgres@127.0.0.1:5432/kiemdich``.  If ``psql``
   is installed the login is verified first; when the server wants a password
   we cannot give, we fall through to (c) instead of failing every test.
c. Otherwise a throw-away server is created in a temporary directory on a free
   port (fsync off, trust auth), used for the command and always removed
   afterwards, also on failure or Ctrl-C.  This is what CI uses: it needs
   nothing but the PostgreSQL server binaries.

``KIEMDICH_TEST_PG=own`` forces (c) even when (b) would be possible, so the
throw-away path can be exercised on a machine that runs PostgreSQL.

The script only uses the standard library and does not import Django, because
it runs before the project's dependencies are guaranteed to be importable.
It exits with the command's exit code (128+N if the command died of signal N),
and with 2 when no database could be provided.
"""

# The subprocess calls run fixed PostgreSQL tools and the developer's own command.
# ruff: noqa: S603

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

DB_NAME = "kiemdich"
DB_USER = "postgres"
LOCAL_HOST = "127.0.0.1"
LOCAL_PORT = 5432
# The OS account that owns the throw-away cluster when we run as root.
PG_OS_USER = "postgres"
FORCE_ENV = "KIEMDICH_TEST_PG"

EXIT_SETUP_FAILED = 2


class SetupError(Exception):
    """No database could be provided; the message is shown to the user."""


class Terminated(Exception):
    """Raised from a SIGTERM/SIGHUP handler so that cleanup code still runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"received signal {signum}")
        self.signum = signum


def log(message: str) -> None:
    """Print a one-line status message to stderr (stdout belongs to the command)."""
    print(f"testdb: {message}", file=sys.stderr, flush=True)


def _raise_terminated(signum: int, _frame: FrameType | None) -> None:
    """Turn SIGTERM/SIGHUP into an exception, so ``finally`` blocks stop the server."""
    raise Terminated(signum)


# --------------------------------------------------------------------------
# (b) an already running local server
# --------------------------------------------------------------------------


def tcp_port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    """Return True if something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def local_server_ready() -> bool:
    """Return True if a PostgreSQL server answers on 127.0.0.1:5432.

    A plain socket connect proves only that *something* listens there; when
    ``pg_isready`` is available it confirms that it is PostgreSQL and that it
    accepts connections (not starting up or shutting down).
    """
    if not tcp_port_open(LOCAL_HOST, LOCAL_PORT):
        return False
    pg_isready = shutil.which("pg_isready")
    if pg_isready is None:
        return True
    result = subprocess.run(
        [pg_isready, "-q", "-h", LOCAL_HOST, "-p", str(LOCAL_PORT), "-t", "3"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return result.returncode == 0


def _client_env() -> dict[str, str]:
    """Environment for psql/createdb probes: never prompt, never hang long."""
    env = dict(os.environ)
    env.setdefault("PGCONNECT_TIMEOUT", "5")
    return env


def prepare_local_server() -> str | None:
    """Check that we can log in to the local server and that DB_NAME exists.

    Returns None when the server is usable (or cannot be checked because
    ``psql`` is missing), else a reason why it is not usable.  Creating the
    empty ``kiemdich`` database, if missing, makes the URL valid for anything
    besides the Django test runner (which creates its own test database).
    """
    psql = shutil.which("psql")
    if psql is None:
        return None
    base = [psql, "-X", "-w", "-h", LOCAL_HOST, "-p", str(LOCAL_PORT), "-U", DB_USER]
    exists_sql = f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'"  # noqa: S608 (constant)
    probe = subprocess.run(
        [*base, "-d", "postgres", "-Atc", exists_sql],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=_client_env(),
        check=False,
    )
    if probe.returncode != 0:
        reason = probe.stderr.strip().splitlines()
        return reason[-1] if reason else f"psql exited with {probe.returncode}"
    if probe.stdout.strip() != "1":
        created = subprocess.run(
            [*base, "-d", "postgres", "-c", f'CREATE DATABASE "{DB_NAME}"'],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=_client_env(),
            check=False,
        )
        if created.returncode == 0:
            log(f"created database {DB_NAME!r} on {LOCAL_HOST}:{LOCAL_PORT}")
        else:
            # Not fatal: Django's test runner only needs the server.
            log(f"note: could not create database {DB_NAME!r}: {created.stderr.strip()}")
    return None


# --------------------------------------------------------------------------
# (c) a throw-away server
# --------------------------------------------------------------------------


def _version_key(path: Path) -> tuple[int, ...]:
    """Sort key for /usr/lib/postgresql/<version>/bin directories."""
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name)) or (0,)


def find_server_bindir() -> Path | None:
    """Return the directory holding initdb and pg_ctl, or None.

    ``initdb`` is preferred from PATH; Debian/Ubuntu do not put it there, so
    the newest ``/usr/lib/postgresql/*/bin`` is the fallback.  Symlinks are
    resolved so that pg_ctl, postgres and createdb come from the same version.
    """
    on_path = shutil.which("initdb")
    if on_path is not None:
        bindir = Path(on_path).resolve().parent
        if (bindir / "pg_ctl").exists() or shutil.which("pg_ctl"):
            return bindir
    candidates = [
        p
        for p in Path("/usr/lib/postgresql").glob("*/bin")
        if (p / "initdb").exists() and (p / "pg_ctl").exists()
    ]
    if candidates:
        return max(candidates, key=_version_key)
    return None


def _tool(bindir: Path, name: str) -> str | None:
    """Find a PostgreSQL program next to initdb first, then on PATH."""
    candidate = bindir / name
    if candidate.exists() and os.access(candidate, os.X_OK):
        return str(candidate)
    return shutil.which(name)


def free_port() -> int:
    """Ask the kernel for a currently unused TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCAL_HOST, 0))
        return int(sock.getsockname()[1])


class ThrowAwayServer:
    """A private PostgreSQL cluster in a temporary directory.

    initdb and pg_ctl refuse to run as root, so when we are root they are run
    as the ``postgres`` OS user through ``runuser`` and the directory is
    handed over to that user.
    """

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.initdb = _tool(bindir, "initdb")
        self.pg_ctl = _tool(bindir, "pg_ctl")
        if self.initdb is None or self.pg_ctl is None:
            raise SetupError(f"initdb/pg_ctl not found in {bindir}")
        self.as_root = os.geteuid() == 0
        self.prefix: list[str] = []
        self.owner: pwd.struct_passwd | None = None
        if self.as_root:
            runuser = shutil.which("runuser") or next(
                (p for p in ("/usr/sbin/runuser", "/sbin/runuser") if os.path.exists(p)), None
            )
            if runuser is None:
                raise SetupError("running as root, but 'runuser' is missing (needed to run initdb)")
            try:
                self.owner = pwd.getpwnam(PG_OS_USER)
            except KeyError:
                raise SetupError(
                    f"running as root, but OS user {PG_OS_USER!r} does not exist "
                    "(initdb refuses to run as root); run as a normal user or set DATABASE_URL"
                ) from None
            self.prefix = [runuser, "-u", PG_OS_USER, "--"]
        self.tmp: Path | None = None
        self.port: int | None = None

    @property
    def data(self) -> Path:
        """The cluster's data directory."""
        assert self.tmp is not None
        return self.tmp / "data"

    @property
    def logfile(self) -> Path:
        """Server log; pg_ctl needs one so the server does not hold our stderr open."""
        assert self.tmp is not None
        return self.tmp / "server.log"

    def _run(
        self, args: Sequence[str], *, as_owner: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL program (as the cluster owner if needed), capturing output."""
        cmd = [*self.prefix, *args] if as_owner else list(args)
        return subprocess.run(
            cmd,
            cwd=self.tmp,  # the owner may not be allowed into our working directory
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )

    def start(self) -> None:
        """Create the cluster, start it on a free port and create DB_NAME."""
        # As root the directory must be reachable by the postgres user, so
        # stay in /tmp even if TMPDIR points into root's home.  The short
        # path also keeps the Unix socket path below its ~107 byte limit.
        base = "/tmp" if self.as_root and os.path.isdir("/tmp") else None  # noqa: S108
        self.tmp = Path(tempfile.mkdtemp(prefix="kiemdich-pg-", dir=base))
        if self.owner is not None:
            os.chown(self.tmp, self.owner.pw_uid, self.owner.pw_gid)
        self._initdb()
        self._pg_ctl_start()
        self._createdb()

    def _initdb(self) -> None:
        """initdb with a UTF-8 locale, falling back to --no-locale if C.UTF-8 is unavailable."""
        assert self.initdb is not None
        common = [self.initdb, "-D", str(self.data), "-U", DB_USER, "--auth=trust", "-E", "UTF8"]
        result = self._run([*common, "--locale=C.UTF-8"])
        if result.returncode != 0:
            shutil.rmtree(self.data, ignore_errors=True)
            result = self._run([*common, "--no-locale"])
        if result.returncode != 0:
            raise SetupError(f"initdb failed:\n{result.stdout}{result.stderr}")

    def _pg_ctl_start(self) -> None:
        """Start the server; retry with another port if we lost a race for one."""
        assert self.pg_ctl is not None and self.tmp is not None
        last_error = ""
        for _attempt in range(3):
            port = free_port()
            result = self._start_on(port)
            if result.returncode == 0:
                self.port = port
                return
            last_error = result.stdout + result.stderr + self._log_tail()
            self._kill_leftover()
        raise SetupError(f"pg_ctl start failed:\n{last_error}")

    def _start_on(self, port: int) -> subprocess.CompletedProcess[str]:
        """pg_ctl start on `port`, waiting until the server accepts connections."""
        assert self.pg_ctl is not None and self.tmp is not None
        options = " ".join(
            [
                f"-p {port}",
                f"-k {shlex.quote(str(self.tmp))}",
                "-c listen_addresses=127.0.0.1",
                "-c fsync=off",
                "-c full_page_writes=off",
                "-c synchronous_commit=off",
            ]
        )
        return self._run(
            [
                *(self.pg_ctl, "-D", str(self.data), "-l", str(self.logfile)),
                *("-o", options, "-w", "-t", "60", "start"),
            ]
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`fast`: sessions are ended, their transactions rolled back, and
        what was committed is written out) and keep its data, for `start_again`."""
        assert self.pg_ctl is not None
        result = self._run(
            [self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop"]
        )
        if result.returncode != 0:
            raise SetupError(f"pg_ctl stop failed:\n{result.stdout}{result.stderr}")

    def start_again(self) -> None:
        """Start the stopped server again on its port (the load test's fault: a restart)."""
        assert self.port is not None
        result = self._start_on(self.port)
        if result.returncode != 0:
            raise SetupError(
                f"pg_ctl start failed:\n{result.stdout}{result.stderr}{self._log_tail()}"
            )

    def _log_tail(self, lines: int = 20) -> str:
        """Last lines of the server log, for error messages."""
        try:
            text = self.logfile.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:]) + "\n"

    def _createdb(self) -> None:
        """Create DB_NAME so that DATABASE_URL names an existing database."""
        assert self.port is not None
        conn = ["-h", LOCAL_HOST, "-p", str(self.port), "-U", DB_USER]
        createdb = _tool(self.bindir, "createdb")
        psql = _tool(self.bindir, "psql")
        if createdb is not None:
            result = self._run([createdb, *conn, DB_NAME], as_owner=False)
        elif psql is not None:
            result = self._run(
                [psql, "-X", *conn, "-d", "postgres", "-c", f'CREATE DATABASE "{DB_NAME}"'],
                as_owner=False,
            )
        else:
            log(f"note: neither createdb nor psql found; database {DB_NAME!r} not created")
            return
        if result.returncode != 0:
            output = result.stdout + result.stderr
            raise SetupError(f"could not create database {DB_NAME!r}:\n{output}")

    @property
    def url(self) -> str:
        """DATABASE_URL for the running server."""
        return f"postgres://{DB_USER}@{LOCAL_HOST}:{self.port}/{DB_NAME}"

    def _kill_leftover(self) -> None:
        """Last resort: SIGQUIT (immediate shutdown) the postmaster named in postmaster.pid."""
        try:
            pid = int((self.data / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return
        try:
            os.kill(pid, signal.SIGQUIT)
        except OSError:
            return
        for _ in range(50):
            try:
                os.kill(pid, 0)
            except OSError:
                return
            time.sleep(0.1)

    def cleanup(self) -> None:
        """Stop the server (if started) and delete the temporary directory."""
        if self.tmp is None:
            return
        # Go by postmaster.pid, not by whether start() returned: an interrupt during
        # "pg_ctl -w start" can leave a server running that we never recorded.
        if self.pg_ctl is not None and (self.data / "postmaster.pid").exists():
            result = self._run([self.pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop"])
            if result.returncode != 0:
                log(f"pg_ctl stop failed, killing the server: {result.stderr.strip()}")
                self._kill_leftover()
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp = None


@contextmanager
def signals_ignored() -> Iterator[None]:
    """Ignore SIGINT/SIGTERM/SIGHUP, so a second Ctrl-C cannot interrupt cleanup."""
    sigs = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in sigs}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


# --------------------------------------------------------------------------
# running the command
# --------------------------------------------------------------------------


def run_command(command: Sequence[str], env: dict[str, str]) -> int:
    """Run command and return its exit code (shell style: 128+N for signal N).

    Ctrl-C reaches the command directly (same process group), so we only wait
    for it to finish instead of dying first and leaving the server behind.
    SIGTERM/SIGHUP sent to us alone are passed on to the command.
    """
    try:
        proc = subprocess.Popen(list(command), env=env)
    except FileNotFoundError:
        log(f"command not found: {command[0]}")
        return 127
    except PermissionError:
        log(f"command not executable: {command[0]}")
        return 126

    def forward(signum: int, _frame: FrameType | None) -> None:
        if signum != signal.SIGINT:
            proc.send_signal(signum)

    sigs = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {s: signal.signal(s, forward) for s in sigs}
    try:
        returncode = proc.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return 128 - returncode if returncode < 0 else returncode


def parse_args(argv: Sequence[str]) -> list[str]:
    """Return the command after ``--`` (the ``--`` itself is optional)."""
    args = list(argv)
    if args and args[0] == "--":
        args = args[1:]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        raise SystemExit(EXIT_SETUP_FAILED)
    return args


NO_POSTGRES_MESSAGE = f"""\
testdb: no PostgreSQL available.
  The tests need PostgreSQL. Either
    - install the server binaries:  sudo apt-get install postgresql   (Debian/Ubuntu)
      (a running service is not needed; a throw-away server is started), or
    - point DATABASE_URL at a database, e.g.
        DATABASE_URL=postgres://user:password@host:5432/{DB_NAME} make test"""


def main(argv: Sequence[str]) -> int:
    """Choose a database, run the command with DATABASE_URL, return its exit code."""
    command = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_terminated)
    signal.signal(signal.SIGHUP, _raise_terminated)

    if os.environ.get("DATABASE_URL"):
        log("using DATABASE_URL from the environment")
        return run_command(command, dict(os.environ))

    force_own = os.environ.get(FORCE_ENV, "").strip().lower() == "own"
    if force_own:
        log(f"{FORCE_ENV}=own: not looking for a local server")
    elif local_server_ready():
        problem = prepare_local_server()
        if problem is None:
            log(f"using local PostgreSQL on {LOCAL_HOST}:{LOCAL_PORT}")
            url = f"postgres://{DB_USER}@{LOCAL_HOST}:{LOCAL_PORT}/{DB_NAME}"
            return run_command(command, dict(os.environ, DATABASE_URL=url))
        log(
            f"local PostgreSQL on {LOCAL_HOST}:{LOCAL_PORT} not usable as {DB_USER!r} "
            f"({problem}); starting a throw-away one"
        )

    bindir = find_server_bindir()
    if bindir is None:
        print(NO_POSTGRES_MESSAGE, file=sys.stderr)
        return EXIT_SETUP_FAILED

    server: ThrowAwayServer | None = None
    try:
        server = ThrowAwayServer(bindir)
        server.start()
        log(f"started throw-away PostgreSQL on port {server.port} ({bindir}, {server.tmp})")
        return run_command(command, dict(os.environ, DATABASE_URL=server.url))
    except SetupError as exc:
        log(str(exc))
        return EXIT_SETUP_FAILED
    except KeyboardInterrupt:
        log("interrupted")
        return 128 + signal.SIGINT
    except Terminated as exc:
        log(f"terminated by signal {exc.signum}")
        return 128 + exc.signum
    finally:
        if server is not None:
            with signals_ignored():
                server.cleanup()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
