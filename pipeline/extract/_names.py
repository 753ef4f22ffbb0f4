"""Names of bodies and written lists of them: the one name splitter of departments and recipients.

A written list (a 主送 line, a 责任单位 note, a run of names joined by 、) is split on
、，；, outside brackets, and its shared prefixes and suffixes are expanded:

    驻五一村、东甸村扶贫工作组            -> 驻五一村扶贫工作组, 驻东甸村扶贫工作组
    各省、自治区、直辖市人民政府          -> 各省人民政府, 各自治区人民政府, 各直辖市人民政府
    国家税务总局各省、自治区、直辖市和计划单列市税务局
                                        -> 国家税务总局各省税务局, …, 国家税务总局各计划单列市税务局
    各省、…、新疆生产建设兵团社会信用体系建设牵头部门
                                        -> 各省社会信用体系建设牵头部门, …, 新疆生产建设兵团…牵头部门
    区局机关各部、处、室                  -> 区局机关各部, 区局机关各处, 区局机关各室

Whether an element is a complete name is decided by its head (rules/departments.toml
``suffixes``, the lexicon rules/departments.txt); a caller may allow extra heads
(recipients end in 部门, 单位, 办公厅（室） too: contract section 2).
Both ``departments`` and ``metadata`` call ``expand_list``; nothing else splits lists.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Optional

from .. import rules

SEPARATORS = "、，,；;"
OPEN = "（(〔[【《“‘"
CLOSE = "）)〕]】》”’"
JOINERS = frozenset("和与")
PLACE_CHARS = frozenset("省市县区州乡镇村")
_HAN_RUN = re.compile("[\u4e00-\u9fff〇]+")


def is_han(s: str) -> bool:
    return _HAN_RUN.fullmatch(s) is not None


@dataclass(frozen=True)
class _Shape:
    lexicon: frozenset
    suffixes: tuple
    non_org: frozenset
    non_org_tails: tuple  # the words of non_org longer than one character
    place_endings: tuple
    named_endings: tuple  # place endings and named non-place bodies that lead a list element (兵团)
    level_words: tuple  # longest first
    level_determiners: tuple
    list_joiners: tuple  # longest first
    restricted: tuple  # (suffix, the words it closes a name in)


@cache
def shape() -> _Shape:
    t = rules.table("departments.toml")
    by_len = lambda xs: tuple(sorted(set(xs), key=lambda s: (-len(s), s)))  # noqa: E731
    return _Shape(
        lexicon=frozenset(rules.lexicon("departments.txt")),
        suffixes=by_len(t["suffixes"]),
        non_org=frozenset(t["non_org_words"]),
        non_org_tails=tuple(w for w in by_len(t["non_org_words"]) if len(w) > 1),
        place_endings=by_len(t["place_endings"]),
        named_endings=by_len(t["place_endings"] + t["list_named_endings"]),
        level_words=by_len(t["level_words"]),
        level_determiners=by_len(t["level_determiners"]),
        list_joiners=by_len(t["list_joiners"]),
        restricted=tuple((k, tuple(v)) for k, v in t.get("restricted_suffixes", {}).items()),
    )


@lru_cache(maxsize=65536)
def is_closer(tok: str) -> bool:
    """Does this word end an organisation name (厅, 管理局, 领导小组, 扶贫办 …)?"""
    s = shape()
    if tok in s.lexicon:
        return True
    if not is_han(tok) or tok in s.non_org or tok.endswith(s.non_org_tails):
        return False
    for suffix, words in s.restricted:
        if tok.endswith(suffix):
            return tok.endswith(words)  # 共青团, 歌舞团 — not 球团
    return tok.endswith(s.suffixes)


@lru_cache(maxsize=65536)
def is_complete(name: str, heads: tuple = ()) -> bool:
    """A written name that ends like an organisation (or in one of ``heads``)."""
    s = shape()
    if name in s.lexicon or (heads and name.endswith(heads)):
        return True
    for suffix, words in s.restricted:
        if name.endswith(suffix):
            return name.endswith(words)
    return name.endswith(s.suffixes) and not name.endswith(s.non_org_tails)


def split_elements(text: str, offset: int) -> list[tuple[str, int, int]]:
    """Split on 、，；, outside brackets; strip spaces. Returns (element, start, end)."""
    out, depth, start = [], 0, 0
    for k, c in enumerate(text + "，"):
        if c in OPEN:
            depth += 1
        elif c in CLOSE:
            depth = max(0, depth - 1)
        elif c in SEPARATORS and depth == 0:
            raw = text[start:k]
            lead = len(raw) - len(raw.lstrip())
            el = raw.strip()
            if el:
                out.append((el, offset + start + lead, offset + start + lead + len(el)))
            start = k + 1
    return out


def station_prefix(s: str) -> str:
    return "驻" if s.startswith("驻") and len(s) > 2 else ""


def _expand_group(pending: list[tuple[str, int, int]], last: tuple[str, int, int]) -> list[tuple[str, tuple[int, int]]]:
    """驻五一村 + 东甸村扶贫工作组 → 驻五一村扶贫工作组, 驻东甸村扶贫工作组 (span: the whole group)."""
    span = (pending[0][1], last[2])
    prefix = station_prefix(pending[0][0])
    full = last[0]
    if prefix and not full.startswith(prefix):
        full = prefix + full
    names = []
    place_len = _place_head(full[len(prefix):])
    for el, _s, _e in pending:
        idx = full.find(el[-1], len(prefix) + 1) if len(el) >= 2 else -1
        place = full[len(prefix):idx + 1]
        if (idx < 0 or el[-1] not in PLACE_CHARS or el.endswith(place) or len(place) > 6
                or any(c in place for c in JOINERS)):
            if place_len and _is_named_place(el):
                names.append(el + full[len(prefix) + place_len:])  # 北京市、…、甘肃省人民政府
            else:
                names.append(el)  # not the same kind of place: leave the element as written
            continue
        head = el if el.startswith(prefix) else prefix + el
        names.append(head + full[idx + 1:])
    names.append(full)
    return [(n, span) for n in names]


def _is_named_place(el: str) -> bool:
    """北京市, 内蒙古自治区, 东甸村: a place name of its own (a bare level is not)."""
    s = shape()
    return (2 <= len(el) <= 12 and is_han(el) and el not in s.level_words
            and any(el.endswith(e) and len(el) > len(e) for e in s.place_endings))


def _place_head(full: str) -> int:
    """Length of the named place that opens ``full`` when a body follows it (甘肃省|人民政府), else 0."""
    s = shape()
    for k in range(2, min(len(full) - 1, 13)):
        if full[:k].endswith(s.place_endings) and is_complete(full[k:]) and full[k:] not in s.level_words:
            return k
    return 0


def _bare_level(el: str) -> Optional[tuple[str, str]]:
    """(lead, level) when ``el`` is only an administrative level, with its determiner and
    an optional body before it: 各省 -> (各, 省); 自治区; 国家税务总局各省 -> (国家税务总局各, 省)."""
    s = shape()
    for d in s.level_determiners:
        k = el.find(d)
        if k > 0 and is_complete(el[:k]) and el[k + len(d):] in s.level_words:
            return el[:k + len(d)], el[k + len(d):]
    det = next((d for d in s.level_determiners if el.startswith(d)), "")
    return (det, el[len(det):]) if el[len(det):] in s.level_words else None


def _level_tail(name: str, heads: tuple) -> Optional[tuple[str, str]]:
    """(level, body after it) of a name with a leading level (直辖市人民政府 -> 直辖市, 人民政府;
    县（市、区）扶贫办 -> 县（市、区）, 扶贫办)."""
    s = shape()
    level = next((w for w in s.level_words if name.startswith(w)), None)
    if level is None:
        return None
    tail = name[len(level):]
    if tail[:1] in OPEN:  # a bracketed note on the level: 县（市、区）
        close = next((k for k, c in enumerate(tail) if c in CLOSE), -1)
        if close > 0:
            level, tail = level + tail[:close + 1], tail[close + 1:]
    if tail[:1] in "一二两三四五六七八九十0123456789":
        return None  # 市、县两级扶贫办: one body of both levels, not one per level
    return (level, tail) if tail and is_complete(tail, heads) else None


def _named_tail(name: str, heads: tuple) -> Optional[str]:
    """The body after a named place or body (米东新区质量技术监督局 -> 质量技术监督局;
    新疆生产建设兵团社会信用体系建设牵头部门 -> 社会信用体系建设牵头部门)."""
    s = shape()
    for k in range(2, len(name) - 1):
        if name[:k].endswith(s.named_endings) and is_complete(name[k:], heads):
            return name[k:]
    return None


def _level_group(pending: list[tuple[str, int, int]], last: tuple[str, int, int], heads: tuple
                 ) -> Optional[list[tuple[str, tuple[int, int]]]]:
    """Bare levels sharing the body of the last element, with their determiner:
    各省、自治区、直辖市人民政府 -> 各省人民政府, 各自治区人民政府, 各直辖市人民政府;
    各地、州、市及米东新区质量技术监督局 -> 各地…, 各州…, 各市质量技术监督局, 米东新区质量技术监督局."""
    s = shape()
    levels = [_bare_level(el) for el, _s, _e in pending]
    if not levels or None in levels:
        return None
    lead = levels[0][0]
    full, named = last[0], None
    if full.startswith(lead) and lead:
        full = full[len(lead):]
    for j in s.list_joiners:
        left, sep, right = full.partition(j)
        if sep and _bare_level(left) and is_complete(right, heads):
            levels.append(_bare_level(left))
            lt = _level_tail(right, heads)
            if lt:  # 直辖市和计划单列市税务局: a level on both sides
                levels.append(("", lt[0]))
                full = right
            else:
                full, named = right, right
            break
    if named:
        tail = _named_tail(full, heads)
        last_level = None
    else:
        lt = _level_tail(full, heads)
        tail, last_level = (lt[1], lt[0]) if lt else (None, None)
        if tail is None:
            tail = _named_tail(full, heads)
            named = full if tail else None
    if not tail:
        return None
    names = [lead + level + tail for _d, level in levels]
    names.append(named if named else lead + last_level + tail)
    span = (pending[0][1], last[2])
    return [(n, span) for n in dict.fromkeys(names)]


def expand_list(text: str, offset: int = 0, heads: tuple = ()) -> list[tuple[str, tuple[int, int]]]:
    """Names of a written list, shared prefixes and suffixes expanded, in order.

    ``text`` is a list such as ``厅扶贫办，驻五一村、东甸村扶贫工作组``; spans are
    ``offset``-based. An element that does not end like an organisation (or in one of
    ``heads``) takes the tail of the next complete one (驻五一村、东甸村扶贫工作组,
    各省、自治区、直辖市人民政府); the group then shares one span. A one-character
    element after a name takes that name's head (区局机关各部、处、室 -> 区局机关各处, 区局机关各室).
    """
    out: list[tuple[str, tuple[int, int]]] = []
    pending: list[tuple[str, int, int]] = []
    for el in split_elements(text, offset):
        name, s, e = el
        prev = out[-1] if out and not pending else None
        if len(name) == 1 and prev and len(prev[0]) > 2 and is_closer(prev[0][-1]) and is_closer(name):
            out.append((prev[0][:-1] + name, (prev[1][0], e)))
        elif is_complete(name, heads):
            if pending:
                out.extend(_level_group(pending, el, heads) or _expand_group(pending, el))
                pending = []
            else:
                out.append((name, (s, e)))
        else:
            pending.append(el)
    out.extend((el, (s, e)) for el, s, e in pending)
    return out
