"""Large checkpoint and organization lists are imported by a background task: the upload page
stores the file and queues it, the job's page shows the progress and then the result, and the
import stays all or nothing."""

import io
from pathlib import Path

import pytest

from kiemdich.geo import imports
from kiemdich.geo.models import ImportJob
from kiemdich.orgs.models import Organization
from kiemdich.venues.models import Venue
from tests.conftest import PASSWORD

HEADER = "name,category,commune_code,address,contact_phone"


def csv_upload(lines: list[str], name="diem.csv") -> io.BytesIO:
    upload = io.BytesIO(("\n".join([HEADER, *lines]) + "\n").encode())
    upload.name = name
    return upload


def good_lines(n: int) -> list[str]:
    return [f"Quán số {i},shop,25396,Số {i} đường Lê Lợi,0912345678" for i in range(n)]


@pytest.fixture
def database_tasks(settings, tmp_path):
    """The production backend: a task waits in the database for `kiemdich db_worker`."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.DATA_DIR = tmp_path


@pytest.fixture
def officer(client, personas):
    client.login(username="huyen_budang", password=PASSWORD)
    return personas["district"]


def test_the_upload_is_queued_and_its_page_follows_it(client, officer, database_tasks):
    from django_tasks_db.models import DBTaskResult

    response = client.post("/venues/import/", {"file": csv_upload(good_lines(30))})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/venues/import/{job.pk}/"
    # Nothing imported within the request: the file waits for the worker.
    assert job.status == "queued" and Path(job.path).exists() and not Venue.objects.exists()
    assert DBTaskResult.objects.get().args_kwargs["args"] == [job.pk]
    page = client.get(f"/venues/import/{job.pk}/")
    assert page.status_code == 200 and page["Refresh"] == "2"
    assert "<progress" in page.content.decode()

    stored = Path(job.path)
    imports.import_job(job.pk)  # what the worker runs
    job.refresh_from_db()
    assert (job.status, job.total, job.done, job.created) == ("done", 30, 30, 30)
    assert Venue.objects.count() == 30 and not stored.exists()
    page = client.get(f"/venues/import/{job.pk}/")
    assert "Refresh" not in page and "30" in page.content.decode()
    # A worker running the task again (a retry) imports nothing twice.
    imports.import_job(job.pk)
    assert Venue.objects.count() == 30


def test_progress_moves_while_the_lines_are_checked(officer, database_tasks, monkeypatch):
    seen: list[tuple[str, int, int]] = []
    original = imports._progress

    def watching(job):
        follow = original(job)

        def wrapped(items):
            for item in follow(items):
                row = ImportJob.objects.get(pk=job.pk)
                seen.append((row.status, row.done, row.total))
                yield item

        return wrapped

    monkeypatch.setattr(imports, "PROGRESS_EVERY", 10)
    monkeypatch.setattr(imports, "_progress", watching)
    job = imports.start_import("venues", officer, "diem.csv", [csv_upload(good_lines(35)).read()])
    imports.import_job(job.pk)
    assert seen[0] == ("running", 0, 35)
    assert {done for _status, done, _total in seen} == {0, 10, 20, 30}
    job.refresh_from_db()
    assert (job.status, job.done) == ("done", 35)


def test_a_bad_line_saves_nothing_and_the_page_lists_it(client, officer, database_tasks):
    lines = [*good_lines(5), "Quán xấu,bogus,25396,Số 9,123"]
    client.post("/venues/import/", {"file": csv_upload(lines)})
    job = ImportJob.objects.get()
    imports.import_job(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.created == 0 and not Venue.objects.exists()
    assert {line for line, _message in job.errors} == {7}
    html = client.get(f"/venues/import/{job.pk}/").content.decode()
    assert "dòng 7: Loại hình" in html and "dòng 7: Điện thoại liên hệ" in html


def test_a_file_with_missing_columns_is_refused_as_a_whole(client, officer, database_tasks):
    upload = io.BytesIO(b"name,address\nQuan,So 1\n")
    upload.name = "x.csv"
    client.post("/venues/import/", {"file": upload})
    job = imports.import_job(ImportJob.objects.get().pk)
    assert job.status == "failed" and "Mã xã" in job.file_error


def test_only_the_uploader_sees_the_job(client, officer, personas, database_tasks):
    client.post("/venues/import/", {"file": csv_upload(good_lines(2))})
    job = ImportJob.objects.get()
    client.login(username="xa_ducphong", password=PASSWORD)
    assert client.get(f"/venues/import/{job.pk}/").status_code == 404
    assert client.get(f"/orgs/import/{job.pk}/").status_code == 404


def test_with_the_embedded_backend_the_result_is_there_at_once(client, officer, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    response = client.post("/venues/import/", {"file": csv_upload(good_lines(3))}, follow=True)
    assert response.status_code == 200 and "Refresh" not in response
    assert Venue.objects.count() == 3 and list(tmp_path.joinpath("uploads").iterdir()) == []


def test_organization_lists_are_imported_in_the_background_too(client, officer, database_tasks):
    upload = io.BytesIO(
        b"code,name,kind,unit_code,staff,workers,teachers,upper_secondary,lower_secondary,members\n"
        b"BP-NM-1,Nha may 1,factory,25396,10,200,,,,\n"
    )
    upload.name = "dv.csv"
    response = client.post("/orgs/import/", {"file": upload})
    job = ImportJob.objects.get(kind="orgs")
    assert response["Location"] == f"/orgs/import/{job.pk}/"
    assert not Organization.objects.exists()
    imports.import_job(job.pk)
    assert Organization.objects.filter(code="BP-NM-1").exists()
    assert client.get(f"/orgs/import/{job.pk}/").status_code == 200
