"""Figures (contract section 5): every quantity with a unit, currency or percent sign.

The numeral grammar (Arabic, Chinese and mixed numbers, 万/亿 multipliers, ranges,
approx words) is glue in this module; every word it uses is data in rules/:
``units_{money,percent,measure,count}.txt`` (the units, one a line), ``units_per.txt``
(rate denominators), ``figures.toml`` (approx words, range separators, multipliers,
unit policies, exclusion contexts) and ``figures_names.txt`` (names containing numbers).

``scan(text)`` finds every quantity once; household_counts reads the same scan and
takes the counts of households and of poverty groups. ``extract`` turns the rest into
Figure items, skipping spans taken by date windows and household counts.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Optional

from .. import rules
from ..errors import RulesError
from ..schema import Figure
from ..segment import tagged, text_of
from ._numerals import CAPITAL_DIGITS, CAPITAL_UNITS, parse_digits, parse_number, scaled, vague_pair

UNIT_FILES = {"money": "units_money.txt", "percent": "units_percent.txt",
              "measure": "units_measure.txt", "count": "units_count.txt"}
HOUSEHOLD = "household"  # kind of the household units of rules/household_counts.toml

# Arabic numerals: thousands separated by commas or by the spaces a PDF put in (1,234.5;
# 1 000), a decimal point with spaces around it (5 . 5). Repetitions are bounded and a number
# never starts inside another (the lookbehind in ``grammar``): the scan stays linear in a
# run of digits.
_AR_WHOLE = r"\d{1,3}(?:,\d{3}){1,5}(?!\d)|\d{1,3}(?: \d{3}){1,4}(?!\d)|\d+"
_AR_DECIMAL = r"(?: ?\. ?\d+)?"
_CN_DIGITS = "零〇一二两三四五六七八九"
_CN = (f"[零〇一二两三四五六七八九十百千万亿{CAPITAL_DIGITS}{CAPITAL_UNITS}]+"
       "(?:点[零〇一二三四五六七八九]+)?")
_MULTS = frozenset("十百千万亿" + CAPITAL_UNITS)
_CAPITALS = frozenset(CAPITAL_DIGITS[1:] + CAPITAL_UNITS)
_CJK = re.compile(r"[\u3400-\u9fff]")
_CJK_WORD = re.compile(_CJK.pattern + "*")
_OPENERS = frozenset("“‘「《〈（(【")


def _arabic(follow: str) -> str:
    """The Arabic numeral pattern. A full-width comma is a thousands separator as pre-2000
    reports write it (2，350亿元, 7，500多万户) only between a group of 1-3 digits and exactly three
    digits, when what follows the number is in ``follow`` (a multiplier, approx word, unit or
    range separator), and never in a list: not after ``1，`` or ``1、`` (1，2，300户 is a list
    and gives 300户). Normalisation leaves the comma alone: only the grammar knows a unit follows."""
    fw = rf"(?<!\d[，、,])\d{{1,3}}(?:，\d{{3}}){{1,5}}(?!\d)(?={_AR_DECIMAL}(?:{follow}))"
    return f"(?:{fw}|{_AR_WHOLE}){_AR_DECIMAL}"


@dataclass(frozen=True)
class Quantity:
    """One numeral with its unit as found in the text (before any classification)."""
    start: int  # whole surface, with approx words and rate
    end: int
    num_start: int  # the numeral (first number of a range) up to the unit
    num_end: int
    value: float
    value_max: Optional[float]
    unit: str  # canonical unit (元, 元/人, %, 亩, 个, 户 ...)
    surface_unit: str  # the unit as written (万元 -> 元; 个百分点)
    kind: str  # money | percent | measure | count | household
    approx: Optional[str]
    chinese: bool  # written in Chinese numerals
    suspect: bool
    sign_start: int = -1  # where a "-" stands before the numeral that may be a range separator


@dataclass(frozen=True)
class Grammar:
    pattern: re.Pattern
    units: dict  # surface -> (canonical, kind)
    per_units: frozenset
    approx_before: dict
    approx_infix: dict
    approx_after: dict
    multipliers: dict
    prefix_units: dict
    digits_only: frozenset
    verbal: frozenset
    never_one: frozenset
    class_suffix: str
    year_like: frozenset
    max_duration: float
    not_followed_by: dict
    not_after: dict
    ordinal_before: tuple
    name_brackets: tuple
    quotes: tuple
    max_quoted_name: int
    suspect_chars: str
    names: Optional[re.Pattern]
    name_patterns: tuple
    bare_year: re.Pattern
    sentence_end: re.Pattern  # any one character that ends a sentence
    ranges: frozenset
    negative: frozenset
    vague: frozenset
    currency_signs: dict
    currency_before: dict
    currency_before_pattern: Optional[re.Pattern]
    whole: str
    fractions: dict
    date_after: dict
    date_before: dict
    word_prefixes: frozenset


def _unit_lexicon(name: str, kind: str) -> dict:
    out = {}
    for entry in rules.lexicon(name):
        surface, _, canonical = (p.strip() for p in entry.partition("="))
        if not surface or (_ and not canonical):
            raise RulesError(f"{name}: bad entry {entry!r} (expected 'unit' or 'unit = canonical')")
        out[surface] = (canonical or surface, kind)
    return out


@cache
def grammar() -> Grammar:
    """The compiled numeral grammar and its data (once per process)."""
    t = rules.table("figures.toml")
    hh = rules.table("household_counts.toml")
    units: dict = {}
    for kind, name in UNIT_FILES.items():
        for surface, val in _unit_lexicon(name, kind).items():
            if surface in units:
                raise RulesError(f"{name}: unit {surface!r} is already listed as {units[surface][1]}")
            units[surface] = val
    for u in hh["units"]["households"]:
        units[u] = (u, HOUSEHOLD)
    per = frozenset(rules.lexicon("units_per.txt"))
    ap = t["approx"]
    nums = t["numbers"]
    mult = {k: float(v) for k, v in nums["multipliers"].items()}
    alt = rules.alternation
    cur = t["currency"]
    neg = alt(nums["negative"], "figures.toml:numbers.negative")
    vague = f"(?:{alt(nums['vague'], 'figures.toml:numbers.vague')})[十百千万亿]+"
    ar = _arabic("|".join((alt(mult), alt(ap["infix"]), alt(nums["range"]), alt(units, "units"))))
    # Every match starts with a numeral, a prefix unit (百分之), a sign, a currency sign or an
    # approximation word (超过): a lookahead on those first characters lets the engine skip
    # other positions at once (three times faster; the matches are the same). No match starts
    # right after a digit or a numeral character (the exclusions below reject those anyway):
    # that keeps the scan linear in a run of digits.
    starts = (*t["prefix_units"], *ap["before"], *nums["negative"], *nums["vague"], *cur["signs"])
    first = "".join(sorted({w[0] for w in starts}))
    # (one character class: an alternation in the lookahead costs the engine its fast skip)
    src = (
        rf"(?=[\d{_CN_DIGITS}十百千万亿{CAPITAL_DIGITS[1:]}{CAPITAL_UNITS}{re.escape(first)}])"
        rf"(?<![\d.{_CN_DIGITS}十百千万亿])"
        rf"(?:(?P<cur>{alt(cur['signs'], 'figures.toml:currency.signs')}) ?(?P<cn>{ar})"
        rf"(?P<cm>{alt(mult)})?(?P<cu>元)?"
        rf"|(?P<pneg>{neg})?(?P<pfx>{alt(t['prefix_units'], 'figures.toml:prefix_units')})(?P<pn>{ar}|{_CN})"
        rf"|(?P<pre>{alt(ap['before'], 'figures.toml:approx.before')})?(?P<neg>{neg})?"
        rf"(?P<n1>{ar}|{vague}|{_CN})(?P<m1>{alt(mult)})??(?P<i1>{alt(ap['infix'])})?"
        rf"(?:(?P<sep>{alt(nums['range'])})(?P<n2>{ar}|{_CN}))?"
        rf"(?P<m2>{alt(mult)})??(?P<i2>{alt(ap['infix'])})?"
        rf"(?P<unit>{alt(units, 'units')})"
        rf"(?:/(?P<per>{alt(per, 'units_per.txt')}))?)"
        rf"(?P<post>{alt(ap['after'], 'figures.toml:approx.after')})?"
    )
    before = cur["before"]
    ctx = t["context"]
    u = t["units"]
    names = rules.lexicon("figures_names.txt")
    years_not = alt(ctx["year_not_followed_by"], "figures.toml:context.year_not_followed_by")
    return Grammar(
        pattern=rules.compile_pattern(src, "figures grammar"),
        units=units, per_units=per,
        approx_before=dict(ap["before"]), approx_infix=dict(ap["infix"]), approx_after=dict(ap["after"]),
        multipliers=mult, prefix_units=dict(t["prefix_units"]),
        digits_only=frozenset(u["digits_only"]), verbal=frozenset(u["verbal"]),
        never_one=frozenset(u["never_one"]), class_suffix=u["class_suffix"],
        year_like=frozenset(u["year_like"]), max_duration=float(u["max_duration"]),
        not_followed_by={k: frozenset(v) for k, v in u["not_followed_by"].items()},
        not_after={k: frozenset(v) for k, v in u.get("not_after", {}).items()},
        ordinal_before=tuple(ctx["ordinal_before"]),
        name_brackets=tuple(tuple(p) for p in ctx["name_brackets"]),
        quotes=tuple(tuple(p) for p in ctx["quotes"]),
        max_quoted_name=int(ctx["max_quoted_name"]),
        suspect_chars=ctx["suspect_chars"],
        names=rules.compile_pattern(alt(names, "figures_names.txt"), "figures_names.txt") if names else None,
        name_patterns=tuple(rules.compile_pattern(p, "figures.toml:context.name_patterns")
                            for p in ctx.get("name_patterns", ())),
        bare_year=rules.compile_pattern(
            rf"(?=[12〇零一二三四五六七八九])(?<![\d{_CN_DIGITS}])(?P<y>(?:19|20)\d\d|[〇零一二三四五六七八九]{{4}})年(?![\d{_CN_DIGITS}十]{{1,3}}月|{years_not})",
            "figures bare year"),
        sentence_end=re.compile(f"[{re.escape(ctx['sentence_end'])}]"),
        ranges=frozenset(nums["range"]), negative=frozenset(nums["negative"]),
        vague=frozenset(nums["vague"]),
        currency_signs=dict(cur["signs"]), currency_before=dict(before),
        currency_before_pattern=rules.compile_pattern(
            f"(?:{alt(before, 'figures.toml:currency.before')})$", "figures.toml:currency.before") if before else None,
        whole=cur["whole"], fractions={k: float(v) for k, v in cur["fractions"].items()},
        date_after={k: rules.compile_pattern(v, f"figures.toml:units.date_after.{k}")
                    for k, v in u.get("date_after", {}).items()},
        date_before={k: tuple(v) for k, v in u.get("date_before", {}).items()},
        word_prefixes=frozenset(ctx.get("word_prefixes", ())),
    )


# --- exclusion zones -------------------------------------------------------------------

@cache
def _bracket_pattern(pairs: tuple, limit: int) -> re.Pattern:
    openers = "".join(re.escape(o) for o, _ in pairs)
    closers = "".join(re.escape(c) for _, c in pairs)
    return re.compile(f"[{openers}][^{openers}{closers}\\n]{{0,{limit}}}[{closers}]")


def _bracketed(text: str, pairs, limit: int) -> list[tuple[int, int]]:
    """Spans (opener..closer inclusive) of bracketed stretches at most ``limit`` long: an
    opener, then no opener, closer or line break, then any closer."""
    return [m.span() for m in _bracket_pattern(tuple(pairs), limit).finditer(text)]


@dataclass(frozen=True)
class Zones:
    """Stretches of a text where numerals are names, not quantities."""
    starts: tuple
    ends: tuple

    @classmethod
    def of(cls, spans) -> "Zones":
        merged: list[list[int]] = []
        for s, e in sorted(spans):
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        return cls(tuple(s for s, _ in merged), tuple(e for _, e in merged))

    def hits(self, s: int, e: int) -> bool:
        i = bisect_right(self.starts, e - 1) - 1
        return i >= 0 and self.ends[i] > s


def name_zones(text: str) -> Zones:
    g = grammar()
    spans = _bracketed(text, g.name_brackets, 200)
    spans += _bracketed(text, g.quotes, g.max_quoted_name)
    if g.names is not None:
        spans += [m.span() for m in g.names.finditer(text)]
    for p in g.name_patterns:
        spans += [m.span() for m in p.finditer(text)]
    return Zones.of(spans)


# --- the scan --------------------------------------------------------------------------

def _mult(name: Optional[str], g: Grammar) -> Optional[Decimal]:
    return Decimal(str(g.multipliers[name])) if name else None


def _trailing_mult(num: str, g: Grammar) -> Optional[Decimal]:
    """The multiplier a Chinese numeral ends with (三万 -> 10⁴, 一百五十万 -> 10⁴), or None."""
    for name in sorted(g.multipliers, key=len, reverse=True):
        if name in ("万", "亿", "万亿") and len(num) > len(name) and num.endswith(name):
            return _mult(name, g)
    return None


def _range_values(n1: str, m1, n2: str, m2, g: Grammar) -> tuple[Optional[float], Optional[float]]:
    """(low, high) of ``n1 sep n2``: the multiplier written on the right also applies on the left
    when the left has none of its own and stays at or below the right (一至三万 -> 10000..30000;
    五千至一万 -> 5000..10000; 500至1万 -> 500..10000)."""
    high = scaled(n2, _mult(m2, g))
    if m1:
        return scaled(n1, _mult(m1, g)), high
    shared = _mult(m2, g) or (None if n2[0].isdigit() else _trailing_mult(n2, g))
    if shared is not None and high is not None:
        low = scaled(n1, shared)
        if low is not None and low <= high:
            return low, high
    return scaled(n1, None), high


def _is_cjk(ch: str) -> bool:
    return bool(ch) and _CJK.match(ch) is not None


def _digit_run_before(text: str, i: int) -> int:
    """How many digits end at ``text[i - 1]``."""
    k = i
    while k > 0 and text[k - 1].isdigit():
        k -= 1
    return i - k


def _excluded(text: str, m: re.Match, ns: int, n1: str, first: int, q_unit: str, g: Grammar) -> bool:
    """Contexts in which a numeral + unit is not a quantity (ordinals, codes, idioms, dates).

    ``ns``/``n1``: the numeral's start and string; ``first``: where the match starts before any
    sign or approximation word."""
    before = text[ns - 1] if ns > 0 else ""
    if any(text.startswith(o, first - len(o)) for o in g.ordinal_before):
        return True
    lead = text[first - 1] if first > 0 else ""
    if first == ns and before and before.isascii() and (before.isalnum() or before in "+#.-/_"):
        if not (before == "-" and ns >= 2 and not text[ns - 2].isalnum()):
            return True  # S101户外, 6.0版, 4+2, a phone or ID number
    if first < ns and lead and lead.isascii() and lead.isalnum():
        return True  # A-5, 3-5 written as a code
    if before == " " and 0 < _digit_run_before(text, ns - 1) <= 3:
        return True  # 第1 2条: the rest of a number a PDF split, not a number of its own
    ue = m.end("unit") if m.group("unit") else m.end()
    nxt = text[ue] if ue < len(text) else ""
    if nxt and (nxt.isascii() and nxt.isalpha() or nxt == "+"):
        return True
    unit = m.group("unit")
    if unit:
        if nxt and nxt == g.class_suffix and q_unit != "count":
            return True  # 10万吨级码头
        if nxt and nxt in g.not_followed_by.get(unit, ()):
            return True
        if _after_rate_word(text, m, ns, g):
            return True
        if unit in g.date_after and g.date_after[unit].match(text, ue):
            return True  # 15年3月2日
        if any(text.startswith(w, first - len(w)) for w in g.date_before.get(unit, ())):
            return True  # 今年前五个月
        if text[ns:ue] in g.word_prefixes and _is_cjk(nxt):
            return True  # 二次供水
    chinese = not n1[0].isdigit()
    if not chinese:
        return False
    # Chinese numerals: idioms, slogans and indefinite articles are not counts.
    if n1 in ("零", "〇"):
        return True  # 零部件, 零距离: a lone zero in Chinese is a word, not a count
    if n1[0] in g.vague:
        return False  # 数十亿元, 几十万元
    if unit in g.digits_only:
        return True
    if _CAPITALS.intersection(n1) and len(n1) < 2 and q_unit != "money":
        return True  # 队伍 (伍), 收拾 (拾): a single capital digit outside an amount
    if all(c in _MULTS for c in n1):
        if unit == g.class_suffix or nxt == g.class_suffix:
            return True  # 百亿级产业, 千亿元级
        if q_unit in ("money", "percent") and n1[0] != "十" and not m.group("pre"):
            return True  # 万元 alone is a unit word (单位：万元); 十万元 and 近百万元 are amounts
    ranged = bool(m.group("n2")) or m.group("m1") or m.group("m2")
    if len(n1) >= 2 and not any(c in _MULTS or c == "点" for c in n1) and not _CAPITALS.intersection(n1):
        if vague_pair(n1) is None or unit == g.class_suffix:
            return True  # 二三级, 一二三: a list of small numbers or a year, not one number
    end = m.end()
    after = text[end] if end < len(text) else ""
    if n1 == "一" and not ranged and (unit in g.never_one or (unit not in g.verbal and (_is_cjk(after) or after in _OPENERS))):
        return True  # 一个干净整洁的环境, 一份力, 一批“…”, 这一年
    if after and after in _CN_DIGITS and after != "零":
        return True  # 一户一策, 五个一, 一天两次 (一天)
    if ns >= 2 and text[ns - 2] in _CN_DIGITS and _is_cjk(text[ns - 1]) and text[ns - 1] not in "天日年月周":
        return True  # 千家万户, 一村一村 (but 一天两次 keeps 两次)
    surface = text[ns:end]
    if any(ns - k >= 0 and text.startswith(surface, ns - k) for k in range(len(surface) + 1, len(surface) + 4)):
        return True  # 一级抓一级, 一村一村地查
    if before and (before in _CN_DIGITS or before in _MULTS):
        return True  # part of a longer word (统一, 唯一 are handled by the unit check)
    return False


def _chinese_value(n1: str, m1, m2, g: Grammar) -> tuple[Optional[float], Optional[float], Optional[str]]:
    """(value, value_max, approx) of a Chinese numeral with no range separator: a vague magnitude
    (数十亿 -> 10⁹, more_than), two neighbouring digits (两三, 五六十 -> about), or a number."""
    mult = _mult(m1 or m2, g)
    if n1[0] in g.vague:
        return scaled(n1[1:], mult), None, "more_than"
    pair = vague_pair(n1[:2])
    if pair and (len(n1) == 2 or all(c in _MULTS for c in n1[2:])):
        scale = Decimal(str(parse_number("一" + n1[2:]) if len(n1) > 2 else 1)) * (mult or 1)
        return float(pair[0] * scale), float(pair[1] * scale), "about"
    return scaled(n1, mult), None, None


def _fraction(text: str, end: int, g: Grammar) -> tuple[int, float]:
    """Capital 角/分 and 整 after 元 (壹拾贰万元整, 叁元伍角): the new end and the value added."""
    add = 0.0
    for name, worth in g.fractions.items():
        if end + 1 < len(text) and text[end] in CAPITAL_DIGITS and text[end + 1] == name:
            add += CAPITAL_DIGITS.index(text[end]) * worth
            end += 2
    if text.startswith(g.whole, end):
        end += len(g.whole)
    return end, add


def _currency_word(text: str, start: int, floor: int, g: Grammar) -> Optional[re.Match]:
    if g.currency_before_pattern is None:
        return None
    return g.currency_before_pattern.search(text, max(floor, start - 4), start)


def _merge_range(prev: Quantity, q: Quantity, text: str, g: Grammar) -> Optional[Quantity]:
    """``prev`` and ``q`` as one range when a range separator alone stands between them and they
    agree in unit (1万元至5万元, 10%-15%)."""
    if prev.value_max is not None or q.value_max is not None or prev.unit != q.unit or prev.kind != q.kind:
        return None
    gap_end = q.sign_start if q.sign_start >= 0 else q.start
    if q.sign_start == prev.end:
        pass  # 1万元-5万元: the "-" is the separator
    elif text[prev.end:gap_end] not in g.ranges:
        return None
    if prev.approx and q.approx and prev.approx != q.approx:
        return None
    if q.value < prev.value:
        return None
    return Quantity(prev.start, q.end, prev.num_start, q.num_end, prev.value, q.value, prev.unit,
                    prev.surface_unit, prev.kind, prev.approx or q.approx, prev.chinese,
                    prev.suspect or q.suspect)


def _after_rate_word(text: str, m: re.Match, ns: int, g) -> bool:
    """Whether the quantity's numeral follows a word that makes it a rate's denominator
    (每百户, 每万人口: rules figures.toml not_after)."""
    unit = m.group("unit")
    return bool(unit) and ns > 0 and text[ns - 1] in g.not_after.get(unit, ())


def scan(text: str, zones: Optional[Zones] = None) -> list[Quantity]:
    """Every quantity of ``text`` in order (households included, names excluded)."""
    g = grammar()
    if zones is None:
        zones = name_zones(text)
    out: list[Quantity] = []
    rate_end = -1  # end of the last quantity left out as a rate denominator (每五户)
    for m in g.pattern.finditer(text):
        if rate_end >= 0 and text[rate_end:m.start()] in g.ranges:
            rate_end = m.end()
            continue  # the other end of a rate's range: 每五户至|十五户
        rate_end = -1
        negative, sign_start = False, -1
        first = m.start()
        end = m.end()
        if m.group("cur"):
            canonical, kind = g.currency_signs[m.group("cur")], "money"
            surface = m.group("cur")
            ns, ne = m.start("cn"), m.end("cn")
            n1 = m.group("cn")
            value, value_max, approx = scaled(n1, _mult(m.group("cm"), g)), None, None
        elif m.group("pfx"):
            unit = g.prefix_units[m.group("pfx")]
            canonical, kind = g.units.get(unit, (unit, "percent"))
            ns, ne = m.start("pn"), m.end("pn")
            n1 = m.group("pn")
            value, value_max = parse_number(n1), None
            approx = g.approx_after[m.group("post")] if m.group("post") else None
            surface = unit
            negative = bool(m.group("pneg"))
        else:
            surface = m.group("unit")
            canonical, kind = g.units[surface]
            ns = m.start("n1")
            ne = m.start("unit")
            n1 = m.group("n1")
            m1, m2 = m.group("m1"), m.group("m2")
            approx = None
            if m.group("n2"):
                value, value_max = _range_values(n1, m1, m.group("n2"), m2, g)
            elif n1[0].isdigit():
                value, value_max = scaled(n1, _mult(m1 or m2, g)), None
            else:
                value, value_max, approx = _chinese_value(n1, m1, m2, g)
            if m.group("pre"):
                approx = g.approx_before[m.group("pre")]
            elif m.group("i1") or m.group("i2"):
                approx = g.approx_infix[m.group("i1") or m.group("i2")]
            elif m.group("post"):
                approx = g.approx_after[m.group("post")]
            if m.group("per"):
                canonical = f"{canonical}/{m.group('per')}"
            if m.group("neg"):
                sign = m.group("neg")
                lead = text[m.start("neg") - 1] if m.start("neg") > 0 else ""
                after_figure = bool(out) and out[-1].end == m.start("neg")
                if sign in "-−" and (after_figure or (lead and (lead.isascii() and lead.isalnum() or lead == "%"))):
                    sign_start = m.start("neg")  # a range separator (1万元-5万元) or a code
                else:
                    negative = True
                first = m.start("neg") if m.group("pre") is None else m.start()
        if value is None or (value_max is not None and value_max < value):
            continue
        if " " in n1 and "." in n1 and (ns == 0 or text[ns - 1] == "\n") and " ." not in n1:
            continue  # "1. 2个方面" at a line start is a list marker, not 1.2
        if _excluded(text, m, ns, n1, first, kind, g):
            if _after_rate_word(text, m, ns, g):
                rate_end = m.end()
            continue
        if surface in g.year_like and (value >= g.max_duration or not float(value).is_integer()):
            continue
        if zones.hits(ns, ne):
            continue
        start = m.start() if sign_start < 0 else sign_start + 1
        if kind == "money" and not n1[0].isdigit() and _CAPITALS.intersection(n1) and surface == "元":
            end, add = _fraction(text, end, g)
            value += add
        if kind == "money" and canonical.startswith("元"):
            w = _currency_word(text, start, out[-1].end if out else 0, g)
            if w is not None:
                canonical = g.currency_before[w.group()] + canonical[1:]
                start = w.start()
        if negative:
            value, value_max = -value, (None if value_max is None else -value_max)
            if value_max is not None:
                value, value_max = value_max, value
        sus = g.suspect_chars
        suspect = (ns > 0 and text[ns - 1] in sus) or (end < len(text) and text[end] in sus and text[end - 1].isdigit())
        q = Quantity(start, end, ns, ne, value, value_max, canonical, surface, kind, approx,
                     not n1[0].isdigit(), suspect, sign_start)
        merged = _merge_range(out[-1], q, text, g) if out else None
        if merged is not None:
            out[-1] = merged
        else:
            out.append(q)
    return out


# --- years and subjects ----------------------------------------------------------------

def bare_years(text: str, zones: Zones, taken: Zones) -> list[tuple[int, int, int]]:
    """(start, end, year) of bare years (2020年) outside names and date windows."""
    g = grammar()
    out = []
    i = text.find("年", 4)
    while i >= 0:  # anchored at each 年 (four numerals before it): many times faster than a scan
        m = g.bare_year.match(text, i - 4)
        i = text.find("年", i + 1)
        if m is None or zones.hits(m.start(), m.end()) or taken.hits(m.start(), m.end()):
            continue
        y = parse_digits(m.group("y"))
        if y is not None and 1900 <= y <= 2100:
            out.append((m.start(), m.end(), y))
    return out


def year_before(text: str, pos: int, years: list[tuple[int, int, int]]) -> Optional[int]:
    """The nearest bare year before ``pos`` in the same sentence."""
    g = grammar()
    i = bisect_right(years, pos, key=lambda y: y[1]) - 1
    if i < 0:
        return None
    s, e, y = years[i]
    if g.sentence_end.search(text, e, pos):
        return None
    return y


def pos_words(s: str) -> tuple[tuple[str, str], ...]:
    """(word, part-of-speech tag) of a short string."""
    return tagged(s)


_CLAUSE_END = re.compile(r"[，,。；;：:、！？!?（）()\n“”\"《》【】\s]")


def clause_before(text: str, pos: int, limit: int = 20) -> str:
    """Text of the clause that ends at ``pos`` (back to the last punctuation)."""
    lo = max(0, pos - limit)
    chunk = text[lo:pos]
    cut = 0
    for m in _CLAUSE_END.finditer(chunk):
        cut = m.end()
    return chunk[cut:]


def clause_after(text: str, pos: int, limit: int = 20) -> str:
    chunk = text[pos:pos + limit]
    m = _CLAUSE_END.search(chunk)
    return chunk[:m.start()] if m else chunk


@dataclass(frozen=True)
class SubjectRules:
    noun_tags: frozenset
    stop_tags: frozenset
    max_chars: int
    max_after: int
    skip_before: tuple
    drop_front: tuple


@cache
def _subject_rules() -> SubjectRules:
    t = rules.table("figures.toml")["subject"]
    by_len = lambda xs: tuple(sorted(xs, key=len, reverse=True))  # noqa: E731
    return SubjectRules(frozenset(t["noun_tags"]), frozenset(t["stop_tags"]), int(t["max_chars"]),
                        int(t["max_after"]), by_len(t["skip_before"]), by_len(t["drop_front"]))


def _cjk_word(w: str) -> bool:
    """Every character is Han (true of the empty string, as ``all`` is)."""
    return _CJK_WORD.fullmatch(w) is not None


def _noun_after(s: str, r: SubjectRules) -> str:
    """The noun right after a measure word (5000个口罩 -> 口罩; 3个自然屯 -> 自然屯)."""
    run: list[str] = []
    size = 0
    for i, (w, f) in enumerate(pos_words(s)):
        nounish = f in r.noun_tags or f.startswith("n")
        if not _cjk_word(w) or (not nounish and not (i == 0 and len(w) <= 2 and f in ("d", "a", "b"))):
            break
        if size + len(w) > r.max_after:
            break
        run.append(w)
        size += len(w)
    while run and not (pos_words(run[-1])[0][1].startswith("n") or pos_words(run[-1])[0][1] in r.noun_tags):
        run.pop()
    return "".join(run)


def _phrase_before(s: str, r: SubjectRules) -> str:
    """The words of a clause just before a number (并捐款 -> 捐款; 各种帮扶资金 -> 帮扶资金)."""
    changed = True
    while changed and s:
        changed = False
        for sk in r.skip_before:
            if s.endswith(sk) and len(s) > len(sk):
                s = s[: -len(sk)]
                changed = True
                break
    run: list[str] = []
    size = 0
    for w, f in reversed(pos_words(s)):
        if not _cjk_word(w) or f in r.stop_tags or size + len(w) > r.max_chars:
            break
        run.append(w)
        size += len(w)
    out = "".join(reversed(run))
    for d in r.drop_front:
        if out.startswith(d) and len(out) > len(d):
            out = out[len(d):]
            break
    return out


def subject_of(text: str, q: Quantity) -> Optional[str]:
    """What a figure measures when the sentence says: the noun after its measure word
    (5000个口罩 -> 口罩) or after 的 (4100元的脱贫标准), else the words just before the
    number (人均纯收入4100元 -> 人均纯收入)."""
    r = _subject_rules()
    after = clause_after(text, q.end, r.max_chars + 4)
    if after.startswith("的"):
        s = _noun_after(after[1:], r)
        if len(s) >= 2:
            return s
    elif after and q.kind in ("count", "measure"):
        s = _noun_after(after, r)
        if len(s) >= 2:
            return s
    s = _phrase_before(clause_before(text, q.start, 24), r)
    return s if len(s) >= 2 else None


# --- the extractor ---------------------------------------------------------------------

def _spans_of(items) -> list[tuple[int, int]]:
    return [tuple(it.span) for it in (items or ())]


def scanned(doc) -> tuple[Zones, list[Quantity]]:
    """The name zones and the quantities of a Doc's text, computed once per Doc (figures and
    household counts both read them)."""
    hit = doc.user_data.get("figures.scanned")
    if hit is None:
        text = text_of(doc)
        zones = name_zones(text)
        hit = doc.user_data["figures.scanned"] = (zones, scan(text, zones))
    return hit


def extract(doc, ctx) -> list[Figure]:
    text = text_of(doc)
    zones, quantities = scanned(doc)
    dates = Zones.of(_spans_of(ctx.results.get("date_windows")))
    households = Zones.of(_spans_of(ctx.results.get("household_counts")))
    years = bare_years(text, zones, dates)
    out: list[Figure] = []
    for q in quantities:
        if dates.hits(q.num_start, q.num_end) or households.hits(q.start, q.end):
            continue
        # a 户 count household_counts did not take counts businesses (新增市场主体2.1万户)
        kind = "count" if q.kind == HOUSEHOLD else q.kind
        out.append(Figure(
            text=text[q.start:q.end], span=(q.start, q.end), value=q.value, unit=q.unit,
            kind=kind, approx=q.approx, value_max=q.value_max, subject=subject_of(text, q),
            year=year_before(text, q.start, years), suspect=q.suspect,
        ))
    return out
