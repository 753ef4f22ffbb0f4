"""Held-out household-count samples 2-11: 10 random corpus-public documents each, with at least
one "<number>户" mention, annotated by independent annotators who saw neither the extractor nor
its output (sampling and decisions: README.md and NOTES.md of each folder). Scored by contract
section 8 on (households, persons), every gold item counted.

| sample | seed | scored once (independent) | after the fixes it drove (not independent) |
|---|---|---|---|
| household_counts_2 | 14202612 | b8d6ffc: P 0.833 R 0.732 (firm items P 0.694 R 0.758) | P 1.000 R 0.927 |
| household_counts_3 | 15202612 | 486c4cf: P 0.945 R 0.897 (firm items P 0.891 R 0.980) | P 1.000 R 0.914 |
| household_counts_4 | 17202612 | b9e3950: P 0.973 R 0.837 (a development set) | P 1.000 R 0.884 |
| household_counts_5 | 18202612 | bfa47ce: P 0.938 R 0.682 (firm items P 0.875 R 0.933) | P 1.000 R 0.727 |
| household_counts_6 | 19202612 | af42c7a: P 0.846 R 0.710 (a development set) | P 1.000 R 0.710 |
| household_counts_7 | 20202612 | 2979f04: P 0.951 R 0.765 (firm items P 0.935 R 0.853) | P 1.000 R 0.902 |
| household_counts_8 | 21202612 | 0c8511a: P 0.833 R 0.909 (a development set) | P 1.000 R 0.955 |
| household_counts_9 | 22202612 | 8691181: P 0.957 R 0.759 (firm items P 0.950 R 0.905) | P 1.000 R 0.759 |
| household_counts_10 | (the rest of sample 9's population) | 048d119: P 0.857 R 0.750 (firm items P 0.833 R 0.833) | P 1.000 R 0.792 |
| household_counts_11 | (all 10 other-genre documents with a candidate) | 6d763a4: P 0.926 R 0.191 (firm items P 0.920 R 1.000) | P 1.000 R 0.191 |

"Firm items": the annotator's borderline items neither count as gold nor as false positives
when predicted. Pooled over the six samples scored once after their rules were written
(3, 5, 7, 9, 10, 11): every gold item P 0.934 (tp 171, fp 12); firm items P 0.925 R 0.925
(tp 149, fp 12, fn 12). The contract's target, P >= 0.95 on an independent sample, is met by
samples 7 and 9 and missed by 3, 5, 10 and 11: household precision is about 0.93. Sample 11's
recall with every item is low because 103 of its 131 gold items are cells of one HTML table
(村 | 户数 | 人数), which the annotator flagged borderline and no rule reads.

Sample 2's false positives were business counts the lexicon did not know (私营商店, 品牌500强1户,
养老保险开户) and a full-width thousands separator; sample 3's a business noun after a quoted
modifier (153户“双停”企业), census units (采集单位总数2.43万户) and a per-household quota
(困难家庭至少1人就业); sample 4's a family farm (家庭农场60户); sample 5's a rate denominator
(千人口托位数), and it missed a cohort named after its count (6726人消除返贫致贫风险). Sample 5 is
small (22 gold items) and its annotator's report, read before scoring, named a few items
(首贷户 as a business among them); the 首贷户 rule came from development sample 6 (深圳 小微企业
首贷户3.4万户) before sample 5 was scored. Sample 6's false positives were subscribers and
start-ups (城乡新增电话586万户, 新增创业3800户以上), borrowers (小微企业首贷户) and a business noun after
a rank (30户省级以上绿色制造示范企业). Sample 7's were factories (国家级绿色工厂2户), and it missed
families counted in 个 (惠及1.3万个家庭), 困难人员, a group opened by a verb (14万持证残疾人) and a
status word jieba does not know (9万人返贫致贫风险). Sample 9's was a count of visits (惠及75万户（人）次); sample 10's first-time borrowers without 户
(首贷6000户以上), designated units (放心消费创建单位5万户) and a pair split by 涉及 (76户，涉及305名村民);
sample 11's two rules of a law (每五户至十五户选举代表一人, 十户或者二十人以上联名).
The remaining misses are mostly the
annotators' borderline groups that the rules leave out on purpose (就业困难人员, evacuated 受灾群众,
whole populations without a unit). The floors only keep the numbers from getting worse.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.evaluate import KEYS, Score, _match
from test_heldout_household_counts import _gold, run_heldout

HERE = Path(__file__).resolve().parent
FLOORS = {  # folder: (precision, recall)
    "household_counts_2": (0.95, 0.90),
    "household_counts_3": (0.95, 0.88),  # 百万人口现代化大城市 (borderline) is a size, read as a rate
    "household_counts_4": (0.95, 0.85),
    "household_counts_5": (0.95, 0.70),
    "household_counts_6": (0.95, 0.70),
    "household_counts_7": (0.95, 0.88),
    "household_counts_8": (0.95, 0.90),
    "household_counts_9": (0.95, 0.75),
    "household_counts_10": (0.95, 0.75),
    "household_counts_11": (0.95, 0.15),  # the table cells: see above
}


@pytest.fixture(scope="module", params=sorted(FLOORS))
def sample(request, shared_dir, tmp_path_factory):
    folder = HERE / request.param
    return request.param, _gold(folder), run_heldout(shared_dir, tmp_path_factory, folder)


def _score(gold: list[dict], outputs: dict) -> Score:
    s = Score()
    for g in gold:
        _match(g["doc"], g["household_counts"], outputs.get(g["doc"], {}).get("household_counts", []),
               KEYS["household_counts"], s)
    return s


def test_ten_documents_are_all_drawn_and_processed(sample):
    _, gold, outputs = sample
    assert len(gold) == 10
    assert {g["doc"] for g in gold} <= set(outputs)


def test_sample_does_not_regress(sample):
    name, gold, outputs = sample
    s = _score(gold, outputs)
    print(f"\n{name}: P {s.precision:.3f} R {s.recall:.3f} F1 {s.f1:.3f}")
    p, r = FLOORS[name]
    assert s.precision >= p and s.recall >= r, (s.precision, s.recall, s.false_positives, s.misses)
