"""`kiemdich geo import-stats`: all-or-nothing import of population and smartphone figures."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kiemdich.geo import services as geo
from kiemdich.geo.models import UnitStat

HEADER = "unit_code,date,population,smartphone_users"


def write(tmp_path, text: str, name: str = "stats.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_csv_is_imported(binh_phuoc, tmp_path):
    path = write(
        tmp_path,
        "\ufeff" + HEADER + ",note\n"
        "696,2021-07-12,138000,85000,ignored\n"
        '25396,12/07/2021,"21.345",13000,\n',
    )
    report = geo.import_stats(path)
    assert report.ok and report.created == 2
    stat = UnitStat.objects.get(unit_id="25396")
    assert (stat.date, stat.population, stat.smartphone_users) == (
        dt.date(2021, 7, 12),
        21345,
        13000,
    )


def test_a_bad_line_saves_nothing_and_is_named(binh_phuoc, tmp_path, capsys):
    path = write(
        tmp_path,
        HEADER + "\n"
        "696,2021-07-12,138000,85000\n"
        "99999,2021-07-12,100,50\n"
        "25396,2021-13-40,100,50\n"
        "25398,2021-07-12,-5,abc\n"
        "25399,2021-07-12,100,500\n"
        "696,2021-07-12,1,1\n",
    )
    with pytest.raises(CommandError, match="nothing from this file was saved"):
        call_command("geo", "import-stats", str(path))
    err = capsys.readouterr().err
    assert "dòng 3: không có đơn vị mã 99999" in err
    # Columns are named by the template's Vietnamese headers, whichever the file used.
    assert "dòng 4: Ngày '2021-13-40' không phải là ngày" in err
    assert "dòng 5: Dân số '-5' không phải số nguyên" in err
    assert "dòng 5: Người dùng điện thoại thông minh 'abc' không phải số nguyên" in err
    assert "dòng 6: Người dùng điện thoại thông minh (500) lớn hơn Dân số (100)" in err
    assert "dòng 7: đơn vị 696 ngày 2021-07-12 đã có ở dòng 2" in err
    assert "dòng 2" not in err.split("đã có ở dòng 2")[0]  # the good line is not blamed
    assert not UnitStat.objects.exists()


def test_missing_column_is_refused(binh_phuoc, tmp_path):
    path = write(tmp_path, "unit_code,date,population\n696,2021-07-12,1\n")
    with pytest.raises(CommandError, match="Người dùng điện thoại thông minh"):
        call_command("geo", "import-stats", str(path))
    assert not UnitStat.objects.exists()


def test_reimport_updates_instead_of_duplicating(binh_phuoc, tmp_path):
    geo.import_stats(write(tmp_path, HEADER + "\n696,2021-07-12,138000,85000\n"))
    report = geo.import_stats(write(tmp_path, HEADER + "\n696,2021-07-12,138000,86000\n"))
    assert (report.created, report.updated) == (0, 1)
    assert UnitStat.objects.get().smartphone_users == 86000


def test_xlsx_with_excel_types(binh_phuoc, tmp_path, capsys):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["unit_code", "date", "population", "smartphone_users"])
    ws.append([696, dt.datetime(2021, 7, 12), 138000, 85000.0])
    ws.append(["70", "2021-07-12", 1000000, 600000])
    path = tmp_path / "stats.xlsx"
    wb.save(path)
    call_command("geo", "import-stats", str(path))
    assert UnitStat.objects.get(unit_id="696").smartphone_users == 85000
    assert UnitStat.objects.get(unit_id="70").population == 1_000_000


def test_non_utf8_file_is_refused(binh_phuoc, tmp_path):
    path = tmp_path / "stats.csv"
    path.write_bytes(b"unit_code,date\n\xff\xfe\n")
    with pytest.raises(CommandError, match="UTF-8"):
        call_command("geo", "import-stats", str(path))


def test_vietnamese_headers_are_read_too(binh_phuoc, tmp_path):
    """A file with the Vietnamese headers (in any order, any case) imports like the English."""
    path = tmp_path / "stats.csv"
    path.write_text(
        "Ngày,mã đơn vị hành chính,Dân số,Người dùng điện thoại thông minh\n"
        "12/07/2021,696,138000,80000\n",
        encoding="utf-8",
    )
    call_command("geo", "import-stats", str(path), stdout=io.StringIO())
    assert UnitStat.objects.get(unit_id="696").smartphone_users == 80000
