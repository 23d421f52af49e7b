"""Be Vietnam Pro for every PDF kiemdich prints (posters, statistics, reports).

reportlab's built-in fonts have no Vietnamese glyphs. Registration is lazy (parsing the TTFs
costs time that code importing a PDF module for something else should not pay) and locked
(re-registering a name swaps the font object under a canvas another thread may be drawing
with). No Django import: the poster module runs without it.
"""

from __future__ import annotations

import threading

import fontpkg_be_vietnam_pro
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "BeVietnamPro-Regular"
BOLD = "BeVietnamPro-Bold"
ITALIC = "BeVietnamPro-Italic"  # place and date, signing hints of official documents

_lock = threading.Lock()
_registered = False


def register() -> None:
    """Make REGULAR, BOLD and ITALIC usable in reportlab, once per process."""
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        files = fontpkg_be_vietnam_pro.ROOT / "files"
        for name in (REGULAR, BOLD, ITALIC):
            pdfmetrics.registerFont(TTFont(name, str(files / f"{name}.ttf")))
        _registered = True
