"""OCR: page images to text lines, then to the PDF reader's pages (one layout for both).

Engine: RapidOCR (``rapidocr-onnxruntime``, PP-OCRv4 detection and recognition models
shipped inside its wheel, run by onnxruntime; docs/ocr.md says why). Nothing is
downloaded: the models are files of the installed package. The angle classifier is off
(it turned whole lines upside down on upright scans).

One engine per process, loaded on first use (``engine()``), with one intra-op thread, so
N pool workers on N cores do not oversubscribe (``GONGWEN_OCR_THREADS`` overrides).

A page's OCR lines (a quadrilateral, text and per-character confidence each) become a
``pdf.Page``: the page's skew is measured from the lines and taken out of the layout
geometry, line heights of body text are snapped to one size, and each line is one
"character" of the PDF reader's row/segment/column machinery, so columns, running
headers, page numbers and paragraph rejoining follow exactly the PDF rules. Boxes go back
to the page's own coordinates (the skew put back) when the text is assembled.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import cache
from statistics import median
from typing import Callable, Optional, Protocol

from .. import rules


@dataclass(frozen=True)
class OcrLine:
    text: str
    quad: tuple[tuple[float, float], ...]  # 4 corners in image pixels: top-left, top-right, bottom-right, bottom-left
    score: float  # the line's mean character confidence
    conf: tuple[float, ...]  # one confidence per character of text


class Engine(Protocol):
    name: str  # e.g. "rapidocr-onnxruntime 1.4.4"
    models: tuple[str, ...]  # model files (name and sha256 prefix)

    def recognize(self, image) -> list[OcrLine]:
        """Text lines of an image (numpy array, H x W x 3 BGR uint8), any order."""


@cache
def _rules() -> dict:
    t = rules.table("ingest.toml")["ocr"]
    return {**t, **{k: rules.compile_pattern(t[k], f"ingest.toml:ocr.{k}")
                    for k in ("year_brackets", "page_number_dashes")}}


def fix_text(text: str) -> str:
    """Known misreadings put right, one character for one (rules/ingest.toml [ocr])."""
    r = _rules()
    text = r["year_brackets"].sub(lambda m: f"〔{m.group(1)}〕", text)
    return r["page_number_dashes"].sub(lambda m: f"—{m.group(1)}—", text)


def threads() -> int:
    """Intra-op threads of this process's engine: 1 (``GONGWEN_OCR_THREADS`` overrides).

    Parallelism comes from the worker pool, one engine per worker, so N workers use N
    cores without oversubscribing them; and one thread everywhere keeps the output of
    ``--workers 1`` byte-identical to that of a pool."""
    env = os.environ.get("GONGWEN_OCR_THREADS", "")
    return int(env) if env.isdigit() and int(env) > 0 else 1


def _sha(path) -> str:
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:12]


class RapidOcr:
    """RapidOCR 1.4.x with its bundled models, without the angle classifier.

    Detection, cropping and recognition are called one by one (the public call keeps only
    each line's mean confidence; the recogniser's decoder has one per character).
    """

    def __init__(self, n_threads: Optional[int] = None):
        from importlib.metadata import version
        import cv2
        from rapidocr_onnxruntime import RapidOCR
        n = n_threads or threads()
        cv2.setNumThreads(n)
        self._ocr = RapidOCR(use_cls=False, intra_op_num_threads=n, inter_op_num_threads=1)
        self.name = f"rapidocr-onnxruntime {version('rapidocr-onnxruntime')}"
        self.models = tuple(f"{p.name} sha256:{_sha(p)}" for p in _model_paths())
        self.threads = n

    def recognize(self, image) -> list[OcrLine]:
        ocr = self._ocr
        raw_h, raw_w = image.shape[:2]
        img, ratio_h, ratio_w = ocr.preprocess(image)
        record = {"preprocess": {"ratio_h": ratio_h, "ratio_w": ratio_w}}
        img, record = ocr.maybe_add_letterbox(img, record)
        boxes, _ = ocr.auto_text_det(img)
        if boxes is None or len(boxes) == 0:
            return []
        crops = ocr.get_crop_img_list(img, boxes)
        recs, _ = ocr.text_rec(crops, True)
        quads = ocr._get_origin_points(boxes, record, raw_h, raw_w)
        out = []
        for quad, (text, score, info) in zip(quads, recs):
            conf = tuple(float(c) for c in info[4]) if text else ()
            if len(conf) != len(text):
                conf = (float(score),) * len(text)
            out.append(OcrLine(text, tuple((float(x), float(y)) for x, y in quad), float(score), conf))
        return out


def _model_paths() -> tuple:
    """The detection and recognition model files inside the installed package."""
    from pathlib import Path
    import rapidocr_onnxruntime
    import yaml
    root = Path(rapidocr_onnxruntime.__file__).parent
    cfg = yaml.safe_load((root / "config.yaml").read_text(encoding="utf-8"))
    return tuple(root / cfg[k]["model_path"] for k in ("Det", "Rec"))


@cache
def engine() -> Engine:
    """This process's engine, loaded on first use."""
    return RapidOcr()


# --- lines -> a pdf.Page --------------------------------------------------------------------

def _skew(lines: list[OcrLine]) -> float:
    """The page's text angle (radians, y down), median over long lines; 0 when tiny."""
    angles = []
    for ln in lines:
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = ln.quad
        w, h = math.hypot(x1 - x0, y1 - y0), math.hypot(x3 - x0, y3 - y0)
        if w > 4 * max(h, 1.0):
            angles.append(math.atan2((y1 - y0) + (y2 - y3), (x1 - x0) + (x2 - x3)))
    if len(angles) < 3:
        return 0.0
    a = median(angles)
    return a if abs(a) >= math.radians(_rules()["min_skew_degrees"]) else 0.0


def _rotation(angle: float, cx: float, cy: float) -> Callable[[float, float], tuple[float, float]]:
    """Rotation of points by ``angle`` around (cx, cy) in y-down coordinates."""
    c, s = math.cos(angle), math.sin(angle)
    return lambda x, y: (cx + (x - cx) * c - (y - cy) * s, cy + (x - cx) * s + (y - cy) * c)


def page_of_lines(lines: list[OcrLine], number: int, width: float, height: float, scale: float = 1.0):
    """A ``pdf.Page`` (rows not yet laid out) from OCR lines of an image of ``width`` x
    ``height`` page units; ``scale`` is page units per pixel (72/dpi for a PDF page)."""
    from . import pdf
    r = _rules()
    page = pdf.Page(number=number, height=height, width=width, ocr=True)
    lines = [ln for ln in lines if ln.text.strip() and ln.score >= r["min_line_score"]]
    if not lines:
        page.warning = f"page {number}: OCR found no text (a blank page, or a picture without text)"
        return page
    angle = _skew(lines)
    cx, cy = width / 2, height / 2
    straighten = _rotation(-angle, cx, cy)
    chars = []
    for ln in lines:
        pts = [straighten(x * scale, y * scale) for x, y in ln.quad]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        chars.append({"text": fix_text(ln.text), "x0": min(xs), "x1": max(xs), "top": min(ys), "bottom": max(ys),
                      "size": max(ys) - min(ys), "conf": ln.conf, "upright": True})
    # One size for body lines: box heights vary a little with what the line holds
    # (brackets, digits), and the rejoin rules read a size change as a new paragraph.
    body = median(c["size"] for c in chars)
    for c in chars:
        if abs(c["size"] - body) <= r["size_snap"] * body:
            c["size"] = body
    rows = [[pdf._seg(s) for s in pdf._segments(row)] for row in pdf._rows(chars, height)]
    page.width, page.rows = width, [row for row in rows if row]
    page.gutter = pdf._gutter(page.rows, width)
    unturn = _rotation(angle, cx, cy)

    def box(ln) -> tuple[float, float, float, float]:
        pts = [unturn(x, y) for x, y in ((ln.x0, ln.top), (ln.x1, ln.top), (ln.x1, ln.bottom), (ln.x0, ln.bottom))]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        return (max(0.0, min(xs)), max(0.0, min(ys)), min(width, max(xs)), min(height, max(ys)))

    page.box_of = box
    page.ocr_confidence = sum(sum(ln.conf) for ln in lines) / max(1, sum(len(ln.conf) for ln in lines))
    return page


def ocr_image(image, number: int, width: float, height: float, scale: float = 1.0):
    """OCR one page image into a ``pdf.Page`` (see ``page_of_lines``). Each page is reported
    to the worker's stage hook, so that a batch's time limit applies per OCR'd page."""
    from .. import assemble
    if assemble.stage_hook is not None:
        assemble.stage_hook(f"ingest ocr {number}")
    return page_of_lines(engine().recognize(image), number, width, height, scale)


def to_bgr(img):
    """A PIL image as the engine's input: H x W x 3 BGR uint8 (alpha flattened on white)."""
    import numpy
    from PIL import Image
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(bg, rgba)
    rgb = numpy.asarray(img.convert("RGB"))
    return numpy.ascontiguousarray(rgb[:, :, ::-1])


def ocr_info(pages) -> Optional["OcrInfo"]:
    """What read the OCR'd pages among ``pages`` (None when none was OCR'd)."""
    from ..schema import OcrInfo
    done = [p for p in pages if p.ocr]
    if not done:
        return None
    eng = engine()
    return OcrInfo(engine=eng.name, models=eng.models, suspect_below=_rules()["suspect_below"],
                   pages=tuple(p.number for p in done),
                   confidence=tuple(None if p.ocr_confidence is None else round(p.ocr_confidence, 3)
                                    for p in done))


class PdfScanner:
    """Renders pages of one PDF (pypdfium2, opened on first use) and OCRs them."""

    def __init__(self, data: bytes):
        self.data = data
        self._doc = None

    def page(self, number: int, width: float, height: float):
        try:
            import pypdfium2
            engine()
        except ImportError as e:
            from . import pdf
            return pdf.Page(number=number, height=height, width=width,
                            warning=f"page {number}: no usable text layer, and OCR is not installed ({e})")
        if self._doc is None:
            self._doc = pypdfium2.PdfDocument(self.data)
        dpi = _rules()["pdf_dpi"]
        page = self._doc[number - 1]
        try:
            bitmap = page.render(scale=dpi / 72.0)
            img = bitmap.to_pil()
        finally:
            page.close()
        return ocr_image(to_bgr(img), number, width, height, scale=width / img.width)

    def close(self) -> None:
        if self._doc is not None:
            self._doc.close()
            self._doc = None
