"""Contract section 8 scoring."""
from __future__ import annotations

import json

from pipeline.evaluate import evaluate, report


def _write(tmp_path, gold: dict, record: dict):
    (tmp_path / "gold").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "gold" / "a.txt.json").write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "out" / "a.txt.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return evaluate(tmp_path / "out", tmp_path / "gold")


def test_one_to_one_matching_and_recurring_not_scored(tmp_path):
    gold = {"doc": "a.txt", "metadata": {"title": "T", "issuer": "吉林省司法厅", "doc_number": None},
            "departments": ["厅扶贫办", "省委"],
            "date_windows": [{"text": "6月底前", "kind": "deadline", "start": None, "end": "2020-06-30"},
                             {"text": "每月", "kind": "recurring", "start": None, "end": None}],
            "figures": [{"text": "5个", "value": 5, "unit": "个"}, {"text": "5个", "value": 5, "unit": "个"}],
            "household_counts": [{"text": "27户64人", "households": 27, "persons": 64, "category": "低保户"}],
            "tasks": []}
    record = {"source": {"path": "corpus/a.txt"}, "metadata": {"title": "T", "issuer": "司法厅", "doc_number": "x"},
              "departments": [{"name": "厅扶贫办"}, {"name": "各级科协"}],
              "date_windows": [{"kind": "range", "start": None, "end": "2020-06-30", "text": "x"},
                               {"kind": "recurring", "start": None, "end": None, "text": "每周四"}],
              "figures": [{"value": 5.0, "unit": "个", "text": "5个"}],
              "household_counts": [{"households": 27, "persons": 64, "category": "五保户", "text": "27户64人"}],
              "tasks": []}
    scores, missing = _write(tmp_path, gold, record)
    assert not missing
    assert (scores["departments"].tp, scores["departments"].fp, scores["departments"].fn) == (1, 1, 1)
    assert (scores["date_windows"].tp, scores["date_windows"].fp, scores["date_windows"].fn) == (0, 1, 1)
    assert (scores["figures"].tp, scores["figures"].fn) == (1, 1)
    assert scores["household_counts"].tp == 1
    assert scores["household_counts"].attrs["category"] == [0, 1]
    m = scores["metadata"]
    assert (m.tp, m.fp, m.fn) == (1, 2, 1)  # title right; issuer wrong; doc_number invented
    text = report(scores, missing)
    assert "MISS departments" in text and "FP   departments" in text and "F1" in text


def test_missing_output_is_reported(tmp_path):
    scores, missing = _write(tmp_path, {"doc": "b.txt", "departments": ["省委"]}, {"source": {"path": "a.txt"}})
    assert missing == ["b.txt"]
    assert scores["departments"].fn == 1
