"""PDF reader: generated fixtures give the seed's text and facts on the right pages;
bad files give error records; the public PDFs come out clean."""
from __future__ import annotations

import difflib
import re

import pytest

import make_fixtures as mf
from _support import (expected_page, facts, fixtures, positions, raw_of, record_of_bytes, record_of_text,
                      slow, squeeze, twin_text)
from pipeline import errors, rules, schema
from pipeline.assemble import StageFailure, process_bytes
from pipeline.ingest import pdf, sniff
from pipeline.normalize import normalize

PDFS = sorted(n for n, fx in fixtures().items() if fx.suffix == ".pdf")


def _lines(text: str) -> list[str]:
    return [squeeze(ln) for ln in normalize(text).text.split("\n")]


@pytest.mark.parametrize("name", PDFS)
def test_text_equals_the_seed_line_by_line(name):
    """Same lines as the TXT twin (whitespace inside lines aside): broken lines rejoined,
    headings and list items kept apart, columns in order, furniture gone, table rows whole."""
    fx = fixtures()[name]
    raw = raw_of(fx)
    assert raw.format == "pdf" and raw.encoding is None
    got, want = _lines(raw.text), _lines(twin_text(fx))
    assert got == want, "\n".join(list(difflib.unified_diff(want, got, lineterm="", n=0))[:12])


@pytest.mark.parametrize("name", PDFS)
def test_reader_text_is_what_was_drawn_in_order(name):
    fx = fixtures()[name]
    raw = raw_of(fx)
    assert squeeze(raw.text) == squeeze("".join(fx.pages))
    assert len(raw.page_starts) == len(fx.pages) and raw.pages == len(fx.pages)
    assert list(raw.page_starts) == sorted(raw.page_starts) and raw.page_starts[0] == 0


@pytest.mark.parametrize("name", PDFS)
def test_facts_equal_the_txt_twin_and_pages_are_right(name):
    fx = fixtures()[name]
    rec = record_of_bytes(fx.data, ".pdf")
    twin = record_of_text(twin_text(fx))
    assert facts(rec) == facts(twin)
    assert rec.source.format == "pdf" and rec.source.pages == len(fx.pages)
    raw = raw_of(fx)
    found = positions(schema.to_dict(rec))
    assert found, "no items with positions"
    for (s, _e), page in found:
        assert page == expected_page(fx, raw.text, s), (raw.text[s:s + 20], page)


def test_narrow_lines_rejoin_words_broken_by_the_layout():
    fx = fixtures()["000-narrow"]
    raw = raw_of(fx)
    text = normalize(raw.text).text
    assert "省法律援助中心" in text and "\n中心" not in text
    assert len(fx.pages) > 10  # the fixture really is narrow: about 9 characters a line


def test_running_headers_and_page_numbers_are_removed():
    for name in ("000-furniture-dash", "002-furniture-of", "001-table"):
        text = raw_of(fixtures()[name]).text
        assert "资料汇编" not in text and "内部资料" not in text
        assert not re.search(r"^(?:- \d+ -|第\d+页 共\d+页|\d+/\d+)$", text, re.M), name


def test_table_rows_are_lines_with_cells_not_interleaved():
    text = normalize(raw_of(fixtures()["002-table"]).text).text.split("\n")
    rows = [mf.CELL.join(r) for r in mf.TABLE]
    i = text.index(rows[0])
    assert text[i:i + len(rows)] == rows


def test_two_columns_are_read_column_by_column():
    fx = fixtures()["001-two-column"]
    text = squeeze(raw_of(fx).text)
    seed = squeeze("".join(fx.lines))
    assert text == seed


# --- furniture rules ----------------------------------------------------------------------

@pytest.mark.parametrize("line", ["- 3 -", "— 12 —", "－3－", "第3页 共5页", "第 3 页", "3/5", "3 / 15",
                                  "共5页 第3页", "Page 3 of 5", "7"])
def test_page_number_pattern_accepts(line):
    assert pdf._rules()["page_number"].match(re.sub(r"\s+", "", line))


@pytest.mark.parametrize("line", ["2020年", "3.5万元", "一、总体要求", "12345", "第3条", "1/2/3"])
def test_page_number_pattern_rejects(line):
    assert not pdf._rules()["page_number"].match(line)


# --- bad files --------------------------------------------------------------------------------

@pytest.mark.parametrize("name,code", [("encrypted", errors.ENCRYPTED), ("truncated", "truncated"),
                                       ("zero-page", errors.EMPTY), ("corrupt", errors.CORRUPT)])
def test_bad_pdfs_become_error_records(name, code):
    data = mf.bad_pdfs()[name]
    assert sniff(data, ".pdf") == "pdf"
    with pytest.raises(StageFailure) as e:
        process_bytes(data, f"bad-{name}.pdf", ".pdf")
    assert (e.value.stage, e.value.code) == ("ingest", code)
    assert e.value.message


def test_sniffed_by_content_not_extension():
    data = fixtures()["000-single"].data
    assert sniff(data, ".txt") == "pdf" and sniff(data, "") == "pdf"


def test_page_without_text_is_flagged():
    from reportlab.pdfgen import canvas
    import io
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.rect(100, 100, 200, 200, fill=1)  # a page with only a drawing
    c.showPage()
    mf._font()
    c.setFont(mf.FONT, 12)
    c.drawString(72, 700, "第二页有文字。")
    c.showPage()
    c.save()
    raw = pdf.read(buf.getvalue())
    assert raw.text == "第二页有文字。" and raw.page_starts == (0, 0)
    assert any(w.startswith("page 1:") and "no text" in w for w in raw.warnings)


def test_garbage_text_is_flagged_and_dropped(monkeypatch):
    fx = fixtures()["000-single"]
    import pdfplumber.page as pp
    orig = pp.Page.chars.fget

    def chars(self):
        cs = orig(self)
        if self.page_number == 2:
            for c in cs:
                c["text"] = "\ue001"
        return cs

    monkeypatch.setattr(pp.Page, "chars", property(chars))
    raw = pdf.read(fx.data)
    assert any(w.startswith("page 2:") and "ToUnicode" in w for w in raw.warnings)
    assert "\ue001" not in raw.text


# --- real documents -------------------------------------------------------------------------

def test_govdoc_notice_equals_its_clean_text(shared_dir):
    base = shared_dir / "corpus-public"
    pdf_bytes = (base / "pdf/govdoc_cn/397.pdf").read_bytes()
    txt = (base / "txt/govdoc_cn/397.txt").read_text(encoding="utf-8")
    got = squeeze(normalize(pdf.read(pdf_bytes).text).text)
    want = squeeze(normalize(txt).text)
    # The clean text ends its (一)-headings with "。"; the typeset PDF does not. Nothing else differs.
    ops = [op for op in difflib.SequenceMatcher(None, got, want, autojunk=False).get_opcodes() if op[0] != "equal"]
    assert all(tag == "insert" and want[j1:j2] == "。" for tag, _i1, _i2, j1, j2 in ops), ops
    assert len(ops) <= 10
    rec = process_bytes(pdf_bytes, "397.pdf", ".pdf")
    twin = process_bytes(txt.encode(), "397.txt", ".txt")
    assert rec.source.pages == 5
    assert facts(rec)["metadata"] == facts(twin)["metadata"]
    assert rec.metadata.doc_number and "860" in rec.metadata.doc_number


def _furniture_lines(text: str) -> list[str]:
    pat = pdf._rules()["page_number"]
    return [ln for ln in text.split("\n") if pat.match(squeeze(ln))]


def test_jiangxi_table_rows_intact_without_page_numbers(shared_dir):
    raw = pdf.read((shared_dir / "corpus-public/pdf/jiangxi_attachment/GOV_Jiangxi_0_a1.pdf").read_bytes())
    lines = normalize(raw.text).text.split("\n")
    assert raw.pages == 24 and not _furniture_lines(raw.text)
    header = "序号 | 事项名称 | 事项类别 | 事项办理项目范围 | 材料序号 | 申请材料 | 材料提供适用情形 | 材料类型"
    assert lines.count(header) == 24  # the repeated table header is a table row, not furniture
    assert ("1 | 企业投资项目核准 | 行政许可 | 《政府核准的投资项目目录(江西省)》(按最新版本执行,当前执行版本为2017年本,"
            "见赣府发〔2017〕7号文)中的项目需办理 | 1 | 项目申请报告 | | 主审材料") in lines
    assert "江西省投资项目“容缺审批+承诺制”办理模式事项清单" in lines


def test_budget_pdfs_without_furniture_and_with_table_rows(shared_dir):
    folder = shared_dir / "corpus-public/pdf/shanghai_putuo_budget/published"
    raw = pdf.read((folder / "dept_budget.pdf").read_bytes())
    lines = normalize(raw.text).text.split("\n")
    assert "204 | 06 | 01 | 行政运行 | 16726725.44 | 16726725.44 | 0.00 | 0.00 | 0.00" in lines
    assert "page 3: no text layer" in raw.warnings[0]
    raw = pdf.read((folder / "上海市普陀区财政局2024年度部门决算.pdf").read_bytes())
    assert not _furniture_lines(raw.text)
    # every table row of a table keeps its cell count
    rows = [ln for ln in normalize(raw.text).text.split("\n") if " | " in ln]
    assert len(rows) > 100


@slow
def test_every_public_pdf_reads(shared_dir):
    for path in sorted((shared_dir / "corpus-public/pdf").rglob("*.pdf")):
        raw = pdf.read(path.read_bytes())
        assert raw.pages and len(squeeze(raw.text)) > 1000, path.name
        assert not _furniture_lines(raw.text), path.name


# --- caps, loops, lazy pages (issue 14) --------------------------------------------------------

@pytest.mark.parametrize("name, data, code, says", [
    ("huge-mediabox", mf.text_pdf(media=b"[0 0 1000000000 1000000000]"), errors.TOO_LARGE, "[pdf].max_page_points"),
    ("million-pages", mf.text_pdf(count=1_000_000), errors.TOO_LARGE, "[pdf].max_pages"),
    ("self-reference", mf.text_pdf(contents=b"6 0 R", extra={6: b"6 0 R"}), errors.CORRUPT, "6 0 R -> 6 0 R"),
    ("mutual-reference", mf.text_pdf(contents=b"6 0 R", extra={6: b"7 0 R", 7: b"6 0 R"}), errors.CORRUPT,
     "6 0 R -> 7 0 R -> 6 0 R"),
    ("bad-page-tree", mf.text_pdf(extra={2: b"<< /Type /Pages /Kids [10 0 R] /Count 1 /Parent 2 0 R >>",
                                         10: b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>"}),
     errors.CORRUPT, "corrupt PDF"),
])
def test_out_of_bounds_and_malformed_pdfs_are_refused_at_once(name, data, code, says):
    import time
    t = time.perf_counter()
    with pytest.raises(StageFailure) as e:
        process_bytes(data, f"{name}.pdf", ".pdf")
    assert time.perf_counter() - t < 5
    assert (e.value.stage, e.value.code) == ("ingest", code) and says in e.value.message, e.value.message


def test_a_page_tree_that_lies_about_its_count_is_capped_while_reading(monkeypatch):
    monkeypatch.setitem(pdf._rules(), "max_pages", 3)
    assert pdf.read(mf.text_pdf(pages=3)).pages == 3
    with pytest.raises(errors.InputError) as e:
        pdf.read(mf.text_pdf(pages=5, count=1))
    assert e.value.code == errors.TOO_LARGE and "more than 3 pages" in str(e.value)


def test_pages_are_read_one_at_a_time(monkeypatch):
    """pdfplumber's ``pdf.pages`` builds every page up front: the reader never asks for it,
    and each page is closed before the next one is made."""
    import pdfplumber
    import pdfplumber.page

    monkeypatch.setattr(pdfplumber.PDF, "pages", property(lambda self: pytest.fail("pdf.pages used")))
    made, closed, most = [0], [0], [0]

    class Tracked(pdfplumber.page.Page):
        def __init__(self, *a, **k):
            made[0] += 1
            most[0] = max(most[0], made[0] - closed[0])  # pages open at once
            super().__init__(*a, **k)

        def close(self):
            closed[0] += 1
            super().close()

    monkeypatch.setattr(pdfplumber.page, "Page", Tracked)
    raw = pdf.read(mf.text_pdf(pages=6))
    assert raw.pages == 6 and made[0] == closed[0] == 6 and most[0] == 1


def test_gutter_search_does_not_depend_on_the_page_width():
    import time
    seg = lambda x0, x1: pdf.Seg(x0, x1, x1, 10.0, 0.0, 10.0, "字", (10.0,))  # noqa: E731
    rows = [[seg(50, 280), seg(320, 550)] for _ in range(40)]
    assert 280 <= pdf._gutter(rows, 600.0) <= 320
    wide = [[seg(50e7, 280e7), seg(320e7, 550e7)] for _ in range(40)]
    t = time.perf_counter()
    assert 280e7 <= pdf._gutter(wide, 600e7) <= 320e7
    assert time.perf_counter() - t < 0.5
    # the same answer as stepping 2 pt at a time across the page
    spans = [(s.x0, s.x1) for r in rows for s in r] + [(100.0, 300.0), (299.0, 301.0), (300.5, 300.5)]
    x, best = 0.3 * 600, None
    while x <= 0.7 * 600:
        n = sum(1 for a, b in spans if a < x < b)
        if best is None or n < best[1]:
            best = (x, n)
        x += 2.0
    got = pdf._fewest_crossings(spans, 0.3 * 600, 0.7 * 600)
    assert got[1] == best[1] and abs(got[0] - best[0]) < 1e-9


def test_two_column_seed_000_keeps_its_date_ranges_across_the_page_turn():
    """7月下旬至10月中旬 stays one range: the columns are not interleaved at the page turn."""
    fx = fixtures()["000-two-column"]
    record = record_of_bytes(fx.data, fx.suffix)
    windows = [w.text for w in record.date_windows]
    assert "7月下旬至10月中旬" in windows
    assert windows == [w.text for w in record_of_text(twin_text(fx)).date_windows]
    assert squeeze(raw_of(fx).text) == squeeze("".join(fx.lines))
