"""Page images (PNG, JPEG, TIFF including multi-page TIFF) read by OCR.

Chosen by content: the file's magic bytes. Every frame of the file is one page, read by
``ocr.ocr_image`` into the PDF reader's page model, so reading order, page furniture and
paragraph rejoining are the PDF rules (``pdf.finish``). Boxes and ``page_sizes`` are in
pixels of the image. A page where OCR finds nothing (a blank page, a photo) is a warning,
not an error: the record says so and has no items.
"""
from __future__ import annotations

import io

from .. import errors
from ..errors import InputError
from ..schema import Raw

MAGIC = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"), (b"II*\x00", "tiff"), (b"MM\x00*", "tiff"))


def kind(data: bytes) -> str | None:
    return next((name for magic, name in MAGIC if data.startswith(magic)), None)


def sniff(data: bytes, suffix: str) -> bool:
    return kind(data) is not None


def _frames(data: bytes):
    from PIL import Image, ImageSequence, UnidentifiedImageError
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except Image.DecompressionBombError as e:
        raise InputError(errors.CORRUPT, f"image too large to read safely: {e}") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise InputError(errors.CORRUPT, f"corrupt {kind(data)} image: cannot be decoded "
                                         f"({type(e).__name__}: {e})") from None
    try:
        for frame in ImageSequence.Iterator(img):
            yield frame
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        raise InputError(errors.CORRUPT, f"corrupt {kind(data)} image: a page cannot be decoded "
                                         f"({type(e).__name__}: {e})") from None


def read(data: bytes) -> Raw:
    from . import ocr, pdf
    try:
        ocr.engine()
    except ImportError as e:
        raise InputError(errors.UNSUPPORTED, f"an image needs OCR, which is not installed ({e})") from None
    pages = []
    for number, frame in enumerate(_frames(data), 1):
        pages.append(ocr.ocr_image(ocr.to_bgr(frame), number, float(frame.width), float(frame.height)))
    warnings = tuple(p.warning for p in pages if p.warning)
    return pdf.finish(pages, kind(data), warnings)
