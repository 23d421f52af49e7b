"""`kiemdich retention`: delete what is past the retention period now, or book the daily purge."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from kiemdich.checkins.retention import purge_expired, retention_cutoff
from kiemdich.checkins.tasks import next_purge_time, schedule_purge


class Command(BaseCommand):
    help = (
        "Delete personal data older than KIEMDICH_RETENTION_DAYS: scans, declarations, people, "
        "cases and contact lists, the message outbox, expired sessions, the admin log about "
        "them and finished task results (statistics are kept). With --schedule, book the daily "
        "purge for the task worker."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="enqueue the daily purge (02:00 local) for `kiemdich db_worker` instead",
        )

    def handle(self, *args, schedule: bool, **options) -> None:
        if schedule:
            result = schedule_purge()
            if result is None:
                self.stdout.write(
                    "Nothing enqueued: a purge is already booked, or KIEMDICH_TASKS is not "
                    "'database' (then run `kiemdich retention` daily, e.g. from cron)."
                )
            else:
                self.stdout.write(f"Daily purge booked for {next_purge_time():%Y-%m-%d %H:%M}.")
            return
        cutoff = retention_cutoff()
        self.stdout.write(
            f"Deleting what is older than {settings.RETENTION_DAYS} days "
            f"(before {cutoff:%Y-%m-%d %H:%M} UTC)…"
        )
        deleted = 0

        def progress(n: int) -> None:
            nonlocal deleted
            deleted += n
            self.stdout.write(f"  {deleted:,} rows deleted", ending="\r")
            self.stdout.flush()

        report = purge_expired(progress=progress)
        if deleted:
            self.stdout.write("")  # end the progress line
        self.stdout.write(
            f"Deleted {report.checkins:,} scans, {report.declarations:,} declarations and "
            f"{report.people:,} people. Statistics are unchanged."
        )
        if any(report.other.values()):
            self.stdout.write(
                "Also deleted: "
                + ", ".join(f"{n:,} {label}" for label, n in report.other.items() if n)
                + "."
            )
