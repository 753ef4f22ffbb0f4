"""Official-document metadata (contract section 2): cases in tests/cases/metadata.jsonl."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings, strategies as st

from pipeline.extract import Context, metadata
from pipeline.normalize import normalize
from pipeline.schema import Metadata
from pipeline.segment import make_doc
from tests.conftest import CORPUS, case_params, load_cases

CASES = load_cases("metadata")



def _run(text: str, reference_date=None) -> Metadata:
    ctx = Context(reference_date=date.fromisoformat(reference_date) if reference_date else None)
    return metadata.extract(make_doc(text), ctx)


@pytest.mark.parametrize("case", case_params(CASES))
def test_case(case):
    md = _run(case["text"], case.get("reference_date"))
    for field, want in case["expect"].items():
        got = getattr(md, field)
        assert (list(got) if isinstance(got, tuple) else got) == want, field
    if "expect_year" in case:
        assert md.reference_year == case["expect_year"]
    for ev in md.evidence:
        assert case["text"][ev.span[0]:ev.span[1]] == ev.text


def seed(prefix: str) -> str:
    return normalize(next(CORPUS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")).text


def test_seed_000():
    md = _run(seed("000"))
    assert md.title == "关于印发《省司法厅2020年扶贫日系列活动方案》的通知"
    assert (md.doc_number, md.doc_type, md.issuer, md.issue_date, md.reference_year) == (
        "吉司办发〔2020〕67号", "通知", "吉林省司法厅", "2020-07-28", 2020)
    assert md.recipients == ("厅戒毒管理局", "组织宣传教育处", "直属机关党委", "机关服务中心", "扶贫办",
                             "省法律援助中心", "驻五一村扶贫工作组", "驻东甸村扶贫工作组")
    assert md.cited_documents == ("《关于印发〈吉林省2020年扶贫日活动方案〉的通知》",
                                  "《全省司法行政系统“法援惠民生 扶贫奔小康”品牌活动实施方案》")
    assert {ev.field for ev in md.evidence} >= {"title", "doc_number", "doc_type", "issuer", "issue_date",
                                               "recipients", "cited_documents", "reference_year"}


def test_seed_001():
    md = _run(seed("001"))
    assert md.title == "河南省脱贫攻坚领导小组关于印发河南省“话脱贫、感党恩、奋进新时代”主题活动方案的通知"
    assert (md.doc_number, md.doc_type, md.issuer, md.issue_date, md.recipients, md.cited_documents,
            md.reference_year) == (None, "通知", "河南省脱贫攻坚领导小组", None, (), (), 2021)


def test_seed_002():
    md = _run(seed("002"))
    assert (md.title, md.doc_type, md.issuer, md.issue_date, md.reference_year) == (
        "2020年吉林省科协脱贫攻坚工作实施方案", "实施方案", None, None, 2020)
    assert len(md.cited_documents) == 5


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("关于印发通知方案《》〈〉〔〕()（）：:、，。\n 2020年7月二〇十日号吉司办发省厅各") + ["a"]), max_size=80))
def test_arbitrary_text_never_raises(text):
    md = _run(text)
    for ev in md.evidence:
        assert text[ev.span[0]:ev.span[1]] == ev.text
