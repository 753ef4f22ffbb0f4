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
from functools import cache
from typing import Optional

from .. import rules
from ..errors import RulesError
from ..schema import Figure
from ..segment import tagged, text_of
from ._numerals import parse_digits, parse_number

UNIT_FILES = {"money": "units_money.txt", "percent": "units_percent.txt",
              "measure": "units_measure.txt", "count": "units_count.txt"}
HOUSEHOLD = "household"  # kind of the household units of rules/household_counts.toml

_AR = r"\d+(?:,\d{3})*(?:\.\d+)?"
_CN_DIGITS = "零〇一二两三四五六七八九"
_CN = "[零〇一二两三四五六七八九十百千万亿]+(?:点[零〇一二三四五六七八九]+)?"
_MULTS = frozenset("十百千万亿")
_CJK = re.compile(r"[\u3400-\u9fff]")
_CJK_WORD = re.compile(_CJK.pattern + "*")
_OPENERS = frozenset("“‘「《〈（(【")


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
    bare_year: re.Pattern
    sentence_end: re.Pattern  # any one character that ends a sentence


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
    # Every match starts with a numeral, a prefix unit (百分之) or an approximation word
    # (超过): a lookahead on those first characters lets the engine skip other positions
    # at once (three times faster; the matches are the same).
    first = "".join(sorted({w[0] for w in (*t["prefix_units"], *ap["before"])}))
    src = (
        rf"(?=[\d{_CN_DIGITS}十百千万亿{re.escape(first)}])"
        rf"(?:(?P<pfx>{alt(t['prefix_units'], 'figures.toml:prefix_units')})(?P<pn>{_AR}|{_CN})"
        rf"|(?P<pre>{alt(ap['before'], 'figures.toml:approx.before')})?"
        rf"(?P<n1>{_AR}|{_CN})(?P<m1>{alt(mult)})??(?P<i1>{alt(ap['infix'])})?"
        rf"(?:(?P<sep>{alt(nums['range'])})(?P<n2>{_AR}|{_CN}))?"
        rf"(?P<m2>{alt(mult)})??(?P<i2>{alt(ap['infix'])})?"
        rf"(?P<unit>{alt(units, 'units')})"
        rf"(?:/(?P<per>{alt(per, 'units_per.txt')}))?)"
        rf"(?P<post>{alt(ap['after'], 'figures.toml:approx.after')})?"
    )
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
        bare_year=rules.compile_pattern(
            rf"(?=[12〇零一二三四五六七八九])(?<![\d{_CN_DIGITS}])(?P<y>(?:19|20)\d\d|[〇零一二三四五六七八九]{{4}})年(?![\d{_CN_DIGITS}十]{{1,3}}月|{years_not})",
            "figures bare year"),
        sentence_end=re.compile(f"[{re.escape(ctx['sentence_end'])}]"),
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
    return Zones.of(spans)


# --- the scan --------------------------------------------------------------------------

def _value(num: str, mult: Optional[str], g: Grammar) -> Optional[float]:
    v = parse_number(num)
    if v is None:
        return None
    return round(v * g.multipliers[mult], 6) if mult else v


def _is_cjk(ch: str) -> bool:
    return bool(ch) and _CJK.match(ch) is not None


def _excluded(text: str, m: re.Match, q_unit: str, g: Grammar) -> bool:
    """Contexts in which a numeral + unit is not a quantity (ordinals, codes, idioms)."""
    ns = m.start("n1") if m.group("n1") else m.start("pn")
    n1 = m.group("n1") or m.group("pn")
    before = text[ns - 1] if ns > 0 else ""
    first = m.start()
    if any(text.startswith(o, first - len(o)) for o in g.ordinal_before):
        return True
    if before and before.isascii() and (before.isalnum() or before in "+#.-/_"):
        if not (before == "-" and ns >= 2 and not text[ns - 2].isalnum()):
            return True  # S101户外, 6.0版, 4+2, a phone or ID number
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
        if before and before in g.not_after.get(unit, ()):
            return True
    chinese = not n1[0].isdigit()
    if not chinese:
        return False
    # Chinese numerals: idioms, slogans and indefinite articles are not counts.
    if unit in g.digits_only:
        return True
    if all(c in _MULTS for c in n1) and (q_unit in ("money", "percent") or unit == g.class_suffix
                                         or nxt == g.class_suffix):
        return True  # 万元 alone is a unit word (单位：万元); 百亿级 is a class
    if len(n1) >= 2 and not any(c in _MULTS or c == "点" for c in n1):
        return True  # 二三级, 三四个: a list of small numbers or a year, not one number
    end = m.end()
    after = text[end] if end < len(text) else ""
    if n1 == "一" and (unit in g.never_one or (unit not in g.verbal and (_is_cjk(after) or after in _OPENERS))):
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


def scan(text: str, zones: Optional[Zones] = None) -> list[Quantity]:
    """Every quantity of ``text`` in order (households included, names excluded)."""
    g = grammar()
    if zones is None:
        zones = name_zones(text)
    out: list[Quantity] = []
    for m in g.pattern.finditer(text):
        if m.group("pfx"):
            unit = g.prefix_units[m.group("pfx")]
            canonical, kind = g.units.get(unit, (unit, "percent"))
            ns, ne = m.start("pn"), m.end("pn")
            value, value_max = parse_number(m.group("pn")), None
            approx, surface = None, unit
        else:
            surface = m.group("unit")
            canonical, kind = g.units[surface]
            ns = m.start("n1")
            ne = m.start("unit")
            m1, m2 = m.group("m1"), m.group("m2")
            if m.group("n2"):
                value = _value(m.group("n1"), m1 or m2, g)
                value_max = _value(m.group("n2"), m2, g)
            else:
                value = _value(m.group("n1"), m1 or m2, g)
                value_max = None
            approx = None
            if m.group("pre"):
                approx = g.approx_before[m.group("pre")]
            elif m.group("i1") or m.group("i2"):
                approx = g.approx_infix[m.group("i1") or m.group("i2")]
            elif m.group("post"):
                approx = g.approx_after[m.group("post")]
            if m.group("per"):
                canonical = f"{canonical}/{m.group('per')}"
        if value is None or (value_max is not None and value_max < value):
            continue
        if _excluded(text, m, kind, g):
            continue
        if surface in g.year_like and (value >= g.max_duration or not float(value).is_integer()):
            continue
        if zones.hits(ns, ne):
            continue
        n1 = m.group("n1") or m.group("pn")
        start = m.start()
        end = m.end()
        sus = g.suspect_chars
        suspect = (ns > 0 and text[ns - 1] in sus) or (end < len(text) and text[end] in sus and text[end - 1].isdigit())
        out.append(Quantity(start, end, ns, ne, value, value_max, canonical, surface, kind, approx,
                            not n1[0].isdigit(), suspect))
    return out


# --- years and subjects ----------------------------------------------------------------

def bare_years(text: str, zones: Zones, taken: Zones) -> list[tuple[int, int, int]]:
    """(start, end, year) of bare years (2020年) outside names and date windows."""
    g = grammar()
    out = []
    for m in g.bare_year.finditer(text):
        if zones.hits(m.start(), m.end()) or taken.hits(m.start(), m.end()):
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
        if q.kind == HOUSEHOLD:
            continue
        if dates.hits(q.num_start, q.num_end) or households.hits(q.start, q.end):
            continue
        out.append(Figure(
            text=text[q.start:q.end], span=(q.start, q.end), value=q.value, unit=q.unit,
            kind=q.kind, approx=q.approx, value_max=q.value_max, subject=subject_of(text, q),
            year=year_before(text, q.start, years), suspect=q.suspect,
        ))
    return out
