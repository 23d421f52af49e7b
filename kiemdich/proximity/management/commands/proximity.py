"""`kiemdich proximity identifiers --tek HEX --interval N [--count K] [--metadata HEX]`."""

from django.core.management.base import BaseCommand, CommandError

from kiemdich.proximity import protocol


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

    def handle(self, *args, action, tek, interval, count, metadata, **options):
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
