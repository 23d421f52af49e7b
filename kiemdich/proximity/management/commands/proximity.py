"""`kiemdich proximity identifiers --tek HEX --interval N [--count K] [--metadata HEX]`,
`kiemdich proximity export [--schedule]`, `kiemdich proximity rotate-key [--now]` and
`kiemdich proximity simulate --people N --adoption P --days D [--seed S] [--out DIR]`."""

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kiemdich.proximity import protocol, publishing, signing, simulation, tasks


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

    def handle(self, *args, action, **options):
        if action == "export":
            return self.export(options["schedule"])
        if action == "rotate-key":
            return self.rotate(options["now"])
        if action == "simulate":
            return self.simulate(**options)
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
