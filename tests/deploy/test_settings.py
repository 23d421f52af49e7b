"""Production settings: weak secrets are refused, HTTPS is one variable, `check --deploy` is clean,
and every page carries a Content-Security-Policy that the templates keep to."""

# ruff: noqa: S603 (our own interpreter and kiemdich command, fixed arguments)
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.http import HttpResponse

import kiemdich

SECRET = "test-only-not-secret-test-only-not-secret-test-only"
QR_KEY = "test-only-qr-signing-key-0123456789"
KIEMDICH = Path(sys.executable).parent / "kiemdich"


def production_env(tmp_path, **extra) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "KIEMDICH_DATA_DIR": str(tmp_path),
        "SECRET_KEY": SECRET,
        "KIEMDICH_QR_SIGNING_KEY": QR_KEY,
        "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
    }
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def import_settings(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import kiemdich.settings"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("name", "weak"),
    [
        ("KIEMDICH_QR_SIGNING_KEY", "x"),
        ("KIEMDICH_QR_SIGNING_KEY", "test-only-qr-key"),
        ("KIEMDICH_QR_SIGNING_KEY", "a" * 64),
        ("SECRET_KEY", "test-only-not-secret"),
        ("SECRET_KEY", "django-insecure-" + "x1y2z3" * 10),
    ],
)
def test_production_refuses_a_weak_secret(tmp_path, name, weak):
    result = import_settings(production_env(tmp_path, **{name: weak}))
    assert result.returncode != 0
    assert f"{name} is too weak" in result.stderr
    assert len(weak) < 4 or weak not in result.stderr  # the message does not print it


def test_a_command_without_its_secrets_says_which_one_to_set(tmp_path):
    """Django alone would answer `KeyError: 'collectstatic'` above the real reason."""
    env = production_env(tmp_path, SECRET_KEY=None)
    result = subprocess.run(
        [str(KIEMDICH), "collectstatic", "--noinput"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "kiemdich: SECRET_KEY is not set. Set it (a long random string) in the environment, "
        "or DEBUG=1 for a local demo."
    )


def test_production_starts_with_strong_secrets_and_the_demo_with_any(tmp_path):
    assert import_settings(production_env(tmp_path)).returncode == 0
    demo = import_settings(production_env(tmp_path, DEBUG="1", KIEMDICH_QR_SIGNING_KEY="x"))
    assert demo.returncode == 0, demo.stderr


def https_env(tmp_path) -> dict[str, str]:
    return production_env(
        tmp_path,
        KIEMDICH_HTTPS="1",
        KIEMDICH_TRUSTED_PROXIES="127.0.0.1",
        KIEMDICH_PUBLIC_URL="https://kiemdich.example.gov.vn",
        ALLOWED_HOSTS="kiemdich.example.gov.vn",
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = subprocess.run(
        [str(KIEMDICH), "check", "--deploy", "--fail-level", "WARNING"],
        env=https_env(tmp_path),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_kiemdich_https_turns_on_hsts_redirects_and_secure_cookies(tmp_path):
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER, "
        "s.SECURE_REDIRECT_EXEMPT)"
    )
    env = https_env(tmp_path) | {"DJANGO_SETTINGS_MODULE": "kiemdich.settings"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.split(" ", 5)[:5] == ["True", "31536000", "True", "True", "True"]
    assert "('HTTP_X_FORWARDED_PROTO', 'https')" in result.stdout
    assert re.search(r"\^api/v1/health\$", result.stdout)


def test_kiemdich_https_needs_the_proxy_it_believes(tmp_path):
    result = import_settings(https_env(tmp_path) | {"KIEMDICH_TRUSTED_PROXIES": ""})
    assert result.returncode != 0
    assert "KIEMDICH_HTTPS=1 needs KIEMDICH_TRUSTED_PROXIES" in result.stderr


@pytest.mark.parametrize(("peer", "secure"), [("127.0.0.1", True), ("203.0.113.7", False)])
def test_forwarded_proto_is_believed_from_the_trusted_proxy_only(rf, settings, peer, secure):
    """A client that reaches gunicorn past nginx cannot pass plain HTTP off as HTTPS."""
    from kiemdich.web.middleware import ForwardedProtoMiddleware

    settings.TRUSTED_PROXIES = ("127.0.0.1",)
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    request = rf.get("/", HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR=peer)
    seen = []
    ForwardedProtoMiddleware(lambda r: seen.append(r.is_secure()) or HttpResponse())(request)
    assert seen == [secure]


def test_pages_answer_with_a_strict_content_security_policy(db, client):
    policy = client.get("/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy
    assert "Content-Security-Policy" in client.get("/login/")


#: What a strict policy refuses in a template: inline scripts (a <script> with a body that is
#: not JSON data), event handler attributes, style attributes and <style> elements.
INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I),
    re.compile(r"\son[a-z]+\s*=", re.I),
    re.compile(r"\sstyle\s*=", re.I),
    re.compile(r"<style[\s>]", re.I),
    re.compile(r"javascript:", re.I),
]


def test_no_template_needs_inline_script_or_style():
    root = Path(kiemdich.__file__).parent
    found = [
        f"{path.relative_to(root)}: {match.group(0)}"
        for path in root.glob("**/templates/**/*.html")
        for pattern in INLINE
        for match in pattern.finditer(path.read_text())
    ]
    assert not found
