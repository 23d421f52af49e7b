"""Publishing the export files: one signed, padded file per hour of arrival, and the index.

`publish(now)` (the hourly task, `kiemdich proximity export`) does, in order:

1. deletes the keys past their 14 days (keystore.expired), so no new file carries one;
2. writes a file for every hour that is due and has none yet: the hours from the last file
   (or the first key) to the last hour that ended `PROXIMITY_EXPORT_DELAY_MINUTES` ago, so
   every hour has a file, with keys or not (a missing file would say nobody uploaded); each
   holds the keys that arrived in that hour, padded with random decoys to
   `PROXIMITY_EXPORT_MIN_KEYS` plus a random 0..`PROXIMITY_EXPORT_JITTER`, sorted by their
   bytes (exportfile.write_export), signed by the active key (signing.active_key);
3. withdraws the files whose every key is older than 14 days: they leave the index, then the
   disk;
4. rewrites `index.txt`: the served files' names, oldest first;
5. retires signing keys no served file is signed by any more.

Files are written where a CDN or nginx can serve them as they are
(`<KIEMDICH_DATA_DIR>/proximity/exports/<region>/<start>-<end>.zip`, Unix seconds), each to a
temporary name and renamed into place, so a reader never sees half a file. Runs are serialized
by a row lock, and each hour is one transaction: a file is on disk before its row commits, so a
crash leaves at worst a file no row and no index line names, which the next run writes again
and the sweep removes if it is not. A rerun finds every due hour published and writes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min
from django.utils import timezone

from . import keystore, signing
from .exportfile import INTERVAL_SECONDS, ExportSigner, pad_with_decoys, write_export
from .models import ExportFile, ExportRun, SigningKey

HOUR = dt.timedelta(hours=1)
INDEX_NAME = "index.txt"
#: A published file's name: `<start>-<end>.zip` in Unix seconds, nothing else is ever served.
FILE_NAME = re.compile(r"[0-9]{1,12}-[0-9]{1,12}\.zip")
#: Runs shown on the status page are kept this long.
RUNS_KEPT = dt.timedelta(days=14)


def export_dir(region: str | None = None) -> Path:
    """Where a region's files and index are written (and served from, by nginx or the app)."""
    return Path(settings.DATA_DIR) / "proximity" / "exports" / (region or settings.PROXIMITY_REGION)


def file_name(start: dt.datetime, end: dt.datetime) -> str:
    return f"{int(start.timestamp())}-{int(end.timestamp())}.zip"


def last_due_hour(now: dt.datetime) -> dt.datetime:
    """The start of the newest hour old enough to publish: ended, plus the delay."""
    delay = dt.timedelta(minutes=settings.PROXIMITY_EXPORT_DELAY_MINUTES)
    return keystore.arrival_hour(now - delay) - HOUR


@dataclass
class RunReport:
    files_written: list[str] = field(default_factory=list)
    files_withdrawn: list[str] = field(default_factory=list)
    keys_deleted: int = 0
    keys_retired: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


@contextlib.contextmanager
def _serialized() -> Iterator[None]:
    """One publisher at a time (the task and a cron-run command may overlap): a transaction
    holding the lock on the first signing key's row, which always exists and never goes."""
    with transaction.atomic():
        SigningKey.objects.select_for_update().order_by("version").first()
        yield


def _write_atomically(path: Path, data: bytes) -> None:
    """Write beside the target, flush to disk, then rename over it: readers see the old file
    or the new one, never part of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def hours_due(now: dt.datetime, region: str) -> list[dt.datetime]:
    """The hours to publish now: every hour without a file from the last file (or the first
    key still kept) to the last due hour, none older than 14 days."""
    last_due = last_due_hour(now)
    last = ExportFile.objects.filter(region=region).order_by("-start").first()
    if last is not None:
        first = last.start + HOUR
    else:
        earliest = keystore.live(now).aggregate(first=Min("received_hour"))["first"]
        first = min(earliest, last_due) if earliest else last_due
    first = max(first, keystore.arrival_hour(now - keystore.KEEP))
    hours = []
    while first <= last_due:
        hours.append(first)
        first += HOUR
    return hours


def _publish_hour(
    hour: dt.datetime, region: str, key: SigningKey, signer: ExportSigner, now: dt.datetime
) -> str | None:
    """Write and record the file of one hour; None if another run already did."""
    with _serialized():
        if ExportFile.objects.filter(region=region, start=hour).exists():
            return None
        real = keystore.export_keys(keystore.live(now).filter(received_hour=hour))
        end = hour + HOUR
        keys = pad_with_decoys(
            real,
            minimum=settings.PROXIMITY_EXPORT_MIN_KEYS,
            jitter=settings.PROXIMITY_EXPORT_JITTER,
            window_end=end,
        )
        data = write_export(keys, start=hour, end=end, region=region, signer=signer)
        name = file_name(hour, end)
        _write_atomically(export_dir(region) / name, data)
        until = max(k.rolling_start_interval_number + k.rolling_period for k in keys)
        ExportFile.objects.create(
            region=region,
            start=hour,
            end=end,
            name=name,
            signing_key=key,
            real_keys=len(real),
            total_keys=len(keys),
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            keys_until=dt.datetime.fromtimestamp(until * INTERVAL_SECONDS, tz=dt.UTC),
            published_at=now,
        )
        return name


def _withdraw_and_index(region: str, now: dt.datetime) -> list[str]:
    """Withdraw the files whose keys are all past 14 days, write the index of the others,
    then remove from disk every file the index does not name (withdrawn, or left by a crash)."""
    with _serialized():
        old = ExportFile.objects.filter(
            region=region, withdrawn_at__isnull=True, keys_until__lte=now - keystore.KEEP
        )
        withdrawn = list(old.values_list("name", flat=True))
        old.update(withdrawn_at=now)
        served = list(
            ExportFile.objects.filter(region=region, withdrawn_at__isnull=True)
            .order_by("start")
            .values_list("name", flat=True)
        )
        folder = export_dir(region)
        _write_atomically(folder / INDEX_NAME, "".join(f"{n}\n" for n in served).encode())
        keep = set(served) | {INDEX_NAME}
        for path in folder.iterdir():
            if path.is_file() and path.name not in keep:
                path.unlink(missing_ok=True)
    return withdrawn


def publish(now: dt.datetime | None = None) -> RunReport:
    """Publish every due hour once, withdraw old files, rewrite the index (see the module).

    The run is recorded (ExportRun) for the status page, with its error if it failed; the
    error is raised again so the task or command that ran it fails visibly too.
    """
    now = now or timezone.now()
    region = settings.PROXIMITY_REGION
    run = ExportRun.objects.create(started_at=now)
    began = time.monotonic()
    report = RunReport()
    try:
        report.keys_deleted = keystore.delete_expired(now)
        key = signing.active_key(now)
        signer = signing.signer(key)
        for hour in hours_due(now, region):
            name = _publish_hour(hour, region, key, signer, now)
            if name:
                report.files_written.append(name)
        report.files_withdrawn = _withdraw_and_index(region, now)
        report.keys_retired = signing.retire_unused(now)
        ExportRun.objects.filter(started_at__lt=now - RUNS_KEPT).delete()
    except Exception as exc:
        run.error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        run.finished_at = now + dt.timedelta(seconds=time.monotonic() - began)
        run.files_written = len(report.files_written)
        run.files_withdrawn = len(report.files_withdrawn)
        run.keys_deleted = report.keys_deleted
        run.save()
    return report


def served_file(name: str, region: str | None = None) -> Path | None:
    """The path of a served file by its published name; None for anything else.

    The name must be one the index lists (a row not withdrawn): a path with a slash, `..`, or
    any name the server did not publish never reaches the file system.
    """
    if not FILE_NAME.fullmatch(name):
        return None
    region = region or settings.PROXIMITY_REGION
    if not ExportFile.objects.filter(region=region, name=name, withdrawn_at__isnull=True).exists():
        return None
    path = export_dir(region) / name
    return path if path.is_file() else None


def index_path(region: str | None = None) -> Path:
    return export_dir(region) / INDEX_NAME


# --- the officials' status page ------------------------------------------------------------


@dataclass
class PendingHour:
    hour: dt.datetime
    keys: int
    publish_after: dt.datetime


@dataclass
class Overview:
    region: str
    last_file: ExportFile | None
    files: list[ExportFile]
    pending: list[PendingHour]
    keys: list[tuple[SigningKey, str]]
    last_run: ExportRun | None
    last_error: ExportRun | None
    real_keys: int
    total_keys: int


def overview(now: dt.datetime | None = None) -> Overview:
    """What the status page shows: counts only, never which keys are decoys."""
    now = now or timezone.now()
    region = settings.PROXIMITY_REGION
    files = list(
        ExportFile.objects.filter(region=region, withdrawn_at__isnull=True)
        .select_related("signing_key")
        .order_by("-start")
    )
    published = set(ExportFile.objects.filter(region=region).values_list("start", flat=True))
    delay = dt.timedelta(minutes=settings.PROXIMITY_EXPORT_DELAY_MINUTES)
    pending = [
        PendingHour(row["received_hour"], row["n"], row["received_hour"] + HOUR + delay)
        for row in keystore.live(now)
        .values("received_hour")
        .annotate(n=Count("pk"))
        .order_by("received_hour")
        if row["received_hour"] not in published
    ]
    keys = list(SigningKey.objects.order_by("-version"))
    active = next((k for k in keys if k.active_from <= now and k.retired_at is None), None)
    runs = ExportRun.objects.order_by("-started_at")
    return Overview(
        region=region,
        last_file=files[0] if files else None,
        files=files,
        pending=pending,
        keys=[(k, signing.state(k, now, active)) for k in keys],
        last_run=runs.first(),
        last_error=runs.exclude(error="").first(),
        real_keys=sum(f.real_keys for f in files),
        total_keys=sum(f.total_keys for f in files),
    )
