"""Household counts (contract section 6): households and persons of a population group.

Reads the quantities of ``figures.scan`` (one numeral grammar for both extractors) and
keeps: every count with a household unit (户), paired with a person count right after
it (294户587人, 11户，41人); and person counts (人 名 口) whose group is a poverty
population (贫困学生91名, 适龄儿童5人). The group words, honours, scope words and pair
separators are data in rules/household_counts.toml. Person counts left over are figures.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Optional

from .. import rules
from ..schema import HouseholdCount
from ..segment import text_of
from . import figures as F


@dataclass(frozen=True)
class HouseholdRules:
    households: frozenset
    persons: frozenset
    separators: frozenset
    poverty: tuple
    honours: tuple
    scope: tuple
    skip_before: tuple
    joiners: frozenset
    heads: tuple
    max_chars: int


@cache
def hh_rules() -> HouseholdRules:
    t = rules.table("household_counts.toml")
    u, g = t["units"], t["groups"]
    by_len = lambda xs: tuple(sorted(xs, key=len, reverse=True))  # noqa: E731
    return HouseholdRules(
        households=frozenset(u["households"]), persons=frozenset(u["persons"]),
        separators=frozenset(u["pair_separators"]),
        poverty=tuple(g["poverty"]), honours=tuple(g["honours"]),
        scope=by_len(g["scope"]), skip_before=by_len(g["skip_before"]),
        joiners=frozenset(g["joiners"]), heads=by_len(g["heads"]), max_chars=int(g["max_chars"]),
    )


_NOUNISH = ("n", "j", "l")
_CJK_WORD = re.compile(r"^[\u3400-\u9fff]+$")


def _groupish(word: str, flag: str, r: HouseholdRules) -> bool:
    """A word that can be part of a group name (贫困户, 建档立卡, 脱贫, 边缘户)."""
    if any(k in word for k in r.poverty) or word in r.households:
        return True
    if not _CJK_WORD.match(word):
        return False
    return flag.startswith(_NOUNISH) or flag == "x"


def category_before(text: str, pos: int, r: HouseholdRules) -> tuple[Optional[str], int]:
    """The group named just before ``pos`` and where it starts (-1 when none).

    Scope words are dropped from its front unless nothing else names the group
    (全村低保户 -> 低保户; 全村共有 -> 全村)."""
    clause = F.clause_before(text, pos, 24)
    end = len(clause)
    stripped = True
    while stripped and end:
        stripped = False
        for w in r.skip_before:
            if clause.endswith(w, 0, end):
                end -= len(w)
                stripped = True
                break
    head = clause[:end]
    if not head:
        return None, -1
    run: list[str] = []
    size = 0
    for w, f in reversed(F.pos_words(head)):
        if not _groupish(w, f, r) or size + len(w) > r.max_chars:
            break
        run.append(w)
        size += len(w)
    cat = "".join(reversed(run))
    if not cat:
        return None, -1
    start = pos - len(clause) + end - len(cat)
    for w in r.skip_before:  # 资助贫困学生 -> 贫困学生
        if cat.startswith(w) and len(cat) > len(w):
            cat = cat[len(w):]
            start += len(w)
            break
    for s in r.scope:
        if cat.startswith(s) and len(cat) > len(s):
            cat = cat[len(s):]
            start += len(s)
            break
    return cat, (start if end == len(clause) else -1)


def category_after(text: str, pos: int, r: HouseholdRules) -> tuple[Optional[str], int]:
    """The group named right after a count and where it ends (91户建档立卡贫困户和边缘户)."""
    clause = F.clause_after(text, pos, r.max_chars + 4)
    if not clause:
        return None, -1
    words = F.pos_words(clause)
    run: list[str] = []
    pending: list[str] = []
    for w, f in words:
        if w in r.joiners and run:
            pending.append(w)
            continue
        if not _groupish(w, f, r) or len("".join(run + pending)) + len(w) > r.max_chars:
            break
        run.extend(pending)
        pending = []
        run.append(w)
    ends = [k for k, w in enumerate(run) if w.endswith(r.heads)]
    if not ends:
        return None, -1  # no group noun (千名农技专家科技助力…): not a group
    run = run[:ends[-1] + 1]
    cat = "".join(run)
    return cat, pos + len(cat)


def _has(words: tuple, s: Optional[str]) -> bool:
    return bool(s) and any(k in s for k in words)


def _int(v: float) -> Optional[int]:
    return int(v) if float(v).is_integer() else None


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
        is_hh = q.kind == F.HOUSEHOLD and q.surface_unit in r.households
        is_person = q.kind == "count" and q.surface_unit in r.persons and q.value_max is None
        if not (is_hh or is_person):
            continue
        households = persons = None
        first, last = q, q
        if is_hh:
            households = _int(q.value)
            if households is None:
                continue  # an average (每千人116.8户), not a count
            if i < len(qs):
                p = qs[i]
                if (p.kind == "count" and p.surface_unit in r.persons and p.value_max is None
                        and _gap_ok(text[q.end:p.start], r) and _int(p.value) is not None):
                    persons = _int(p.value)
                    last = p
                    i += 1
        else:
            persons = _int(q.value)
            if persons is None:
                continue
        before, b_start = category_before(text, first.start, r)
        if 0 <= b_start < last_end:  # the words belong to the previous count (0户0户)
            before, b_start = None, -1
        after, a_end = category_after(text, last.end, r)
        if households is None:
            # a person count alone: only a poverty population's (贫困学生91名, 适龄儿童5人)
            if _has(r.honours, before) or _has(r.honours, after):
                continue
            if not (_has(r.poverty, before) or _has(r.poverty, after)):
                continue
        if after and (_has(r.poverty, after) or after.endswith(tuple(r.households))) and not _has(r.poverty, before):
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
    return out
