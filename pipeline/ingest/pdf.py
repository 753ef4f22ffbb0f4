"""PDF with a text layer, read with pdfplumber (pdfminer.six) into text per page.

What the reader does, page by page:

* characters are grouped into rows by their baseline (not their glyph box: fonts with
  odd ascents put punctuation "above" the line otherwise), rows into segments at wide
  gaps; letter-spaced Han text (税 务 总 局) is closed up;
* tables (``page.find_tables()``, ruled tables with 2 cells or more) come out one row per
  line, cells separated by `` | `` (CELL), at their place in the page; their characters are
  kept out of the body text;
* two-column pages are read column by column (a vertical gutter with justified text on
  both sides); rows that span the gutter (a title) separate column bands;
* running headers and footers (edge lines whose text, digits masked, repeats across pages)
  and page numbers (rules/ingest.toml [pdf].page_number) are removed;
* lines broken by the layout are rejoined using the geometry: a line that reaches the
  right edge of its column continues on the next line unless the next line is indented,
  starts a list item, changes font size, is a table row, or the document indents
  paragraphs and the line ends a sentence. Joins work across page breaks.

Pages are read lazily, one at a time (pdfplumber's ``pdf.pages`` builds every page up
front): each page's characters become compact segments (``Seg``) and the page's caches are
flushed before the next page is opened. A page count or page size over the caps of
rules/ingest.toml [pdf] is refused before its text is read.

Pages without a usable text layer (none, mostly private-use, control or unmapped-CID
characters, or a few characters on a page-sized image) are rendered and read by OCR
(``ocr.PdfScanner``; docs/ocr.md), laid out by the same rules; undecodable text layers are
flagged in ``Raw.warnings``. ``Raw.text`` is the page texts joined by newlines;
``page_starts`` holds where each page starts, ``boxes`` where each line sits, ``page_sizes``
each page's size in points (``finish``). Encrypted, truncated, corrupt, oversized and zero-page files raise InputError;
no exception of pdfminer or pdfplumber leaves the reader.
"""
from __future__ import annotations

import io
import logging
import math
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cache
from statistics import median

from .. import errors, rules
from ..errors import InputError
from ..schema import Raw

CELL = " | "  # between the cells of a table row (normalisation keeps it; rows are never rejoined)

_HAN = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f\u201c\u201d\u2018\u2019\u2014\u2026]")
_TERMINAL = "。！？；：!?;:…"
_CID = re.compile(r"\(cid:\d+\)")
_BAD_CHAR = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ue000-\uf8ff\ufffd]")
_SPACE = re.compile(r"\s+")


@cache
def _rules() -> dict:
    t = rules.table("ingest.toml")["pdf"]
    return {**t, "page_number": rules.compile_pattern(t["page_number"], "ingest.toml:pdf.page_number")}


@cache
def _line_start() -> re.Pattern:
    """Headings and list items (一、 （一） 1. 第一条 ...): shared with the normaliser's rejoining."""
    return rules.compile_pattern(rules.table("normalize.toml")["line_start"], "normalize.toml:line_start")


def sniff(data: bytes, suffix: str) -> bool:
    """PDF by its header (%PDF- within the first KiB, as readers accept)."""
    return b"%PDF-" in data[:1024]


# --- geometry ----------------------------------------------------------------------------

@dataclass
class Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    kind: str = "text"  # text | row (a table row) | tabular (wide gaps inside: never joined)
    region: tuple = ()  # (left, right) of the column the line sits in; set per page
    key: tuple = ()  # which column geometry it belongs to (for document-wide margins)
    conf: tuple = ()  # OCR'd lines: one confidence per character of text


@dataclass(slots=True)
class Seg:
    """A run of characters of one row between wide gaps, kept instead of the characters."""
    x0: float  # of the first (leftmost) character
    x1: float  # the largest x1 of its characters
    last_x1: float  # x1 of its last character
    size0: float  # font size of its first character
    top: float
    bottom: float
    text: str
    sizes: tuple  # font size of every character (a line's size is their median)
    conf: tuple = ()  # OCR'd pages: one confidence per character of text


def _seg(chars: list[dict]) -> Seg:
    text = _seg_text(chars)
    return Seg(x0=chars[0]["x0"], x1=max(c["x1"] for c in chars), last_x1=chars[-1]["x1"],
               size0=chars[0]["size"], top=min(c["top"] for c in chars), bottom=max(c["bottom"] for c in chars),
               text=text, sizes=tuple(c["size"] for c in chars),
               conf=_aligned_conf(text, chars) if "conf" in chars[0] else ())


@dataclass
class Page:
    number: int
    height: float
    width: float = 0.0
    lines: list[Line] = field(default_factory=list)
    warning: str | None = None
    rows: list[list[Seg]] = field(default_factory=list)  # body rows of segments, until laid out
    table_rows: list[Line] = field(default_factory=list)
    gutter: float | None = None
    box_of: object = None  # OCR'd pages: Line -> bbox in page coordinates (skew put back)
    ocr: bool = False  # read by OCR
    ocr_confidence: float | None = None  # OCR'd pages: mean character confidence (None: no text found)


def _is_han(ch: str) -> bool:
    return bool(_HAN.match(ch))


def _baselines(chars: list[dict], height: float) -> list[float]:
    """Each character's baseline (top-down), from its text matrix where the page allows.

    The glyph box (top/bottom) depends on the font's ascent and descent, so punctuation
    from another font can sit a whole line "lower"; the matrix origin is the true baseline.
    Pages where matrix and boxes disagree beyond a constant shift (rotated pages) use the
    box bottom.
    """
    raw = []
    for c in chars:
        m = c.get("matrix")
        raw.append(height - m[5] if m and m[1] == 0 and m[2] == 0 and c.get("upright", True) else None)
    diffs = [c["bottom"] - b for c, b in zip(chars, raw) if b is not None]
    if len(diffs) < 0.9 * len(chars):
        return [c["bottom"] for c in chars]
    shift = median(diffs)
    spread = median(abs(d - shift) for d in diffs)
    if spread > 0.5 * median(c["size"] for c in chars):
        return [c["bottom"] for c in chars]
    return [b + shift if b is not None else c["bottom"] for c, b in zip(chars, raw)]


def _rows(chars: list[dict], height: float) -> list[list[dict]]:
    """Characters grouped into rows by baseline, each row sorted left to right."""
    if not chars:
        return []
    items = sorted(zip(_baselines(chars, height), (c["x0"] for c in chars), chars), key=lambda t: (t[0], t[1]))
    rows: list[list[tuple]] = []
    for item in items:
        b, _, c = item
        tol = 0.3 * max(c["size"], 1.0)
        if rows and abs(b - rows[-1][0][0]) <= tol:
            rows[-1].append(item)
        else:
            rows.append([item])
    out = []
    for row in rows:
        row.sort(key=lambda t: t[1])
        out.append([t[2] for t in row])
    return out


def _segments(row: list[dict]) -> list[list[dict]]:
    """A row split at gaps wider than 1.5 character widths (columns, tab stops)."""
    segs: list[list[dict]] = []
    prev = None
    for c in row:
        if prev is not None and c["text"] == prev["text"] and abs(c["x0"] - prev["x0"]) < 0.3 * c["size"]:
            continue  # overprinted duplicate (fake bold)
        if prev is None or c["x0"] - prev["x1"] > 1.5 * max(c["size"], prev["size"]):
            segs.append([c])
        else:
            segs[-1].append(c)
        prev = c
    return segs


def _seg_text(seg: list[dict]) -> str:
    out = []
    prev = None
    for c in seg:
        t = c["text"]
        if prev is not None and not t.isspace() and not prev["text"].isspace():
            gap = c["x0"] - prev["x1"]
            size = max(c["size"], prev["size"], 1.0)
            han = _is_han(t[0]) or _is_han(prev["text"][-1])
            if (not han and gap > 0.2 * size) or (han and not (_is_han(t[0]) and _is_han(prev["text"][-1]))
                                                  and gap > 0.5 * size):
                out.append(" ")
        out.append(t)
        prev = c
    return "".join(out)


def _line(segs: list[Seg]) -> Line:
    text = "  ".join(s.text for s in segs)
    conf = tuple(x for i, s in enumerate(segs) for x in ((1.0, 1.0) if i else ()) + s.conf) \
        if segs[0].conf else ()
    return Line(text=text, x0=min(s.x0 for s in segs), x1=max(s.x1 for s in segs),
                top=min(s.top for s in segs), bottom=max(s.bottom for s in segs),
                size=median(z for s in segs for z in s.sizes), kind="tabular" if len(segs) > 1 else "text",
                conf=conf)


def _aligned_conf(text: str, chars: list[dict]) -> tuple:
    """Per-character OCR confidence of a line's text (spaces the layout inserted: 1.0)."""
    want = "".join(c["text"] for c in chars)
    confs = [x for c in chars for x in c["conf"]]
    out, j = [], 0
    for ch in text:
        if j < len(want) and ch == want[j]:
            out.append(confs[j])
            j += 1
        else:
            out.append(1.0)
    return tuple(out)


def _join_cell_lines(lines: list[str]) -> str:
    out = ""
    for s in lines:
        s = s.strip()
        if not s:
            continue
        if out and out[-1].isascii() and out[-1].isalpha() and s[0].isascii() and s[0].isalpha():
            out += " "
        out += s
    return out


def _cell_text(chars: list[dict], height: float) -> str:
    return _join_cell_lines([_SPACE.sub(" ", "  ".join(_seg_text(s) for s in _segments(r))) for r in _rows(chars, height)])


def _inside(c: dict, box: tuple) -> bool:
    cx, cy = (c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


def _tables(page, chars: list[dict]) -> tuple[list[Line], list[tuple]]:
    """Table rows as lines (cells joined by CELL) and the table boxes."""
    rows_out, boxes = [], []
    try:
        tables = page.find_tables()
    except (ValueError, KeyError, TypeError, ZeroDivisionError):
        return [], []
    for t in tables:
        cells = [c for c in t.cells]
        if len(cells) < 2:
            continue  # a frame around text, not a table
        box = t.bbox
        inside = [c for c in chars if _inside(c, box)]
        if not inside:
            continue
        boxes.append(box)
        for row in t.rows:
            texts = []
            for cb in row.cells:
                if cb is None:
                    continue
                texts.append(_cell_text([c for c in inside if _inside(c, cb)], page.height))
            if any(texts):
                top, bottom = row.bbox[1], row.bbox[3]
                size = median([c["size"] for c in inside if top <= c["top"] <= bottom] or [10.0])
                rows_out.append(Line(text=CELL.join(texts), x0=box[0], x1=box[2], top=top, bottom=bottom,
                                     size=size, kind="row"))
    return rows_out, boxes


def _fewest_crossings(spans: list[tuple[float, float]], lo: float, hi: float, step: float = 2.0
                      ) -> tuple[float, int]:
    """The first x of lo, lo + step, lo + 2*step ... <= hi crossed by the fewest spans
    (a < x < b), and that number; in O(n log n), whatever the page width.

    The count only changes at span ends, so the grid points worth a look are lo and, for
    each end v, the first grid points at and after v."""
    starts = sorted(a for a, _b in spans)
    ends = sorted(b for _a, b in spans)
    points = Counter(a for a, b in spans if a == b)  # a zero-width span never crosses
    last = int((hi - lo) // step)

    def crossing(x: float) -> int:
        return bisect_left(starts, x) - bisect_right(ends, x) + points.get(x, 0)

    candidates = {0}
    for v in starts + ends:
        if lo <= v <= hi:
            k = (v - lo) / step
            candidates.update(j for j in (int(k), int(k) + 1) if j <= last)
    best_k = min(candidates, key=lambda k: (crossing(lo + k * step), k))
    return lo + best_k * step, crossing(lo + best_k * step)


def _gutter(rows: list[list[Seg]], width: float) -> float | None:
    """x of the gap between two columns of text, or None for a single-column page."""
    if len(rows) < 6 or width <= 0:
        return None
    spans = [(s.x0, s.x1) for segs in rows for s in segs]
    best, best_cross = _fewest_crossings(spans, 0.3 * width, 0.7 * width)
    if best_cross > 0.15 * len(rows):
        return None
    # text on both sides, side by side (rows need not align: columns have their own baselines)
    left_rows = [i for i, segs in enumerate(rows) if any(s.x1 <= best for s in segs)]
    right_rows = [i for i, segs in enumerate(rows) if any(s.x0 >= best for s in segs)]
    if not left_rows or not right_rows:
        return None
    lo_r, hi_r = right_rows[0], right_rows[-1]
    lo_l, hi_l = left_rows[0], left_rows[-1]
    if sum(1 for i in left_rows if lo_r <= i <= hi_r) < 5 or sum(1 for i in right_rows if lo_l <= i <= hi_l) < 5:
        return None
    # both columns must be full text (most lines reach the gutter / the right edge)
    left = [s.x1 for segs in rows for s in segs if s.last_x1 <= best]
    right = [s.x1 for segs in rows for s in segs if s.x0 >= best]
    if len(left) < 5 or len(right) < 5:
        return None
    size = median(s.size0 for segs in rows for s in segs)
    for ends in (left, right):
        edge = sorted(ends)[int(0.9 * (len(ends) - 1))]
        if sum(1 for e in ends if e >= edge - 1.6 * size) < 0.4 * len(ends):
            return None
    return best


def _page_lines(page, scans=None) -> Page:
    height, width = float(page.height), float(page.width)
    result = Page(number=page.page_number, height=height, width=width)
    chars = [c for c in page.chars if c["text"] and c["text"] not in "\n\r"]
    for c in chars:
        if c["text"] == "\u00ad":  # a drawn soft hyphen is a visible hyphen
            c["text"] = "-"
    if scans is not None and (why := _unusable_text(page, chars)) is not None:
        scanned = scans.page(page.page_number, width, height)  # OCR (pipeline/ingest/ocr.py)
        found = scanned.warning  # "page N: OCR found no text ..." or None
        if why or found:
            why = why or ("an image-only page (scanned?)" if page.images else "no text layer")
            scanned.warning = f"page {page.page_number}: {why}; " + (found.split(": ", 1)[1] if found else "read by OCR")
        return scanned
    if not [c for c in chars if not c["text"].isspace()]:
        kind = "an image-only page (scanned?)" if page.images else "no text layer"
        result.warning = f"page {page.page_number}: {kind}; no text read"
        return result
    bad = sum(1 for c in chars if _CID.fullmatch(c["text"]) or _BAD_CHAR.search(c["text"]))
    share = _rules()["garbage_share"]
    if bad >= share * len(chars):
        result.warning = (f"page {page.page_number}: text does not decode ({bad} of {len(chars)} characters are "
                          f"private-use, control or unmapped CID glyphs: a font without a usable ToUnicode map); "
                          f"page text dropped")
        return result
    if bad:
        for c in chars:
            if _CID.fullmatch(c["text"]):
                c["text"] = "\ufffd"
    table_rows, boxes = _tables(page, chars)
    body = [c for c in chars if not any(_inside(c, b) for b in boxes)] if boxes else chars
    rows = [[_seg(s) for s in _segments(r)] for r in _rows(body, height)]
    rows = [r for r in rows if r]
    result.width, result.rows, result.table_rows = width, rows, table_rows
    result.gutter = _gutter(rows, width)
    return result


def _unusable_text(page, chars: list[dict]) -> str | None:
    """Why a page's text layer is not the page ("" for a scan: no text layer, or a handful
    of characters stamped on a page-sized image; a message when its glyphs do not decode),
    or None when it is usable."""
    r = rules.table("ingest.toml")["ocr"]
    text = [c for c in chars if not c["text"].isspace()]
    if not text:
        return ""
    bad = sum(1 for c in chars if _CID.fullmatch(c["text"]) or _BAD_CHAR.search(c["text"]))
    if bad >= _rules()["garbage_share"] * len(chars):
        return (f"text layer does not decode ({bad} of {len(chars)} characters are private-use, control "
                f"or unmapped CID glyphs: a font without a usable ToUnicode map)")
    if len(text) < r["scan_max_chars"] and page.images:
        area = float(page.width) * float(page.height)
        covered = max((abs(i["x1"] - i["x0"]) * abs(i["bottom"] - i["top"]) for i in page.images), default=0)
        if covered >= r["scan_image_share"] * area:
            return ""
    return None


def _crossings(rows: list[list[Seg]], x: float) -> int:
    return sum(1 for segs in rows for s in segs if s.x0 < x < s.x1)


def _layout(page: Page, gutter: float | None) -> None:
    """Rows into lines in reading order (column by column when there is a gutter)."""
    rows, width = page.rows, page.width
    lines: list[Line] = []
    if gutter is None:
        for segs in rows:
            ln = _line(segs)
            ln.key = (round(width), 0)
            lines.append(ln)
    else:
        band_l: list[Line] = []
        band_r: list[Line] = []

        def flush():
            lines.extend(band_l)
            lines.extend(band_r)
            band_l.clear()
            band_r.clear()

        for segs in rows:
            left = [s for s in segs if s.x1 <= gutter]
            right = [s for s in segs if s.x0 >= gutter]
            if len(left) + len(right) < len(segs):  # spans the gutter
                flush()
                ln = _line(segs)
                ln.key = (round(width), 0)
                lines.append(ln)
                continue
            if left:
                ln = _line(left)
                ln.key = (round(width), 1)
                band_l.append(ln)
            if right:
                ln = _line(right)
                ln.key = (round(width), 2)
                band_r.append(ln)
        flush()
    if page.table_rows:
        lines = _merge_rows(lines, page.table_rows)
    page.lines = [ln for ln in lines if ln.text.strip()]
    page.rows = []


def layout(pages: list[Page]) -> None:
    """Lay out every page; a page of a two-column document whose own columns were too
    short to detect (the last page) uses the document's gutter when nothing crosses it."""
    gutters: dict[int, list[float]] = {}
    for p in pages:
        if p.gutter is not None:
            gutters.setdefault(round(p.width), []).append(p.gutter)
    for p in pages:
        gutter = p.gutter
        if gutter is None and (known := gutters.get(round(p.width))):
            g = median(known)
            if p.rows and _crossings(p.rows, g) <= 0.15 * len(p.rows) and \
                    any(s.x1 <= g for segs in p.rows for s in segs):
                gutter = g
        _layout(p, gutter)


def _merge_rows(lines: list[Line], table_rows: list[Line]) -> list[Line]:
    """Insert table rows among body lines by vertical position (body lines keep their order)."""
    out: list[Line] = []
    rows = sorted(table_rows, key=lambda r: r.top)
    i = 0
    for ln in lines:
        while i < len(rows) and rows[i].top < ln.top:
            out.append(rows[i])
            i += 1
        out.append(ln)
    out.extend(rows[i:])
    return out


# --- page furniture ----------------------------------------------------------------------

def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", _SPACE.sub("", text))


def _edge_lines(page: Page, band: float) -> list[int]:
    """Indexes of the text lines at the top and bottom edge of a page (at most 2 each)."""
    out = []
    text = [i for i, ln in enumerate(page.lines) if ln.kind != "row"]
    by_top = sorted(text, key=lambda i: page.lines[i].top)
    for i in by_top[:2]:
        if page.lines[i].bottom <= band * page.height:
            out.append(i)
    for i in by_top[-2:][::-1]:
        if page.lines[i].top >= (1 - band) * page.height and i not in out:
            out.append(i)
    return out


def remove_furniture(pages: list[Page]) -> int:
    """Drop page numbers and running headers/footers in place; returns how many lines."""
    r = _rules()
    edges = {p.number: _edge_lines(p, r["edge_band"]) for p in pages}
    counts: dict[str, set[int]] = {}
    for p in pages:
        for i in edges[p.number]:
            counts.setdefault(_furniture_key(p.lines[i].text), set()).add(p.number)
    need = max(2, r["repeat_share"] * len(pages))
    removed = 0
    for p in pages:
        drop = set()
        for i in edges[p.number]:
            t = _SPACE.sub("", p.lines[i].text)
            if r["page_number"].match(t) or len(counts[_furniture_key(p.lines[i].text)]) >= need:
                drop.add(i)
        if drop:
            p.lines = [ln for i, ln in enumerate(p.lines) if i not in drop]
            removed += len(drop)
    return removed


# --- rejoining lines ---------------------------------------------------------------------

def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[int(q * (len(s) - 1))]


def _margins(pages: list[Page]) -> dict[tuple, tuple[float, float]]:
    """(left, right) edge of the text of each column geometry, over the whole document."""
    xs: dict[tuple, list[tuple[float, float]]] = {}
    for p in pages:
        for ln in p.lines:
            if ln.kind == "text":
                xs.setdefault(ln.key, []).append((ln.x0, ln.x1))
    return {k: (_pct([a for a, _ in v], 0.1), _pct([b for _, b in v], 0.95)) for k, v in xs.items()}


def _ends_sentence(text: str) -> bool:
    t = text.rstrip()
    return bool(t) and (t[-1] in _TERMINAL or (t[-1] in "”’」』）)" and len(t) > 1 and t[-2] in _TERMINAL))


def _joiner(a: str, b: str) -> str:
    """What replaces a line break inside a paragraph: a space between Latin words of
    Latin text; nothing in CJK text (where a Latin word or a number may break anywhere)."""
    x, y = a.rstrip()[-1:], b.lstrip()[:1]
    latin = x.isascii() and x.isalpha() and y.isascii() and y.isalpha()
    return " " if latin and not any(_is_han(ch) for ch in a[-12:]) else ""


def _assemble(pages: list[Page], placed: list | None = None) -> tuple[str, tuple[int, ...]]:
    """The document text and page starts; ``placed`` receives (start, end, page, line,
    characters stripped from the line's left) for every line, in text order."""
    placed = [] if placed is None else placed
    margins = _margins(pages)
    flow = [(p.number, ln) for p in pages for ln in p.lines]

    def reaches(ln: Line) -> bool:
        left, right = margins.get(ln.key, (ln.x0, ln.x1))
        return ln.x1 >= right - 1.6 * ln.size and (ln.x1 - left) > 8 * ln.size

    def indented(ln: Line) -> bool:
        left, _ = margins.get(ln.key, (ln.x0, ln.x1))
        return ln.x0 > left + 0.6 * ln.size

    # Does the document mark paragraphs by indenting their first line?
    after_end = [b for (_, a), (_, b) in zip(flow, flow[1:])
                 if a.kind == b.kind == "text" and _ends_sentence(a.text) and not reaches(a)]
    indents = len(after_end) >= 3 and sum(map(indented, after_end)) >= 0.6 * len(after_end)

    def joins(a: Line, b: Line, same_page: bool) -> bool:
        if a.kind != "text" or b.kind != "text":
            return False
        if not reaches(a) or indented(b):
            return False
        if not indents and _line_start().match(b.text.lstrip()):
            return False  # without indented paragraphs, a heading or list item starts a line
        if abs(a.size - b.size) > 0.15 * max(a.size, b.size):
            return False
        if same_page and a.key == b.key and b.top - a.top > 2.6 * a.size:
            return False
        return indents or not _ends_sentence(a.text)

    parts: list[str] = []
    starts: list[int] = []
    placed.clear()
    pos = 0
    prev: Line | None = None
    prev_page = None
    for number, p in ((p.number, p) for p in pages):
        page_start = None
        for ln in p.lines:
            text = ln.text.strip()
            if prev is not None:
                sep = _joiner(prev.text, text) if joins(prev, ln, prev_page == number) else "\n"
                parts.append(sep)
                pos += len(sep)
            if page_start is None:
                page_start = pos
            placed.append((pos, pos + len(text), p, ln, len(ln.text) - len(ln.text.lstrip())))
            parts.append(text)
            pos += len(text)
            prev, prev_page = ln, number
        starts.append(page_start if page_start is not None else pos)
    return "".join(parts), tuple(starts)


# --- the reader ----------------------------------------------------------------------------

def _check_complete(data: bytes) -> None:
    if b"%%EOF" not in data[-4096:]:
        raise InputError("truncated", f"truncated PDF: no %%EOF marker at the end of the file "
                                      f"({len(data)} bytes; the download or copy was cut off)")


_REF_ONLY = re.compile(rb"obj\s*(\d+)\s+\d+\s+R\s*endobj")  # an object that is only a reference
_OBJ_NUMBER = re.compile(rb"(\d+)\s+\d+\s+$")


def _reference_loop(data: bytes) -> list[int] | None:
    """Objects that are nothing but a reference to each other in a ring (``6 0 obj 7 0 R
    endobj``, ``7 0 obj 6 0 R endobj``): pdfminer follows such a chain for ever."""
    refs: dict[int, int] = {}
    for m in _REF_ONLY.finditer(data):
        if own := _OBJ_NUMBER.search(data[max(0, m.start() - 24):m.start()]):
            refs[int(own.group(1))] = int(m.group(1))
    for start in refs:
        seen, n = [], start
        while n in refs and n not in seen:
            seen.append(n)
            n = refs[n]
        if n in seen:
            return seen[seen.index(n):]
    return None


_COUNT = re.compile(rb"/Count\s+(\d{1,12})")


def _check_claimed_pages(data: bytes) -> None:
    """A page tree that says it holds more pages than the cap is refused before pdfminer
    parses the file (a million-page file takes it a minute and most of a gigabyte)."""
    cap = _rules()["max_pages"]
    claimed = max((int(m.group(1)) for m in _COUNT.finditer(data)), default=0)
    if claimed > cap:
        raise InputError(errors.TOO_LARGE, f"PDF has {claimed} pages, over the cap of {cap} "
                                           f"(rules/ingest.toml [pdf].max_pages)")


def _page_count(pdf) -> int | None:
    """The page count the document claims (/Count of its page tree), if it is a number."""
    from pdfminer.pdftypes import resolve1
    try:
        count = resolve1(resolve1(pdf.doc.catalog.get("Pages")).get("Count"))
    except Exception:  # noqa: BLE001 - a damaged page tree is found out when pages are read
        return None
    return count if isinstance(count, int) else None


def _pages(pdf):
    """pdfplumber pages one at a time (``pdf.pages`` would build them all at once), each
    checked against the caps of rules/ingest.toml [pdf] before its text is read."""
    import pdfplumber.page
    from pdfminer.pdfpage import PDFPage
    r = _rules()
    max_pages, max_side = r["max_pages"], r["max_page_points"]
    claimed = _page_count(pdf)
    if claimed is not None and claimed > max_pages:
        raise InputError(errors.TOO_LARGE, f"PDF has {claimed} pages, over the cap of {max_pages} "
                                           f"(rules/ingest.toml [pdf].max_pages)")
    doctop = 0.0
    for i, page_obj in enumerate(PDFPage.create_pages(pdf.doc)):
        if i >= max_pages:
            raise InputError(errors.TOO_LARGE, f"PDF has more than {max_pages} pages, over the cap "
                                               f"(rules/ingest.toml [pdf].max_pages)")
        page = pdfplumber.page.Page(pdf, page_obj, page_number=i + 1, initial_doctop=doctop)
        w, h = float(page.width), float(page.height)
        if not (0 < w <= max_side and 0 < h <= max_side):
            raise InputError(errors.TOO_LARGE, f"PDF page {i + 1} is {w:g} x {h:g} pt, outside the cap of "
                                               f"{max_side:g} pt a side (rules/ingest.toml [pdf].max_page_points)")
        doctop += h
        yield page


class _Collect(logging.Handler):
    def __init__(self, out: list[str]):
        super().__init__(logging.WARNING)
        self.out = out

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.out) < 20:
            self.out.append(record.getMessage())


@contextmanager
def _library_warnings(out: list[str]):
    """pdfminer's and pdfplumber's warnings about this file (MediaBox missing ...) into
    ``out`` as content warnings, not onto the batch's stderr."""
    handler = _Collect(out)
    loggers = [logging.getLogger(name) for name in ("pdfminer", "pdfplumber")]
    saved = [lg.propagate for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.propagate = False
    try:
        yield
    finally:
        for lg, propagate in zip(loggers, saved):
            lg.removeHandler(handler)
            lg.propagate = propagate


def read(data: bytes) -> Raw:
    """The text of a PDF (see the module docstring); raises InputError."""
    notes: list[str] = []
    with _library_warnings(notes):
        raw = _read(data)
    if notes:
        said = list(dict.fromkeys(notes))
        raw = replace(raw, warnings=raw.warnings + tuple(f"PDF reader: {n}" for n in said))
    return raw


def _read(data: bytes) -> Raw:
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    _check_complete(data)
    _check_claimed_pages(data)
    if loop := _reference_loop(data):
        ring = " -> ".join(f"{n} 0 R" for n in loop + loop[:1])
        raise InputError(errors.CORRUPT, f"corrupt PDF: objects refer to each other in a ring ({ring}); "
                                         f"they never resolve to a value")
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except (PDFPasswordIncorrect, PDFEncryptionError) as e:
        raise InputError(errors.ENCRYPTED, f"encrypted PDF: needs a password to open "
                                           f"({type(e).__name__}{': ' + str(e) if str(e) else ''})") from None
    except MemoryError:
        raise
    except Exception as e:  # noqa: BLE001 - pdfplumber wraps pdfminer errors in its own types
        cause = e.__cause__ or e.__context__ or e
        if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)) or "password" in str(e).lower():
            raise InputError(errors.ENCRYPTED, f"encrypted PDF: needs a password to open ({type(cause).__name__})") from None
        raise InputError(errors.CORRUPT, f"corrupt PDF: cannot be parsed ({type(e).__name__}: {e})") from None
    pages: list[Page] = []
    from .ocr import PdfScanner
    scans = PdfScanner(data)
    try:
        for page in _pages(pdf):
            try:
                pages.append(_page_lines(page, scans))
            finally:
                page.close()  # its layout, characters and text map: one page in memory at a time
        if not pages:
            raise InputError(errors.EMPTY, "PDF has zero pages")
    except InputError:
        raise
    except MemoryError:
        raise
    except RecursionError:
        raise InputError(errors.CORRUPT, f"corrupt PDF: page {len(pages) + 1} cannot be read (its objects "
                                         f"refer to each other without end)") from None
    except Exception as e:  # noqa: BLE001 - any pdfminer/pdfplumber error on a damaged file
        cause = e.__cause__ if type(e).__name__ == "PdfminerException" and e.__cause__ else e
        raise InputError(errors.CORRUPT, f"corrupt PDF: page {len(pages) + 1} cannot be read "
                                         f"({type(cause).__name__}: {cause})") from None
    finally:
        scans.close()
        # not pdf.close(): it walks pdf.pages, which builds every page of the document
        pdf.flush_cache()
        pdf.stream.close()
    warnings = [p.warning for p in pages if p.warning]
    if all(not p.rows and not p.table_rows for p in pages):
        raise InputError(errors.NO_TEXT, f"no text in any of the {len(pages)} pages: "
                                         + ("; ".join(warnings[:3]) + (" ..." if len(warnings) > 3 else "")))
    return finish(pages, "pdf", tuple(warnings))


def finish(pages: list[Page], fmt: str, warnings: tuple[str, ...] = ()) -> Raw:
    """Pages (text-layer or OCR'd) to Raw: layout, page furniture, rejoined text, and
    where each line sits (``Raw.boxes``, page coordinates clipped to the page) and which
    characters OCR read with low confidence (``Raw.low_confidence``)."""
    from .ocr import ocr_info
    layout(pages)
    remove_furniture(pages)
    placed: list = []
    text, starts = _assemble(pages, placed)
    below = rules.table("ingest.toml")["ocr"]["suspect_below"]
    boxes, low = [], []
    for s, e, p, ln, lead in placed:
        x0, top, x1, bottom = p.box_of(ln) if p.box_of else (ln.x0, ln.top, ln.x1, ln.bottom)
        # rounded outwards to 0.1 (the box holds the glyphs), then clipped to the page
        x0, top = (min(max(math.floor(v * 10) / 10, 0.0), lim) for v, lim in ((x0, p.width), (top, p.height)))
        x1, bottom = (min(max(math.ceil(v * 10) / 10, 0.0), lim) for v, lim in ((x1, p.width), (bottom, p.height)))
        boxes.append((s, e, p.number, x0, top, max(x0, x1), max(top, bottom)))
        if ln.conf:
            low.extend(s + k for k, c in enumerate(ln.conf[lead:lead + e - s]) if c < below)
    return Raw(text=text, format=fmt, encoding=None, page_starts=starts, warnings=tuple(warnings),
               page_sizes=tuple((round(p.width, 1), round(p.height, 1)) for p in pages),
               boxes=tuple(boxes), low_confidence=tuple(low), ocr=ocr_info(pages))
