"""Second held-out sample of household counts: 10 random corpus-public documents with at
least one "<number>户" mention (tests/heldout/household_counts_2/README.md: seed 14202612,
cities of the first sample and of the 60 held-out cases excluded), annotated by an
independent annotator who saw neither the extractor nor its output.

Scored once, on main at b8d6ffc (issues 11, 12, 13 and 16 merged), by contract section 8 on
(households, persons): with every gold item P 0.833 R 0.732 (tp 30, fp 6, fn 11); firm items
only (the annotator's borderline items dropped) P 0.694 R 0.758. The false positives were
business counts the lexicon did not know (私营商店, 品牌500强1户, 养老保险开户) and a full-width
thousands separator (7，500多万户 read as 000余户). Later fixes of those families make this
sample no longer independent: after them (main at the issue-12 round-2 merge) P 1.000 R 0.829;
after the session-2 families (groups through a verb phrase, unit-less counts before their group,
困难 groups) P 1.000 R 0.927, the three misses being borderline items (几千万人居住在…棚户区,
就业困难人员, 主城区人口增加). The floors below only keep it from getting worse.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.evaluate import KEYS, Score, _match
from test_heldout_household_counts import _gold as _gold_in, run_heldout

GOLD = Path(__file__).resolve().parent / "household_counts_2"


def _gold() -> list[dict]:
    return _gold_in(GOLD)


@pytest.fixture(scope="module")
def outputs(shared_dir, tmp_path_factory):
    return run_heldout(shared_dir, tmp_path_factory, GOLD)


def _score(outputs) -> Score:
    s = Score()
    for g in _gold():
        pred = outputs.get(g["doc"], {}).get("household_counts", [])
        _match(g["doc"], g["household_counts"], pred, KEYS["household_counts"], s)
    return s


def test_ten_documents_are_all_drawn_and_processed(outputs):
    assert len(_gold()) == 10
    assert {g["doc"] for g in _gold()} <= set(outputs)


def test_second_sample_does_not_regress(outputs):
    s = _score(outputs)
    print(f"\nheld-out household counts (sample 2): P {s.precision:.3f} R {s.recall:.3f} F1 {s.f1:.3f}")
    assert s.precision >= 0.95 and s.recall >= 0.90, (s.precision, s.recall, s.false_positives, s.misses)
