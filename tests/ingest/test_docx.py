"""DOCX reader: body text in document order, tables as rows, numbering restored from
numbering.xml, headers and footers left out; the public DOCX equal their TXT twins."""
from __future__ import annotations

import io
import re

import pytest

import make_fixtures as mf
from _support import facts, fixtures, raw_of, record_of_bytes, record_of_text, slow, squeeze, twin_text
from pipeline import errors
from pipeline.assemble import StageFailure, process_bytes
from pipeline.ingest import docx as docx_reader
from pipeline.ingest import sniff
from pipeline.normalize import normalize

DOCX = sorted(n for n, fx in fixtures().items() if fx.suffix == ".docx")
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _lines(text: str) -> list[str]:
    return [squeeze(ln) for ln in normalize(text).text.split("\n")]


@pytest.mark.parametrize("name", DOCX)
def test_text_equals_the_seed_with_numbering_restored(name):
    fx = fixtures()[name]
    raw = raw_of(fx)
    assert raw.format == "docx" and raw.encoding is None and raw.pages is None
    assert _lines(raw.text) == _lines(twin_text(fx))
    assert "页眉不属于正文" not in raw.text and "第1页 共3页" not in raw.text


@pytest.mark.parametrize("name", DOCX)
def test_facts_equal_the_txt_twin(name):
    fx = fixtures()[name]
    assert facts(record_of_bytes(fx.data, ".docx")) == facts(record_of_text(twin_text(fx)))


def test_fixture_numbering_is_automatic():
    """The generator really removed the literal numbers: python-docx alone does not see them."""
    import docx
    fx = fixtures()["001-docx"]
    plain = [p.text for p in docx.Document(io.BytesIO(fx.data)).paragraphs]
    assert "指导思想" in plain and "一、指导思想" not in plain
    assert "一、指导思想" in raw_of(fx).text.split("\n")


def _doc_with(numbering_xml: str, paragraphs: list[tuple[str, str | None, int]]) -> bytes:
    import docx
    from docx.oxml import parse_xml
    d = docx.Document()
    root = d.part.numbering_part.element
    for child in list(root):
        root.remove(child)
    for child in parse_xml(f"<w:numbering {W}>{numbering_xml}</w:numbering>"):
        root.append(child)
    for text, num_id, ilvl in paragraphs:
        p = d.add_paragraph(text)
        if num_id:
            p._p.get_or_add_pPr().append(parse_xml(
                f'<w:numPr {W}><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>'))
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _lvl(i, fmt, text, start=1, suff="nothing"):
    return (f'<w:lvl w:ilvl="{i}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>'
            f'<w:lvlText w:val="{text}"/><w:suff w:val="{suff}"/></w:lvl>')


def test_numbering_levels_restart_and_formats():
    numbering = ('<w:abstractNum w:abstractNumId="1">'
                 + _lvl(0, "chineseCounting", "%1、") + _lvl(1, "chineseCounting", "（%2）")
                 + _lvl(2, "decimal", "%3.", suff="tab") + _lvl(3, "decimalEnclosedCircle", "%4")
                 + '</w:abstractNum>'
                 '<w:abstractNum w:abstractNumId="2">' + _lvl(0, "decimal", "%1.") + _lvl(1, "decimal", "%1.%2")
                 + '</w:abstractNum>'
                 '<w:num w:numId="1"><w:abstractNumId w:val="1"/></w:num>'
                 '<w:num w:numId="2"><w:abstractNumId w:val="1"/>'
                 '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="9"/></w:lvlOverride></w:num>'
                 '<w:num w:numId="3"><w:abstractNumId w:val="2"/></w:num>')
    paras = [("总体要求", "1", 0), ("工作目标", "1", 1), ("第一项", "1", 2), ("第二项", "1", 2),
             ("分项", "1", 3), ("重点任务", "1", 1), ("第一项", "1", 2), ("保障措施", "1", 0),
             ("组织领导", "1", 1), ("不编号的段落", None, 0), ("另起", "2", 0), ("章", "3", 0), ("小节", "3", 1),
             ("小节", "3", 1)]
    lines = docx_reader.read(_doc_with(numbering, paras)).text.split("\n")
    assert lines == ["一、总体要求", "（一）工作目标", "1. 第一项", "2. 第二项", "①分项", "（二）重点任务",
                     "1. 第一项", "二、保障措施", "（一）组织领导", "不编号的段落", "九、另起", "1.章", "1.1小节",
                     "1.2小节"]


@pytest.mark.parametrize("n,fmt,out", [(1, "chineseCounting", "一"), (11, "chineseCounting", "十一"),
                                       (20, "chineseCountingThousand", "二十"), (3, "ideographTraditional", "丙"),
                                       (4, "upperRoman", "IV"), (28, "lowerLetter", "bb"), (2, "decimalZero", "02"),
                                       (5, "decimalEnclosedCircleChinese", "⑤"), (7, "decimal", "7")])
def test_number_formats(n, fmt, out):
    assert docx_reader.format_number(n, fmt) == out


def test_bad_docx_become_error_records():
    good = fixtures()["000-docx"].data
    with pytest.raises(StageFailure) as e:
        process_bytes(good[: len(good) // 2], "cut.docx", ".docx")
    assert e.value.code == errors.CORRUPT
    ole = docx_reader.OLE_MAGIC + b"\0" * 512 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 512
    assert sniff(ole, ".docx") == "docx"
    with pytest.raises(StageFailure) as e:
        process_bytes(ole, "locked.docx", ".docx")
    assert e.value.code == errors.ENCRYPTED
    with pytest.raises(StageFailure) as e:
        process_bytes(docx_reader.OLE_MAGIC + b"\0" * 1024, "old.doc", ".doc")
    assert e.value.code == errors.UNSUPPORTED


def test_sniffed_by_content():
    assert sniff(fixtures()["000-docx"].data, "") == "docx"


def _public_pairs(shared_dir):
    folder = shared_dir / "corpus-public/docx/gwr_city_2024"
    return [(p, shared_dir / "corpus-public/txt/gwr_city_2024" / (p.stem + ".txt")) for p in sorted(folder.glob("*.docx"))]


def _check_pair(docx_path, txt_path):
    got = squeeze(normalize(docx_reader.read(docx_path.read_bytes()).text).text)
    want = squeeze(normalize(txt_path.read_text(encoding="utf-8")).text)
    assert got == want, docx_path.name


def test_public_docx_sample_equals_txt_twins(shared_dir):
    pairs = _public_pairs(shared_dir)
    assert len(pairs) == 143
    for d, t in pairs[::14]:  # 11 of 143; all of them with GONGWEN_SLOW=1
        _check_pair(d, t)


@slow
def test_all_public_docx_equal_txt_twins(shared_dir):
    for d, t in _public_pairs(shared_dir):
        _check_pair(d, t)


# --- damaged and hostile DOCX (issue 14) ------------------------------------------------------

def bomb(megabytes: int) -> bytes:
    return mf.docx_bomb(fixtures()["000-docx"].data, megabytes)


@pytest.mark.parametrize("part, damage", [
    ("word/styles.xml", b"\x00garbage<<<"),
    ("word/styles.xml", b"<foo><bar/></foo>"),
    ("word/numbering.xml", b"<<<not xml"),
    ("word/settings.xml", b"<w:settings"),
    ("word/numbering.xml", None),  # non-integer w:ilvl and w:start
])
def test_damaged_secondary_parts_keep_the_text_and_warn(part, damage):
    fx = fixtures()["000-docx"]
    if damage is None:
        import zipfile
        xml = zipfile.ZipFile(io.BytesIO(fx.data)).read(part).decode()
        damage = xml.replace('w:ilvl="1"', 'w:ilvl="one"').replace('w:start w:val="1"', 'w:start w:val="x1"').encode()
    raw = docx_reader.read(mf.rezip(fx.data, {part: damage}))
    body = [ln for ln in _lines(twin_text(fx)) if len(ln) > 12]
    got = squeeze(raw.text)
    assert all(ln[6:] in got for ln in body)  # every line's text (list numbers may be lost)
    if damage != b"<foo><bar/></foo>":  # well-formed but meaningless: nothing to warn about
        assert raw.warnings and any(part.split("/")[-1] in w or "damaged numbers" in w for w in raw.warnings)


def test_a_damaged_document_part_is_corrupt_and_named():
    data = mf.rezip(fixtures()["000-docx"].data, {"word/document.xml": b"<w:document><w:body><w:p>"})
    with pytest.raises(StageFailure) as e:
        process_bytes(data, "bad.docx", ".docx")
    assert e.value.code == errors.CORRUPT and "word/document.xml" in e.value.message


def test_zip_bomb_is_refused_before_it_is_inflated():
    import time
    data = bomb(30)
    assert len(data) < 1_000_000
    t = time.perf_counter()
    with pytest.raises(StageFailure) as e:
        process_bytes(data, "bomb.docx", ".docx")
    assert time.perf_counter() - t < 2
    assert e.value.code == errors.TOO_LARGE
    assert "word/document.xml" in e.value.message and "[docx].max_ratio" in e.value.message
