"""Date windows (contract section 4): every time expression read into a calendar interval.

One pass of one compiled pattern over ``doc.text``, tried only shortly before an anchor
(年 月 日 号 代 纪 …, or a word such as 冬至 / 明天), finds three kinds of candidates:

* a **chain** — ``[截至|到] date [connector date] [suffix]`` where a *date* is a run of
  typed components: year (2020年, 二〇二〇年, 98年, 民国102年), relative year (今年, 前年,
  今明两年), decade or century (上世纪80年代, 21世纪), lunar month and day (农历正月十五, 腊月
  二十三, 闰四月), month, relative month/week/day (本月, 下周三, 明天), day, 旬/初/底/末, part
  of a year (一季度末, 前5个月, 年中), holiday or solar term, weekday note (（星期五）), time
  of day, or a bare number that takes its unit from the other side (1-3月, 2021-2025年);
* a **plan period** — 十三五, "十四五"时期 (table in rules);
* a **recurring schedule** — 每月20日前, 每周四, 每季度 (kind ``recurring`` with a ``rule``).

Each side becomes a ``_Side`` (a value with a grain); ``_range`` combines two sides (the
right end inherits what it omits, a time range keeps the day and its 下午, 11月至2月 runs
into the next year); resolution happens once, at the end, against a ``_Ref``: the year
in force where the expression stands (``_YearScope``: an explicit year earlier in the
sentence, else the section heading's, else ``reference_year``), the reference year for
今年/去年, and the reference date for relative days. Without what it needs an expression
yields nothing. Lunar dates and solar terms come from lunar-python. A bare year (2020年)
is a window only in a range, an open window (2016年以来), a deadline (2025年前, 到2025年)
or after 截至.

Every word is in ``rules/date_windows.toml``; this module holds only the grammar.
Decisions and what is not supported: docs/date_windows.md.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field, replace
from datetime import date
import heapq
from bisect import bisect_right
from functools import cache
from typing import Optional

from .. import rules
from ..schema import DateWindow
from ..segment import text_of
from ._numerals import parse_digits

KEY = "date_windows"
_RULES = "date_windows.toml"

# Grammar glue: numerals as they appear in dates.
_CN_DIGIT = "〇零一二三四五六七八九"
_AR_YEAR = r"\d{4}"
_CN_YEAR = f"[{_CN_DIGIT}]{{4}}"
_SHORT_YEAR = rf"\d{{2,3}}|[{_CN_DIGIT}十百]{{2,5}}"  # ROC years: 102, 一百零三
_MONTH_NUM = r"\d{1,2}|十[一二]?|[一二三四五六七八九元]"
_DAY_NUM = r"\d{1,2}|[二三]?十[一二三四五六七八九]?|[一二三四五六七八九]"
_HOUR_NUM = r"\d{1,2}|二?十[一二三四]?|[〇零一二两三四五六七八九]"
_MIN_NUM = r"\d{1,2}|[二三四五]?十[一二三四五六七八九]?|[一二三四五六七八九]"
_BARE_NUM = r"\d{1,4}|[一二三四五六七八九十]{1,3}"
_NUMERAL_BEFORE = "0-9." + _CN_DIGIT + "十百千万两"
_NUMERAL_AFTER = frozenset("0123456789" + _CN_DIGIT + "十百千万两")


def _alt(words, where: str) -> str:
    return rules.alternation(list(words), f"{_RULES}:{where}")


def _with_blockers(words, blockers: dict) -> str:
    """Alternation of ``words``; a word listed in ``blockers`` must not be followed by them."""
    parts = []
    for w in sorted(set(words), key=lambda s: (-len(s), s)):
        stop = blockers.get(w)
        p = re.escape(w)
        if stop:
            p += "(?!" + "|".join(re.escape(b) for b in stop) + ")"
        parts.append(p)
    return "(?:" + "|".join(parts) + ")"


def _words(words, before: dict, after: dict) -> str:
    """Alternation of ``words``, longest first; a word in ``before`` must not follow those
    characters, a word in ``after`` must not be followed by those words."""
    parts = []
    for w in sorted(set(words), key=lambda s: (-len(s), s)):
        p = re.escape(w)
        if before.get(w):
            p = f"(?<![{re.escape(before[w])}])" + p
        if after.get(w):
            p += "(?!" + "|".join(re.escape(b) for b in after[w]) + ")"
        parts.append(p)
    return "(?:" + "|".join(parts) + ")"


@dataclass(frozen=True)
class _Grammar:
    top: re.Pattern
    token: re.Pattern
    xun: dict
    year_parts: dict
    year_part_ends: dict
    leading_parts: dict
    relative: dict
    relative_ranges: dict
    relative_months: dict
    relative_weeks: dict
    relative_days: dict
    relative_day_parts: dict
    relative_quarters: dict
    offsets: dict
    centuries: dict
    fixed_holidays: dict
    lunar_holidays: dict  # alias -> (lunar month, lunar day; 0 = last day)
    solar_terms: dict  # alias -> term name
    solar_need_year: frozenset
    yearless_holidays: frozenset
    holiday_followers: tuple
    lunar_month_names: dict
    plans: dict
    day_periods: dict
    weekdays: dict
    words: dict
    recurring: dict
    range_closers: frozenset
    bare_month_followers: str
    to_prefix: dict  # prefix -> characters it may follow (到: 力争到2025年)
    relative_day_context: dict
    coordination: dict
    roc_markers: tuple
    roc_offset: int
    two_digit_slack: int
    anchor: re.Pattern  # characters every window contains (see extract_text) …
    anchor_word: re.Pattern  # … or words (冬至, 明天) that hold none of them
    holiday_run: re.Pattern  # 、国庆: a holiday coordinated with the one before
    day_end: re.Pattern  # a window's text that ends on a day or a time (for coordinated dates)
    start_chars: frozenset  # characters a window can start with (besides digits)


_LUNAR_MONTH = "十[一二]|[正一二三四五六七八九十冬腊]"
_LUNAR_DAY = "初[一二三四五六七八九十]|二十[一二三四五六七八九]?|三十|廿[一二三四五六七八九]|十[一二三四五六七八九]|[二三]十|十"
_CENTURY_NUM = r"\d{2}|二十一|二十|十九|十八"
_DECADE_NUM = "[1-9]0|[一二三四五六七八九]十"


@cache
def grammar() -> _Grammar:
    t = rules.table(_RULES)
    w = t["words"]
    rec = t["recurring"]
    part_blockers = t["part_blockers"]
    suffix_blockers = t["suffix_blockers"]
    lun = t["lunar"]
    st = t["solar_terms"]

    lunar_holidays = {}
    for alias, md in t["lunar_holidays"].items():
        try:
            mo, d = (int(x) for x in md.split("-"))
        except ValueError:
            raise rules.RulesError(f"{_RULES}:lunar_holidays: bad lunar date {md!r} for {alias!r}") from None
        lunar_holidays[alias] = (mo, d)
    solar = {name: name for name in st["terms"]}
    for alias, name in st["aliases"].items():
        if name not in solar:
            raise rules.RulesError(f"{_RULES}:solar_terms: alias {alias!r} -> unknown term {name!r}")
        solar[alias] = name

    conn = "(?:" + _alt(w["connectors"], "connectors") + "|" + _alt(w["connectors_before_digit"], "connectors_before_digit") + r"(?=\d))"
    month_suf = _alt(w["month_suffixes"], "month_suffixes")
    day_suf = _alt(w["day_suffixes"], "day_suffixes")
    hour_suf = _alt(w["hour_suffixes"], "hour_suffixes")
    xun = _with_blockers(t["xun"], part_blockers)
    single_parts = [k for k in t["year_parts"] if len(k) == 1]
    yp_words = ["年" + k for k in single_parts] + [k for k in t["year_parts"] if len(k) > 1]
    yp = _with_blockers(yp_words, {**{"年" + k: v for k, v in part_blockers.items()}, **part_blockers})
    yp_end = _with_blockers(t["year_part_ends"], part_blockers)
    lead_units = _alt(t["leading_parts"], "leading_parts")
    hol_words = list(t["fixed_holidays"]) + list(t["lunar_holidays"]) + list(solar)
    holidays = _words(hol_words, t["holiday_not_after"], t["holiday_blockers"])
    rel = _words(t["relative_years"], t["relative_year_not_after"], {})
    relr = _alt(t["relative_year_ranges"], "relative_year_ranges")
    rmon = _alt(t["relative_months"], "relative_months")
    rweek = _alt(t["relative_weeks"], "relative_weeks")
    rday = _alt([*t["relative_days"], *t["relative_day_parts"]], "relative_days")
    rquarter = _alt(t["relative_quarters"], "relative_quarters")
    off_units = _alt(t["offsets"]["units"], "offsets:units")
    off_dirs = _alt(t["offsets"]["directions"], "offsets:directions")
    roc = _alt(w["roc_prefixes"], "roc_prefixes")
    periods = _alt(t["day_periods"], "day_periods")
    cents = _alt(t["centuries"], "centuries")
    wd_chars = "".join(t["weekdays"])
    wd_block = _alt(rec["weekday_blockers"], "weekday_blockers")
    wd_note = rf"[(（](?:{_alt(w['weekday_notes'], 'weekday_notes')})[{wd_chars}][)）]"
    lun_pre = _alt(lun["prefixes"], "lunar:prefixes")
    leap = re.escape(lun["leap"])
    lun_names = "".join(lun["month_names"])
    time = (rf"(?:{periods})?(?:(?:\d{{1,2}})[:：]\d{{2}}|(?:{_HOUR_NUM}){hour_suf}"
            rf"(?:(?:{_MIN_NUM})分|半)?)")
    time_named = (rf"(?P<t_p>{periods})?(?:(?P<t_h>\d{{1,2}})[:：](?P<t_m>\d{{2}})|(?P<t_h2>{_HOUR_NUM}){hour_suf}"
                  rf"(?:(?P<t_m2>{_MIN_NUM})分|(?P<t_half>半))?)")
    numdate = r"(?:19|20)\d\d([-./])\d{1,2}\1\d{1,2}(?![\d.])"
    numdate_named = r"(?P<nd_y>(?:19|20)\d\d)(?P<nd_s>[-./])(?P<nd_m>\d{1,2})(?P=nd_s)(?P<nd_d>\d{1,2})(?![\d.])"
    month_block = "(?!龄)"
    cn_fold = "".join(t["numeral_folds"])
    decade = (rf"(?:(?P<dc_cw>{cents})|(?P<dc_cn>{_CENTURY_NUM})世纪)?"
              rf"(?:(?P<dc_a>{_DECADE_NUM})|(?P<dc_b1>[一二三四五六七八九])(?P<dc_b2>[一二三四五六七八九])十|(?P<dc_y>(?:19|20)\d0))年代"
              rf"|(?:(?P<dc_cw2>{cents})|(?P<dc_cn2>{_CENTURY_NUM})世纪)(?![\d中末初{_CN_DIGIT}十])")
    lunar = (rf"(?:(?P<lu_p>{lun_pre})(?P<lu_l1>{leap})?(?P<lu_m1>{_LUNAR_MONTH})月|(?P<lu_l2>{leap})(?P<lu_m2>{_LUNAR_MONTH})月"
             rf"|(?P<lu_m3>[{lun_names}])月)(?:(?P<lu_d>{_LUNAR_DAY})(?:日)?)?")

    comps = [
        ("nd", numdate_named, numdate.replace("([-./])", "(?:[-./])").replace(r"\1", "[-./]")),
        ("dec", decade, None),
        ("off", rf"(?P<off_n>\d{{1,3}}|[一二两三四五六七八九十百]{{1,3}})(?P<off_u>{off_units})(?P<off_d>{off_dirs})", None),
        ("roc", rf"(?P<roc_p>{roc})(?P<roc_y>\d{{1,3}}|[{_CN_DIGIT}十百]{{1,5}})年", rf"{roc}(?:\d{{1,3}}|[{_CN_DIGIT}十百]{{1,5}})年"),
        ("lu", lunar, None),
        ("y", rf"(?P<y_v>{_AR_YEAR}|[{_CN_DIGIT}{cn_fold}]{{4}}|{_SHORT_YEAR})年", rf"(?:{_AR_YEAR}|[{_CN_DIGIT}{cn_fold}]{{4}}|{_SHORT_YEAR})年"),
        ("relr", rf"(?P<relr_v>{relr})", relr),
        ("rel", rf"(?P<rel_v>{rel})", rel),
        ("rm", rf"(?P<rm_v>{rmon})", rmon),
        ("cm", rf"(?<![{re.escape(t['current_month']['not_after'])}]){re.escape(t['current_month']['word'])}(?=(?:{xun}))", None),
        ("rw", rf"(?P<rw_v>{rweek})(?:(?P<rw_d>[{wd_chars}])(?!{wd_block}))?", None),
        ("rd", rf"(?P<rd_v>{rday})", rday),
        ("rq", rf"(?P<rq_v>{rquarter})(?P<rq_e>{yp_end})?", None),
        ("ypn", rf"前(?P<ypn_n>\d{{1,2}}|[一二两三四五六七八九十]{{1,3}})(?P<ypn_u>{lead_units})", None),
        ("m", rf"(?P<m_v>{_MONTH_NUM}|[{cn_fold}]{{1,2}}){month_suf}{month_block}", None),
        ("d", rf"(?P<d_v>{_DAY_NUM}|[{cn_fold}{_CN_DIGIT}十]{{1,3}}){day_suf}", None),
        ("wdn", wd_note, None),
        ("t", time_named, time),
        ("tp", rf"(?P<tp_v>{periods})(?![\d{_CN_DIGIT}十])", None),
        ("yp", rf"(?P<yp_v>{yp})(?:(?<=[度年])(?P<yp_e>{yp_end}))?", None),
        ("xun", rf"(?P<xun_v>{xun})", xun),
        ("hol", rf"(?P<hol_v>{holidays})", None),
        ("n", rf"(?P<n_v>{_BARE_NUM})(?={conn})", rf"(?:{_BARE_NUM})(?={conn})"),
    ]

    def plain(named: str) -> str:
        return re.sub(r"\(\?P<[a-z_0-9]+>", "(?:", re.sub(r"\(\?P=nd_s\)", "[-./]", named))

    comp_plain = "(?:" + "|".join(p if p is not None else plain(n) for _k, n, p in comps) + ")"
    token = re.compile("|".join(f"(?P<{k}>{n})" for k, n, _p in comps) + f"|(?P<conn>{conn})")

    deadline_suf = _with_blockers(w["deadline_suffixes"], suffix_blockers)
    since_suf = _with_blockers(w["since_suffixes"], suffix_blockers)
    since_rel = _with_blockers(w["since_suffixes_relative"], suffix_blockers)
    pre = _alt(w["deadline_prefixes"], "deadline_prefixes")
    not_after = re.escape(t["context"]["not_after"])

    chain = (rf"(?<![{_NUMERAL_BEFORE}{not_after}])(?P<pre>{pre})?"
             rf"(?P<body>{comp_plain}+(?:{conn}{comp_plain}+)?)"
             rf"(?:(?P<dl>{deadline_suf})|(?P<since>{since_suf})|(?P<since_rel>{since_rel}))?")

    # Plan periods: "十四五"时期.
    oq = _alt(w["open_quotes"], "open_quotes")
    cq = _alt(w["close_quotes"], "close_quotes")
    plan = (rf"(?P<plan>(?P<pq1>{oq})?(?<![{_NUMERAL_BEFORE}第])(?P<pp>{_alt(t['plan_periods'], 'plan_periods')})"
            rf"(?![{_NUMERAL_BEFORE}年个%])(?P<pq2>{cq})?"
            rf"(?:(?P<ps>{_alt(w['plan_suffixes'], 'plan_suffixes')})|(?P<psince>{since_suf}))?)")

    # Recurring: 每 + unit + details.
    wd = "[" + wd_chars + "]" + "(?!" + wd_block + ")"
    wd_sep = _alt(rec["weekday_separators"], "weekday_separators")
    wd_rng = _alt(rec["weekday_range"], "weekday_range")
    weekly_units = _alt(rec["weekly"], "weekly")
    units = {k: _alt(rec[k], k) for k in ("daily", "weekly", "monthly", "quarterly", "yearly")}
    detail = rf"(?:{comp_plain})+"
    recur = (rf"(?P<recur>{_alt(rec['prefixes'], 'prefixes')}(?:"
             rf"(?P<r_q>{units['quarterly']})(?P<r_qd>{xun})?"
             rf"|(?P<r_m>{units['monthly']})(?P<r_md>{detail})?"
             rf"|(?P<r_w>{units['weekly']})(?P<r_wd>{wd}(?:(?:{wd_sep}|{wd_rng}(?:{weekly_units})?){wd})*)?"
             rf"|(?P<r_y>{units['yearly']})(?P<r_yd>{detail})"
             rf"|(?P<r_d>{units['daily']}))"
             rf"(?P<r_dl>{deadline_suf})?)")

    top = re.compile(f"{plan}|{recur}|{chain}")

    # Anchors and start characters for the fast scan (derived from the same words).
    anchors = {"年", "代", "纪", *(x[0] for x in w["month_suffixes"]), *(x[0] for x in w["day_suffixes"]),
               *(p[-1] for p in t["plan_periods"]), *(x[0] for x in rec["prefixes"])}
    for word in [*yp_words, *t["leading_parts"]]:
        if not anchors & set(word):
            anchors.add(word[-1])
    # Words with no anchor character are anchors as a whole (冬至, 明天, 下周), so that their
    # common characters (至, 明, 周) do not each start a match attempt.
    off_words = [u + d for u in t["offsets"]["units"] for d in t["offsets"]["directions"]]
    anchor_words = [x for x in [*hol_words, *off_words, *t["relative_weeks"], *t["relative_days"],
                                *t["relative_day_parts"], *t["relative_months"], *t["relative_year_ranges"],
                                *t["relative_years"], *(p for p in t["day_periods"] if len(p) > 1)]
                    if not anchors & set(x)]
    anchor = re.compile("[" + re.escape("".join(sorted(anchors))) + "]|" + numdate.split("([-./])")[0] + "[-./]")
    # Searched apart: 5x faster than one pattern (and overlapping, see _anchored_starts).
    anchor_word = re.compile(_alt(anchor_words, "anchor words"))
    firsts = [*t["relative_years"], *w["deadline_prefixes"], *w["roc_prefixes"], *yp_words,
              *w["open_quotes"], *t["plan_periods"], *rec["prefixes"], *hol_words,
              *t["day_periods"], *t["relative_year_ranges"], *t["relative_months"], *t["relative_weeks"],
              *t["relative_days"], *t["relative_day_parts"], *t["relative_quarters"], t["current_month"]["word"], *t["centuries"], *lun["prefixes"], lun["leap"], *lun["month_names"], "前"]
    start_chars = frozenset(_CN_DIGIT + "十百两元" + cn_fold + "".join(x[0] for x in firsts))
    return _Grammar(
        top=top, token=token,
        xun={k: tuple(v) for k, v in t["xun"].items()},
        year_parts={k: tuple(v) for k, v in t["year_parts"].items()},
        year_part_ends=dict(t["year_part_ends"]),
        leading_parts=dict(t["leading_parts"]),
        relative=dict(t["relative_years"]),
        relative_ranges={k: tuple(v) for k, v in t["relative_year_ranges"].items()},
        relative_months=dict(t["relative_months"]),
        relative_weeks=dict(t["relative_weeks"]),
        relative_days=dict(t["relative_days"]),
        relative_day_parts={k: (int(v[0]), int(v[1])) for k, v in t["relative_day_parts"].items()},
        relative_quarters=dict(t["relative_quarters"]),
        offsets=dict(t["offsets"]),
        centuries=dict(t["centuries"]),
        fixed_holidays={k: tuple(int(x) for x in v.split("-")) for k, v in t["fixed_holidays"].items()},
        lunar_holidays=lunar_holidays,
        solar_terms=solar,
        solar_need_year=frozenset(st["need_year"]),
        yearless_holidays=frozenset(t["holidays_yearless"]["names"]),
        holiday_followers=tuple(t["holidays_yearless"]["followers"]),
        lunar_month_names=dict(lun["month_names"]),
        plans={k: tuple(v) for k, v in t["plan_periods"].items()},
        day_periods=dict(t["day_periods"]),
        weekdays=dict(t["weekdays"]),
        words=w,
        recurring=rec,
        range_closers=frozenset(w["range_closers"]),
        bare_month_followers=t["context"]["bare_month_followers"],
        to_prefix={"到": t["scope"]["to_prefix_after"]},
        relative_day_context=dict(t["relative_day_context"]),
        coordination=dict(t["coordination"]),
        roc_markers=tuple(w["roc_markers"]),
        roc_offset=int(w["roc_offset"]),
        two_digit_slack=int(w["two_digit_year_slack"]),
        anchor=anchor,
        anchor_word=anchor_word,
        holiday_run=re.compile(rf"(?:[、和与及]?{holidays})"),
        day_end=re.compile(rf"(?:{day_suf}|\d|{hour_suf}|分|半|[)）])(?:{deadline_suf}|{since_suf})?$"),
        start_chars=start_chars,
    )


# --- one side of a window ----------------------------------------------------------------

@dataclass
class _Side:
    year: Optional[int] = None
    year_kind: Optional[str] = None  # explicit | roc | short | two | rel | next
    rel: Optional[int] = None
    month: Optional[int] = None
    day: Optional[int] = None
    xun: Optional[tuple] = None  # (first day, last day or 0)
    ypart: Optional[tuple] = None  # (first month, last month)
    holiday: Optional[str] = None
    holiday_yearless_ok: bool = True  # False: a short name that needs a follower (国庆期间)
    lunar: Optional[tuple] = None  # (leap, month, day or None)
    decade: Optional[tuple] = None  # (century or None, century offset or None, first, last, full)
    relr: Optional[tuple] = None  # 今明两年: (first offset, last offset)
    rmonth: Optional[int] = None  # 本月/上个月/下个月
    rweek: Optional[tuple] = None  # (week offset, weekday index or None)
    rday: Optional[int] = None  # 明天/昨天
    rquarter: Optional[tuple] = None  # 本季度/上季度末: (offset, "first" | "last" | None)
    offset: Optional[tuple] = None  # 三天前: (signed count, grain)
    day_part: int = 0  # 今晚: hours added to 1-11 o'clock
    bare_day: bool = False  # 9日上午: the reference date's month
    time: Optional[tuple] = None  # (hour, minute)
    period: Optional[str] = None  # 上午/下午 of the time
    bare: Optional[int] = None  # a bare number taking the other side's unit
    first: Optional[str] = None  # type of the first token
    tokens: list = field(default_factory=list)

    @property
    def has_date(self) -> bool:
        return any(v is not None for v in (self.month, self.day, self.xun, self.ypart, self.holiday, self.lunar,
                                           self.decade, self.relr, self.rmonth, self.rweek, self.rday,
                                           self.rquarter, self.offset))

    @property
    def relative_day(self) -> bool:
        """Resolved against the reference date, not a year."""
        return (self.rmonth is not None or self.rweek is not None or self.rday is not None or self.bare_day
                or self.rquarter is not None or self.offset is not None)


@dataclass(frozen=True)
class _Ref:
    """What a year-less or relative expression resolves against."""
    year: Optional[int]  # the year in force where the expression stands (section 4)
    doc_year: Optional[int]  # reference_year: 今年, 去年, 明年 count from it
    day: Optional[date]  # the reference date: 本月25日, 下周三, 明天
    inherit: bool = False  # ``day`` is the date just before (3月5日、6日; 上午9时，下午3时)


def _hour(m: re.Match, g: _Grammar) -> Optional[tuple]:
    if m.group("t_h") is not None:
        h, mi = int(m.group("t_h")), int(m.group("t_m"))
    else:
        h = parse_digits(m.group("t_h2").replace("两", "二"))
        if h is None:
            return None
        mi = 30 if m.group("t_half") else (parse_digits(m.group("t_m2")) if m.group("t_m2") else 0)
        if mi is None:
            return None
    p = m.group("t_p")
    if p and 1 <= h <= 11:
        h += int(g.day_periods[p])
    if h == 24 and mi == 0:
        h, mi = 23, 59  # 24时 = the end of the day
    if not (0 <= h <= 23 and 0 <= mi <= 59):
        return None
    return h, mi


def _num(s: str, g: _Grammar) -> Optional[int]:
    if s == "元":
        return 1
    return _fold_numeral(s, _full_dates_grammar().fold)


_ORDER = {"y": 0, "rel": 0, "roc": 0, "relr": 0, "dec": 0, "nd": 2, "m": 1, "yp": 1, "ypn": 1, "hol": 1, "lu": 1,
          "rm": 1, "cm": 1, "rq": 1, "off": 2, "rw": 2, "rd": 2, "d": 2, "xun": 2, "wdn": 2.5, "t": 3, "tp": 3, "n": 9}
_YEARS = ("y", "rel", "roc")


def _side(tokens: list[re.Match], g: _Grammar, roc_doc: bool) -> Optional[_Side]:
    """Components -> a _Side, or None when they are not in calendar order."""
    s = _Side(tokens=tokens)
    last = -1
    prev = None
    for m in tokens:
        k = m.lastgroup
        if s.bare is not None:  # nothing follows a bare number
            return None
        lvl = _ORDER[k]
        if k != "n" and lvl <= last:
            return None
        if s.first is None:
            s.first = k
        if k == "y":
            raw = m.group("y_v")
            v = _num(raw, g)
            if v is None:
                return None
            if len(raw) == 4 and 1900 <= v <= 2100:
                s.year, s.year_kind = v, "explicit"
            elif roc_doc and 1 <= v <= 200:
                s.year, s.year_kind = v + g.roc_offset, "short"  # needs a month: checked below
            elif len(raw) == 2 and raw.isdigit():
                s.year, s.year_kind = v, "two"  # 98年4月: needs a month too
            else:
                return None
        elif k == "roc":
            v = parse_digits(m.group("roc_y"))
            if v is None or not 1 <= v <= 200:
                return None
            s.year, s.year_kind = v + g.roc_offset, "roc"
        elif k == "rel":
            r = g.relative[m.group("rel_v")]
            if r == "next":
                s.year_kind = "next"
            else:
                s.year_kind, s.rel = "rel", int(r)
        elif k == "relr":
            s.relr = g.relative_ranges[m.group("relr_v")]
        elif k == "dec":
            if prev is not None:
                return None
            s.decade = _decade_spec(m)
            if s.decade is None:
                return None
        elif k == "nd":
            if prev is not None:
                return None
            y, mo, d = int(m.group("nd_y")), int(m.group("nd_m")), int(m.group("nd_d"))
            s.year, s.year_kind, s.month, s.day = y, "explicit", mo, d
        elif k == "lu":
            if prev not in (None, *_YEARS):
                return None
            mo_raw = m.group("lu_m1") or m.group("lu_m2") or m.group("lu_m3")
            mo = g.lunar_month_names.get(mo_raw) or parse_digits(mo_raw)
            day = None
            if m.group("lu_d"):
                dr = m.group("lu_d")
                day = parse_digits(dr[1:]) if dr.startswith("初") else _num(dr, g)
                if day is None:
                    return None
            s.lunar = (bool(m.group("lu_l1") or m.group("lu_l2")), mo, day)
        elif k in ("rm", "cm"):
            if prev is not None:
                return None
            s.rmonth = int(g.relative_months[m.group("rm_v")]) if k == "rm" else 0
        elif k == "rw":
            if prev is not None:
                return None
            wd = m.group("rw_d")
            s.rweek = (int(g.relative_weeks[m.group("rw_v")]),
                       _WEEKDAYS.index(g.weekdays[wd]) if wd else None)
        elif k == "off":
            if prev is not None:
                return None
            n = _num(m.group("off_n").replace("两", "二"), g)
            if n is None or n == 0:
                return None
            s.offset = (n * int(g.offsets["directions"][m.group("off_d")]), g.offsets["units"][m.group("off_u")])
        elif k == "rq":
            if prev is not None:
                return None
            e = m.group("rq_e")
            s.rquarter = (int(g.relative_quarters[m.group("rq_v")]), g.year_part_ends[e] if e else None)
        elif k == "rd":
            if prev is not None:
                return None
            v = m.group("rd_v")
            if v in g.relative_day_parts:
                s.rday, s.day_part = g.relative_day_parts[v]
            else:
                s.rday = int(g.relative_days[v])
        elif k == "ypn":
            if prev not in (None, *_YEARS):
                return None
            n = _num(m.group("ypn_n").replace("两", "二"), g)
            if n is None:
                return None
            months = n * int(g.leading_parts[m.group("ypn_u")])
            if not 1 <= months <= 12:
                return None
            s.ypart = (1, months)
        elif k == "m":
            if prev not in (None, *_YEARS):
                return None
            s.month = _num(m.group("m_v"), g)
            if s.month is None:
                return None
        elif k == "d":
            if prev not in (None, "m", "rm"):
                return None
            s.day = _num(m.group("d_v"), g)
            if s.day is None:
                return None
            if prev is None:
                s.bare_day = True
        elif k == "wdn":
            if prev != "d":
                return None
        elif k == "xun":
            v = m.group("xun_v")
            if prev in _YEARS:
                if v not in g.year_parts:
                    return None
                s.ypart = g.year_parts[v]
            elif prev in (None, "m", "rm", "cm"):
                s.xun = g.xun[v]
            else:
                return None
        elif k == "yp":
            if prev not in (None, *_YEARS):
                return None
            v = m.group("yp_v")
            s.ypart = g.year_parts[v[1:]] if v[1:] in g.year_parts and v[0] == "年" and len(v) == 2 else g.year_parts[v]
            e = m.group("yp_e")
            if e:
                a, b = s.ypart
                s.ypart = (a, a) if g.year_part_ends[e] == "first" else (b, b)
        elif k == "hol":
            if prev not in (None, *_YEARS):
                return None
            h = m.group("hol_v")
            if prev is None:
                if g.solar_terms.get(h) in g.solar_need_year:
                    return None
                s.holiday_yearless_ok = h in g.yearless_holidays
            s.holiday = h
        elif k in ("t", "tp"):
            if prev not in (None, "d", "nd", "wdn", "rd", "rw"):
                return None
            if k == "t":
                s.time = _hour(m, g)
                if s.time is None:
                    return None
                s.period = m.group("t_p")
                if s.day_part and s.period is None and 1 <= s.time[0] <= 11:
                    s.time = (s.time[0] + s.day_part, s.time[1])  # 今晚8点
            else:
                s.period = m.group("tp_v")
        elif k == "n":
            if prev not in (None, *_YEARS, "m"):
                return None
            s.bare = parse_digits(m.group("n_v"))
            if s.bare is None:
                return None
        last = lvl
        prev = k
    if s.year_kind in ("short", "two") and s.month is None:
        return None
    if s.rweek is not None and s.rweek[1] is None and s.time is not None:
        return None
    return s


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _decade_spec(m: re.Match) -> Optional[tuple]:
    """(century number or None, century offset word or None, first year digits, last, full year)."""
    cw = m.group("dc_cw") or m.group("dc_cw2")
    cn = m.group("dc_cn") or m.group("dc_cn2")
    g = grammar()
    century = parse_digits(cn) if cn else None
    offset = g.centuries[cw] if cw else None
    if m.group("dc_y"):
        y = int(m.group("dc_y"))
        return (None, None, y, y + 9, True)
    if m.group("dc_a"):
        v = parse_digits(m.group("dc_a"))
        return (century, offset, v, v + 9, False)
    if m.group("dc_b1"):
        a, b = parse_digits(m.group("dc_b1")) * 10, parse_digits(m.group("dc_b2")) * 10
        if b <= a:
            return None
        return (century, offset, a, b + 9, False)
    return (century, offset, None, None, False)  # a whole century


def _decade_years(spec: tuple, ref_year: Optional[int], century_hint: Optional[int] = None) -> Optional[tuple[int, int]]:
    century, offset, a, b, full = spec
    if full:
        return a, b
    if century is None and offset is not None:
        if ref_year is None:
            return None  # 本世纪 in a text of unknown date
        century = (ref_year - 1) // 100 + 1 + offset
    if century is None:
        century = century_hint
    if a is None:  # 21世纪 = 2001..2100
        if century is None or not 1 <= century <= 30:
            return None
        return (century - 1) * 100 + 1, century * 100
    if century is None:  # 80年代: the latest such decade that has begun
        now = ref_year if ref_year is not None else 2001
        start = 2000 + a if 2000 + a <= now else 1900 + a
        return start, start + (b - a)
    if not 1 <= century <= 30:
        return None
    return (century - 1) * 100 + a, (century - 1) * 100 + b


def _last_day(y: int, m: int) -> int:
    return calendar.monthrange(y, m)[1]


@cache
def _lunar_interval(y: int, leap: bool, mo: int, day: Optional[int]) -> Optional[tuple[date, date]]:
    """Gregorian bounds of lunar month ``mo`` (day ``day``) of lunar year ``y`` (lunar-python)."""
    from lunar_python import Lunar, LunarYear
    if not (1 <= mo <= 12 and 1900 <= y <= 2100):
        return None
    ly = LunarYear.fromYear(y)
    if leap and ly.getLeapMonth() != mo:
        return None
    month = ly.getMonth(-mo if leap else mo)
    if month is None:
        return None
    n = month.getDayCount()
    if day == 0:
        day = n
    if day is not None and not 1 <= day <= n:
        return None
    first = Lunar.fromYmd(y, -mo if leap else mo, day or 1).getSolar()
    a = date(first.getYear(), first.getMonth(), first.getDay())
    if day is not None:
        return a, a
    return a, date.fromordinal(a.toordinal() + n - 1)


@cache
def _solar_terms(y: int) -> dict[str, date]:
    """The Gregorian dates of the 24 solar terms of year ``y`` (lunar-python)."""
    from lunar_python import Lunar
    out = {}
    for ly in (y, y + 1):
        for k, v in Lunar.fromYmd(ly, 1, 1).getJieQiTable().items():
            if v.getYear() == y and k not in out:
                out[k] = date(v.getYear(), v.getMonth(), v.getDay())
    return out


def _solar_term(y: int, name: str) -> Optional[date]:
    return _solar_terms(y).get(name) if 1900 <= y <= 2100 else None


def _holiday(h: str, y: int, g: _Grammar) -> Optional[date]:
    if h in g.fixed_holidays:
        mo, d = g.fixed_holidays[h]
        return date(y, mo, d)
    if h in g.lunar_holidays:
        mo, d = g.lunar_holidays[h]
        iv = _lunar_interval(y, False, mo, d)
        return iv[0] if iv else None
    return _solar_term(y, g.solar_terms[h])


def _relative_days(s: _Side, today: date) -> Optional[tuple[date, date]]:
    if s.rday is not None:
        d = date.fromordinal(today.toordinal() + s.rday)
        return d, d
    if s.rweek is not None:
        off, wd = s.rweek
        monday = today.toordinal() - today.weekday() + 7 * off
        if wd is None:
            return date.fromordinal(monday), date.fromordinal(monday + 6)
        d = date.fromordinal(monday + wd)
        return d, d
    if s.offset is not None:
        n, grain = s.offset
        if grain == "day":
            d = date.fromordinal(today.toordinal() + n)
            return d, d
        if grain == "week":
            monday = today.toordinal() - today.weekday() + 7 * n
            return date.fromordinal(monday), date.fromordinal(monday + 6)
        if grain == "month":
            y, mo = divmod(today.year * 12 + today.month - 1 + n, 12)
            return date(y, mo + 1, 1), date(y, mo + 1, _last_day(y, mo + 1))
        return date(today.year + n, 1, 1), date(today.year + n, 12, 31)
    if s.rquarter is not None:
        off, end = s.rquarter
        y, q = divmod(today.year * 4 + (today.month - 1) // 3 + off, 4)
        m1, m2 = 3 * q + 1, 3 * q + 3
        if end == "first":
            m2 = m1
        elif end == "last":
            m1 = m2
        return date(y, m1, 1), date(y, m2, _last_day(y, m2))
    if s.rmonth is not None:
        k = today.year * 12 + today.month - 1 + s.rmonth
        y, mo = divmod(k, 12)
        mo += 1
    else:  # a bare day: the reference date's month
        y, mo = today.year, today.month
    if s.day is not None:
        d = date(y, mo, s.day)
        return d, d
    if s.xun is not None:
        d1, d2 = s.xun
        return date(y, mo, d1), date(y, mo, d2 or _last_day(y, mo))
    return date(y, mo, 1), date(y, mo, _last_day(y, mo))


def _interval(s: _Side, y: int, g: _Grammar, today: Optional[date] = None) -> Optional[tuple[str, str]]:
    """Inclusive ISO bounds of side ``s`` in year ``y``; None if not a real date."""
    try:
        if s.relative_day:
            if today is None:
                return None
            a, b = _relative_days(s, today)
        elif s.holiday is not None:
            a = b = _holiday(s.holiday, y, g)
            if a is None:
                return None
        elif s.lunar is not None:
            iv = _lunar_interval(y, *s.lunar)
            if iv is None:
                return None
            a, b = iv
        elif s.ypart is not None:
            m1, m2 = s.ypart
            a, b = date(y, m1, 1), date(y, m2, _last_day(y, m2))
        elif s.month is None:
            a, b = date(y, 1, 1), date(y, 12, 31)
        elif not 1 <= s.month <= 12:
            return None
        elif s.day is not None:
            a = b = date(y, s.month, s.day)
        elif s.xun is not None:
            d1, d2 = s.xun
            a, b = date(y, s.month, d1), date(y, s.month, d2 or _last_day(y, s.month))
        else:
            a, b = date(y, s.month, 1), date(y, s.month, _last_day(y, s.month))
    except ValueError:
        return None
    sa, sb = a.isoformat(), b.isoformat()
    if s.time is not None:
        hm = f"T{s.time[0]:02d}:{s.time[1]:02d}"
        sa, sb = sa + hm, sb + hm
    return sa, sb


def _resolve_year(s: _Side, ref: _Ref, start_year: Optional[int], g: _Grammar) -> Optional[tuple[int, bool]]:
    """(year, inferred) of a side that carries its own year word, or None."""
    if s.year_kind in ("explicit", "roc", "short"):
        return s.year, False
    if s.year_kind == "two":
        now = ref.doc_year if ref.doc_year is not None else 2000
        return (2000 + s.year if s.year <= now % 100 + g.two_digit_slack else 1900 + s.year), False
    if s.year_kind == "rel":
        return (ref.doc_year + s.rel, True) if ref.doc_year is not None else None
    if s.year_kind == "next":
        return (start_year + 1, False) if start_year is not None else None
    return None


@dataclass(frozen=True)
class _Resolved:
    start: str
    end: str
    inferred: bool
    bare_year: bool  # only a year (or years): a window only in a range or open window
    is_range: bool = False


def _inherit_date(s: _Side, ref: _Ref) -> None:
    """A time of day or a bare day right after a date takes that date (its month)."""
    if ref.inherit and s.first in ("t", "tp") and s.time is not None and s.period is not None:
        s.rday = 0  # (a part of the day alone, 、下午, stays no window)


def _single(s: _Side, ref: _Ref, g: _Grammar) -> Optional[_Resolved]:
    _inherit_date(s, ref)
    if s.bare is not None or (s.first in ("t", "tp", "wdn") and s.rday is None):
        return None
    if s.time is not None and s.day is None and s.rday is None and (s.rweek is None or s.rweek[1] is None):
        return None
    if s.bare_day and s.time is None and s.period is None and not ref.inherit:
        return None  # 30日内: a bare day alone is a date only with a time of day (9日上午)
    if s.relative_day:
        iv = _interval(s, 0, g, ref.day)
        return _Resolved(iv[0], iv[1], True, False) if iv else None
    if s.decade is not None:
        yy = _decade_years(s.decade, ref.doc_year)
        return _Resolved(f"{yy[0]}-01-01", f"{yy[1]}-12-31", False, False) if yy else None
    if s.relr is not None:
        if ref.doc_year is None:
            return None
        a, b = s.relr
        return _Resolved(f"{ref.doc_year + a}-01-01", f"{ref.doc_year + b}-12-31", True, False, True)
    if s.year_kind is None:
        if ref.year is None or not s.has_date:
            return None
        y, inferred = ref.year, True
    else:
        r = _resolve_year(s, ref, None, g)
        if r is None:
            return None
        y, inferred = r
    if s.day is not None and s.month is None:
        return None
    if s.xun is not None and s.month is None:
        return None
    iv = _interval(s, y, g)
    if iv is None:
        return None
    return _Resolved(iv[0], iv[1], inferred, not s.has_date)


def _range(left: _Side, right: _Side, ref: _Ref, g: _Grammar) -> Optional[_Resolved]:
    # A bare number on the left takes the unit of the right side's first component.
    if left.bare is not None:
        n = left.bare
        f = right.first
        if f == "y" and right.year_kind == "explicit" and 1900 <= n <= 2100:
            left.year, left.year_kind = n, "explicit"
        elif f == "m" and left.month is None and left.day is None:
            left.month = n
        elif f == "d" and left.month is not None and left.day is None:
            left.day = n
        else:
            return None
        left.bare = None
    _inherit_date(left, ref)
    if left.decade is not None or right.decade is not None:
        if left.decade is None or right.decade is None:
            return None
        ly = _decade_years(left.decade, ref.doc_year)
        if ly is None:
            return None
        hint = left.decade[0] if left.decade[0] is not None else (
            (ly[0] - 1) // 100 + 1 if left.decade[2] is not None else None)
        ry = _decade_years(right.decade, ref.doc_year, hint if right.decade[0] is None and right.decade[1] is None else None)
        if ry is None or ry[1] < ly[0]:
            return None
        return _Resolved(f"{ly[0]}-01-01", f"{ry[1]}-12-31", False, False)
    if left.relr is not None or right.relr is not None:
        return None
    if right.first in ("t",) and left.day is None and left.rday is None and left.rweek is None:
        return None
    if left.bare_day and left.month is None and not left.relative_day:
        return None
    # Times of day: the right end takes the left's date, and its 下午 (3:00至5:00 → 17:00).
    if right.first == "t":
        right.month, right.day, right.rday, right.rweek, right.rmonth = (
            left.month, left.day, left.rday, left.rweek, left.rmonth)
        right.bare_day = left.bare_day
        if right.period is None and left.period is not None and right.time and right.time[0] < 12 \
                and int(g.day_periods[left.period]) == 12 and left.time and left.time[0] >= 12:
            right.time = (right.time[0] + 12, right.time[1])
    if right.first in ("d", "xun") and right.ypart is None:
        if left.month is None and left.rmonth is None:
            return None
        right.month, right.rmonth = left.month, left.rmonth
        right.bare_day = False
    for sd in (left, right):
        if (sd.xun is not None or sd.day is not None) and sd.month is None and not sd.relative_day:
            return None  # 底到2020-05-26: a part of no month
    if left.relative_day or right.relative_day:
        if ref.day is None:
            return None
        li = _interval(left, 0, g, ref.day) if left.relative_day else None
        ri = _interval(right, 0, g, ref.day) if right.relative_day else None
        if li is None or ri is None:
            return None
        if ri[1] < li[0]:
            return None
        return _Resolved(li[0], ri[1], True, False)
    # Years.
    inferred = False
    if left.year_kind in (None, "next"):
        if left.year_kind == "next":
            return None
        if right.year_kind in ("explicit", "roc", "short", "two", "rel"):
            r = _resolve_year(right, ref, None, g)
            if r is None:
                return None
            ly, inferred = r
            if left.month and right.month and left.month > right.month:
                ly -= 1
        elif ref.year is not None:
            ly, inferred = ref.year, True
        else:
            return None
        if not left.has_date:
            return None
    else:
        r = _resolve_year(left, ref, None, g)
        if r is None:
            return None
        ly, inferred = r
    right_inherited = right.year_kind is None
    if right_inherited:
        ry = ly
    else:
        r = _resolve_year(right, ref, ly, g)
        if r is None:
            return None
        ry, inf2 = r
        inferred = inferred or inf2
    if right_inherited and not right.has_date and right.time is None:
        return None
    li, ri = _interval(left, ly, g), _interval(right, ry, g)
    if li is None or ri is None:
        return None
    if right_inherited and ri[0] < li[0] and (right.month is not None or right.ypart is not None) and right.first != "t":
        ri = _interval(right, ry + 1, g)  # 11月至2月: into the next year
        if ri is None:
            return None
    if ri[1] < li[0]:
        return None
    return _Resolved(li[0], ri[1], inferred, not left.has_date and not right.has_date)


def _recurring_rule(m: re.Match, g: _Grammar, roc_doc: bool) -> Optional[str]:
    rec = g.recurring
    before = m.group("r_dl") is not None
    if m.group("r_d"):
        return "daily"
    if m.group("r_q"):
        x = m.group("r_qd")
        return "quarterly" + (f":{'end' if x in ('底', '末') else 'start' if x == '初' else x}" if x else "")
    if m.group("r_w"):
        days = m.group("r_wd")
        if not days:
            return "weekly"
        names, rng = [], False
        for ch in days:
            if ch in g.weekdays:
                names.append(g.weekdays[ch])
            elif any(ch == r[:1] for r in rec["weekday_range"]):
                rng = True
        if rng and len(names) == 2:
            return f"weekly:{names[0]}-{names[1]}"
        return "weekly:" + ",".join(names)
    detail = m.group("r_md") if m.group("r_m") else m.group("r_yd")
    if m.group("r_m"):
        if not detail:
            return "monthly"
        toks = _tokens(detail, g)
        if toks is None or len(toks) != 1:
            return None
        t = toks[0]
        if t.lastgroup == "d":
            d = parse_digits(t.group("d_v"))
            if d is None or not 1 <= d <= 31:
                return None
            return f"monthly:day<={d}" if before else f"monthly:day={d}"
        if t.lastgroup == "xun":
            a, b = g.xun[t.group("xun_v")]
            last = b or "end"
            return f"monthly:day<={last}" if before else f"monthly:day={a}-{last}"
        return None
    # yearly: 每年 + a date within the year.
    toks = _tokens(detail, g)
    if toks is None:
        return None
    s = _side(toks, g, roc_doc)
    if s is None or s.year_kind is not None or not s.has_date or s.bare is not None or s.relative_day \
            or s.lunar is not None or s.decade is not None or s.relr is not None:
        return None
    iv = _interval(s, 2001, g) if s.holiday is None else None
    if iv is None:
        return f"yearly:{s.holiday}" if s.holiday else None
    a, b = iv[0][5:], iv[1][5:]
    if before:
        return f"yearly:<={b}"
    return f"yearly:{a}" if a == b else f"yearly:{a}..{b}"


def _tokens(body: str, g: _Grammar) -> Optional[list[re.Match]]:
    out, pos = [], 0
    while pos < len(body):
        m = g.token.match(body, pos)
        if m is None or m.end() == pos:
            return None
        out.append(m)
        pos = m.end()
    return out


def _is_han(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff"


def _chain(m: re.Match, ref: _Ref, g: _Grammar, roc_doc: bool):
    """(kind, start, end, inferred, text end) of a chain match, or None."""
    body_start = m.start("body")
    toks = _tokens(m.group("body"), g)
    if toks is None:
        return None
    end = m.end("body")
    suffix_ok = True
    # Two holidays in a row (元旦春节期间) are two windows: this one ends at the first.
    for i in range(len(toks) - 1):
        if toks[i].lastgroup == "hol" and toks[i + 1].lastgroup == "hol":
            toks = toks[:i + 1]
            end = body_start + toks[-1].end()
            suffix_ok = False
            break
    conns = [i for i, t in enumerate(toks) if t.lastgroup == "conn"]
    if len(conns) > 1:
        return None
    sides = []
    if conns:
        i = conns[0]
        left, right = _side(toks[:i], g, roc_doc), _side(toks[i + 1:], g, roc_doc)
        if left is None or right is None or not toks[:i] or not toks[i + 1:]:
            return None
        sides = [left, right]
        r = _range(left, right, ref, g)
        is_range = True
    else:
        s = _side(toks, g, roc_doc)
        if s is None:
            return None
        sides = [s]
        r = _single(s, ref, g)
        is_range = False
    if r is None:
        return None
    text = m.string
    nxt = text[end:end + 1]
    if ref.inherit and nxt and nxt in g.coordination["not_before"]:
        return None  # 3月5日，6日内: a duration
    dl, since, since_rel = (m.group("dl"), m.group("since"), m.group("since_rel")) if suffix_ok else (None, None, None)
    if not (dl or since or since_rel) and nxt and nxt in _NUMERAL_AFTER:
        return None  # 一月一调度, 2020年6月3…: a numeral goes on, so this is no date
    for s in sides:
        if s.holiday is not None and not s.holiday_yearless_ok:
            after = body_start + s.tokens[-1].end()
            while True:  # 中秋国庆期间, 中秋、国庆期间: the follower comes after the last one
                nxt_hol = g.holiday_run.match(text, after)
                if nxt_hol is None or nxt_hol.end() == after:
                    break
                after = nxt_hol.end()
            if not any(text.startswith(f, after) for f in g.holiday_followers):
                return None  # 国庆 alone: only 国庆期间, 2021年国庆
    if not conns and len(toks) == 1 and toks[0].lastgroup == "m" and not toks[0].group("m_v").isdigit():
        if not (dl or since) and nxt and _is_han(nxt) and nxt not in g.bare_month_followers:
            return None  # 十月稻田, 五月花: a name, not a month
    if not conns and len(toks) == 1 and toks[0].lastgroup == "rd" and not (dl or since):
        rc = g.relative_day_context
        before = text[m.start() - 1] if m.start() else ""
        if (before and before in rc["not_after"]) or any(text.startswith(w, end) for w in rc["not_before"]):
            return None  # 美好的明天: rhetoric
    if toks[0].lastgroup == "off" and m.start() > 0 and text[m.start() - 1] not in _scope_rules().openers:
        return None  # 毕业三年后: counted from an event
    if toks[0].lastgroup == "ypn" and m.start() > 0 and _is_han(text[m.start() - 1]) and not m.group("pre"):
        return None  # 入职前三个月: a span of something else, not of the year
    rel_only = not conns and toks[0].lastgroup == "rel" and len(toks) == 1
    pre = m.group("pre")
    if pre and pre in g.to_prefix and m.start() > 0:
        c = text[m.start() - 1]
        if _is_han(c) and c not in g.to_prefix[pre]:
            return None  # 达到2020年标准: no deadline
    if pre:
        return "deadline", None, r.end, r.inferred, (m.end("dl") if dl else end)
    if is_range or r.is_range:
        if dl in g.range_closers and is_range:
            return "range", r.start, r.end, r.inferred, m.end("dl")
        return "range", r.start, r.end, r.inferred, end
    if dl:
        return "deadline", None, r.end, r.inferred, m.end("dl")
    if since or (since_rel and rel_only):
        grp = "since" if since else "since_rel"
        return "since", r.start, None, r.inferred, m.end(grp)
    if r.bare_year:
        return None
    return "point", r.start, r.end, r.inferred, end


def _is_roc_doc(text: str, g: _Grammar) -> bool:
    return any(mk in text for mk in g.roc_markers)


def _names_a_plan(text: str, end: int, g: _Grammar) -> bool:
    """A bare plan period followed by a noun ("十四五"规划) is the plan's name, not a window."""
    rest = text[end:end + 8].lstrip("".join(g.words["close_quotes"]) + " \u3000")
    if not rest or not ("\u4e00" <= rest[0] <= "\u9fff"):
        return False
    return not rest.startswith(tuple(g.words["plan_period_followers"]))


def _item(m: re.Match, text: str, ref: _Ref, g: _Grammar, roc_doc: bool) -> Optional[DateWindow]:
    """The window a top-level match stands for, or None when it is not one."""
    if m.group("plan") is not None:
        y1, y2 = g.plans[m.group("pp")]
        quoted = bool(m.group("pq1") and m.group("pq2"))
        s = m.start("plan") if quoted else m.start("pp")
        e = m.end("plan") if quoted or m.group("ps") or m.group("psince") else m.end("pp")
        if m.group("psince"):
            return DateWindow(text[s:e], (s, e), "since", f"{y1}-01-01", None)
        if not m.group("ps") and _names_a_plan(text, e, g):
            return None
        return DateWindow(text[s:e], (s, e), "range", f"{y1}-01-01", f"{y2}-12-31")
    if m.group("recur") is not None:
        rule = _recurring_rule(m, g, roc_doc)
        if rule is None:
            return None
        s, e = m.span("recur")
        return DateWindow(text[s:e], (s, e), "recurring", None, None, rule=rule)
    r = _chain(m, ref, g, roc_doc)
    if r is None:
        return None
    kind, a, b, inferred, e = r
    s = m.start()
    return DateWindow(text[s:e], (s, e), kind, a, b, year_inferred=inferred)


# --- the year in force where an expression stands (contract section 4) -------------------

@dataclass(frozen=True)
class _ScopeRules:
    year: re.Pattern  # an explicit year (2023年, 二〇二三年)
    mention: re.Pattern  # an explicit or relative year (2023年, 今年) in a sentence
    relative: dict
    openers: frozenset
    heading: re.Pattern  # a heading line's marker and text
    unmarked: re.Pattern  # a short line that opens with a year: 2023年工作回顾
    words: dict  # heading words -> offset from the reference year
    word_re: re.Pattern
    sentence_ends: str
    max_length: int
    max_unmarked: int


@cache
def _scope_rules() -> _ScopeRules:
    t = rules.table(_RULES)
    hm = t["heading_markers"]
    n = "[一二三四五六七八九十]{1,3}"

    def markers(key):
        return "|".join(re.escape(x).replace(re.escape("{n}"), n) for x in hm[key])
    ends = "".join(re.escape(x) for x in hm["ends"])
    heading = re.compile(rf"^[ \t]*(?:(?P<h1>{markers('level1')})|(?P<h2>{markers('level2')}))[ \t]*(?P<text>[^\n{ends}]*)", re.M)
    year = re.compile(rf"(?<![\d{_CN_DIGIT}])(?P<y>(?:19|20)\d\d|[{_CN_DIGIT}]{{4}})(?=年)")
    words = dict(t["heading_years"])
    unmarked = re.compile(rf"^[ \t]*(?P<text>(?:(?:19|20)\d\d年|{_alt(words, 'heading_years')})[^\n{ends}。，,！？!?]*?)[ \t]*$", re.M)
    rel = {k: int(v) for k, v in t["relative_years"].items() if v != "next"}
    mention = re.compile(rf"(?<![\d{_CN_DIGIT}])(?:(?P<y>(?:19|20)\d\d|[{_CN_DIGIT}]{{4}})年|(?P<r>{_alt(rel, 'relative_years')}))")
    return _ScopeRules(year, mention, rel, frozenset(t["scope"]["clause_openers"]), heading, unmarked, words,
                       re.compile(_alt(words, "heading_years")), "。！？!?\n", int(hm["max_length"]),
                       int(hm["max_unmarked_length"]))


def _explicit_year(s: str) -> Optional[int]:
    v = parse_digits(s)
    return v if v is not None and 1900 <= v <= 2100 else None


class _YearScope:
    """The year in force at a position: an explicit year earlier in its sentence, else its
    section heading's, else the reference year. Sentences are read on demand; headings once."""

    def __init__(self, text: str, ref_year: Optional[int]):
        self.text = text
        self.ref_year = ref_year
        self.points: Optional[list[tuple[int, Optional[int]]]] = None
        self.point_pos: list[int] = []

    def _sentence_year(self, pos: int) -> Optional[int]:
        sr, text, g = _scope_rules(), self.text, grammar()
        start = max(text.rfind(c, 0, pos) for c in sr.sentence_ends) + 1
        found = None
        for m in sr.mention.finditer(text, start, pos):
            if m.group("y"):
                y = _explicit_year(m.group("y"))
            else:
                y = self.ref_year + sr.relative[m.group("r")] if self.ref_year is not None else None
            if y is None:
                continue
            s = m.start()
            if s > 0 and text[s - 1] not in sr.openers:
                after = g.token.match(text, m.end())
                if after is None or after.lastgroup in ("conn", "n", "t", "tp", "wdn", "rel", "y"):
                    if not any(text.startswith(w, m.end()) for w in g.words["since_suffixes"]):
                        continue  # 对2019年“国考”…: a year that qualifies a noun
            found = y
        return found

    def _headings(self) -> None:
        sr, text, ref_year = _scope_rules(), self.text, self.ref_year
        heads = [(m.start(), 0, m.group("text")) for m in sr.unmarked.finditer(text)
                 if len(m.group("text")) <= sr.max_unmarked]
        heads += [(m.start(), 1 if m.group("h1") else 2, m.group("text")) for m in sr.heading.finditer(text)
                  if len(m.group("text")) <= sr.max_length]
        levels: list[Optional[int]] = [None, None, None]
        self.points = []
        for start, level, htext in sorted(heads):
            hy = None
            ym = sr.year.search(htext)
            if ym:
                hy = _explicit_year(ym.group("y"))
            elif ref_year is not None:
                wm = sr.word_re.search(htext)
                if wm:
                    hy = ref_year + int(sr.words[wm.group()])
            levels[level:] = [hy] + [None] * (2 - level)
            self.points.append((start, next((y for y in reversed(levels) if y is not None), None)))
        self.point_pos = [p for p, _y in self.points]

    def year_at(self, pos: int) -> Optional[int]:
        y = self._sentence_year(pos)
        if y is not None:
            return y
        if self.points is None:
            self._headings()
        k = bisect_right(self.point_pos, pos) - 1
        if k >= 0 and self.points[k][1] is not None:
            return self.points[k][1]
        return self.ref_year


# Every window has an anchor character (年 月 日 号 五 每 …, or the digits of 2020-06-11)
# at most MAX_PREFIX characters after its start (截止到中华民国一百零一年 = 11).
MAX_PREFIX = 20


def _all_starts(text: str, g: _Grammar):
    """Every position: the reference scan the fast one must equal (see the tests)."""
    return range(len(text))


def _anchored_starts(text: str, g: _Grammar):
    """Positions that can start a window: a start character shortly before an anchor."""
    tried = -1
    can_start = g.start_chars
    anchors = (a.start() for a in g.anchor.finditer(text))
    words, search, at = [], g.anchor_word.search, 0
    while (w := search(text, at)) is not None:  # overlapping: 三天前天 holds 天前 and 前天
        words.append(w.start())
        at = w.start() + 1
    for ai in (heapq.merge(anchors, words) if words else anchors):
        for s in range(max(tried + 1, ai - MAX_PREFIX), ai + 1):
            c = text[s]
            if c in can_start or c.isdecimal():
                yield s
        if ai > tried:
            tried = ai


def _day_of(w: DateWindow) -> Optional[tuple[int, date, bool]]:
    """(end, day, year_inferred) of a window that ends on one day, for the dates after it."""
    if w.kind == "recurring":
        return None
    if w.kind == "point" and w.start[:10] != w.end[:10]:
        return None
    if not grammar().day_end.search(w.text):
        return None  # 今明两年, 6月: not a day
    iso = w.end or w.start
    return w.span[1], date.fromisoformat(iso[:10]), w.year_inferred


def _scan(text: str, reference_year: Optional[int], starts, reference_date: Optional[date] = None) -> list[DateWindow]:
    g = grammar()
    roc_doc = _is_roc_doc(text, g)
    match = g.top.match
    out: list[DateWindow] = []
    pos = 0
    scope = None
    doc_ref = _Ref(reference_year, reference_year, reference_date)
    co = g.coordination
    last = None  # (end, date of the last window's day, year_inferred) for coordinated dates
    for s in starts(text, g):
        if s < pos:
            continue
        m = match(text, s)
        if m is None:
            continue
        item = _item(m, text, doc_ref, g, roc_doc)
        if item is None and last is not None and 0 < s - last[0] <= 3:
            gap = text[last[0]:s]
            if all(c in co["days"] or c in co["times"] for c in gap):
                item = _item(m, text, _Ref(reference_year, reference_year, last[1], inherit=True), g, roc_doc)
                if item is not None:
                    first = g.token.match(m.group("body") or "")
                    if first is None or (first.lastgroup == "d" and not all(c in co["days"] for c in gap)) \
                            or first.lastgroup not in ("d", "t", "tp"):
                        item = None  # 3月5日，6日召开: only 、和及 join bare days
                    else:
                        item = replace(item, year_inferred=last[2])
        if item is not None and item.year_inferred and reference_year is not None:
            if scope is None:
                scope = _YearScope(text, reference_year)
            y = scope.year_at(s)  # a nearer year in force (section 4)
            if y != reference_year:
                item = _item(m, text, _Ref(y, reference_year, reference_date), g, roc_doc)
        if item is not None:
            out.append(item)
            pos = item.span[1]
            last = _day_of(item)
    return out


def extract_text(text: str, reference_year: Optional[int], reference_date: Optional[date] = None) -> list[DateWindow]:
    """Date windows of ``text`` (the Doc-free core, used by tests and the benchmark).

    Year-less expressions take the year in force (``_YearScope``), relative ones
    (本月25日, 下周三, 明天) ``reference_date``; without them they yield nothing.
    A candidate that is not a window (a bare year, 2月30日) does not hide a later one
    starting inside it: the scan moves on by one position, not past the candidate.
    """
    return _scan(text, reference_year, _anchored_starts, reference_date)


def extract(doc, ctx) -> list[DateWindow]:
    """Contract section 4 on ``doc.text``: year-less dates take the year in force (else
    ``ctx.reference_year``), relative ones the issue date, else ``ctx.reference_date``."""
    ref_date = ctx.reference_date
    if ctx.metadata.issue_date:
        try:
            ref_date = date.fromisoformat(ctx.metadata.issue_date[:10])
        except ValueError:
            pass
    return extract_text(text_of(doc), ctx.reference_year, ref_date)


# --- complete calendar dates (the metadata's issue_date reads these) ----------------------

@dataclass(frozen=True)
class _FullDates:
    pattern: re.Pattern
    roc_numeric: re.Pattern
    fold: dict
    roc_prefixes: tuple


@cache
def _full_dates_grammar() -> _FullDates:
    t = rules.table(_RULES)
    w = t["words"]
    fold = dict(t["numeral_folds"])
    extra = "".join(sorted(fold))
    cn = _CN_DIGIT + "十百" + extra
    sp = "[ \u3000]?"
    roc = _alt(w["roc_prefixes"], "roc_prefixes")
    day_suf = _alt(w["day_suffixes"], "day_suffixes")
    month_suf = _alt([x for x in w["month_suffixes"] if x.endswith("月")], "month_suffixes")
    year = rf"(?P<y>\d{{1,4}}|[{cn}]{{1,5}})"
    month = rf"(?P<m>\d{{1,2}}|[{cn}]{{1,3}})"
    day = rf"(?P<d>\d{{1,2}}|[{cn}]{{1,4}})"
    written = rf"(?:(?P<roc>{roc}){sp})?{year}{sp}年{sp}{month}{sp}{month_suf}{sp}{day}{sp}{day_suf}"
    numeric = r"(?P<ny>(?:19|20)\d\d)(?P<ns>[-./])(?P<nm>\d{1,2})(?P=ns)(?P<nd>\d{1,2})(?![\d.])"
    before = f"(?<![0-9{cn}])"
    pattern = re.compile(f"{before}(?:{numeric}|{written})")
    roc_numeric = re.compile(r"(?<![\d./-])(?P<ny>\d{2,3})(?P<ns>[./-])(?P<nm>\d{1,2})(?P=ns)(?P<nd>\d{1,2})(?![\d./-])")
    return _FullDates(pattern, roc_numeric, fold, tuple(w["roc_prefixes"]))


def _fold_numeral(s: str, fold: dict) -> Optional[int]:
    if any(c in fold for c in s):
        s = "".join(fold.get(c, c) for c in s)
    if s.isdigit():
        return int(s)
    return parse_digits(s)


def _iso(y: int, m: int, d: int) -> Optional[str]:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def full_dates(text: str, roc: bool = False) -> list[tuple[int, int, str]]:
    """Every complete calendar date in ``text`` as (start, end, ISO date), in text order.

    Any written form: 2020年7月28日, 二〇二〇年七月二十八日, 二〇二〇年七月廿八日, 2020-07-28,
    2020/7/28, 2020.7.28, spaces between the parts (2020 年 7 月 28 日); the ROC calendar
    after 中华民国/民国 (中华民国102年1月4日 → 2013-01-04) and, with ``roc=True`` or in a
    text that names the ROC calendar, 2-3 digit years on their own (102年1月4日, 102/1/4).
    ``text[start:end]`` is the date as written. Impossible dates (2月30日) are skipped.
    """
    g = grammar()
    fg = _full_dates_grammar()
    roc_doc = roc or _is_roc_doc(text, g)
    out: list[tuple[int, int, str]] = []
    for m in fg.pattern.finditer(text):
        if m.group("ny"):
            iso = _iso(int(m.group("ny")), int(m.group("nm")), int(m.group("nd")))
        else:
            raw = m.group("y")
            y = _fold_numeral(raw, fg.fold)
            mo = _fold_numeral(m.group("m"), fg.fold)
            d = _fold_numeral(m.group("d"), fg.fold)
            if y is None or mo is None or d is None:
                continue
            if m.group("roc") or (roc_doc and len(raw) < 4 and 1 <= y <= 200):
                if not 1 <= y <= 200:
                    continue
                y += g.roc_offset
            elif not (len(raw) == 4 and 1900 <= y <= 2100):
                continue
            iso = _iso(y, mo, d)
        if iso is not None:
            out.append((m.start(), m.end(), iso))
    if roc_doc:
        for m in fg.roc_numeric.finditer(text):
            iso = _iso(int(m.group("ny")) + g.roc_offset, int(m.group("nm")), int(m.group("nd")))
            if iso is not None and not any(s < m.end() and m.start() < e for s, e, _ in out):
                out.append((m.start(), m.end(), iso))
        out.sort()
    return out
