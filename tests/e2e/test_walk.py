"""Every page of every role, as its users meet it: a browser signs in as each role of the demo,
opens every page of that role's navigation and the pages those link to (one of each kind: a
checkpoint, a unit, a case, a campaign...), at 360 px (a cheap phone) and at 1280 px, in
Vietnamese, and fails on what a user would notice:

- the page scrolls sideways (`document.documentElement.scrollWidth > innerWidth`);
- the server answers a 4xx or 5xx (the page itself, or anything it loads);
- English in the Vietnamese interface: a text of the project's catalogue that has a Vietnamese
  translation (or the English name of a model), shown as it is in English.

A few pages are walked in English too (the switch in the header), for overflow and errors.

The data is the demo's, plus what the demo has none of: a confirmed case with its contacts, a
campaign, a phone that declared, and names too long for a phone's line (an unbroken word of 60
letters), which must wrap rather than stretch the page.
"""

from __future__ import annotations

import gettext
import re
import time
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.utils import translation
from playwright.sync_api import Browser, Page

from kiemdich.accounts.models import User
from kiemdich.declarations import cookies
from kiemdich.declarations.models import Person
from kiemdich.demo.province import DEMO_USERS
from kiemdich.geo.models import Unit
from kiemdich.messaging import campaigns
from kiemdich.tracing import services as tracing
from kiemdich.venues import services as venue_services
from kiemdich.venues.models import Venue

from .conftest import PHONE
from .test_login import log_in
from .test_tracing import town

DESKTOP = {"width": 1280, "height": 800}
#: A name with no space to break at, as people do type them.
LONG_WORD = "Nhàtrọ" + "Phướcthịnh" * 5 + "Bùđăng"
#: Pages never followed: files, the API, the admin beyond its index, leaving the session.
SKIPPED = re.compile(
    r"(\.(xlsx|pdf|png|svg|csv|js|json)$)|^/api/|^/admin/.|^/i18n/|^/logout/|/export"
)
#: At most this many pages per role beyond its navigation (one per kind of address).
DETAILS_PER_ROLE = 14
#: Texts of the catalogue too short or too common to tell English from a name or a code.
MIN_LENGTH = 4
#: English msgids that are also fine in a Vietnamese page (names, codes, brands).
ALLOWED = {"kiemdich", "English", "Zalo", "SMS", "Email"}


# What "English" is: the catalogue's msgids with a different Vietnamese text.


@cache
def english_texts() -> re.Pattern:
    """One pattern matching, as whole words, every English text a Vietnamese page must not
    show: the msgids of locale/vi with a Vietnamese translation of their own (their longest
    literal part, for those with placeholders) and the English names of every model."""
    mo = Path(settings.BASE_DIR) / "locale" / "vi" / "LC_MESSAGES" / "django.mo"
    with mo.open("rb") as f:
        catalog = gettext.GNUTranslations(f)._catalog  # type: ignore[attr-defined]
    texts: set[str] = set()
    for key, translated in catalog.items():
        msgid = key[0] if isinstance(key, tuple) else key
        if not msgid or ("\x04" in msgid and not msgid.split("\x04", 1)[1]):
            continue
        msgid = msgid.split("\x04", 1)[-1]
        if translated == msgid:
            continue
        texts.update(_literal_parts(msgid))
    with translation.override("en"):
        for model in apps.get_models():
            for name in (model._meta.verbose_name, model._meta.verbose_name_plural):
                text = str(name)
                with translation.override("vi"):
                    if str(name) == text:
                        texts.add(text[:1].upper() + text[1:])
            texts.add(str(apps.get_app_config(model._meta.app_label).verbose_name))
    texts = {t for t in texts if len(t) >= MIN_LENGTH and t not in ALLOWED}
    alternatives = "|".join(re.escape(t) for t in sorted(texts, key=len, reverse=True))
    return re.compile(rf"(?<![\w%(]){'(?:' + alternatives + ')'}(?![\w])")


def _literal_parts(msgid: str) -> list[str]:
    """The parts of a msgid a page shows as they are: the whole text, or around its
    placeholders (%(name)s, %s, {name}) the longest part of three words or more."""
    parts = [p.strip(" .,:;()") for p in re.split(r"%\(\w+\)[sdf]|%[sdf]|\{\w*\}", msgid)]
    if len(parts) == 1:
        return [parts[0]] if parts[0] and "<" not in parts[0] else []
    longest = max(parts, key=len)
    return [longest] if len(longest.split()) >= 3 and "<" not in longest else []


# The data the demo lacks.


def extra_data() -> dict[str, str]:
    """A case with contacts, a campaign, a declared phone, and names too long for a line; the
    person cookie of that phone."""
    confirmed, people, shop = town()
    district = User.objects.get(username="huyen")
    owned = Venue.objects.filter(owner__username="chudiem").order_by("pk").first()
    for venue in {shop, owned} - {None}:
        venue_services.update(
            district, venue, {"name": f"Tạp hóa {LONG_WORD}", "address": f"Thôn {LONG_WORD}"}
        )
    Person.objects.filter(pk=people["a"].pk).update(full_name=f"Trần Thị {LONG_WORD}")
    tracer = User.objects.get(username="truyvet")
    case = tracing.record_case(tracer, people["f0"], confirmed)
    tracing.trace_case(case, 2)
    campaigns.create(
        district,
        kind="install",
        channel="sms",
        name=f"Nhắc cài đặt {LONG_WORD}",
        unit=Unit.objects.get(code="25396"),
        client_id=uuid.uuid4(),
        confirmed=True,
    )
    return {cookies.PERSON_COOKIE: cookies.person_token(people["a"])}


# Walking.


@dataclass
class Walk:
    base: str
    role: str
    problems: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    pages: int = 0

    def fail(self, path: str, what: str) -> None:
        self.problems.append(f"{self.role} {path}: {what}")


def _widest(page: Page, width: int) -> list[str]:
    """What sticks out of the screen, to say where to look."""
    return page.evaluate(
        """(width) => [...document.querySelectorAll('body *')]
          .filter(e => e.getBoundingClientRect().right > width + 1)
          .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > width + 1))
          .slice(0, 3)
          .map(e => `<${e.tagName.toLowerCase()} id=${e.id} class=${e.className}>`
                    + ` ${Math.round(e.getBoundingClientRect().right)}px`
                    + ` "${(e.innerText || '').slice(0, 40)}"`)""",
        width,
    )


def _visible_text(page: Page) -> str:
    """Everything a person reads on the page: its text, its title, placeholders, button
    labels, the options of its lists and what screen readers say (aria-label)."""
    return page.evaluate(
        """() => [document.title, document.body.innerText,
          ...[...document.querySelectorAll('[placeholder],[aria-label],[title]')].map(e =>
              [e.placeholder, e.getAttribute('aria-label'), e.title].filter(Boolean).join(' ')),
          ...[...document.querySelectorAll('input[type=submit],input[type=button]')]
              .map(e => e.value),
          ...[...document.querySelectorAll('option')].map(o => o.textContent)].join('\\n')"""
    )


def _check(page: Page, walk: Walk, path: str, *, vietnamese: bool) -> None:
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        inner = page.evaluate("window.innerWidth")
        if scroll > inner:
            walk.fail(path, f"{scroll}px wide at {inner}px: {_widest(page, inner)}")
    page.set_viewport_size(PHONE)
    if vietnamese:
        found = sorted(set(english_texts().findall(_visible_text(page))))
        if found:
            walk.fail(path, f"English in the Vietnamese page: {found}")


def _links(page: Page, scope: str) -> list[str]:
    hrefs = page.eval_on_selector_all(
        f"{scope} a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    out = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        if SKIPPED.search(parts.path):
            continue
        out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def _kind(path: str) -> str:
    """Pages of the same kind (two checkpoints, two units) are walked once."""
    return re.sub(r"/(\d+|[A-Za-z0-9_-]{20,}|[A-Z0-9-]{4,})(?=/|$)", "/N", path.split("?")[0])


def _settle(page: Page, pending: set, timeout: float = 5.0) -> None:
    """Wait until what the page fetched after loading (lists, figures) has arrived."""
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        page.wait_for_timeout(20)


def _open(page: Page, walk: Walk, path: str, *, vietnamese: bool = True) -> bool:
    errors: list[str] = []
    pending: set = set()

    def watch(response) -> None:
        if response.url.startswith(walk.base) and response.status >= 400:
            errors.append(f"{response.status} {urlsplit(response.url).path}")

    def started(request) -> None:
        pending.add(request)

    def ended(request) -> None:
        pending.discard(request)

    handlers = {"request": started, "requestfinished": ended, "requestfailed": ended}
    handlers["response"] = watch
    for event, handler in handlers.items():
        page.on(event, handler)
    try:
        page.goto(f"{walk.base}{path}", wait_until="load")
        _settle(page, pending)
    except Exception as exc:  # a page that hangs is a problem to report, not a crash
        walk.fail(path, f"did not load: {exc}")
        return False
    finally:
        for event, handler in handlers.items():
            page.remove_listener(event, handler)
    walk.pages += 1
    if errors:
        walk.fail(path, f"server errors: {errors}")
    _check(page, walk, path, vietnamese=vietnamese)
    return not errors


def walk_role(page: Page, walk: Walk) -> None:
    """The start page, every page of the navigation, then one page of each kind they link to."""
    _open(page, walk, "/")
    navigation = ["/", *dict.fromkeys(_links(page, "header nav"))]
    details: list[str] = []
    kinds = {_kind(p) for p in navigation}
    for path in navigation:
        if path != "/" and not _open(page, walk, path):
            continue
        for link in _links(page, "main"):
            kind = _kind(link)
            if kind not in kinds and len(details) < DETAILS_PER_ROLE:
                kinds.add(kind)
                details.append(link)
    for path in details:
        _open(page, walk, path)
    walk.seen.update(navigation + details)


#: Pages walked in English too.
ENGLISH_PAGES = ["/", "/venues/", "/venues/new/", "/venues/import/", "/adoption/", "/campaigns/"]
ROLES = [*(u.username for u in DEMO_USERS if u.username != "xa2"), "admin"]


@pytest.fixture
def walk_data(demo: str) -> dict[str, str]:
    return extra_data()


def test_every_page_of_every_role_fits_a_phone_and_speaks_vietnamese(
    browser: Browser, demo: str, walk_data: dict[str, str]
) -> None:
    started = time.monotonic()
    problems: list[str] = []
    counts: dict[str, int] = {}
    host = urlsplit(demo).hostname
    for role in ["anonymous", "declared phone", *ROLES]:
        context = browser.new_context(viewport=PHONE, locale="vi-VN")
        context.set_default_timeout(10_000)
        if role == "declared phone":
            context.add_cookies(
                [{"name": k, "value": v, "domain": host, "path": "/"} for k, v in walk_data.items()]
            )
        page = context.new_page()
        walk = Walk(demo, role)
        if role not in ("anonymous", "declared phone"):
            log_in(page, demo, role)
        walk_role(page, walk)
        if role == "declared phone":
            _open(page, walk, "/me/")
        counts[role] = walk.pages
        problems += walk.problems
        context.close()
    problems += walk_in_english(browser, demo)
    assert not problems, "\n".join(problems)
    assert counts["huyen"] >= 10, counts  # the walk did reach the pages
    assert time.monotonic() - started < 150, f"the walk took {time.monotonic() - started:.0f}s"


def walk_in_english(browser: Browser, demo: str) -> list[str]:
    """A district official's pages through the English switch: no overflow, no error, and the
    page is English."""
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    walk = Walk(demo, "huyen (English)")
    log_in(page, demo, "huyen")
    with page.expect_navigation():
        page.locator("header").get_by_role("button", name="English").click()
    for path in ENGLISH_PAGES:
        _open(page, walk, path, vietnamese=False)
        if page.locator("html").get_attribute("lang") != "en":
            walk.fail(path, "not in English after the switch")
    page.goto(f"{demo}/declare/")
    if "Health declaration" not in page.locator("h1").inner_text():
        walk.fail("/declare/", "the declaration page is not in English")
    context.close()
    return walk.problems


def test_the_walk_sees_overflow_errors_and_english(
    browser: Browser, transactional_db, live_server
) -> None:
    """The walk's own checks fail where they should: a page made too wide, an English text of
    the catalogue and a missing page are each reported."""
    demo = live_server.url
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    walk = Walk(demo, "anonymous")
    _open(page, walk, "/")
    assert not walk.problems, walk.problems
    page.evaluate(
        "() => { const p = document.createElement('p');"
        " p.style.width = '500px'; p.textContent = 'Checkpoints';"
        " document.querySelector('main').append(p); }"
    )
    _check(page, walk, "/", vietnamese=True)
    _open(page, walk, "/no-such-page/")
    context.close()
    assert any("500px" in p or "wide at 360px" in p for p in walk.problems), walk.problems
    assert any("English" in p and "Checkpoints" in p for p in walk.problems), walk.problems
    assert any("404 /no-such-page/" in p for p in walk.problems), walk.problems


def test_declaration_choices_sit_beside_their_labels(page: Page, live_server, binh_phuoc) -> None:
    """On a phone, every box and button of the declaration form is on the line of its own
    label (not above its neighbour's), and the commune's error shows once."""
    page.goto(f"{live_server.url}/declare/")
    rows = page.eval_on_selector_all(
        "main input[type=checkbox], main input[type=radio]",
        """els => els.map(e => { const box = e.getBoundingClientRect();
            const label = e.closest('label').getBoundingClientRect();
            return {name: e.name, value: e.value, box_mid: box.top + box.height / 2,
                    label_top: label.top, label_bottom: label.bottom}; })""",
    )
    assert len(rows) >= 12  # gender 3, purpose 3, symptoms 5, Có/Không twice
    for row in rows:
        assert row["label_top"] <= row["box_mid"] <= row["label_bottom"], row
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")
    commune_errors = page.locator("#error-commune_code:visible, #field-commune_code .error:visible")
    assert commune_errors.count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
