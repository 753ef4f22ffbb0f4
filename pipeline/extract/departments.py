"""Departments: government and party bodies, offices, institutions, mass organisations, teams.

Contract section 3. The grammar runs over the Doc's jieba tokens (rules/departments.toml):

    name  = opener core* closer
    opener = lexicon entry (rules/departments.txt, found with spaCy's PhraseMatcher)
           | scope word (省 市 县 区 乡 镇 村 厅 局 驻 …, a token of its own)
           | named place (吉林省, 洮南市, 东甸村: a token with a place ending)
           | nothing, when the name stands alone between separators (组织宣传教育处、)
    closer = a token ending in an organisation suffix (厅 局 办 … 领导小组 工作组 科协 …)

The longest name wins; a second scoped name inside it starts a new department
(省委省政府 → 省委, 省政府), anything else is a sub-unit (省委组织部, 省科协科普部).
Shared affixes are expanded: 驻五一村、东甸村扶贫工作组 → 驻五一村扶贫工作组,
驻东甸村扶贫工作组. Generic plurals (各级科协, 有关部门), places, enterprises, media and
posts are dropped.

Span choice: a name written out in full has its own span; a name that was expanded
from a coordinated phrase (驻五一村、东甸村扶贫工作组) gets the span of the whole
phrase it was expanded from, so every expanded name points at the text that implies it.
"""
from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass
from functools import lru_cache, cache
from itertools import compress
from typing import Callable, NamedTuple, Optional

from spacy.matcher import PhraseMatcher

from .. import rules
from ..schema import ROLES, Department, Mention
from ..segment import text_of, word_tags, words_of
from ._names import JOINERS, PLACE_CHARS, expand_list, is_closer, is_complete, is_han, station_prefix

_JOINERS = JOINERS
_PLACE_CHARS = PLACE_CHARS
_BOUNDARY = set("、，,；;：:。！？!?\n（(）)《》〈〉“”\"'‘’ ") | {""}


_is_han = is_han


@dataclass(frozen=True)
class _Grammar:
    lexicon: frozenset
    scope_words: frozenset
    coordinating_scopes: frozenset
    place_endings: tuple
    place_stop: frozenset
    suffixes: tuple
    non_org: frozenset
    non_org_tails: tuple  # the words of non_org longer than one character
    function_prefixes: tuple
    stop_tokens: frozenset
    start_verbs: frozenset
    generic_prefixes: frozenset
    generic_starts: tuple
    generic_names: frozenset
    exclude_contains: tuple
    exclude_re: re.Pattern
    founding_verbs: frozenset
    place_part_tags: frozenset
    predicate_starts: frozenset
    bare_closers: frozenset
    clause_tags: frozenset
    clause_tags_first: frozenset
    field_words: frozenset
    role_label_re: re.Pattern
    abbreviations: dict
    clause_words: frozenset  # rules/departments_clause_words.txt
    facilities: tuple  # rules/departments_facilities.txt, longest first
    verb_tags: frozenset
    verb_like_closers: frozenset
    noun_tags: frozenset
    independent_bodies: frozenset
    joined_heads: dict
    level_determiners: tuple
    facility_exceptions: tuple
    break_tags: frozenset
    bound_tags: frozenset
    modifier_tags: frozenset
    head_continuations: frozenset
    slogan_re: re.Pattern
    bound_words: tuple
    law_types: frozenset
    scoped_only_heads: tuple
    designation_scopes: frozenset
    designation_heads: tuple
    proper_place_tags: frozenset
    proper_place_heads: tuple
    quoted_slogan_heads: frozenset
    level_words: frozenset
    branch_heads: tuple
    branch_drop_heads: tuple
    proper_noun_tags: frozenset
    platform_verbs: frozenset
    abbreviation_tags: frozenset
    kind_modifier_tags: frozenset
    classifiers: str
    negations: str
    affiliation_words: frozenset
    counted_before_re: re.Pattern
    area_kinds: tuple


@cache
def grammar() -> _Grammar:
    t = rules.table("departments.toml")
    by_len = lambda xs: tuple(sorted(set(xs), key=lambda s: (-len(s), s)))  # noqa: E731
    labels = rules.alternation(t["role_labels"], "departments.toml:role_labels")
    return _Grammar(
        lexicon=frozenset(rules.lexicon("departments.txt")),
        scope_words=frozenset(t["scope_words"]),
        coordinating_scopes=frozenset(t["coordinating_scopes"]),
        place_endings=by_len(t["place_endings"]),
        place_stop=frozenset(t["place_stop"]),
        suffixes=by_len(t["suffixes"]),
        non_org=frozenset(t["non_org_words"]),
        non_org_tails=tuple(w for w in by_len(t["non_org_words"]) if len(w) > 1),
        function_prefixes=by_len(t["function_prefixes"]),
        stop_tokens=frozenset(t["stop_tokens"]),
        start_verbs=frozenset(t["start_verbs"]),
        generic_prefixes=frozenset(t["generic_prefixes"]),
        generic_starts=tuple(t["generic_starts"]),
        generic_names=frozenset(t["generic_names"]),
        exclude_contains=tuple(t["exclude_contains"]),
        exclude_re=re.compile("|".join(map(re.escape, sorted(set(t["exclude_contains"]), key=len, reverse=True)))),
        founding_verbs=frozenset(t["founding_verbs"]),
        place_part_tags=frozenset(t["place_part_tags"]),
        predicate_starts=frozenset(t["predicate_starts"]),
        bare_closers=frozenset(t["bare_closers"]),
        clause_tags=frozenset(t["clause_tags"]),
        clause_tags_first=frozenset(t["clause_tags_first"]),
        field_words=frozenset(t["field_words"]),
        # 责任部门：… up to the end of the line or the closing bracket of a (责任单位：…) note
        role_label_re=rules.compile_pattern(labels + r"\s*[:：]\s*([^\n）)；;。]*)", "departments.toml:role_labels"),
        abbreviations=dict(t.get("abbreviations", {})),
        clause_words=frozenset(rules.lexicon("departments_clause_words.txt")),
        facilities=by_len(rules.lexicon("departments_facilities.txt")),
        verb_tags=frozenset(t["verb_tags"]),
        verb_like_closers=frozenset(t["verb_like_closers"]),
        noun_tags=frozenset(t["noun_tags"]),
        independent_bodies=frozenset(t["independent_bodies"]),
        joined_heads={k: tuple(v) for k, v in t["joined_heads"].items()},
        level_determiners=by_len(t["level_determiners"]),
        facility_exceptions=tuple(t["facility_exceptions"]),
        break_tags=frozenset(t["break_tags"]),
        bound_tags=frozenset(t["bound_tags"]),
        modifier_tags=frozenset(t["modifier_tags"]),
        head_continuations=frozenset(t["head_continuations"]),
        slogan_re=rules.compile_pattern(t["slogan"], "departments.toml:slogan"),
        bound_words=tuple(t["bound_words"]),
        law_types=frozenset(t["law_types"]),
        scoped_only_heads=tuple(t["scoped_only_heads"]),
        designation_scopes=frozenset(t["designation_scopes"]),
        designation_heads=tuple(t["designation_heads"]),
        proper_place_tags=frozenset(t["proper_place_tags"]),
        proper_place_heads=tuple(t["proper_place_heads"]),
        quoted_slogan_heads=frozenset(t["quoted_slogan_heads"]),
        level_words=frozenset(t["level_words"]),
        branch_heads=tuple(t["branch_heads"]),
        branch_drop_heads=tuple(t["branch_drop_heads"]),
        proper_noun_tags=frozenset(t["proper_noun_tags"]),
        platform_verbs=frozenset(t["platform_verbs"]),
        abbreviation_tags=frozenset(t["abbreviation_tags"]),
        kind_modifier_tags=frozenset(t["kind_modifier_tags"]),
        classifiers=t["classifiers"],
        negations=t["negations"],
        affiliation_words=frozenset(t["affiliation_words"]),
        area_kinds=tuple(t["area_kinds"]),
        counted_before_re=rules.compile_pattern(t["counted_before"], "departments.toml:counted_before"),
    )


@cache
def _phrase_matcher() -> PhraseMatcher:
    from ..segment import make_doc, vocab

    m = PhraseMatcher(vocab(), attr="ORTH")
    m.add("DEPT", [make_doc(e) for e in rules.lexicon("departments.txt")])
    return m


def _is_clause(words: list[str]) -> bool:
    g = grammar()
    tags = word_tags()
    last = len(words) - 1
    for k, w in enumerate(words[:-1]):
        if k and w in _JOINERS:
            continue
        if w in g.clause_words:
            return True
        if w in g.field_words and (k + 1 == last or words[k + 1] in g.field_words):
            continue  # 宣传|部, 扶贫|开发|领导小组: a field of work before the head
        if w in g.function_prefixes or tags.get(w) in (g.clause_tags_first if k == 0 else g.clause_tags):
            return True
    return False


# --- name tests ---------------------------------------------------------------------------

@lru_cache(maxsize=65536)
def is_place(tok: str) -> bool:
    g = grammar()
    if len(tok) < 2 or tok in g.place_stop or not _is_han(tok):
        return False
    if not any(tok.endswith(e) and len(tok) > len(e) for e in g.place_endings):
        return False
    if tok.endswith(g.area_kinds):
        return False  # 功能区, 主城区: a kind of area, not a named place
    if tok[0] in g.classifiers and tok not in word_tags():
        return False  # 24|家镇村: the tail of a count
    # 好市 (实施好|市人民医院), 成市 (完 成|市…): a two-character place must be a place jieba knows
    return not (len(tok) == 2 and (word_tags().get(tok[0]) in g.modifier_tags
                                   or word_tags().get(tok) not in g.place_part_tags))


def is_facility(name: str) -> bool:
    """梧州收费站, 保税物流中心, 省重点实验室: a facility, platform or designation, not a body."""
    g = grammar()
    return name.endswith(g.facilities) and not name.endswith(g.facility_exceptions)


def is_generic(name: str, before: str = "") -> bool:
    g = grammar()
    return (name in g.generic_names or name.startswith(g.generic_starts)
            or g.exclude_re.search(name) is not None
            or before in g.generic_prefixes or (before.startswith("各") and before != "各个")
            or (len(name) >= 3 and any(d in name[1:] for d in g.level_determiners)))  # 区局机关各处, 国务院各部委


# --- lists (recipients, 责任部门 lines): the shared splitter in _names -------------------

def role_regions(text: str) -> list[tuple[int, int]]:
    """Character ranges listing responsible bodies (责任部门：…, （责任单位：…）)."""
    return [(m.start(1), m.end(1)) for m in grammar().role_label_re.finditer(text)]


# --- token grammar ------------------------------------------------------------------------

class _Tok(NamedTuple):
    text: str
    start: int
    end: int
    lex: bool = False


@cache
def _split_words() -> frozenset:
    """对厅, 向省: a function word glued to a one-character scope word, read as two tokens."""
    g = grammar()
    return frozenset(p + c for p in g.function_prefixes for c in g.scope_words if len(c) == 1)


def _stream(doc) -> tuple[list[str], list[int], list[bool]]:
    """The Doc's tokens as (texts, starts, is-lexicon-match): lexicon matches merged into
    one token, 对厅/向省 split into 对 + 厅."""
    text = text_of(doc)
    words, starts = words_of(doc)
    edits: list[tuple[int, int, bool]] = []  # (first word, end word, lexicon match?)
    covered_to = 0
    for _id, s, e in sorted(_phrase_matcher()(doc), key=lambda m: (m[1], -(m[2] - m[1]))):
        if s >= covered_to:
            edits.append((s, e, True))
            covered_to = e
    edits.extend((k, k + 1, False) for k in compress(range(len(words)), map(_split_words().__contains__, words)))
    edits.sort()
    texts: list[str] = []
    at: list[int] = []
    lex: list[bool] = []
    done = 0
    for s, e, is_lex in edits:
        if s < done:
            continue  # a split word inside a lexicon match
        texts += words[done:s]
        at += starts[done:s]
        lex += [False] * (s - done)
        if is_lex:
            end = starts[e - 1] + len(words[e - 1])
            texts.append(text[starts[s]:end])
            at.append(starts[s])
            lex.append(True)
        else:
            w, p = words[s], starts[s]
            texts += [w[:-1], w[-1]]
            at += [p, p + len(w) - 1]
            lex += [False, False]
        done = e
    texts += words[done:]
    at += starts[done:]
    lex += [False] * (len(words) - done)
    return texts, at, lex


@lru_cache(maxsize=65536)
def _word_kind(t: str) -> Optional[str]:
    """What a word can open by itself: "scope", "lex", "place", "han" (a name after a boundary) or None."""
    g = grammar()
    if t in g.scope_words:
        return "scope"
    if len(t) >= 4 and word_tags().get(t) == "nt" and is_closer(t):
        return "lex"  # a word jieba's dictionary knows as an organisation (国家计委)
    if is_place(t):
        return "place"
    if _is_han(t) and t not in g.start_verbs and t not in g.stop_tokens:
        return "han"
    return None


def _opener(toks: list[_Tok], i: int) -> Optional[str]:
    tok = toks[i]
    if tok.lex:
        return "lex"
    kind = _word_kind(tok.text)
    if kind == "scope" and _glued_scope(toks, i):
        return None  # 产业园|区临时党委: 区 ends the word 园区 before it, the name is cut short
    if kind != "han":
        return kind
    if _proper_place(toks, i):
        return "proper"
    prev = toks[i - 1].text if i else ""
    if prev == "" or prev[-1] in _BOUNDARY or prev in grammar().founding_verbs:
        return "alone"
    return None


def _glued_scope(toks: list[_Tok], i: int) -> bool:
    """Is the one-character scope word at i the last character of a word begun by the token
    glued before it (产业园|区 → 园区, 老城|区 → 城区)? Then it scopes nothing."""
    t = toks[i].text
    if len(t) != 1 or i == 0 or toks[i - 1].end != toks[i].start:
        return False
    prev = toks[i - 1].text
    return (_is_han(prev) and prev not in grammar().scope_words and len(prev) >= 2
            and (prev[-1] + t) in word_tags() and (prev[-1] + t) not in grammar().stop_tokens)


def _proper_place(toks: list[_Tok], i: int) -> bool:
    """阜阳|理工学院, 蚌埠|学院: a place name jieba knows, written right before a head that names
    an institution after its place, opens the name (理工学院 alone is cut short)."""
    g = grammar()
    t = toks[i].text
    if i + 1 >= len(toks) or not 2 <= len(t) <= 4 or t in g.place_stop:
        return False
    nxt = toks[i + 1]
    return (word_tags().get(t) in g.proper_place_tags and nxt.start == toks[i].end and len(nxt.text) >= 2
            and nxt.text.endswith(g.proper_place_heads) and is_closer(nxt.text)
            and word_tags().get(nxt.text) in g.noun_tags)


_OPEN_QUOTES = "“\"‘'「『"
_CLOSE_QUOTES = "”\"’'」』"


def _after_level_list(text: str, s: int) -> bool:
    """Is the name starting at s the shared head of a list of bare levels written before it
    (市、县（区）|安委会, 县（市、区）|妇联), or the tail of a name written across a bracketed
    place (中国（上海）|自由贸易试验区管委会)? The tail names no body by itself."""
    if s == 0 or text[s - 1] not in "）)":
        return False
    a = max(text.rfind("（", 0, s - 1), text.rfind("(", 0, s - 1))
    if a < 0 or s - 1 - a > 12:
        return False
    inner = re.split("[、，,和及]", text[a + 1:s - 1])
    if all(el in grammar().level_words for el in inner):
        return True
    return a > 0 and _is_han(text[a - 1]) and len(inner) == 1 and word_tags().get(inner[0]) == "ns"


def _branch_of(toks: list[_Tok], f: int, done_to: int) -> Optional[int]:
    """Where does a hospital or college name starting at toks[f] really start? After a head
    (上海儿童医学中心|海南医院) or 附属 (复旦大学附属|华山医院) it is a branch of the body written
    before: walk left over nouns to a place or organisation word (上海, 复旦大学). Returns f when
    nothing is glued before, None when the name is cut short and its start cannot be read."""
    g = grammar()
    tags = word_tags()
    k = f - 1
    if k < 0 or toks[k].end != toks[f].start or toks[k].end <= done_to:
        return f
    prev = toks[k].text
    if tags.get(prev) in g.abbreviation_tags:
        return None  # 北航|北海学院, 阜师大|阜阳医学院: a branch of an abbreviated body, cut short
    if not ((len(prev) >= 2 and (is_closer(prev) or prev.endswith(g.branch_heads))) or prev in g.affiliation_words
            or (tags.get(prev) == "nt" and prev.endswith(g.branch_heads))  # 四川大学|华西医院
            or (tags.get(prev) in g.proper_noun_tags and prev not in g.clause_words)):  # 武汉协和|宜昌医院
        return f
    while k >= 0 and f - k <= 5 and toks[k].end > done_to:
        t = toks[k]
        if (k < f - 1 and t.end != toks[k + 1].start) or not _is_han(t.text) or t.text in g.stop_tokens \
                or t.text in g.clause_words:
            return None
        tag = tags.get(t.text)
        if t.lex or tag in g.proper_place_tags or tag == "nt":
            return k
        if tag not in g.noun_tags and t.text not in g.affiliation_words:
            return None
        k -= 1
    return None


def _kind_word(word: str) -> bool:
    """化工学院, 音乐学院, 口腔医院: a dictionary word for a kind of college or hospital (its first
    part a common noun), not one body; 瑞金医院 (a proper name first) is one."""
    g = grammar()
    head = next((h for h in g.branch_heads if word.endswith(h) and len(word) > len(h)), None)
    return head is not None and word_tags().get(word[:-len(head)]) in g.kind_modifier_tags


def _closes(toks: list[_Tok], i: int, j: int, kind: str) -> bool:
    t = toks[j]
    if t.lex:
        return j > i or kind in ("lex", "alone")
    if not is_closer(t.text):
        return False
    g = grammar()
    tags = word_tags()
    if kind == "alone" and len(t.text) > 1 and (
            tags.get(t.text) in g.verb_tags
            or (t.text.endswith(tuple(g.verb_like_closers)) and t.text not in tags)):
        return False  # 一事|联办, 和睦|相处, 全程|网办: a verb, not a head (县侨办 keeps its scope)
    if j == i:  # one word standing alone: a word the dictionary knows as a name (开新局 is not)
        return kind == "lex" or (kind == "alone" and len(t.text) >= 3 and tags.get(t.text) in g.noun_tags)
    if len(t.text) == 1:  # 处, 办, 所: only after a core word (厅 组宣 处)
        before = toks[j - 1]
        if t.text in g.verb_like_closers:
            if not (before.lex or before.text in g.scope_words or before.text in g.field_words
                    or tags.get(before.text) in g.noun_tags):
                return False  # 减证|办: a verb after a verb
        elif tags.get(before.text) in g.modifier_tags and before.text not in g.field_words:
            return False  # 紧要|处: a place described, not a division
        return j - i >= 2 or kind == "alone"
    return True


def _starts_new(toks: list[_Tok], k: int) -> bool:
    g = grammar()
    t = toks[k].text
    return (t in g.coordinating_scopes or is_place(t)
            or (toks[k].lex and (t[0] in g.coordinating_scopes or t in g.independent_bodies)))


def _coordinated_places(text: str, start: int, place: str) -> list[tuple[str, int]]:
    """Places written before ``place`` and joined to it with 、 (五一村、东甸村…), nearest last.

    Returns (written element, its start) from left to right; the first may carry 驻.
    """
    found: list[tuple[str, int]] = []
    end_char = place[-1]
    pos = start
    while pos >= 2 and text[pos - 1] == "、":
        k = pos - 1
        j = k
        while j > 0 and _is_han(text[j - 1]) and k - j < 8:
            j -= 1
        seg = text[j:k]
        if "驻" in seg:
            cut = seg.rindex("驻")
            seg, j = seg[cut:], j + cut
        if not seg.endswith(end_char) or len(seg.lstrip("驻")) < 2 or len(seg) > 7:
            break
        if j > 0 and _is_han(text[j - 1]) and not seg.startswith("驻"):
            break  # not a bare place: the element runs on to the left
        found.insert(0, (seg, j))
        pos = j
        if seg.startswith("驻"):
            break
    return found


def _place_before(toks: list[_Tok], i: int, strict: bool = True) -> bool:
    """Is the name at i (镇政府, 村 …) the tail of a place name split by jieba (庆祖|镇政府)?

    The word before must be able to name a place: a proper name or a word the dictionary
    does not know, of at most three characters (严格执行|市人大 is a clause), and not a word
    of the clause (代表|市人民政府, 这是|省委, 获批|省…). A common noun names a village
    (光明|村, with ``strict`` off) but never a city or province (代表|市)."""
    g = grammar()
    prev, t = toks[i - 1].text, toks[i].text
    if not (t[0] in _PLACE_CHARS and _is_han(prev) and is_place(prev + t[0])):
        return False
    if (prev in g.stop_tokens or prev in g.clause_words or prev.startswith(g.function_prefixes)
            or prev[0] in "一二三四五六七八九十"  # 一是|省科协: an enumeration, not a place
            or any(prev.startswith(p) for p in g.generic_prefixes)):
        return False
    tag = word_tags().get(prev)
    if tag is None and prev[0] in _PLACE_CHARS:
        return False  # 拓展 区获|省政府: an unknown word opening with a level is the tail of a phrase
    if tag is None or tag in g.place_part_tags:
        return len(prev) <= 3 or tag == "ns"
    return not strict and t[0] in "村乡镇" and tag not in g.clause_tags_first


def _named_station(name: str) -> bool:
    """驻五一村… names its place (at least one character before the place ending)."""
    ends = [k for k, c in enumerate(name[1:]) if any(e == c for e in grammar().place_endings)]
    return bool(ends) and ends[0] >= 1


_CLAUSE_ENDS = "，,。；;：:！？!?\n（(）)“”"


def _clause_around(text: str, s: int, e: int, limit: int) -> tuple[int, int]:
    """The clause holding [s, e): up to ``limit`` characters each side, cut at clause ends."""
    a = s
    while a > 0 and text[a - 1] not in _CLAUSE_ENDS and s - a < limit:
        a -= 1
    b = e
    while b < len(text) and text[b] not in _CLAUSE_ENDS and b - e < limit:
        b += 1
    return a, b


def _in_field_list(text: str, s: int, e: int) -> bool:
    """Does the one-word name at [s, e) stand in a 、 list that also names fields of work
    (工会、青少年、妇女儿童、老龄、残疾人…工作)? Its bare names are then fields, not bodies."""
    if not (s and text[s - 1] == "、") and not (e < len(text) and text[e] == "、"):
        return False
    a, b = _clause_around(text, s, e, 80)
    elements = text[a:b].split("、")
    g = grammar()
    for k, el in enumerate(elements):
        el = el.strip()
        if k == len(elements) - 1:
            el = el.split("等")[0]  # 妇联等群团组织更好发挥作用
            el = next((el[:m] for m in range(len(el), 2, -1) if is_complete(el[:m])), el)  # 县委宣讲团|参加
        if k == 0:
            el = el[-12:]
        if k == 0 and "各" in el:
            el = el[el.index("各"):]  # 支持各民主党派: the list starts at its determiner
        if el and not (is_complete(el) or el in g.lexicon or el.startswith(g.generic_starts)):
            return True
    return False


def _kinds_list(text: str, s: int, e: int) -> bool:
    """Does the unscoped name at [s, e) stand in a 、 list with enterprises or cooperatives
    (农民专业合作社、专业技术协会、龙头企业)? The list names kinds of organisation, not bodies."""
    if not (s and text[s - 1] == "、") and not (e < len(text) and text[e] == "、"):
        return False
    a, b = _clause_around(text, s, e, 60)
    rest = text[e:b].split("、")
    siblings = text[a:s].split("、")[:-1] + rest[1:] + ([rest[0]] if rest[0].startswith("等") else [])
    return any(grammar().exclude_re.search(el) for el in siblings)


@dataclass
class _Found:
    name: str
    span: tuple[int, int]


# A name spans at most this many tokens: the scan from an opener looks no further.
_MAX_TOKENS = 10


def _regions(closers: list[int]) -> list[tuple[int, int]]:
    """Token ranges [lo, hi) that can hold a name: the _MAX_TOKENS tokens ending at each
    possible closer, overlapping ranges merged. Elsewhere the scan finds nothing."""
    out: list[tuple[int, int]] = []
    for c in closers:
        lo = max(0, c - _MAX_TOKENS + 1)
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], c + 1)
        else:
            out.append((lo, c + 1))
    return out


def find_names(doc, types_only: bool = False) -> list[_Found]:
    """Every department mention in document order (one per expanded name).

    Only the regions before a possible closer (a lexicon name or a word like 局, 办公室) are
    scanned: a scan that starts elsewhere meets no closer within _MAX_TOKENS and finds
    nothing, so the result is that of scanning every token, at a tenth of the cost.
    """
    text = text_of(doc)
    texts, starts, lex = _stream(doc)
    closing = set(filter(is_closer, set(texts)))
    closers = [k for k in compress(range(len(texts)), map(closing.__contains__, texts))]
    closers = sorted(set(closers).union(compress(range(len(texts)), lex)))
    out: list[_Found] = []
    for lo, hi in _regions(closers):
        base = max(0, lo - 2)  # two tokens of left context (the word before a place name before an opener)
        toks = [_Tok(texts[k], starts[k], starts[k] + len(texts[k]), lex[k]) for k in range(base, min(len(texts), hi + 2))]
        out.extend(_scan(toks, lo - base, hi - base, text, types_only))
    return out


def _scan(toks: list[_Tok], i: int, stop: int, text: str, types_only: bool = False) -> list[_Found]:
    """Names whose opener is at toks[i:stop]; toks has context on both sides. With
    ``types_only`` (a law or regulation) a bare unscoped name is a kind of body, not a body."""
    g = grammar()
    tags = word_tags()
    out: list[_Found] = []
    n = len(toks)
    while i < stop:
        kind = _opener(toks, i)
        if kind is None:
            i += 1
            continue
        best, chars, j = None, 0, i
        while j < n and j - i < _MAX_TOKENS:
            t = toks[j].text
            if not _is_han(t) or (j > i and t in g.stop_tokens and not toks[j].lex
                                  and not (t in _JOINERS and best is None and j + 1 < n
                                           and _opener(toks, j + 1) in (None, "alone")
                                           and not is_closer(toks[j + 1].text)
                                           and not is_place(toks[j - 1].text)
                                           and toks[j - 1].text not in g.scope_words)):
                break  # 和 only inside a name not yet closed: 人力资源和社会保障局 (not 商务区和南站)
            if j > i and not toks[j].lex and t not in _JOINERS and (tags.get(t) in g.break_tags or t in g.clause_words
                                                                    or t in g.non_org):
                break  # 市人大|及其|常委会, 省帆船协会|落户: a conjunction, pronoun, particle or verb ends the name
            chars += len(t)
            if chars > 28:
                break
            if _closes(toks, i, j, kind):
                if j + 1 < n and (toks[j + 1].text in g.head_continuations
                                  or (toks[j + 1].text == "新" and j + 2 < n
                                      and toks[j + 2].text in g.head_continuations)):
                    break  # 国家中心|城市, 市人民医院|新院区: a place named after a head, no body
                if not (j + 1 < n and ((len(toks[j + 1].text) == 1 and tags.get(toks[j + 1].text) in g.bound_tags)
                                       or (t.endswith("部") and toks[j + 1].text.startswith(g.bound_words)))):
                    best = j  # not 国家农科|园, 住房城乡建设部|门
            j += 1
        if best is None:
            i += 1
            continue
        first = i
        place_text = toks[i].text
        if kind == "lex" and i and _place_before(toks, i):
            first = i - 1  # 庆祖 + 镇政府 → 庆祖镇政府
        elif kind == "scope" and i and toks[i].text in _PLACE_CHARS and _place_before(toks, i, strict=False):
            first, kind = i - 1, "place"  # 光明 + 村 工作队 → 光明村工作队
            place_text = toks[i - 1].text + toks[i].text
        if kind in ("proper", "place", "lex") and toks[best].text.endswith(g.branch_heads):
            done_to = out[-1].span[1] if out else -1
            left = _branch_of(toks, first, done_to)
            if left is None or (left != first and toks[best].text.endswith(g.branch_drop_heads)):
                i = best + 1  # …医学中心|海南医院 with no name to its left, …西南中心|泸州分中心: cut short, left out
                continue
            if left != first:
                first, kind = left, "proper"  # 上海儿童医学中心 + 海南医院, 复旦大学附属 + 华山医院
        name = text[toks[first].start:toks[best].end]
        before = toks[first - 1].text if first else ""
        after = toks[best + 1].text if best + 1 < n else ""
        if kind == "alone":
            if name[0] in g.negations:
                i += 1  # 不设革命委员会: a clause
                continue
            inner = toks[i + 1:best + 1]
            if any(t.text in g.scope_words or t.lex or is_place(t.text) or t.text.startswith("驻") for t in inner):
                i += 1  # a scoped name inside: it is found from its own opener
                continue
            if not (after == "" or after[0] in _BOUNDARY or after in g.predicate_starts):
                i += 1
                continue
            if (len(toks[best].text) == 2 and toks[best].text not in tags and toks[best - 1].text in tags
                    and not toks[best - 1].lex) or len(toks[i].text) < 2 or any(t.text in _JOINERS for t in inner) or _is_clause([t.text for t in toks[i:best + 1]]) or (toks[best].text in g.bare_closers and toks[best].start - toks[i].start < 3):
                i += 1  # 更离不开党委, 感恩政府: a clause, not a name
                continue
        if name.startswith("驻") and not _named_station(name):
            i = best + 1  # 驻村工作队: no named place, a generic team
            continue
        if kind != "alone" and best - i >= 2 and _is_clause(["", *(t.text for t in toks[i + 1:best + 1])]):
            i += 1  # 田贾村位于庆祖镇政府: a verb inside, the name starts further on
            continue
        bare = kind == "alone" or (kind == "lex" and first == best)  # no scope: 康复中心, 武当文旅中心
        if (name.endswith(g.non_org_tails) or is_facility(name) or g.slogan_re.search(name)
                or (bare and not toks[best].lex and name.endswith(g.scoped_only_heads))
                or (kind == "lex" and first == best and not toks[best].lex and name.endswith(g.branch_heads)
                    and (_kind_word(name) or (first and toks[first - 1].end == toks[first].start
                                              and word_tags().get(toks[first - 1].text) in g.noun_tags)))
                or (before in g.platform_verbs and name.endswith(g.scoped_only_heads))
                or (toks[i].text in g.designation_scopes and name.endswith(g.designation_heads))):
            # 文化 + 室 written apart: the common noun 文化室; 梧州收费站: a facility; 一站式患者服务中心
            # with no scope: a facility; 国家…临床研究中心: a designation
            i = best + 1  # 文化 + 室 written apart: still the common noun 文化室; 梧州收费站: a facility
            continue
        if is_generic(name, before):
            i = best + 1
            continue
        if g.counted_before_re.search(text, max(0, toks[first].start - 12), toks[first].start):
            i = best + 1  # “6+1”招商分队: a counted structure, not a body
            continue
        if name[0] not in g.scope_words and kind in ("lex", "alone") and _after_level_list(text, toks[first].start):
            i = best + 1  # 市、县（区）安委会: the shared head of bare levels, not expanded
            continue
        if (kind == "alone" and toks[best].text in g.quoted_slogan_heads
                and ((toks[first].start and text[toks[first].start - 1] in _OPEN_QUOTES)
                     or text[toks[best].end:toks[best].end + 1] in tuple(_CLOSE_QUOTES))):
            i = best + 1  # “指尖办”, “民声一键办”: a slogan (办 the verb), not an office
            continue
        if (kind == "alone" and toks[first].start and text[toks[first].start - 1] in _OPEN_QUOTES
                and text[toks[best].end:toks[best].end + 1] in tuple(_CLOSE_QUOTES)
                and (len(toks[best].text) == 1 or toks[best].text not in word_tags())):
            i = best + 1  # “进厅入处”: quoted, closed by a bare character or a word no dictionary knows
            continue
        if kind == "alone" and not toks[best].lex and (
                (len(toks[best].text) <= 2 and toks[best].text[-1] in g.quoted_slogan_heads
                 and _in_field_list(text, toks[first].start, toks[best].end))
                or _kinds_list(text, toks[first].start, toks[best].end)):
            i = best + 1  # 民事民议、民事民办: a slogan; 合作社、专业技术协会、龙头企业: kinds of organisation
            continue
        if (first == best and name[0] not in _PLACE_CHARS and name[0] not in g.scope_words and kind != "place"
                and name not in g.independent_bodies
                and (types_only or _in_field_list(text, toks[first].start, toks[best].end))):
            i = best + 1  # 工会、青少年、妇女儿童、老龄等工作: a field of work; 工会 in a law: a kind of body
            continue
        # split coordinated names written back to back (省委省政府)
        # a place right after a hospital or college names its branch (西苑医院苏州医院), not a new body
        cuts = [first] + [k for k in range(i + 1, best + 1)
                      if _starts_new(toks, k) and _closes(toks, i, k - 1, kind)
                      and not toks[k - 1].text.endswith(g.branch_heads)]
        pieces = [(toks[a].start, toks[b - 1].end) for a, b in zip(cuts, cuts[1:] + [best + 1])]
        for s, e in pieces:
            piece = text[s:e]
            if is_generic(piece):
                continue
            if s == toks[first].start and kind == "place":
                group = _coordinated_places(text, s, place_text)
                if group:
                    prefix = station_prefix(group[0][0])
                    rest = piece[len(place_text):]
                    span = (group[0][1], e)
                    for el, _p in group:
                        out.append(_Found((el if el.startswith(prefix) else prefix + el) + rest, span))
                    out.append(_Found(prefix + piece, span))
                    continue
            joined = g.joined_heads.get(toks[best].text) if e == toks[best].end else None
            if joined and len(piece) > len(toks[best].text):
                scope = piece[:-len(toks[best].text)]  # 自治区党委政府 -> 自治区党委, 自治区政府
                out.extend(_Found(scope + h, (s, e)) for h in joined)
                continue
            out.append(_Found(piece, (s, e)))
        i = best + 1
    return out


def canonical(name: str, issuer: Optional[str]) -> Optional[str]:
    """The full name when the issuer makes it certain (厅扶贫办 + 吉林省司法厅 → 吉林省司法厅扶贫办公室)."""
    if not issuer or name == issuer:
        return None
    g = grammar()
    tail = None
    if name[0] in "厅局委办部" and issuer.endswith(name[0]) and len(name) > 1:
        tail = name[1:]
        full = issuer
    elif name[0] in g.coordinating_scopes and issuer.endswith(name[1:]) and name[0] in issuer[:-len(name[1:])]:
        return issuer  # 省司法厅 in a document of 吉林省司法厅
    else:
        return None
    for short, long in sorted(g.abbreviations.items(), key=lambda kv: -len(kv[0])):
        if tail.endswith(short):
            tail = tail[: -len(short)] + long
            break
    return full + tail


def _within(regions) -> Callable[[tuple[int, int]], bool]:
    """A test "does some region contain this span", in O(log n): regions sorted by start,
    with the running maximum of their ends (a span is inside one iff that maximum over the
    regions starting at or before it reaches its end)."""
    regions = sorted(regions)
    starts = [a for a, _ in regions]
    reach = list(itertools.accumulate((b for _, b in regions), max))

    def test(span: tuple[int, int]) -> bool:
        k = bisect.bisect_right(starts, span[0])
        return k > 0 and reach[k - 1] >= span[1]
    return test


def extract(doc, ctx) -> list[Department]:
    text = text_of(doc)
    md = ctx.metadata
    recipient_spans = [ev.span for ev in md.evidence if ev.field == "recipients"]
    issuer_spans = [ev.span for ev in md.evidence if ev.field == "issuer"]

    found: list[_Found] = []
    types_only = md.doc_type in grammar().law_types  # a law names kinds of bodies (工会, 人民法院)
    # recipients come from metadata (the list is already split and expanded there)
    if md.recipients and recipient_spans:
        line = (min(s for s, _ in recipient_spans), max(e for _, e in recipient_spans))
        for name, span in expand_list(text[line[0]:line[1]], line[0]):
            if is_complete(name) and not is_generic(name):
                found.append(_Found(name, span))
        found.extend(f for f in find_names(doc, types_only) if not (line[0] <= f.span[0] and f.span[1] <= line[1]))
    else:
        found.extend(find_names(doc, types_only))
    found.sort(key=lambda f: f.span[0])  # stable: expansions of one phrase keep their order

    in_role_region = _within(role_regions(text))
    in_recipients, in_issuer = _within(recipient_spans), _within(issuer_spans)
    by_name: dict[str, list] = {}
    for f in found:
        by_name.setdefault(f.name, []).append(f.span)
    out = []
    for name, spans in by_name.items():
        spans = sorted(set(spans))
        canon = canonical(name, md.issuer)
        roles = set()
        if md.issuer and (name == md.issuer or canon == md.issuer) or name in md.co_issuers:
            roles.add("issuer")
        if name in md.recipients:
            roles.add("recipient")
        for sp in spans:
            if in_role_region(sp):
                roles.add("responsible")
            elif not in_recipients(sp) and not in_issuer(sp):
                roles.add("mentioned")
        out.append(Department(name=name, roles=tuple(r for r in ROLES if r in roles),
                              mentions=tuple(Mention(span=sp) for sp in spans), canonical=canon))
    out.sort(key=lambda d: d.mentions[0].span[0])
    return out
