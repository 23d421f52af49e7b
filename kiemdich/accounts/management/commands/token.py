"""`kiemdich token create USERNAME` / `list` / `revoke PREFIX`."""

from django.core.management.base import BaseCommand, CommandError

from kiemdich.accounts import tokens
from kiemdich.accounts.models import ApiToken, User


class Command(BaseCommand):
    help = "API bearer tokens: create (printed once), list, revoke."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token and print it (shown only once).")
        create.add_argument("username")
        create.add_argument("--name", default="", help="What the token is for, e.g. 'Bluezone'.")
        listing = sub.add_parser("list", help="List tokens (prefixes only).")
        listing.add_argument("username", nargs="?")
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix (kd_xxxxxx).")
        revoke.add_argument("prefix")

    def handle(self, *args, action: str, **options):
        getattr(self, f"do_{action}")(**options)

    def do_create(self, username: str, name: str, **_options) -> None:
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist as exc:
            raise CommandError(f"No user named {username!r}.") from exc
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive.")
        _token, plain = tokens.create_token(user, name)
        self.stderr.write(f"Token for {username} (store it now, it cannot be shown again):")
        self.stdout.write(plain)

    def do_list(self, username: str | None, **_options) -> None:
        qs = ApiToken.objects.select_related("user")
        if username:
            qs = qs.filter(user__username=username)
        for t in qs:
            state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
            self.stdout.write(
                f"{t.prefix}…  {t.user.username:<20} {state:<18} used {used}  {t.name}"
            )

    def do_revoke(self, prefix: str, **_options) -> None:
        matches = list(ApiToken.objects.filter(prefix=prefix.rstrip("…"), revoked_at__isnull=True))
        if not matches:
            raise CommandError(f"No active token with prefix {prefix!r}.")
        if len(matches) > 1:
            raise CommandError(f"Prefix {prefix!r} matches {len(matches)} tokens; revoke in admin.")
        tokens.revoke(matches[0])
        self.stdout.write(self.style.SUCCESS(f"Revoked {matches[0].prefix}…"))
