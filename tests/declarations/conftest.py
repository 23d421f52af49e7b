import pytest

from kiemdich.declarations.models import Person

DECLARATION = {
    "full_name": "Nguyễn Văn An",
    "birth_year": 1990,
    "gender": "male",
    "nationality": "VN",
    "id_number": "001090012345",
    "phone": "0912 345 678",
    "commune_code": "25396",
    "address": "Số 5, đường Trần Hưng Đạo",
    "purpose": "domestic",
    "symptoms": [],
    "contact_with_case": False,
    "travel_outbreak_area": False,
}


@pytest.fixture
def declare(client):
    """POST a declaration (overrides on top of a valid one); returns the response."""

    def post(**overrides):
        return client.post(
            "/api/v1/declarations", {**DECLARATION, **overrides}, content_type="application/json"
        )

    return post


def make_person(n: int = 0) -> Person:
    """A person stored as a declaration leaves them (no request): `n` keeps people apart."""
    return Person.objects.create(
        full_name=f"Nguyễn Văn {n}",
        birth_year=1990,
        gender="male",
        nationality="VN",
        id_number=f"07909{n:07d}",
        phone=f"09123456{n:02d}",
        commune_id="25396",
        address="Số 1, đường Lê Lợi",
    )
