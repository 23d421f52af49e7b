"""`kiemdich demo`: load the Bình Phước demo and print the demo logins."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand

from kiemdich.demo import province as demo


class Command(BaseCommand):
    help = "Load demo data for Bình Phước (units, figures, one user per role) and print logins."

    def handle(self, *args, **options):
        users = demo.load_demo()
        demo.load_demo_monitoring()
        self.stdout.write(self.style.SUCCESS("Demo data for Bình Phước loaded."))
        self.stdout.write(f"\nLogins (password for all: {demo.PASSWORD}):")
        self.stdout.write(f"  {'admin':<10} superuser (Django admin at /admin/)")
        for u in users:
            area = u.unit or "-"
            self.stdout.write(f"  {u.username:<10} {u.role:<18} area {area:<6} {u.name}")
        self.stdout.write(f"\nPosters, PNG codes and personal QRs point at {settings.PUBLIC_URL}/")
        if urlsplit(settings.PUBLIC_URL).hostname in LOOPBACK:
            self.stdout.write(
                self.style.WARNING(
                    "Only this computer can open that address: for phones on your network, run "
                    "make demo HOST=0.0.0.0:8000 KIEMDICH_PUBLIC_URL=http://<this computer's "
                    "address>:8000"
                )
            )


#: Addresses a phone cannot reach this computer at.
LOOPBACK = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}  # noqa: S104 -- compared, not bound
