"""`kiemdich proximity identifiers --tek HEX --interval N [--count K] [--metadata HEX]` and
`kiemdich proximity simulate --people N --adoption P --days D [--seed S] [--out DIR]`."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kiemdich.proximity import protocol, simulation


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
        if action == "simulate":
            return self.simulate(**options)
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
