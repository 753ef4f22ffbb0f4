"""``gongwen export``: the records of an OUTDIR as one table per field, for pandas or DuckDB.

Tables: documents (one row per record), departments, date_windows, figures,
household_counts, tasks (one row per item, ``item`` = its index in the record). Every row
starts with ``doc_id, source_path, page, span_start, span_end, source_start, source_end``:
spans index ``documents.text`` (span_*) and the decoded source text (source_*). A
department's span is its first mention's; all its mention spans are in ``mentions``. A
task's window is flattened into ``window_*`` columns.

Columns come from the dataclasses of ``schema`` so every table has a fixed header and
types even when empty. Lists are native in jsonl and parquet, JSON text in csv; booleans
are ``true``/``false`` in csv; missing values are empty in csv. Records are streamed: the
whole OUTDIR is never in memory. Each table file is written atomically.
"""
from __future__ import annotations

import csv
import json
import os
import tempfile
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any, Iterator, Optional, Union, get_args, get_origin, get_type_hints

from .batch import honour_umask
from .schema import DateWindow, Department, Figure, HouseholdCount, Task

ITEM_TABLES = {"departments": Department, "date_windows": DateWindow, "figures": Figure,
               "household_counts": HouseholdCount, "tasks": Task}
TABLES = ("documents", *ITEM_TABLES)
FORMATS = ("jsonl", "csv", "parquet")
LOCATION = ("page", "span_start", "span_end", "source_start", "source_end")
_SCALAR = {str: "str", int: "int", float: "float", bool: "bool"}


class ExportError(Exception):
    pass


def _unoptional(tp: Any) -> Any:
    if get_origin(tp) is Union:
        args = [a for a in get_args(tp) if a is not type(None)]
        return args[0] if len(args) == 1 else tp
    return tp


def _columns(cls: type, prefix: str = "") -> list[tuple[str, str]]:
    """(column, kind) for the fields of an item class, location columns excluded."""
    hints = get_type_hints(cls)
    out: list[tuple[str, str]] = []
    for f in fields(cls):
        if f.name in ("span", "source_span", "page"):
            continue
        tp = _unoptional(hints[f.name])
        name = prefix + f.name
        if is_dataclass(tp):  # Task.window
            out += [(f"{name}_{c}", "int") for c in LOCATION] + _columns(tp, name + "_")
        elif get_origin(tp) is tuple:
            inner = get_args(tp)[0]
            out.append((name, "spans" if is_dataclass(inner) else "list_str"))
        else:
            out.append((name, _SCALAR[tp]))
    return out


DOCUMENT_COLUMNS: list[tuple[str, str]] = [
    ("doc_id", "str"), ("source_path", "str"), *((c, "int") for c in LOCATION),
    ("format", "str"), ("sha256", "str"), ("encoding", "str"), ("pages", "int"),
    ("schema_version", "str"), ("pipeline_version", "str"), ("rules_version", "str"),
    ("converted_from_traditional", "bool"), ("pinyin_glosses_removed", "int"), ("suspect_chars", "int"),
    ("title", "str"), ("doc_number", "str"), ("doc_type", "str"), ("issuer", "str"), ("issue_date", "str"),
    ("recipients", "list_str"), ("cited_documents", "list_str"), ("reference_year", "int"),
    *((f"n_{t}", "int") for t in ITEM_TABLES), ("text", "str"),
]


def columns(table: str) -> list[tuple[str, str]]:
    if table == "documents":
        return DOCUMENT_COLUMNS
    head = [("doc_id", "str"), ("source_path", "str"), ("item", "int"), *((c, "int") for c in LOCATION)]
    cols = _columns(ITEM_TABLES[table])
    if table == "departments":
        cols.append(("mention_count", "int"))
    return head + cols


def _location(d: Optional[dict], prefix: str = "") -> dict:
    d = d or {}
    span, src = d.get("span") or (None, None), d.get("source_span") or (None, None)
    return {f"{prefix}page": d.get("page"), f"{prefix}span_start": span[0], f"{prefix}span_end": span[1],
            f"{prefix}source_start": src[0], f"{prefix}source_end": src[1]}


def _flatten(item: dict, cls: type, prefix: str = "") -> dict:
    hints = get_type_hints(cls)
    row: dict = {}
    for f in fields(cls):
        if f.name in ("span", "source_span", "page"):
            continue
        tp = _unoptional(hints[f.name])
        value, name = item.get(f.name), prefix + f.name
        if is_dataclass(tp):
            row.update(_location(value, name + "_"))
            row.update(_flatten(value or {}, tp, name + "_"))
        elif get_origin(tp) is tuple and is_dataclass(get_args(tp)[0]):
            row[name] = [list(m["span"]) for m in value or ()]
        else:
            row[name] = list(value) if isinstance(value, (list, tuple)) else value
    return row


def rows(record: dict) -> Iterator[tuple[str, dict]]:
    """(table, row) for one record: its documents row, then one row per item."""
    doc_id, path = record.get("doc_id"), (record.get("source") or {}).get("path")
    src, norm = record.get("source") or {}, record.get("normalization") or {}
    meta, prov = record.get("metadata") or {}, record.get("provenance") or {}
    text = record.get("text") or ""
    doc = {"doc_id": doc_id, "source_path": path, "page": None, "span_start": 0, "span_end": len(text),
           "source_start": None, "source_end": None, "format": src.get("format"), "sha256": src.get("sha256"),
           "encoding": src.get("encoding"), "pages": src.get("pages"),
           "schema_version": record.get("schema_version"), "pipeline_version": prov.get("pipeline_version"),
           "rules_version": prov.get("rules_version"), **{k: norm.get(k) for k in
           ("converted_from_traditional", "pinyin_glosses_removed", "suspect_chars")},
           **{k: meta.get(k) for k in ("title", "doc_number", "doc_type", "issuer", "issue_date",
                                        "reference_year")},
           "recipients": list(meta.get("recipients") or ()), "cited_documents": list(meta.get("cited_documents") or ()),
           **{f"n_{t}": len(record.get(t) or ()) for t in ITEM_TABLES}, "text": text}
    yield "documents", doc
    for table, cls in ITEM_TABLES.items():
        for i, item in enumerate(record.get(table) or ()):
            loc = _location(item) if "span" in item else _location((item.get("mentions") or [None])[0])
            row = {"doc_id": doc_id, "source_path": path, "item": i, **loc, **_flatten(item, cls)}
            if table == "departments":
                row["mention_count"] = len(item.get("mentions") or ())
            yield table, row


def iter_records(outdir: Path, skip: Optional[Path] = None) -> Iterator[dict]:
    """Every record (``*.json`` with a doc_id) under ``outdir`` in path order; hidden dirs skipped."""
    skip = skip.resolve() if skip else None
    for dirpath, dirnames, filenames in os.walk(outdir):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                             and (skip is None or (Path(dirpath) / d).resolve() != skip))
        for name in sorted(filenames):
            if name.startswith(".") or not name.endswith(".json"):
                continue
            try:
                with open(Path(dirpath) / name, encoding="utf-8") as f:
                    record = json.load(f)
            except (OSError, ValueError):
                continue
            if isinstance(record, dict) and "doc_id" in record and "source" in record:
                yield record


# --- writers ----------------------------------------------------------------------------

def _csv_value(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return json.dumps(v, ensure_ascii=False)
    return v


class _Writer:
    def __init__(self, path: Path, cols: list[tuple[str, str]]):
        self.path, self.cols, self.names = path, cols, [c for c, _k in cols]
        fd, self.tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=path.parent)
        honour_umask(fd)  # mkstemp makes 0600: tables are as readable as any file the user writes
        os.close(fd)

    def commit(self) -> None:
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        Path(self.tmp).unlink(missing_ok=True)


class _JsonlWriter(_Writer):
    def __init__(self, path, cols):
        super().__init__(path, cols)
        self.f = open(self.tmp, "w", encoding="utf-8", newline="\n")

    def write(self, row: dict) -> None:
        self.f.write(json.dumps({c: row.get(c) for c in self.names}, ensure_ascii=False) + "\n")

    def close(self) -> None:
        self.f.close()


class _CsvWriter(_JsonlWriter):
    def __init__(self, path, cols):
        super().__init__(path, cols)
        self.w = csv.writer(self.f, lineterminator="\n")
        self.w.writerow(self.names)

    def write(self, row: dict) -> None:
        self.w.writerow([_csv_value(row.get(c)) for c in self.names])


class _ParquetWriter(_Writer):
    BATCH = 5000

    def __init__(self, path, cols):
        import pyarrow as pa
        import pyarrow.parquet as pq
        super().__init__(path, cols)
        kinds = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(),
                 "list_str": pa.list_(pa.string()), "spans": pa.list_(pa.list_(pa.int64()))}
        self.pa = pa
        self.schema = pa.schema([(c, kinds[k]) for c, k in cols])
        self.floats = [c for c, k in cols if k == "float"]
        self.w = pq.ParquetWriter(self.tmp, self.schema)
        self.buf: list[dict] = []

    def write(self, row: dict) -> None:
        for c in self.floats:  # whole floats are ints in the JSON (4100.0 -> 4100)
            if row.get(c) is not None:
                row[c] = float(row[c])
        self.buf.append(row)
        if len(self.buf) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        self.w.write_table(self.pa.Table.from_pylist(self.buf, schema=self.schema))
        self.buf = []

    def close(self) -> None:
        if self.buf:
            self._flush()
        self.w.close()


WRITERS = {"jsonl": _JsonlWriter, "csv": _CsvWriter, "parquet": _ParquetWriter}


def export(outdir: Path, dest: Path, fmt: str) -> dict[str, int]:
    """Write ``dest/<table>.<fmt>`` for every table; returns the row count of each."""
    if fmt not in WRITERS:
        raise ExportError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            raise ExportError("parquet needs pyarrow: pip install 'gongwen[parquet]'") from None
    dest.mkdir(parents=True, exist_ok=True)
    writers = {t: WRITERS[fmt](dest / f"{t}.{fmt}", columns(t)) for t in TABLES}
    counts = dict.fromkeys(TABLES, 0)
    try:
        for record in iter_records(outdir, skip=dest):
            for table, row in rows(record):
                writers[table].write(row)
                counts[table] += 1
        for w in writers.values():
            w.close()
        for w in writers.values():
            w.commit()
    except BaseException:
        for w in writers.values():
            w.abort()
        raise
    return counts
