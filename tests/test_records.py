"""Metadata against the publishers' own records in corpus-public (issue 13, pipeline/records.py)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline import batch
from pipeline.records import HEADER_FOLDERS, RECORD_FOLDERS, score_records

TARGET = 0.95  # issue 13: exact issuer, issue_date, doc_number and title where the value is in the text


@pytest.fixture(scope="module")
def scored(shared_dir, tmp_path_factory):
    corpus = shared_dir / "corpus-public"
    if not corpus.is_dir():
        pytest.skip(f"{corpus} is absent")
    out = tmp_path_factory.mktemp("records")
    paths = [corpus / f for f in RECORD_FOLDERS + HEADER_FOLDERS if (corpus / f).is_dir()]
    batch.run(paths, out, workers=2, exclude=("records.jsonl",))
    return score_records(out, corpus)


@pytest.mark.parametrize("field", ["title", "issuer", "issue_date", "doc_number", "co_issuers"])
def test_exact_match_where_the_value_is_in_the_text(scored, field):
    n = sum(v for (g, f), v in scored.counted.items() if f == field)
    assert n >= 20, f"too few {field} records counted ({n}): is corpus-public complete?"
    print(scored.report(verbose=True))
    assert scored.rate(field) >= TARGET, [m for m in scored.mismatches if f": {field} =" in m]


def test_every_genre_is_counted(scored):
    genres = {g for g, _f in scored.counted}
    assert genres == set(RECORD_FOLDERS + HEADER_FOLDERS)


def test_a_value_missing_from_the_text_is_not_counted(tmp_path):
    corpus = tmp_path / "corpus"
    folder = corpus / "html" / "gov_cn_statecouncil"
    folder.mkdir(parents=True)
    (folder / "records.jsonl").write_text(json.dumps(
        {"file": "a.html", "title": "不在正文中的标题", "release_office": "国务院办公厅",
         "release_number": "国办发〔2018〕1号"}, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    text = "国务院办公厅关于某事的通知\n国办发〔2018〕1号\n"
    (out / "a.json").write_text(json.dumps({
        "source": {"path": str(folder / "a.html")}, "text": text,
        "metadata": {"title": "国务院办公厅关于某事的通知", "issuer": "国务院", "co_issuers": [],
                     "doc_number": "国办发[2018]1号"}}, ensure_ascii=False), encoding="utf-8")
    s = score_records(out, corpus)
    key = ("html/gov_cn_statecouncil", "title")
    assert s.counted.get(key, 0) == 0 and s.skipped[key] == 1  # the record's title is not in the text
    assert s.rate("doc_number") == 1.0  # （〔〕 and [] alike
    assert s.rate("issuer") == 0.0  # 国务院 is not 国务院办公厅
    assert any("issuer" in m for m in s.mismatches)
