"""Generate PDF, DOCX and HTML fixtures from the seed texts (run at test time, into tmp dirs).

Every generator typesets the seed's lines as paragraphs and returns a ``Fixture``: the
file bytes plus what a perfect reader must give, ``lines`` (the expected text lines:
seed lines, and table rows as ``a | b | c``) and for PDFs ``pages`` (the text typeset on
each page, so a test can say on which page any character of the text sits).

PDFs use reportlab's built-in CJK font STSong-Light (no font file needed). Layouts:
single column; two columns (a full-width title, then two columns per page); running
headers with page numbers "- N -" or "第N页 共M页"; a ruled table among the paragraphs;
narrow lines (about 9 characters) that break words. DOCX: python-docx, the numbers of
headings and list items (一、 （一） 1.) written as automatic numbering in numbering.xml,
a table, a header and footer. HTML: navigation, breadcrumb, script, style and footer
debris around the text; digits and units in separate <span>s, source line breaks inside
sentences; optionally GB18030 bytes under <meta charset="gb2312">.

    python tests/ingest/make_fixtures.py OUTDIR    # writes every fixture of every seed
"""
from __future__ import annotations

import io
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The four seeds (000-003); the held-out documents (100+) are for evaluation only.
SEEDS = sorted((ROOT / "corpus").glob("00[0-9]_*.txt"))
FONT = "STSong-Light"

# A small table inserted after the 4th paragraph of the "table" fixtures.
TABLE = [["序号", "乡镇", "贫困户", "贫困人口", "计划完成时间"],
         ["1", "长寨街道", "596户", "2470人", "2020年6月底前"],
         ["2", "广顺镇", "1382户", "4620人", "2020年9月30日前"],
         ["3", "代化镇", "144户", "554人", "2020年12月"]]
TABLE_AFTER = 4
CELL = " | "


@dataclass
class Fixture:
    name: str
    suffix: str
    data: bytes
    lines: list[str]  # the expected text, line by line
    pages: list[str] = field(default_factory=list)  # PDF: text drawn on each page (body only)


def seed_lines(path: Path) -> list[str]:
    """The seed's non-blank lines, stripped, inner whitespace runs as one space."""
    text = path.read_text(encoding="utf-8")
    return [re.sub(r"[\s\u3000]+", " ", ln).strip() for ln in text.splitlines() if ln.strip()]


def with_table(lines: list[str]) -> list[str]:
    return lines[:TABLE_AFTER] + [CELL.join(r) for r in TABLE] + lines[TABLE_AFTER:]


# --- PDF -----------------------------------------------------------------------------------

def _font():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    try:
        pdfmetrics.getFont(FONT)
    except KeyError:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return pdfmetrics.stringWidth


def _wrap(text: str, width: float, size: float, indent: float) -> list[str]:
    """Greedy character wrap (CJK style: any character may end a line)."""
    sw = _font()
    out, cur, avail = [], "", width - indent
    for ch in text:
        if cur and sw(cur + ch, FONT, size) > avail:
            out.append(cur)
            cur, avail = "", width
        cur += ch
    if cur:
        out.append(cur)
    return out


class _Typesetter:
    """Paragraphs into frames (columns) on pages, with optional furniture."""

    def __init__(self, pagesize=(595.0, 842.0), margin=72.0, size=12.0, columns=1, gutter=24.0,
                 header: str | None = None, footer: str | None = None, title_lines: int = 0):
        from reportlab.pdfgen import canvas
        _font()
        self.buf = io.BytesIO()
        self.c = canvas.Canvas(self.buf, pagesize=pagesize)
        self.W, self.H = pagesize
        self.margin, self.size, self.leading = margin, size, size * 1.6
        self.columns, self.gutter = columns, gutter
        self.header, self.footer = header, footer
        self.title_lines = title_lines
        self.pages: list[list[str]] = [[]]
        self.page_no = 1
        self.total_pages = 0  # known after a first pass (for "共M页")
        self._start_page(first=True)

    def _col_width(self, spanning: bool = False) -> float:
        full = self.W - 2 * self.margin
        return full if spanning or self.columns == 1 else (full - self.gutter * (self.columns - 1)) / self.columns

    def _start_page(self, first: bool = False):
        self.col = 0
        self.y = self.H - self.margin
        self.col_top = self.y

    def _furniture(self):
        c = self.c
        c.setFont(FONT, 9)
        if self.header:
            c.drawCentredString(self.W / 2, self.H - self.margin / 2, self.header)
        if self.footer:
            text = self.footer.format(n=self.page_no, total=self.total_pages or "?")
            c.drawCentredString(self.W / 2, self.margin / 2, text)

    def _next_frame(self):
        if self.col + 1 < self.columns:
            self.col += 1
            self.y = self.col_top
            return
        self._furniture()
        self.c.showPage()
        self.page_no += 1
        self.pages.append([])
        self._start_page()

    def _x(self) -> float:
        return self.margin + self.col * (self._col_width() + self.gutter)

    def paragraph(self, text: str, spanning: bool = False, indent_chars: int = 2):
        indent = indent_chars * self.size
        width = self._col_width(spanning)
        for i, line in enumerate(_wrap(text, width, self.size, indent)):
            if self.y - self.leading < self.margin:
                self._next_frame()
            self.y -= self.leading
            self.c.setFont(FONT, self.size)
            x = (self.margin if spanning else self._x()) + (indent if i == 0 else 0)
            self.c.drawString(x, self.y, line)
            self.pages[-1].append(line)
        if spanning:
            self.col_top = self.y - self.leading / 2

    def table(self, rows: list[list[str]]):
        width = self._col_width()
        ncol = len(rows[0])
        cw = width / ncol
        rh = self.size * 2.2
        for row in rows:
            if self.y - rh < self.margin:
                self._next_frame()
            x0, top = self._x(), self.y - self.size * 0.5
            bottom = top - rh
            self.c.rect(x0, bottom, width, rh)
            for j, cell in enumerate(row):
                if j:
                    self.c.line(x0 + j * cw, bottom, x0 + j * cw, top)
                self.c.setFont(FONT, self.size * 0.8)
                self.c.drawString(x0 + j * cw + 3, bottom + rh * 0.35, cell)
            self.y = bottom
            self.pages[-1].append(CELL.join(row))
        self.y -= self.size * 0.5

    def finish(self) -> bytes:
        self._furniture()
        self.c.showPage()
        self.c.save()
        return self.buf.getvalue()


def make_pdf(lines: list[str], *, name: str, columns: int = 1, header: str | None = None,
             footer: str | None = None, table: bool = False, narrow: bool = False) -> Fixture:
    def run(total: int) -> _Typesetter:
        kw = dict(columns=columns, header=header, footer=footer, size=10.0 if columns > 1 else 12.0)
        if narrow:
            kw.update(pagesize=(9 * 12.0 + 2 * 60.0, 420.0), margin=60.0)
        ts = _Typesetter(**kw)
        ts.total_pages = total
        for i, ln in enumerate(lines):
            if table and i == TABLE_AFTER:
                ts.table(TABLE)
            ts.paragraph(ln, spanning=(columns > 1 and i == 0))
        return ts

    first = run(0)
    first.finish()
    ts = run(len(first.pages))  # second pass knows the page count for "共M页"
    data = ts.finish()
    expected = with_table(lines) if table else list(lines)
    return Fixture(name, ".pdf", data, expected, ["".join(p) for p in ts.pages])


def pdf_fixtures(path: Path) -> list[Fixture]:
    lines = seed_lines(path)
    stem = path.stem[:3]
    return [
        make_pdf(lines, name=f"{stem}-single"),
        make_pdf(lines, name=f"{stem}-two-column", columns=2),
        make_pdf(lines, name=f"{stem}-furniture-dash", header="吉林省扶贫开发工作资料汇编", footer="- {n} -"),
        make_pdf(lines, name=f"{stem}-furniture-of", header="内部资料 注意保存", footer="第{n}页 共{total}页"),
        make_pdf(lines, name=f"{stem}-table", table=True, footer="{n}/{total}"),
        make_pdf(lines, name=f"{stem}-narrow", narrow=True),
    ]


def bad_pdfs() -> dict[str, bytes]:
    """name -> bytes of PDFs that must give error records."""
    from pypdf import PdfReader, PdfWriter
    good = make_pdf(["第一段文字。", "第二段文字。"], name="good").data
    out = {}
    w = PdfWriter()
    for page in PdfReader(io.BytesIO(good)).pages:
        w.add_page(page)
    w.encrypt(user_password="secret", owner_password="owner")
    buf = io.BytesIO()
    w.write(buf)
    out["encrypted"] = buf.getvalue()
    out["truncated"] = good[: len(good) // 2]
    buf = io.BytesIO()
    PdfWriter().write(buf)
    out["zero-page"] = buf.getvalue()
    out["corrupt"] = good[:20] + b"\x00garbage\x00" * 50 + b"\n%%EOF\n"
    return out


# --- DOCX ----------------------------------------------------------------------------------

# (pattern of a literal marker, level, numFmt); lvlText comes from the marker's own form.
_MARKERS = [
    (re.compile(r"^(?P<n>[一二三四五六七八九十]+)(?P<after>、)"), 0, "chineseCounting"),
    (re.compile(r"^(?P<before>[（(])(?P<n>[一二三四五六七八九十]+)(?P<after>[）)])"), 1, "chineseCounting"),
    (re.compile(r"^(?P<n>\d{1,2})(?P<after>[.、．])(?!\d)"), 2, "decimal"),
]
_CN = "一二三四五六七八九十"


def _cn(n: int) -> str:
    return _CN[n - 1] if n <= 10 else "十" + _CN[n - 11] if n < 20 else str(n)


def _numbering_xml(texts: dict[int, str]) -> str:
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    fmts = {0: "chineseCounting", 1: "chineseCounting", 2: "decimal"}
    lvls = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmts[i]}"/>'
        f'<w:lvlText w:val="{texts.get(i, "%" + str(i + 1) + ".")}"/><w:suff w:val="nothing"/></w:lvl>'
        for i in range(3))
    return (f'<w:numbering {w}><w:abstractNum w:abstractNumId="90">{lvls}</w:abstractNum>'
            f'<w:num w:numId="90"><w:abstractNumId w:val="90"/></w:num></w:numbering>')


def rezip(data: bytes, parts: dict[str, bytes]) -> bytes:
    """A zip container (DOCX) ``data`` with some parts replaced, or added: damaged fixtures."""
    import zipfile
    zin = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in zin.infolist():
            z.writestr(info.filename, parts.get(info.filename, zin.read(info.filename)))
        for name in set(parts) - set(zin.namelist()):
            z.writestr(name, parts[name])
    return out.getvalue()


def docx_bomb(data: bytes, megabytes: int) -> bytes:
    """The DOCX ``data`` with a document.xml that inflates to ``megabytes`` of paragraphs
    (about 1000-fold compression)."""
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    para = "<w:p><w:r><w:t>扶贫工作</w:t></w:r></w:p>".encode()
    body = para * (megabytes * 1_000_000 // len(para))
    return rezip(data, {"word/document.xml": f"<w:document {w}><w:body>".encode() + body + b"</w:body></w:document>"})


def make_docx(lines: list[str], *, name: str, table: bool = True) -> Fixture:
    """Headings and list items whose literal number equals what Word's counters give are
    written as automatic numbering (the marker removed from the text)."""
    import docx
    from docx.oxml import parse_xml

    plan: list[tuple[str, int | None]] = []  # (text, level or None)
    texts: dict[int, str] = {}
    counters: dict[int, int] = {}
    for ln in lines:
        level = None
        for pat, lv, _fmt in _MARKERS:
            m = pat.match(ln)
            if not m:
                continue
            n = counters.get(lv, 0) + 1
            label = _cn(n) if lv < 2 else str(n)
            form = m.group("before") if "before" in pat.groupindex else ""
            tmpl = form + f"%{lv + 1}" + m.group("after")
            if m.group("n") == label and texts.get(lv, tmpl) == tmpl:
                texts[lv] = tmpl
                level = lv
                counters[lv] = n
                for deeper in [d for d in counters if d > lv]:
                    del counters[deeper]
                ln = ln[m.end():]
            break
        plan.append((ln, level))
    document = docx.Document()
    numbering = document.part.numbering_part.element
    for child in list(numbering):
        numbering.remove(child)
    for child in parse_xml(_numbering_xml(texts)):
        numbering.append(child)
    section = document.sections[0]
    section.header.paragraphs[0].text = "吉林省扶贫开发工作资料汇编（页眉不属于正文）"
    section.footer.paragraphs[0].text = "第1页 共3页"
    for i, (text, level) in enumerate(plan):
        if table and i == TABLE_AFTER:
            t = document.add_table(rows=len(TABLE), cols=len(TABLE[0]))
            for r, row in enumerate(TABLE):
                for c, cell in enumerate(row):
                    t.cell(r, c).text = cell
        p = document.add_paragraph(text)
        if level is not None:
            ppr = p._p.get_or_add_pPr()
            ppr.append(parse_xml(f'<w:numPr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                                 f'<w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>'))
    buf = io.BytesIO()
    document.save(buf)
    return Fixture(name, ".docx", buf.getvalue(), with_table(lines) if table else list(lines))


# --- HTML ----------------------------------------------------------------------------------

_DEBRIS_TOP = """<!DOCTYPE html>
<html><head><meta charset="{charset}"><title>通知公告_门户网站</title>
<style>body {{ font-family: 仿宋_GB2312; }} .x:before {{ content: "2019年1月1日"; }}</style>
<script>var published = "2018年3月1日"; var households = "9999户";</script></head>
<body>
<div class="top-nav"><a href="/">首页</a> | <a href="/zwgk">政务公开</a> | <a href="/bszn">办事服务</a> | 2020年5月1日 星期五</div>
<nav><ul><li>机构设置</li><li>政策文件</li><li>省扶贫办</li></ul></nav>
<div class="breadcrumb">当前位置：首页 &gt; 通知公告 &gt; 正文</div>
<div class="article">
"""
_DEBRIS_BOTTOM = """</div>
<div class="share-bar">分享到：微信 微博</div>
<div class="footer">版权所有：某某县人民政府办公室 联系电话：0854-1234567 备案号：黔ICP备12345678号</div>
<script>document.write("访问量 12345 次");</script>
</body></html>
"""


def _inline(text: str) -> str:
    """Digits and units in separate spans; a source line break inside the sentence."""
    from html import escape
    parts = re.split(r"(\d+(?:\.\d+)?)", text)
    out = []
    for k, part in enumerate(parts):
        if not part:
            continue
        if k % 2:
            out.append(f'<span style="font-size:21px">{escape(part)}</span>')
        else:
            out.append(f'<span style="font-family:仿宋_GB2312">{escape(part)}</span>')
    html = "".join(out)
    # break the source line between two CJK characters in the middle of the paragraph
    mid = len(html) // 2
    m = re.compile(r"[\u4e00-\u9fff](?=[\u4e00-\u9fff])").search(html, mid)
    if m:
        html = html[: m.end()] + "\n    " + html[m.end():]
    return html


def make_html(lines: list[str], *, name: str, charset: str = "utf-8", table: bool = False) -> Fixture:
    from html import escape
    body = []
    for i, ln in enumerate(lines):
        if table and i == TABLE_AFTER:
            rows = "".join("<tr>" + "".join(f"<td><p><span>{escape(c)}</span></p></td>" for c in r) + "</tr>"
                           for r in TABLE)
            body.append(f'<table border="1">{rows}</table>')
        body.append(f'<p style="text-indent:43px;line-height:41px">\n    {_inline(ln)}\n</p>')
    page = _DEBRIS_TOP.format(charset=charset) + "\n".join(body) + _DEBRIS_BOTTOM
    codec = {"gb2312": "gb18030", "gbk": "gb18030"}.get(charset, charset)
    return Fixture(name, ".html", page.encode(codec), with_table(lines) if table else list(lines))


def html_fixtures(path: Path) -> list[Fixture]:
    lines = seed_lines(path)
    stem = path.stem[:3]
    return [make_html(lines, name=f"{stem}-utf8"),
            make_html(lines, name=f"{stem}-gb2312-table", charset="gb2312", table=True)]


def all_fixtures(path: Path) -> list[Fixture]:
    lines = seed_lines(path)
    return pdf_fixtures(path) + [make_docx(lines, name=f"{path.stem[:3]}-docx")] + html_fixtures(path)


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "fixtures")
    out.mkdir(parents=True, exist_ok=True)
    for seed in SEEDS:
        for fx in all_fixtures(seed):
            (out / f"{fx.name}{fx.suffix}").write_bytes(fx.data)
    for name, data in bad_pdfs().items():
        (out / f"bad-{name}.pdf").write_bytes(data)
    print(f"wrote fixtures to {out}")


# --- hand-written PDFs (issue 14: caps, reference loops, damaged objects) ---------------------

def raw_pdf(objs: dict[int, bytes], root: int = 1) -> bytes:
    """A PDF of the given numbered objects, with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for n in sorted(objs):
        offsets[n] = len(out)
        out += b"%d 0 obj\n" % n + objs[n] + b"\nendobj\n"
    xref, size = len(out), max(objs) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for n in range(1, size):
        out += (b"%010d 00000 n \n" % offsets[n]) if n in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, xref)
    return bytes(out)


def text_pdf(pages: int = 1, media: bytes = b"[0 0 595 842]", count: int | None = None,
             extra: dict[int, bytes] | None = None, contents: bytes | None = None) -> bytes:
    """``pages`` pages of one line of Helvetica text each (objects 10, 11 ... are the pages)."""
    stream = b"BT /F1 12 Tf 72 720 Td (Notice on rural revitalisation 2021) Tj ET"
    kids = b" ".join(b"%d 0 R" % (10 + i) for i in range(pages))
    objs = {1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % (pages if count is None else count),
            4: b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
            5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}
    for i in range(pages):
        objs[10 + i] = (b"<< /Type /Page /Parent 2 0 R /MediaBox " + media + b" /Contents " + (contents or b"4 0 R")
                        + b" /Resources << /Font << /F1 5 0 R >> >> >>")
    return raw_pdf({**objs, **(extra or {})})
