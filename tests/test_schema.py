"""The one serialisation of records (schema.dumps)."""
from __future__ import annotations

import json

import pytest

from conftest import seed_paths
from pipeline.assemble import process_text
from pipeline.schema import Failure, dumps, to_dict


@pytest.mark.parametrize("path", seed_paths(), ids=lambda p: p.name)
def test_dumps_is_the_record_as_json(path):
    record = process_text(path.read_text(encoding="utf-8"), path.name)
    out = dumps(record)
    assert json.loads(out) == to_dict(record)
    assert out.endswith("}\n") and dumps(record) == out


def test_one_field_and_one_item_per_line():
    record = process_text("2020年6月11日，向贫困户27户64人发放资金253余万元。", "x.txt")
    lines = dumps(record).splitlines()
    assert lines[0] == "{" and lines[-1] == "}"
    assert sum(1 for ln in lines if ln.startswith(' "')) == len(to_dict(record))
    figures = lines.index(' "figures": [')
    assert json.loads(lines[figures + 1].rstrip(","))["value"] == 2530000
    assert ' "tasks": [],' in lines  # empty lists stay on their field's line


def test_other_values():
    assert json.loads(dumps(Failure("a.txt", "ingest", "truncated", "cut"))) == {
        "path": "a.txt", "stage": "ingest", "error": "truncated", "message": "cut"}
    assert dumps([1, 2.0]) == "[1, 2]\n"
