"""The numeral layer around cn2an (pipeline/extract/_numerals.py): what cn2an reads, and the
small fixes for what it gets wrong (float artefacts of scaling, 两三 read as 23, bare 百万)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.extract._numerals import parse_decimal, parse_number, scaled, vague_pair


@pytest.mark.parametrize("text, value", [
    ("1.2万", 12000), ("十三万二", 132000), ("五十", 50), ("百", 100), ("两千九百六十", 2960),
    ("一百五十万", 1500000), ("零点五", 0.5), ("1,235.86", 1235.86), ("1 000", 1000),
    ("5 . 5", 5.5), ("12 345.6", 12345.6),
    # capital numerals (大写金额)
    ("壹拾贰万", 120000), ("叁佰伍拾万", 3500000), ("贰仟零伍拾", 2050), ("捌拾陆万叁仟", 863000),
    ("拾万", 100000), ("一万贰仟叁佰肆拾伍", 12345),
    # bare multiplier runs cn2an rejects
    ("百万", 1000000), ("千亿", 100000000000), ("十亿", 1000000000),
])
def test_parse_number(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "数十", "abc", "十几", "点"])
def test_not_a_number(text):
    assert parse_number(text) is None


@pytest.mark.parametrize("num, power, value", [
    ("16.4", 8, 1640000000), ("1235.86", 4, 12358600), ("0.29", 8, 29000000), ("4.76", 4, 47600),
    ("1.15", 12, 1150000000000), ("33.3", 4, 333000), ("三点五", 4, 35000), ("9.7", 12, 9700000000000),
])
def test_scaling_is_exact(num, power, value):
    """Float multiplication gives 16.4 * 1e8 = 1639999999.9999998; decimal scaling does not."""
    assert scaled(num, Decimal(10) ** power) == value


def test_float_scaling_would_be_wrong_for_these():
    assert 16.4 * 1e8 != 1640000000  # the artefact the layer exists for


@pytest.mark.parametrize("text, pair", [
    ("两三", (2, 3)), ("三四", (3, 4)), ("三五", (3, 5)), ("七八", (7, 8)), ("一两", (1, 2)),
    ("二三", (2, 3)), ("三三", None), ("五三", None), ("十一", None), ("三", None),
])
def test_vague_pair(text, pair):
    assert vague_pair(text) == pair


def test_cn2an_reads_two_neighbouring_digits_as_one_number():
    """The known cn2an behaviour the vague-pair layer corrects (两三个 is 'two or three')."""
    import cn2an
    assert cn2an.cn2an("两三", "smart") == 23
    assert parse_decimal("两三") == Decimal(23)  # parse_* stays cn2an's; the grammar asks vague_pair first
