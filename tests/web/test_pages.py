"""Pages: Vietnamese first, officials see the units they cover and nothing else."""

import datetime as dt
import shutil
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.db.models import Max
from django.utils import timezone

from kiemdich.accounts.models import Role, User
from kiemdich.adoption.models import InstallFigure, Target
from kiemdich.checkins.models import Checkin
from kiemdich.geo.models import UnitStat
from tests.conftest import PASSWORD


def test_anonymous_home_is_vietnamese(db, client):
    html = client.get("/").content.decode()
    assert '<html lang="vi">' in html
    assert "Điểm kiểm dịch và khai báo y tế" in html and "Đăng nhập" in html


def test_vietnamese_even_when_the_phone_asks_for_english(db, client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Điểm kiểm dịch và khai báo y tế" in html


def test_english_is_one_click_away(db, client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert "Epidemic checkpoints and health declarations" in html and "Tiếng Việt" in html


def test_login_lands_on_today_and_the_unit_page_has_figures(personas, client):
    UnitStat.objects.create(
        unit_id="25396", date=dt.date(2021, 7, 12), population=21345, smartphone_users=13000
    )
    response = client.post("/login/", {"username": "huyen_budang", "password": PASSWORD})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert "<h1>Hôm nay, " in html and 'href="/units/696/">Huyện Bù Đăng</a>' in html
    html = client.get("/units/696/").content.decode()
    assert "<h1>Huyện Bù Đăng</h1>" in html
    assert "Thị trấn Đức Phong" in html and "Xã Đak Nhau" in html
    assert "21.345" in html and "60,90%" in html and "12/07/2021" in html


def test_wrong_password_shows_a_message(personas, client):
    response = client.post("/login/", {"username": "huyen_budang", "password": "nope"})
    assert response.status_code == 200
    assert "tên đăng nhập và mật khẩu" in response.content.decode().lower()


def test_commune_officer_cannot_open_another_commune(personas, client):
    client.login(username="xa_ducphong", password=PASSWORD)
    assert client.get("/units/25396/").status_code == 200
    response = client.get("/units/25420/")
    assert response.status_code == 403
    assert "nằm ngoài địa bàn" in response.content.decode()
    assert client.get("/units/696/").status_code == 403


def test_citizen_gets_their_start_page_with_the_declaration(personas, client):
    client.login(username="congdan", password=PASSWORD)
    html = client.get("/").content.decode()
    assert "Khai báo y tế" in html and "<table" not in html
    assert 'id="my-checkpoints"' in html and "Bạn chưa có điểm kiểm dịch nào" in html
    assert client.get("/units/70/").status_code == 403


def test_demo_loads_one_user_per_role_twice(db, capsys):
    call_command("demo")
    call_command("demo")
    out = capsys.readouterr().out
    assert "kiemdich-demo" in out
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert UnitStat.objects.filter(unit_id="70").count() == 1
    province = UnitStat.objects.get(unit_id="70")
    districts = UnitStat.objects.filter(unit__parent_id="70")
    assert province.population == sum(s.population for s in districts)
    communes = UnitStat.objects.filter(unit__parent_id="696")
    assert sum(s.population for s in communes) == UnitStat.objects.get(unit_id="696").population


def test_the_demo_describes_one_period_ending_today(db, capsys, settings):
    """Figures, installs, targets and scans all end today, so every dashboard opens on the same
    days; no scan lies in the future; the command says where the posters point."""
    settings.PUBLIC_URL = "http://127.0.0.1:8101"
    call_command("demo")
    today = timezone.localdate()
    assert set(UnitStat.objects.values_list("date", flat=True)) == {today}
    assert InstallFigure.objects.aggregate(newest=Max("date"))["newest"] == today
    assert set(Target.objects.values_list("deadline", flat=True)) == {today + dt.timedelta(18)}
    assert Checkin.objects.exists() and not Checkin.objects.filter(t_in__gt=timezone.now())
    out = capsys.readouterr().out
    assert "point at http://127.0.0.1:8101/" in out and "0.0.0.0:8000" in out


def test_make_demo_serves_and_prints_the_same_address():
    """`make demo HOST=...` gives the posters the address the server listens on (it printed
    http://127.0.0.1:8000 whatever the host), and allows a LAN address given for phones."""

    def dry_run(*args: str) -> list[str]:
        make = [shutil.which("make") or "make", "-n", "demo", *args]
        out = subprocess.run(make, capture_output=True, text=True, check=True)  # noqa: S603
        return [line for line in out.stdout.splitlines() if "bin/kiemdich " in line]

    lines = dry_run("HOST=127.0.0.1:8101")
    assert len(lines) == 3
    assert all("KIEMDICH_PUBLIC_URL=http://127.0.0.1:8101 " in line for line in lines)
    assert lines[-1].endswith("runserver 127.0.0.1:8101")
    lan = dry_run("HOST=0.0.0.0:8000", "KIEMDICH_PUBLIC_URL=http://192.168.1.20:8000")[-1]
    assert "KIEMDICH_PUBLIC_URL=http://192.168.1.20:8000 " in lan and ",192.168.1.20 " in lan


@pytest.mark.parametrize("debug", ["0", ""])
def test_production_refuses_to_start_without_secret_key(tmp_path, debug):
    env = {"PATH": "/usr/bin:/bin", "DEBUG": debug, "KIEMDICH_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", "import kiemdich.settings"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr
    assert not list(tmp_path.iterdir())
