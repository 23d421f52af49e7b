"""The README's "Running in production", followed to the letter.

The shell block under that heading is read from README.md and run as written, on PostgreSQL with
DEBUG off, in a temporary folder and a throw-away database; only the secrets and the database
(test values), the static folder (a temporary one), the number of workers and the address gunicorn
binds (127.0.0.1 and a free port) are replaced. A line the test does not know fails it: change the
docs and this test together. Then every page of the menu answers 200, for a visitor and for a
signed-in official, and every stylesheet and script those pages link answers 200 with its type.
"""

# ruff: noqa: S603 (the commands are the README's, run from our own virtualenv)

from __future__ import annotations

import http.client
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import dj_database_url
import psycopg
import pytest

pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parents[2] / "README.md"
BIN = Path(sys.executable).parent
SECRET = "test-only-not-secret-test-only-not-secret-test-only"
QR_KEY = "test-only-qr-signing-key-0123456789"
PASSWORD = "a-long-test-password"
#: Every command and request is bounded; the whole test takes about a minute.
STEP_TIMEOUT = 300
REQUEST_TIMEOUT = 30


def production_block() -> str:
    """The first shell block under "## Running in production" in README.md."""
    text = README.read_text()
    section = text.split("\n## Running in production\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "README.md: no ```sh block under '## Running in production'"
    return match.group(1)


def commands(block: str) -> Iterator[list[str]]:
    """The block's lines (continuations joined), each as its words, without comments."""
    for line in block.replace("\\\n", " ").splitlines():
        # $((2 * $(nproc))): the workers, replaced below.
        line = re.sub(r"\$\(\(\s*\d+\s*\*\s*\$\(nproc\)\s*\)\)", "NPROC_WORKERS", line)
        words = shlex.split(line, comments=True)
        if words:
            yield words


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def prod_database() -> Iterator[str]:
    """A fresh PostgreSQL database beside the test one, dropped afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("the production steps need PostgreSQL (DATABASE_URL)")
    config = dj_database_url.parse(url)
    name = f"{config['NAME']}_prod"
    admin = {
        "dbname": "postgres",
        "user": config["USER"],
        "password": config["PASSWORD"],
        "host": config["HOST"],
        "port": config["PORT"],
    }
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Links(HTMLParser):
    """The menu's links (header nav and footer), and the page's stylesheets and scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.menu: list[str] = []
        self.assets: list[str] = []
        self._in_menu = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("nav", "footer"):
            self._in_menu += 1
        elif tag == "a" and self._in_menu and a.get("href"):
            self.menu.append(a["href"])
        elif tag == "link" and a.get("rel") == "stylesheet" and a.get("href"):
            self.assets.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.assets.append(a["src"])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("nav", "footer"):
            self._in_menu -= 1


class Site:
    """Requests to gunicorn as nginx would pass them on: the public host name, over HTTPS."""

    def __init__(self, port: int, host: str) -> None:
        self.port, self.host = port, host
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str = "", https: bool = True, **headers):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        headers = {"Host": self.host, **headers}
        if https:
            headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn.request(method, path, body=body or None, headers=headers)
            response = conn.getresponse()
            content = response.read()
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, value = header.split(";", 1)[0].split("=", 1)
            self.cookies[name.strip()] = value.strip()
        return response, content

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)


def wait_until_up(site: Site, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn stopped"
        try:
            response, _ = site.get("/api/v1/health", https=False)
            if response.status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail("gunicorn did not answer within 60 s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def check_pages(site: Site, start: str) -> set[str]:
    """Open the start page, every page of its menu, and every stylesheet and script they
    link; return the menu's pages."""
    response, html = site.get(start)
    assert response.status == 200, (start, response.status)
    links = Links()
    links.feed(html.decode())
    menu = {
        urlsplit(urljoin(start, href)).path
        for href in links.menu
        if urlsplit(urljoin(f"https://{site.host}{start}", href)).netloc == site.host
    }
    assets: set[str] = set(links.assets)
    for path in sorted(menu):
        response, body = site.get(path)
        assert response.status == 200, (path, response.status, body[:300])
        assert response.headers["Content-Type"].startswith("text/html"), path
        assert "default-src 'self'" in response.headers.get("Content-Security-Policy", ""), path
        page_links = Links()
        page_links.feed(body.decode())
        assets.update(urljoin(path, src) for src in page_links.assets)
    for asset in sorted(assets):
        assert asset.startswith("/static/"), asset
        response, body = site.get(asset)
        assert response.status == 200, (asset, response.status)
        kind = response.headers["Content-Type"]
        if asset.endswith(".css"):
            assert kind.startswith("text/css"), (asset, kind)
        else:
            assert asset.endswith(".js"), asset
            assert kind.startswith(("text/javascript", "application/javascript")), (asset, kind)
        assert body, asset
        # Hashed names from the manifest (collectstatic ran with the production storage).
        assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", asset), asset
    return menu


def test_the_readme_production_steps_serve_every_page(tmp_path, prod_database):
    port = free_port()
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "KIEMDICH_DATA_DIR": str(tmp_path / "data"),
    }
    background: list[subprocess.Popen] = []
    server: subprocess.Popen | None = None
    ran: list[str] = []

    def run(words: list[str]) -> None:
        done = subprocess.run(
            words,
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT,
            check=False,
        )
        assert done.returncode == 0, f"{shlex.join(words)}:\n{done.stdout}\n{done.stderr}"

    def start(words: list[str]) -> subprocess.Popen:
        log = (tmp_path / f"{Path(words[0]).name}.log").open("w")
        return subprocess.Popen(
            words,
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # stopped with its children (gunicorn's workers)
        )

    try:
        for words in commands(production_block()):
            ran.append(words[0])
            if words[0] == "export":
                for assignment in words[1:]:
                    name, value = assignment.split("=", 1)
                    env[name] = value
                # The placeholders and the database, replaced with test values.
                env.update(
                    DATABASE_URL=prod_database,
                    SECRET_KEY=SECRET,
                    KIEMDICH_QR_SIGNING_KEY=QR_KEY,
                    STATIC_ROOT=str(tmp_path / "static"),
                )
                assert "DEBUG" not in env
            elif words[0] == "gunicorn":
                words = [str(BIN / "gunicorn"), *words[1:]]
                words[words.index("NPROC_WORKERS")] = "2"
                words[words.index("--bind") + 1] = f"127.0.0.1:{port}"
                server = start(words)
            elif words[-1] == "&":
                assert words[0] == "kiemdich", words
                background.append(start([str(BIN / "kiemdich"), *words[1:-1]]))
            else:
                steps = " ".join(words).split(" && ")
                for step in steps:
                    parts = step.split()
                    assert parts[0] == "kiemdich", f"README.md: unknown step {step!r}"
                    run([str(BIN / "kiemdich"), *parts[1:]])
        assert ran[0] == "export" and ran[-1] == "gunicorn", ran
        assert server is not None
        assert (tmp_path / "static" / "staticfiles.json").is_file()

        host = env["ALLOWED_HOSTS"].split(",")[0]
        public = env["KIEMDICH_PUBLIC_URL"]
        site = Site(port, host)
        wait_until_up(site, server)

        # KIEMDICH_HTTPS: plain HTTP is redirected, except the load balancers' health check.
        response, _ = site.get("/declare/", https=False)
        assert response.status == 301
        assert response.headers["Location"] == f"{public}/declare/"
        response, _ = site.get("/")
        assert "includeSubDomains" in response.headers["Strict-Transport-Security"]

        visitor_menu = check_pages(site, "/")
        assert "/login/" in visitor_menu and "/declare/" in visitor_menu

        # An official of Bù Đăng district, with the admin: every entry of the menu.
        run([str(BIN / "kiemdich"), "geo", "load", "--province", "70"])
        create = (
            "from kiemdich.accounts.models import Role, User; "
            "u = User(username='huyen', role=Role.DISTRICT_OFFICER, unit_id='696', "
            "is_staff=True, is_superuser=True); "
            f"u.set_password({PASSWORD!r}); u.full_clean(); u.save()"
        )
        run([str(BIN / "kiemdich"), "shell", "-c", create])
        _, html = site.get("/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        response, _ = site.request(
            "POST",
            "/login/",
            body=f"csrfmiddlewaretoken={token.decode()}&username=huyen&password={PASSWORD}",
            **{
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": public,
                "Referer": f"{public}/login/",
            },
        )
        assert response.status == 302, response.status
        official_menu = check_pages(site, "/")
        assert len(official_menu) >= 8, official_menu
        assert "/admin/" in official_menu and "/stats/checkpoints/" in official_menu

        assert server.poll() is None and all(p.poll() is None for p in background)
    finally:
        for process in [*background, *([server] if server else [])]:
            stop(process)
