"""Writing accounts outside sign-up and the admin (the demo's logins): the only code besides
those that saves a User."""

from __future__ import annotations

from django.db import transaction

from .models import User


@transaction.atomic
def set_user(username: str, *, password: str, **fields) -> User:
    """Create or update the login `username` with `fields` (role, unit_id, organization, names,
    phone, ...) and `password`, validated as the admin would; the same call twice changes
    nothing but the password's salt."""
    user = User.objects.filter(username=username).first() or User(username=username)
    for name, value in fields.items():
        setattr(user, name, value)
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def set_superuser(username: str, *, password: str) -> User:
    """Create or update a superuser (staff too) with `password`."""
    user = User.objects.filter(username=username).first() or User(username=username)
    user.is_staff = user.is_superuser = True
    user.set_password(password)
    user.save()
    return user
