"""`kiemdich proximity identifiers --tek HEX --interval N [--count K] [--metadata HEX]`,
`kiemdich proximity export [--schedule]`, `kiemdich proximity rotate-key [--now]`,
`kiemdich proximity simulate --people N --adoption P --days D [--seed S] [--out DIR]` and
`kiemdich proximity client --code CODE [--server URL | --in-process] [--exports-dir DIR]`."""

import datetime as dt
import urllib.parse
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kiemdich.proximity import client, matching, protocol, publishing, signing, simulation, tasks
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
        export = sub.add_parser(
            "export", help="Publish the due hours' export files and the index (idempotent)."
        )
        export.add_argument(
            "--schedule", action="store_true", help="also start the hourly background chain"
        )
        rotate = sub.add_parser(
            "rotate-key", help="Make a new export signing key (signs after the head start)."
        )
        rotate.add_argument(
            "--now", action="store_true", help="sign with it at once (a compromised key)"
        )
        sim = sub.add_parser(
            "simulate",
            help="A synthetic district: the share of close contacts Bluetooth and QR scans find.",
        )
        sim.add_argument("--people", type=int, default=100_000, help="default %(default)s")
        sim.add_argument(
            "--adoption",
            type=float,
            default=None,
            help="the app's install rate, 0.1-1 or 10-100 (%%); default a sweep of 10 %% to 90 %%",
        )
        sim.add_argument("--days", type=int, default=14, help="1-14, default %(default)s")
        sim.add_argument("--seed", type=int, default=0, help="default %(default)s")
        sim.add_argument(
            "--out",
            type=Path,
            default=None,
            help="folder for the CSV, PNG and parameters; default the one the officials' page "
            "shows (KIEMDICH_DATA_DIR/proximity/simulation)",
        )
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
        if action == "export":
            return self.export(options["schedule"])
        if action == "rotate-key":
            return self.rotate(options["now"])
        if action == "simulate":
            return self.simulate(**options)
        if action == "client":
            return self.play(**options)
        return self.identifiers(**options)

    def export(self, schedule: bool) -> None:
        try:
            report = publishing.publish()
        except signing.SigningKeyError as exc:
            raise CommandError(exc.message) from None
        for name in report.files_written:
            self.stdout.write(f"published {name}")
        for name in report.files_withdrawn:
            self.stdout.write(f"withdrawn {name}")
        self.stdout.write(
            f"{len(report.files_written)} files published, {len(report.files_withdrawn)} "
            f"withdrawn, {report.keys_deleted} expired keys deleted, "
            f"{report.keys_retired} signing keys retired"
        )
        if schedule:
            queued = tasks.schedule_export()
            self.stdout.write(
                "next run booked" if queued else "no run booked (one is waiting, or no worker)"
            )

    def rotate(self, at_once: bool) -> None:
        try:
            key = signing.rotate(activate_in=dt.timedelta(0) if at_once else None)
        except signing.SigningKeyError as exc:
            raise CommandError(exc.message) from None
        when = timezone.localtime(key.active_from).strftime("%Y-%m-%d %H:%M %Z")
        self.stdout.write(f"key {key.key_id} {key.version_label} published, signs from {when}")
        self.stdout.write(key.public_key_pem.strip())

    def identifiers(self, *, tek, interval, count, metadata, **options) -> None:
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

    def simulate(self, *, people, adoption, days, seed, out, **options):
        if adoption is None:
            levels = list(simulation.SWEEP)
        else:
            level = adoption / 100 if adoption > 1 else adoption
            if not 0 < level <= 1:
                raise CommandError("--adoption is a share above 0 and at most 1 (or 1-100 %)")
            levels = [level]
        try:
            scenario = simulation.Scenario(people=people, days=days, seed=seed)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        result = simulation.simulate(scenario, levels, progress=simulation.text_progress)
        folder = out if out is not None else simulation.folder(Path(settings.DATA_DIR))
        written = simulation.write_outputs(result, folder)
        self.stdout.write(
            f"{people:,} people, {days} days, {result.cases:,} cases, {result.seconds:.0f} s"
        )
        self.stdout.write("adoption  close contacts  bluetooth  qr  either")
        for p in result.points:
            self.stdout.write(
                f"{p.adoption:>7.0%}  {p.true_contacts:>14,}  {p.share('bluetooth'):>9.0%}  "
                f"{p.share('qr'):>3.0%}  {p.share('either'):>6.0%}"
            )
        for path in written:
            self.stdout.write(f"written {path}")

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
            out(
                f"Shared with tracing: {shared['received']} keys received "
                "(a tracer calls if they lead to a case)."
            )


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
