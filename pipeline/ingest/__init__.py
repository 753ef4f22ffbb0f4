"""Ingest: choose a reader by content (magic bytes), then by extension; bytes -> Raw.

A new format is one row in READERS: (format, sniff(data, suffix) -> bool, read(data) -> Raw).
The first row whose sniff accepts the bytes reads them.
"""
from __future__ import annotations

from typing import Callable

from .. import errors
from ..errors import InputError
from ..schema import Raw
from . import docx, html, image, pdf, txt

Sniff = Callable[[bytes, str], bool]
Reader = Callable[[bytes], Raw]

READERS: tuple[tuple[str, Sniff, Reader], ...] = (
    ("pdf", pdf.sniff, pdf.read),
    ("image", image.sniff, image.read),  # PNG, JPEG, TIFF: OCR (ingest/ocr.py)
    ("docx", docx.sniff, docx.read),
    ("html", html.sniff, html.read),
    ("txt", txt.sniff, txt.read),
)


def sniff(data: bytes, suffix: str) -> str:
    """The format name of ``data`` (suffix like '.txt' is a tie-breaker), or InputError."""
    if not data:
        raise InputError(errors.EMPTY, "file is empty (0 bytes)")
    for name, accepts, _read in READERS:
        if accepts(data, suffix.lower()):
            return name
    raise InputError(errors.BINARY, f"not a supported document: binary content (suffix {suffix or 'none'!r}, "
                                    f"first bytes {data[:8].hex()})")


def read(data: bytes, suffix: str = "") -> Raw:
    """Decode one input into Raw text; raises InputError with a stable code."""
    fmt = sniff(data, suffix)
    for name, _accepts, reader in READERS:
        if name == fmt:
            return reader(data)
    raise AssertionError(fmt)
