"""The Python API (pipeline/__init__.py): extract_text, extract_file, iter_records,
Record.to_dict / Record.from_dict; the CLI calls the same functions."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date

import pytest

import pipeline
from conftest import ROOT, seed_paths
from pipeline.cli import main
from pipeline.schema import Figure, Record, dumps, to_dict


def test_import_has_no_side_effects():
    code = ("import sys, pipeline; heavy = [m for m in sys.modules if m.split('.')[0] in "
            "('spacy', 'jieba', 'rjieba', 'opencc', 'pdfplumber') or m.startswith('pipeline.')]; print(heavy)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
    assert r.stderr == ""


def test_extract_text_items_and_types():
    rec = pipeline.extract_text("2020年脱贫15户35人，发放补贴4100元。")
    assert isinstance(rec, Record) and isinstance(rec, pipeline.Record)
    assert [(f.value, f.unit, f.kind) for f in rec.figures] == [(4100.0, "元", "money")]
    assert [(h.households, h.persons, h.year) for h in rec.household_counts] == [(15, 35, 2020)]
    for f in rec.figures:
        assert isinstance(f, Figure) and rec.text[f.span[0]:f.span[1]] == f.text
    assert rec.source.path == "<text>" and rec.source.format == "txt"


def test_extract_text_reference_date_as_date_or_string():
    text = "请于10月19日前报送。"
    assert pipeline.extract_text(text).date_windows == ()  # no year anywhere: nothing guessed
    for ref in ("2021-03-01", date(2021, 3, 1)):
        (w,) = pipeline.extract_text(text, reference_date=ref).date_windows
        assert (w.kind, w.start, w.end, w.year_inferred) == ("deadline", None, "2021-10-19", True)
    with pytest.raises(ValueError):
        pipeline.extract_text(text, reference_date="March 2021")
    with pytest.raises(TypeError):
        pipeline.extract_text(text.encode())


def test_rules_and_dictionaries_load_once():
    from pipeline import rules, segment
    pipeline.extract_text("低保户27户64人。")
    before = (segment.segmenter.cache_info().misses, rules.rules_version.cache_info().misses)
    for _ in range(3):
        pipeline.extract_text("全村总人口294户587人，投入资金253余万元。")
    assert (segment.segmenter.cache_info().misses, rules.rules_version.cache_info().misses) == before


def test_extract_file_matches_the_cli(capsys):
    seed = seed_paths()[0]
    rec = pipeline.extract_file(seed)
    assert rec.source.path == str(seed) and rec.doc_id == rec.source.sha256[:16]
    assert main(["extract", str(seed)]) == 0
    assert capsys.readouterr().out == dumps(rec)


def test_extract_file_errors(tmp_path):
    with pytest.raises(OSError):
        pipeline.extract_file(tmp_path / "absent.txt")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(pipeline.ExtractionError) as e:
        pipeline.extract_file(empty)
    assert e.value.code == "empty_input" and e.value.stage == "ingest"


def test_to_dict_from_dict_round_trip_is_exact():
    for seed in seed_paths():
        rec = pipeline.extract_file(seed)
        d = rec.to_dict()
        assert d == to_dict(rec)
        back = Record.from_dict(d)
        assert back == rec
        assert back.to_dict() == d
        assert dumps(back) == dumps(rec)
        assert all(isinstance(f.value, float) and isinstance(f.span, tuple) for f in back.figures)
        json_back = Record.from_dict(json.loads(dumps(rec)))  # through the JSON text too
        assert dumps(json_back) == dumps(rec)


def test_from_dict_fills_defaults_of_missing_optional_fields():
    d = pipeline.extract_text("发放补贴4100元。").to_dict()
    fig = d["figures"][0]
    for key in ("approx", "value_max", "subject", "year", "suspect"):
        del fig[key]
    rec = Record.from_dict(d)
    assert rec.figures[0].approx is None and rec.figures[0].suspect is False


def test_iter_records_reads_a_run_back(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for seed in seed_paths()[:2]:
        shutil.copy(seed, inputs / seed.name)
    (inputs / "empty.txt").write_bytes(b"")
    out = tmp_path / "out"
    assert main(["run", str(inputs), "-o", str(out), "--quiet", "--workers", "1"]) == 3
    (out / "review").mkdir()
    (out / "review" / "notes.json").write_text('{"not": "a record"}', encoding="utf-8")
    records = list(pipeline.iter_records(out))
    assert [r.source.path.rsplit("/", 1)[-1] for r in records] == [s.name for s in seed_paths()[:2]]
    for rec in records:
        path = out / (rec.source.path.rsplit("/", 1)[-1] + ".json")
        assert dumps(rec) == path.read_text(encoding="utf-8")
    with pytest.raises(FileNotFoundError):
        list(pipeline.iter_records(tmp_path / "nowhere"))
