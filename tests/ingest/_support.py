"""Helpers shared by the PDF/DOCX/HTML reader tests: fixtures generated once per process,
facts of a record without positions, the page a source offset was typeset on."""
from __future__ import annotations

import os
import re
from bisect import bisect_right
from functools import cache
from pathlib import Path

import pytest

import make_fixtures as mf
from pipeline import assemble, schema
from pipeline.ingest import read

_WS = re.compile(r"\s+")
POSITION_KEYS = {"span", "source_span", "page", "bbox"}


def squeeze(s: str) -> str:
    return _WS.sub("", s)


@cache
def fixtures() -> dict[str, "mf.Fixture"]:
    out = {}
    for seed in mf.SEEDS:
        for fx in mf.all_fixtures(seed):
            out[fx.name] = fx
    return out


@cache
def seed_of(name: str) -> Path:
    return next(p for p in mf.SEEDS if p.stem.startswith(name[:3]))


def twin_text(fx: "mf.Fixture") -> str:
    """The TXT twin of a fixture: the seed's lines (plus table rows where the fixture has a table)."""
    return "\n".join(fx.lines) + "\n"


def _strip(value):
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in POSITION_KEYS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    if isinstance(value, str):
        return squeeze(value)
    return value


def facts(record: schema.Record) -> dict:
    """Everything extracted (metadata, departments, date windows, figures, household
    counts, tasks), without offsets and pages, whitespace removed from strings."""
    d = schema.to_dict(record)
    return {k: _strip(d[k]) for k in ("metadata", "departments", "date_windows", "figures",
                                       "household_counts", "tasks")}


@cache
def record_of_bytes(data: bytes, suffix: str) -> schema.Record:
    return assemble.process_bytes(data, f"fixture{suffix}", suffix)


@cache
def record_of_text(text: str) -> schema.Record:
    return assemble.process_bytes(text.encode("utf-8"), "twin.txt", ".txt")


def positions(obj) -> list[tuple[tuple[int, int], int | None]]:
    """(source_span, page) of everything in a record that has them."""
    out = []
    if isinstance(obj, dict):
        if obj.get("source_span") is not None:
            out.append((tuple(obj["source_span"]), obj.get("page")))
        for v in obj.values():
            out.extend(positions(v))
    elif isinstance(obj, list):
        for v in obj:
            out.extend(positions(v))
    return out


def expected_page(fx: "mf.Fixture", raw_text: str, source_offset: int) -> int:
    """The page the character at ``source_offset`` of the reader's text was drawn on:
    count non-space characters before it and look that count up in the typeset pages."""
    k = len(squeeze(raw_text[:source_offset]))
    ends, total = [], 0
    for page in fx.pages:
        total += len(squeeze(page))
        ends.append(total)
    return bisect_right(ends, k) + 1


@cache
def _raw(name: str):
    fx = fixtures()[name]
    return read(fx.data, fx.suffix)


def raw_of(fx: "mf.Fixture"):
    return _raw(fx.name)


# Whole-corpus checks (all 13 public PDFs, all 143 DOCX) run when GONGWEN_SLOW=1.
slow = pytest.mark.skipif(not os.environ.get("GONGWEN_SLOW"),
                          reason="slow: set GONGWEN_SLOW=1 to run the whole-corpus check")
