"""Date windows (contract section 4): cases as data in tests/cases/date_windows.jsonl.

Each case gives a text, a reference year ("ref", null = unknown) and every window expected
in document order. ``year_inferred`` is checked on every item (false unless the case says
true); ``rule`` on recurring items.
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.extract import EXTRACTORS, Context
from pipeline.extract import date_windows
from pipeline.extract.date_windows import _all_starts, _scan, extract_text
from pipeline.schema import DATE_KINDS, Metadata
from pipeline.segment import make_doc
from tests.conftest import CORPUS, case_params, load_cases, seed_paths

CASES = load_cases("date_windows")



def _check_items(text, items):
    for w in items:
        s, e = w.span
        assert text[s:e] == w.text, w
        assert w.kind in DATE_KINDS
        if w.start and w.end:
            assert w.start <= w.end, w
        if w.kind == "recurring":
            assert w.start is None and w.end is None and w.rule
        for v in (w.start, w.end):
            if v is not None:
                date.fromisoformat(v[:10])
    assert [w.span for w in items] == sorted(w.span for w in items)


@pytest.mark.parametrize("case", case_params(CASES))
def test_case(case):
    text = case["text"]
    ref_date = date.fromisoformat(case["ref_date"]) if case.get("ref_date") else None
    items = extract_text(text, case["ref"], ref_date)
    _check_items(text, items)
    got = [{"text": w.text, "kind": w.kind, "start": w.start, "end": w.end,
            "year_inferred": w.year_inferred, **({"rule": w.rule} if w.kind == "recurring" else {})}
           for w in items]
    want = [{"year_inferred": False, **e} for e in case["expect"]]
    for g, w in zip(got, want):
        if "rule" not in w:
            g.pop("rule", None)
    assert got == want


def test_enough_cases_in_every_family():
    families = Counter(c["family"] for c in CASES)
    assert len(CASES) >= 150 + sum(1 for c in CASES if c["family"] == "contract")
    assert {"contract", "absolute_point", "yearless_point", "xun", "year_parts", "relative_year",
            "time_of_day", "range", "since", "deadline", "recurring", "plan_period", "holiday",
            "roc", "neg_place", "neg_ordinal", "neg_name", "neg_docnumber", "neg_phone",
            "neg_amount", "neg_bare_year"} <= set(families)
    assert sum(1 for c in CASES if not c["expect"]) >= 50  # the negatives
    assert sum(1 for c in CASES if c["split"] == "heldout") >= 25


def test_year_less_needs_a_reference_year():
    assert extract_text("7月下旬至10月中旬；年底前；今年以来", None) == []
    assert [w.start for w in extract_text("2020年6月11日；6月12日", None)] == ["2020-06-11"]


def test_registered_once_in_contract_order():
    keys = [k for k, _fn in EXTRACTORS]
    assert keys.count("date_windows") == 1
    assert dict(EXTRACTORS)["date_windows"] is date_windows.extract
    if "metadata" in keys:
        assert keys.index("metadata") < keys.index("date_windows")


def test_extract_uses_ctx_reference_year():
    doc = make_doc("请于6月底前完成。")
    ctx = Context(reference_date=date(2021, 3, 1))
    assert [w.end for w in date_windows.extract(doc, ctx)] == ["2021-06-30"]
    ctx = Context(metadata=Metadata(reference_year=2019), reference_date=date(2021, 3, 1))
    assert [w.end for w in date_windows.extract(doc, ctx)] == ["2019-06-30"]
    assert date_windows.extract(doc, Context()) == []


def test_deterministic():
    text = "".join(c["text"] + "。\n" for c in CASES)
    assert extract_text(text, 2020) == extract_text(text, 2020)


# --- the seeds against their gold files (until `make eval` covers it) --------------------

def _seed_score():
    from pipeline.normalize import normalize
    tp = fp = fn = 0
    false_positives = []
    for path in seed_paths():
        gold_path = CORPUS / "gold" / f"{path.name}.json"
        if not gold_path.is_file():
            continue
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        text = normalize(path.read_text(encoding="utf-8")).text
        out = extract_text(text, gold["metadata"]["reference_year"])
        key = lambda d: (d["start"], d["end"], d["kind"])  # noqa: E731
        g = Counter(key(d) for d in gold["date_windows"] if d["kind"] != "recurring")
        p = Counter((w.start, w.end, w.kind) for w in out if w.kind != "recurring")
        tp += sum((g & p).values())
        fp += sum((p - g).values())
        fn += sum((g - p).values())
        false_positives += [(path.name, w.text) for w in out if (w.start, w.end, w.kind) in (p - g)]
    return tp, fp, fn, false_positives


def test_seeds_against_gold():
    tp, fp, fn, fps = _seed_score()
    if tp + fn == 0:
        pytest.skip("no gold date windows")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    assert f1 >= 0.95, (precision, recall, fps)


# --- property: arbitrary text never raises, spans are exact, start <= end ----------------

_ALPHABET = st.sampled_from(list(
    "0123456789〇零一二三四五六七八九十百两年月日号时点分:：上中下旬初底末半季度第前后以来至到起止今去明次本每周星期"
    "一-—～~春节元旦国庆中华民国十三四五时期期间截至“”\"、，。 \n村大个号〔〕元万户人"))


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=60), st.one_of(st.none(), st.integers(1990, 2040)))
def test_property_never_raises_and_spans_exact(text, ref):
    _check_items(text, extract_text(text, ref))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_property_arbitrary_unicode(text):
    _check_items(text, extract_text(text, 2020))


# --- the anchored scan finds exactly what trying every position finds ---------------------

def _slow(text, ref):
    return _scan(text, ref, _all_starts)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=60), st.one_of(st.none(), st.integers(1990, 2040)))
def test_property_fast_scan_equals_exhaustive_scan(text, ref):
    assert extract_text(text, ref) == _slow(text, ref)


def test_fast_scan_equals_exhaustive_scan_on_cases_and_seeds():
    texts = ["。".join(c["text"] for c in CASES)] + [p.read_text(encoding="utf-8") for p in seed_paths()]
    for text in texts:
        assert extract_text(text, 2020) == _slow(text, 2020)


# --- full_dates: complete calendar dates for the metadata (issue 13) ----------------------

from pipeline.extract.date_windows import full_dates  # noqa: E402


@pytest.mark.parametrize("text,roc,want", [
    ("2020年7月28日", False, ["2020-07-28"]),
    ("二〇二〇年七月二十八日", False, ["2020-07-28"]),
    ("二〇二〇年七月廿八日", False, ["2020-07-28"]),
    ("二零一九年十二月三十一日", False, ["2019-12-31"]),
    ("贰零贰壹年叁月拾伍日", False, ["2021-03-15"]),
    ("2020 年 7 月 28 日", False, ["2020-07-28"]),
    ("2020-07-28", False, ["2020-07-28"]),
    ("2020/7/28", False, ["2020-07-28"]),
    ("2020.7.28", False, ["2020-07-28"]),
    ("中华民国102年1月4日", False, ["2013-01-04"]),
    ("民国一百零二年一月四日", False, ["2013-01-04"]),
    ("102年1月4日", True, ["2013-01-04"]),
    ("102年1月4日", False, []),
    ("发文日期：102/01/04", True, ["2013-01-04"]),
    ("2020年2月30日", False, []),
    ("2020年7月", False, []),
    ("7月28日", False, []),
    ("吉司办发〔2020〕67号", False, []),
    ("版本 2.1.3 与 12020年1月1日", False, []),
    ("自2021年6月1日起至2021年6月30日止", False, ["2021-06-01", "2021-06-30"]),
    ("2024年1月20日在市第十七届人民代表大会上", False, ["2024-01-20"]),
])
def test_full_dates(text, roc, want):
    got = full_dates(text, roc=roc)
    assert [iso for _s, _e, iso in got] == want
    for s, e, _iso in got:
        assert text[s:e].strip() == text[s:e] and text[s:e]
    assert [s for s, _e, _i in got] == sorted(s for s, _e, _i in got)


def test_full_dates_spans_in_context():
    text = "吉林省司法厅\n2020年7月28日\n（此件公开发布）"
    (s, e, iso), = full_dates(text)
    assert text[s:e] == "2020年7月28日" and iso == "2020-07-28"


@settings(max_examples=300, deadline=None)
@given(st.dates(date(1900, 1, 1), date(2099, 12, 31)), st.sampled_from(["ar", "cn", "iso", "dot"]))
def test_property_full_dates_round_trip(d, form):
    cn = "〇一二三四五六七八九"
    def num(n):  # 1-31 in Chinese numerals: 七, 十, 十二, 二十, 三十一
        if n < 10:
            return cn[n]
        return (cn[n // 10] if n >= 20 else "") + "十" + (cn[n % 10] if n % 10 else "")
    if form == "ar":
        s = f"{d.year}年{d.month}月{d.day}日"
    elif form == "cn":
        s = "".join(cn[int(c)] for c in str(d.year)) + f"年{num(d.month)}月{num(d.day)}日"
    elif form == "iso":
        s = d.isoformat()
    else:
        s = f"{d.year}.{d.month}.{d.day}"
    assert full_dates("于" + s + "印发") == [(1, 1 + len(s), d.isoformat())]
