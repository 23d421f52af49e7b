"""`kiemdich monitoring tick`: the monitoring clock once (close ended periods, flag people not
reporting, queue today's reminders), or book it every hour for the task worker.
`kiemdich monitoring recount`: count every active monitoring again for the dashboards, after
rows were loaded around the services (a restore)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from kiemdich.cli import at_option
from kiemdich.monitoring.services import recount, tick
from kiemdich.monitoring.tasks import next_hour, schedule_tick


class Command(BaseCommand):
    help = (
        "Quarantine and isolation monitoring. `tick`: close the monitorings whose period ended, "
        "list people not heard from for 24 hours, queue today's reminders (running it again "
        "adds nothing). `recount`: count the active monitorings again for the dashboards."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["tick", "recount"])
        parser.add_argument("--at", help="run as if it were this ISO date-time (local by default)")
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="book the clock every hour for `kiemdich db_worker` instead",
        )

    def handle(self, *args, action: str, at: str | None, schedule: bool, **options) -> None:
        if action == "recount":
            self.stdout.write(f"Dashboard counts: {recount():,}.")
            return
        if schedule:
            if schedule_tick() is None:
                self.stdout.write(
                    "Nothing enqueued: a run is already booked, or KIEMDICH_TASKS is not "
                    "'database' (then run `kiemdich monitoring tick` from cron every hour)."
                )
            else:
                self.stdout.write(
                    f"Monitoring clock booked for {timezone.localtime(next_hour()):%H:%M}."
                )
            return
        result = tick(at_option(at, "2021-07-12T08:00"))
        self.stdout.write(
            f"Closed (period completed): {result.completed}; newly not reporting: "
            f"{result.not_reporting}; reminders due: {result.reminded}."
        )
