"""End-to-end batch benchmark (issue 7): throughput for 1 and N workers, the ratio to bare
``jieba.lcut`` over the same text, peak memory per worker, and the no-change rerun.

The corpus (>= 50 MB; 2 MB with --quick; GONGWEN_BENCH_MB=n for another size) is built under ``bench-data/`` (git-ignored)
from corpus/*.txt and ../shared/corpus-public/txt, repeated; every copy gets a header line
of its own so that each file is a distinct document (its own sha256 and doc_id). Each run
is timed in a fresh process (``python -m pipeline.benchmarks.pipeline measure ...``) so
that peak memory is the worker's own, not this process's.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

FULL_MB, QUICK_MB = 50, 2


def _sources(ctx) -> list[tuple[str, str]]:
    paths = sorted((ctx.root / "corpus").glob("*.txt"))
    pub = ctx.shared / "corpus-public" / "txt"
    if pub.is_dir():
        paths += sorted(pub.rglob("*.txt"))
    out = []
    for p in paths:
        try:
            out.append((p.stem, p.read_text(encoding="utf-8")))
        except UnicodeDecodeError:
            continue  # GBK samples: decoding is the ingest benchmark's subject
    return out


def build_corpus(ctx, megabytes: int) -> Path:
    """bench-data/corpus-<MB>mb: the sources repeated until ``megabytes``; reused when present."""
    sources = _sources(ctx)
    key = hashlib.sha256("".join(n + str(len(t)) for n, t in sources).encode()).hexdigest()[:12]
    d = ctx.root / "bench-data" / f"corpus-{megabytes}mb"
    stamp = d / ".stamp"
    if stamp.exists() and stamp.read_text() == key:
        return d
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    size, copy = 0, 0
    while size < megabytes * 1_000_000:
        sub = d / f"copy{copy:03d}"
        sub.mkdir()
        for i, (name, text) in enumerate(sources):
            data = f"（第{copy + 1}批第{i + 1}号）\n{text}".encode("utf-8")
            (sub / f"{i:04d}_{name[:40]}.txt").write_bytes(data)
            size += len(data)
            if size >= megabytes * 1_000_000:
                break
        copy += 1
    stamp.write_text(key)
    return d


def measure(corpus: Path, out: Path, workers: int) -> dict:
    """One batch run in this (fresh) process: seconds, counts, peak memory per worker."""
    from pipeline import batch
    from pipeline.engines import peak_rss_kb
    t = time.perf_counter()
    s = batch.run([corpus], out, workers=workers)
    seconds = time.perf_counter() - t
    own = peak_rss_kb()
    return {"seconds": seconds, "processed": s.processed, "failed": s.failed, "skipped": s.skipped,
            "bytes": s.bytes, "worker_peak_mb": (s.peak_rss_kb or own) / 1024, "main_peak_mb": own / 1024}


def _measure_in_subprocess(root: Path, corpus: Path, out: Path, workers: int) -> dict:
    r = subprocess.run([sys.executable, "-m", "pipeline.benchmarks.pipeline", "measure", str(corpus), str(out),
                        str(workers)], cwd=root, capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def _same_tree(a: Path, b: Path) -> bool:
    def files(d: Path) -> dict:
        return {p.relative_to(d).as_posix(): hashlib.sha256(p.read_bytes()).digest() for p in d.rglob("*")
                if p.is_file() and ".gongwen" not in p.relative_to(d).parts}
    return files(a) == files(b)


def jieba_seconds(corpus: Path) -> float:
    """Bare jieba.lcut (default dictionary, loaded beforehand) over every file's text."""
    import logging

    import jieba
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    total = 0.0
    for p in sorted(corpus.rglob("*.txt")):
        text = p.read_text(encoding="utf-8")
        t = time.perf_counter()
        jieba.lcut(text)
        total += time.perf_counter() - t
    return total


def run(ctx) -> list[str]:
    mb = int(os.environ.get("GONGWEN_BENCH_MB", 0)) or (QUICK_MB if ctx.quick else FULL_MB)
    corpus = build_corpus(ctx, mb)
    files = sorted(corpus.rglob("*.txt"))
    size = sum(p.stat().st_size for p in files)
    n = os.cpu_count() or 1
    work = ctx.root / "bench-data" / "runs"
    shutil.rmtree(work, ignore_errors=True)
    lines = [f"corpus: {len(files)} documents, {size / 1e6:.1f} MB ({corpus.relative_to(ctx.root)})"]

    one = _measure_in_subprocess(ctx.root, corpus, work / "w1", 1)
    many = _measure_in_subprocess(ctx.root, corpus, work / f"w{n}", n)
    for label, m in (("1 worker", one), (f"{n} workers", many)):
        lines.append(f"{label:>10}: {m['seconds']:7.1f} s  {size / 1e6 / m['seconds']:.3f} MB/s  "
                     f"{len(files) / m['seconds']:.1f} docs/s  peak memory per worker {m['worker_peak_mb']:.0f} MB"
                     f"  ({m['failed']} failed)")
    speedup = one["seconds"] / many["seconds"]
    lines.append(f"speedup {n} workers: {speedup:.2f}x (target >= {0.85 * n:.2f}x); "
                 f"outputs identical to 1 worker: {'yes' if _same_tree(work / 'w1', work / f'w{n}') else 'NO'}")

    tj = jieba_seconds(corpus)
    lines.append(f"bare jieba.lcut: {tj:.1f} s ({size / 1e6 / tj:.3f} MB/s); pipeline (1 worker) / jieba = "
                 f"{one['seconds'] / tj:.2f}x (target <= 1.5x)")

    rerun = _measure_in_subprocess(ctx.root, corpus, work / f"w{n}", n)
    t = time.perf_counter()
    cli = subprocess.run([sys.executable, "-m", "pipeline", "run", str(corpus), "-o", str(work / f"w{n}"), "--quiet"],
                         cwd=ctx.root, capture_output=True, text=True)
    cli_s = time.perf_counter() - t
    lines.append(f"no-change rerun: {rerun['seconds']:.2f} s for {rerun['skipped']} up-to-date files "
                 f"({rerun['processed'] + rerun['failed']} redone); whole `gongwen run` command "
                 f"{cli_s:.2f} s (exit {cli.returncode})")
    return lines


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "measure":
        print(json.dumps(measure(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))))
    else:
        sys.exit("usage: python -m pipeline.benchmarks.pipeline measure CORPUS OUTDIR WORKERS")
