"""A phone, end to end, against the key server (no Django: it is what an app would run).

`kiemdich proximity client` plays two phones with it: the confirmed case's phone, which makes
14 days of keys, takes the code a tracer gave, verifies it, asks for a certificate bound to its
keys (the tekmac, `tekmac.py`) and uploads them; and a phone that was near it, which logged
the case's broadcasts, downloads the export files, matches them (`matching.match`) and shows
its warning. With the person's choice (`share`), the warned phone tells tracing who it is.

Everything goes through a `Transport` (HTTP with urllib, or Django's test client in-process),
so the same code runs against a server anywhere.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from . import exportfile, matching, protocol, tekmac
from .encounters import EncounterLog

#: The days of keys a phone keeps and uploads.
KEY_DAYS = 14
#: The most keys one share may send (the server's `proximity-share` rule).
SHARED_KEYS = 14
API = "/api/v1/proximity"


class Transport(Protocol):
    def request(self, method: str, url: str, body: dict | None = None) -> tuple[int, bytes]:
        """Send a request (a path on the server, or a full URL); the status and body."""


class HttpTransport:
    """The server at `base_url`, over HTTP(S)."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout

    def request(self, method: str, url: str, body: dict | None = None) -> tuple[int, bytes]:
        full = urllib.parse.urljoin(self.base_url, url)
        if urllib.parse.urlsplit(full).scheme not in ("http", "https"):
            raise ClientError(0, "bad_url", f"not an http(s) URL: {full}")
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(full, data=data, method=method)  # noqa: S310 (checked)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as answer:  # noqa: S310
                return answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()


class ClientError(Exception):
    """The server refused a step: its status, stable `code` and message."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail


def _call(transport: Transport, path: str, body: dict) -> dict:
    status, raw = transport.request("POST", path, body)
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        answer = {"detail": raw[:200].decode(errors="replace"), "code": f"http_{status}"}
    if status >= 400:
        detail = answer.get("detail")
        raise ClientError(
            status, str(answer.get("code", status)), json.dumps(detail, ensure_ascii=False)
        )
    return answer


def make_keys(now: dt.datetime, days: int = KEY_DAYS) -> list[protocol.TemporaryExposureKey]:
    """A key for each of the last `days` days, today's (still rolling) first."""
    today = protocol.rolling_start(protocol.interval_number(now))
    return [
        protocol.TemporaryExposureKey(protocol.new_tek(), today - d * protocol.TEK_ROLLING_PERIOD)
        for d in range(days)
    ]


def key_of(keys: Sequence[protocol.TemporaryExposureKey], when: dt.datetime):
    interval = protocol.interval_number(when)
    return next(k for k in keys if k.covers(interval))


def hear(
    log: EncounterLog,
    keys: Sequence[protocol.TemporaryExposureKey],
    start: dt.datetime,
    minutes: int,
    *,
    rssi: int,
    tx_power: int = -8,
    scan_seconds: int = 300,
) -> int:
    """Log what a phone near one with `keys` heard: a sighting per scan for `minutes`."""
    meta = protocol.metadata(tx_power)
    count = 0
    for offset in range(0, minutes * 60, scan_seconds):
        when = start + dt.timedelta(seconds=offset)
        ad = key_of(keys, when).advertisement(protocol.interval_number(when), meta)
        log.add(ad.rpi, ad.aem, int(when.timestamp()), rssi)
        count += 1
    return count


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class Uploaded:
    keys: int
    inserted: int
    linked: int
    retried: bool


def upload(
    transport: Transport,
    keys: Sequence[protocol.TemporaryExposureKey],
    code: str,
    *,
    consent: bool = False,
    transmission_risk: int = 0,
) -> Uploaded:
    """Code -> token -> certificate for these keys' tekmac -> upload (ClientError on refusal)."""
    token = _call(transport, f"{API}/verify", {"code": code})["token"]
    secret = tekmac.new_secret()
    refs = [tekmac.KeyRef(_b64(k.key), k.rolling_start, k.rolling_period) for k in keys]
    certificate = _call(
        transport,
        f"{API}/certificate",
        {"token": token, "ekeyhmac": tekmac.calculate_b64(secret, refs)},
    )["certificate"]
    body = {
        "temporaryExposureKeys": [
            {
                "key": ref.key,
                "rollingStartNumber": ref.rolling_start,
                "rollingPeriod": ref.rolling_period,
                "transmissionRisk": transmission_risk,
            }
            for ref in refs
        ],
        "verificationPayload": certificate,
        "hmacKey": _b64(secret),
        "consent": consent,
    }
    answer = _call(transport, f"{API}/keys", body)
    return Uploaded(
        len(refs), answer["insertedExposures"], answer["linkedToCase"], answer["retried"]
    )


def download(transport: Transport, index_url: str) -> list[bytes]:
    """The export files the index lists (one path or URL a line, relative to the index)."""
    status, raw = transport.request("GET", index_url)
    if status != 200:
        raise ClientError(status, f"http_{status}", f"no export index at {index_url}")
    files = []
    for line in raw.decode().splitlines():
        if line.strip():
            got, data = transport.request("GET", urllib.parse.urljoin(index_url, line.strip()))
            if got != 200:
                raise ClientError(got, f"http_{got}", f"export file {line} missing")
            files.append(data)
    return files


def diagnosis_keys(
    files: Iterable[bytes], public_key_pem: bytes | None = None
) -> tuple[list[matching.DiagnosisKey], int]:
    """The keys of the export files whose signature verifies (all, without a public key);
    and how many files were dropped for a bad signature."""
    keys: list[matching.DiagnosisKey] = []
    dropped = 0
    for data in files:
        if public_key_pem is not None and not exportfile.verify_export(data, public_key_pem):
            dropped += 1
            continue
        export, _signatures = exportfile.read_export(data)
        for k in export.keys:
            onset = (
                k.days_since_onset_of_symptoms
                if k.HasField("days_since_onset_of_symptoms")
                else None
            )
            keys.append(
                matching.DiagnosisKey(
                    k.key_data,
                    k.rolling_start_interval_number,
                    k.rolling_period,
                    k.transmission_risk_level,
                    onset,
                )
            )
    return keys, dropped


#: The warning, in the languages the app shows (Vietnamese first).
WARNINGS = {
    "vi": (
        "CẢNH BÁO: điện thoại của bạn đã ở gần một người được xác nhận mắc COVID-19 "
        "khoảng {minutes:.0f} phút ngày {day}. Hãy theo dõi sức khỏe, hạn chế tiếp xúc và "
        "gọi trạm y tế xã hoặc 1022 để được hướng dẫn."
    ),
    "en": (
        "WARNING: your phone was near a person confirmed with COVID-19 for about "
        "{minutes:.0f} minutes on {day}. Watch your health, limit contacts and call your "
        "commune health station or 1022 for advice."
    ),
}
ALL_CLEAR = {
    "vi": "Không phát hiện tiếp xúc gần có nguy cơ trong 14 ngày qua.",
    "en": "No risky close contact found in the last 14 days.",
}


def warning(exposures: Sequence[matching.Exposure], lang: str = "vi") -> str:
    """What the phone shows: the riskiest exposure at risk, or that there is none."""
    risky = [e for e in exposures if e.risk.at_risk]
    if not risky:
        return ALL_CLEAR[lang]
    worst = max(risky, key=lambda e: e.risk.score)
    first = dt.datetime.fromtimestamp(worst.contacts[0].sighting.time, dt.UTC)
    minutes = sum(worst.risk.minutes[:2])
    return WARNINGS[lang].format(minutes=minutes, day=f"{first:%d/%m/%Y}")


def share(
    transport: Transport, person_token: str, exposures: Sequence[matching.Exposure]
) -> dict[str, Any]:
    """Tell tracing who this phone's person is, with the keys it matched (their choice): the
    riskiest 14 at risk, as the server takes one share of at most 14 keys a day. The answer,
    `{"received": n}`, is the same whether the keys lead to a case or not (the person hears
    from the tracer if they are listed)."""
    risky = sorted((e for e in exposures if e.risk.at_risk), key=lambda e: -e.risk.score)
    body = {
        "personToken": person_token,
        "exposures": [
            {
                "key": _b64(e.key.key),
                "rollingStartNumber": e.key.rolling_start,
                "firstSeen": dt.datetime.fromtimestamp(
                    e.contacts[0].sighting.time, dt.UTC
                ).isoformat(),
                "lastSeen": dt.datetime.fromtimestamp(
                    e.contacts[-1].sighting.time, dt.UTC
                ).isoformat(),
            }
            for e in risky[:SHARED_KEYS]
        ],
    }
    return _call(transport, f"{API}/exposures", body)
