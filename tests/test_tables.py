"""Registration tables against the contract; rules/ loads and validates."""
from __future__ import annotations

import pytest

from pipeline import rules
from pipeline.errors import RulesError
from pipeline.extract import EXTRACTORS
from pipeline.ingest import READERS
from pipeline.schema import Record

CONTRACT_ORDER = ["metadata", "date_windows", "departments", "household_counts", "figures", "tasks"]


def test_extractor_keys_are_contract_keys_in_dependency_order():
    keys = [k for k, _ in EXTRACTORS]
    assert len(keys) == len(set(keys))
    assert set(keys) <= set(Record.__dataclass_fields__)
    assert keys == [k for k in CONTRACT_ORDER if k in keys]


def test_readers_unique_and_text_is_the_fallback():
    names = [name for name, _, _ in READERS]
    assert len(names) == len(set(names))
    assert names[-1] == "txt"
    assert set(names) <= {"txt", "pdf", "docx", "html", "image"}  # image: PNG, JPEG, TIFF read by OCR


def test_every_rules_file_loads():
    for p in sorted(rules.rules_dir().iterdir()):
        if p.suffix == ".txt" and p.name != "jieba_userdict.txt":
            assert rules.lexicon(p.name), p.name
        elif p.suffix == ".toml":
            assert isinstance(rules.table(p.name), dict)
    assert rules.jieba_userdict()
    assert len(rules.rules_version()) == 16


def test_bad_rules_name_file_and_line(tmp_path, monkeypatch):
    (tmp_path / "x.txt").write_text("# header\n省扶贫办\n省扶贫办\n", encoding="utf-8")
    (tmp_path / "y.toml").write_text("a = [\n", encoding="utf-8")
    monkeypatch.setattr(rules, "RULES_DIR", tmp_path)
    with pytest.raises(RulesError, match=r"x\.txt:3: duplicate"):
        rules.lexicon.__wrapped__("x.txt")
    with pytest.raises(RulesError, match=r"y\.toml"):
        rules.table.__wrapped__("y.toml")
    with pytest.raises(RulesError, match="bad pattern"):
        rules.compile_pattern("(", "z.toml:key")
