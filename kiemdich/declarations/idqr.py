"""The other QR codes a staff scanner meets: the chip ID card's and the 2021 national standard's.

Staff at a door scan whatever the visitor shows (DESIGN.md §1): our own signed personal QR first,
else the QR printed on a chip ID card (CCCD: `CCCD12|CMND9|Name|ddmmyyyy|Nam/Nữ|address|issued`)
or a personal QR of Decision 1405/QĐ-BTTTT (`ID|NAME|YYYY-MM-DD|0/1|QID|EXT`). Neither is signed,
so what they give is treated as typed in by staff. Pure functions, no Django.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DMY = re.compile(r"^(\d{2})(\d{2})(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_ID = re.compile(r"^(\d{9}|\d{12})$")


@dataclass(frozen=True)
class IdCard:
    id_number: str
    full_name: str
    birth_year: int | None
    gender: str  # "male", "female" or ""


def _gender(text: str) -> str:
    word = text.strip().lower()
    if word in {"nam", "male"}:
        return "male"
    if word in {"nữ", "nu", "female"}:
        return "female"
    return ""


def parse_id_qr(text: str) -> IdCard | None:
    """The person an ID-card or 1405 QR names, or None if `text` is neither."""
    fields = [f.strip() for f in (text or "").strip().split("|")]
    if len(fields) >= 6 and _ID.match(fields[0]) and _DMY.match(fields[3]):
        # Chip ID card (CCCD): the old 9-digit number may be empty.
        return IdCard(
            id_number=fields[0],
            full_name=" ".join(fields[2].split()),
            birth_year=int(_DMY.match(fields[3]).group(3)),
            gender=_gender(fields[4]),
        )
    if len(fields) >= 4 and fields[0] and _ISO.match(fields[2]) and fields[3] in {"0", "1"}:
        return IdCard(
            id_number=re.sub(r"\s", "", fields[0]).upper(),
            full_name=" ".join(fields[1].split()),
            birth_year=int(fields[2][:4]),
            gender="",
        )
    return None
