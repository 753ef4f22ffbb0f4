"""The review site without a browser: nesting of highlights, escaping, incremental
rebuilds, page images; gongwen gold import. (tests/test_review_browser.py drives it in
headless Chromium.)"""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from _review_support import BAD_NAME, SEEDS, make_outputs
from pipeline.cli import main
from pipeline.evaluate import evaluate
from pipeline.gold import CorrectionsError, import_files, to_gold
from pipeline.review import build, items_of, marks_of, page_name, tokens
from pipeline.schema import Record


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    inputs, out = make_outputs(tmp_path_factory.mktemp("review"))
    summary = build(out)
    return inputs, out, summary


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text, of an HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.data: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.data.append(data)


def parse(path: Path) -> Elements:
    p = Elements()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def _mark(mid: str, start: int, end: int, order: int = 0) -> dict:
    return {"id": mid, "item": mid, "field": "figures", "start": start, "end": end, "page": None, "title": mid,
            "order": order}


def _html(toks) -> str:
    out = []
    for k, a, b in toks:
        out.append(a if k in ("t", "c") else f"<{a['id']}{'+' if b else ''}>" if k == "o" else "</>")
    return "".join(out)


def test_tokens_nest_and_split_crossing_marks():
    text = "0123456789"
    toks = tokens(text, [_mark("a", 0, 6), _mark("b", 2, 4), _mark("c", 5, 8), _mark("d", 2, 4, order=1)])
    assert "".join(a for k, a, _ in toks if k in ("t", "c")) == text
    # b and d share a span: both kept, nested; c crosses a's end: closed with a, reopened after
    assert _html(toks) == "<a>01<b><d>23</></>4<c>5</></><c+>67</>89"
    assert sum(k == "o" for k, _a, _b in toks) == sum(k == "x" for k, _a, _b in toks)


def test_control_characters_are_tokens_of_their_own():
    toks = tokens("a\u202eb\u2066c", [])
    assert toks == [("t", "a", None), ("c", "\u202e", "U+202E"), ("t", "b", None), ("c", "\u2066", "U+2066"),
                    ("t", "c", None)]


def test_one_mark_per_item_span_mention_and_evidence(site):
    _inputs, out, _s = site
    d = json.loads((out / (SEEDS[0] + ".json")).read_text(encoding="utf-8"))
    rec = Record.from_dict(d)
    marks = marks_of(items_of(rec, d))
    expected = (len(rec.date_windows) + len(rec.figures) + len(rec.household_counts) + len(rec.tasks)
                + sum(len(x.mentions) for x in rec.departments) + len(rec.metadata.evidence))
    assert len(marks) == expected > 50
    for m in marks:
        assert 0 <= m["start"] < m["end"] <= len(rec.text)


def test_index_lists_every_document_and_failure(site):
    _inputs, out, summary = site
    assert (summary.documents, summary.failures) == (5, 1)
    index = out / "review" / "index.html"
    p = parse(index)
    links = [a["href"] for t, a in p.tags if t == "a" and a.get("href", "").startswith("d/")]
    assert len(links) == 5 and all((out / "review" / h).is_file() for h in links)
    text = "".join(p.data)
    assert BAD_NAME in text and "file is empty" in text  # the failure, its markup as text
    assert not any(t == "img" for t, _a in p.tags)


def test_pages_escape_every_document_string(site):
    _inputs, out, _s = site
    for page in sorted((out / "review" / "d").glob("*.html")) + [out / "review" / "index.html"]:
        p = parse(page)
        scripts = [a for t, a in p.tags if t == "script"]
        assert scripts[0] == {"src": "../assets/review.js" if page.parent.name == "d" else "assets/review.js",
                              "defer": None}
        assert all(a.get("type") == "application/json" for a in scripts[1:]) and len(scripts) <= 2
        if "notice.pdf" not in page.name:  # only a PDF's page has an image (its page image)
            assert not [t for t, _a in p.tags if t in ("img", "svg", "textarea", "iframe", "object", "a")
                        and t != "a" or (t == "a" and not (_a.get("href") or "").startswith(("#", "d/", "../")))]
        for t, attrs in p.tags:
            assert not any(k.startswith("on") for k in attrs), (page.name, t, attrs)
            assert not any(str(v).strip().lower().startswith("javascript:") for v in attrs.values() if v)
        csp = [a["content"] for t, a in p.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
        assert csp and "script-src 'self'" in csp[0] and "default-src 'none'" in csp[0]
    hostile = next((out / "review" / "d").glob("hostile*.html"))
    raw = hostile.read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in raw
    assert "</textarea></pre>" not in raw.replace("</pre>\n", "")
    p = parse(hostile)
    assert "<script>window.__pwned=1</script>" in "".join(p.data)
    assert [a["data-cp"] for t, a in p.tags if t == "span" and "data-cp" in a][:2] == ["U+202E", "U+202C"]


def test_text_view_holds_exactly_the_record_text(site):
    _inputs, out, _s = site
    for name in (*SEEDS, "hostile.txt"):
        d = json.loads((out / (name + ".json")).read_text(encoding="utf-8"))
        html = (out / "review" / page_name(name + ".json")).read_text(encoding="utf-8")
        pre = re.search(r'<pre id="text"[^>]*>\n(.*?)</pre>', html, re.S).group(1)
        plain = re.sub(r"<[^>]+>", "", pre)
        plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", '"').replace("&#39;", "'")
        assert plain.replace("&amp;", "&") == d["text"]


def test_pdf_pages_rendered_once_with_sizes(site):
    _inputs, out, summary = site
    assert summary.images == 2
    d = json.loads((out / "notice.pdf.json").read_text(encoding="utf-8"))
    imgdir = out / "review" / "img" / d["doc_id"]
    pages = sorted(imgdir.glob("p*.jpg"))
    assert [p.name for p in pages] == ["p0001.jpg", "p0002.jpg"]
    assert pages[0].read_bytes()[:3] == b"\xff\xd8\xff"  # JPEG
    assert json.loads((imgdir / "sizes.json").read_text()) == [[595.0, 842.0], [595.0, 842.0]]
    html = (out / "review" / page_name("notice.pdf.json")).read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="review-data">(.*?)</script>', html, re.S)[1])
    box = d["figures"][0]["bbox"]
    assert data["items"]["f0"]["bbox"] == box and data["items"]["f0"]["page"] == 2
    assert 72 < box[0] < box[2] < 300 and 60 < box[1] < box[3] < 100  # first line of page 2, from the top
    assert data["pages"]["images"][1].endswith("/p0002.jpg") and data["pages"]["sizes"][1] == [595.0, 842.0]


def test_traditional_source_gets_the_original_view(site):
    _inputs, out, _s = site
    html = (out / "review" / page_name("traditional.txt.json")).read_text(encoding="utf-8")
    assert 'id="toggle-original"' in html and '<pre id="original"' in html
    assert "全年發放補貼" in html
    seed = (out / "review" / page_name(SEEDS[0] + ".json")).read_text(encoding="utf-8")
    assert 'id="toggle-original"' not in seed


def test_review_is_incremental(site, tmp_path):
    _inputs, out, _s = site
    dest = tmp_path / "site"
    first = build(out, dest)
    assert (first.written, first.skipped) == (5, 0)
    pages = {p: p.stat().st_mtime_ns for p in (dest / "d").glob("*.html")}
    again = build(out, dest)
    assert (again.written, again.skipped, again.images) == (0, 5, 0)
    assert {p: p.stat().st_mtime_ns for p in (dest / "d").glob("*.html")} == pages
    # one output changes, one disappears
    moved = tmp_path / "moved.json"
    (out / (SEEDS[1] + ".json")).rename(moved)
    try:
        third = build(out, dest)
        assert (third.written, third.skipped, third.removed, third.documents) == (0, 4, 1, 4)
        assert not (dest / page_name(SEEDS[1] + ".json")).exists()
    finally:
        moved.rename(out / (SEEDS[1] + ".json"))
    fourth = build(out, dest)
    assert (fourth.written, fourth.skipped) == (1, 4)


def test_cli_review_default_dest(site, capsys):
    _inputs, out, _s = site
    assert main(["review", str(out)]) == 0
    assert "5 documents (0 written, 5 up to date, 0 removed), 1 failed inputs" in capsys.readouterr().err
    assert main(["review", str(out / "nowhere")]) == 2


# --- gold import --------------------------------------------------------------------------

def _corrections(out: Path, name: str) -> dict:
    """Corrections as the page exports them, every item marked right."""
    d = json.loads((out / (name + ".json")).read_text(encoding="utf-8"))
    items = items_of(Record.from_dict(d), d)
    return {"format": "gongwen-corrections", "version": 1, "doc_id": d["doc_id"], "doc": name,
            "items": [{"id": it["id"], "field": it["field"], "name": it.get("name"), "text": it["text"],
                       "span": it.get("span") or (it["mentions"][0]["span"] if it.get("mentions") else None),
                       "verdict": "right", "gold": it["gold"], "edit": None} for it in items],
            "added": []}


def test_gold_import_all_right_scores_perfectly(site, tmp_path):
    _inputs, out, _s = site
    corr = _corrections(out, SEEDS[1])
    f = tmp_path / "c.json"
    f.write_text(json.dumps(corr, ensure_ascii=False), encoding="utf-8")
    gold_dir = tmp_path / "gold"
    assert main(["gold", "import", str(f), "-o", str(gold_dir)]) == 0
    gold = json.loads((gold_dir / (SEEDS[1] + ".json")).read_text(encoding="utf-8"))
    assert set(gold) == {"doc", "metadata", "departments", "date_windows", "figures", "household_counts", "tasks"}
    scores, missing = evaluate(out, gold_dir)
    assert missing == []
    for key in ("departments", "date_windows", "figures", "household_counts"):
        assert scores[key].fp == scores[key].fn == 0, key
    assert scores["metadata"].fp == 0
    assert main(["gold", "import", str(f), "-o", str(gold_dir)]) == 2  # existing gold is kept
    assert main(["gold", "import", str(f), "-o", str(gold_dir), "--force"]) == 0


def test_gold_import_applies_verdicts_edits_and_additions(site):
    _inputs, out, _s = site
    corr = _corrections(out, SEEDS[1])
    figs = [it for it in corr["items"] if it["field"] == "figures"]
    figs[0]["verdict"] = "wrong"
    figs[1]["verdict"] = "edited"
    figs[1]["edit"] = {"value": 999, "unit": "元", "span": [0, 2], "text": "xx"}
    title = next(it for it in corr["items"] if it.get("name") == "title")
    title["verdict"] = "wrong"
    issuer = next(it for it in corr["items"] if it.get("name") == "recipients")
    issuer["verdict"] = "wrong"
    corr["added"] = [{"id": "a0", "field": "figures", "span": [5, 9], "text": "三百万元", "verdict": "right",
                      "gold": {"text": "三百万元", "value": 3000000, "unit": "元", "kind": "money", "approx": None}}]
    gold, counts = to_gold(corr)
    assert counts == {"right": len(corr["items"]) - 4, "wrong": 3, "edited": 1, "added": 1, "unreviewed": 0}
    assert gold["metadata"]["title"] is None and gold["metadata"]["recipients"] == []
    values = sorted(f["gold"]["value"] for f in figs[2:]) + [999, 3000000]
    assert sorted(f["value"] for f in gold["figures"]) == sorted(values)
    assert gold["figures"][0] == {"text": "xx", "value": 999, "unit": "元", "kind": figs[1]["gold"]["kind"],
                                  "approx": figs[1]["gold"]["approx"]}  # its new boundary sorts it first
    assert gold["figures"][1]["text"] == "三百万元"
    assert len(gold["figures"]) == len(figs) - 1 + 1


def test_gold_import_refuses_unreviewed_and_bad_files(site, tmp_path):
    _inputs, out, _s = site
    corr = _corrections(out, SEEDS[1])
    corr["items"][3]["verdict"] = None
    with pytest.raises(CorrectionsError, match="1 of .* items are not reviewed"):
        to_gold(corr)
    gold, counts = to_gold(corr, accept_unreviewed=True)
    assert counts["unreviewed"] == 1
    for bad, msg in (({"format": "x"}, "not a gongwen corrections"), ({**corr, "version": 9}, "version 9"),
                     ({**corr, "doc": "../../etc/passwd"}, "file name")):
        with pytest.raises(CorrectionsError, match=msg):
            to_gold(bad, accept_unreviewed=True)
    good, broken = tmp_path / "good.json", tmp_path / "broken.json"
    good.write_text(json.dumps({**corr, "items": [dict(i, verdict="right") for i in corr["items"]]}), encoding="utf-8")
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(CorrectionsError, match="cannot read"):
        import_files([good, broken], tmp_path / "gold")
    assert not (tmp_path / "gold").exists()  # nothing written when one file is bad


def test_scan_image_pages_and_boxes_in_pixels(site, tmp_path):
    """An image input (issue 15's OCR reads them): its page is the image itself, boxes in pixels."""
    import hashlib

    from PIL import Image
    _inputs, out, _s = site
    scan = tmp_path / "scan.png"
    Image.new("RGB", (800, 1100), "white").save(scan)
    d = json.loads((out / "hostile.txt.json").read_text(encoding="utf-8"))
    sha = hashlib.sha256(scan.read_bytes()).hexdigest()
    d["doc_id"], d["source"] = sha[:16], {**d["source"], "path": str(scan), "format": "image", "sha256": sha,
                                          "pages": 1, "page_sizes": [[800, 1100]]}
    for f in d["figures"]:
        f["page"], f["bbox"] = 1, [100, 200, 300, 240]
    scan_out = tmp_path / "out"
    scan_out.mkdir()
    (scan_out / "scan.png.json").write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    summary = build(scan_out)
    assert summary.images == 1
    with Image.open(scan_out / "review" / "img" / sha[:16] / "p0001.jpg") as im:
        assert im.size == (800, 1100)
    html = (scan_out / "review" / page_name("scan.png.json")).read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="review-data">(.*?)</script>', html, re.S)[1])
    assert data["pages"]["sizes"] == [[800, 1100]] and data["items"]["f0"]["bbox"] == [100.0, 200.0, 300.0, 240.0]
    scan.write_bytes(b"changed")  # a source that no longer matches the record: page number only, no image
    (scan_out / "review" / "img").rename(tmp_path / "old-img")
    again = build(scan_out, force=True)
    assert again.images == 0 and 'id="page-img"' not in (scan_out / "review" / page_name("scan.png.json")).read_text()


def test_an_unreadable_output_is_listed_not_fatal(site, tmp_path):
    _inputs, out, _s = site
    broken = tmp_path / "out"
    broken.mkdir()
    for name in SEEDS:
        (broken / (name + ".json")).write_bytes((out / (name + ".json")).read_bytes())
    (broken / "old.txt.json").write_text('{"schema_version": "1", "doc_id": "x", "text": "t"}', encoding="utf-8")
    summary = build(broken)
    assert (summary.documents, summary.failures) == (2, 1)
    text = "".join(parse(broken / "review" / "index.html").data)
    assert "old.txt.json" in text and "bad_output" in text


def test_templates_and_assets_are_package_data():
    """A non-editable install carries every template and asset (pyproject package-data)."""
    import fnmatch
    import tomllib

    from conftest import ROOT
    from pipeline.review import HERE
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    declared = patterns["pipeline.review"]
    files = [p.relative_to(HERE).as_posix() for p in HERE.rglob("*")
             if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts]
    assert {"templates/index.html", "templates/document.html", "static/review.js", "static/review.css"} <= set(files)
    for f in files:
        assert any(fnmatch.fnmatch(f, pat) for pat in declared), f"{f} is not in package-data"
