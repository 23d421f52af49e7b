"""Real-browser tests: Playwright's sync API driving Debian's chromium against `live_server`.

No browser is ever downloaded: the tests use /usr/bin/chromium. Without it they are skipped on a
developer machine and fail under CI (the CI script installs chromium, so a missing one is a bug).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio event loop in the test thread, and Django then refuses
# ORM calls there (SynchronousOnlyOperation). The ORM is used from plain synchronous test code
# only, so the check is a false alarm here. Set before Django or Playwright are used.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: A cheap phone: the pages must work at this width.
PHONE = {"width": 360, "height": 740}

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test of this folder `e2e` (select or skip them with `-m e2e` / `-m "not e2e"`)."""
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        reason = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must provide it", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser) -> Iterator:
    """A fresh browser context per test (no cookies carried over), on a small phone screen.

    Whatever the Content-Security-Policy refused (an inline script or style, a file from
    elsewhere) fails the test: Chromium reports each refusal on the console."""
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        yield page
    finally:
        context.close()
    assert not refused, f"refused by the Content-Security-Policy: {refused}"


@pytest.fixture
def demo(transactional_db, live_server) -> str:
    """The Bình Phước demo data loaded into the database the live server reads; its base URL."""
    from kiemdich.demo.province import load_demo

    load_demo()
    return live_server.url
