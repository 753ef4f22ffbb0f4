"""Every type of the output contract (../shared/spec/extraction.md), in one place.

Field names are the contract's JSON keys. Items are frozen: extractors create them
with ``span`` only; ``assemble`` fills ``source_span`` and ``page``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, is_dataclass
from functools import cache
from typing import Any, Callable, Optional, Union, get_args, get_origin, get_type_hints

from dataclasses_json import dataclass_json

SCHEMA_VERSION = "1"

Span = tuple[int, int]
BBox = tuple[float, float, float, float]  # [x0, top, x1, bottom] in page units, origin top-left

DATE_KINDS = ("point", "range", "deadline", "since", "recurring")
FIGURE_KINDS = ("money", "percent", "measure", "count")
APPROX = ("about", "more_than", "at_least", "at_most", "less_than")
ROLES = ("issuer", "recipient", "responsible", "mentioned")


@dataclass(frozen=True)
class Raw:
    """What a reader gives: the decoded source text every ``source_span`` indexes."""
    text: str
    format: str
    encoding: Optional[str] = None
    page_starts: tuple[int, ...] = ()  # source offset where each page starts; () without pages
    warnings: tuple[str, ...] = ()  # content problems found while reading (undecodable bytes ...)
    page_sizes: tuple[tuple[float, float], ...] = ()  # (width, height) per page, in the page's units
    # (start, end, page, x0, top, x1, bottom): where each text line of a paged source sits
    boxes: tuple[tuple[int, int, int, float, float, float, float], ...] = ()
    low_confidence: tuple[int, ...] = ()  # source offsets of characters OCR read with low confidence
    ocr: Optional["OcrInfo"] = None

    @property
    def pages(self) -> Optional[int]:
        return len(self.page_starts) or None


@dataclass_json
@dataclass(frozen=True)
class Source:
    path: str
    format: str  # txt | pdf | docx | html | png | jpeg | tiff (page images, read by OCR)
    sha256: str
    encoding: Optional[str]  # utf-8 | utf-8-sig | gb18030 | big5 | utf-16 | None
    pages: Optional[int]
    # [width, height] per page (PDF points; pixels for image files): what a bbox is relative to
    page_sizes: Optional[tuple[tuple[float, float], ...]] = None


@dataclass_json
@dataclass(frozen=True)
class Normalization:
    converted_from_traditional: bool
    pinyin_glosses_removed: int
    suspect_chars: int
    warnings: tuple[str, ...] = ()


@dataclass_json
@dataclass(frozen=True)
class Mention:
    span: Span
    source_span: Optional[Span] = None
    page: Optional[int] = None
    bbox: Optional[BBox] = None
    suspect: Optional[bool] = None


@dataclass_json
@dataclass(frozen=True)
class FieldEvidence:
    """Where a metadata value was read from (so an archivist can check it)."""
    field: str
    text: str
    span: Span
    source_span: Optional[Span] = None
    page: Optional[int] = None
    bbox: Optional[BBox] = None
    suspect: Optional[bool] = None


@dataclass_json
@dataclass(frozen=True)
class Metadata:
    title: Optional[str] = None
    doc_number: Optional[str] = None
    doc_type: Optional[str] = None
    issuer: Optional[str] = None
    co_issuers: tuple[str, ...] = ()  # the other bodies of a joint document, in signature order
    issue_date: Optional[str] = None
    recipients: tuple[str, ...] = ()
    cited_documents: tuple[str, ...] = ()
    reference_year: Optional[int] = None
    evidence: tuple[FieldEvidence, ...] = ()


@dataclass_json
@dataclass(frozen=True)
class Department:
    name: str
    roles: tuple[str, ...]
    mentions: tuple[Mention, ...]
    canonical: Optional[str] = None


@dataclass_json
@dataclass(frozen=True)
class DateWindow:
    text: str
    span: Span
    kind: str  # one of DATE_KINDS
    start: Optional[str]  # ISO date or datetime, inclusive
    end: Optional[str]
    year_inferred: bool = False
    rule: Optional[str] = None  # recurring only, e.g. "monthly:day<=20"
    source_span: Optional[Span] = None
    page: Optional[int] = None
    bbox: Optional[BBox] = None
    suspect: Optional[bool] = None


@dataclass_json
@dataclass(frozen=True)
class Figure:
    text: str
    span: Span
    value: float
    unit: str
    kind: str  # one of FIGURE_KINDS
    approx: Optional[str] = None
    value_max: Optional[float] = None
    subject: Optional[str] = None
    year: Optional[int] = None
    suspect: bool = False
    source_span: Optional[Span] = None
    page: Optional[int] = None
    bbox: Optional[BBox] = None


@dataclass_json
@dataclass(frozen=True)
class HouseholdCount:
    text: str
    span: Span
    households: Optional[int]
    persons: Optional[int]
    category: Optional[str] = None
    year: Optional[int] = None
    approx: Optional[str] = None
    suspect: bool = False
    source_span: Optional[Span] = None
    page: Optional[int] = None
    bbox: Optional[BBox] = None


@dataclass_json
@dataclass(frozen=True)
class Task:
    text: str
    span: Span
    title: str
    window: Optional[DateWindow]
    responsible: tuple[str, ...]
    section: Optional[str] = None
    source_span: Optional[Span] = None
    page: Optional[int] = None
    bbox: Optional[BBox] = None
    suspect: Optional[bool] = None


@dataclass_json
@dataclass(frozen=True)
class OcrInfo:
    """What read the pages that had no usable text layer (docs/ocr.md)."""
    engine: str  # name and version, e.g. "rapidocr-onnxruntime 1.4.4"
    models: tuple[str, ...]  # model files with a sha256 prefix
    suspect_below: float  # characters read with less confidence count as suspect
    pages: tuple[int, ...]  # the OCR'd pages (1-based)
    confidence: tuple[Optional[float], ...]  # mean character confidence per OCR'd page (None: no text)


@dataclass_json
@dataclass(frozen=True)
class Provenance:
    pipeline_version: str
    rules_version: str
    ocr: Optional[OcrInfo] = None


@dataclass_json
@dataclass(frozen=True)
class Record:
    schema_version: str
    doc_id: str
    source: Source
    normalization: Normalization
    text: str
    metadata: Metadata
    departments: tuple[Department, ...]
    date_windows: tuple[DateWindow, ...]
    figures: tuple[Figure, ...]
    household_counts: tuple[HouseholdCount, ...]
    tasks: tuple[Task, ...]
    provenance: Provenance


@dataclass_json
@dataclass(frozen=True)
class Failure:
    """A document that could not be processed: one line of errors.jsonl."""
    path: str
    stage: str  # ingest | normalize | segment | extract | write
    error: str  # stable code, see errors.py
    message: str


@cache
def field_names(cls: type) -> tuple[str, ...]:
    """The field names of a dataclass, in order (``fields()`` rebuilds them on each call)."""
    return tuple(f.name for f in fields(cls))


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int)):  # most values: tested first
        return value
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if is_dataclass(value):
        return _dict(value)
    return value


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _converter(tp: Any) -> Optional[Callable[[Any], Any]]:
    """How to make a value of type ``tp`` plain; None when it already is (str, int, bool)."""
    if tp in (str, int, bool):
        return None
    if tp is float:
        return _number
    args = [a for a in get_args(tp) if a is not type(None) and a is not Ellipsis]
    origin = get_origin(tp)
    if origin is Union and len(args) == 1:
        inner = _converter(args[0])
        return None if inner is None else (lambda v: None if v is None else inner(v))
    if origin is tuple and args and all(a in (str, int, bool) for a in args):
        return list  # tuple[str, ...] and spans: a JSON array
    return _plain  # anything else (items, tuples of items): the general walk


@cache
def _converters(cls: type) -> tuple[tuple[str, Optional[Callable[[Any], Any]]], ...]:
    hints = get_type_hints(cls)
    return tuple((name, _converter(hints[name])) for name in field_names(cls))


def _dict(obj: Any) -> dict:
    out = {}
    for name, convert in _converters(type(obj)):
        value = getattr(obj, name)
        out[name] = value if convert is None else convert(value)
    return out


def to_dict(obj: Any) -> dict:
    """Plain JSON-ready dict in field order; whole floats become ints (4100.0 -> 4100)."""
    return _plain(obj)


def from_dict(cls: type, d: dict) -> Any:
    """The inverse of ``to_dict``: a plain dict (a parsed output) back to ``cls``.

    Exact round trip: ``to_dict(from_dict(Record, d)) == d`` for every output record.
    Fields missing from ``d`` take their defaults (outputs of an older version); keys
    unknown to this version are ignored.
    """
    return _build(cls, d)


def _float(v: Any) -> Any:
    return float(v) if isinstance(v, int) and not isinstance(v, bool) else v


def _reader(tp: Any) -> Optional[Callable[[Any], Any]]:
    """How to turn a plain value back into type ``tp``; None when it already is one."""
    if tp in (str, int, bool):
        return None
    if tp is float:
        return _float
    if is_dataclass(tp):
        return lambda v: _build(tp, v)
    origin, args = get_origin(tp), get_args(tp)
    if origin is Union:
        inner = [a for a in args if a is not type(None)]
        read = _reader(inner[0]) if len(inner) == 1 else None
        return None if read is None else (lambda v: None if v is None else read(v))
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = _reader(args[0])
            return tuple if item is None else (lambda v: tuple(map(item, v)))
        readers = [_reader(a) for a in args]
        if all(r is None for r in readers):
            return tuple
        return lambda v: tuple(x if r is None else r(x) for r, x in zip(readers, v))
    return None


@cache
def _readers(cls: type) -> tuple[tuple[str, Optional[Callable[[Any], Any]]], ...]:
    hints = get_type_hints(cls)
    return tuple((name, _reader(hints[name])) for name in field_names(cls))


def _build(cls: type, d: dict) -> Any:
    if not isinstance(d, dict):
        raise TypeError(f"{cls.__name__}: expected an object, got {type(d).__name__}")
    kwargs = {}
    for name, read in _readers(cls):
        if name in d:
            v = d[name]
            kwargs[name] = v if read is None or v is None else read(v)
    return cls(**kwargs)


def _record_to_dict(self: "Record", encode_json: bool = False) -> dict:
    """The record as the plain dict its output JSON holds (``schema.to_dict``)."""
    return to_dict(self)


def _record_from_dict(cls: type, kvs: dict, *, infer_missing: bool = False) -> "Record":
    """A record from the plain dict of an output JSON (``schema.from_dict``)."""
    return from_dict(cls, kvs)


# The contract's serialisation, not dataclasses_json's (which keeps 4100.0 and tuples).
Record.to_dict = _record_to_dict  # type: ignore[method-assign]
Record.from_dict = classmethod(_record_from_dict)  # type: ignore[method-assign,assignment]


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))


def _compact(value: Any) -> str:
    return _ENCODER.encode(value)


def dumps(obj: Any) -> str:
    """The one serialisation of records: deterministic, UTF-8, one trailing newline.

    One top-level field per line and one list item (a figure, a department) per line:
    easy to read and to diff, and written by json's C encoder (``indent=`` switches to
    its pure-Python encoder, which took a quarter of a worker's time).
    """
    d = to_dict(obj)
    if not isinstance(d, dict):
        return _compact(d) + "\n"
    fields_ = []
    for key, value in d.items():
        if isinstance(value, list) and value:
            items = ",\n".join("  " + _compact(v) for v in value)
            fields_.append(f" {_compact(key)}: [\n{items}\n ]")
        else:
            fields_.append(f" {_compact(key)}: {_compact(value)}")
    return "{\n" + ",\n".join(fields_) + "\n}\n"


# --- JSON Schema -----------------------------------------------------------------------

_SCALARS = {str: {"type": "string"}, int: {"type": "integer"}, float: {"type": "number"},
            bool: {"type": "boolean"}}


def _type_schema(tp: Any, defs: dict) -> dict:
    origin = get_origin(tp)
    if origin is Union:
        args = [a for a in get_args(tp) if a is not type(None)]
        inner = _type_schema(args[0], defs) if len(args) == 1 else {"anyOf": [_type_schema(a, defs) for a in args]}
        return {"anyOf": [inner, {"type": "null"}]}
    if origin is tuple:
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": _type_schema(args[0], defs)}
        return {"type": "array", "prefixItems": [_type_schema(a, defs) for a in args],
                "minItems": len(args), "maxItems": len(args)}
    if is_dataclass(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # placeholder against recursion
            hints = get_type_hints(tp)
            props = {f.name: _type_schema(hints[f.name], defs) for f in fields(tp)}
            defs[name] = {"type": "object", "properties": props,
                          "required": [f.name for f in fields(tp)], "additionalProperties": False}
        return {"$ref": f"#/$defs/{name}"}
    if tp is float:
        return {"type": "number"}
    return dict(_SCALARS[tp])


def json_schema() -> dict:
    """JSON Schema (2020-12) of one per-document output record."""
    defs: dict = {}
    root = _type_schema(Record, defs)
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              "title": "gongwen per-document record", **defs.pop("Record")}
    schema["$defs"] = defs
    enums = {("DateWindow", "kind"): DATE_KINDS, ("Figure", "kind"): FIGURE_KINDS}
    for (cls, key), values in enums.items():
        schema["$defs"][cls]["properties"][key] = {"enum": list(values)}
    for cls in ("Figure", "HouseholdCount"):
        schema["$defs"][cls]["properties"]["approx"] = {"enum": [*APPROX, None]}
    schema["$defs"]["Department"]["properties"]["roles"] = {"type": "array", "items": {"enum": list(ROLES)}}
    schema["properties"]["schema_version"] = {"const": SCHEMA_VERSION}
    del root
    return schema


ITEM_FIELDS = ("date_windows", "figures", "household_counts", "tasks")
__all__ = [n for n in dir() if not n.startswith("_")]
