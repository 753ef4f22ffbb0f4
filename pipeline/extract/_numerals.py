"""Numbers written in Arabic digits, Chinese numerals or a mix (1.2万, 五十, 两千, 二〇二〇).

Conversion of Chinese numerals is cn2an's; this module only prepares the string
(thousands separators, a bare 百/千 meaning one hundred/thousand) and caches results.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

import cn2an

# Characters that can make up a number (grammar glue, shared by the extractors).
CN_DIGITS = "零〇一二两三四五六七八九"
CN_UNITS = "十百千万亿"
NUMBER_CHARS = "0-9." + CN_DIGITS + CN_UNITS
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)|(?<=\d),(?=\d{3}(?!\d))")


@lru_cache(maxsize=4096)
def parse_number(s: str) -> Optional[float]:
    """The value of a numeral string, or None when it is not one.

    >>> parse_number("1.2万"), parse_number("五十"), parse_number("百"), parse_number("1,235")
    (12000.0, 50.0, 100.0, 1235.0)
    """
    s = _THOUSANDS.sub("", s.strip())
    if not s:
        return None
    if s[0] in "十百千万亿" and not s.startswith("十"):
        s = "一" + s  # 百人 -> 一百; 十 alone is already fine for cn2an
    try:
        return float(cn2an.cn2an(s, "smart"))
    except (ValueError, KeyError, IndexError, TypeError):
        return None


@lru_cache(maxsize=1024)
def parse_digits(s: str) -> Optional[int]:
    """A digit-by-digit numeral (二〇二〇 -> 2020, 2020 -> 2020) or a plain one (十七 -> 17)."""
    if s.isdigit():
        return int(s)
    if all(c in "〇零一二三四五六七八九" for c in s) and len(s) > 1:
        return int("".join(str("〇一二三四五六七八九".index(c) if c != "零" else 0) for c in s))
    v = parse_number(s)
    return int(v) if v is not None and v.is_integer() else None
