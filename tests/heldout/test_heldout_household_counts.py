"""Held-out household counts: 10 random corpus-public documents annotated by an independent
annotator (tests/heldout/household_counts/README.md: seed 12202612), scored by contract
section 8 on (households, persons).

Scored once after the rules were written (issue 12): with every gold item P 0.909 R 0.588
(tp 10, fp 1, fn 7); without the items the annotator flagged borderline (whole-population 人口
counts) P 0.545 R 0.600. A later fix driven by non-held-out cities (aggregate clauses 总量达…
after a business count) removed the one false positive (赣州 总数达86.89万户): P 1.000 R 0.588
now, no longer an independent measure. Later families (counts of a poverty group through a
verb phrase or a change 由…到…, unit-less counts) brought it to P 1.000 R 0.824; the three misses
are the annotator's borderline whole-population counts without a unit (近1400万农业转移人口,
60岁以上人口已达2.5亿, 6000万农村人口), which the rules leave out on purpose (城镇常住人口增加1400万
is not a group). The floors below keep the numbers from getting worse; the target (P and R >=
0.95 with every gold item) is a strict xfail for those three.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline import batch
from pipeline.evaluate import KEYS, Score, _match, load_outputs

GOLD = Path(__file__).resolve().parent / "household_counts"


def _gold(folder: Path = GOLD) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


def run_heldout(shared_dir: Path, tmp_path_factory, folder: Path) -> dict[str, dict]:
    """The outputs of the held-out documents whose gold is in ``folder`` (skips without them)."""
    corpus = shared_dir / "corpus-public"
    paths = [corpus / g["path"] for g in _gold(folder)]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        pytest.skip(f"held-out sources absent: {missing[:2]}")
    out = tmp_path_factory.mktemp(folder.name)
    batch.run(paths, out, workers=1)
    return load_outputs(out)


@pytest.fixture(scope="module")
def outputs(shared_dir, tmp_path_factory):
    return run_heldout(shared_dir, tmp_path_factory, GOLD)


def _score(outputs, borderline: bool) -> Score:
    s = Score()
    for g in _gold():
        gold = [x for x in g["household_counts"] if borderline or not x.get("borderline")]
        pred = outputs.get(g["doc"], {}).get("household_counts", [])
        _match(g["doc"], gold, pred, KEYS["household_counts"], s)
    return s


def test_ten_documents_are_all_drawn_and_processed(outputs):
    assert len(_gold()) == 10
    assert {g["doc"] for g in _gold()} <= set(outputs)


def test_heldout_scores_do_not_regress(outputs):
    s = _score(outputs, borderline=True)
    assert s.precision >= 0.95 and s.recall >= 0.80, (s.precision, s.recall, s.misses, s.false_positives)


@pytest.mark.xfail(strict=True, reason="held-out recall 0.824: the annotator's borderline whole-population "
                   "counts without a unit (6000万农村人口, 60岁以上人口已达2.5亿) are left out by design")
def test_heldout_precision_meets_the_contract_target(outputs):
    s = _score(outputs, borderline=True)
    assert s.precision >= 0.95 and s.recall >= 0.95
