"""`kiemdich hotline escalations`: send the escalation steps of the hotline's tickets that fell
due (each once), or book the check every HOTLINE_CHECK_EVERY minutes for the task worker."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from kiemdich.cli import at_option
from kiemdich.hotline.services import escalate
from kiemdich.hotline.tasks import schedule_escalation_check


class Command(BaseCommand):
    help = (
        "Hotline 1022. `escalations`: send the warnings (80 %) and breaches (100 %) that fell "
        "due on open tickets, each once per ticket (running it again adds nothing)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["escalations"])
        parser.add_argument("--at", help="check as if it were this ISO date-time")
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="book the check every few minutes for `kiemdich db_worker` instead",
        )

    def handle(self, *args, action: str, at: str | None, schedule: bool, **options) -> None:
        if schedule:
            if schedule_escalation_check() is None:
                self.stdout.write(
                    "Nothing enqueued: a check is already booked, or KIEMDICH_TASKS is not "
                    "'database' (then run `kiemdich hotline escalations` from cron every few "
                    "minutes)."
                )
            else:
                self.stdout.write("Escalation check booked.")
            return
        run = escalate(at_option(at, "2021-07-12T02:00") or timezone.now())
        self.stdout.write(
            f"{run.steps} steps sent: {run.messages} messages queued ({run.digests} digests)."
        )
