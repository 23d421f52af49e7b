"""`kiemdich reports deadlines`: flag and remind the units that missed today's report deadline,
or book the check for the task worker at every deadline."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from kiemdich.cli import at_option
from kiemdich.reports.services import check_deadlines, next_deadline
from kiemdich.reports.tasks import schedule_deadline_check


class Command(BaseCommand):
    help = (
        "Daily reports. `deadlines`: flag the units that have not sent today's report after "
        "their deadline and queue one reminder per officer (running it again adds nothing)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["deadlines"])
        parser.add_argument(
            "--at", help="check as if it were this ISO date-time (local unless a zone is given)"
        )
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="book the check at every deadline for `kiemdich db_worker` instead",
        )

    def handle(self, *args, action: str, at: str | None, schedule: bool, **options) -> None:
        if schedule:
            result = schedule_deadline_check()
            if result is None:
                self.stdout.write(
                    "Nothing enqueued: a check is already booked, or KIEMDICH_TASKS is not "
                    "'database' (then run `kiemdich reports deadlines` from cron after each "
                    "deadline)."
                )
            else:
                when = timezone.localtime(next_deadline())
                self.stdout.write(f"Deadline check booked for {when:%Y-%m-%d %H:%M}.")
            return
        now = at_option(at, "2021-07-12T15:01") or timezone.now()
        result = check_deadlines(now)
        local = timezone.localtime(now)
        flagged = ", ".join(result.flagged) or "none"
        self.stdout.write(
            f"Checked at {local:%Y-%m-%d %H:%M}: {len(result.flagged)} units newly flagged "
            f"({flagged}), {result.reminded} reminders queued."
        )
