"""HTML reader: main text without navigation, scripts and styles, declared or detected
charset, inline tags never split a number from its unit."""
from __future__ import annotations

import json
import re

import pytest

from _support import facts, fixtures, raw_of, record_of_bytes, record_of_text, squeeze, twin_text
from pipeline import errors
from pipeline.assemble import process_bytes
from pipeline.ingest import html, sniff
from pipeline.normalize import normalize

HTML = sorted(n for n, fx in fixtures().items() if fx.suffix == ".html")
DEBRIS = ["首页", "政务公开", "当前位置", "版权所有", "访问量", "9999户", "2018年3月1日", "font-family", "分享到",
          "机构设置", "2020年5月1日"]


def _lines(text: str) -> list[str]:
    return [squeeze(ln) for ln in normalize(text).text.split("\n")]


@pytest.mark.parametrize("name", HTML)
def test_text_equals_the_seed_without_debris(name):
    fx = fixtures()[name]
    raw = raw_of(fx)
    assert raw.format == "html" and raw.pages is None
    assert raw.encoding == ("gb18030" if "gb2312" in name else "utf-8")
    assert _lines(raw.text) == _lines(twin_text(fx))
    for junk in DEBRIS:
        assert junk not in raw.text or junk in twin_text(fx), junk


@pytest.mark.parametrize("name", HTML)
def test_facts_equal_the_txt_twin(name):
    fx = fixtures()[name]
    assert facts(record_of_bytes(fx.data, ".html")) == facts(record_of_text(twin_text(fx)))


def test_inline_tags_do_not_break_numbers_from_units():
    page = ('<p><span style="font-family:仿宋">搬迁任务为</span><span>5086</span><span>户</span>'
            '<span>20402</span>\n   <span>人</span>，</p><p>下一段</p>').encode()
    raw = html.read(page)
    assert raw.text == "搬迁任务为5086户20402 人，\n下一段"  # a source line break is a space, as browsers show


def test_source_line_break_between_cjk_disappears():
    assert html.read("<p>全县现有贫困\n    人口1.24万户</p>".encode()).text == "全县现有贫困人口1.24万户"


def test_declared_charset_wrong_falls_back_to_detection():
    page = '<html><head><meta charset="utf-8"></head><body><p>长顺县贫困户5086户</p></body></html>'.encode("gb18030")
    raw = html.read(page)
    assert raw.text == "长顺县贫困户5086户" and raw.encoding == "gb18030"
    assert raw.warnings and "declared charset" in raw.warnings[0]


def test_sniffed_by_content():
    assert sniff(b"<!DOCTYPE html><html><body><p>x</p></body></html>", ".txt") == "html"
    assert sniff('<p style="x"><span>一、贫困情况</span></p>'.encode(), "") == "html"
    assert sniff("《通知》<正文>".encode(), ".txt") == "txt"


def test_empty_page_is_an_error():
    from pipeline.assemble import StageFailure
    with pytest.raises(StageFailure) as e:
        process_bytes("<html><body><nav>首页</nav><script>x=1</script></body></html>".encode(), "e.html", ".html")
    assert e.value.code == errors.NO_TEXT


def _visible_text(data: bytes) -> str:
    """What a reader sees: the rendered text of the page, paragraph by paragraph."""
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(data.decode("utf-8"), "lxml")
    return "\n".join(re.sub(r"\s+", "", p.get_text()) for p in soup.find_all(["p", "tr"]))


def test_changshun_household_counts_as_a_reader_sees_them(shared_dir):
    folder = shared_dir / "corpus-public/html/changshun_poverty_2019"
    page = next(folder.glob("02_*.html")).read_bytes()
    rec = process_bytes(page, "02.html", ".html")
    assert "5086户20402人" in rec.text and "4321户16870人" in rec.text
    seen = process_bytes(_visible_text(page).encode(), "seen.txt", ".txt")
    got = [(h.households, h.persons) for h in rec.household_counts]
    assert got == [(h.households, h.persons) for h in seen.household_counts]
    assert (5086, 20402) in got


def test_every_public_html_reads(shared_dir):
    for path in sorted((shared_dir / "corpus-public/html").rglob("*.html")):
        raw = html.read(path.read_bytes())
        assert raw.encoding == "utf-8" and len(raw.text) > 100, path.name
        assert "<span" not in raw.text and "font-family" not in raw.text, path.name


def test_deep_unclosed_markup_is_read_without_recursion():
    """Old Word exports leave <font> and <div> unclosed: thousands of levels deep (issue 14)."""
    from pipeline.ingest import read
    depth = 3000
    page = ("<html><body>" + "<font><div>" * depth + "关于做好扶贫工作的通知。<p>低保户27户64人。"
            + "<div>第二段" * 50 + "</body></html>").encode()
    raw = read(page, ".html")
    assert raw.text.startswith("关于做好扶贫工作的通知。\n低保户27户64人。\n第二段")
