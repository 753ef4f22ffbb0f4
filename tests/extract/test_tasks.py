"""Tasks of a plan (contract section 7): cases in tests/cases/tasks.jsonl.

Date windows come from the date_windows row of EXTRACTORS; here the cases give them as
that extractor reports them, so these tests do not depend on it.
"""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from pipeline.extract import Context, run_all, tasks
from pipeline.normalize import normalize
from pipeline.schema import DateWindow
from pipeline.segment import make_doc
from tests.conftest import CORPUS, case_params, load_cases

CASES = load_cases("tasks")


def _windows(text: str, specs) -> list[DateWindow]:
    out, used = [], {}
    for surface, kind, start, end in specs:
        s = text.index(surface, used.get(surface, 0))
        used[surface] = s + 1
        out.append(DateWindow(text=surface, span=(s, s + len(surface)), kind=kind, start=start, end=end))
    return sorted(out, key=lambda w: w.span)



@pytest.mark.parametrize("case", case_params(CASES))
def test_case(case):
    text = case["text"]
    ctx = Context().with_result("date_windows", _windows(text, case["windows"]))
    out = tasks.extract(make_doc(text), ctx)
    got = [{"title": t.title, "responsible": list(t.responsible), "section": t.section,
            "window": t.window.text if t.window else None} for t in out]
    assert got == case["expect"]
    for t in out:
        assert text[t.span[0]:t.span[1]] == t.text


def test_without_date_windows_row():
    out = tasks.extract(make_doc("一、任务\n1.做好宣传。\n责任部门：县委宣传部"), Context())
    assert [(t.title, t.responsible, t.window) for t in out] == [("做好宣传", ("县委宣传部",), None)]


def test_seed_000_against_gold():
    path = next(CORPUS.glob("000_*.txt"))
    gold = json.loads((CORPUS / "gold" / f"{path.name}.json").read_text(encoding="utf-8"))["tasks"]
    ctx = run_all(make_doc(text := normalize(path.read_text(encoding="utf-8")).text), Context())
    out = ctx.results["tasks"]
    assert [(t.title, list(t.responsible)) for t in out] == [(g["title"], g["responsible"]) for g in gold]
    if ctx.results.get("date_windows"):
        assert [(t.window.start, t.window.end) for t in out] == [(g["start"], g["end"]) for g in gold]
    assert out[4].section == "二、活动内容及时间安排 / （二）扎实开展公益帮扶活动"
    assert all(text[t.span[0]:t.span[1]] == t.text for t in out)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("一二三、（）()1.2.①责任部门单位：:，县扶贫办驻村工作组\n。；做好宣传") + ["a"]), max_size=80))
def test_arbitrary_text_never_raises(text):
    for t in tasks.extract(make_doc(text), Context()):
        assert text[t.span[0]:t.span[1]] == t.text
