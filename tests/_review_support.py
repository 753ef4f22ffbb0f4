"""Inputs for the review-site tests: two seeds, a hostile document, an input that fails
(with markup in its name), a Traditional-script document and a two-page PDF whose
figure carries a hand-made bbox (the format issue 15's OCR will produce)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import CORPUS
from pipeline.cli import main

SEEDS = ("000_ebc4226e16baa30c.txt", "002_10f6fb602d0c0365.txt")
HOSTILE = (
    "关于<script>window.__pwned=1</script>做好扶贫工作的通知\n"
    "各乡镇人民政府：\n"
    "</textarea></pre><img src=x onerror=\"window.__pwned=2\">全年发放补贴4100元。\n"
    "<a href=\"javascript:window.__pwned=3\">点此查看</a>，覆盖低保户27户64人。\n"
    "\"><svg onload=window.__pwned=4>县扶贫办</svg>' onmouseover='window.__pwned=5\n"
    "\u202eabc\u202c 2020年7月28日\n")
BAD_NAME = "<img src=x onerror=\"window.__pwned=9\">.txt"
TRADITIONAL = ("關於印發扶貧工作實施方案的通知\n各鄉鎮人民政府：\n"
               "全年發放補貼4100元，覆蓋低保戶27戶64人。\n縣扶貧辦\n2020年7月28日\n")
PDF_PAGES = [["关于做好2020年扶贫工作的通知", "各乡镇人民政府：", "现将有关事项通知如下。"],
             ["一、全年发放补贴4100元，覆盖低保户27户64人。", "二、请于2020年10月19日前报送。", "县扶贫办",
              "2020年7月28日"]]
PAGE_SIZE = (595.0, 842.0)


def make_pdf(path: Path) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas
    try:
        pdfmetrics.getFont("STSong-Light")
    except KeyError:
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), pagesize=PAGE_SIZE, invariant=1)
    for lines in PDF_PAGES:
        y = 760.0
        for line in lines:
            c.setFont("STSong-Light", 14)
            c.drawString(72, y, line)
            y -= 28
        c.showPage()
    c.save()


def text_box(pdf: Path, page: int, text: str) -> list[float]:
    """The union of the character boxes of ``text`` on ``page`` (1-based), as issue 15's
    reader will give it: [x0, top, x1, bottom] in points, origin at the page's top-left."""
    import pdfplumber
    with pdfplumber.open(pdf) as doc:
        chars = [c for c in doc.pages[page - 1].chars if not c["text"].isspace()]
    joined = "".join(c["text"] for c in chars)
    i = joined.index(text)
    run = chars[i:i + len(text)]
    return [round(min(c["x0"] for c in run), 2), round(min(c["top"] for c in run), 2),
            round(max(c["x1"] for c in run), 2), round(max(c["bottom"] for c in run), 2)]


def make_outputs(root: Path) -> tuple[Path, Path]:
    """(inputs, outdir) of a run over the review test inputs; the PDF output gets boxes."""
    inputs, out = root / "in", root / "out"
    inputs.mkdir(parents=True)
    for name in SEEDS:
        shutil.copy(CORPUS / name, inputs / name)
    (inputs / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    (inputs / BAD_NAME).write_bytes(b"")
    (inputs / "traditional.txt").write_bytes(TRADITIONAL.encode("big5"))
    make_pdf(inputs / "notice.pdf")
    assert main(["run", str(inputs), "-o", str(out), "--quiet", "--workers", "1"]) == 3
    p = out / "notice.pdf.json"
    d = json.loads(p.read_text(encoding="utf-8"))
    d["figures"][0]["bbox"] = text_box(inputs / "notice.pdf", d["figures"][0]["page"], d["figures"][0]["text"])
    d["household_counts"][0]["bbox"] = None  # an item without a box (the reader may give boxes to all)
    d["source"]["page_sizes"] = [list(PAGE_SIZE)] * len(PDF_PAGES)
    p.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    return inputs, out
