"""`kiemdich adoption import FILE`: a carrier's or app vendor's install counts per unit and day."""

from pathlib import Path

from django.core.management.base import BaseCommand

from kiemdich.adoption import installs
from kiemdich.cli import run_import


class Command(BaseCommand):
    help = "App adoption: import install figures."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser(
            "import",
            help="Import unit_code,date,installs (cumulative installs on that date) from a "
            ".csv (UTF-8) or .xlsx file; any bad line means nothing is saved.",
        )
        imp.add_argument("file", type=Path)

    def handle(self, *args, action: str, file: Path, **options):
        report = run_import(self, file, installs.import_figures, "install figures")
        self.stdout.write(
            self.style.SUCCESS(
                f"Install figures: {report.created} created, {report.updated} updated."
            )
        )
