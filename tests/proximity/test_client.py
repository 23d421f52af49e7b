"""`kiemdich proximity client` plays a case's phone and a phone near it, end to end, in
process: code, token, certificate, upload; the export files; matching; the warning; and, with
both people's consent, the warned person on the case's F1 list."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from kiemdich.declarations.services import person_token
from kiemdich.proximity import exportfile, verification
from kiemdich.proximity.models import DiagnosisKey
from kiemdich.tracing.models import Contact, Evidence

from .test_keys import warned_person

pytestmark = pytest.mark.django_db


def publish_exports(folder, signer, junk: bool = False) -> None:
    """What the export publisher does (kept apart from this app's part): the stored keys in a
    signed GAEN file, padded with decoys as the real files are."""
    keys = [
        exportfile.ExportKey(
            bytes(k.key_data),
            k.rolling_start,
            k.rolling_period,
            k.transmission_risk,
            k.report_type,
            k.days_since_onset,
        )
        for k in DiagnosisKey.objects.all()
    ]
    now = timezone.now()
    padded = exportfile.pad_with_decoys(keys, minimum=200, jitter=0, window_end=now)
    data = exportfile.write_export(
        padded, start=now - dt.timedelta(hours=1), end=now, region="452", signer=signer
    )
    (folder / "1.zip").write_bytes(data)
    if junk:
        other = exportfile.ExportSigner.generate("other")
        (folder / "2.zip").write_bytes(
            exportfile.write_export(keys, start=0, end=1, region="452", signer=other)
        )


def run(*args) -> str:
    out = StringIO()
    call_command("proximity", "client", "--in-process", *args, stdout=out)
    return out.getvalue()


def test_before_any_file_is_published_there_is_nothing_to_match(tmp_path, personas, case):
    code = verification.issue_code(personas["tracer"], case=case).code
    out = run("--code", code, "--consent", "--exports-dir", str(tmp_path))
    assert "uploaded 14 keys: 14 stored, 14 linked to the case" in out
    assert "Downloaded 0 export files: 0 keys" in out
    assert "Không phát hiện tiếp xúc gần có nguy cơ" in out
    assert DiagnosisKey.objects.count() == 14


def test_end_to_end_with_published_files(tmp_path, personas, case, monkeypatch):
    """The whole path, the publisher run between upload and download (as its hourly job)."""
    from kiemdich.proximity import client as phone

    signer = exportfile.ExportSigner.generate("kiemdich")
    pem = tmp_path / "public.pem"
    pem.write_bytes(signer.public_key_pem())
    exports = tmp_path / "exports"
    exports.mkdir()
    real_upload = phone.upload

    def upload_then_publish(*args, **kwargs):
        sent = real_upload(*args, **kwargs)
        publish_exports(exports, signer, junk=True)
        return sent

    monkeypatch.setattr(phone, "upload", upload_then_publish)
    code = verification.issue_code(personas["tracer"], case=case).code
    neighbour = warned_person()
    out = run(
        "--code",
        code,
        "--consent",
        "--exports-dir",
        str(exports),
        "--public-key",
        str(pem),
        "--share-token",
        person_token(neighbour),
    )
    assert "Downloaded 2 export files" in out
    assert "(1 files dropped)" in out  # signed by another key
    assert "CẢNH BÁO: điện thoại của bạn đã ở gần một người được xác nhận mắc COVID-19" in out
    assert "khoảng 30 phút" in out
    assert "Shared with tracing: 1 keys received (a tracer calls if they lead to a case)." in out
    contact = Contact.objects.get(case=case)
    assert (contact.person, contact.evidence) == (neighbour, Evidence.BLUETOOTH)


def test_a_replayed_code_stops_the_client_with_the_servers_reason(tmp_path, personas, case):
    code = verification.issue_code(personas["tracer"], case=case).code
    run("--code", code, "--exports-dir", str(tmp_path))
    with pytest.raises(CommandError, match="409 code_used"):
        run("--code", code, "--exports-dir", str(tmp_path))


def test_the_warning_in_english(tmp_path, personas, case, monkeypatch):
    from kiemdich.proximity import client as phone

    signer = exportfile.ExportSigner.generate("kiemdich")
    real_upload = phone.upload

    def upload_then_publish(*args, **kwargs):
        sent = real_upload(*args, **kwargs)
        publish_exports(tmp_path, signer)
        return sent

    monkeypatch.setattr(phone, "upload", upload_then_publish)
    code = verification.issue_code(personas["tracer"], case=case).code
    out = run("--code", code, "--exports-dir", str(tmp_path), "--lang", "en", "--minutes", "10")
    # Ten minutes close is under the 15-minute threshold: no warning.
    assert "No risky close contact found" in out


def test_over_http_against_a_running_server(live_server, tmp_path, personas, case):
    """The same client over HTTP (urllib): what a phone does against the real server."""
    code = verification.issue_code(personas["tracer"], case=case).code
    out = StringIO()
    call_command(
        "proximity",
        "client",
        "--server",
        live_server.url,
        "--code",
        code,
        "--exports-dir",
        str(tmp_path),
        "--lang",
        "en",
        stdout=out,
    )
    assert "uploaded 14 keys: 14 stored, 0 linked to the case" in out.getvalue()
    with pytest.raises(CommandError, match="409 code_used"):
        call_command(
            "proximity",
            "client",
            "--server",
            live_server.url,
            "--code",
            code,
            "--exports-dir",
            str(tmp_path),
            stdout=StringIO(),
        )
    # No export index served there yet: a clear error, not a traceback.
    other = verification.issue_code(personas["tracer"], case=case).code
    with pytest.raises(CommandError, match="download failed"):
        call_command(
            "proximity",
            "client",
            "--server",
            live_server.url,
            "--code",
            other,
            stdout=StringIO(),
        )


def test_a_share_sends_the_riskiest_14_keys_at_risk():
    """The server takes one share of at most 14 keys a day: the client sends those that
    matter most, never one that is not at risk."""
    from types import SimpleNamespace

    from kiemdich.proximity import client as phone

    def exposure(i: int, score: float, at_risk: bool = True):
        sighting = SimpleNamespace(sighting=SimpleNamespace(time=1_700_000_000 + i))
        return SimpleNamespace(
            key=SimpleNamespace(key=bytes([i]) * 16, rolling_start=144 * i),
            contacts=[sighting],
            risk=SimpleNamespace(at_risk=at_risk, score=score),
        )

    class Recorder:
        def request(self, method, url, body=None):
            self.body = body
            return 202, b'{"received": 14}'

    sent = Recorder()
    exposures = [exposure(i, score=i) for i in range(20)] + [exposure(99, 1000, at_risk=False)]
    assert phone.share(sent, "token", exposures) == {"received": 14}
    starts = [e["rollingStartNumber"] for e in sent.body["exposures"]]
    assert starts == [144 * i for i in range(19, 5, -1)]
