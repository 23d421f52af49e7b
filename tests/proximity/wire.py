"""An independent reader of the GAEN export file, for tests: the protobuf wire format by hand.

Every check of a written file decodes it with this small wire-format reader (varints, fixed64,
length-delimited, zigzag), not with the project's own classes, and looks the fields up by the
numbers published in Google's "Exposure Key Export File Format and Verification" (PUBLISHED):
a wrong number in our schema would pass a round trip through our own classes, and no phone
could read the file. Shared by the file format's tests and the server's export tests.
"""

from __future__ import annotations

import io
import zipfile

#: Field numbers and wire types as published (0 varint, 1 fixed64, 2 length-delimited).
PUBLISHED = {
    "TemporaryExposureKeyExport": {
        "start_timestamp": (1, 1),
        "end_timestamp": (2, 1),
        "region": (3, 2),
        "batch_num": (4, 0),
        "batch_size": (5, 0),
        "signature_infos": (6, 2),
        "keys": (7, 2),
        "revised_keys": (8, 2),
    },
    "SignatureInfo": {
        "verification_key_version": (3, 2),
        "verification_key_id": (4, 2),
        "signature_algorithm": (5, 2),
    },
    "TemporaryExposureKey": {
        "key_data": (1, 2),
        "transmission_risk_level": (2, 0),
        "rolling_start_interval_number": (3, 0),
        "rolling_period": (4, 0),
        "report_type": (5, 0),
        "days_since_onset_of_symptoms": (6, 0),
    },
    "TEKSignatureList": {"signatures": (1, 2)},
    "TEKSignature": {
        "signature_info": (1, 2),
        "batch_num": (2, 0),
        "batch_size": (3, 0),
        "signature": (4, 2),
    },
}


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        assert shift < 64, "varint longer than 10 bytes"


def wire_fields(data: bytes) -> list[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) of every field of one message, in order."""
    fields = []
    pos = 0
    while pos < len(data):
        tag, pos = _varint(data, pos)
        number, wire_type = tag >> 3, tag & 7
        if wire_type == 0:
            value, pos = _varint(data, pos)
        elif wire_type == 1:
            value = int.from_bytes(data[pos : pos + 8], "little")
            pos += 8
        elif wire_type == 2:
            length, pos = _varint(data, pos)
            value = data[pos : pos + length]
            assert len(value) == length, "length-delimited field runs past the end"
            pos += length
        elif wire_type == 5:
            value = int.from_bytes(data[pos : pos + 4], "little")
            pos += 4
        else:
            raise AssertionError(f"wire type {wire_type} in field {number}")
        fields.append((number, wire_type, value))
    assert pos == len(data)
    return fields


def zigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


def decode(data: bytes, message: str) -> dict[str, list]:
    """A message's fields by their published names; fails on a number not published."""
    by_number = {number: (name, wt) for name, (number, wt) in PUBLISHED[message].items()}
    out: dict[str, list] = {}
    for number, wire_type, value in wire_fields(data):
        assert number in by_number, f"{message} has field {number}, which is not published"
        name, published_type = by_number[number]
        assert wire_type == published_type, f"{message}.{name} has wire type {wire_type}"
        out.setdefault(name, []).append(value)
    return out


def members(data: bytes) -> tuple[bytes, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == ["export.bin", "export.sig"]
        return archive.read("export.bin"), archive.read("export.sig")
