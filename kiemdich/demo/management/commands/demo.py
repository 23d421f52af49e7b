"""`kiemdich demo`: load the Bình Phước demo and print the demo logins."""

from django.core.management.base import BaseCommand

from kiemdich.demo import province as demo


class Command(BaseCommand):
    help = "Load demo data for Bình Phước (units, figures, one user per role) and print logins."

    def handle(self, *args, **options):
        users = demo.load_demo()
        self.stdout.write(self.style.SUCCESS("Demo data for Bình Phước loaded."))
        self.stdout.write(f"\nLogins (password for all: {demo.PASSWORD}):")
        self.stdout.write(f"  {'admin':<10} superuser (Django admin at /admin/)")
        for u in users:
            area = u.unit or "-"
            self.stdout.write(f"  {u.username:<10} {u.role:<18} area {area:<6} {u.name}")
