"""The declaration page as a person fills it: questions answered with buttons that start
unchosen (gender, purpose, Có/Không), a list of countries for the nationality (Việt Nam first,
stored as its code), and one message per wrong field, with what was typed kept."""

from __future__ import annotations

import re

from kiemdich.declarations.models import Declaration

from .conftest import DECLARATION

PAGE = {
    **{k: v for k, v in DECLARATION.items() if k not in ("symptoms",)},
    "contact_with_case": "no",
    "travel_outbreak_area": "yes",
}


def _checked(html: str, name: str) -> list[str]:
    return re.findall(rf'<input type="radio" name="{name}" value="(\w+)"[^>]*checked', html)


def test_questions_start_unanswered_and_nationality_is_a_list(binh_phuoc, client):
    html = client.get("/declare/").content.decode()
    for name in ("gender", "purpose", "contact_with_case", "travel_outbreak_area"):
        assert f'type="radio" name="{name}"' in html, name
        assert _checked(html, name) == [], f"{name} is preset"
    yes_no = html.split('id="field-contact_with_case"')[1].split("</fieldset>")[0]
    assert "<legend>" in yes_no and ">Có</label>" in yes_no.replace(" Có", ">Có")
    assert "Không" in yes_no
    options = re.findall(r'<option value="([A-Z]{2})"( selected)?>([^<]+)</option>', html)
    assert options[0] == ("VN", " selected", "Việt Nam")
    names = dict((code, name) for code, _sel, name in options)
    assert names["KH"] == "Campuchia" and names["US"] == "Hoa Kỳ" and len(names) > 200


def test_answers_are_stored_as_before(binh_phuoc, client):
    response = client.post("/declare/", {**PAGE, "nationality": "KH", "id_number": "N1234567"})
    assert response.status_code == 302
    declaration = Declaration.objects.get()
    assert declaration.nationality == "KH"
    assert (declaration.contact_with_case, declaration.travel_outbreak_area) == (False, True)


def test_unanswered_questions_are_each_named_once_and_typed_text_kept(binh_phuoc, client):
    data = {k: v for k, v in PAGE.items() if k not in ("contact_with_case", "gender")}
    data["commune_code"] = ""
    response = client.post("/declare/", data)
    html = response.content.decode()
    assert response.status_code == 200 and not Declaration.objects.exists()
    assert 'value="Nguyễn Văn An"' in html
    for field in ("contact_with_case", "gender"):
        box = html.split(f'id="field-{field}"')[1].split("</fieldset>")[0]
        assert box.count('class="error"') == 1, field
    assert html.count("Trường này là bắt buộc.") == 3  # gender, the question, the commune
    assert _checked(html, "travel_outbreak_area") == ["yes"]  # an answer given is kept


def test_the_api_keeps_its_fields_and_values(binh_phuoc, declare):
    """Existing clients send nationality "VN" and booleans, or leave them out."""
    assert declare().status_code == 201
    assert declare(nationality="vn").status_code == 201
    assert set(Declaration.objects.values_list("nationality", flat=True)) == {"VN"}
    refused = declare(nationality="XX")
    assert refused.status_code == 422
    assert "XX không phải mã quốc gia" in refused.json()["detail"][0]["msg"]
