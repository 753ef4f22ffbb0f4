"""gongwen: Chinese official documents (通知, 方案, 总结) into structured data.

The Python API (the same functions the ``gongwen`` command calls)::

    >>> import pipeline
    >>> rec = pipeline.extract_text("2020年脱贫15户35人，发放补贴4100元。")
    >>> [(f.value, f.unit) for f in rec.figures]
    [(4100.0, '元')]
    >>> pipeline.Record.from_dict(rec.to_dict()) == rec    # exact round trip
    True
    >>> records = list(pipeline.iter_records("outputs"))   # a run's outputs read back

Importing this module loads nothing: rules and dictionaries load once, on the first
extraction, and stay loaded for the process.
"""
from __future__ import annotations

import json
from datetime import date
from importlib.metadata import PackageNotFoundError, version as _version
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional, Union

try:
    __version__ = _version("gongwen")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+src"

if TYPE_CHECKING:  # imported lazily at run time: no cost, no side effect on import
    from .assemble import StageFailure as ExtractionError
    from .schema import Record

__all__ = ["__version__", "Record", "ExtractionError", "extract_text", "extract_file", "iter_records"]

DateLike = Union[date, str, None]


def __getattr__(name: str):
    if name == "Record":
        from .schema import Record
        return Record
    if name == "ExtractionError":
        from .assemble import StageFailure
        return StageFailure
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")


def _ref(reference_date: DateLike) -> Optional[date]:
    if reference_date is None or isinstance(reference_date, date):
        return reference_date
    return date.fromisoformat(reference_date)


def extract_text(text: str, reference_date: DateLike = None, *, name: str = "<text>") -> "Record":
    """One already-decoded document to its Record (``source.format`` "txt").

    ``reference_date`` (a date or "YYYY-MM-DD") resolves year-less and relative dates
    when the text has no issue date. ``name`` is recorded as ``source.path``. A text the
    pipeline cannot process raises ``ExtractionError`` (``.stage``, ``.code``, ``.message``).
    """
    from .assemble import process_text
    if not isinstance(text, str):
        raise TypeError(f"extract_text needs a str, got {type(text).__name__} (bytes: use extract_file)")
    return process_text(text, name, _ref(reference_date))


def extract_bytes(data: bytes, name: str, suffix: str = "", reference_date: DateLike = None) -> "Record":
    """A document's bytes (TXT in any encoding, PDF, DOCX, HTML) to its Record."""
    from .assemble import process_bytes
    return process_bytes(data, name, suffix, _ref(reference_date))


def extract_file(path: Union[str, PathLike], reference_date: DateLike = None) -> "Record":
    """One file (TXT in any encoding, PDF, DOCX, HTML; the reader is chosen by content)
    to its Record; ``source.path`` is ``path`` as given. Raises OSError when the file
    cannot be read and ``ExtractionError`` when it cannot be processed."""
    p = Path(path)
    return extract_bytes(p.read_bytes(), str(path), p.suffix, reference_date)


def output_files(outdir: Union[str, PathLike]) -> Iterator[tuple[Path, dict]]:
    """(path, parsed JSON) of every record under ``outdir``, in path order; hidden
    directories (``.gongwen``), the review site and other JSON files are skipped."""
    root = Path(outdir)
    if not root.is_dir():
        raise FileNotFoundError(f"no such directory: {root}")
    for p in sorted(root.rglob("*.json")):
        rel = p.relative_to(root).parts
        if any(part.startswith(".") for part in rel):
            continue
        try:
            d = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(d, dict) and "schema_version" in d and "doc_id" in d and "text" in d:
            yield p, d


def iter_records(outdir: Union[str, PathLike]) -> Iterator["Record"]:
    """The Records of a run's output directory (``gongwen run … -o OUTDIR``), in path order."""
    from .schema import Record
    for _path, d in output_files(outdir):
        yield Record.from_dict(d)
