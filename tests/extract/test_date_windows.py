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
    "一-—～~春节元旦国庆中华民国十三四五时期期间截至“”\"、，。 \n村大个号〔〕元万户人"
    "农历正腊冬闰廿卅世纪代清明冬至天周星期昨晚早以后之及到本上下这个（）()"))


_REF_DATES = st.one_of(st.none(), st.dates(date(1990, 1, 1), date(2040, 12, 31)))


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=60), st.one_of(st.none(), st.integers(1990, 2040)), _REF_DATES)
def test_property_never_raises_and_spans_exact(text, ref, ref_date):
    _check_items(text, extract_text(text, ref, ref_date))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_property_arbitrary_unicode(text):
    _check_items(text, extract_text(text, 2020))


# --- the anchored scan finds exactly what trying every position finds ---------------------

def _slow(text, ref, ref_date=None):
    return _scan(text, ref, _all_starts, ref_date)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=60), st.one_of(st.none(), st.integers(1990, 2040)), _REF_DATES)
def test_property_fast_scan_equals_exhaustive_scan(text, ref, ref_date):
    assert extract_text(text, ref, ref_date) == _slow(text, ref, ref_date)


def test_fast_scan_equals_exhaustive_scan_on_cases_and_seeds():
    texts = ["。".join(c["text"] for c in CASES)] + [p.read_text(encoding="utf-8") for p in seed_paths()]
    for text in texts:
        assert extract_text(text, 2020) == _slow(text, 2020)
        assert extract_text(text, 2020, date(2020, 6, 10)) == _slow(text, 2020, date(2020, 6, 10))


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


# --- lunar calendar and solar terms, checked against the library (lunar-python) -----------

_LUNAR_MONTHS = ["正", "二", "三", "四", "五", "六", "七", "八", "九", "十", "冬", "腊"]
_LUNAR_DAYS = ["初一", "初二", "初三", "初四", "初五", "初六", "初七", "初八", "初九", "初十",
               "十一", "十二", "十三", "十四", "十五", "十六", "十七", "十八", "十九", "二十",
               "廿一", "廿二", "廿三", "廿四", "廿五", "廿六", "廿七", "廿八", "廿九", "三十"]


@settings(max_examples=300, deadline=None)
@given(st.integers(1950, 2080), st.integers(1, 12), st.integers(1, 30), st.booleans())
def test_property_lunar_dates_match_the_library(year, month, day, leap):
    from lunar_python import Lunar, LunarYear
    ly = LunarYear.fromYear(year)
    leap = leap and ly.getLeapMonth() == month
    days = ly.getMonth(-month if leap else month).getDayCount()
    text = f"{year}年农历{'闰' if leap else ''}{_LUNAR_MONTHS[month - 1]}月{_LUNAR_DAYS[day - 1]}"
    items = extract_text(text, None)
    if day > days:
        assert items == []
        return
    solar = Lunar.fromYmd(year, -month if leap else month, day).getSolar()
    iso = f"{solar.getYear():04d}-{solar.getMonth():02d}-{solar.getDay():02d}"
    assert [(w.text, w.kind, w.start, w.end) for w in items] == [(text, "point", iso, iso)]


@settings(max_examples=100, deadline=None)
@given(st.integers(1950, 2080), st.sampled_from(["立春", "惊蛰", "春分", "清明", "谷雨", "立夏", "芒种", "夏至", "小暑",
                                                "大暑", "立秋", "处暑", "白露", "秋分", "寒露", "霜降", "立冬", "冬至",
                                                "小寒", "大寒", "雨水", "小雪", "大雪", "小满"]))
def test_property_solar_terms_match_the_library(year, term):
    from lunar_python import Solar
    items = extract_text(f"{year}年{term}", None)
    assert len(items) == 1 and items[0].start == items[0].end
    d = date.fromisoformat(items[0].start)
    assert d.year == year
    assert Solar.fromYmd(d.year, d.month, d.day).getLunar().getJieQi() == term


# --- held-out work reports (tests/heldout/date_windows): scored by `gongwen eval`'s rules --

HELDOUT = CORPUS.parent / "tests" / "heldout" / "date_windows"


def _score_dir(texts: dict, gold: dict, tmp_path):
    """Run the pipeline on ``texts`` (name -> text) and score them against ``gold``."""
    from pipeline.assemble import process_text
    from pipeline.evaluate import evaluate
    from pipeline.schema import dumps
    out, golddir = tmp_path / "out", tmp_path / "gold"
    out.mkdir()
    golddir.mkdir()
    for name, text in texts.items():
        (out / f"{name}.json").write_text(dumps(process_text(text, name)), encoding="utf-8")
    for name, g in gold.items():
        (golddir / f"{name}.json").write_text(json.dumps(g, ensure_ascii=False), encoding="utf-8")
    return evaluate(out, golddir)


def test_scorer_partial_gold_and_year_inferred_precision(tmp_path):
    text = "2021年工作安排\n请于6月底前完成；2021年3月1日起施行。\n"
    gold = {"doc": "a.txt", "scored_fields": ["date_windows"], "metadata": {"title": "wrong on purpose"},
            "date_windows": [{"text": "6月底前", "kind": "deadline", "start": None, "end": "2021-06-30",
                              "year_inferred": True},
                             {"text": "2021年3月1日起", "kind": "since", "start": "2021-03-01", "end": None},
                             {"text": "9月", "kind": "point", "start": "2021-09-01", "end": "2021-09-30",
                              "year_inferred": True}]}
    scores, missing = _score_dir({"a.txt": text}, {"a.txt": gold}, tmp_path)
    assert missing == [] and "metadata" not in scores and "figures" not in scores
    dw, yi = scores["date_windows"], scores["date_windows.year_inferred"]
    assert (dw.tp, dw.fp, dw.fn) == (2, 0, 1)
    assert (yi.tp, yi.fp, yi.fn) == (1, 0, 1) and yi.precision == 1.0


def test_heldout_work_reports(tmp_path, capsys):
    """10 random gwr_city_2024 reports annotated by someone who never saw this code
    (seed and method in tests/heldout/date_windows/README.md); scored once, quoted in
    docs/date_windows.md. The floors guard against regressions; they are not targets."""
    golds = sorted(HELDOUT.glob("*.txt.json"))
    if not golds:
        pytest.skip("no held-out gold in tests/heldout/date_windows")
    gold = {p.name[:-5]: json.loads(p.read_text(encoding="utf-8")) for p in golds}
    texts = {name: (HELDOUT / name).read_text(encoding="utf-8") for name in gold}
    scores, missing = _score_dir(texts, gold, tmp_path)
    from pipeline.evaluate import report
    with capsys.disabled():
        print("\n" + report({k: v for k, v in scores.items() if k.startswith("date_windows")}, missing))
    assert missing == []
    assert scores["date_windows"].f1 >= HELDOUT_FLOORS["f1"]
    assert scores["date_windows.year_inferred"].precision >= HELDOUT_FLOORS["year_inferred_precision"]


# Set after the one scoring run (2026-12-01, seed 11202612: P 0.407 R 0.733 F1 0.524; year-inferred
# precision 6/6): regression guards only, see docs/date_windows.md.
HELDOUT_FLOORS = {"f1": 0.5, "year_inferred_precision": 0.95}


def test_relative_days_resolve_against_issue_date_then_reference_date():
    doc = make_doc("请于明天上午报送，本月25日前完成。")
    ctx = Context(metadata=Metadata(issue_date="2021-05-06", reference_year=2021), reference_date=date(2020, 1, 1))
    assert [(w.text, w.start, w.end) for w in date_windows.extract(doc, ctx)] == [
        ("明天上午", "2021-05-07", "2021-05-07"), ("本月25日前", None, "2021-05-25")]
    ctx = Context(reference_date=date(2020, 1, 1))
    assert [w.end for w in date_windows.extract(doc, ctx)] == ["2020-01-02", "2020-01-25"]
    assert date_windows.extract(doc, Context()) == []
