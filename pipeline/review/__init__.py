"""``gongwen review OUTDIR``: a static review site for archivists, from a run's outputs.

One index page and one page per document, written into ``DEST`` (default
``OUTDIR/review/``) from Jinja2 templates with auto-escaping, plus the one bundled script
and stylesheet (``static/``, package data) and page images rendered with pypdfium2. The
site opens from ``file://``: no server, no network, and a Content-Security-Policy that
allows only the bundled script.

Incremental like ``run``: ``DEST/.review-manifest.json`` keeps, per output file, a key
made of the output's bytes, the review code and the source file found for it; a page is
rewritten only when its key moved, and page images are rendered once per source.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Iterator, Optional

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from .. import __version__
from ..batch import ERRORS_FILE, write_atomic
from ..schema import Record

HERE = Path(__file__).resolve().parent
MANIFEST = ".review-manifest.json"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".gif")
RENDER_WIDTH = 1000  # pixels across a rendered PDF page
ROWS_PER_PAGE = 200  # side-panel rows shown at once: a 7000-row table took seconds to lay out

FIELDS = ("metadata", "departments", "date_windows", "figures", "household_counts", "tasks")
LABELS = {"metadata": "元数据 metadata", "departments": "机构 departments", "date_windows": "时间 date windows",
          "figures": "数字 figures", "household_counts": "户数 household counts", "tasks": "任务 tasks"}
PREFIX = {"metadata": "m", "departments": "d", "date_windows": "w", "figures": "f", "household_counts": "h",
          "tasks": "t"}
METADATA_FIELDS = ("title", "doc_number", "doc_type", "issuer", "co_issuers", "issue_date", "recipients",
                   "cited_documents", "reference_year")
# Bidi controls (Trojan-source reordering) and other invisible format characters: shown
# as a visible marker and isolated, so they cannot reorder what the archivist reads.
CONTROLS = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


@dataclass(frozen=True)
class Summary:
    documents: int
    written: int
    skipped: int
    removed: int
    failures: int
    images: int
    dest: Path


# --- escaping helpers -------------------------------------------------------------------

def visible(s: Any) -> Markup:
    """A document string for element content: escaped, with control characters kept but
    isolated and labelled (``<span class=ctl data-cp=U+202E>``)."""
    text = "" if s is None else str(s)
    if CONTROLS.search(text) is None:  # nearly always
        return escape(text)
    out, last = [], 0
    for m in CONTROLS.finditer(text):
        out.append(escape(text[last:m.start()]))
        out.append(Markup('<span class="ctl" data-cp="U+%04X">%s</span>') % (ord(m.group()), m.group()))
        last = m.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def plain(s: Any) -> str:
    """A document string for an attribute (a tooltip): control characters made visible."""
    text = "" if s is None else str(s)
    return CONTROLS.sub(lambda m: "⟨U+%04X⟩" % ord(m.group()), text)


@cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")),
                      autoescape=select_autoescape(("html", "j2"), default=True),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["visible"] = visible
    env.filters["plain"] = plain
    return env


@cache
def code_key() -> str:
    """Hash of the review code, templates and assets: a change rewrites every page."""
    h = hashlib.sha256(__version__.encode())
    for p in sorted(HERE.rglob("*")):
        if p.is_file() and p.suffix in (".py", ".html", ".js", ".css"):
            h.update(p.relative_to(HERE).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


# --- items ------------------------------------------------------------------------------

def _num(v: Any) -> Any:
    return int(v) if isinstance(v, float) and v.is_integer() else v


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (list, tuple)):
        return "、".join(_fmt(x) for x in v) or "—"
    return str(_num(v))


def _bbox(item: Any, raw: Optional[dict]) -> Optional[list]:
    """The item's box ``[x0, top, x1, bottom]`` (page units, top-left origin), read from the
    record or, when this schema version has no ``bbox`` field yet, from the output's dict."""
    b = getattr(item, "bbox", None) or (raw or {}).get("bbox")
    try:
        return [float(x) for x in b][:4] if b and len(b) == 4 else None
    except (TypeError, ValueError):
        return None


def _raw(d: Optional[dict], key: str, i: int) -> dict:
    try:
        v = d[key][i] if d else {}
    except (KeyError, IndexError, TypeError):
        return {}
    return v if isinstance(v, dict) else {}


def _base(field: str, iid: str, item: Any, details: list[tuple[str, Any]], gold: dict, raw: dict) -> dict:
    return {"id": iid, "field": field, "text": item.text, "span": list(item.span),
            "source_span": list(item.source_span) if item.source_span else None, "page": item.page,
            "bbox": _bbox(item, raw), "details": [(k, _fmt(v)) for k, v in details],
            "suspect": bool(getattr(item, "suspect", False) or raw.get("suspect")), "gold": gold}


def items_of(rec: Record, d: Optional[dict] = None) -> list[dict]:
    """What a reviewer judges, one entry per item: its spans, what hover shows (details)
    and its gold-file shape (contract section 8). Departments are one entry per name with
    every mention; metadata one entry per field, with its evidence spans. ``d`` is the
    output's dict, for optional fields (``bbox``) this schema version may not know."""
    out: list[dict] = []
    md = rec.metadata
    evidence: dict[str, list] = {}
    for k, ev in enumerate(md.evidence):
        evidence.setdefault(ev.field, []).append((ev, _raw((d or {}).get("metadata"), "evidence", k)))
    for name in METADATA_FIELDS:
        if not hasattr(md, name):
            continue
        value = getattr(md, name)
        if isinstance(value, tuple):
            value = list(value)
        mentions = [{"span": list(ev.span), "text": ev.text, "page": ev.page, "bbox": _bbox(ev, r),
                     "source_span": list(ev.source_span) if ev.source_span else None}
                    for ev, r in evidence.get(name, ())]
        out.append({"id": f"m.{name}", "field": "metadata", "name": name, "value": value,
                    "text": _fmt(value), "mentions": mentions, "details": [(name, _fmt(value))],
                    "gold": {name: value}})
    for i, dep in enumerate(rec.departments):
        raw = _raw(d, "departments", i)
        mentions = [{"span": list(m.span), "text": rec.text[m.span[0]:m.span[1]], "page": m.page,
                     "bbox": _bbox(m, _raw(raw, "mentions", k)),
                     "source_span": list(m.source_span) if m.source_span else None}
                    for k, m in enumerate(dep.mentions)]
        out.append({"id": f"d{i}", "field": "departments", "name": dep.name, "text": dep.name,
                    "mentions": mentions, "suspect": False,
                    "details": [("roles", _fmt(dep.roles)), ("canonical", _fmt(dep.canonical)),
                                ("mentions", len(dep.mentions))],
                    "gold": {"name": dep.name}})
    for i, w in enumerate(rec.date_windows):
        details = [("kind", w.kind), ("start", w.start), ("end", w.end), ("year inferred", w.year_inferred)]
        if w.rule:
            details.append(("rule", w.rule))
        out.append(_base("date_windows", f"w{i}", w, details,
                         {"text": w.text, "kind": w.kind, "start": w.start, "end": w.end},
                         _raw(d, "date_windows", i)))
        out[-1]["year_inferred"] = w.year_inferred
    for i, f in enumerate(rec.figures):
        details = [("value", f.value), ("value_max", f.value_max), ("unit", f.unit), ("kind", f.kind),
                   ("approx", f.approx), ("subject", f.subject), ("year", f.year)]
        out.append(_base("figures", f"f{i}", f, details,
                         {"text": f.text, "value": _num(f.value), "unit": f.unit, "kind": f.kind,
                          "approx": f.approx}, _raw(d, "figures", i)))
    for i, h in enumerate(rec.household_counts):
        details = [("households", h.households), ("persons", h.persons), ("category", h.category),
                   ("year", h.year), ("approx", h.approx)]
        out.append(_base("household_counts", f"h{i}", h, details,
                         {"text": h.text, "households": h.households, "persons": h.persons,
                          "category": h.category, "year": h.year}, _raw(d, "household_counts", i)))
    for i, t in enumerate(rec.tasks):
        w = t.window
        details = [("title", t.title), ("responsible", t.responsible), ("start", w.start if w else None),
                   ("end", w.end if w else None), ("section", t.section)]
        out.append(_base("tasks", f"t{i}", t, details,
                         {"title": t.title, "responsible": list(t.responsible),
                          "start": w.start if w else None, "end": w.end if w else None},
                         _raw(d, "tasks", i)))
    for it in out:  # the page(s) an item is on, for the side panel
        pages = sorted({m["page"] for m in it.get("mentions", [it]) if m.get("page") is not None})
        it["pages"] = ", ".join(map(str, pages[:3])) + ("…" if len(pages) > 3 else "")
    return out


def marks_of(items: list[dict], original: bool = False) -> list[dict]:
    """Every highlight: one per item span, per department mention, per metadata evidence.
    ``original``: at ``source_span`` instead of ``span`` (the Traditional-script view)."""
    marks = []
    order = {f: n for n, f in enumerate(FIELDS)}
    for it in items:
        spans = it["mentions"] if "mentions" in it else [it]
        for k, m in enumerate(spans):
            span = m["source_span"] if original else m["span"]
            if not span or span[1] <= span[0]:
                continue
            hid = it["id"] if "mentions" not in it else f"{it['id']}.{k}"
            tip = " · ".join([LABELS[it["field"]].split(" ", 1)[1], plain(it["text"])]
                             + [f"{a}: {plain(b)}" for a, b in it["details"] if b != "—"])
            marks.append({"id": hid, "item": it["id"], "field": it["field"], "start": span[0], "end": span[1],
                          "page": m.get("page"), "title": tip, "order": order[it["field"]]})
    return marks


def tokens(text: str, marks: list[dict]) -> list[tuple]:
    """The text cut into a flat list of tokens for the template: ("t", text),
    ("c", control char, code point), ("o", mark, continued) and ("x", None, None).

    Marks nest: an item inside another is an element inside it. A mark that crosses the
    end of an enclosing one is closed there and reopened (``continued``) after it, so
    nothing is lost and the elements stay well formed."""
    bounds = sorted({0, len(text), *(m["start"] for m in marks), *(m["end"] for m in marks)})
    by_start: dict[int, list[dict]] = {}
    for m in marks:
        by_start.setdefault(m["start"], []).append(m)
    key = lambda m: (m["start"], -m["end"], m["order"], m["id"])  # noqa: E731  outer first
    active: list[dict] = []
    stack: list[dict] = []
    opened: set[str] = set()
    out: list[tuple] = []
    for a, b in zip(bounds, bounds[1:]):
        active = [m for m in active if m["end"] > a] + by_start.get(a, [])
        want = sorted(active, key=key)
        n = 0
        while n < len(stack) and n < len(want) and stack[n] is want[n]:
            n += 1
        for _ in range(len(stack) - n):
            stack.pop()
            out.append(("x", None, None))
        for m in want[n:]:
            out.append(("o", m, m["id"] in opened))
            opened.add(m["id"])
            stack.append(m)
        _text_tokens(text[a:b], out)
    out.extend(("x", None, None) for _ in stack)
    return out


def marked_text(text: str, marks: list[dict], original: bool = False) -> Markup:
    """The text with its highlights as HTML, escaped by construction: every value put into
    it, document text and attributes alike, goes through markupsafe's ``escape``. Built
    here rather than in a template loop: a 300-page PDF has tens of thousands of items,
    and a Jinja loop over its tokens took seconds."""
    out: list[str] = []
    add = out.append
    pid, at = ("o:", "source-") if original else ("", "")
    for k, a, b in tokens(text, marks):
        if k == "t":
            add(escape(a))
        elif k == "o":
            page = "" if original or a["page"] is None else f' data-page="{int(a["page"])}"'
            add(f'<mark class="hl f-{escape(a["field"])}{" cont" if b else ""}" tabindex="-1" '
                f'data-id="{pid}{escape(a["id"])}" data-item="{escape(a["item"])}" data-field="{escape(a["field"])}" '
                f'data-{at}start="{int(a["start"])}" data-{at}end="{int(a["end"])}"{page} title="{escape(a["title"])}">')
        elif k == "x":
            add("</mark>")
        else:
            add(f'<span class="ctl" data-cp="{escape(b)}">{escape(a)}</span>')
    return Markup("".join(out))


def _text_tokens(s: str, out: list) -> None:
    last = 0
    for m in CONTROLS.finditer(s):
        if m.start() > last:
            out.append(("t", s[last:m.start()], None))
        out.append(("c", m.group(), "U+%04X" % ord(m.group())))
        last = m.end()
    if last < len(s):
        out.append(("t", s[last:], None))


# --- sources and page images -------------------------------------------------------------

def find_source(rec: Record, outdir: Path, source_root: Optional[Path]) -> Optional[Path]:
    """The input file a record was made from, when it can still be found (same bytes)."""
    p = Path(rec.source.path)
    candidates = [p] if p.is_absolute() else [Path.cwd() / p, outdir.parent / p]
    if source_root is not None:
        candidates.insert(0, source_root / p.name if p.is_absolute() else source_root / p)
        candidates.insert(1, source_root / p.name)
    for c in candidates:
        if c.is_file():
            return c
    return None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def render_pages(source: Path, fmt: str, imgdir: Path) -> tuple[list[list[float]], int]:
    """Render every page of a PDF (pypdfium2) or convert a scan to JPEG under ``imgdir``
    (``p0001.jpg`` …), once: existing images are kept. Returns [width, height] per page in
    the page's own units (PDF points, image pixels), the units of ``bbox``, and how many
    images were made now."""
    from PIL import Image
    imgdir.mkdir(parents=True, exist_ok=True)
    sizes_file = imgdir / "sizes.json"
    try:
        known = json.loads(sizes_file.read_text(encoding="utf-8"))
        if all((imgdir / f"p{n + 1:04d}.jpg").exists() for n in range(len(known))):
            return known, 0
    except (OSError, ValueError):
        pass
    sizes: list[list[float]] = []
    made = 0
    if fmt == "pdf" or source.suffix.lower() == ".pdf":
        import pypdfium2 as pdfium
        pdf = pdfium.PdfDocument(str(source))
        try:
            for n in range(len(pdf)):
                page = pdf[n]
                w, h = page.get_size()
                sizes.append([round(w, 2), round(h, 2)])
                target = imgdir / f"p{n + 1:04d}.jpg"
                if not target.exists():
                    img = page.render(scale=RENDER_WIDTH / max(w, 1.0)).to_pil()
                    _save(img, target)
                    made += 1
                page.close()
        finally:
            pdf.close()
    else:
        with Image.open(source) as im:
            n = 0
            while True:
                frame = im.convert("RGB")
                sizes.append([float(frame.width), float(frame.height)])
                target = imgdir / f"p{n + 1:04d}.jpg"
                if not target.exists():
                    _save(frame, target)
                    made += 1
                n += 1
                try:
                    im.seek(n)
                except EOFError:
                    break
    write_atomic(sizes_file, json.dumps(sizes))
    return sizes, made


def _save(img, target: Path) -> None:
    tmp = target.with_name("." + target.name + ".tmp")
    img.save(tmp, format="JPEG", quality=80)  # 15 ms a page; PNG took 200 ms and twice the bytes
    tmp.replace(target)


def original_text(source: Path, rec: Record) -> Optional[str]:
    """The decoded source text (what ``source_span`` indexes), when the file is unchanged."""
    from ..ingest import read
    data = source.read_bytes()
    if hashlib.sha256(data).hexdigest() != rec.source.sha256:
        return None
    try:
        return read(data, source.suffix).text
    except Exception:  # noqa: BLE001 - the review page goes on without the toggle
        return None


# --- pages ------------------------------------------------------------------------------

def page_name(rel: str) -> str:
    """``d/<readable, file-system-safe name>-<hash>.html``: unique per output file."""
    stem = rel[:-5] if rel.endswith(".json") else rel
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", stem)[:80].strip("._") or "doc"
    return f"d/{safe}-{hashlib.sha1(rel.encode('utf-8')).hexdigest()[:8]}.html"


def counts_of(rec: Record) -> dict[str, Any]:
    suspect = sum(bool(getattr(x, "suspect", False)) for key in ("figures", "household_counts", "date_windows")
                  for x in getattr(rec, key))
    return {"departments": len(rec.departments), "date_windows": len(rec.date_windows),
            "figures": len(rec.figures), "household_counts": len(rec.household_counts), "tasks": len(rec.tasks),
            "warnings": len(rec.normalization.warnings), "suspect": suspect,
            "suspect_chars": rec.normalization.suspect_chars,
            "year_inferred": sum(w.year_inferred for w in rec.date_windows)}


def index_row(rec: Record, page: str) -> dict:
    md = rec.metadata
    return {"page": page, "doc_id": rec.doc_id, "path": rec.source.path, "name": Path(rec.source.path).name,
            "title": md.title, "issuer": md.issuer, "issue_date": md.issue_date, "format": rec.source.format,
            "pages": rec.source.pages, "counts": counts_of(rec), "warnings": list(rec.normalization.warnings)}


def document_page(rec: Record, page: str, images: Optional[list[str]], sizes: Optional[list],
                  original: Optional[str], d: Optional[dict] = None) -> str:
    """The HTML of one document's page (``d``: the output's dict, for fields such as
    ``bbox`` and ``source.page_sizes`` that this schema version may not have yet)."""
    items = items_of(rec, d)
    marks = marks_of(items)
    page_sizes = (getattr(rec.source, "page_sizes", None) or ((d or {}).get("source") or {}).get("page_sizes")
                  or sizes)
    data = {"doc_id": rec.doc_id, "doc": Path(rec.source.path).name, "source_path": rec.source.path,
            "sha256": rec.source.sha256, "pipeline_version": rec.provenance.pipeline_version,
            "fields": list(FIELDS), "items": {it["id"]: it for it in items},
            "pages": {"count": rec.source.pages, "images": images,
                      "sizes": [list(s) for s in page_sizes] if page_sizes else None},
            "text_length": len(rec.text), "has_original": original is not None}
    groups = {f: [it for it in items if it["field"] == f] for f in FIELDS}
    return environment().get_template("document.html").render(
        rec=rec, page=page, items=items, rows_per_page=ROWS_PER_PAGE, groups=groups, labels=LABELS, prefix=PREFIX, data=data,
        text_html=marked_text(rec.text, marks), marks_count=len(marks),
        original_html=marked_text(original, marks_of(items, original=True), original=True)
        if original is not None else None,
        counts=counts_of(rec), images=images, metadata_fields=[it for it in items if it["field"] == "metadata"])


def read_failures(outdir: Path) -> list[dict]:
    p = outdir / ERRORS_FILE
    out = []
    if p.exists():
        for line in p.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                d = json.loads(line)
            except ValueError:
                continue
            if isinstance(d, dict):
                out.append({k: str(d.get(k, "")) for k in ("path", "stage", "error", "message")})
    return out


def _copy_assets(dest: Path) -> None:
    for name in ("review.js", "review.css"):
        src = HERE / "static" / name
        target = dest / "assets" / name
        if not target.exists() or target.read_bytes() != src.read_bytes():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)


def _write_if_changed(path: Path, text: str) -> bool:
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except OSError:
        pass
    write_atomic(path, text)
    path.chmod(0o644)
    return True


def _source_key(source: Optional[str]) -> str:
    if not source:
        return ""
    try:
        st = Path(source).stat()
    except OSError:
        return "gone"
    return f"{source}:{st.st_size}:{st.st_mtime_ns}"


def _record_files(outdir: Path) -> Iterator[Path]:
    """Candidate output files, as ``pipeline.output_files`` walks them, before parsing."""
    for p in sorted(outdir.rglob("*.json")):
        if not any(part.startswith(".") for part in p.relative_to(outdir).parts):
            yield p


def build(outdir: Path, dest: Optional[Path] = None, *, source_root: Optional[Path] = None,
          force: bool = False, progress: Optional[Any] = None) -> Summary:
    """Write (or bring up to date) the review site of ``outdir`` in ``dest``.

    A document's page is kept when its output file has the same sha256, the source file
    used for its page images / original text has the same size and mtime, and the review
    code and ``source_root`` are unchanged (then the output is not even parsed)."""
    from ..schema import from_dict
    outdir = Path(outdir)
    dest = Path(dest) if dest is not None else outdir / "review"
    dest.mkdir(parents=True, exist_ok=True)
    _copy_assets(dest)
    header = {"code": code_key(), "source_root": str(source_root) if source_root else None}
    try:
        old = json.loads((dest / MANIFEST).read_text(encoding="utf-8"))
        if {k: old.get(k) for k in header} != header:
            old = {"docs": {}}
    except (OSError, ValueError):
        old = {"docs": {}}
    docs: dict[str, dict] = {}
    written = skipped = images = 0
    bad: list[dict] = []
    dest_res = dest.resolve()
    for path in _record_files(outdir):
        if dest_res == path.resolve() or dest_res in path.resolve().parents:
            continue
        rel = path.relative_to(outdir).as_posix()
        try:
            data = path.read_bytes()
        except OSError:
            continue
        out_sha = hashlib.sha256(data).hexdigest()
        page = page_name(rel)
        prev = old["docs"].get(rel)
        if (not force and prev and prev.get("out_sha") == out_sha and (dest / page).exists()
                and _source_key(prev.get("source")) == prev.get("source_key")):
            docs[rel] = prev
            skipped += 1
            continue
        try:
            d = json.loads(data)
        except (UnicodeDecodeError, ValueError):
            continue
        if not (isinstance(d, dict) and "schema_version" in d and "doc_id" in d and "text" in d):
            continue
        try:
            rec = from_dict(Record, d)
        except (TypeError, ValueError, KeyError, AttributeError) as e:  # one bad output must not stop the site
            bad.append({"path": rel, "stage": "review", "error": "bad_output",
                        "message": f"not a record this gongwen can read: {type(e).__name__}: {e}"})
            continue
        needs_images = (rec.source.format in ("pdf", "image")
                        or Path(rec.source.path).suffix.lower() in IMAGE_SUFFIXES)
        needs_original = bool(rec.normalization.converted_from_traditional)
        source = find_source(rec, outdir, source_root) if (needs_images or needs_original) else None
        img_rel: Optional[list[str]] = None
        sizes = None
        original = None
        if source is not None and _sha256(source) == rec.source.sha256:
            if needs_images:
                imgdir = dest / "img" / rec.doc_id
                try:
                    sizes, made = render_pages(source, rec.source.format, imgdir)
                    img_rel = [f"../img/{rec.doc_id}/p{n + 1:04d}.jpg" for n in range(len(sizes))]
                    images += made
                except Exception:  # noqa: BLE001 - a page that cannot render leaves the page number
                    img_rel, sizes = None, None
            if needs_original:
                original = original_text(source, rec)
        html = document_page(rec, page, img_rel, sizes, original, d)
        _write_if_changed(dest / page, html)
        written += 1
        src = str(source.resolve()) if source is not None else None
        docs[rel] = {"out_sha": out_sha, "source": src, "source_key": _source_key(src), "page": page,
                     "row": index_row(rec, page)}
        if progress:
            progress(rel)
    removed = 0
    kept = {v["page"] for v in docs.values()}
    for rel, prev in old["docs"].items():
        if rel not in docs and prev.get("page") not in kept:
            (dest / prev["page"]).unlink(missing_ok=True)
            removed += 1
    failures = read_failures(outdir) + bad
    rows = [docs[r]["row"] for r in sorted(docs)]
    html = environment().get_template("index.html").render(rows=rows, failures=failures, fields=FIELDS[1:],
                                                           labels=LABELS, outdir=str(outdir))
    _write_if_changed(dest / "index.html", html)
    write_atomic(dest / MANIFEST, json.dumps({**header, "docs": docs}, ensure_ascii=False, indent=0))
    return Summary(documents=len(docs), written=written, skipped=skipped, removed=removed,
                   failures=len(failures), images=images, dest=dest)
