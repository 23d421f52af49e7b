"""Settings, all read from the environment (DESIGN.md §3).

The embedded default (no environment at all) is a SQLite demo that keeps its generated secrets in
the data folder. With DEBUG off the site refuses to start without SECRET_KEY, so a production
deployment can never run on a key that sits on disk next to the code by accident.
"""

import os
import re
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from kiemdich.clientip import parse_proxies

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("KIEMDICH_DATA_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    """Read a yes/no variable the way people write it (1, true, yes, on)."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def demo_secret(filename: str) -> str:
    """Return a secret kept in the data folder, creating it on first use (demo only)."""
    path = DATA_DIR / filename
    if path.exists():
        return path.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(50)
    path.write_text(value)
    path.chmod(0o600)
    return value


DEBUG = env_bool("DEBUG")


def required_secret(name: str, filename: str, min_length: int, min_unique: int) -> str:
    """A secret from the environment; the demo (DEBUG on) may keep a generated one on disk.

    With DEBUG off a short or repetitive value is refused at start, as a missing one is: a
    guessable key is no better than none."""
    value = os.environ.get(name, "")
    if value:
        if not DEBUG and (
            len(value) < min_length
            or len(set(value)) < min_unique
            or value.startswith("django-insecure-")
        ):
            raise ImproperlyConfigured(
                f"{name} is too weak: it needs at least {min_length} characters, "
                f"{min_unique} of them different (got {len(value)}). Generate one with\n"
                "  python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
            )
        return value
    if not DEBUG:
        raise ImproperlyConfigured(
            f"{name} is not set. Set it (a long random string) in the environment, "
            "or DEBUG=1 for a local demo."
        )
    return demo_secret(filename)


# The bar of Django's own check (security.W009): 50 characters, 5 different.
SECRET_KEY = required_secret("SECRET_KEY", "secret_key", min_length=50, min_unique=5)

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]
PUBLIC_URL = os.environ.get("KIEMDICH_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
RETENTION_DAYS = int(os.environ.get("KIEMDICH_RETENTION_DAYS", "30"))
# The hotline 1022 (kiemdich/hotline): minutes from receipt to the first acknowledgement and to
# the resolution (per category in the admin's "category limits"), the escalation steps as shares
# of the limit in % (80: the warning to the agency's head and the supervisors; 100: the breach, to
# the supervisors and the province's officers), how often the check runs (minutes), and from how
# many notices at once a recipient gets one digest instead.
HOTLINE_FIRST_RESPONSE_MINUTES = int(os.environ.get("KIEMDICH_HOTLINE_FIRST_RESPONSE", "30"))
HOTLINE_RESOLUTION_MINUTES = int(os.environ.get("KIEMDICH_HOTLINE_RESOLUTION", "300"))
HOTLINE_ESCALATION_STEPS = [
    int(step) for step in os.environ.get("KIEMDICH_HOTLINE_ESCALATION_STEPS", "80,100").split(",")
]
HOTLINE_CHECK_EVERY = int(os.environ.get("KIEMDICH_HOTLINE_CHECK_EVERY", "5"))
HOTLINE_DIGEST_FROM = int(os.environ.get("KIEMDICH_HOTLINE_DIGEST_FROM", "3"))
# Bluetooth verification codes an area (the case's, or the tracer's) may issue per day
# (kiemdich/proximity/verification.py): a stolen tracer account cannot mint a flood of uploads.
PROXIMITY_DAILY_CODES = int(os.environ.get("KIEMDICH_PROXIMITY_DAILY_CODES", "200"))
# Daily report deadlines, local time (seed 002): units to their district, districts to the province.
REPORT_DEADLINE_UNIT = os.environ.get("KIEMDICH_REPORT_DEADLINE_UNIT", "15:00")
REPORT_DEADLINE_DISTRICT = os.environ.get("KIEMDICH_REPORT_DEADLINE_DISTRICT", "16:00")
# A report figure more than this many times its unit's previous report (or less than its
# 1/factor, for the cumulative ones) needs a confirmation (reports.services.doubts); 0: no check.
REPORT_JUMP_FACTOR = float(os.environ.get("KIEMDICH_REPORT_JUMP_FACTOR", "3"))
# The issuing body at the top left of every exported official document (kiemdich.official_docs),
# lines separated by "|" ("UBND TỈNH BÌNH PHƯỚC|BAN CHỈ ĐẠO PHÒNG, CHỐNG DỊCH COVID-19"); empty:
# the People's Committee of the exporting official's unit ("UBND HUYỆN BÙ ĐĂNG").
ISSUING_BODY = os.environ.get("KIEMDICH_ISSUING_BODY", "")

# How SMS/Zalo messages leave (kiemdich.messaging.senders): the console by default.
MESSAGE_SENDER = os.environ.get(
    "KIEMDICH_MESSAGE_SENDER", "kiemdich.messaging.senders.ConsoleSender"
)
# Hours during which the same reminder may not go to the same area or organization again
# (kiemdich.messaging.campaigns.refuse_repeat); 0 turns the rule off.
CAMPAIGN_REPEAT_HOURS = float(os.environ.get("KIEMDICH_CAMPAIGN_REPEAT_INTERVAL", "24"))

# Close-contact detection: the export files phones download (kiemdich.proximity.publishing).
# An hour's keys are published once the hour has ended and this many minutes more have passed
# (uploads still in flight at the top of the hour land in their hour first).
PROXIMITY_EXPORT_DELAY_MINUTES = int(os.environ.get("KIEMDICH_PROXIMITY_EXPORT_DELAY", "15"))
# Every file is padded with random decoys to this many keys plus a random 0..jitter.
PROXIMITY_EXPORT_MIN_KEYS = int(os.environ.get("KIEMDICH_PROXIMITY_EXPORT_MIN_KEYS", "1000"))
PROXIMITY_EXPORT_JITTER = int(os.environ.get("KIEMDICH_PROXIMITY_EXPORT_JITTER", "100"))
# The files' region and the signing keys' verification_key_id: Viet Nam's MCC.
PROXIMITY_REGION = os.environ.get("KIEMDICH_PROXIMITY_REGION", "452")
# A new signing key signs only this many hours after `kiemdich proximity rotate-key` made it,
# so phones have fetched its public key before the first file it signs.
PROXIMITY_KEY_ACTIVATION_HOURS = float(
    os.environ.get("KIEMDICH_PROXIMITY_KEY_ACTIVATION_HOURS", "48")
)

# Background work (DESIGN.md §2): the embedded default runs each task at once, in-process;
# production sets KIEMDICH_TASKS=database and runs `kiemdich db_worker` beside the web server.
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks_db.DatabaseBackend"
            if os.environ.get("KIEMDICH_TASKS", "immediate") == "database"
            else "django_tasks.backends.immediate.ImmediateBackend"
        )
    }
}

INSTALLED_APPS = [
    "kiemdich.web",
    "kiemdich.geo",
    "kiemdich.orgs",
    "kiemdich.accounts",
    "kiemdich.venues",
    "kiemdich.declarations",
    "kiemdich.checkins",
    "kiemdich.tracing",
    "kiemdich.proximity",
    "kiemdich.hotline",
    "kiemdich.monitoring",
    "kiemdich.messaging",
    "kiemdich.adoption",
    "kiemdich.reports",
    "kiemdich.demo",
    "django_tasks",
    "kiemdich.taskdb.TasksDbConfig",  # django_tasks_db, its names in Vietnamese
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "csp",
]

MIDDLEWARE = [
    "kiemdich.web.middleware.ForwardedProtoMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kiemdich.web.middleware.LanguageMiddleware",
    "kiemdich.web.middleware.RequestHygieneMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kiemdich.urls"
WSGI_APPLICATION = "kiemdich.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'kiemdich.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        # A health check is one more round trip at the start of every request (measured: a
        # tenth of a scan's cost). Off by default; after a database restart each worker's
        # first request fails once, answered 503 with Retry-After (kiemdich/unavailable.py),
        # and the next one connects again. Turn it on where connections die often
        # (DB_HEALTH_CHECKS=1).
        conn_health_checks=env_bool("DB_HEALTH_CHECKS"),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while a scan is written; IMMEDIATE avoids
    # "database is locked" on lock upgrades under concurrent writes.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django turns psycopg's prepared statements off (threshold None), and then psycopg ignores
    # even `execute(prepare=True)`: the scan statement (checkins.fastsql.fast_entry) was parsed
    # and planned again for every scan, which cost PostgreSQL more than running it (bench/).
    # Django's own queries bind their values on the client and are never prepared either way;
    # only the statements that bind on the server (the scan paths) are: the single scan's at
    # once, the others after this many runs, the batch statement never (planned per batch).
    # Behind PgBouncer in transaction mode, which needs `max_prepared_statements` for this, set
    # it to "off".
    threshold = os.environ.get("DB_PREPARE_THRESHOLD", "5")
    options = DATABASES["default"].setdefault("OPTIONS", {})
    # While PostgreSQL is unreachable a request must not wait: refused connections fail at once,
    # and one that gets no answer (a host gone, a full backlog) gives up after this many seconds
    # (libpq's connect_timeout; 2 is its least). The request is then answered 503 with
    # Retry-After (kiemdich/unavailable.py), well within gunicorn's timeout.
    options.setdefault("connect_timeout", int(os.environ.get("DB_CONNECT_TIMEOUT", "3")))
    options["prepare_threshold"] = (
        None if threshold.lower() in ("off", "none", "") else int(threshold)
    )
    # The scan statements take their lock against deletes when PostgreSQL reads them, before the
    # snapshot in which they look for the person (checkins.fastsql.fast_entries). That holds in
    # READ COMMITTED, where each statement gets a snapshot of its own; in a stricter level, the
    # transaction's snapshot is taken before the lock. Set for the session, since psycopg's
    # isolation_level does not reach statements run in autocommit, and a server or database
    # default must not change it.
    options["options"] = " ".join(
        filter(None, [options.get("options"), "-c default_transaction_isolation=read\\ committed"])
    )

# Caches. The default one holds what all workers must share: the rate-limit counts
# (kiemdich.ratelimit, django-ratelimit). In the database by default (its table is made by the
# migration kiemdich/web/migrations/0001), in Redis when REDIS_URL is set (recommended for
# production: a count costs one round trip there, several in the database). "local" is a
# per-process cache for what must not be shared.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that is down or stuck fails fast (a 503, kiemdich.unavailable), as the
            # database does with DB_CONNECT_TIMEOUT, instead of holding every worker.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
        if REDIS_URL
        else {
            "BACKEND": "kiemdich.cache.DatabaseCache",  # Django's, with an atomic incr
            "LOCATION": "kiemdich_cache",
            # Above MAX_ENTRIES (SQLite) the expired counts are deleted; live ones never are
            # (kiemdich.cache.DatabaseCache._cull).
            "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("KIEMDICH_CACHE_MAX_ENTRIES", "50000"))},
        }
    ),
    "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}

# Proxies whose X-Forwarded-For is believed (kiemdich.clientip): comma-separated addresses or
# networks, e.g. "127.0.0.1,10.0.0.0/8" for nginx on the same machine or the local network.
# Empty: the socket's address is the client (right when nothing sits in front of gunicorn).
try:
    TRUSTED_PROXIES = parse_proxies(os.environ.get("KIEMDICH_TRUSTED_PROXIES", ""))
except ValueError as exc:
    raise ImproperlyConfigured(f"KIEMDICH_TRUSTED_PROXIES: {exc}") from None

# Rate limits on public writes (kiemdich.ratelimit): django-ratelimit's "count/period", period
# s, m, h or d with an optional multiple (e.g. "5/15m"); each can be set with
# KIEMDICH_RATELIMIT_<GROUP> (upper case, "-" as "_"), e.g. KIEMDICH_RATELIMIT_SCAN=1200/m.
# Per client address unless said otherwise. Mobile carriers put many phones behind one address
# (carrier-grade NAT), so the limits of what phones do on their own (scans, installs) are wide;
# what is rare and worth forging (back-dated scans, batches, sign-ups, sign-ins) is tight.
RATELIMIT_DEFAULTS = {
    "scan": "600/m",  # single scans, API and the /c/ page
    "scan-backdated": "60/m",  # single scans timed more than BACKDATED_AFTER ago
    "scan-batch": "60/h",  # batches of up to 1,000 scans, per signed-in user or per address
    "declare": "30/m",  # health declarations and corrections, API and pages together
    "monitoring-report": "30/m",  # daily reports from the signed link and /me/, per address
    "install": "300/m",  # app installs reported by phones
    "signup": "10/h",
    "venue-register": "30/h",  # per signed-in user, API and page together
    "venue-staff": "30/h",  # staff added to checkpoints, per signed-in user
    # Codes sent to visitors without a smartphone (checkins.phonecheck): per staff account, and
    # per phone number whoever asks (an SMS flood to one phone from many accounts).
    "phone-code": "30/h",
    "phone-code-phone": "5/h",
    # Bluetooth exposure notification (proximity): a verification code claimed for a token (an
    # 8-digit code is guessed by trying, so tight), and the phone's other public writes (the
    # certificate, the key upload, an exposure shared with tracing).
    "proximity-verify": "30/h",
    "proximity-upload": "120/h",
    # An exposure shared with tracing, per person (their token), whatever the address: once a
    # day (the same share again gets the same answer), so a token cannot test public keys.
    "proximity-share": "1/d",
    # Failed sign-ins, then locked out until the window ends: of one username from one address
    # (so a stranger cannot lock an official out everywhere), of one username from anywhere
    # (guessing from many addresses), and from one address whatever the username.
    "login-user": "5/15m",
    "login-account": "50/h",
    "login-address": "30/15m",  # failed sign-ins per client address
    "hotline-report": "10/h",  # citizens' reports to the hotline, public form and Open311
    "hotline-status": "120/m",  # status lookups by number, /1022/status/ and Open311's GETs
}
RATELIMITS = {
    group: os.environ.get("KIEMDICH_RATELIMIT_" + group.upper().replace("-", "_"), rate)
    for group, rate in RATELIMIT_DEFAULTS.items()
}
for _group, _rate in RATELIMITS.items():
    if not re.fullmatch(r"\d+/\d*[smhd]", _rate):
        raise ImproperlyConfigured(f"Rate limit {_group}: {_rate!r} is not like 600/m or 5/15m.")
#: A scan timed this many seconds before it arrives counts as back-dated.
RATELIMIT_BACKDATED_AFTER = int(os.environ.get("KIEMDICH_RATELIMIT_BACKDATED_AFTER", "600"))
# django-ratelimit: the counts live in the default cache.
RATELIMIT_USE_CACHE = "default"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where `collectstatic` writes (and WhiteNoise serves from): outside the code when installed.
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# HTTPS, behind the reverse proxy that holds the certificate (README, "Running in production").
# KIEMDICH_HTTPS=1 turns on all of it. The proxy must set `X-Forwarded-Proto: https` (nginx:
# `proxy_set_header X-Forwarded-Proto $scheme;`): that header is how Django knows a request came
# in over HTTPS, and without it every request is redirected to itself.
HTTPS = env_bool("KIEMDICH_HTTPS")
if HTTPS and not TRUSTED_PROXIES:
    raise ImproperlyConfigured(
        "KIEMDICH_HTTPS=1 needs KIEMDICH_TRUSTED_PROXIES, the address of the proxy that holds "
        "the certificate (e.g. 127.0.0.1 for nginx on this machine): X-Forwarded-Proto is "
        "believed from it only."
    )
if HTTPS or (not DEBUG and PUBLIC_URL.startswith("https://")):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if HTTPS:
    SECURE_SSL_REDIRECT = True
    # Load balancers probe the health check over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^api/v1/health$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("KIEMDICH_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Asking browsers to preload the domain binds every subdomain for months, and is hard to
    # undo: the domain's owner decides (KIEMDICH_HSTS_PRELOAD=1), so the check is silenced.
    SECURE_HSTS_PRELOAD = env_bool("KIEMDICH_HSTS_PRELOAD")
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Content-Security-Policy (django-csp): scripts, styles, images and connections from this site
# only, no inline script, style attribute or <style> element, no plugins, no framing. The few
# pages that need more widen it for themselves (csp.decorators): the staff scanner compiles the
# barcode reader's WebAssembly, the API docs (Swagger UI) set inline styles and data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
CSRF_TRUSTED_ORIGINS = [PUBLIC_URL] if PUBLIC_URL.startswith("http") else []

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Master secret from which the Ed25519 keys that sign venue QR payloads are derived
# (kiemdich.venues.signing). Only public keys are stored in the database.
# At least 32 characters (HKDF turns it into 32-byte keys: a shorter secret is the weak link).
QR_SIGNING_KEY = required_secret(
    "KIEMDICH_QR_SIGNING_KEY", "qr_signing_key", min_length=32, min_unique=10
)

# Master secret the P-256 keys signing the proximity export files are derived from (with each
# key's random salt, kiemdich.proximity.signing): only public keys and salts are stored. Unset,
# it is SECRET_KEY (under its own HKDF label); changing it makes the stored keys unusable, and
# the export run then refuses to sign until `kiemdich proximity rotate-key --now` makes a new one.
PROXIMITY_SIGNING_SECRET = os.environ.get("KIEMDICH_PROXIMITY_SIGNING_SECRET", "") or SECRET_KEY
