"""gongwen export: one table per field; row counts equal the JSON item counts."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from pipeline import batch, export
from pipeline.cli import main

ROOT = Path(__file__).resolve().parent.parent
LOCATION = ["doc_id", "source_path"]


@pytest.fixture(scope="module")
def outdir(tmp_path_factory):
    src = tmp_path_factory.mktemp("src")
    for p in sorted((ROOT / "corpus").glob("*.txt")):
        shutil.copy(p, src / p.name)
    out = tmp_path_factory.mktemp("out")
    batch.run([src], out, workers=1)
    return out


def expected(outdir: Path) -> dict[str, int]:
    records = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(outdir.glob("*.json"))]
    counts = {"documents": len(records)}
    for table in export.ITEM_TABLES:
        counts[table] = sum(len(r[table]) for r in records)
    return counts


def read_table(path: Path, fmt: str) -> list[dict]:
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    if fmt == "csv":
        with open(path, encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))
    import pyarrow.parquet as pq
    return pq.read_table(path).to_pylist()


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_row_counts_equal_json_item_counts(outdir, tmp_path, fmt):
    if fmt == "parquet":
        pytest.importorskip("pyarrow", reason="parquet export needs the optional extra gongwen[parquet]")
    dest = tmp_path / "tables"
    assert main(["export", str(outdir), "--format", fmt, "-o", str(dest)]) == 0
    want = expected(outdir)
    assert sum(want.values()) > want["documents"], "the seeds should have items"
    for table in export.TABLES:
        rows = read_table(dest / f"{table}.{fmt}", fmt)
        assert len(rows) == want[table], table
        names = [c for c, _k in export.columns(table)]
        for row in rows:
            assert list(row) == names
            for key in ("doc_id", "source_path", "page", "span_start", "span_end", "source_start", "source_end"):
                assert key in row
            assert row["doc_id"] and row["source_path"]
    assert not list(dest.glob(".*"))  # no temp files left


def test_spans_point_into_the_document_text(outdir, tmp_path):
    dest = tmp_path / "t"
    export.export(outdir, dest, "jsonl")
    texts = {r["doc_id"]: r["text"] for r in read_table(dest / "documents.jsonl", "jsonl")}
    checked = 0
    for table in ("date_windows", "figures", "household_counts", "tasks"):
        for row in read_table(dest / f"{table}.jsonl", "jsonl"):
            assert texts[row["doc_id"]][row["span_start"]:row["span_end"]] == row["text"]
            checked += 1
    for row in read_table(dest / "departments.jsonl", "jsonl"):
        assert row["mention_count"] == len(row["mentions"]) >= 1
        assert [row["span_start"], row["span_end"]] == row["mentions"][0]
    assert checked


def test_default_destination_and_records_only(outdir):
    (outdir / "notes.json").write_text('{"not": "a record"}', encoding="utf-8")
    try:
        counts = export.export(outdir, outdir / "tables", "csv")
        assert counts["documents"] == len(list(outdir.glob("*.txt.json")))
        again = export.export(outdir, outdir / "tables", "csv")  # its own tables are not read back
        assert again == counts
    finally:
        (outdir / "notes.json").unlink()
        shutil.rmtree(outdir / "tables")


def test_empty_tables_have_headers_and_types(tmp_path):
    export.export(tmp_path, tmp_path / "t", "csv")
    with open(tmp_path / "t" / "figures.csv", encoding="utf-8") as f:
        assert next(csv.reader(f))[:7] == ["doc_id", "source_path", "item", "page", "span_start", "span_end",
                                           "source_start"]
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq
    export.export(tmp_path, tmp_path / "p", "parquet")
    schema = pq.read_schema(tmp_path / "p" / "tasks.parquet")
    assert str(schema.field("responsible").type) == "list<element: string>"
    assert str(schema.field("window_start").type) == "string"


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_tables_and_outputs_honour_the_umask(outdir, tmp_path, mask, mode):
    """mkstemp makes 0600 files: outputs and tables get 0666 less the umask (issue 14)."""
    import os
    old = os.umask(mask)
    try:
        export.export(outdir, tmp_path / "t", "csv")
        export.export(outdir, tmp_path / "p", "parquet")
        batch.write_atomic(tmp_path / "o" / "x.json", "{}\n")
    finally:
        os.umask(old)
    files = list((tmp_path / "t").iterdir()) + list((tmp_path / "p").iterdir()) + [tmp_path / "o" / "x.json"]
    assert files and {f.stat().st_mode & 0o777 for f in files} == {mode}
