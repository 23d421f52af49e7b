"""Importing organization lists: headcounts by group, per-line errors, nothing saved on error."""

import io

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kiemdich.orgs.models import Headcount, Organization
from tests.conftest import PASSWORD

from .conftest import make_org

HEADER = "code,name,kind,unit_code,staff,workers,teachers,upper_secondary,lower_secondary,members"


def write(tmp_path, text, name="orgs.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def counts(code: str) -> dict[str, tuple[int, int]]:
    return {
        h.group: (h.headcount, h.installed)
        for h in Headcount.objects.filter(organization__code=code)
    }


def test_a_good_file_creates_then_updates_organizations_and_headcounts(binh_phuoc, tmp_path):
    path = write(
        tmp_path,
        HEADER + "\n"
        'BP-THCS-DUCPHONG,Trường THCS Đức Phong,Trường học,25396,8,,42,,"1.250",\n'
        "BP-BV-BUDANG,Trung tâm Y tế Bù Đăng,hospital,696,310,,,,,\n"
        "BP-UBND-DUCPHONG,UBND Thị trấn Đức Phong,cơ quan nhà nước,25396,35,,,,,60\n",
    )
    out = io.StringIO()
    call_command("orgs", "import", str(path), stdout=out)
    assert "3 created, 0 updated" in out.getvalue()
    school = Organization.objects.get(code="BP-THCS-DUCPHONG")
    assert (school.kind, school.unit_id) == ("school", "25396")
    assert school.name == "Trường THCS Đức Phong"
    assert counts("BP-THCS-DUCPHONG") == {
        "staff": (8, 0),
        "teachers": (42, 0),
        "lower_secondary": (1250, 0),
    }
    assert Organization.objects.get(code="BP-BV-BUDANG").kind == "hospital"
    assert Organization.objects.get(code="BP-UBND-DUCPHONG").kind == "agency"
    assert counts("BP-UBND-DUCPHONG") == {"staff": (35, 0), "members": (60, 0)}

    # Teachers report installs, then a corrected list comes: more teachers, no staff row.
    Headcount.objects.filter(organization=school, group="teachers").update(installed=40)
    path = write(
        tmp_path,
        HEADER + "\n"
        "BP-THCS-DUCPHONG,Trường THCS Đức Phong,school,25396,,,45,,1250,\n"
        "BP-BV-BUDANG,Trung tâm Y tế Bù Đăng,hospital,696,310,,,,,\n",
    )
    out = io.StringIO()
    call_command("orgs", "import", str(path), stdout=out)
    assert "0 created, 1 updated" in out.getvalue()
    assert counts("BP-THCS-DUCPHONG") == {"teachers": (45, 40), "lower_secondary": (1250, 0)}
    assert Organization.objects.count() == 3


def test_excel_numbers_are_read_as_codes_and_counts(binh_phuoc, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(HEADER.split(","))
    wb.active.append([2021, "Công ty May Bù Đăng", "Doanh nghiệp", 25396, 12, 480.0, None])
    path = tmp_path / "orgs.xlsx"
    wb.save(path)
    call_command("orgs", "import", str(path), stdout=io.StringIO())
    org = Organization.objects.get(code="2021")
    assert org.kind == "business"
    assert counts("2021") == {"staff": (12, 0), "workers": (480, 0)}


def test_bad_lines_save_nothing_and_are_each_named(binh_phuoc, tmp_path, capsys):
    path = write(
        tmp_path,
        HEADER + "\n"
        "BP-OK,Trường Tiểu học Đức Phong,school,25396,5,,20,,,\n"
        "BP-A,Quán A,bakery,25396,5,,,,,\n"
        "BP-B,Xã B,agency,99999,5,,,,,\n"
        "BP-C,,school,25396,-3,,x,,,\n"
        "BP-OK,Trường khác,school,25396,1,,,,,\n",
    )
    with pytest.raises(CommandError, match="nothing from this file was saved"):
        call_command("orgs", "import", str(path))
    err = capsys.readouterr().err
    assert "dòng 3" in err and "bakery" in err
    assert "dòng 4" in err and "99999" in err
    assert "dòng 5: Cán bộ nhân viên" in err and "dòng 5: Giáo viên" in err and "'-3'" in err
    assert "dòng 6" in err and "BP-OK" in err
    assert "dòng 2:" not in err  # line 2 is fine (line 6 repeats its code)
    assert not Organization.objects.exists() and not Headcount.objects.exists()


def test_missing_columns_are_refused(binh_phuoc, tmp_path):
    path = write(tmp_path, "code,name,kind,unit_code,staff\nBP-X,X,school,25396,3\n")
    with pytest.raises(CommandError, match="Giáo viên"):
        call_command("orgs", "import", str(path))
    assert not Organization.objects.exists()


def test_a_headcount_below_what_was_reported_installed_is_refused(personas, tmp_path, capsys):
    make_org("BP-NM", "factory", "25396", workers=(200, 150), staff=(10, 4))
    path = write(
        tmp_path,
        HEADER + "\nBP-NEW,Trường mới,school,25396,3,,,,,\nBP-NM,Nhà máy,factory,25396,,120,,,,\n",
    )
    with pytest.raises(CommandError):
        call_command("orgs", "import", str(path))
    err = capsys.readouterr().err
    assert "dòng 3" in err and "workers" in err and "150" in err and "staff" in err
    assert counts("BP-NM") == {"workers": (200, 150), "staff": (10, 4)}
    assert not Organization.objects.filter(code="BP-NEW").exists()


def xlsx_upload(rows) -> io.BytesIO:
    wb = openpyxl.Workbook()
    wb.active.append(HEADER.split(","))
    for row in rows:
        wb.active.append(row)
    data = io.BytesIO()
    wb.save(data)
    upload = io.BytesIO(data.getvalue())
    upload.name = "orgs.xlsx"
    return upload


ROWS = [
    ["BP-THCS-DP", "Trường THCS Đức Phong", "school", 25396, 8, None, 40, None, 500],
    ["BP-NM-TN", "Nhà máy Thống Nhất", "factory", 25420, 10, 200],
]


def test_the_upload_page_keeps_officers_to_their_area(personas, client):
    client.login(username="xa_ducphong", password=PASSWORD)
    # The file is imported in the background; its page shows the result (the embedded task
    # backend runs it at once).
    response = client.post("/orgs/import/", {"file": xlsx_upload(ROWS)}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain[0][0].startswith("/orgs/import/")
    assert response.status_code == 200 and "dòng 3" in html and "25420" in html
    assert "dòng 2:" not in html
    assert not Organization.objects.exists()

    client.login(username="huyen_budang", password=PASSWORD)
    response = client.post("/orgs/import/", {"file": xlsx_upload(ROWS)}, follow=True)
    assert response.status_code == 200 and 'href="/orgs/"' in response.content.decode()
    assert counts("BP-NM-TN") == {"staff": (10, 0), "workers": (200, 0)}

    # Thống Nhất's organization may not be moved or changed by Đức Phong's officer.
    client.login(username="xa_ducphong", password=PASSWORD)
    rows = [["BP-NM-TN", "Nhà máy Thống Nhất", "factory", 25396, 10, 999]]
    response = client.post("/orgs/import/", {"file": xlsx_upload(rows)}, follow=True)
    assert response.status_code == 200 and "dòng 2" in response.content.decode()
    org = Organization.objects.get(code="BP-NM-TN")
    assert org.unit_id == "25420" and counts("BP-NM-TN")["workers"] == (200, 0)


def test_only_officers_open_the_upload_page(personas, school_admin, client):
    assert client.get("/orgs/import/").status_code == 302  # to the login page
    for username in ("congdan", "truong_ducphong", "truyvet_budang"):
        client.login(username=username, password=PASSWORD)
        assert client.get("/orgs/import/").status_code == 403
        assert client.post("/orgs/import/", {"file": xlsx_upload(ROWS)}).status_code == 403
    assert Organization.objects.count() == 1  # the school_admin's own
    client.login(username="xa_ducphong", password=PASSWORD)
    assert client.get("/orgs/import/").status_code == 200
    response = client.post("/orgs/import/", {})
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
