"""Date windows against JioNLP's ``extract_time`` on the same normalised texts, same run.

Our extractor is timed on the whole corpus (``ctx.corpus_texts()``); JioNLP, about a
thousand times slower per call, on the first texts up to ``JIO_CHARS`` characters (the
subset is named in the output). Both rates are characters per second of normalised text,
so the ratio compares like with like. JioNLP is a dev-only dependency ('bench' extra):
when it cannot be imported the line says so and only our rate is printed.
"""
from __future__ import annotations

import contextlib
import io
import time
from datetime import datetime

from ..extract.date_windows import extract_text, grammar
from ..normalize import normalize

JIO_CHARS = 200_000
JIO_CHARS_QUICK = 30_000
REFERENCE_YEAR = 2020


def _normalised(ctx) -> list[tuple[str, str]]:
    out = []
    for name, raw in ctx.corpus_texts():
        try:
            out.append((name, normalize(raw).text))
        except Exception:  # a text the normaliser rejects is not this benchmark's business
            continue
    return out


def _ours(texts: list[str]) -> tuple[float, int]:
    """(seconds, windows) of our extractor over ``texts``, best of three runs."""
    best, count = float("inf"), 0
    for _ in range(3):
        t0 = time.perf_counter()
        count = sum(len(extract_text(t, REFERENCE_YEAR)) for t in texts)
        best = min(best, time.perf_counter() - t0)
    return best, count


def _overlaps(a: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(s < a[1] and a[0] < e for s, e in spans)


def run(ctx) -> list[str]:
    grammar()  # compile outside the timing
    docs = _normalised(ctx)
    texts = [t for _n, t in docs]
    total = sum(map(len, texts))
    if not total:
        return ["no corpus texts found"]
    secs, n_ours = _ours(texts)
    ours_rate = total / secs
    lines = [f"ours: {len(texts)} texts, {total:,} chars, {secs:.3f} s, {ours_rate:,.0f} chars/s, {n_ours} windows"]

    try:
        import jionlp  # noqa: F401  (dev-only: `pip install -e '.[bench]'`)
        from jionlp import ner
    except Exception as e:  # ImportError, or its own start-up failing
        lines.append(f"JioNLP: skipped, not importable ({type(e).__name__}: {e}); install the 'bench' extra")
        return lines

    limit = JIO_CHARS_QUICK if ctx.quick else JIO_CHARS
    subset, size = [], 0
    for name, t in docs:
        if size >= limit:
            break
        subset.append((name, t))
        size += len(t)
    base = datetime(REFERENCE_YEAR, 7, 1).timestamp()
    # JioNLP prints a traceback for each expression it cannot parse: keep them off the report.
    noise = io.StringIO()
    with contextlib.redirect_stderr(noise), contextlib.redirect_stdout(noise):
        ner.extract_time("2020年7月1日", time_base=base)  # load its dictionaries outside the timing
        t0 = time.perf_counter()
        jio_items = [ner.extract_time(t, time_base=base) for _n, t in subset]
        jio_secs = time.perf_counter() - t0
    jio_rate = size / jio_secs

    sub_texts = [t for _n, t in subset]
    sub_secs, _ = _ours(sub_texts)
    ours_sub = [extract_text(t, REFERENCE_YEAR) for t in sub_texts]
    n_jio = sum(len(x) for x in jio_items)
    n_sub = sum(len(x) for x in ours_sub)
    covered = sum(1 for items, ours in zip(jio_items, ours_sub)
                  for it in items if _overlaps(tuple(it["offset"]), [w.span for w in ours]))
    lines += [
        f"JioNLP extract_time: first {len(subset)} texts ({subset[0][0]} .. {subset[-1][0]}), "
        f"{size:,} chars, {jio_secs:.2f} s, {jio_rate:,.0f} chars/s, {n_jio} expressions "
        f"(with parsing; {noise.getvalue().count('Traceback')} parse errors printed by JioNLP, suppressed)",
        f"ours on the same subset: {sub_secs:.3f} s, {size / sub_secs:,.0f} chars/s, {n_sub} windows; "
        f"{covered}/{n_jio} JioNLP expressions overlap one of ours",
        f"ratio (ours/JioNLP, chars/s): {ours_rate / jio_rate:.1f}x over the whole corpus, "
        f"{(size / sub_secs) / jio_rate:.1f}x on the subset (target >= 20x)",
    ]
    return lines
