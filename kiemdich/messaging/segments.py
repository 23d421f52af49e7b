"""What a text costs as an SMS. Everything that messages people through the outbox (campaigns,
the warning to a case's contacts) shows this before it is confirmed, and counts the same way."""

from __future__ import annotations

import math
from dataclasses import dataclass

#: The GSM 03.38 alphabet: a text using only these fits 160 characters in one SMS; any other
#: character (every Vietnamese letter with a diacritic) makes it UCS-2, 70 per SMS.
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsSegments:
    """What a text costs as an SMS: its `encoding` ("GSM-7" or "UCS-2"), its `length` in that
    encoding's units (an extended GSM character such as "[" counts two; UCS-2 counts UTF-16
    code units) and the `parts` a carrier bills."""

    encoding: str
    length: int
    parts: int


def sms_segments(text: str) -> SmsSegments:
    """How many SMS the text takes: 160 per SMS in the GSM-7 alphabet (153 per part once it is
    split), 70 in UCS-2 (67 per part). One letter with a Vietnamese diacritic ("ắ") makes the
    whole text UCS-2. The form's script counts the same way."""
    if all(c in GSM_BASIC or c in GSM_EXTENDED for c in text):
        encoding, single, part = "GSM-7", 160, 153
        length = len(text) + sum(c in GSM_EXTENDED for c in text)
    else:
        encoding, single, part = "UCS-2", 70, 67
        length = len(text.encode("utf-16-le")) // 2
    return SmsSegments(encoding, length, 1 if length <= single else math.ceil(length / part))
