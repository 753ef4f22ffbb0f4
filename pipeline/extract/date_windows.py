"""Date windows (contract section 4): every time expression read into a calendar interval.

One pass of one compiled pattern over ``doc.text`` finds three kinds of candidates:

* a **chain** — ``[截至] date [connector date] [suffix]`` where a *date* is a run of
  components (year, month, day, 旬/初/底/末, part of a year, holiday, time of day, or a bare
  number that takes its unit from the other side of a range: 1-3月, 2021-2025年);
* a **plan period** — 十三五, "十四五"时期 (table in rules);
* a **recurring schedule** — 每月20日前, 每周四, 每季度 (kind ``recurring`` with a ``rule``).

Each candidate's components are then tokenised again with named groups and resolved in
Python: the right side of a range inherits the year/month it omits from the left, a
year-less left side takes the right side's year, 次年 is the year after the start, and a
year-less expression takes ``ctx.reference_year`` (``year_inferred``). When no reference
year is known, a year-less expression yields nothing: a window without a year is not a
calendar interval. A bare year (2020年) is a window only in a year range (2021年至2025年),
as the start of an open window (2016年以来, 2016年至今) or after 截至.

Years of 2-3 digits (102年1月4日, 一百零三年一月) are ROC years (+1911) in a document that
names the ROC calendar (中华民国/民国, after normalisation), or after 民国 anywhere.

Every word is in ``rules/date_windows.toml`` (and the lunar holidays in
``rules/date_windows_lunar_holidays.txt``); this module holds only the grammar.
Not supported (documented in the tests): a weekday without 每 (周四扶贫日), holidays
without a year, 清明, relative months (本月底), 年中, durations (三年来, 近年来).
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
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


@dataclass(frozen=True)
class _Grammar:
    top: re.Pattern
    token: re.Pattern
    xun: dict
    year_parts: dict
    relative: dict
    fixed_holidays: dict
    lunar_holidays: dict  # alias -> {year: (month, day)}
    plans: dict
    day_periods: dict
    weekdays: dict
    words: dict
    recurring: dict
    roc_markers: tuple
    roc_offset: int
    anchor: re.Pattern  # characters every window contains (see extract_text)
    start_chars: frozenset  # characters a window can start with (besides digits)


@cache
def grammar() -> _Grammar:
    t = rules.table(_RULES)
    w = t["words"]
    rec = t["recurring"]
    part_blockers = t["part_blockers"]
    suffix_blockers = t["suffix_blockers"]

    # Lunar holiday dates per year.
    lunar: dict[str, dict[int, tuple[int, int]]] = {}
    for no, entry in enumerate(rules.lexicon("date_windows_lunar_holidays.txt"), 1):
        try:
            name, iso = entry.split()
            d = date.fromisoformat(iso)
        except ValueError:
            raise rules.RulesError(f"date_windows_lunar_holidays.txt: bad entry {entry!r}") from None
        lunar.setdefault(name, {})[d.year] = (d.month, d.day)
    for alias, name in t["lunar_holidays"].items():
        if name not in lunar:
            raise rules.RulesError(f"{_RULES}:lunar_holidays: {alias!r} -> {name!r} has no dates")
    lunar_by_alias = {alias: lunar[name] for alias, name in t["lunar_holidays"].items()}

    conn = "(?:" + _alt(w["connectors"], "connectors") + "|" + _alt(w["connectors_before_digit"], "connectors_before_digit") + r"(?=\d))"
    month_suf = _alt(w["month_suffixes"], "month_suffixes")
    day_suf = _alt(w["day_suffixes"], "day_suffixes")
    hour_suf = _alt(w["hour_suffixes"], "hour_suffixes")
    xun = _with_blockers(t["xun"], part_blockers)
    single_parts = [k for k in t["year_parts"] if len(k) == 1]
    yp_words = ["年" + k for k in single_parts] + [k for k in t["year_parts"] if len(k) > 1]
    yp = _with_blockers(yp_words, {"年" + k: v for k, v in part_blockers.items()})
    holidays = _alt(list(t["fixed_holidays"]) + list(t["lunar_holidays"]), "holidays")
    rel = _alt(t["relative_years"], "relative_years")
    roc = _alt(w["roc_prefixes"], "roc_prefixes")
    periods = _alt(t["day_periods"], "day_periods")
    time = (rf"(?:{periods})?(?:(?:\d{{1,2}})[:：]\d{{2}}|(?:{_HOUR_NUM}){hour_suf}"
            rf"(?:(?:{_MIN_NUM})分|半)?)")
    time_named = (rf"(?P<t_p>{periods})?(?:(?P<t_h>\d{{1,2}})[:：](?P<t_m>\d{{2}})|(?P<t_h2>{_HOUR_NUM}){hour_suf}"
                  rf"(?:(?P<t_m2>{_MIN_NUM})分|(?P<t_half>半))?)")
    numdate = r"(?:19|20)\d\d([-./])\d{1,2}\1\d{1,2}(?!\d)"
    numdate_named = r"(?P<nd_y>(?:19|20)\d\d)(?P<nd_s>[-./])(?P<nd_m>\d{1,2})(?P=nd_s)(?P<nd_d>\d{1,2})(?!\d)"
    month_block = "(?!龄)"

    comps = [
        ("nd", numdate_named, numdate.replace("([-./])", "(?:[-./])").replace(r"\1", "[-./]")),
        ("roc", rf"(?P<roc_p>{roc})(?P<roc_y>\d{{1,3}}|[{_CN_DIGIT}十百]{{1,5}})年", rf"{roc}(?:\d{{1,3}}|[{_CN_DIGIT}十百]{{1,5}})年"),
        ("y", rf"(?P<y_v>{_AR_YEAR}|{_CN_YEAR}|{_SHORT_YEAR})年", rf"(?:{_AR_YEAR}|{_CN_YEAR}|{_SHORT_YEAR})年"),
        ("rel", rf"(?P<rel_v>{rel})", rel),
        ("m", rf"(?P<m_v>{_MONTH_NUM}){month_suf}{month_block}", rf"(?:{_MONTH_NUM}){month_suf}{month_block}"),
        ("d", rf"(?P<d_v>{_DAY_NUM}){day_suf}", rf"(?:{_DAY_NUM}){day_suf}"),
        ("t", time_named, time),
        ("yp", rf"(?P<yp_v>{yp})", yp),
        ("xun", rf"(?P<xun_v>{xun})", xun),
        ("hol", rf"(?P<hol_v>{holidays})", holidays),
        ("n", rf"(?P<n_v>{_BARE_NUM})(?={conn})", rf"(?:{_BARE_NUM})(?={conn})"),
    ]
    comp_plain = "(?:" + "|".join(p for _k, _n, p in comps) + ")"
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
    wd = "[" + "".join(t["weekdays"]) + "]" + "(?!" + _alt(rec["weekday_blockers"], "weekday_blockers") + ")"
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
    anchors = {"年", *(x[0] for x in w["month_suffixes"]), *(x[0] for x in w["day_suffixes"]),
               *(p[-1] for p in t["plan_periods"]), *(x[0] for x in rec["prefixes"])}
    for word in yp_words:
        if not anchors & set(word):
            anchors.add(word[-1])
    anchor = re.compile("[" + re.escape("".join(sorted(anchors))) + "]|" + numdate.split("([-./])")[0] + "[-./]")
    firsts = [*t["relative_years"], *w["deadline_prefixes"], *w["roc_prefixes"], *yp_words,
              *w["open_quotes"], *t["plan_periods"], *rec["prefixes"], *t["fixed_holidays"],
              *t["lunar_holidays"], *t["day_periods"]]
    start_chars = frozenset(_CN_DIGIT + "十百两元" + "".join(x[0] for x in firsts))
    return _Grammar(
        top=top, token=token,
        xun={k: tuple(v) for k, v in t["xun"].items()},
        year_parts={k: tuple(v) for k, v in t["year_parts"].items()},
        relative=dict(t["relative_years"]),
        fixed_holidays={k: tuple(int(x) for x in v.split("-")) for k, v in t["fixed_holidays"].items()},
        lunar_holidays=lunar_by_alias,
        plans={k: tuple(v) for k, v in t["plan_periods"].items()},
        day_periods=dict(t["day_periods"]),
        weekdays=dict(t["weekdays"]),
        words=w,
        recurring=rec,
        roc_markers=tuple(w["roc_markers"]),
        roc_offset=int(w["roc_offset"]),
        anchor=anchor,
        start_chars=start_chars,
    )


# --- one side of a window ----------------------------------------------------------------

@dataclass
class _Side:
    year: Optional[int] = None
    year_kind: Optional[str] = None  # explicit | roc | short | rel | next | inherited | ref
    rel: Optional[int] = None
    month: Optional[int] = None
    day: Optional[int] = None
    xun: Optional[tuple] = None  # (first day, last day or 0)
    ypart: Optional[tuple] = None  # (first month, last month)
    holiday: Optional[str] = None
    time: Optional[tuple] = None  # (hour, minute)
    bare: Optional[int] = None  # a bare number taking the other side's unit
    first: Optional[str] = None  # type of the first token
    tokens: list = field(default_factory=list)

    @property
    def has_date(self) -> bool:
        return any(v is not None for v in (self.month, self.day, self.xun, self.ypart, self.holiday))


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


def _month_num(s: str) -> Optional[int]:
    return 1 if s == "元" else parse_digits(s)


def _side(tokens: list[re.Match], g: _Grammar, roc_doc: bool) -> Optional[_Side]:
    """Components -> a _Side, or None when they are not in calendar order."""
    s = _Side(tokens=tokens)
    order = {"y": 0, "rel": 0, "roc": 0, "nd": 2, "m": 1, "yp": 1, "hol": 1, "d": 2, "xun": 2, "t": 3, "n": 9}
    last = -1
    prev = None
    for m in tokens:
        k = m.lastgroup
        if s.bare is not None:  # nothing follows a bare number
            return None
        lvl = order[k]
        if k != "n" and lvl <= last:
            return None
        if s.first is None:
            s.first = k
        if k == "y":
            raw = m.group("y_v")
            v = parse_digits(raw)
            if v is None:
                return None
            if len(raw) == 4 and 1900 <= v <= 2100:
                s.year, s.year_kind = v, "explicit"
            elif roc_doc and 1 <= v <= 200:
                s.year, s.year_kind = v + g.roc_offset, "short"  # needs a month: checked below
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
        elif k == "nd":
            if prev is not None:
                return None
            y, mo, d = int(m.group("nd_y")), int(m.group("nd_m")), int(m.group("nd_d"))
            s.year, s.year_kind, s.month, s.day = y, "explicit", mo, d
        elif k == "m":
            s.month = _month_num(m.group("m_v"))
            if s.month is None:
                return None
        elif k == "d":
            if prev not in (None, "m"):
                return None
            s.day = parse_digits(m.group("d_v"))
            if s.day is None:
                return None
        elif k == "xun":
            v = m.group("xun_v")
            if prev in ("y", "rel", "roc"):
                if v not in g.year_parts:
                    return None
                s.ypart = g.year_parts[v]
            elif prev in (None, "m"):
                s.xun = g.xun[v]
            else:
                return None
        elif k == "yp":
            v = m.group("yp_v")
            s.ypart = g.year_parts[v[1:]] if v[1:] in g.year_parts and v[0] == "年" and len(v) == 2 else g.year_parts[v]
        elif k == "hol":
            if prev not in ("y", "rel", "roc"):
                return None
            s.holiday = m.group("hol_v")
        elif k == "t":
            if prev not in (None, "d", "nd"):
                return None
            s.time = _hour(m, g)
            if s.time is None:
                return None
        elif k == "n":
            if prev not in (None, "y", "rel", "roc", "m"):
                return None
            s.bare = parse_digits(m.group("n_v"))
            if s.bare is None:
                return None
        last = lvl
        prev = k
    if s.year_kind == "short" and s.month is None:
        return None
    return s


def _last_day(y: int, m: int) -> int:
    return calendar.monthrange(y, m)[1]


def _interval(s: _Side, y: int, g: _Grammar) -> Optional[tuple[str, str]]:
    """Inclusive ISO bounds of side ``s`` in year ``y``; None if not a real date."""
    try:
        if s.holiday is not None:
            if s.holiday in g.fixed_holidays:
                mo, d = g.fixed_holidays[s.holiday]
            else:
                md = g.lunar_holidays[s.holiday].get(y)
                if md is None:
                    return None
                mo, d = md
            a = b = date(y, mo, d)
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


def _resolve_year(s: _Side, ref: Optional[int], start_year: Optional[int]) -> Optional[tuple[int, bool]]:
    """(year, inferred) of a side that carries its own year word, or None."""
    if s.year_kind in ("explicit", "roc", "short"):
        return s.year, False
    if s.year_kind == "rel":
        return (ref + s.rel, True) if ref is not None else None
    if s.year_kind == "next":
        return (start_year + 1, False) if start_year is not None else None
    return None


@dataclass(frozen=True)
class _Resolved:
    start: str
    end: str
    inferred: bool
    bare_year: bool  # only a year (or years): a window only in a range or open window


def _single(s: _Side, ref: Optional[int], g: _Grammar) -> Optional[_Resolved]:
    if s.bare is not None or (s.time is not None and s.day is None):
        return None
    if s.first == "t":
        return None
    if s.year_kind is None:
        if ref is None or not s.has_date:
            return None
        y, inferred = ref, True
    else:
        r = _resolve_year(s, ref, None)
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


def _range(left: _Side, right: _Side, ref: Optional[int], g: _Grammar) -> Optional[_Resolved]:
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
    if right.first == "t" and left.day is None:
        return None
    # The right side inherits what it omits.
    if right.first in ("t",):
        right.month, right.day = left.month, left.day
    if right.first in ("d", "xun") and right.ypart is None:
        if left.month is None:
            return None
        right.month = left.month
    # Years.
    inferred = False
    if left.year_kind in (None, "next"):
        if left.year_kind == "next":
            return None
        if right.year_kind in ("explicit", "roc", "short"):
            ly = right.year
            if left.month and right.month and left.month > right.month:
                ly -= 1
        elif right.year_kind == "rel" and ref is not None:
            ly, inferred = ref + right.rel, True
            if left.month and right.month and left.month > right.month:
                ly -= 1
        elif ref is not None:
            ly, inferred = ref, True
        else:
            return None
        if not left.has_date:
            return None
    else:
        r = _resolve_year(left, ref, None)
        if r is None:
            return None
        ly, inferred = r
    right_inherited = right.year_kind is None
    if right_inherited:
        ry = ly
    else:
        r = _resolve_year(right, ref, ly)
        if r is None:
            return None
        ry, inf2 = r
        inferred = inferred or inf2
    if right_inherited and not right.has_date and right.time is None:
        return None
    li, ri = _interval(left, ly, g), _interval(right, ry, g)
    if li is None or ri is None:
        return None
    if right_inherited and ri[0] < li[0] and right.month is not None and right.first != "t":
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
    if s is None or s.year_kind is not None or not s.has_date or s.bare is not None:
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


def _chain(m: re.Match, ref: Optional[int], g: _Grammar, roc_doc: bool):
    """(kind, start, end, inferred, text end) of a chain match, or None."""
    toks = _tokens(m.group("body"), g)
    if toks is None:
        return None
    conns = [i for i, t in enumerate(toks) if t.lastgroup == "conn"]
    if len(conns) > 1:
        return None
    if conns:
        i = conns[0]
        left, right = _side(toks[:i], g, roc_doc), _side(toks[i + 1:], g, roc_doc)
        if left is None or right is None or not toks[:i] or not toks[i + 1:]:
            return None
        r = _range(left, right, ref, g)
        is_range = True
    else:
        s = _side(toks, g, roc_doc)
        if s is None:
            return None
        r = _single(s, ref, g)
        is_range = False
    if r is None:
        return None
    end = m.end("body")
    nxt = m.string[end:end + 1]
    if not (m.group("dl") or m.group("since") or m.group("since_rel")) and nxt and nxt in _NUMERAL_AFTER:
        return None  # 一月一调度, 2020年6月3…: a numeral goes on, so this is no date
    rel_only = not conns and toks[0].lastgroup == "rel" and len(toks) == 1
    if m.group("pre"):
        return "deadline", None, r.end, r.inferred, (m.end("dl") if m.group("dl") else end)
    if is_range:
        return "range", r.start, r.end, r.inferred, end
    if m.group("dl"):
        if r.bare_year:
            return None
        return "deadline", None, r.end, r.inferred, m.end("dl")
    if m.group("since") or (m.group("since_rel") and rel_only):
        grp = "since" if m.group("since") else "since_rel"
        return "since", r.start, None, r.inferred, m.end(grp)
    if r.bare_year:
        return None
    return "point", r.start, r.end, r.inferred, end


def _is_roc_doc(text: str, g: _Grammar) -> bool:
    return any(mk in text for mk in g.roc_markers)


def _item(m: re.Match, text: str, ref: Optional[int], g: _Grammar, roc_doc: bool) -> Optional[DateWindow]:
    """The window a top-level match stands for, or None when it is not one."""
    if m.group("plan") is not None:
        y1, y2 = g.plans[m.group("pp")]
        quoted = bool(m.group("pq1") and m.group("pq2"))
        s = m.start("plan") if quoted else m.start("pp")
        e = m.end("plan") if quoted or m.group("ps") or m.group("psince") else m.end("pp")
        if m.group("psince"):
            return DateWindow(text[s:e], (s, e), "since", f"{y1}-01-01", None)
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
    for a in g.anchor.finditer(text):
        ai = a.start()
        for s in range(max(tried + 1, ai - MAX_PREFIX), ai + 1):
            c = text[s]
            if c in can_start or c.isdecimal():
                yield s
        if ai > tried:
            tried = ai


def _scan(text: str, reference_year: Optional[int], starts, reference_date: Optional[date] = None) -> list[DateWindow]:
    g = grammar()
    roc_doc = _is_roc_doc(text, g)
    match = g.top.match
    out: list[DateWindow] = []
    pos = 0
    for s in starts(text, g):
        if s < pos:
            continue
        m = match(text, s)
        if m is None:
            continue
        item = _item(m, text, reference_year, g, roc_doc)
        if item is not None:
            out.append(item)
            pos = m.end()
    return out


def extract_text(text: str, reference_year: Optional[int], reference_date: Optional[date] = None) -> list[DateWindow]:
    """Date windows of ``text`` (the Doc-free core, used by tests and the benchmark).

    A candidate that is not a window (a bare year, 2月30日) does not hide a later one
    starting inside it: the scan moves on by one position, not past the candidate.
    """
    return _scan(text, reference_year, _anchored_starts, reference_date)


def extract(doc, ctx) -> list[DateWindow]:
    """Contract section 4 on ``doc.text``; year-less dates take ``ctx.reference_year``."""
    return extract_text(text_of(doc), ctx.reference_year)


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
