import pytest

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
