"""Load and validate ``rules/`` once per process.

Formats (see rules/README.md): ``*.txt`` lexicons, one entry per line, ``#`` comments;
``*.toml`` small structured tables; ``jieba_userdict.txt`` in jieba's own format.
Bad lines stop the run with ``file:line: reason``.
"""
from __future__ import annotations

import hashlib
import re
import tomllib
from functools import cache
from pathlib import Path

from .errors import RulesError

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"


def rules_dir() -> Path:
    return RULES_DIR


@cache
def rules_version() -> str:
    """sha256 (first 16 hex) over the names and bytes of every file in rules/."""
    h = hashlib.sha256()
    for p in sorted(RULES_DIR.rglob("*")):
        if p.is_file() and not p.name.startswith("."):
            h.update(p.relative_to(RULES_DIR).as_posix().encode() + b"\0")
            h.update(p.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _path(name: str) -> Path:
    p = RULES_DIR / name
    if not p.is_file():
        raise RulesError(f"{p}: missing rules file")
    return p


@cache
def lexicon(name: str) -> tuple[str, ...]:
    """Entries of ``rules/<name>`` (one per line, ``#`` comments, blank lines ignored).

    Duplicates are an error: a lexicon is a set written down in a stable order.
    """
    p = _path(name)
    seen: dict[str, int] = {}
    for no, raw in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line in seen:
            raise RulesError(f"{p.name}:{no}: duplicate entry {line!r} (first on line {seen[line]})")
        seen[line] = no
    return tuple(seen)


@cache
def table(name: str) -> dict:
    """A TOML table from ``rules/<name>``."""
    p = _path(name)
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise RulesError(f"{p.name}:{getattr(e, 'lineno', '?')}: {e}") from None


def compile_pattern(source: str, where: str) -> re.Pattern:
    """Compile a regex read from rules/, naming ``where`` (file:key) when it is bad."""
    try:
        return re.compile(source)
    except re.error as e:
        raise RulesError(f"{where}: bad pattern: {e}") from None


def alternation(entries, where: str = "") -> str:
    """A regex alternation of literal entries, longest first (so 年底前 beats 年底)."""
    if not entries:
        raise RulesError(f"{where}: empty lexicon")
    return "(?:" + "|".join(re.escape(e) for e in sorted(set(entries), key=lambda s: (-len(s), s))) + ")"


@cache
def jieba_userdict() -> tuple[tuple[str, int | None, str | None], ...]:
    """Entries of rules/jieba_userdict.txt: ``word [freq] [tag]`` per line."""
    p = _path("jieba_userdict.txt")
    out, seen = [], set()
    for no, raw in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) > 3 or (len(parts) >= 2 and not parts[1].isdigit()):
            raise RulesError(f"{p.name}:{no}: expected 'word [freq] [tag]', got {raw!r}")
        if parts[0] in seen:
            raise RulesError(f"{p.name}:{no}: duplicate word {parts[0]!r}")
        seen.add(parts[0])
        out.append((parts[0], int(parts[1]) if len(parts) >= 2 else None, parts[2] if len(parts) == 3 else None))
    return tuple(out)


# Lexicons whose entries are also fed to jieba as whole words (departments, policy terms).
SEGMENT_LEXICONS = ("departments.txt",)


def segment_words() -> tuple[str, ...]:
    """Extra whole words for the segmenter: every lexicon in SEGMENT_LEXICONS that exists."""
    words: list[str] = []
    for name in SEGMENT_LEXICONS:
        if (RULES_DIR / name).is_file():
            words.extend(lexicon(name))
    return tuple(words)
