"""`kiemdich hotline escalations`: send the escalation steps of the hotline's tickets that fell
due (each once), or book the check every HOTLINE_CHECK_EVERY minutes for the task worker.
`kiemdich hotline rollup`: count the statistics' daily rollup again from the tickets (after
loading tickets by other means than the services)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kiemdich.cli import at_option
from kiemdich.hotline.services import escalate, rebuild_rollup
from kiemdich.hotline.tasks import schedule_escalation_check


def day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not an ISO date: {text!r} (e.g. 2021-07-12)") from None


class Command(BaseCommand):
    help = (
        "Hotline 1022. `escalations`: send the warnings (80 %) and breaches (100 %) that fell "
        "due on open tickets, each once per ticket (running it again adds nothing). "
        "`rollup`: count the statistics' daily rollup again from the tickets."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["escalations", "rollup"])
        parser.add_argument("--at", help="check as if it were this ISO date-time")
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="book the check every few minutes for `kiemdich db_worker` instead",
        )
        parser.add_argument("--from", dest="start", help="rollup: first day (default: all)")
        parser.add_argument("--to", dest="end", help="rollup: last day (default: all)")

    def handle(
        self,
        *args,
        action: str,
        at: str | None,
        schedule: bool,
        start: str | None,
        end: str | None,
        **options,
    ) -> None:
        if action == "rollup":
            rows = rebuild_rollup(day(start) if start else None, day(end) if end else None)
            self.stdout.write(f"Rollup counted again: {rows} rows.")
            return
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
