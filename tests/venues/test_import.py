"""Bulk import of an existing checkpoint list: per-line errors, nothing saved on error."""

import io

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kiemdich.venues.models import Status, Venue
from tests.conftest import PASSWORD

HEADER = "name,category,commune_code,address,contact_phone,organization_code,plate_number,route"


def write(tmp_path, text, name="venues.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_file_is_imported_active_and_reimport_updates(binh_phuoc, tmp_path):
    path = write(
        tmp_path,
        HEADER + "\n"
        "Chợ Đức Phong,Chợ truyền thống,25396,Đường ĐT 760,0271 3870 123,,,\n"
        "Xe khách Phước Thành,vehicle_interprovincial,25396,Bến xe Đức Phong,0912345678,,"
        "93B01234,Bù Đăng - TP.HCM\n",
    )
    call_command("venues", "import", str(path), stdout=io.StringIO())
    market = Venue.objects.get(name="Chợ Đức Phong")
    assert (market.category, market.status) == ("market", Status.ACTIVE)
    assert Venue.objects.get(category="vehicle_interprovincial").plate_number == "93B-012.34"
    call_command("venues", "import", str(path), stdout=io.StringIO())
    assert Venue.objects.count() == 2


def test_a_bad_line_saves_nothing_and_names_the_line(binh_phuoc, tmp_path, capsys):
    path = write(
        tmp_path,
        HEADER + "\n"
        "Chợ Đức Phong,market,25396,Đường ĐT 760,0912345678,,,\n"
        "Quán A,shop,99999,Số 1,0912345678,,,\n"
        "Quán B,bogus,25396,Số 2,123,,,\n"
        "Xe C,vehicle_other,25396,Bến xe,0912345678,,,\n"
        "Chợ Đức Phong,market,25396,Đường ĐT 760,0912345678,,,\n",
    )
    with pytest.raises(CommandError, match="nothing from this file was saved"):
        call_command("venues", "import", str(path))
    err = capsys.readouterr().err
    assert "dòng 3" in err and "99999" in err
    # The messages name the columns by the template's Vietnamese headers.
    assert "dòng 4: Loại hình:" in err and "dòng 4: Điện thoại liên hệ:" in err
    assert "dòng 5: Biển số xe:" in err
    assert "category" not in err and "contact_phone" not in err
    assert "dòng 6" in err and "dòng 2" in err
    assert not Venue.objects.exists()


def test_upload_form_for_officials(personas, client):
    wb = openpyxl.Workbook()
    wb.active.append(HEADER.split(","))
    wb.active.append(["Trường THCS Đức Phong", "school", 25396, "Số 5", "0912345678"])
    wb.active.append(["Quán ở xã khác", "shop", 25420, "Số 6", "0912345678"])
    data = io.BytesIO()
    wb.save(data)
    client.login(username="xa_ducphong", password=PASSWORD)
    upload = io.BytesIO(data.getvalue())
    upload.name = "list.xlsx"
    response = client.post("/venues/import/", {"file": upload}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain[0][0].startswith("/venues/import/")
    assert response.status_code == 200 and "dòng 3" in html and "25420" in html
    assert not Venue.objects.exists()
    client.login(username="huyen_budang", password=PASSWORD)
    upload = io.BytesIO(data.getvalue())
    upload.name = "list.xlsx"
    response = client.post("/venues/import/", {"file": upload}, follow=True)
    assert response.status_code == 200 and "2" in response.content.decode()
    assert Venue.objects.count() == 2


def test_citizens_cannot_import(personas, client):
    client.login(username="congdan", password=PASSWORD)
    assert client.get("/venues/import/").status_code == 403


def test_the_template_has_vietnamese_headers_and_imports_once_filled(personas, client, tmp_path):
    """An official downloads the Excel template from the import page, fills a line under its
    Vietnamese headers and imports it; a missing column is named by its Vietnamese header."""
    client.login(username="xa_ducphong", password=PASSWORD)
    page = client.get("/venues/import/").content.decode()
    assert 'href="/venues/import/template.xlsx"' in page and "Tên điểm kiểm dịch" in page
    response = client.get("/venues/import/template.xlsx")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.active
    headers = [c.value for c in sheet[1]]
    assert headers[:5] == [
        "Tên điểm kiểm dịch",
        "Loại hình",
        "Mã xã",
        "Địa chỉ",
        "Điện thoại liên hệ",
    ]
    sheet.delete_rows(2)  # the example line
    sheet.append(["Nhà văn hóa khu phố 1", "Cơ quan, công sở", "25396", "Số 7", "0912345679"])
    filled = tmp_path / "filled.xlsx"
    book.save(filled)
    call_command("venues", "import", str(filled), stdout=io.StringIO())
    assert Venue.objects.filter(name="Nhà văn hóa khu phố 1", category="office").exists()

    partial = write(tmp_path, "Tên điểm kiểm dịch,Loại hình,Mã xã,Địa chỉ\nA,shop,25396,B\n")
    with pytest.raises(CommandError, match="Điện thoại liên hệ"):
        call_command("venues", "import", str(partial))


def test_only_officials_get_the_template(personas, client):
    client.login(username="chudiem", password=PASSWORD)
    assert client.get("/venues/import/template.xlsx").status_code == 403
