"""The fast segmenter (rjieba) against the reference (jieba), and the dictionary POS tags.

Issue 7 lets segmentation run on jieba-rs only if a test shows that it agrees with jieba on
the corpus with our user dictionary: these tests are that check.
"""
from __future__ import annotations

import pytest

from conftest import seed_paths
from pipeline import segment
from pipeline.assemble import process_text
from pipeline.errors import GongwenError
from pipeline.normalize import normalize
from pipeline.schema import dumps

pytest.importorskip("rjieba")


@pytest.fixture(scope="module")
def both():
    return segment.segmenter("rjieba"), segment.segmenter("jieba")


def _normalised(path) -> str:
    return normalize(path.read_text(encoding="utf-8")).text


def _first_difference(a: list[str], b: list[str]) -> str:
    k = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"at word {k}: {a[max(0, k - 3):k + 3]} != {b[max(0, k - 3):k + 3]}"


@pytest.mark.parametrize("path", seed_paths(), ids=lambda p: p.name)
def test_same_words_as_jieba_on_corpus(both, path):
    fast, ref = both
    text = _normalised(path)
    a, b = fast.cut(text), ref.cut(text)
    assert a == b, _first_difference(a, b)


def test_same_words_as_jieba_on_public_corpus(both, shared_dir):
    """Every fourth public TXT document (UTF-8 ones), normalised as the pipeline does."""
    paths = sorted((shared_dir / "corpus-public" / "txt").rglob("*.txt"))[::4]
    checked = 0
    for p in paths:
        try:
            text = _normalised(p)
        except UnicodeDecodeError:
            continue
        a, b = both[0].cut(text), both[1].cut(text)
        assert a == b, f"{p.name}: {_first_difference(a, b)}"
        checked += 1
    assert checked >= 50


@pytest.mark.parametrize("text", [
    "2014-2020年", "2014--2020", "电话：020-87584786", "网址：www.gd.gov.cn/post_4614013.html",
    "增长5.5%以上", "5 . 5%", "A股和B股", "第1批", "ＧＤＰ增长", "  \n\n  ", "中华人民共和国国务院扶贫开发领导小组办公室",
    "脱贫攻坚驻村工作队", "建档立卡贫困户27户64人", "7月下旬至10月中旬", "V1.2.3版", "COVID-19疫情",
])
def test_same_words_on_hard_strings(both, text):
    fast, ref = both
    assert fast.cut(text) == ref.cut(text)
    assert "".join(fast.cut(text)) == text


def test_user_dictionary_reaches_both(both):
    for seg in both:
        assert "驻村工作队" in seg.cut("选派驻村工作队开展帮扶")


def test_tags_come_from_the_dictionary():
    assert segment.tag_of("北京") == "ns"
    assert segment.tag_of("2020") == "m"
    assert segment.tag_of("abc12") == "eng"
    assert segment.tag_of("，") == "x"
    assert segment.tag_of("专精特新") == "x"  # not in the dictionary: x, as jieba-rs tags it
    assert segment.tagged("北京2020年") == (("北京", "ns"), ("2020", "m"), ("年", "m"))


def test_unknown_segmenter_name_is_an_error(monkeypatch):
    monkeypatch.setenv("GONGWEN_SEGMENTER", "thulac")
    with pytest.raises(GongwenError, match="GONGWEN_SEGMENTER"):
        segment._backend_name()


@pytest.mark.parametrize("path", seed_paths(), ids=lambda p: p.name)
def test_records_do_not_depend_on_the_segmenter(monkeypatch, path):
    text = path.read_text(encoding="utf-8")
    fast = dumps(process_text(text, path.name))
    reference = segment.segmenter
    monkeypatch.setattr(segment, "segmenter", lambda name="": reference("jieba"))
    assert dumps(process_text(text, path.name)) == fast


@pytest.mark.parametrize("words, starts", [
    ([], []),
    (["第一", "句", "。", "第二", "句"], [1, 0, 0, 1, 0]),
    (["“", "好", "。", "”", "他", "说"], [1, 0, 0, 0, 1, 0]),  # a closing quote stays in its sentence
    (["”", "开头"], [0, 1]),  # a document opening with a closer
    (["标题", "\n", "\n", "正文", "；", "）", "）", "下文"], [1, 0, 1, 1, 0, 0, 0, 1]),
])
def test_sentence_starts(words, starts):
    assert segment.sentence_starts(words) == [bool(s) for s in starts]
    if words:
        doc = segment.make_doc("".join(words))
        assert all(s.text for s in doc.sents)
