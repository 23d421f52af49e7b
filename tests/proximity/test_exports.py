"""Export publishing on the server: what a phone downloads, read back without our own classes.

Files are written by `publishing.publish` (the hourly task and `kiemdich proximity export`)
from DiagnosisKey rows added through `keystore.add_keys`, fetched through the API as a phone
does, decoded with the hand-written wire reader of tests/proximity/wire.py by the published
field numbers, and their signatures checked with the public key fetched from
`/api/v1/proximity/public-keys`. The clock is driven (`now=`), never slept on.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from unittest import mock

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from kiemdich.proximity import keystore, publishing, signing, tasks
from kiemdich.proximity.exportfile import ExportKey
from kiemdich.proximity.models import DiagnosisKey, ExportFile, ExportRun, SigningKey
from kiemdich.retention import purge
from tests.proximity.wire import decode, members, zigzag

pytestmark = pytest.mark.django_db

#: 10:20 UTC: the hour 09:00-10:00 is due (ended, plus the 15 minutes), 10:00-11:00 is not.
#: Twenty past an hour of yesterday: the status page and the API read the real clock, and keys
#: older than 14 days are gone, so a fixed date would stop working two weeks after it was written.
NOW = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).replace(minute=20, second=0, microsecond=0)
H9 = NOW.replace(minute=0) - dt.timedelta(hours=1)
MIN_KEYS = 40


@pytest.fixture(autouse=True)
def _exports(settings, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    settings.PROXIMITY_EXPORT_MIN_KEYS = MIN_KEYS
    settings.PROXIMITY_EXPORT_JITTER = 0
    settings.PROXIMITY_EXPORT_DELAY_MINUTES = 15
    settings.PROXIMITY_REGION = "452"
    settings.PROXIMITY_KEY_ACTIVATION_HOURS = 48
    return tmp_path / "proximity" / "exports" / "452"


def day_start(moment: dt.datetime, days_back: int) -> int:
    """The rolling start of the daily key of `days_back` days before `moment`."""
    return (int(moment.timestamp()) // 600 // 144 - days_back) * 144


def keys_of(moment: dt.datetime, *specs: tuple[int, int, int | None]) -> list[ExportKey]:
    """Daily keys (days back, risk, onset) as a phone uploads them at `moment`."""
    return [
        ExportKey(secrets.token_bytes(16), day_start(moment, back), 144, risk, 1, onset)
        for back, risk, onset in specs
    ]


def fetch(client: Client, path: str):
    return client.get(f"/api/v1/proximity{path}")


def index_names(client: Client) -> list[str]:
    response = fetch(client, "/exports/index.txt")
    assert response.status_code == 200
    return response.content.decode().splitlines()


def download(client: Client, name: str) -> bytes:
    response = fetch(client, f"/exports/{name}")
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def published_keys(client: Client) -> dict[str, dict]:
    response = fetch(client, "/public-keys")
    assert response.status_code == 200
    return {k["version"]: k for k in response.json()}


def decoded(data: bytes) -> tuple[dict, list[dict], dict, bytes]:
    """The export, its keys, its one signature (each by published field names), export.bin."""
    body, sig = members(data)
    assert body[:16] == b"EK Export v1    "
    export = decode(body[16:], "TemporaryExposureKeyExport")
    keys = [decode(raw, "TemporaryExposureKey") for raw in export.get("keys", [])]
    [raw_signature] = decode(sig, "TEKSignatureList")["signatures"]
    return export, keys, decode(raw_signature, "TEKSignature"), body


def verifies(signature: dict, body: bytes, pem: str) -> bool:
    public = serialization.load_pem_public_key(pem.encode())
    try:
        public.verify(signature["signature"][0], body, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def version_of(signature: dict) -> bytes:
    return decode(signature["signature_info"][0], "SignatureInfo")["verification_key_version"][0]


# --- the file a phone gets ----------------------------------------------------------------


def test_server_export_reads_back_by_the_published_numbers_and_verifies(client: Client) -> None:
    uploaded = keys_of(H9, (1, 6, -2), (2, 3, 4), (5, 0, None))
    keystore.add_keys(uploaded, H9 + dt.timedelta(minutes=5))
    report = publishing.publish(NOW)

    name = f"{int(H9.timestamp())}-{int(H9.timestamp()) + 3600}.zip"
    assert report.files_written == [name]
    response = fetch(client, "/exports/index.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "max-age" in response["Cache-Control"]
    assert response.content.decode() == f"{name}\n"
    response = fetch(client, f"/exports/{name}")
    assert response["Content-Type"] == "application/zip"
    assert "immutable" in response["Cache-Control"]

    export, keys, signature, body = decoded(download(client, name))
    assert export["start_timestamp"] == [int(H9.timestamp())]
    assert export["end_timestamp"] == [int(H9.timestamp()) + 3600]
    assert export["region"] == [b"452"]
    assert export["batch_num"] == [1] and export["batch_size"] == [1]
    [info] = [decode(raw, "SignatureInfo") for raw in export["signature_infos"]]
    assert info == {
        "verification_key_version": [b"v1"],
        "verification_key_id": [b"452"],
        "signature_algorithm": [b"1.2.840.10045.4.3.2"],
    }
    # Padded to the minimum, sorted by the key bytes, the uploaded keys among them unchanged.
    assert len(keys) == MIN_KEYS
    data = [k["key_data"][0] for k in keys]
    assert data == sorted(data) and len(set(data)) == MIN_KEYS
    by_data = {k["key_data"][0]: k for k in keys}
    for key in uploaded:
        got = by_data[key.key_data]
        assert got["rolling_start_interval_number"] == [key.rolling_start_interval_number]
        assert got["rolling_period"] == [144]
        assert got["transmission_risk_level"] == [key.transmission_risk_level]
        assert got["report_type"] == [1]
        onset = got.get("days_since_onset_of_symptoms")
        if key.days_since_onset_of_symptoms is None:
            assert onset is None
        else:  # sint32: zigzag on the wire
            assert [zigzag(v) for v in onset] == [key.days_since_onset_of_symptoms]

    # The signature, with the key a phone fetches from the API, and the same info.
    assert signature["batch_num"] == [1] and signature["batch_size"] == [1]
    assert version_of(signature) == b"v1"
    public = published_keys(client)
    assert list(public) == ["v1"] and public["v1"]["id"] == "452"
    assert verifies(signature, body, public["v1"]["pem"])
    assert not verifies(signature, body[:-1] + bytes([body[-1] ^ 1]), public["v1"]["pem"])


def test_an_hour_is_published_only_once_it_is_old_enough(client: Client) -> None:
    h10 = H9 + publishing.HOUR
    keystore.add_keys(keys_of(h10, (1, 2, None)), h10 + dt.timedelta(minutes=59))
    publishing.publish(h10 + dt.timedelta(minutes=74))  # 11:14: ended, but not 15 minutes ago
    assert not ExportFile.objects.filter(start=h10).exists()
    assert f"{int(h10.timestamp())}-" not in "".join(index_names(client))

    publishing.publish(h10 + dt.timedelta(minutes=75))  # 11:15
    file = ExportFile.objects.get(start=h10)
    assert file.real_keys == 1
    assert index_names(client)[-1] == file.name


def test_files_are_padded_to_the_minimum_and_never_below(settings, client: Client) -> None:
    settings.PROXIMITY_EXPORT_JITTER = 10
    keystore.add_keys(keys_of(H9, (1, 1, None), (2, 1, None)), H9)
    many = H9 - publishing.HOUR
    keystore.add_keys(keys_of(many, *[(d % 13, d % 9, None) for d in range(60)]), many)
    publishing.publish(NOW)
    padded = ExportFile.objects.get(start=H9)
    assert padded.real_keys == 2
    assert MIN_KEYS <= padded.total_keys <= MIN_KEYS + 10
    _, keys, _, _ = decoded(download(client, padded.name))
    assert len(keys) == padded.total_keys
    full = ExportFile.objects.get(start=many)
    assert full.real_keys == full.total_keys == 60  # enough real keys: no decoys
    # An hour nobody uploaded in still gets a file, all decoys: a missing file would tell.
    keystore.add_keys([], H9)
    publishing.publish(NOW + 2 * publishing.HOUR)
    empty = ExportFile.objects.get(start=H9 + publishing.HOUR)
    assert empty.real_keys == 0 and empty.total_keys >= MIN_KEYS


def test_rerunning_publishes_nothing_new(client: Client, _exports: Path) -> None:
    keystore.add_keys(keys_of(H9, (1, 4, None)), H9)
    first = publishing.publish(NOW)
    before = {p.name: p.read_bytes() for p in _exports.iterdir()}
    again = publishing.publish(NOW)
    later = publishing.publish(NOW + dt.timedelta(minutes=30))
    assert first.files_written and again.files_written == later.files_written == []
    assert {p.name: p.read_bytes() for p in _exports.iterdir()} == before
    assert ExportFile.objects.count() == 1
    assert ExportRun.objects.count() == 3


def test_a_crash_mid_run_leaves_no_half_file_and_the_rerun_finishes(
    monkeypatch, client: Client, _exports: Path
) -> None:
    for hour in (H9 - 2 * publishing.HOUR, H9 - publishing.HOUR, H9):
        keystore.add_keys(keys_of(hour, (1, 4, None)), hour)
    real_create = ExportFile.objects.create
    calls = []

    def crash_on_the_second(**fields):
        calls.append(fields["name"])
        if len(calls) == 2:
            raise OSError("disk full")
        return real_create(**fields)

    monkeypatch.setattr(ExportFile.objects, "create", crash_on_the_second)
    with pytest.raises(OSError, match="disk full"):
        publishing.publish(NOW)
    monkeypatch.undo()

    assert ExportFile.objects.count() == 1
    assert not [p for p in _exports.iterdir() if p.name.endswith(".tmp")]
    run = ExportRun.objects.get()
    assert run.error == "OSError: disk full" and run.files_written == 1

    publishing.publish(NOW)
    names = index_names(client)
    assert len(names) == 3 and names == sorted(names)
    assert sorted(p.name for p in _exports.iterdir()) == sorted([*names, "index.txt"])
    for name in names:
        decoded(download(client, name))  # each whole and readable


# --- signing keys ------------------------------------------------------------------------


def test_rotation_publishes_the_new_key_first_and_keeps_the_old_one(client: Client) -> None:
    keystore.add_keys(keys_of(H9, (1, 4, None)), H9)
    publishing.publish(NOW)
    v2 = signing.rotate(NOW)
    assert v2.version_label == "v2" and v2.active_from == NOW + dt.timedelta(hours=48)
    with pytest.raises(signing.SigningKeyError) as waiting:
        signing.rotate(NOW + publishing.HOUR)
    assert waiting.value.code == "key_waiting"

    public = published_keys(client)
    assert list(public) == ["v1", "v2"]
    assert public["v1"]["valid_to"] == public["v2"]["valid_from"]
    assert public["v2"]["valid_to"] is None

    # Before its time the new key signs nothing.
    publishing.publish(NOW + dt.timedelta(hours=2))
    assert set(ExportFile.objects.values_list("signing_key__version", flat=True)) == {1}

    after = NOW + dt.timedelta(hours=49)
    later_hour = keystore.arrival_hour(after - dt.timedelta(hours=2))
    keystore.add_keys(keys_of(later_hour, (0, 4, None)), later_hour)
    publishing.publish(after)
    new_file = ExportFile.objects.get(start=later_hour)
    assert new_file.signing_key == v2
    _, _, signature, body = decoded(download(client, new_file.name))
    assert version_of(signature) == b"v2"
    public = published_keys(client)
    assert verifies(signature, body, public["v2"]["pem"])
    assert not verifies(signature, body, public["v1"]["pem"])
    # v1 signed files still in the index: it stays published, and those files verify with it.
    old = ExportFile.objects.filter(signing_key__version=1).first()
    assert old.name in index_names(client)
    _, _, old_signature, old_body = decoded(download(client, old.name))
    assert verifies(old_signature, old_body, public["v1"]["pem"])

    # Once every file v1 signed has left the index, v1 is retired and no longer published.
    publishing.publish(after + dt.timedelta(days=16))
    assert list(published_keys(client)) == ["v2"]
    assert SigningKey.objects.get(version=1).retired_at is not None


def test_a_key_for_at_once_replaces_the_waiting_one() -> None:
    signing.active_key(NOW)
    waiting = signing.rotate(NOW)
    urgent = signing.rotate(NOW, activate_in=dt.timedelta(0))
    assert signing.active_key(NOW) == urgent
    waiting.refresh_from_db()
    assert waiting.retired_at == NOW
    assert signing.active_key(NOW + dt.timedelta(days=3)) == urgent


def test_a_changed_master_secret_is_refused_not_signed_with(settings) -> None:
    key = signing.active_key(NOW)
    settings.PROXIMITY_SIGNING_SECRET = "another-secret-another-secret-another"
    with pytest.raises(signing.SigningKeyError) as refused:
        signing.signer(key)
    assert refused.value.code == "signing_secret_changed"
    with pytest.raises(signing.SigningKeyError):
        publishing.publish(NOW)
    assert ExportRun.objects.get().error.startswith("SigningKeyError")


def test_nothing_secret_is_stored() -> None:
    key = signing.active_key(NOW)
    private = signing.signer(key).private_pem()
    stored = b"".join(
        str(v).encode() if not isinstance(v, bytes | memoryview) else bytes(v)
        for v in SigningKey.objects.values_list("key_id", "salt", "public_key_pem", "version").get()
    )
    body = private.split(b"-----")[2].strip()
    assert body not in stored
    scalar = signing.signer(key).private_key.private_numbers().private_value.to_bytes(32, "big")
    assert scalar not in stored


# --- 14 days -----------------------------------------------------------------------------


def test_keys_older_than_14_days_leave_the_database_and_new_exports(client: Client) -> None:
    fresh, old = keys_of(H9, (1, 5, None), (15, 5, None))
    keystore.add_keys([fresh, old], H9)
    publishing.publish(NOW)
    assert set(DiagnosisKey.objects.values_list("key_data", flat=True)) == {fresh.key_data}
    [name] = index_names(client)
    _, keys, _, _ = decoded(download(client, name))
    data = {k["key_data"][0] for k in keys}
    assert fresh.key_data in data and old.key_data not in data


def test_the_retention_purge_applies_the_14_days_whatever_its_period() -> None:
    now = dt.datetime.now(dt.UTC)
    fresh, old = keys_of(now, (13, 5, None), (15, 5, None))
    keystore.add_keys([fresh, old], now)
    counts = purge(now - dt.timedelta(days=365))  # a year's personal-data period
    assert counts["diagnosis_keys"] == 1
    assert [bytes(k) for k in DiagnosisKey.objects.values_list("key_data", flat=True)] == [
        fresh.key_data
    ]


def test_old_files_leave_the_index_and_the_disk(client: Client, _exports: Path) -> None:
    keystore.add_keys(keys_of(H9, (1, 5, None)), H9)
    publishing.publish(NOW)
    [first] = index_names(client)
    keystore.add_keys(keys_of(NOW + dt.timedelta(days=15), (0, 5, None)), NOW)
    publishing.publish(NOW + dt.timedelta(days=15))
    names = index_names(client)
    assert first not in names
    assert names == sorted(names, key=lambda n: int(n.split("-")[0]))
    assert not (_exports / first).exists()
    assert fetch(client, f"/exports/{first}").status_code == 404
    # Only files whose keys are within 14 days: the oldest served hour is at most 15 days old.
    oldest = ExportFile.objects.filter(withdrawn_at__isnull=True).order_by("start").first()
    assert oldest.keys_until > NOW + dt.timedelta(days=1)


# --- serving -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/exports/..%2F..%2F..%2Fsecret_key", 404),
        ("/exports/%2e%2e%2findex.txt.zip", 404),
        ("/exports/..%5C452%5Cindex.txt", 404),
        ("/exports/0000000001-0000003601.zip", 404),  # on disk, but never published
        ("/exports/planted.zip", 404),
        ("/exports/index.txt%00.zip", 400),  # Django refuses a NUL before any view runs
    ],
)
def test_names_not_in_the_index_are_refused(
    client: Client, _exports: Path, path: str, status: int
) -> None:
    keystore.add_keys(keys_of(H9, (1, 5, None)), H9)
    publishing.publish(NOW)
    (_exports.parent.parent / "secret_key").write_text("not for phones")
    (_exports / "0000000001-0000003601.zip").write_bytes(b"PK planted")
    (_exports / "planted.zip").write_bytes(b"PK planted")
    response = fetch(client, path)
    assert response.status_code == status
    assert b"planted" not in response.content and b"phones" not in response.content
    assert response.json()["code"] == ("not_found" if status == 404 else "invalid")


def test_an_unknown_file_and_no_index_yet_are_404(client: Client) -> None:
    assert fetch(client, "/exports/index.txt").status_code == 404
    assert fetch(client, "/exports/1700000000-1700003600.zip").status_code == 404
    assert fetch(client, "/public-keys").json() == []


# --- pages, command, task ----------------------------------------------------------------


def test_the_status_page_shows_counts_keys_and_errors(personas, client: Client) -> None:
    keystore.add_keys(keys_of(H9, (1, 5, None), (2, 5, None), (3, 1, None)), H9)
    publishing.publish(NOW)
    keystore.add_keys(keys_of(NOW, (0, 5, None)), NOW)
    signing.rotate(NOW)

    client.force_login(personas["tracer"])
    # The page reads the clock: at NOW, as the keys were added (later, they are past 14 days).
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        page = client.get("/proximity/exports/").content.decode()
    assert "/proximity/exports/" in page  # in the navigation
    assert '<td class="num">3</td><td class="num">40</td>' in page  # real vs padded, per file
    assert "452 v1" in page and "452 v2" in page
    pending = page.split('id="export-pending"')[1].split("</table>")[0]
    assert timezone.localtime(NOW).strftime("%d/%m/%Y") in pending
    assert '<td class="num">1</td>' in pending
    # No key bytes on the page, decoy or real.
    for row in DiagnosisKey.objects.all():
        assert bytes(row.key_data).hex() not in page

    client.force_login(personas["citizen"])
    assert client.get("/proximity/exports/").status_code == 403
    assert "/proximity/exports/" not in client.get("/").content.decode()


def test_the_status_page_shows_the_last_error(personas, settings, client: Client) -> None:
    signing.active_key(NOW)
    settings.PROXIMITY_SIGNING_SECRET = "another-secret-another-secret-another"
    with pytest.raises(signing.SigningKeyError):
        publishing.publish(NOW)
    client.force_login(personas["district"])
    page = client.get("/proximity/exports/").content.decode()
    assert 'id="export-error"' in page and "SigningKeyError" in page


def test_the_public_keys_page_is_public(client: Client) -> None:
    key = signing.active_key(NOW)
    page = client.get("/proximity/public-keys/").content.decode()
    assert key.public_key_pem.splitlines()[1] in page and "452 v1" in page


def test_the_commands_publish_and_rotate(capsys) -> None:
    now = dt.datetime.now(dt.UTC)
    hour = keystore.arrival_hour(now) - 2 * publishing.HOUR
    keystore.add_keys(keys_of(hour, (1, 5, None)), hour)
    call_command("proximity", "export")
    out = capsys.readouterr().out
    assert f"published {int(hour.timestamp())}-" in out
    call_command("proximity", "export")
    assert "0 files published" in capsys.readouterr().out
    call_command("proximity", "rotate-key")
    out = capsys.readouterr().out
    assert "452 v2 published, signs from" in out and "BEGIN PUBLIC KEY" in out


def test_the_task_publishes_and_books_the_next_hour() -> None:
    now = dt.datetime.now(dt.UTC)
    hour = keystore.arrival_hour(now) - 2 * publishing.HOUR
    keystore.add_keys(keys_of(hour, (1, 5, None)), hour)
    result = tasks.publish_exports.enqueue()
    assert any(
        n.startswith(f"{int(hour.timestamp())}-") for n in result.return_value["files_written"]
    )
    assert tasks.next_run_time(H9 + dt.timedelta(minutes=10)) == H9 + dt.timedelta(minutes=15)
    assert tasks.next_run_time(H9 + dt.timedelta(minutes=15)) == H9 + dt.timedelta(minutes=75)


def test_a_key_uploaded_twice_is_stored_once() -> None:
    keys = keys_of(H9, (1, 5, None), (2, 5, None))
    assert keystore.add_keys(keys, H9) == 2
    assert keystore.add_keys([keys[0], *keys_of(H9, (3, 5, None))], NOW) == 1
    assert DiagnosisKey.objects.get(key_data=keys[0].key_data).received_hour == H9


def test_rotating_with_no_key_yet_makes_the_first_one_signing_at_once() -> None:
    first = signing.rotate(NOW)
    assert first.version_label == "v1" and signing.active_key(NOW) == first


def test_the_admin_pages_are_read_only(admin_client: Client) -> None:
    signing.active_key(NOW)
    keystore.add_keys(keys_of(H9, (1, 5, None)), H9)
    publishing.publish(NOW)
    for model in ("signingkey", "exportfile", "exportrun"):
        assert admin_client.get(f"/admin/proximity/{model}/").status_code == 200
        assert admin_client.get(f"/admin/proximity/{model}/add/").status_code == 403
    key = SigningKey.objects.get()
    page = admin_client.get(f"/admin/proximity/signingkey/{key.pk}/change/").content.decode()
    assert "BEGIN PUBLIC KEY" in page and "salt" not in page.lower()


def test_with_the_database_backend_the_export_books_its_next_run_once(settings) -> None:
    from django_tasks_db.models import DBTaskResult

    assert tasks.schedule_export() is None  # in-process backend: cron runs the command instead
    # django-tasks re-reads TASKS when a test changes it (its setting_changed receiver).
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    first = tasks.schedule_export()
    assert first is not None and tasks.schedule_export() is None
    booked = DBTaskResult.objects.get()
    assert booked.task_path == tasks.publish_exports.module_path
    # The next hour's end plus the 15 minutes: within the coming hour, at a quarter past.
    now = dt.datetime.now(dt.UTC)
    assert (booked.run_after.minute, booked.run_after.second) == (15, 0)
    assert now < booked.run_after <= now + publishing.HOUR
