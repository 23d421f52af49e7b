"""`kiemdich proximity identifiers --tek HEX --interval N [--count K] [--metadata HEX]`;
`kiemdich proximity client --code CODE [--server URL | --in-process] [--exports-dir DIR]`."""

import datetime as dt
import urllib.parse
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kiemdich.proximity import client, matching, protocol
from kiemdich.proximity.encounters import EncounterLog


def _hex(value: str, length: int, what: str) -> bytes:
    try:
        data = bytes.fromhex(value)
    except ValueError:
        raise CommandError(f"{what} must be hexadecimal, got {value!r}") from None
    if len(data) != length:
        raise CommandError(f"{what} must be {length} bytes ({2 * length} hex digits)")
    return data


class Command(BaseCommand):
    help = "Close-contact detection (GAEN): print the identifiers a key broadcasts."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        ids = sub.add_parser("identifiers", help="One line per interval: number, RPI, AEM (hex).")
        ids.add_argument("--tek", required=True, help="the Temporary Exposure Key, 32 hex digits")
        ids.add_argument("--interval", type=int, required=True, help="first ENIntervalNumber")
        ids.add_argument("--count", type=int, default=1, help="intervals, default 1")
        ids.add_argument("--metadata", default="40000000", help="4 bytes hex, default 40000000")
        phone = sub.add_parser(
            "client",
            help="Play a confirmed case's phone and a phone near it, end to end.",
        )
        phone.add_argument("--code", required=True, help="the verification code a tracer gave")
        where = phone.add_mutually_exclusive_group()
        where.add_argument(
            "--server", default="http://127.0.0.1:8000", help="the server's URL (default local)"
        )
        where.add_argument(
            "--in-process", action="store_true", help="call this install's API in this process"
        )
        phone.add_argument("--exports-dir", type=Path, help="read export files (*.zip) here")
        phone.add_argument(
            "--exports-url",
            help="the export index (default: the server's /api/v1/proximity/exports/index.txt)",
        )
        phone.add_argument("--public-key", type=Path, help="PEM key the export files must verify")
        phone.add_argument("--minutes", type=int, default=30, help="time spent near the case")
        phone.add_argument("--rssi", type=int, default=-50, help="signal heard, dBm (-50: close)")
        phone.add_argument(
            "--consent", action="store_true", help="the case lets contacts join its F1 list"
        )
        phone.add_argument(
            "--share-token", default="", help="the warned person's token: share the exposure"
        )
        phone.add_argument("--lang", choices=sorted(client.WARNINGS), default="vi")

    def handle(self, *args, action, **options):
        if action == "client":
            return self.play(**options)
        return self.identifiers(**options)

    def identifiers(self, *, tek, interval, count, metadata, **options):
        key = _hex(tek, protocol.TEK_LENGTH, "--tek")
        meta = _hex(metadata, protocol.METADATA_LENGTH, "--metadata")
        if count < 1:
            raise CommandError("--count must be at least 1")
        try:
            ads = protocol.advertisements(key, interval, count, meta)
        except protocol.ProtocolError as exc:
            raise CommandError(str(exc)) from None
        for ad in ads:
            self.stdout.write(f"{ad.interval} {ad.rpi.hex()} {ad.aem.hex()}")

    def play(self, *, code, server, in_process, exports_dir, exports_url, public_key, **options):
        transport = InProcess() if in_process else client.HttpTransport(server)
        out = self.stdout.write
        now = timezone.now()
        keys = client.make_keys(now)
        out(f"Case's phone: {len(keys)} daily keys (today's still rolling).")
        log = EncounterLog()
        met = (now - dt.timedelta(days=1)).replace(hour=3, minute=0, second=0, microsecond=0)
        heard = client.hear(log, keys, met, options["minutes"], rssi=options["rssi"])
        out(f"Phone nearby: {heard} sightings from {met:%H:%M %d/%m} UTC.")
        try:
            sent = client.upload(transport, keys, code, consent=options["consent"])
        except client.ClientError as exc:
            raise CommandError(f"upload refused: {exc}") from None
        out(
            f"Verified the code, got a certificate, uploaded {sent.keys} keys: "
            f"{sent.inserted} stored, {sent.linked} linked to the case."
        )
        if exports_dir is not None:
            files = [p.read_bytes() for p in sorted(exports_dir.glob("*.zip"))]
        else:
            index = exports_url or urllib.parse.urljoin(
                "/" if in_process else server.rstrip("/") + "/",
                "api/v1/proximity/exports/index.txt",
            )
            try:
                files = client.download(transport, index)
            except client.ClientError as exc:
                raise CommandError(f"download failed: {exc}") from None
        pem = public_key.read_bytes() if public_key else None
        found, dropped = client.diagnosis_keys(files, pem)
        out(f"Downloaded {len(files)} export files: {len(found)} keys ({dropped} files dropped).")
        exposures = matching.match(found, log)
        self.stdout.write(client.warning(exposures, options["lang"]))
        if options["share_token"] and any(e.risk.at_risk for e in exposures):
            try:
                shared = client.share(transport, options["share_token"], exposures)
            except client.ClientError as exc:
                raise CommandError(f"sharing refused: {exc}") from None
            out(f"Shared with tracing: on {shared['added']} new F1 lists.")


class InProcess:
    """This install's API called in this process (Django's test client): no server needed."""

    def __init__(self) -> None:
        from django.test import Client

        hosts = [h for h in settings.ALLOWED_HOSTS if h and "*" not in h]
        self.client = Client(HTTP_HOST=(hosts[0].lstrip(".") if hosts else "localhost"))

    def request(self, method: str, url: str, body: dict | None = None) -> tuple[int, bytes]:
        path = urllib.parse.urlsplit(url).path
        if method == "GET":
            answer = self.client.get(path)
        else:
            answer = self.client.post(path, body or {}, content_type="application/json")
        content = b"".join(answer.streaming_content) if answer.streaming else answer.content
        return answer.status_code, content
