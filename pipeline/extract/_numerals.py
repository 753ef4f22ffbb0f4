"""Numbers written in Arabic digits, Chinese numerals (plain or capital 壹贰叁) or a mix
(1.2万, 五十, 两千, 十三万二, 二〇二〇).

Conversion of Chinese numerals is cn2an's; this module prepares the string (thousands
separators, spaces a PDF put inside a number, a bare 百/千 meaning one hundred/thousand),
caches results and keeps a small layer for what cn2an gets wrong:

- scaling by 万/亿 is exact decimal arithmetic (16.4 × 10⁸ in floats is 1639999999.9999998);
- two neighbouring digits (两三个, 三五天) are a vague range, not the number 23 cn2an reads;
- a bare multiplier run (百万, 千亿) cn2an rejects is one times it.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Optional

import cn2an

# Characters that can make up a number (grammar glue, shared by the extractors).
CN_DIGITS = "零〇一二两三四五六七八九"
CN_UNITS = "十百千万亿"
CAPITAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"
CAPITAL_UNITS = "拾佰仟"
NUMBER_CHARS = "0-9." + CN_DIGITS + CN_UNITS
_SEPARATORS = re.compile(r"[,， ]")  # thousands separators (1,234; 2，350) and PDF spaces
_DIGIT = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "两": 2}
_POWER = {"十": 1, "拾": 1, "百": 2, "佰": 2, "千": 3, "仟": 3, "万": 4, "亿": 8}
_ARABIC = re.compile(r"\d+(?:\.\d+)?")


@lru_cache(maxsize=4096)
def parse_decimal(s: str) -> Optional[Decimal]:
    """The exact value of a numeral string, or None when it is not one.

    >>> parse_decimal("1,235.5"), parse_decimal("5 . 5"), parse_decimal("壹拾贰万")
    (Decimal('1235.5'), Decimal('5.5'), Decimal('120000'))
    """
    s = s.strip()
    if not s:
        return None
    if s[0].isdigit():
        s = _SEPARATORS.sub("", s)
        if _ARABIC.fullmatch(s):
            return Decimal(s)
    if s[0] in "百千万亿佰仟":
        s = "一" + s  # 百人 -> 一百; 十 alone is already fine for cn2an
    try:
        return Decimal(str(cn2an.cn2an(s, "smart")))
    except (ValueError, KeyError, IndexError, TypeError, InvalidOperation):
        pass
    # cn2an rejects a bare run of multipliers after one (一百万, 一千亿): multiply them out
    if s[0] == "一" and len(s) > 1 and all(c in CN_UNITS + CAPITAL_UNITS for c in s[1:]):
        return Decimal(10) ** sum(_POWER[c] for c in s[1:])
    return None


def parse_number(s: str) -> Optional[float]:
    """The value of a numeral string as a float, or None when it is not one.

    >>> parse_number("1.2万"), parse_number("五十"), parse_number("百"), parse_number("1,235")
    (12000.0, 50.0, 100.0, 1235.0)
    """
    d = parse_decimal(s)
    return None if d is None else float(d)


@lru_cache(maxsize=4096)
def scaled(num: str, multiplier: Optional[Decimal]) -> Optional[float]:
    """``num`` times a multiplier (万 = 10⁴ ...), in exact decimals: 16.4 亿 -> 1640000000."""
    d = parse_decimal(num)
    if d is None:
        return None
    return float(d * multiplier) if multiplier is not None else float(d)


def vague_pair(s: str) -> Optional[tuple[int, int]]:
    """Two neighbouring Chinese digits read as 'a or b' (两三 -> (2, 3), 三五 -> (3, 5)), or None.

    cn2an reads 两三 as 23; in prose it is "two or three"."""
    if len(s) != 2 or s[0] not in _DIGIT or s[1] not in _DIGIT:
        return None
    a, b = _DIGIT[s[0]], _DIGIT[s[1]]
    if a >= 1 and (b == a + 1 or (a, b) == (3, 5)):
        return a, b
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
