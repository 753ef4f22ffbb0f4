"""Household counts (contract section 6): households and persons of a population group.

Reads the quantities of ``figures.scan`` (one numeral grammar for both extractors) and
keeps: every count with a household unit (户) that does not count businesses, paired with a
person count right after it (294户587人, 11户，41人); and person counts (人 名 口) whose group
is a poverty population (贫困学生91名, 适龄儿童5人). A 户 count of businesses (新增市场主体2.1万户)
is left to figures, as are person counts of other groups. The group words, business words,
honours, scope words and pair separators are data in rules/household_counts.toml.

The category is the group the sentence names: the group noun right before the count (with
its modifiers: 建档立卡贫困户), the group right after it (5567户困难家庭), or the verb phrase that
governs it (避险搬迁安置1252户, 危房改造13户).
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Optional

from .. import rules
from ..schema import HouseholdCount
from ..segment import text_of
from . import figures as F
from ._numerals import scaled


@dataclass(frozen=True)
class HouseholdRules:
    """rules/household_counts.toml, read once. Word lists that are searched inside strings are
    also kept as one alternation each (``*_re``)."""
    # [units]
    households: frozenset
    persons: frozenset
    separators: frozenset
    self_named: frozenset
    family_units: frozenset
    visit_marks: tuple
    not_families: tuple
    # [groups]
    poverty: tuple
    poverty_re: re.Pattern
    not_after: frozenset  # the words before which a 困难… word is not a poverty word (就业)
    honours_re: re.Pattern
    scope: tuple
    scope_re: re.Pattern
    skip_before: tuple
    lead_verbs: frozenset
    places: tuple
    heads: tuple
    household_heads: tuple
    household_words: tuple
    household_words_re: re.Pattern
    joiners: frozenset
    count_nouns: tuple
    threshold_words: tuple
    quota_words: tuple
    status: tuple
    max_chars: int
    # [through_verbs]
    through_tags: frozenset
    measure_nouns: frozenset
    through_chars: int
    verb_chars: int
    # [change]
    change: re.Pattern
    change_measures: tuple
    # [business]
    business: tuple
    business_re: re.Pattern
    aggregates: tuple
    attributes: tuple
    stationed: frozenset
    ranking: re.Pattern
    # [unitless]
    unitless_poverty: tuple
    unitless_poverty_re: re.Pattern
    unitless_verbs: tuple
    unitless_end: str


@cache
def hh_rules() -> HouseholdRules:
    t = rules.table("household_counts.toml")
    u, g, tv, b, ul = t["units"], t["groups"], t["through_verbs"], t["business"], t["unitless"]
    by_len = lambda xs: tuple(sorted(xs, key=len, reverse=True))  # noqa: E731
    unitless_poverty = [w for w in g["poverty"] if w not in ul["not_poverty_alone"]]
    return HouseholdRules(
        households=frozenset(u["households"]), persons=frozenset(u["persons"]),
        separators=frozenset(u["pair_separators"]), self_named=frozenset(u.get("self_named", ())),
        family_units=frozenset(u["family_units"]), visit_marks=tuple(u["visit_marks"]), not_families=tuple(u["not_families"]),
        poverty=tuple(g["poverty"]), poverty_re=_any_of(g["poverty"], g["not_after"]),
        not_after=frozenset(g["not_after"]), honours_re=_any_of(g["honours"]),
        scope=by_len(g["scope"]), scope_re=_any_of(g["scope"]), skip_before=by_len(g["skip_before"]),
        lead_verbs=frozenset(g["lead_verbs"]), places=tuple(g["places"]),
        heads=by_len(g["heads"]), household_heads=tuple(g["household_heads"]),
        household_words=tuple(g["household_words"]), household_words_re=_any_of(g["household_words"]),
        joiners=frozenset(g["joiners"]), count_nouns=by_len(g["count_nouns"]),
        threshold_words=tuple(g["threshold_words"]), quota_words=tuple(g["quota_words"]),
        status=tuple(g["status"]),
        max_chars=int(g["max_chars"]),
        through_tags=frozenset(tv["tags"]), measure_nouns=frozenset(tv["measure_nouns"]),
        through_chars=int(tv["max_chars"]), verb_chars=int(tv["max_verb_chars"]),
        change=_change_pattern(t["change"]), change_measures=by_len(t["change"]["measure_nouns"]),
        business=by_len(b["words"]), business_re=_any_of(b["words"]), aggregates=tuple(b["aggregates"]),
        attributes=tuple(b["attributes"]), stationed=frozenset(b["stationed"]),
        ranking=rules.compile_pattern(b["ranking"], "household_counts.toml:business.ranking"),
        unitless_poverty=tuple(unitless_poverty), unitless_poverty_re=_any_of(unitless_poverty, g["not_after"]),
        unitless_verbs=by_len(ul["verbs"]), unitless_end=ul["clause_end"],
    )


def _any_of(words, not_after: Optional[dict] = None) -> re.Pattern:
    """One of ``words`` (longest first); a word that starts with one of ``not_after[w]`` does not
    count right after ``w`` (就业|困难群体)."""
    def one(word: str) -> str:
        guard = "".join(f"(?<!{re.escape(before)})" for before, starts in (not_after or {}).items()
                        if word.startswith(tuple(starts)))
        return guard + re.escape(word)
    return re.compile("|".join(one(w) for w in sorted(words, key=len, reverse=True)))


def _change_pattern(t: dict) -> re.Pattern:
    """The words between 由/从 and a count of a change, up to the count: 由|年初的|400多万人扩大到|
    年末的 before the second count, 由|年初的 before the first."""
    alt = rules.alternation
    when = r"(?:[^，,。；;由从]{0,10}?的)?"
    number = rf"[\d.{_CN}万亿余多]+(?:人口|人|名|口|户)?"
    return rules.compile_pattern(
        rf"(?:{alt(t['from'])}){when}(?:{number}(?:{alt(t['verbs'])})(?:{alt(t['to'])}){when})?$",
        "household_counts.toml:change")


_CN = F._CN_DIGITS + "十百千"  # Chinese numerals below 万 (零〇一二…九十百千)
_NUMERAL_CHARS = frozenset("0123456789." + _CN + "万亿余多")  # what a number of a count is written in

_NOUNISH = ("n", "j", "l")
_MODIFIER = ("a", "an", "b")  # 困难家庭, 临时
_VERBAL = ("v", "vn")  # 避险搬迁安置, 危房改造
_CJK_WORD = re.compile(r"^[\u3400-\u9fff]+$")


def _groupish(word: str, flag: str, r: HouseholdRules) -> bool:
    """A word that can be part of a group name (贫困户, 建档立卡, 脱贫, 边缘户, 困难家庭)."""
    if word in r.households or r.poverty_re.search(word):
        return True
    if not _CJK_WORD.match(word):
        return False
    return flag.startswith(_NOUNISH) or flag == "x" or flag in _MODIFIER


def _headed(word: str, r: HouseholdRules) -> bool:
    """A group noun (贫困户, 群众, 困难家庭): a word that ends with a head of rules [groups] heads."""
    return word.endswith(r.heads)


def _straddles(left: str, right: str, words: tuple) -> bool:
    """Whether one of ``words`` is split between two segmenter words (救助|对象)."""
    both = left + right
    return any(k in both and k not in left and k not in right for k in words)


def _trim_front(cat: str, words: list[str], r: HouseholdRules) -> tuple[str, int]:
    """``cat`` without scope words, skip words and governing verbs at its front (全县完成易地扶贫
    搬迁安置 -> 易地扶贫搬迁安置), and how many characters went. A bare head is never left."""
    cut = 0
    changed = True
    while changed:
        changed = False
        rest = cat[cut:]
        for w in (*r.skip_before, *r.scope):
            if rest.startswith(w) and len(rest) > len(w):
                cut += len(w)
                changed = True
                break
        if changed:
            continue
        pos = 0
        for w in words:  # whole governing verbs (监测 of 监测消除返贫风险, not of 监测对象)
            if pos == cut and w in r.lead_verbs:
                left = cat[cut + len(w):]
                if left and left not in r.heads and not (len(left) <= 2 and _headed(left, r)):
                    cut += len(w)
                    changed = True
                break
            pos += len(w)
            if pos > cut:
                break
    return cat[cut:], cut


def _strip_end(s: str, end: int, words: tuple) -> int:
    """``end`` moved back past any of ``words`` ending ``s[:end]``, in any order and number."""
    stripped = True
    while stripped and end:
        stripped = False
        for w in words:
            if s.endswith(w, 0, end):
                end -= len(w)
                stripped = True
                break
    return end


def category_before(text: str, pos: int, r: HouseholdRules, verbs: bool = True) -> tuple[Optional[str], int]:
    """The group named just before ``pos`` and where it starts (-1 when none). With ``verbs``
    a verb phrase next to the count names the group too (避险搬迁安置1252户).

    Scope words are dropped from its front unless nothing else names the group
    (全村低保户 -> 低保户; 全村共有 -> 全村)."""
    clause = F.clause_before(text, pos, 24)
    end = _strip_end(clause, len(clause), r.skip_before)
    head = clause[:end]
    if not head:
        return None, -1
    run: list[str] = []
    size = 0
    # A group noun next to the count takes its modifiers (建档立卡贫困户, 搬迁群众) and stops at a
    # verb (结对帮扶|贫困户); a verb next to it heads a verb phrase that names the group by what
    # was done for it (避险搬迁安置, 农村危房改造), which may hold verbs and nouns.
    verbal = None
    flags: list[str] = []
    for w, f in reversed(F.pos_words(head)):
        if size + len(w) > r.max_chars:
            break
        if verbal is None:
            verbal = verbs and not _headed(w, r) and (f.startswith(_VERBAL) or (f.startswith("n") and not _has(r.poverty_re, w)))
        ok = (_groupish(w, f, r) or (verbal and _CJK_WORD.match(w) is not None and f.startswith(_VERBAL))
              or (run and _straddles(w, run[-1], r.poverty))  # 救助|对象: a group word of two words
              or (run and w in r.joiners)  # 贫困户和边缘户, 农村危房及农房抗震改造
              or (run and w in r.not_after and size + len(w) <= r.max_chars))  # 就业|困难群体: not poverty
        if not ok:
            break
        run.append(w)
        flags.append(f)
        size += len(w)
    # a joiner joins two groups (贫困户和边缘户) or two programmes, never a thing and a group
    # (资金和|贫困户): cut at a joiner whose left side is no group noun in a noun run
    for k in range(len(run)):
        if run[k] in r.joiners and not (verbal and k + 1 < len(run)) and not (
                k + 1 < len(run) and (_headed(run[k + 1], r) or _has(r.poverty_re, run[k + 1]))):
            size -= sum(map(len, run[k:]))
            del run[k:], flags[k:]
            break
    words = list(reversed(run))
    if verbal:
        heads = [k for k, w in enumerate(words) if _headed(w, r)]
        if heads and all(f.startswith(("v", "a", "d")) for f in list(reversed(flags))[heads[-1] + 1:]):
            words = words[:heads[-1] + 1]  # 脱贫人口外出务工 -> 脱贫人口 (家庭适老化改造 stays)
        elif (heads and words[heads[-1]].endswith(r.household_heads)
              and _has(r.poverty_re, "".join(words[:heads[-1] + 1]))
              and not _has(r.poverty_re, "".join(words[heads[-1] + 1:]))):
            # a poverty group of households, not the programme: 特困老人家庭|适老化改造 (a group of
            # persons stays in the programme: 残疾人无障碍设施改造2500余户)
            words = words[:heads[-1] + 1]
        elif len(words) == 1 and flags[0].startswith("v") and not _has(r.poverty_re, words[0]):
            return None, -1  # a lone verb (培育, 启动) names no group
    cat = "".join(words)
    if not cat:
        return None, -1
    start = pos - len(clause) + end - size
    cat, cut = _trim_front(cat, words, r)  # 资助贫困学生 -> 贫困学生; 全县完成… -> …
    start += cut
    if cat.endswith(r.places) and cat not in r.scope:
        return None, -1  # 重点贫困县: a place, not a group
    return cat, (start if end == len(clause) else -1)


def category_after(text: str, pos: int, r: HouseholdRules) -> tuple[Optional[str], int]:
    """The group named right after a count and where it ends (91户建档立卡贫困户和边缘户)."""
    clause = F.clause_after(text, pos, r.max_chars + 4)
    if not clause:
        return None, -1
    words = F.pos_words(clause)
    run: list[str] = []
    pending: list[str] = []
    verbal = False
    for k, (w, f) in enumerate(words):
        if w in r.joiners and run:
            pending.append(w)
            continue
        # a verb may open the group when a group noun follows it (持证|残疾人, 受助|群众)
        opener = k == 0 and f.startswith(_VERBAL) and _CJK_WORD.match(w) is not None
        if not (_groupish(w, f, r) or opener) or len("".join(run + pending)) + len(w) > r.max_chars:
            break
        verbal = verbal or (opener and not _groupish(w, f, r))
        run.extend(pending)
        pending = []
        run.append(w)
    ends = [k for k, w in enumerate(run) if w.endswith(r.heads)]
    if not ends or (verbal and ends[-1] == 0):
        return None, -1  # no group noun (千名农技专家科技助力…): not a group
    run = run[:ends[-1] + 1]
    cat = "".join(run)
    if verbal and not _has(r.poverty_re, cat):
        return None, -1  # a verb phrase of another kind (培训|农民): only a poverty group opens so
    return cat, pos + len(cat)


def _has(words: re.Pattern, s: Optional[str]) -> bool:
    """Whether ``s`` contains one of the words of an alternation (HouseholdRules *_re)."""
    return bool(s) and words.search(s) is not None


def _last_business(s: str, r: HouseholdRules) -> int:
    """End of the last business word or ranking in ``s`` (个体工商户, 市场主体, 500强), or -1."""
    best = -1
    for m in r.business_re.finditer(s):
        best = m.end()
    for m in r.ranking.finditer(s):
        best = max(best, m.end())
    return best


def _names_household(s: str, r: HouseholdRules) -> bool:
    """Whether ``s`` names a household group (贫困户, 困难家庭, 群众); the 户 of a count in it
    (新增市场主体25万户) is a unit, not a group."""
    if _has(r.poverty_re, s):
        return True
    for w in r.count_nouns:  # 企业户数达778户: 户数 counts the businesses
        s = s.replace(w, "")
    for w in r.household_words:
        i = s.find(w)
        while i >= 0:
            if not (w in r.households and i > 0 and s[i - 1] in _NUMERAL_CHARS):
                return True
            i = s.find(w, i + 1)
    return False


_SENTENCE = re.compile(r"[。；;！？!?\n]")
_CLAUSE = re.compile(r"[，,、：:]")


_QUOTES = {"“": "”", "「": "」", "‘": "’", '"': '"'}
_LIST_MARKS = ("、",)  # 企业分别达4户、22户: the second count goes on the list of the first
_ASIDES = {"（": "）", "(": ")"}


def _clause_after_count(text: str, pos: int, limit: int) -> tuple[str, str]:
    """The clause after ``pos``, read through a short quoted modifier right at its start
    (153户“关停”企业 -> 关停企业), past an aside in brackets or the bracket that closes one
    (新增2400户（累计约3600户）大中型餐饮单位), since quotes and brackets end a clause otherwise;
    and the part after the quote (企业; the whole clause when there is none)."""
    if text[pos:pos + 1] in _ASIDES:
        end = text.find(_ASIDES[text[pos]], pos + 1, pos + 1 + 2 * limit)
        if end > pos:
            pos = end + 1
    elif text[pos:pos + 1] in _ASIDES.values():
        pos += 1
    close = _QUOTES.get(text[pos:pos + 1])
    if close is not None:
        end = text.find(close, pos + 1, pos + 1 + limit)
        if end > pos:
            rest = F.clause_after(text, end + 1, limit)
            return (text[pos + 1:end] + rest)[:limit], rest
    after = F.clause_after(text, pos, limit)
    return after, after


def counts_business(text: str, q, r: HouseholdRules) -> bool:
    """Whether a 户 count counts businesses: the noun right after it is a business (1200户小微企业),
    or the subject of its clause is (新增市场主体2.1万户; 市场主体持续壮大，全年新增2.3万户) with no
    household group between that word and the count (组织企业结对帮扶贫困户1200户 is households)."""
    lo = max(0, q.start - 40)
    after, unquoted = _clause_after_count(text, q.end, r.max_chars)
    if _last_business(text[lo:q.start], r) < 0 and _last_business(after, r) < 0:
        return False  # no business word near: nothing to tag
    if after.startswith(r.business) or unquoted.startswith(r.business):
        return True  # 2.6万户经营主体 (jieba splits 经营|主体), 120户“关停”企业
    run = []
    for w, f in F.pos_words(after):
        if not (_groupish(w, f, r) or w in ("的", "各类") or (not run and w in r.stationed)):  # 驻市|央企
            break
        run.append(w)
    noun = "".join(run)
    if _business_head(F.clause_after(text, q.end, 2 * r.max_chars), r):
        return True
    if noun:
        b = _last_business(noun, r)
        if b >= 0 and not _has(r.household_words_re, noun[b:]):
            return True
        if _has(r.household_words_re, noun) or _has(r.poverty_re, noun):
            return False
    sentence = text[lo:q.start]
    m = None
    for m in _SENTENCE.finditer(sentence):
        pass
    if m is not None:
        sentence = sentence[m.end():]
    clauses = _CLAUSE.split(sentence)
    for k, clause in enumerate(reversed(clauses)):
        if k == 0 and not clause.strip() and not text.endswith(_LIST_MARKS, 0, q.start):
            return False  # the count opens its clause: its subject follows (19225户受损房屋维修重建)
        b = _last_business(clause, r)
        if b >= 0:  # 网点覆盖全村320户: a scope word after the business names the households
            return not (_names_household(clause[b:], r) or _has(r.scope_re, clause[b:]))
        if _names_household(clause, r):
            return False
        nouns = [w for w, f in F.pos_words(clause) if f.startswith(_NOUNISH) and w not in r.skip_before]
        if k == 0 and nouns and not all(w in r.aggregates for w in nouns):
            return False  # the clause names its own subject (not a business)
        if k >= 1 and not (nouns and all(w in r.aggregates for w in nouns)) and k >= 2:
            break
    return False


def _business_head(clause: str, r: HouseholdRules) -> bool:
    """Whether the clause after a 户 count ends with a business noun that an attribute phrase
    separates from the count, one holding a figure or a rank (10户交易额1000万元以上电商企业,
    30户省级以上绿色制造示范企业), with no household group between (帮扶300户发展电商企业 stays
    households: no attribute)."""
    if not clause.endswith(r.business):
        return False
    if not (any(c.isdigit() or c in "十百千万亿" for c in clause) or any(w in clause for w in r.attributes)):
        return False
    head = max(len(w) for w in r.business if clause.endswith(w))
    return not _names_household(clause[:-head], r)


_UNITLESS_REACH = 40  # how far back from its 万/亿 a unit-less number may start, approx word included


@cache
def _unitless_patterns(before_group: bool) -> tuple[re.Pattern, re.Pattern]:
    """A number in 万/亿 with no unit, with its approx words, and the tail of one (万 or 亿 and
    what follows). Two forms: the number ends its clause (超过240万, 3.6万余, 85万左右), or a
    poverty group follows it within a few characters (1700多万困难和重度残疾人, 3.5万脱贫人口).
    The numeral grammar of figures, less the unit."""
    g, r = F.grammar(), hh_rules()
    alt = rules.alternation
    infix = alt([w for w in g.approx_infix if w not in g.vague], "figures.toml:approx.infix")
    mults = alt([m for m in g.multipliers if m in ("万", "亿", "万亿")], "figures.toml:numbers.multipliers")
    cn = _CN
    first = "".join(sorted({w[0] for w in (*g.approx_before, *g.vague)}))
    if before_group:  # a poverty group, or any group of households (11万农户), follows
        groups = alt([*r.unitless_poverty, *r.households], "household_counts.toml:groups.poverty")
        tail = rf"(?P<i2>{infix})?(?=[\u4e00-\u9fff]{{0,{r.max_chars // 2}}}?(?:{groups}))"
    else:
        change = rules.table("household_counts.toml")["change"]  # 由9899万|减少到1660万
        tail = (rf"(?P<i2>{infix})?(?P<post>{alt(g.approx_after)})?"
                rf"(?=[{re.escape(r.unitless_end)}]|$|(?:{alt(change['verbs'])})(?:{alt(change['to'])}))")
    whole = rules.compile_pattern(
        rf"(?=[\d{cn}{re.escape(first)}])(?P<pre>{alt(g.approx_before)})?(?<![\d.{cn}万亿])"
        rf"(?P<n>\d+(?:\.\d+)?|(?:{alt(g.vague)})?[{cn}]+)(?P<i1>{infix})?(?P<m>{mults}){tail}",
        "household counts: unit-less numbers")
    return whole, rules.compile_pattern(rf"[万亿]{tail}", "household counts: unit-less tail")


_UNITLESS_AFTER = _NUMERAL_CHARS - {".", "亿"}  # what the 万/亿 of a number follows


def _unitless_anchors(text: str) -> list[int]:
    """Positions of 万 and 亿 after a digit, a Chinese numeral or 余/多, in order: where a
    unit-less number may end (str.find is several times faster than a regex scan here)."""
    out = []
    for ch in "万亿":
        i = text.find(ch, 1)
        while i >= 0:
            if text[i - 1] in _UNITLESS_AFTER:
                out.append(i)
            i = text.find(ch, i + 1)
    out.sort()
    return out


def _unitless_numbers(text: str):
    """(match, before_group) of the unit-less number patterns, found from their tails in one
    scan (linear in the text)."""
    forms = [(False, *_unitless_patterns(False), 0), (True, *_unitless_patterns(True), hh_rules().max_chars)]
    last = 0
    for a in _unitless_anchors(text):
        for before_group, whole, tail, ahead in forms:  # the lookahead reads past the tail
            t = tail.match(text, a)
            if t is None:
                continue
            pos = max(last, t.start() - _UNITLESS_REACH)
            while (m := whole.search(text, pos, t.end() + ahead)) is not None and m.end() <= t.end():
                if m.end() == t.end():
                    yield m, before_group
                    last = m.end()
                    break
                pos = m.end()
            break


def _poverty_group(cat: Optional[str], r: HouseholdRules) -> bool:
    """A group that names a poverty population by more than the word 人口 (contract section 6)."""
    return bool(cat) and _has(r.unitless_poverty_re, cat) and _headed(cat, r) and not _has(r.honours_re, cat)


def unitless_persons(text: str, zones, dates, years, r: HouseholdRules, quantities=None) -> list[HouseholdCount]:
    """Person counts without a unit of a poverty population, not just any population (人口):
    the group right before the number, past verbs of change such as 减少 and approx words
    (农村贫困人口减少1240万 -> 12400000, category 农村贫困人口), or right after it
    (为1700多万困难和重度残疾人发放 -> 17000000, category 困难和重度残疾人)."""
    out = []
    starts = None  # the scan's quantity starts (in order), listed when first needed
    for m, before_group in _unitless_numbers(text):
        if zones.hits(m.start(), m.end()) or dates.hits(m.start(), m.end()):
            continue
        if before_group and quantities:
            starts = starts or [q.start for q in quantities]
            k = bisect_right(starts, m.end() - 1) - 1
            if k >= 0 and quantities[k].end > m.start():
                continue  # the number has a unit after all (30.53万元为…贫困户)
        h = (_unitless_before_group if before_group else _unitless_after_group)(text, m, years, r)
        if h is not None:
            out.append(h)
    return out


def _approx(m: re.Match) -> Optional[str]:
    g = F.grammar()
    pre, post = m.group("pre"), m.groupdict().get("post")
    infix = m.group("i1") or m.group("i2")
    if m.group("n")[0] in g.vague:
        return "more_than"  # 几千万, 数百万: at least one of the magnitude (contract section 5)
    return (g.approx_before[pre] if pre else g.approx_infix[infix] if infix
            else g.approx_after[post] if post else None)


def _unitless_value(m: re.Match) -> Optional[int]:
    g = F.grammar()
    n = m.group("n")
    n = n[1:] if n[0] in g.vague else n  # 几千万 -> 千万
    value = scaled(n, Decimal(str(g.multipliers[m.group("m")])))
    return None if value is None else _int(value)


def _unitless_before_group(text: str, m: re.Match, years, r: HouseholdRules) -> Optional[HouseholdCount]:
    """A number in 万/亿 right before its group: persons of a poverty population (3.5万脱贫人口),
    or households when the group is one of households (11万农户, 2万脱贫户; not 5万个体工商户)."""
    if text[m.end():m.end() + 1] in r.persons or text[m.end():m.end() + 1] in r.households:
        return None  # a count with its unit (3.5万人), read by the scan
    value = _unitless_value(m)
    category, end = category_after(text, m.end(), r)
    if not value or not category:
        return None
    if category.endswith(tuple(r.households)) and _last_business(category, r) < 0:
        households, persons = value, None
    elif _poverty_group(category, r):
        households, persons = None, value
    else:
        return None
    return HouseholdCount(
        text=text[m.start():end], span=(m.start(), end), households=households, persons=persons,
        category=category, year=F.year_before(text, m.start(), years), approx=_approx(m), suspect=False,
    )


def _unitless_after_group(text: str, m: re.Match, years, r: HouseholdRules) -> Optional[HouseholdCount]:
    persons = _unitless_value(m)
    if not persons:
        return None
    pos = m.start()
    clause = F.clause_before(text, pos, 24)
    end = _strip_end(clause, len(clause), r.unitless_verbs)  # 贫困人口比上年减少|290万
    pos -= len(clause) - end
    category, start = category_before(text, pos, r, verbs=False)
    if not _poverty_group(category, r):
        category, start = group_through_verbs(text, m.start(), r, measured=True)  # 脱贫人口务工规模超过3300万
        category = category or group_of_change(text, m.start(), r, headed=True)  # 贫困人口由9899万减少到1660万
        if not category:
            return None
        start = -1
    if start < 0 or pos != m.start():
        start = m.start()  # the group is named before a verb: the item is the number
    return HouseholdCount(
        text=text[start:m.end()], span=(start, m.end()), households=None, persons=persons,
        category=category, year=F.year_before(text, start, years), approx=_approx(m), suspect=False,
    )


def group_through_verbs(text: str, pos: int, r: HouseholdRules, measured: bool = False) -> tuple[Optional[str], int]:
    """The poverty group named before a short verb phrase that ends at ``pos`` and where it
    starts (脱贫劳动力|就业稳定在|1.1万人, 农村困难老年人|集中供养|2078人, 脱贫人口|务工总人数|46.5万人);
    (None, -1) when the words between are not all verbs, adverbs and measure nouns of rules
    [through_verbs], or the group is not a poverty population. With ``measured`` (a number with
    no unit) one of the words must be a measure noun (务工规模超过3300万), else the number may be
    money (带动贫困人口增收1.2亿)."""
    clause = F.clause_before(text, pos, 24)
    if not _has(r.unitless_poverty_re, clause):
        return None, -1  # no poverty group in reach: nothing to segment
    cut = 0
    measure = False
    for w, f in reversed(F.pos_words(clause)):
        if not (f in r.through_tags or w in r.unitless_verbs or w in r.measure_nouns):
            break
        measure = measure or w in r.measure_nouns
        cut += len(w)
        if cut > r.through_chars:
            return None, -1
    if not cut or cut == len(clause) or (measured and not measure):
        return None, -1
    category, start = category_before(text, pos - cut, r, verbs=False)
    if category and not _poverty_group(category, r) and start >= 0 and _headed(category, r):
        category, start = group_with_verbs(text, category, start, r)  # 特困|供养|人员|达到
    return (category, start) if _poverty_group(category, r) else (None, -1)


def group_of_change(text: str, pos: int, r: HouseholdRules, headed: bool = False) -> Optional[str]:
    """The poverty group of a count in a change from one count to another, named before 由/从
    (贫困人口由9899万减少到|1660万 -> 贫困人口; 城市居民最低生活保障的覆盖人数，由年初的|400多万人 ->
    城市居民最低生活保障), or None. A population changing (常住人口由500万增加到520万) is not one."""
    lo = max(0, pos - 50)
    m = r.change.search(text, lo, pos)
    if m is None or _SENTENCE.search(text, m.start(), pos):
        return None
    end = m.start()
    if text[end - 1:end] in "，,":
        end -= 1
    for w in r.change_measures:
        if text.endswith(w, 0, end):
            end -= len(w)
            break
    if text.endswith("的", 0, end):
        end -= 1
    category, _ = category_before(text, end, r, verbs=False)
    if not _has(r.unitless_poverty_re, category):
        clause = F.clause_before(text, end, 24)
        category, _ = _trim_front(clause, [w for w, _ in F.pos_words(clause)], r)
    if not _has(r.unitless_poverty_re, category) or _has(r.honours_re, category) or category.endswith(r.places):
        return None
    if headed and not _headed(category, r):
        return None  # a number with no unit names a group of people only (贫困地区农民收入由3000亿…)
    return category


def group_with_verbs(text: str, cat: str, start: int, r: HouseholdRules) -> tuple[Optional[str], int]:
    """A plain group noun (群众, 人员) with the verbs right before it, and a poverty word right
    before those, that make it a poverty population (搬迁安置|群众 -> 搬迁安置群众; 特困|供养|人员 ->
    特困供养人员; 完成 and other skip words dropped), or (None, -1)."""
    clause = F.clause_before(text, start, 24)
    verbs: list[str] = []
    size = 0
    tagged = list(reversed(F.pos_words(clause)))
    k = 0
    for k, (w, f) in enumerate(tagged):
        if not f.startswith(_VERBAL) or _CJK_WORD.match(w) is None or size + len(w) > r.verb_chars:
            break
        verbs.insert(0, w)
        size += len(w)
    else:
        k = len(tagged)
    if verbs and k < len(tagged):  # a poverty modifier before the verbs: 特困|供养|人员
        w, f = tagged[k]
        if _has(r.poverty_re, w) and f in _MODIFIER and size + len(w) + len(cat) <= r.max_chars:
            verbs.insert(0, w)
            size += len(w)
    if not verbs or not _has(r.poverty_re, "".join(verbs)):
        return None, -1
    words = [*verbs, cat]
    whole, cut = _trim_front("".join(words), words, r)
    return whole, start - size + cut


def _int(v: float) -> Optional[int]:
    return int(v) if float(v).is_integer() else None


def _is_size_threshold(text: str, q, r: HouseholdRules) -> bool:
    """A person count ending in 以上 right before a noun that names no group sizes the places
    the noun names (常住人口千人以上村卫生室, 万人以上社区): it counts nobody. Before a group it
    counts the group (2000名以上残疾儿童, 8000人以上农村人口)."""
    if not text.endswith(r.threshold_words, q.start, q.end):
        return False
    words = F.pos_words(F.clause_after(text, q.end, 6))
    if not words or not words[0][1].startswith(("n", "s", "zg")) or _CJK_WORD.match(words[0][0]) is None:
        return False
    return category_after(text, q.end, r)[0] is None


def _group_beyond(text: str, pos: int, before: Optional[str], b_start: int,
                  r: HouseholdRules) -> tuple[Optional[str], int]:
    """The poverty group of a person count at ``pos`` whose adjacent words (``before``) name
    none, and where it starts (-1: the item is the count alone): verbs that make the group one
    (搬迁安置|群众7500人), a group before a verb phrase (脱贫劳动力|就业稳定在|1.1万人), or the
    group of a change (贫困人口由…减少到…); (None, -1) when there is none."""
    if before and b_start >= 0 and _headed(before, r):
        group, start = group_with_verbs(text, before, b_start, r)
        if group:
            return group, start
    return group_through_verbs(text, pos, r)[0] or group_of_change(text, pos, r), -1


_OR_THRESHOLD = re.compile(rf"(?:或者|或)[0-9{_CN}万]+(?:户|人|名)?(?:以上|以下)")  # 十户|或者二十人以上


def _is_shared_threshold(text: str, q) -> bool:
    """A 户 count that is one side of a threshold shared over 或者 states a rule, not a count
    (十户或者二十人以上联名). (The other end of a rate's range, 每五户至十五户, the scan leaves out.)"""
    return _OR_THRESHOLD.match(text, q.end) is not None


def _is_household_quota(text: str, q, r: HouseholdRules) -> bool:
    """A lower bound of persons right after a household noun is a quota per household, not a
    count (确保困难家庭至少1人就业, 每户至少1人)."""
    if q.approx != "at_least":
        return False
    clause = F.clause_before(text, q.start, 24)
    return clause.endswith(r.household_heads, 0, _strip_end(clause, len(clause), r.quota_words))


def _counts_families(text: str, q, r: HouseholdRules) -> bool:
    """A count in 个 of households (惠及1.3万个家庭, 300个贫困家庭): the noun right after it is a
    group of households (its head is 家庭 or 户)."""
    if q.kind != "count" or q.surface_unit not in r.family_units or q.value_max is not None:
        return False
    near = F.clause_after(text, q.end, r.max_chars)
    if not any(h in near for h in r.household_heads):
        return False  # no household noun in reach: nothing to segment (5000个口罩)
    group, _ = category_after(text, q.end, r)
    if not group or _last_business(group, r) >= 0 or group.endswith(r.not_families):
        return False  # 56个民族大家庭 is a metaphor
    head, tag = F.pos_words(group)[-1]
    return head.endswith(r.household_heads) and tag.startswith("n")  # not 200个小区优质饮用水入户 (a verb)


def _status_after(text: str, pos: int, r: HouseholdRules) -> tuple[Optional[str], int]:
    """A change of poverty status right after a person count names its cohort (2015年脱贫15户35人
    in the contract; 6726人消除返贫致贫风险, 1.2万人实现稳定脱贫): the verb phrase up to the end of
    the clause (at most max_chars) when it starts with a verb or adverb and holds a status word
    of rules [groups] status; (None, -1) otherwise (500人参加贫困地区培训 names no cohort)."""
    clause = F.clause_after(text, pos, r.max_chars)
    words = F.pos_words(clause)
    if not words or not any(w in clause for w in r.status):
        return None, -1
    first, tag = words[0]
    if not (tag.startswith(("v", "d", "a")) or any(w in first for w in r.status)):  # 9万人|返贫致贫|风险
        return None, -1
    return clause, pos + len(clause)


def _gap_ok(gap: str, r: HouseholdRules) -> bool:
    return gap == "" or gap in r.separators


def extract(doc, ctx) -> list[HouseholdCount]:
    text = text_of(doc)
    r = hh_rules()
    zones, quantities = F.scanned(doc)
    dates = F.Zones.of(F._spans_of(ctx.results.get("date_windows")))
    years = F.bare_years(text, zones, dates)
    qs = [q for q in quantities if not dates.hits(q.num_start, q.num_end)]
    out: list[HouseholdCount] = []
    last_end = 0
    i = 0
    while i < len(qs):
        q = qs[i]
        i += 1
        if q.start < last_end:
            continue
        is_hh = (q.kind == F.HOUSEHOLD and q.surface_unit in r.households) or _counts_families(text, q, r)
        is_person = q.kind == "count" and q.surface_unit in r.persons and q.value_max is None
        if not (is_hh or is_person):
            continue
        households = persons = None
        first, last = q, q
        if is_hh:
            households = _int(q.value)
            if households is None:
                continue  # an average (每千人116.8户), not a count
            if counts_business(text, q, r):
                continue  # a figure (新增市场主体2.1万户)
            if text.startswith(r.visit_marks, q.end):
                continue  # visits, not households: 惠及75万户（人）次
            if _is_shared_threshold(text, q):
                continue  # a rule, not a count: 十户或者二十人以上联名
            if i < len(qs):
                p = qs[i]
                if (p.kind == "count" and p.surface_unit in r.persons and p.value_max is None
                        and _gap_ok(text[q.end:p.start], r) and _int(p.value) is not None):
                    persons = _int(p.value)
                    last = p
                    i += 1
        else:
            persons = _int(q.value)
            if persons is None or _is_size_threshold(text, q, r) or _is_household_quota(text, q, r):
                continue  # an average, the size of a place (万人以上社区), a quota (每户至少1人)
        # a verb phrase names a group of households (危房改造13户); a person count needs its group
        # noun (贫困学生91名; 每万人口拥有执业医师3人 is a figure)
        before, b_start = category_before(text, first.start, r, verbs=households is not None)
        if 0 <= b_start < last_end:  # the words belong to the previous count (0户0户)
            before, b_start = None, -1
        after, a_end = category_after(text, last.end, r)
        if last.surface_unit in r.self_named and not before:
            before = last.surface_unit  # 13亿多人口
        if households is None:
            # a person count alone: only a poverty population's (贫困学生91名, 适龄儿童5人)
            if _has(r.honours_re, before) or _has(r.honours_re, after):
                continue
            if not (_has(r.poverty_re, before) or _has(r.poverty_re, after)):
                before, b_start = _group_beyond(text, first.start, before, b_start, r)
                if not before:
                    after, a_end = _status_after(text, last.end, r)  # 6726人消除返贫致贫风险
                    if not after:
                        continue
        counted_after = first.surface_unit in r.family_units  # 惠及2.6万个家庭: the noun counted follows
        if after and (counted_after or _has(r.poverty_re, after) or after.endswith(tuple(r.households))) \
                and not _has(r.poverty_re, before):
            category, start, end = after, first.start, a_end
        elif before:
            category, start, end = before, (b_start if b_start >= 0 else first.start), last.end
        else:
            category, start, end = after, first.start, (a_end if after else last.end)
        year = F.year_before(text, start, years)
        # an adjacent bare year belongs to the surface (2015年脱贫15户35人)
        for ys, ye, y in years:
            if ye == start and ys >= last_end:
                start = ys
        out.append(HouseholdCount(
            text=text[start:end], span=(start, end), households=households, persons=persons,
            category=category or None, year=year, approx=first.approx or last.approx,
            suspect=first.suspect or last.suspect,
        ))
        last_end = end
    taken = F.Zones.of([h.span for h in out])
    extra = [h for h in unitless_persons(text, zones, dates, years, r, quantities) if not taken.hits(*h.span)]
    return sorted(out + extra, key=lambda h: h.span) if extra else out
