"""Normalise decoded source text into the ``text`` every span indexes, with an offset map.

Steps, in order (each keeps a map from its output back to its input; the maps compose):

1. line ends: CRLF and CR become LF;
2. pinyin glosses removed: ``導(dǎo)`` -> ``導`` (a parenthesised run of Latin letters with
   at least one tone mark, directly after a character: a Han one, or mojibake);
3. width folding: full-width digits, Latin letters and ``％`` to ASCII, the full-width point
   ``．`` between digits (１２．５ -> 12.5) and the full-width minus ``－`` before a digit
   (－２．１％ -> -2.1%), odd spaces to ' ' (targeted, not NFKC: NFKC changes length on ㈠ and
   ㎡; a ``．`` or ``－`` elsewhere is punctuation of the Chinese text and stays);
4. Traditional -> Simplified with OpenCC t2s, only for a Traditional document or
   paragraph, with rules/t2s_protect.txt names kept as written (乾安县 stays);
5. whitespace: runs collapsed to one space, lines stripped, blank lines dropped;
6. lines broken inside a sentence rejoined (hard-wrapped text, PDF lines), while headings,
   list items and lines ending a sentence stay on their own lines.

``Normalized.offsets[i]`` is the index in the decoded source of ``text[i]``'s origin;
``offsets[len(text)]`` is ``len(source)``.
"""
from __future__ import annotations

import re
from array import array
from collections import Counter
from dataclasses import dataclass
from functools import cache

import numpy
import opencc

from . import rules
from .schema import Normalization

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
# The bracket comes first and the character before it is checked behind it: a pattern that
# starts with a character class lets the regex engine skip to candidate brackets.
_PINYIN = re.compile(rf"[(（](?<=[^\s()（）][(（])(?=[a-zü{_TONED}]*[{_TONED}])[a-zü{_TONED}]{{1,7}}[)）]")
_NEWLINES = re.compile(r"\r\n?")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_EDGE_SPACES = re.compile(r" *\n[ \n]*")
_WIDTH = {**{0xFF10 + i: 0x30 + i for i in range(10)},
          **{0xFF21 + i: 0x41 + i for i in range(26)},
          **{0xFF41 + i: 0x61 + i for i in range(26)},
          0xFF05: ord("%")}
_FULLWIDTH = re.compile("[" + "".join(map(chr, sorted(_WIDTH))) + "]+")  # the characters _WIDTH folds
# A full-width point between digits is a decimal point, a full-width minus before a digit a sign
# (checked after the digits are folded; the list marker 一． and the dash 甲－乙 stay).
_NUMBER_MARKS = re.compile(r"．(?<=\d．)(?=\d)|－(?=\d)")
_NUMBER_FOLD = {0xFF0E: ".", 0xFF0D: "-"}
# U+FFFD, private use, or ? with a Han character or digit on either side (tested behind
# and ahead of the ?: a pattern that opens with a character class scans fast).
_SUSPECT = re.compile(rf"[\ufffd\ue000-\uf8ff]|\?(?:(?<=[{HAN}0-9]\?)|(?=[{HAN}0-9]))")
TABLE_CELL_SEP = " | "  # how readers join table cells into one line per row
_TERMINAL = "。！？；：!?;:…」』”"
_CJK = re.compile(rf"[{HAN}，。、；：？！“”《》（）〔〕【】]")


@dataclass(frozen=True)
class Normalized:
    text: str
    offsets: array  # len(text) + 1 source indexes
    normalization: Normalization

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """Source offsets of ``text[start:end]`` (an empty span maps to a point)."""
        if end <= start:
            return (self.offsets[start], self.offsets[start])
        return (self.offsets[start], self.offsets[end - 1] + 1)


def identity_map(n: int) -> array:
    """array("l", range(n)), built in C (the Python loop cost as much as a normalisation step)."""
    out = array("l")
    out.frombytes(numpy.arange(n, dtype=f"i{out.itemsize}").tobytes())
    return out


# --- offset-mapped substitution --------------------------------------------------------

def _sub(pattern: re.Pattern, repl, text: str, mapping: array) -> tuple[str, array, int]:
    """``pattern.sub`` that carries ``mapping`` (new index -> source index) along.

    A replacement of equal length maps char to char; otherwise each new char maps to the
    start of what it replaced. Returns (new text, new mapping, number of substitutions).
    """
    out: list[str] = []
    new_map = array("l")
    pos, n = 0, 0
    for m in pattern.finditer(text):
        s, e = m.span()
        r = repl(m) if callable(repl) else repl
        if r == m.group(0):
            continue
        n += 1
        out.append(text[pos:s])
        new_map.extend(mapping[pos:s])
        out.append(r)
        if len(r) == e - s:
            new_map.extend(mapping[s:e])
        else:
            new_map.extend([mapping[s]] * len(r))
        pos = e
    if not n:
        return text, mapping, 0
    out.append(text[pos:])
    new_map.extend(mapping[pos:])  # includes the end sentinel
    return "".join(out), new_map, n


# --- Traditional -> Simplified ---------------------------------------------------------

@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@cache
def _protected() -> tuple[tuple[str, str], ...]:
    """(what plain t2s would wrongly write, the protected name) for rules/t2s_protect.txt."""
    conv = _t2s().convert
    pairs = []
    for name in rules.lexicon("t2s_protect.txt"):
        wrong = conv(name)
        if wrong != name and len(wrong) == len(name):
            pairs.append((wrong, name))
    return tuple(pairs)


def _convert_line(line: str) -> str:
    """t2s of one line, length-preserving (char by char where OpenCC changes length)."""
    conv = _t2s().convert
    out = conv(line)
    if len(out) != len(line):
        out = "".join(c2 if len(c2 := conv(c)) == 1 else c for c in line)
    for wrong, name in _protected():
        if wrong in out:
            out = out.replace(wrong, name)
    return out


_NOT_HAN = re.compile(f"[^{HAN}]+")


def _han_count(s: str) -> int:
    return len(_NOT_HAN.sub("", s))


def to_simplified(text: str) -> tuple[str, bool]:
    """Convert Traditional paragraphs to Simplified; Simplified text is left untouched.

    A document is Traditional when at least 2% of its Han characters (and at least one)
    change under t2s;
    otherwise single paragraphs with at least 3 changed characters (5% of the paragraph)
    are converted (mixed documents, quoted Traditional passages).
    """
    conv = _t2s().convert
    lines = text.split("\n")
    converted = [conv(line) for line in lines]
    changed = [0 if x == y else sum(a != b for a, b in zip(x, y)) if len(x) == len(y) else len(x)
               for x, y in zip(lines, converted)]
    han = _han_count(text)
    whole = han > 0 and sum(changed) >= max(1, 0.02 * han)
    out, any_change = [], False
    for line, n in zip(lines, changed):
        if n and (whole or (n >= 3 and n >= 0.05 * max(1, _han_count(line)))):
            new = _convert_line(line)
            any_change |= new != line
            out.append(new)
        else:
            out.append(line)
    return ("\n".join(out), any_change) if any_change else (text, False)


# --- line rejoining --------------------------------------------------------------------

@cache
def _line_start() -> re.Pattern:
    return rules.compile_pattern(rules.table("normalize.toml")["line_start"], "normalize.toml:line_start")


def _wrap_width(lines: list[str]) -> int:
    """The width of hard-wrapped text, or 0 when the text is not hard-wrapped.

    Hard-wrapped text has many lines of (nearly) the same length: the most common length
    of lines of 16+ characters, when at least 40% of those lines (and 5) are within one
    character of it. Paragraph-per-line text has spread lengths and gives 0.
    """
    lengths = Counter(len(s) for s in lines if len(s) >= 16)
    if not lengths:
        return 0
    total = sum(lengths.values())
    best, best_n = 0, 0
    for width in sorted(lengths):
        n = lengths[width - 1] + lengths[width] + lengths[width + 1]
        if n > best_n:
            best, best_n = width, n
    return best + 1 if best_n >= max(5, 0.4 * total) else 0


def _joins(prev: str, nxt: str, width: int) -> bool:
    """Whether the line break between ``prev`` and ``nxt`` is inside a sentence."""
    if not prev or not nxt or not width - 3 <= len(prev) <= width + 1:
        return False
    if TABLE_CELL_SEP in prev or TABLE_CELL_SEP in nxt:  # table rows from the readers
        return False
    if prev[-1] in _TERMINAL or prev.rstrip("）)”’」』》")[-1:] in _TERMINAL:
        return False
    return not _line_start().match(nxt)


def rejoin_lines(text: str, mapping: array) -> tuple[str, array, int]:
    lines = text.split("\n")
    width = _wrap_width(lines)
    if not width:
        return text, mapping, 0
    joins: set[int] = set()  # indexes of newlines to remove
    pos = 0
    for prev, nxt in zip(lines, lines[1:]):
        pos += len(prev)
        if _joins(prev, nxt, width):
            joins.add(pos)
        pos += 1
    if not joins:
        return text, mapping, 0

    def repl(m: re.Match) -> str:
        i = m.start()
        if i not in joins:
            return "\n"
        before, after = text[i - 1: i], text[i + 1: i + 2]
        return "" if _CJK.match(before) or _CJK.match(after) else " "

    return _sub(re.compile("\n"), repl, text, mapping)


def fold_width(text: str) -> str:
    """Full-width digits, Latin letters and ％ to ASCII, and ．/－ inside numbers (same length:
    offsets unchanged).

    Only the runs that need it are translated: ``str.translate`` with a dict walks every
    character of the document through a Python mapping."""
    text = _FULLWIDTH.sub(lambda m: m.group().translate(_WIDTH), text)
    if "．" in text or "－" in text:
        text = _NUMBER_MARKS.sub(lambda m: m.group().translate(_NUMBER_FOLD), text)
    return text


# --- the whole step ----------------------------------------------------------------------

def normalize(source: str, warnings: tuple[str, ...] = ()) -> Normalized:
    """Normalise decoded ``source`` text (see module docstring)."""
    mapping = identity_map(len(source) + 1)
    text = source
    text, mapping, _ = _sub(_NEWLINES, "\n", text, mapping)
    text, mapping, glosses = _sub(_PINYIN, "", text, mapping)
    text = fold_width(text)
    text, mapping, _ = _sub(_SPACES, " ", text, mapping)
    text, converted = to_simplified(text)
    text, mapping, _ = _sub(_EDGE_SPACES, "\n", text, mapping)
    if text.startswith(" ") or text.startswith("\n"):
        text, mapping = text[1:], mapping[1:]
    if text.endswith(" ") or text.endswith("\n"):
        text, mapping = text[:-1], mapping[:-2] + mapping[-1:]
    text, mapping, rejoined = rejoin_lines(text, mapping)
    suspect = len(_SUSPECT.findall(text))
    notes = list(warnings)
    if suspect:
        notes.append(f"{suspect} suspect characters (U+FFFD, private-use, or '?' inside Han/digit runs)")
    if rejoined:
        notes.append(f"{rejoined} line breaks inside sentences rejoined")
    return Normalized(text, mapping, Normalization(
        converted_from_traditional=converted,
        pinyin_glosses_removed=glosses,
        suspect_chars=suspect,
        warnings=tuple(notes),
    ))
