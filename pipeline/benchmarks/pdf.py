"""PDF pages per second: our reader against plain pdfplumber ``extract_text``, same files, same run.

Files: the public PDFs in ../shared/corpus-public/pdf (or the first 3 with --quick). Each
side reads every file once from bytes in memory, best of two runs; pages/s = pages / seconds.
Our reader does more (baselines, tables, columns, furniture, line joins), so the ratio
says what that costs.
"""
from __future__ import annotations

import io
import time

from ..ingest import pdf


def _plain(data: bytes) -> int:
    import pdfplumber
    with pdfplumber.open(io.BytesIO(data)) as doc:
        for page in doc.pages:
            page.extract_text()
            page.flush_cache()
        return len(doc.pages)


def _ours(data: bytes) -> int:
    return pdf.read(data).pages or 0


def _time(fn, files: list[bytes]) -> tuple[float, int]:
    best, pages = float("inf"), 0
    for _ in range(2):
        t0 = time.perf_counter()
        pages = sum(fn(d) for d in files)
        best = min(best, time.perf_counter() - t0)
    return best, pages


def run(ctx) -> list[str]:
    folder = ctx.shared / "corpus-public" / "pdf"
    paths = sorted(folder.rglob("*.pdf")) if folder.is_dir() else []
    if ctx.quick:
        paths = paths[:3]
    if not paths:
        return [f"no PDFs found under {folder}: nothing to time"]
    files = [p.read_bytes() for p in paths]
    pdf._rules()  # load rules outside the timing
    t_plain, pages = _time(_plain, files)
    t_ours, pages_ours = _time(_ours, files)
    plain_rate, ours_rate = pages / t_plain, pages_ours / t_ours
    return [f"{len(files)} PDFs, {pages} pages",
            f"pdfplumber extract_text: {t_plain:.2f} s, {plain_rate:.1f} pages/s",
            f"ours (pipeline.ingest.pdf.read): {t_ours:.2f} s, {ours_rate:.1f} pages/s",
            f"ratio ours/plain: {ours_rate / plain_rate:.2f}"]
