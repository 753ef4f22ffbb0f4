"""One document through every stage: bytes -> Raw -> Normalized -> Doc -> items -> Record.

This is the one place that maps spans to ``source_span`` and ``page``. A stage that fails
raises ``StageFailure`` naming the stage; batch code turns it into a ``schema.Failure``.
"""
from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right
from dataclasses import is_dataclass, replace
from functools import cache
from datetime import date
from typing import Any, Callable, Optional, TypeVar, get_args, get_type_hints

from . import __version__, ingest, normalize, rules, segment
from .errors import GongwenError, InputError
from .extract import Context, run_all
from .schema import (SCHEMA_VERSION, Metadata, Provenance, Raw, Record, Source, field_names)

T = TypeVar("T")


class StageFailure(Exception):
    def __init__(self, stage: str, code: str, message: str):
        super().__init__(message)
        self.stage, self.code, self.message = stage, code, message


# Called with each stage's name as it starts (engines: a worker stopped by a limit names
# the stage it was in); None in plain use.
stage_hook: Optional[Callable[[str], None]] = None


def _stage(stage: str, fn: Callable[..., T], *args) -> T:
    if stage_hook is not None:
        stage_hook(stage)
    try:
        return fn(*args)
    except InputError as e:
        raise StageFailure(e.stage if stage == "ingest" else stage, e.code, str(e)) from e
    except GongwenError as e:
        raise StageFailure(stage, e.code, str(e)) from e
    except (MemoryError, RecursionError, ValueError, TypeError, KeyError, IndexError,
            AttributeError, AssertionError, UnicodeError, OSError, ZeroDivisionError) as e:
        raise StageFailure(stage, "internal_error", f"{type(e).__name__}: {e}") from e


@cache
def _plan(cls: type) -> tuple[tuple[str, ...], bool, bool, bool]:
    """(fields that hold items or tuples of items, whether the class has source_span,
    bbox, suspect)."""
    hints = get_type_hints(cls)

    def holds_items(tp: Any) -> bool:
        args = [a for a in get_args(tp) if a is not type(None) and a is not Ellipsis]
        return is_dataclass(tp) or any(holds_items(a) for a in args)

    names = field_names(cls)
    return (tuple(n for n in names if holds_items(hints[n])), "source_span" in names,
            "bbox" in names, "suspect" in names)


def _with(obj: T, changes: dict) -> T:
    """``dataclasses.replace`` for the frozen schema items, without re-running ``__init__``
    (a third of the cost of locating items): a copy of the fields with ``changes``."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    new.__dict__.update(changes)
    return new


def _boxer(raw: Raw) -> Callable[[int, int, Optional[int]], Optional[tuple]]:
    """source span + page -> the union of the boxes of the lines it touches on that page."""
    boxes = raw.boxes
    line_starts = [b[0] for b in boxes]

    def bbox(s: int, e: int, page: Optional[int]) -> Optional[tuple]:
        e = max(e, s + 1)
        i = max(0, bisect_right(line_starts, s) - 1)
        hit = None
        while i < len(boxes) and boxes[i][0] < e:
            b = boxes[i]
            if b[1] > s and b[2] == page:
                hit = b[3:] if hit is None else (min(hit[0], b[3]), min(hit[1], b[4]),
                                                 max(hit[2], b[5]), max(hit[3], b[6]))
            i += 1
        return hit

    return bbox


def _locator(norm: normalize.Normalized, raw: Raw) -> Callable[[Any], Any]:
    """A function that fills ``source_span``, ``page`` and (paged sources) ``bbox`` on an
    item and everything in it, and ``suspect`` where it touches a low-confidence OCR character."""
    starts = raw.page_starts
    bbox = _boxer(raw) if raw.boxes else None
    low = raw.low_confidence
    ocr = raw.ocr is not None

    def page_of(source_offset: int) -> Optional[int]:
        return bisect_right(starts, source_offset) if starts else None

    def locate(obj: Any) -> Any:
        if isinstance(obj, tuple):
            return tuple(map(locate, obj))
        nested, has_span, has_bbox, has_suspect = _plan(type(obj))
        changes = {}
        for name in nested:
            value = getattr(obj, name)
            if value:
                changes[name] = locate(value)
        if has_span and obj.span is not None:
            s, e = obj.span
            src = norm.source_span(s, e)
            changes["source_span"] = src
            changes["page"] = page = page_of(src[0])
            if has_bbox and bbox is not None:
                changes["bbox"] = bbox(src[0], src[1], page)
            if has_suspect and ocr:
                i = bisect_left(low, src[0])
                touches = i < len(low) and low[i] < max(src[1], src[0] + 1)
                changes["suspect"] = bool(obj.suspect) or touches
        return _with(obj, changes) if changes else obj

    return locate


def _low_confidence(norm: normalize.Normalized, raw: Raw) -> normalize.Normalized:
    """Count the low-confidence OCR characters that reach ``text`` as suspect characters."""
    if not raw.low_confidence:
        return norm
    import numpy
    origins = numpy.frombuffer(norm.offsets, dtype=f"i{norm.offsets.itemsize}")[:-1]
    n = int(numpy.isin(origins, numpy.asarray(raw.low_confidence)).sum())
    if not n:
        return norm
    info = norm.normalization
    below = raw.ocr.suspect_below if raw.ocr else None
    note = f"{n} characters read by OCR with confidence below {below}"
    return replace(norm, normalization=replace(info, suspect_chars=info.suspect_chars + n,
                                               warnings=info.warnings + (note,)))


def build_record(raw: Raw, path: str, sha256: str, reference_date: Optional[date] = None) -> Record:
    norm = _stage("normalize", normalize.normalize, raw.text, raw.warnings)
    norm = _low_confidence(norm, raw)
    doc = _stage("segment", segment.make_doc, norm.text)
    ctx = _stage("extract", run_all, doc, Context(reference_date=reference_date))
    locate = _locator(norm, raw)
    items = {key: tuple(locate(tuple(ctx.results.get(key, ()))))
             for key in ("departments", "date_windows", "figures", "household_counts", "tasks")}
    return Record(
        schema_version=SCHEMA_VERSION,
        doc_id=sha256[:16],
        source=Source(path=path, format=raw.format, sha256=sha256, encoding=raw.encoding, pages=raw.pages,
                      page_sizes=raw.page_sizes or None),
        normalization=norm.normalization,
        text=norm.text,
        metadata=locate(ctx.metadata) if isinstance(ctx.metadata, Metadata) else Metadata(),
        provenance=Provenance(pipeline_version=__version__, rules_version=rules.rules_version(), ocr=raw.ocr),
        **items,
    )


def process_bytes(data: bytes, path: str, suffix: str = "", reference_date: Optional[date] = None) -> Record:
    """A document's bytes (from a file at ``path``) to its Record; raises StageFailure."""
    raw = _stage("ingest", ingest.read, data, suffix)
    return build_record(raw, path, hashlib.sha256(data).hexdigest(), reference_date)


def process_text(text: str, path: str, reference_date: Optional[date] = None) -> Record:
    """Already-decoded text (``extract --jsonl``) to its Record."""
    data = text.encode("utf-8")
    raw = Raw(text=text, format="txt", encoding=None)
    return build_record(raw, path, hashlib.sha256(data).hexdigest(), reference_date)
