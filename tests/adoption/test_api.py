"""`POST /api/v1/installs`, `GET /api/v1/adoption` and `kiemdich adoption import`: bad input is
refused with a clear message and changes nothing; each official sees only their own area."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from kiemdich.adoption.models import Install, InstallDay, InstallFigure
from tests.checkins.test_stats import login

URL = "/api/v1/installs"
INSTALL = {
    "install_id": "a1b2c3d4-0001",
    "app": "bluezone",
    "platform": "android",
    "commune_code": "25396",
}


def test_an_app_registers_an_install_once_and_an_uninstall(binh_phuoc, client):
    first = client.post(URL, INSTALL, content_type="application/json")
    assert first.status_code == 201 and first.json()["outcome"] == "counted"
    again = client.post(URL, INSTALL, content_type="application/json")
    assert again.status_code == 200 and again.json()["outcome"] == "unchanged"
    gone = client.post(URL, {**INSTALL, "uninstalled": True}, content_type="application/json")
    assert gone.json()["outcome"] == "removed"
    day = InstallDay.objects.get(unit_id="25396", date=timezone.localdate())
    assert (day.added, day.removed) == (1, 1)
    assert Install.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"commune_code": "696"}, "unknown_commune"),  # a district, not a commune
        ({"commune_code": "99999"}, "unknown_commune"),
        ({"organization_code": "NO-SUCH-ORG"}, "unknown_organization"),
        ({"app": "zalo"}, "invalid"),
        ({"platform": "windows"}, "invalid"),
        ({"install_id": "short"}, "invalid"),
        ({"install_id": "has spaces in it"}, "invalid"),
    ],
)
def test_bad_registrations_are_refused_and_store_nothing(binh_phuoc, client, change, code):
    response = client.post(URL, {**INSTALL, **change}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert not Install.objects.exists() and not InstallDay.objects.exists()


def test_each_official_sees_only_their_area(personas, client):
    anonymous = client.get("/api/v1/adoption", {"unit": "696"})
    assert anonymous.status_code == 401
    assert client.get("/adoption/").status_code == 302  # to the login page

    login(client, "xa_thongnhat")
    assert client.get("/api/v1/adoption", {"unit": "25420"}).status_code == 200
    for unit in ("25396", "696", "70"):
        assert client.get("/api/v1/adoption", {"unit": unit}).status_code == 403
        assert client.get("/adoption/", {"unit": unit}).status_code == 403
        assert client.get("/adoption/export.xlsx", {"unit": unit}).status_code == 403
    own = client.get("/api/v1/adoption").json()
    assert own["unit"] == "25420" and own["rows"] == []  # a commune has no units below

    login(client, "huyen_budang")
    body = client.get("/api/v1/adoption").json()
    assert body["unit"] == "696" and len(body["rows"]) == 16
    assert client.get("/api/v1/adoption", {"unit": "692"}).status_code == 403

    login(client, "congdan")
    assert client.get("/api/v1/adoption").status_code == 403
    assert client.get("/adoption/").status_code == 403


def test_bad_queries_are_4xx(personas, client):
    login(client, "huyen_budang")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert client.get("/api/v1/adoption", {"date": tomorrow.isoformat()}).status_code == 422
    assert client.get("/api/v1/adoption", {"date": "12/07/2021"}).status_code == 422
    assert client.get("/api/v1/adoption", {"date": "1900-01-01"}).status_code == 422
    assert client.get("/api/v1/adoption", {"unit": "99999"}).status_code == 404
    for bad in (tomorrow.isoformat(), "0001-01-05"):
        page = client.get("/adoption/", {"date": bad})
        assert page.status_code == 200 and 'role="alert"' in page.content.decode()
        assert client.get("/adoption/export.xlsx", {"date": bad}).status_code == 200


def write(tmp_path, text: str):
    path = tmp_path / "installs.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_import_reports_every_bad_line_and_saves_nothing(binh_phuoc, tmp_path):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    path = write(
        tmp_path,
        "unit_code,date,installs\n"
        "696,2021-07-12,32481\n"
        "99999,2021-07-12,5\n"
        "25396,12/07/2021,-3\n"
        f"25420,{tomorrow},7\n"
        "25408,2021-07-12,\n"
        "696,2021-07-12,1\n",
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="5 error"), translation.override("en"):
        call_command("adoption", "import", str(path), stderr=err)
    lines = err.getvalue()
    assert "line 3: unknown unit code 99999" in lines
    assert "line 4: Số lượt cài đặt '-3' is not a whole number" in lines
    assert "line 5: Ngày " in lines and "is in the future" in lines
    assert "line 6: Số lượt cài đặt is empty" in lines
    assert "line 7: unit 696 on 2021-07-12 already appears on line 2" in lines
    assert not InstallFigure.objects.exists()


def test_import_twice_replaces_rather_than_adds(binh_phuoc, tmp_path):
    out = io.StringIO()
    call_command(
        "adoption",
        "import",
        str(write(tmp_path, "unit_code,date,installs\n696,2021-07-12,100\n")),
        stdout=out,
    )
    path = write(
        tmp_path, 'unit_code,date,installs\n696,2021-07-12,120\n25396,2021-07-12,"1.500"\n'
    )
    call_command("adoption", "import", str(path), stdout=out)
    assert "Install figures: 1 created, 1 updated." in out.getvalue()
    assert dict(InstallFigure.objects.values_list("unit_id", "installs")) == {
        "696": 120,
        "25396": 1500,
    }
    with pytest.raises(CommandError, match="missing column"), translation.override("en"):
        call_command("adoption", "import", str(write(tmp_path, "unit,date,n\n696,2021-07-12,1\n")))
