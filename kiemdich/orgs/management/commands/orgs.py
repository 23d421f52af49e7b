"""`kiemdich orgs import FILE.xlsx|csv`: organizations and their headcounts by group."""

from pathlib import Path

from django.core.management.base import BaseCommand

from kiemdich.cli import run_import
from kiemdich.orgs import services


class Command(BaseCommand):
    help = "Organizations: import a list with headcounts by group (all or nothing)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser(
            "import",
            help="Import organizations from .xlsx or .csv, columns "
            + ",".join(services.IMPORT_COLUMNS)
            + " (a blank headcount: the organization has no such group).",
        )
        imp.add_argument("file", type=Path)

    def handle(self, *args, action: str, **options):
        getattr(self, f"do_{action}")(**options)

    def do_import(self, file: Path, **_options) -> None:
        report = run_import(self, file, services.import_orgs, "organizations")
        self.stdout.write(
            self.style.SUCCESS(
                f"Organizations: {report.created} created, {report.updated} updated."
            )
        )
