"""A fake camera for Chromium: a QR code on a wall, written as a Y4M video it loops forever.

Chromium's `--use-file-for-fake-video-capture=FILE.y4m` plays an uncompressed YUV4MPEG2 file
as the camera. Y4M is a text header, then per frame `FRAME\\n` and the three planes of 4:2:0
video (Y at full size, U and V at half width and height), so it is written here in pure Python
from segno's module matrix: no Pillow, no numpy, no ffmpeg.
"""

from __future__ import annotations

from pathlib import Path

import segno

WALL = 110  # grey around the poster, so the white quiet zone stands out as it does on a wall
WHITE = 255
BLACK = 16


def qr_rows(text: str, border: int = 4) -> list[list[bool]]:
    """The QR code of `text` as rows of modules (True = dark), quiet zone included."""
    return [
        [bool(m) for m in row] for row in segno.make(text, error="m").matrix_iter(border=border)
    ]


def luma_frame(rows: list[list[bool]], width: int, height: int) -> bytes:
    """The Y plane of a frame: the code centred, filling about 80% of the shorter side."""
    modules = len(rows)
    scale = max(1, min(width, height) * 8 // 10 // modules)
    size = modules * scale
    left, top = (width - size) // 2, (height - size) // 2
    wall_line = bytes([WALL]) * width
    frame = bytearray(wall_line * height)
    for r, row in enumerate(rows):
        line = b"".join(bytes([BLACK if dark else WHITE]) * scale for dark in row)
        for dy in range(scale):
            start = (top + r * scale + dy) * width + left
            frame[start : start + size] = line
    return bytes(frame)


def write_qr_y4m(
    text: str, path: Path, *, width: int = 640, height: int = 480, frames: int = 2, fps: int = 10
) -> Path:
    """Write `text` as a QR code into a Y4M file Chromium can use as its camera; return `path`."""
    assert width % 2 == 0 and height % 2 == 0, "4:2:0 needs even sizes"
    luma = luma_frame(qr_rows(text), width, height)
    chroma = bytes([128]) * ((width // 2) * (height // 2))  # no colour
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n")
            out.write(luma)
            out.write(chroma)
            out.write(chroma)
    return path


def camera_args(video: Path) -> list[str]:
    """Chromium flags: this file is the camera, and camera prompts are answered yes."""
    return [
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
        "--use-fake-ui-for-media-stream",
    ]
