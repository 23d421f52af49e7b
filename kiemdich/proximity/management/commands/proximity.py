"""`kiemdich proximity identifiers --tek HEX --interval N [--count K] [--metadata HEX]`,
`kiemdich proximity export [--schedule]` and `kiemdich proximity rotate-key [--now]`."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kiemdich.proximity import protocol, publishing, signing, tasks


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

    def handle(self, *args, action, **options):
        if action == "export":
            return self.export(options["schedule"])
        if action == "rotate-key":
            return self.rotate(options["now"])
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
