"""Normalisation: glosses, width, Traditional->Simplified, whitespace, line rejoin, offsets."""
from __future__ import annotations

import opencc
import pytest
from hypothesis import given, settings, strategies as st

from conftest import CORPUS
from pipeline.normalize import fold_width, identity_map, normalize, to_simplified

SEED_TRAD = CORPUS / "003_1a0f7cd30ebc3691.txt"
SIMPLIFIED_SEEDS = sorted(p for p in CORPUS.glob("*.txt") if p != SEED_TRAD)


def check_offsets(source: str, n) -> None:
    """Every char of text maps to the source char it came from (modulo folding/t2s)."""
    t2s = opencc.OpenCC("t2s").convert
    assert len(n.offsets) == len(n.text) + 1
    assert n.offsets[-1] == len(source)
    prev = -1
    for i, c in enumerate(n.text):
        o = n.offsets[i]
        assert o > prev, f"offsets not increasing at {i}"
        prev = o
        src = source[o]
        if c in " \n":
            assert src.isspace() or src in "\r\u3000", (i, c, src)
        else:
            folded = src.translate({0xFF05: "%"}) if src == "％" else src
            if "\uff10" <= src <= "\uff5a" or src in "．－":
                folded = chr(ord(src) - 0xFEE0)
            assert c == folded or c == t2s(src) or t2s(c) == t2s(src), (i, c, src)


def test_seed_003_has_no_gloss_and_no_traditional_left():
    source = SEED_TRAD.read_text(encoding="utf-8")
    n = normalize(source)
    assert n.normalization.converted_from_traditional
    assert n.normalization.pinyin_glosses_removed > 1000
    assert "(dǎo)" not in n.text and "(xiàn)" not in n.text
    t2s = opencc.OpenCC("t2s").convert
    assert t2s(n.text) == n.text, "a Traditional-only character survived"
    assert "指导思想" in n.text
    check_offsets(source, n)


@pytest.mark.parametrize("path", SIMPLIFIED_SEEDS, ids=lambda p: p.name[:3])
def test_simplified_seeds_unchanged_by_conversion(path):
    source = path.read_text(encoding="utf-8")
    n = normalize(source)
    assert not n.normalization.converted_from_traditional
    assert to_simplified(n.text) == (n.text, False)
    check_offsets(source, n)


@pytest.mark.parametrize("source, expected", [
    ("導(dǎo)向", "导向"),
    ("發(fā)展（fā）", "发展"),
    ("我们(PDF)版本", "我们(PDF)版本"),  # not pinyin: no tone mark
    ("（一）工作", "（一）工作"),
    ("２０２０年１０月", "2020年10月"),
    ("ＡＢＣ　ｄｅｆ", "ABC def"),
    ("占比６９％", "占比69%"),
    ("  前导空格\n\n\n  第二行  ", "前导空格\n第二行"),
    ("a\r\nb\rc", "a\nb\nc"),
    ("乾安縣的發展", "乾安县的发展"),  # protected name survives t2s
])
def test_normalize_cases(source, expected):
    n = normalize(source)
    assert n.text == expected
    assert len(n.offsets) == len(n.text) + 1


def test_simplified_text_with_qian_is_untouched():
    # plain t2s would write 干安县 and 着; a Simplified document must not change at all
    source = "吉林省松原市乾安县著名的乾隆年间古迹，" * 3
    assert normalize(source).text == source


def test_hard_wrapped_lines_rejoin_but_headings_stay():
    para = ("为深入贯彻落实党中央国务院关于决战决胜脱贫攻坚的战略部署充分发挥科协优势广泛动员"
            "组织全省广大科技工作者积极投身脱贫攻坚为打赢脱贫攻坚战全面建成小康社会提供坚强有力的科技支撑"
            "根据吉林省脱贫攻坚工作要点制定方案如下坚持以新时代中国特色社会主义思想为指导深入贯彻落实")
    lines = [para[i:i + 20] for i in range(0, len(para), 20)]
    source = "一、总体要求\n" + "\n".join(lines) + "。\n二、工作重点\n（一）加强组织领导\n1.大力提升农民科技素质。"
    n = normalize(source)
    assert n.text.split("\n") == ["一、总体要求", para + "。", "二、工作重点", "（一）加强组织领导",
                                  "1.大力提升农民科技素质。"]
    check_offsets(source, n)


def test_paragraph_per_line_text_is_not_rejoined():
    source = ("政策标题：关于开展租赁和商务服务业加快培育个体工商户申报工作的通知\n"
              "发布日期：2025-08-25 16:54:40\n部门：发展和改革局\n"
              "对经认定的技能人才培训平台给予资助，同一机构每年最高10万元。（牵头单位：区人力资源社会保障局）\n"
              "遴选一批有优质人才资源的机构建设引才工作站，给予奖励（牵头单位：区委组织部）\n"
              "为符合条件的人才发放人才绿卡")
    assert normalize(source).text == source


def test_suspect_characters_counted():
    n = normalize("全村总?94户587人，其中\ufffd\ufffd人口")
    assert n.normalization.suspect_chars == 3
    assert any("suspect" in w for w in n.normalization.warnings)


@pytest.mark.parametrize("source, count", [
    ("?中", 1), ("中?", 1), ("中?中", 1), ("12?5", 1), ("a?b", 0), ("? ?", 0),
    ("\ue000\uf8ff", 2), ("??", 0), ("中??", 1),
])
def test_suspect_question_marks_need_a_han_or_digit_neighbour(source, count):
    assert normalize(source).normalization.suspect_chars == count


def test_width_folding_touches_only_fullwidth_alphanumerics_percent_and_number_marks():
    assert fold_width("ＧＤＰ增长６．５％，（一）：ａｂ") == "GDP增长6.5%，（一）：ab"
    assert fold_width("增长－２．１％，一．总则，甲－乙") == "增长-2.1%，一．总则，甲－乙"
    assert fold_width("１２．５万元") == "12.5万元"
    assert fold_width("没有全角字母") == "没有全角字母"
    # a full-width comma is left as written, also between digits (７，５００多万户 -> 7，500多万户):
    # whether it is a thousands separator depends on what follows, which the figures grammar reads
    assert fold_width("７，５００多万户，１，２，３") == "7，500多万户，1，2，3"


def test_identity_map_matches_range():
    for n in (0, 1, 7, 100_000):
        assert list(identity_map(n)) == list(range(n))


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("導(dǎo)發展２０年　 \n\r\t，。一、（）abc乾安縣?")), max_size=80))
def test_offsets_always_consistent(source):
    n = normalize(source)
    assert len(n.offsets) == len(n.text) + 1
    assert all(0 <= o <= len(source) for o in n.offsets)
    assert list(n.offsets) == sorted(n.offsets)
    for s in range(len(n.text)):
        a, b = n.source_span(s, s + 1)
        assert 0 <= a < b <= len(source)
