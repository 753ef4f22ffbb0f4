"""Figures and household counts: throughput (characters per second of normalised text).

Both extractors run on the whole corpus (``ctx.corpus_texts()``), in pipeline order
(household counts first, figures see them), after segmentation, which is timed apart.
The baseline, measured in the same run, is JioNLP's money extractor
(``jionlp.ner.extract_money``) on the first texts up to ``JIO_CHARS`` characters: it
covers only the money part of figures, so the ratio is a speed reference, not a match
of scope. JioNLP is a dev-only dependency ('bench' extra); when it cannot be imported
the line says so and only our rates are printed.
"""
from __future__ import annotations

import time

from ..extract import Context, figures, household_counts
from ..normalize import normalize
from ..segment import make_doc

JIO_CHARS = 200_000
JIO_CHARS_QUICK = 30_000


def _docs(ctx):
    texts = []
    for _name, raw in ctx.corpus_texts():
        try:
            texts.append(normalize(raw).text)
        except Exception:  # a text the normaliser rejects is not this benchmark's business
            continue
    t0 = time.perf_counter()
    docs = [make_doc(t) for t in texts]
    return texts, docs, time.perf_counter() - t0


def _time(fn, rounds: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(rounds):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def run(ctx) -> list[str]:
    texts, docs, seg_s = _docs(ctx)
    chars = sum(len(t) for t in texts)
    # warm the caches (compiled rules, the POS tagger) outside the timings
    household_counts.extract(make_doc("贫困户11户，41人，资金5万元"), Context())
    base = [Context() for _ in docs]

    hh_s, hh = _time(lambda: [household_counts.extract(d, c) for d, c in zip(docs, base)])
    ctxs = [c.with_result("household_counts", h) for c, h in zip(base, hh)]
    fig_s, figs = _time(lambda: [figures.extract(d, c) for d, c in zip(docs, ctxs)])
    n_hh, n_fig = sum(map(len, hh)), sum(map(len, figs))
    lines = [
        f"corpus: {len(texts)} texts, {chars:,} chars (segmentation {chars / seg_s:,.0f} chars/s, not counted below)",
        f"household_counts: {chars / hh_s:,.0f} chars/s ({hh_s:.2f} s, {n_hh} counts)",
        f"figures: {chars / fig_s:,.0f} chars/s ({fig_s:.2f} s, {n_fig} figures)",
        f"both: {chars / (hh_s + fig_s):,.0f} chars/s",
    ]
    try:
        from jionlp.algorithm.ner import extract_money
    except Exception as e:  # noqa: BLE001 - any import failure means "no baseline"
        lines.append(f"baseline jionlp.ner.extract_money: not available ({type(e).__name__})")
        return lines
    limit = JIO_CHARS_QUICK if ctx.quick else JIO_CHARS
    subset, size = [], 0
    for t in texts:
        if size >= limit:
            break
        subset.append(t)
        size += len(t)
    jio_s, jio = _time(lambda: [extract_money(t) for t in subset], rounds=1)
    ours_s, ours = _time(lambda: [[f for f in figures.extract(d, c) if f.kind == "money"]
                                  for d, c in zip(docs[:len(subset)], ctxs[:len(subset)])], rounds=1)
    lines.append(f"baseline jionlp.ner.extract_money on the first {len(subset)} texts ({size:,} chars): "
                 f"{size / jio_s:,.0f} chars/s, {sum(map(len, jio))} amounts; ours (money figures) "
                 f"{size / ours_s:,.0f} chars/s, {sum(map(len, ours))} amounts; ratio {jio_s / ours_s:.1f}x")
    return lines
