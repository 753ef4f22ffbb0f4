"""Departments (contract section 3): cases in tests/cases/departments.jsonl."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from pipeline.extract import Context, departments, metadata
from pipeline.normalize import normalize
from pipeline.segment import make_doc
from tests.conftest import CORPUS, case_params, load_cases

CASES = load_cases("departments")


def _run(text: str, with_metadata: bool = False):
    doc = make_doc(text)
    ctx = Context()
    if with_metadata:
        ctx = ctx.with_result("metadata", metadata.extract(doc, ctx))
    return departments.extract(doc, ctx)



@pytest.mark.parametrize("case", case_params(CASES))
def test_case(case):
    out = _run(case["text"], case.get("with_metadata", False))
    assert [d.name for d in out] == case["names"]
    by_name = {d.name: d for d in out}
    for name, roles in case.get("roles", {}).items():
        assert list(by_name[name].roles) == roles, name
    for name, canon in case.get("canonical", {}).items():
        assert by_name[name].canonical == canon, name
    for name, written in case.get("spans", {}).items():
        s, e = by_name[name].mentions[0].span
        assert case["text"][s:e] == written


def test_every_mention_span_is_in_text():
    text = "驻五一村、东甸村扶贫工作组和厅扶贫办要认真落实省委省政府部署。"
    for d in _run(text):
        for m in d.mentions:
            s, e = m.span
            assert 0 <= s < e <= len(text)


def test_expand_list():
    got = departments.expand_list("厅扶贫办，驻五一村、东甸村扶贫工作组")
    assert [n for n, _ in got] == ["厅扶贫办", "驻五一村扶贫工作组", "驻东甸村扶贫工作组"]
    assert got[1][1] == got[2][1] == (5, 18)


@pytest.mark.parametrize("written, names", [
    # bare administrative levels share the body of the last element, with their 各
    ("各省、自治区、直辖市人民政府", ["各省人民政府", "各自治区人民政府", "各直辖市人民政府"]),
    ("各县、市、区扶贫开发领导小组", ["各县扶贫开发领导小组", "各市扶贫开发领导小组", "各区扶贫开发领导小组"]),
    ("各市、县（市、区）农业农村局", ["各市农业农村局", "各县（市、区）农业农村局"]),
    ("各县、市及高新区科技局", ["各县科技局", "各市科技局", "高新区科技局"]),
    # one-character divisions take the head of the name before them
    ("市局机关各科、室，各分局", ["市局机关各科", "市局机关各室", "各分局"]),
    ("县委办公室、组织部", ["县委办公室", "组织部"]),  # a full name is not a division
    # left as written
    ("市、县两级扶贫办", ["市", "县两级扶贫办"]),
    ("县委、县政府", ["县委", "县政府"]),
])
def test_expand_list_levels_and_divisions(written, names):
    got = departments.expand_list(written, 10)
    assert [n for n, _ in got] == names
    assert all(10 <= s < e <= 10 + len(written) for _, (s, e) in got)


def test_plural_divisions_are_not_departments():
    assert departments.is_generic("市局机关各科")
    assert not departments.is_generic("市局机关科")


def seed_text(prefix: str) -> str:
    path = next(CORPUS.glob(f"{prefix}_*.txt"))
    return normalize(path.read_text(encoding="utf-8")).text


def test_seed_000_departments():
    names = {d.name for d in _run(seed_text("000"), with_metadata=True)}
    for n in ("厅扶贫办", "驻五一村扶贫工作组", "驻东甸村扶贫工作组", "省委", "省政府", "厅组宣处", "组织宣传教育处"):
        assert n in names
    assert not names & {"驻村扶贫工作组", "五一村", "吉林日报", "各相关责任部门"}


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("省市县厅局驻村委办处中心领导小组工作组扶贫、，。：\n（）和的各有关部门党政府科协吉林五一") + ["a", "1"]), max_size=60))
def test_arbitrary_text_never_raises(text):
    for d in _run(text):
        assert d.mentions
        for m in d.mentions:
            s, e = m.span
            assert 0 <= s < e <= len(text)
