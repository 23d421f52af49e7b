"""The GAEN export file, read back the way a phone of any make would.

Every check of a written file decodes it with the small protobuf wire-format reader of
tests/proximity/wire.py (varints, fixed64, length-delimited, zigzag), not with the project's own
classes, and looks the fields up by the numbers published in Google's "Exposure Key Export File
Format and Verification" (PUBLISHED): a wrong number in our schema would pass a round trip
through our own classes, and no phone could read the file.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import secrets
import zipfile
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kiemdich.proximity import exportfile
from kiemdich.proximity.exportfile import (
    ExportFormatError,
    ExportKey,
    ExportSigner,
    pad_with_decoys,
    read_export,
    verify_export,
    write_export,
)
from tests.proximity.wire import PUBLISHED, decode, members, wire_fields, zigzag

START = dt.datetime(2021, 8, 20, 9, tzinfo=dt.UTC)
END = START + dt.timedelta(hours=1)
DAY = int(dt.datetime(2021, 8, 18, tzinfo=dt.UTC).timestamp()) // 600


def rezip(body: bytes, sig: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("export.bin", body)
        archive.writestr("export.sig", sig)
    return out.getvalue()


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signer() -> ExportSigner:
    return ExportSigner.generate("452", "v1")


def some_keys() -> list[ExportKey]:
    return [
        ExportKey(b"\xff" * 16, DAY, 144, 6, 1, -3),
        ExportKey(b"\x00" * 15 + b"\x01", DAY + 144, 144, 2, 2, 12),
        ExportKey(bytes(range(16)), DAY - 144, 72, 8, 1, None),
        ExportKey(secrets.token_bytes(16), DAY, 144, 0, 3, 0),
    ]


# --- the format --------------------------------------------------------------------------


def test_header_is_exactly_16_bytes_then_the_export(signer: ExportSigner) -> None:
    body, _ = members(write_export(some_keys(), start=START, end=END, region="452", signer=signer))
    assert exportfile.HEADER == b"EK Export v1    "
    assert len(exportfile.HEADER) == 16
    assert body[:16] == b"EK Export v1    "
    # What follows parses as a message from its first byte: field 1, fixed64.
    assert body[16] == (1 << 3) | 1


def test_export_decodes_field_by_field_by_the_published_numbers(signer: ExportSigner) -> None:
    keys = some_keys()
    revised = [ExportKey(b"\x42" * 16, DAY, 144, 0, 5, None)]
    data = write_export(
        keys,
        start=START,
        end=END,
        region="452",
        batch_num=1,
        batch_size=1,
        signer=signer,
        revised_keys=revised,
    )
    body, _ = members(data)
    export = decode(body[16:], "TemporaryExposureKeyExport")

    assert export["start_timestamp"] == [int(START.timestamp())]
    assert export["end_timestamp"] == [int(END.timestamp())]
    assert export["region"] == [b"452"]
    assert export["batch_num"] == [1]
    assert export["batch_size"] == [1]
    [info] = [decode(raw, "SignatureInfo") for raw in export["signature_infos"]]
    assert info == {
        "verification_key_version": [b"v1"],
        "verification_key_id": [b"452"],
        "signature_algorithm": [b"1.2.840.10045.4.3.2"],
    }

    written = [decode(raw, "TemporaryExposureKey") for raw in export["keys"]]
    expected = sorted(keys, key=lambda k: k.key_data)
    assert [k["key_data"] for k in written] == [[k.key_data] for k in expected]
    for got, key in zip(written, expected, strict=True):
        assert got["transmission_risk_level"] == [key.transmission_risk_level]
        assert got["rolling_start_interval_number"] == [key.rolling_start_interval_number]
        assert got["rolling_period"] == [key.rolling_period]
        assert got["report_type"] == [key.report_type]
        onset = got.get("days_since_onset_of_symptoms")
        if key.days_since_onset_of_symptoms is None:
            assert onset is None
        else:
            # sint32: zigzag on the wire, so -3 is 5, not a 10-byte two's complement.
            assert [zigzag(v) for v in onset] == [key.days_since_onset_of_symptoms]
    by_data = {k.key_data: k for k in keys}
    assert zigzag(
        decode(export["keys"][-1], "TemporaryExposureKey")["days_since_onset_of_symptoms"][0]
    ) == (by_data[b"\xff" * 16].days_since_onset_of_symptoms)

    [revoked] = [decode(raw, "TemporaryExposureKey") for raw in export["revised_keys"]]
    assert revoked["key_data"] == [b"\x42" * 16]
    assert revoked["report_type"] == [5]


def test_keys_are_sorted_by_their_bytes(signer: ExportSigner) -> None:
    keys = [ExportKey(secrets.token_bytes(16), DAY) for _ in range(300)]
    body, _ = members(write_export(keys, start=START, end=END, region="452", signer=signer))
    written = [
        decode(raw, "TemporaryExposureKey")["key_data"][0]
        for raw in decode(body[16:], "TemporaryExposureKeyExport")["keys"]
    ]
    assert written == sorted(k.key_data for k in keys)
    assert written != [k.key_data for k in keys]


def test_signature_decodes_and_verifies_with_the_public_key(signer: ExportSigner) -> None:
    data = write_export(some_keys(), start=START, end=END, region="452", signer=signer)
    body, sig = members(data)
    [raw] = decode(sig, "TEKSignatureList")["signatures"]
    signature = decode(raw, "TEKSignature")
    assert signature["batch_num"] == [1] and signature["batch_size"] == [1]
    info = decode(signature["signature_info"][0], "SignatureInfo")
    assert info["verification_key_id"] == [b"452"]
    assert info["signature_algorithm"] == [b"1.2.840.10045.4.3.2"]

    # Checked with the published public key alone, as a phone does: ECDSA P-256, SHA-256, DER.
    public = serialization.load_pem_public_key(signer.public_key_pem())
    public.verify(signature["signature"][0], body, ec.ECDSA(hashes.SHA256()))
    assert signature["signature"][0][0] == 0x30  # a DER SEQUENCE (r, s)
    assert verify_export(data, signer.public_key_pem())
    assert verify_export(data, signer.public_key_pem(), key_id="452", key_version="v1")
    assert not verify_export(data, signer.public_key_pem(), key_version="v2")


def test_a_changed_byte_fails_verification(signer: ExportSigner) -> None:
    data = write_export(some_keys(), start=START, end=END, region="452", signer=signer)
    body, sig = members(data)
    for position in (5, 16, len(body) // 2, len(body) - 1):
        changed = bytearray(body)
        changed[position] ^= 0x01
        with pytest.raises(InvalidSignature):
            serialization.load_pem_public_key(signer.public_key_pem()).verify(
                decode(decode(sig, "TEKSignatureList")["signatures"][0], "TEKSignature")[
                    "signature"
                ][0],
                bytes(changed),
                ec.ECDSA(hashes.SHA256()),
            )
        assert not verify_export(rezip(bytes(changed), sig), signer.public_key_pem())
    assert verify_export(rezip(body, sig), signer.public_key_pem())
    # Someone else's key: the file does not verify.
    other = ExportSigner.generate("452", "v1")
    assert not verify_export(data, other.public_key_pem())


def test_read_export_gives_the_keys_back(signer: ExportSigner) -> None:
    keys = some_keys()
    data = write_export(keys, start=START, end=END, region="452", signer=signer)
    export, signatures = read_export(data)
    assert [ExportKey.from_message(m) for m in export.keys] == sorted(
        keys, key=lambda k: k.key_data
    )
    assert export.start_timestamp == int(START.timestamp())
    assert export.region == "452"
    assert len(signatures.signatures) == 1


def test_a_file_written_twice_differs_only_in_its_signature(signer: ExportSigner) -> None:
    keys = some_keys()
    first = members(write_export(keys, start=START, end=END, region="452", signer=signer))
    second = members(write_export(keys, start=START, end=END, region="452", signer=signer))
    assert first[0] == second[0]


# --- decoys ------------------------------------------------------------------------------


def test_decoys_pad_to_the_minimum_and_look_like_the_real_keys(signer: ExportSigner) -> None:
    real = some_keys()
    padded = pad_with_decoys(real, minimum=1000, jitter=0, window_end=END)
    assert len(padded) == 1000
    assert padded[: len(real)] == real
    decoys = padded[len(real) :]
    assert len({k.key_data for k in padded}) == 1000

    def shape(key: ExportKey) -> tuple:
        return (
            key.rolling_start_interval_number,
            key.rolling_period,
            key.transmission_risk_level,
            key.report_type,
            key.days_since_onset_of_symptoms,
        )

    assert {shape(k) for k in decoys} <= {shape(k) for k in real}

    # On the wire: every record a decoy makes has the length and fields of some real key's.
    body, _ = members(write_export(padded, start=START, end=END, region="452", signer=signer))
    records = decode(body[16:], "TemporaryExposureKeyExport")["keys"]
    assert len(records) == 1000
    real_data = {k.key_data for k in real}

    def wire_shape(raw: bytes) -> tuple:
        return (len(raw), tuple(number for number, _, _ in wire_fields(raw)))

    real_shapes = {
        wire_shape(r)
        for r in records
        if decode(r, "TemporaryExposureKey")["key_data"][0] in real_data
    }
    decoy_shapes = {
        wire_shape(r)
        for r in records
        if decode(r, "TemporaryExposureKey")["key_data"][0] not in real_data
    }
    assert decoy_shapes <= real_shapes
    # Sorted together: the real keys are not where they were put (first), but spread out.
    positions = [
        i
        for i, r in enumerate(records)
        if decode(r, "TemporaryExposureKey")["key_data"][0] in real_data
    ]
    assert positions != list(range(len(real)))


def test_decoys_with_jitter_and_an_empty_batch() -> None:
    sizes = {len(pad_with_decoys([], minimum=50, jitter=10, window_end=END)) for _ in range(60)}
    assert sizes <= set(range(50, 61))
    assert len(sizes) > 1
    padded = pad_with_decoys([], minimum=200, jitter=0, window_end=END)
    end_day = int(END.timestamp()) // 600 // 144 * 144
    for key in padded:
        assert len(key.key_data) == 16
        assert key.rolling_start_interval_number % 144 == 0
        assert end_day - 14 * 144 <= key.rolling_start_interval_number < end_day
        assert key.rolling_period == 144
    assert len({k.transmission_risk_level for k in padded}) > 1


def test_enough_keys_get_no_decoys() -> None:
    keys = [ExportKey(secrets.token_bytes(16), DAY) for _ in range(30)]
    assert pad_with_decoys(keys, minimum=20, jitter=5, window_end=END) == keys


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"key_data": b"\x01" * 15}, "key_data must be 16 bytes, got 15"),
        ({"key_data": b"\x01" * 17}, "key_data must be 16 bytes, got 17"),
        ({"rolling_period": 0}, "rolling_period must be 1 to 144"),
        ({"rolling_period": 145}, "rolling_period must be 1 to 144"),
        ({"rolling_start_interval_number": -1}, "rolling_start_interval_number"),
        ({"transmission_risk_level": 9}, "transmission_risk_level must be 0 to 8"),
        ({"report_type": 6}, "report_type must be 0 to 5"),
        ({"days_since_onset_of_symptoms": -15}, "days_since_onset_of_symptoms"),
    ],
)
def test_bad_keys_are_refused(fields: dict, message: str) -> None:
    values = {"key_data": b"\x01" * 16, "rolling_start_interval_number": DAY, **fields}
    with pytest.raises(ValueError, match=re.escape(message)):
        ExportKey(**values)


def test_bad_files_to_write_are_refused(signer: ExportSigner) -> None:
    key = ExportKey(b"\x01" * 16, DAY)
    with pytest.raises(ValueError, match="the same key appears twice"):
        write_export([key, key], start=START, end=END, region="452", signer=signer)
    with pytest.raises(ValueError, match="must be before end"):
        write_export([key], start=END, end=START, region="452", signer=signer)
    with pytest.raises(ValueError, match="timezone-aware"):
        write_export([key], start=START.replace(tzinfo=None), end=END, region="452", signer=signer)
    with pytest.raises(ValueError, match="batch 2 of 1"):
        write_export([key], start=START, end=END, region="452", batch_num=2, signer=signer)
    with pytest.raises(ValueError, match="key_id must be"):
        ExportSigner.generate("452 VN")
    with pytest.raises(ValueError, match="P-256"):
        ExportSigner(ec.generate_private_key(ec.SECP384R1()), "452")


def test_files_that_are_not_exports_are_refused(signer: ExportSigner) -> None:
    data = write_export(some_keys(), start=START, end=END, region="452", signer=signer)
    body, sig = members(data)
    with pytest.raises(ExportFormatError, match="not a zip"):
        read_export(b"PK\x03\x04 not really")
    with pytest.raises(ExportFormatError, match="does not start with"):
        read_export(rezip(b"EK Export v2    " + body[16:], sig))
    with pytest.raises(ExportFormatError, match="not a valid TemporaryExposureKeyExport"):
        read_export(rezip(body[:16] + b"\x0a\xff", sig))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("export.bin", body)
    with pytest.raises(ExportFormatError, match=r"exactly export\.bin and export\.sig"):
        read_export(out.getvalue())
    assert not verify_export(b"garbage", signer.public_key_pem())


# --- the schema --------------------------------------------------------------------------

_PROTO_FIELD = re.compile(
    r"^\s*(optional|repeated)\s+(\w+)\s+(\w+)\s*=\s*(\d+)(?:\s*\[(?:default\s*=\s*(\w+))?[^\]]*\])?;",
    re.M,
)
_WIRE_TYPE = {"fixed64": 1, "string": 2, "bytes": 2, "int32": 0, "sint32": 0}


def proto_file_fields() -> dict[str, dict[str, tuple[int, int, str, str | None]]]:
    """export.proto's fields: message -> name -> (number, wire type, label, default)."""
    text = (Path(exportfile.__file__).parent / "export.proto").read_text()
    out: dict[str, dict] = {}
    for block in re.finditer(r"^message (\w+) \{(.*?)^\}", text, re.M | re.S):
        fields = {}
        for label, type_, name, number, default in _PROTO_FIELD.findall(block.group(2)):
            wire = 2 if label == "repeated" else _WIRE_TYPE.get(type_, 0)
            if type_[0].isupper() and type_ != "ReportType":
                wire = 2
            fields[name] = (int(number), wire, label, default or None)
        out[block.group(1)] = fields
    return out


def test_proto_file_and_runtime_schema_have_the_published_numbers() -> None:
    file_fields = proto_file_fields()
    assert set(file_fields) == set(PUBLISHED)
    for message, published in PUBLISHED.items():
        assert {n: v[:2] for n, v in file_fields[message].items()} == published, message
        descriptor = getattr(exportfile, message).DESCRIPTOR
        runtime = {f.name: f.number for f in descriptor.fields}
        assert runtime == {name: number for name, (number, _) in published.items()}, message
        for field in descriptor.fields:
            repeated = field.is_repeated
            assert repeated == (file_fields[message][field.name][2] == "repeated")
    key = exportfile.TemporaryExposureKey.DESCRIPTOR
    assert key.fields_by_name["rolling_period"].default_value == 144
    assert file_fields["TemporaryExposureKey"]["rolling_period"][3] == "144"
    assert key.fields_by_name["days_since_onset_of_symptoms"].type == key.fields[0].TYPE_SINT32
    assert key.fields_by_name["key_data"].type == key.fields[0].TYPE_BYTES
    export = exportfile.TemporaryExposureKeyExport.DESCRIPTOR
    assert export.fields_by_name["start_timestamp"].type == export.fields[0].TYPE_FIXED64
