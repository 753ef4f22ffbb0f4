"""OCR pages per second: ``gongwen run`` over page images with 1 and N workers, against
plain RapidOCR calls on the same pages in the same run.

Pages: the five govdoc_cn page images (../shared/corpus-public/images/govdoc_cn; two with
--quick), copied to a temporary input folder. The baseline is the engine alone
(``RapidOCR(use_cls=False)`` called on each image, one intra-op thread, in this process,
after one warm-up call). Ours is the whole pipeline (image decode, OCR, layout,
normalisation, extraction, JSON written atomically), run with ``batch.run`` and
``--force``, every worker with one intra-op thread (GONGWEN_OCR_THREADS=1, the default),
so "per worker" compares like with like. Both runs include loading the pipeline and the
engine (once per worker; the 1-worker run is in this process), as a real batch does; over
five pages that start-up is a visible share. CPU seconds are given where this process
can count them: on a shared machine they move less than wall time.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path


def _plain(paths: list[Path]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of plain engine calls on ``paths``."""
    from rapidocr_onnxruntime import RapidOCR
    eng = RapidOCR(use_cls=False, intra_op_num_threads=1, inter_op_num_threads=1)
    eng(str(paths[0]))  # warm-up: first-call allocations
    t0, c0 = time.perf_counter(), time.process_time()
    for p in paths:
        eng(str(p))
    return time.perf_counter() - t0, time.process_time() - c0


def _ours(folder: Path, out: Path, workers: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process: the whole run when workers == 1)."""
    from .. import batch
    t0, c0 = time.perf_counter(), time.process_time()
    summary = batch.run([folder], out, workers=workers, force=True)
    if summary.failed:
        raise RuntimeError(f"{summary.failed} pages failed; see {out / batch.ERRORS_FILE}")
    return time.perf_counter() - t0, time.process_time() - c0


def run(ctx) -> list[str]:
    folder = ctx.shared / "corpus-public" / "images" / "govdoc_cn"
    paths = sorted(folder.glob("*.png")) if folder.is_dir() else []
    if ctx.quick:
        paths = paths[:2]
    if not paths:
        return [f"no page images under {folder}: nothing to time"]
    n = os.cpu_count() or 1
    old = os.environ.get("GONGWEN_OCR_THREADS")
    os.environ["GONGWEN_OCR_THREADS"] = "1"
    tmp = Path(tempfile.mkdtemp(prefix="gongwen-bench-ocr-"))
    try:
        inputs = tmp / "in"
        inputs.mkdir()
        for p in paths:
            shutil.copy(p, inputs / p.name)
        t_plain, c_plain = _plain(paths)
        t_one, c_one = _ours(inputs, tmp / "out1", 1)
        t_n, _ = _ours(inputs, tmp / "outn", n)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is None:
            os.environ.pop("GONGWEN_OCR_THREADS", None)
        else:
            os.environ["GONGWEN_OCR_THREADS"] = old
    k = len(paths)
    plain = k / t_plain
    one = k / t_one
    many = k / t_n
    return [f"{k} page images (govdoc_cn 397, 1224x1584 px), one intra-op thread per engine",
            f"plain RapidOCR calls: {t_plain:.1f} s, {plain:.2f} pages/s ({c_plain / k:.2f} CPU s/page)",
            f"gongwen run, 1 worker: {t_one:.1f} s, {one:.2f} pages/s per worker, ratio to plain {one / plain:.2f} "
            f"({c_one / k:.2f} CPU s/page, CPU ratio {c_plain / c_one:.2f})",
            f"gongwen run, {n} workers: {t_n:.1f} s, {many:.2f} pages/s, {many / n:.2f} pages/s per worker, "
            f"ratio to plain {many / plain:.2f} (per worker {many / n / plain:.2f})"]
