"""`gongwen bench`: benchmarks as ratios against a baseline measured in the same run.

One row per benchmark: (name, module function ``run(ctx) -> list[str]``) printing lines.
``ctx`` is a BenchContext with the corpus texts to time on.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


@dataclass(frozen=True)
class BenchContext:
    root: Path  # the repository
    shared: Path  # ../shared (may be absent)
    quick: bool = False

    def corpus_texts(self) -> list[tuple[str, str]]:
        """(name, raw text) of corpus/*.txt and, when present, ../shared/corpus-public/txt."""
        paths = sorted((self.root / "corpus").glob("*.txt"))
        pub = self.shared / "corpus-public" / "txt"
        if pub.is_dir():
            paths += sorted(pub.rglob("*.txt"))
        if self.quick:
            paths = paths[:20]
        out = []
        for p in paths:
            try:
                out.append((p.name, p.read_text(encoding="utf-8")))
            except UnicodeDecodeError:
                continue  # the GBK samples: the ingest benchmark covers decoding
        return out


# (name, "module:function"); modules are imported only when their benchmark runs,
# so optional baselines (JioNLP, pdfplumber) are not loaded by the pipeline itself.
BENCHMARKS: tuple[tuple[str, str], ...] = (
    ("date_windows", "pipeline.benchmarks.date_windows:run"),
    ("figures", "pipeline.benchmarks.figures:run"),
    ("pdf", "pipeline.benchmarks.pdf:run"),
    ("pipeline", "pipeline.benchmarks.pipeline:run"),
    ("ocr", "pipeline.benchmarks.ocr:run"),
)


def run(names: list[str] | None, ctx: BenchContext) -> None:
    for name, target in BENCHMARKS:
        if names and name not in names:
            continue
        mod, fn = target.split(":")
        print(f"== {name}", flush=True)
        func: Callable = getattr(importlib.import_module(mod), fn)
        for line in func(ctx):
            print("  " + line, flush=True)
