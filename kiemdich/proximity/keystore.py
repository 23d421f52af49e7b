"""The diagnosis key store's writes outside uploads: adding keys as they arrive, and the 14 days.

`add_keys` is what an upload stores once verified (the upload API's checks are its own, in the
verification module); tests, the demo and the simulator add keys through it too. A key is kept
14 days after it stopped being broadcast (its rolling start plus period): a phone logs
identifiers 14 days, so an older key can match nothing, and keeping it would only keep a trace
of a case. This rule is the protocol's, not the personal-data period's
(settings.RETENTION_DAYS), and it is written once, here (`past_keeping` for one key,
`ended_q` for rows): the upload refuses such a key (keyserver.check_keys), and the retention
purge (proximity/retention.py) and every export run delete it, whatever that period is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from .exportfile import INTERVAL_SECONDS, KEY_DAYS, ExportKey
from .models import DiagnosisKey

KEEP = dt.timedelta(days=KEY_DAYS)
#: KEEP in 10-minute intervals.
KEEP_INTERVALS = KEY_DAYS * 24 * 3600 // INTERVAL_SECONDS


def arrival_hour(moment: dt.datetime) -> dt.datetime:
    """The start (UTC) of the hour a key arriving at `moment` is filed under."""
    return moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def add_keys(keys: Iterable[ExportKey], received_at: dt.datetime | None = None) -> int:
    """Store checked keys as arrived at `received_at` (default now); keys already stored are
    skipped (a phone retrying an upload), not refused. Returns how many were new."""
    hour = arrival_hour(received_at or timezone.now())
    keys = list(keys)
    known = set(
        bytes(k)
        for k in DiagnosisKey.objects.filter(key_data__in=[k.key_data for k in keys]).values_list(
            "key_data", flat=True
        )
    )
    rows = [
        DiagnosisKey(
            key_data=key.key_data,
            rolling_start=key.rolling_start_interval_number,
            rolling_period=key.rolling_period,
            transmission_risk=key.transmission_risk_level,
            report_type=key.report_type,
            days_since_onset=key.days_since_onset_of_symptoms,
            received_hour=hour,
        )
        for key in keys
        if key.key_data not in known
    ]
    # A concurrent upload of the same key loses the race quietly: the key is stored once.
    DiagnosisKey.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def cutoff_interval(now: dt.datetime) -> int:
    """Keys that stopped at or before this 10-minute interval are past their 14 days."""
    return int(now.timestamp()) // INTERVAL_SECONDS - KEEP_INTERVALS


def past_keeping(rolling_start: int, rolling_period: int, now_interval: int) -> bool:
    """Whether a key that started at `rolling_start` for `rolling_period` intervals ended 14
    days or more before the interval `now_interval`: the rule, for one key."""
    return rolling_start + rolling_period <= now_interval - KEEP_INTERVALS


def _ended(rows: QuerySet, now: dt.datetime | None) -> tuple[QuerySet, Q]:
    """`rows` (any with `rolling_start` and `rolling_period`) and the filter of those
    `past_keeping` at `now`: the same rule in SQL."""
    until = rows.alias(until=F("rolling_start") + F("rolling_period"))
    return until, Q(until__lte=cutoff_interval(now or timezone.now()))


def expired(now: dt.datetime | None = None, rows: QuerySet | None = None) -> QuerySet:
    """Keys of `rows` (default: every diagnosis key; also the keys linked to a case with
    consent) whose last interval ended 14 days or more before `now`."""
    rows, ended = _ended(DiagnosisKey.objects.all() if rows is None else rows, now)
    return rows.filter(ended)


def live(now: dt.datetime | None = None) -> QuerySet[DiagnosisKey]:
    """Keys still within their 14 days: the only ones an export may carry."""
    rows, ended = _ended(DiagnosisKey.objects.all(), now)
    return rows.exclude(ended)


def delete_expired(now: dt.datetime | None = None) -> int:
    """Delete the keys past their 14 days; how many."""
    deleted, _ = expired(now).delete()
    return deleted


def export_keys(rows: QuerySet[DiagnosisKey]) -> list[ExportKey]:
    """The keys of `rows` as they go into a file, read as plain values: through model
    instances an hour of 100,000 keys took 3 s to publish instead of 1.2 s (bench/exports.py)."""
    return [
        ExportKey(bytes(data), start, period, risk, report, onset)
        for data, start, period, risk, report, onset in rows.order_by("pk").values_list(
            "key_data",
            "rolling_start",
            "rolling_period",
            "transmission_risk",
            "report_type",
            "days_since_onset",
        )
    ]
