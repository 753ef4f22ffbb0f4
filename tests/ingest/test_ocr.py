"""Scans read by OCR: the five govdoc_cn page images against the text layer of the same
notice, a scanned PDF generated from seed 000 against its text-layer PDF and its TXT, a
mixed PDF, a two-column scan, a multi-page TIFF, a blank page and a photo.

OCR is the slow part of the suite (about 2 s of CPU a page): every document is read once
per session (cached) and the engine is loaded once per process.
"""
from __future__ import annotations

import io
import json
import re
import socket
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path

import numpy
import pytest

import make_fixtures as mf
import make_scans as ms
from pipeline import errors, schema
from pipeline.assemble import StageFailure, build_record, process_bytes
from pipeline.ingest import ocr, pdf, sniff

SHARED = Path(__file__).resolve().parents[3] / "shared" / "corpus-public"
IMAGES = SHARED / "images" / "govdoc_cn"
_KEEP = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff0-9]")
SEED = 15  # numpy seed of every generated scan


def keep(text: str) -> str:
    """What the character error rate counts: Han characters and digits (no whitespace,
    no punctuation)."""
    return "".join(_KEEP.findall(text))


def edits(a: str, b: str) -> int:
    """Levenshtein distance (two rows, numpy over the inner loop)."""
    if not a or not b:
        return len(a) + len(b)
    bb = numpy.frombuffer(b.encode("utf-32-le"), dtype=numpy.uint32)
    prev = numpy.arange(len(b) + 1)
    for i, ch in enumerate(a, 1):
        sub = prev[:-1] + (bb != ord(ch))
        cur = numpy.empty_like(prev)
        cur[0] = i
        cur[1:] = numpy.minimum(prev[1:] + 1, sub)
        cur = numpy.minimum.accumulate(cur - numpy.arange(len(b) + 1)) + numpy.arange(len(b) + 1)
        prev = cur
    return int(prev[-1])


def cer(got: str, want: str) -> float:
    w = keep(want)
    return edits(keep(got), w) / max(1, len(w))


def page_texts(raw) -> list[str]:
    starts = list(raw.page_starts) + [len(raw.text)]
    return [raw.text[a:b] for a, b in zip(starts, starts[1:])]


@cache
def record(data: bytes, name: str) -> schema.Record:
    return process_bytes(data, name, Path(name).suffix)


@cache
def seed_fixture() -> "mf.Fixture":
    """Seed 000 typeset with a running header and page numbers (text layer)."""
    return mf.make_pdf(mf.seed_lines(mf.SEEDS[0]), name="000-furniture-dash", header="吉林省扶贫开发工作资料汇编",
                       footer="- {n} -")


@cache
def seed_scan() -> bytes:
    return ms.scan_pdf(seed_fixture().data, seed=SEED, dpi=150)


def _need_images():
    if not IMAGES.is_dir():
        pytest.skip(f"{IMAGES} is absent (the shared corpus)")


# --- the five govdoc_cn page images ---------------------------------------------------------

@cache
def govdoc_pages() -> list[tuple[schema.Record, str]]:
    """(record of 397_N.png, the text layer of page N of 397.pdf read by the PDF reader)."""
    text_layer = page_texts(pdf.read((SHARED / "pdf/govdoc_cn/397.pdf").read_bytes()))
    out = []
    for n in range(1, 6):
        p = IMAGES / f"397_{n}.png"
        out.append((record(p.read_bytes(), p.name), text_layer[n - 1]))
    return out


def test_govdoc_page_images_character_error_under_2_percent():
    _need_images()
    pages = govdoc_pages()
    errs = [edits(keep(rec.text), keep(want)) for rec, want in pages]
    total = sum(len(keep(want)) for _rec, want in pages)
    rate = sum(errs) / total
    print(f"govdoc_cn 397 page images: {sum(errs)} errors in {total} Han characters and digits = {rate:.2%}")
    assert rate < 0.02
    assert all(e / len(keep(want)) < 0.02 for e, (_r, want) in zip(errs, pages)), errs


def test_govdoc_red_header_and_doc_number_survive_page_number_does_not():
    _need_images()
    first, _ = govdoc_pages()[0]
    lines = first.text.split("\n")
    assert lines[:3] == ["发展改革委办公厅", "文件", "税务总局办公厅"]  # 发文机关标志, as in the text layer
    assert lines[3] == "发改办财金规〔2019〕860号"  # 发文字号 (its year brackets put right)
    assert first.metadata.doc_number == "发改办财金规〔2019〕860号"
    assert first.metadata.title == "关于加强个人所得税纳税信用建设的通知"
    for rec, _ in govdoc_pages():
        assert not re.search(r"^[—一-]\s*\d\s*[—一-]$", rec.text, re.M), "page number left in the text"
        assert rec.source.format == "png" and rec.source.pages == 1
        assert rec.source.page_sizes == ((1224, 1584),)


def test_provenance_names_engine_models_and_confidence():
    _need_images()
    rec, _ = govdoc_pages()[1]
    info = rec.provenance.ocr
    assert info.engine.startswith("rapidocr-onnxruntime ")
    assert [m.split()[0] for m in info.models] == ["ch_PP-OCRv4_det_infer.onnx", "ch_PP-OCRv4_rec_infer.onnx"]
    assert info.pages == (1,) and 0.9 < info.confidence[0] <= 1.0
    assert schema.dumps(rec) == schema.dumps(record(IMAGES.joinpath("397_2.png").read_bytes(), "397_2.png"))


# --- a scanned PDF generated from seed 000 ----------------------------------------------------

def _items(rec: schema.Record) -> Counter:
    """Date windows, figures and household counts by what they say (no positions)."""
    sq = lambda s: re.sub(r"\s+", "", s)  # noqa: E731
    out: Counter = Counter()
    for d in rec.date_windows:
        out[("date", sq(d.text), d.kind, d.start, d.end)] += 1
    for f in rec.figures:
        out[("figure", sq(f.text), f.value, f.unit, f.kind, f.approx)] += 1
    for h in rec.household_counts:
        out[("household", sq(h.text), h.households, h.persons, h.category)] += 1
    return out


def test_scanned_seed_pdf_reads_like_its_text_layer():
    scan = record(seed_scan(), "000-scan.pdf")
    text = record(seed_fixture().data, "000.pdf")
    assert scan.provenance.ocr.pages == tuple(range(1, scan.source.pages + 1))
    assert text.provenance.ocr is None
    rate = cer(scan.text, text.text)
    print(f"seed 000 scan (150 dpi, noise, 1° skew, JPEG q40): character error {rate:.2%}")
    assert rate < 0.02
    for key in ("title", "doc_number", "issuer", "issue_date"):
        assert getattr(scan.metadata, key) == getattr(text.metadata, key), key
    assert scan.metadata.title and scan.metadata.doc_number and scan.metadata.issue_date
    assert "吉林省扶贫开发工作资料汇编" not in scan.text  # running header dropped
    assert not re.search(r"^-\s*\d+\s*-$", scan.text, re.M)  # page numbers dropped


def test_scanned_seed_pdf_items_agree_with_the_txt():
    scan = record(seed_scan(), "000-scan.pdf")
    twin = process_bytes(mf.SEEDS[0].read_bytes(), "000.txt", ".txt")
    got, want = _items(scan), _items(twin)
    differing = sum(((got - want) + (want - got)).values())
    total = max(sum(got.values()), sum(want.values()))
    print(f"seed 000 scan: {differing} of {total} date windows, figures and household counts differ")
    assert total >= 10 and differing <= 0.05 * total, ((got - want), (want - got))


def test_every_bbox_lies_inside_its_page():
    records = [record(seed_scan(), "000-scan.pdf"), record(seed_fixture().data, "000.pdf"), mixed_record()]
    if IMAGES.is_dir():
        records += [rec for rec, _ in govdoc_pages()]
    n = 0
    for rec in records:
        sizes = rec.source.page_sizes
        for item in _located(schema.to_dict(rec)):
            assert item["bbox"] is not None, item
            w, h = sizes[item["page"] - 1]
            x0, top, x1, bottom = item["bbox"]
            assert 0 <= x0 <= x1 <= w and 0 <= top <= bottom <= h, (rec.source.path, item)
            n += 1
    assert n > 100


def _located(obj):
    if isinstance(obj, dict):
        if obj.get("source_span") is not None and "bbox" in obj:
            yield obj
        for v in obj.values():
            yield from _located(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _located(v)


def test_bbox_is_where_the_item_was_drawn():
    """On the text-layer PDF a date's box holds the characters pdfplumber finds there."""
    import pdfplumber
    rec = record(seed_fixture().data, "000.pdf")
    d = rec.date_windows[0]
    with pdfplumber.open(io.BytesIO(seed_fixture().data)) as doc:
        crop = doc.pages[d.page - 1].within_bbox(d.bbox).extract_text()
    assert re.sub(r"\s+", "", d.text) in re.sub(r"\s+", "", crop)


# --- mixed, two-column, multi-page, blank and photo ------------------------------------------

@cache
def mixed_record() -> schema.Record:
    """Seed 000's text-layer PDF with page 2 replaced by its scan."""
    data = ms.mixed_pdf(seed_fixture().data, ms.scan_pdf(seed_fixture().data, seed=SEED, dpi=150, pages=[0, 1]), {1})
    return record(data, "000-mixed.pdf")


def test_mixed_pdf_ocrs_only_the_scanned_page():
    rec = mixed_record()
    text = record(seed_fixture().data, "000.pdf")
    assert rec.provenance.ocr.pages == (2,)
    assert cer(rec.text, text.text) < 0.01
    assert all(abs(a - b) < 1 for pa, pb in zip(rec.source.page_sizes, text.source.page_sizes)
               for a, b in zip(pa, pb))  # the scan's page: its image at 150 dpi (595.2 x 842.4 pt)
    pages = Counter(d.page for d in rec.date_windows)
    assert pages == Counter(d.page for d in text.date_windows)


def test_two_column_scan_keeps_reading_order():
    fx = next(f for f in mf.pdf_fixtures(mf.SEEDS[1]) if f.name.endswith("two-column"))
    scan = ms.scan_pdf(fx.data, seed=SEED, dpi=150, pages=[0])
    got = pdf.read(scan)
    want = page_texts(pdf.read(fx.data))[0]
    assert got.ocr.pages == (1,)
    rate = cer(got.text, want)
    print(f"two-column scan, page 1: character error {rate:.2%}")
    assert rate < 0.02  # interleaved columns would be a large edit distance


def _png(img) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def test_blank_page_and_photo_give_a_warning_not_a_failure():
    from PIL import Image
    blank = _png(Image.new("L", (800, 1100), 255))
    buf = io.BytesIO()
    ms.photo(SEED).save(buf, "JPEG", quality=85)
    for data, name in ((blank, "blank.png"), (buf.getvalue(), "photo.jpg")):
        rec = process_bytes(data, name, Path(name).suffix)
        assert rec.text == "" and not rec.figures and not rec.date_windows
        assert any("OCR found no text" in w for w in rec.normalization.warnings), rec.normalization
        assert rec.provenance.ocr.pages == (1,) and rec.provenance.ocr.confidence == (None,)


def test_multi_page_tiff_pages_and_boxes():
    _need_images()
    from PIL import Image
    page = Image.open(IMAGES / "397_5.png")
    data = ms.tiff([page, Image.new("RGB", page.size, "white")])
    assert sniff(data, ".tif") == "image"
    rec = process_bytes(data, "397.tif", ".tif")
    assert rec.source.format == "tiff" and rec.source.pages == 2
    assert rec.source.page_sizes == ((1224, 1584), (1224, 1584))
    assert any(w.startswith("page 2: OCR found no text") for w in rec.normalization.warnings)
    assert cer(rec.text, govdoc_pages()[4][1]) < 0.02
    assert all(d.page == 1 and d.bbox for d in rec.date_windows) and rec.date_windows


# --- pieces without OCR --------------------------------------------------------------------------

def test_images_are_sniffed_by_content():
    from PIL import Image
    img = Image.new("RGB", (20, 20), "white")
    for fmt in ("PNG", "JPEG", "TIFF"):
        buf = io.BytesIO()
        img.save(buf, fmt)
        assert sniff(buf.getvalue(), ".txt") == "image"
    with pytest.raises(StageFailure) as e:
        process_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00broken" * 20, "bad.png", ".png")
    assert (e.value.stage, e.value.code) == ("ingest", errors.CORRUPT)


def test_low_confidence_characters_are_suspect():
    text = "2020年6月11日，向贫困户27户64人发放资金253余万元。"
    low = text.index("253") + 1
    info = schema.OcrInfo(engine="e", models=(), suspect_below=0.8, pages=(1,), confidence=(0.9,))
    raw = schema.Raw(text=text, format="png", page_starts=(0,), page_sizes=((100.0, 50.0),),
                     boxes=((0, len(text), 1, 1.0, 2.0, 99.0, 12.0),), low_confidence=(low,), ocr=info)
    rec = build_record(raw, "x.png", "0" * 64)
    assert rec.normalization.suspect_chars == 1
    money = next(f for f in rec.figures if f.unit == "元")
    assert money.suspect and money.bbox == (1, 2, 99, 12)
    assert rec.date_windows[0].suspect is False
    assert all(not h.suspect for h in rec.household_counts)


def test_one_intra_op_thread_per_engine(monkeypatch):
    monkeypatch.delenv("GONGWEN_OCR_THREADS", raising=False)
    assert ocr.threads() == 1 and ocr.engine().threads == 1
    monkeypatch.setenv("GONGWEN_OCR_THREADS", "3")
    assert ocr.threads() == 3


def test_engine_loads_and_reads_without_network(monkeypatch):
    def refuse(*a, **k):
        raise OSError("network blocked by the test")
    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    eng = ocr.RapidOcr(n_threads=1)  # a fresh engine: models come from the installed wheel
    from PIL import Image, ImageDraw
    img = Image.new("RGB", (10, 10), "white")
    ImageDraw.Draw(img)
    assert eng.recognize(ocr.to_bgr(img)) == []


# --- from the command line ---------------------------------------------------------------------

def test_cli_runs_a_folder_of_scans_with_workers_like_one_process(tmp_path):
    """``gongwen run`` over page images and a scanned PDF: outputs valid against the schema,
    pages counted in the progress, 2 workers byte-identical to 1."""
    import jsonschema
    _need_images()
    scans = tmp_path / "scans"
    scans.mkdir()
    (scans / "397_5.png").write_bytes((IMAGES / "397_5.png").read_bytes())
    note = mf.make_pdf(["关于做好2021年度扶贫工作的通知", "各县（区）人民政府：",
                        "为巩固拓展脱贫攻坚成果，现就做好2021年度扶贫工作通知如下。",
                        "一、2021年3月1日至4月30日，全县为低保户27户64人发放资金253余万元，各乡镇要在5月底前"
                        "完成核查工作，确保资金发放到户到人。",
                        "二、各县（区）要于6月30日前将工作总结报送县乡村振兴局。", "某某县人民政府", "2021年2月20日"],
                       name="note")
    (scans / "note-scan.pdf").write_bytes(ms.scan_pdf(note.data, seed=SEED, dpi=150))
    outs = {}
    for workers in ("2", "1"):
        out = tmp_path / f"out{workers}"
        p = subprocess.run([sys.executable, "-m", "pipeline", "run", str(scans), "-o", str(out), "--workers", workers],
                           capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, p.stderr
        assert "2 pages OCR'd" in p.stderr, p.stderr
        outs[workers] = {f.name: f.read_text(encoding="utf-8") for f in sorted(out.glob("*.json"))}
    assert outs["2"] == outs["1"] and sorted(outs["1"]) == ["397_5.png.json", "note-scan.pdf.json"]
    schema_ = schema.json_schema()
    for text in outs["1"].values():
        jsonschema.validate(json.loads(text), schema_)
    rec = json.loads(outs["1"]["note-scan.pdf.json"])
    meta = rec["metadata"]
    assert (meta["title"], meta["issuer"], meta["issue_date"]) == ("关于做好2021年度扶贫工作的通知", "某某县人民政府",
                                                                   "2021-02-20")
    assert [(h["households"], h["persons"]) for h in rec["household_counts"]] == [(27, 64)]
    assert rec["provenance"]["ocr"]["pages"] == [1]


def test_time_limit_runs_per_ocr_page():
    """The pool's watchdog restarts a document's clock at each OCR'd page (a 200-page scan
    is not one 120 s document); other stage changes do not restart it."""
    from types import SimpleNamespace
    from pipeline.engines import _Proc
    p = object.__new__(_Proc)
    p.stage, p.clock, p.seen = SimpleNamespace(value=b"ingest"), 0.0, b""
    assert p.tick(10.0) == 10.0
    p.stage.value = b"ingest ocr 2"
    assert p.tick(50.0) == 0.0 and p.tick(60.0) == 10.0
    p.stage.value = b"normalize"
    assert p.tick(70.0) == 20.0
    assert p.stage_name() == "normalize"
    p.stage.value = b"ingest ocr 3"
    assert p.stage_name() == "ingest"
