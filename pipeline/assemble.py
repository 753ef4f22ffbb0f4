"""One document through every stage: bytes -> Raw -> Normalized -> Doc -> items -> Record.

This is the one place that maps spans to ``source_span`` and ``page``. A stage that fails
raises ``StageFailure`` naming the stage; batch code turns it into a ``schema.Failure``.
"""
from __future__ import annotations

import hashlib
from bisect import bisect_right
from dataclasses import is_dataclass
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
def _plan(cls: type) -> tuple[tuple[str, ...], bool]:
    """(fields that hold items or tuples of items, whether the class has source_span)."""
    hints = get_type_hints(cls)

    def holds_items(tp: Any) -> bool:
        args = [a for a in get_args(tp) if a is not type(None) and a is not Ellipsis]
        return is_dataclass(tp) or any(holds_items(a) for a in args)

    names = field_names(cls)
    return tuple(n for n in names if holds_items(hints[n])), "source_span" in names


def _with(obj: T, changes: dict) -> T:
    """``dataclasses.replace`` for the frozen schema items, without re-running ``__init__``
    (a third of the cost of locating items): a copy of the fields with ``changes``."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    new.__dict__.update(changes)
    return new


def _locator(norm: normalize.Normalized, raw: Raw) -> Callable[[Any], Any]:
    """A function that fills ``source_span`` and ``page`` on an item and everything in it."""
    starts = raw.page_starts

    def page_of(source_offset: int) -> Optional[int]:
        return bisect_right(starts, source_offset) if starts else None

    def locate(obj: Any) -> Any:
        if isinstance(obj, tuple):
            return tuple(map(locate, obj))
        nested, has_span = _plan(type(obj))
        changes = {}
        for name in nested:
            value = getattr(obj, name)
            if value:
                changes[name] = locate(value)
        if has_span and obj.span is not None:
            s, e = obj.span
            src = norm.source_span(s, e)
            changes["source_span"] = src
            changes["page"] = page_of(src[0])
        return _with(obj, changes) if changes else obj

    return locate


def build_record(raw: Raw, path: str, sha256: str, reference_date: Optional[date] = None) -> Record:
    norm = _stage("normalize", normalize.normalize, raw.text, raw.warnings)
    doc = _stage("segment", segment.make_doc, norm.text)
    ctx = _stage("extract", run_all, doc, Context(reference_date=reference_date))
    locate = _locator(norm, raw)
    items = {key: tuple(locate(tuple(ctx.results.get(key, ()))))
             for key in ("departments", "date_windows", "figures", "household_counts", "tasks")}
    return Record(
        schema_version=SCHEMA_VERSION,
        doc_id=sha256[:16],
        source=Source(path=path, format=raw.format, sha256=sha256, encoding=raw.encoding, pages=raw.pages),
        normalization=norm.normalization,
        text=norm.text,
        metadata=locate(ctx.metadata) if isinstance(ctx.metadata, Metadata) else Metadata(),
        provenance=Provenance(pipeline_version=__version__, rules_version=rules.rules_version()),
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
