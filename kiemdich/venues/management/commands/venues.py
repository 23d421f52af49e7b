"""`kiemdich venues import FILE`, `venues posters --unit CODE -o FILE.pdf`, `venues keys ...`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kiemdich.cli import progress_bar, run_import
from kiemdich.geo.models import Unit
from kiemdich.venues import imports, poster, services, signing
from kiemdich.venues.models import SigningKey, Venue


class Command(BaseCommand):
    help = "Checkpoints: import a list, print an area's posters, manage QR signing keys."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser(
            "import", help="Import checkpoints from .xlsx or .csv (all or nothing)."
        )
        imp.add_argument("file", type=Path)
        posters = sub.add_parser("posters", help="Write all posters of an area into one PDF.")
        posters.add_argument("--unit", required=True, help="Province, district or commune code.")
        posters.add_argument("-o", "--output", type=Path, required=True)
        keys = sub.add_parser("keys", help="QR signing keys: list, rotate, retire KID.")
        keys.add_argument("key_action", choices=["list", "rotate", "retire"])
        keys.add_argument("kid", nargs="?")

    def handle(self, *args, action: str, **options):
        getattr(self, f"do_{action}")(**options)

    def do_import(self, file: Path, **_options) -> None:
        report = run_import(self, file, imports.import_venues, "checkpoints")
        self.stdout.write(
            self.style.SUCCESS(f"Checkpoints: {report.created} created, {report.updated} updated.")
        )

    def do_posters(self, unit: str, output: Path, **_options) -> None:
        area = Unit.objects.filter(code=unit).first()
        if area is None:
            raise CommandError(f"No administrative unit with code {unit}.")
        venues = Venue.objects.under(area).printable()
        total = venues.count()
        if total == 0:
            raise CommandError(f"No approved checkpoints in {area.full_name}.")
        bar = progress_bar("posters")
        with output.open("wb") as fh:
            pages = poster.write_posters(bar(services.area_posters(venues.iterator())), fh)
        self.stdout.write(self.style.SUCCESS(f"{pages} posters written to {output}."))

    def do_keys(self, key_action: str, kid: str | None, **_options) -> None:
        if key_action == "rotate":
            key = signing.rotate()
            self.stdout.write(self.style.SUCCESS(f"New key {key.kid}: new posters use it."))
        elif key_action == "retire":
            if not kid:
                raise CommandError("Name the key to retire: kiemdich venues keys retire KID")
            try:
                signing.retire(kid)
            except SigningKey.DoesNotExist as exc:
                raise CommandError(f"No key {kid}.") from exc
            self.stdout.write(self.style.SUCCESS(f"Key {kid} retired: its posters are refused."))
        else:
            current = signing.current_key().kid
            for key in SigningKey.objects.all():
                state = (
                    "retired" if key.retired_at else ("current" if key.kid == current else "valid")
                )
                self.stdout.write(f"{key.kid:<6} {state:<8} created {key.created_at:%Y-%m-%d}")
