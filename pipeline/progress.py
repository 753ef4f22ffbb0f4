"""How ``gongwen run`` shows its progress: a bar on a terminal, log lines otherwise.

Both render ``batch.Progress`` events to a stream the CLI hands over (stderr).
"""
from __future__ import annotations

import shutil
import time
from typing import Optional, TextIO

from .batch import Job, Progress, Summary
from .schema import Failure


def _duration(s: float) -> str:
    s = int(s + 0.5)
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"


class _Counting(Progress):
    def __init__(self, stream: TextIO):
        self.stream = stream
        self.total = self.done = self.failed = self.bytes = self.total_bytes = self.pages = 0
        self.t0 = time.monotonic()

    def start(self, total: int, skipped: int, total_bytes: int) -> None:
        self.total, self.total_bytes, self.t0 = total, total_bytes, time.monotonic()
        if skipped or not total:
            self.stream.write(f"gongwen: {skipped} up to date, {total} to process\n")
            self.stream.flush()

    def advance(self, job: Job, failure: Optional[Failure], nbytes: int, ocr_pages: int = 0) -> None:
        self.done += 1
        self.bytes += nbytes
        self.pages += ocr_pages
        if failure:
            self.failed += 1

    def status(self) -> str:
        el = max(time.monotonic() - self.t0, 1e-9)
        mbs, dps = self.bytes / el / 1e6, self.done / el
        left = self.total_bytes - self.bytes
        eta = _duration(left / (self.bytes / el)) if self.bytes and self.done < self.total else "-"
        rate = f"{mbs:.2f} MB/s" if mbs >= 0.1 else f"{mbs * 1000:.0f} kB/s"
        pages = f"{self.pages} pages OCR'd  {self.pages / el:.2f} pages/s  " if self.pages else ""
        return (f"{self.done}/{self.total} files  {rate}  {dps:.1f} docs/s  {pages}"
                f"{self.failed} failed  ETA {eta}")

    def finish(self, summary: Summary) -> None:
        parts = [f"{summary.processed} processed", f"{summary.failed} failed", f"{summary.skipped} up to date"]
        if self.pages:
            parts.append(f"{self.pages} pages OCR'd")
        if summary.pruned:
            parts.append(f"{summary.pruned} pruned")
        self.stream.write(f"gongwen: {', '.join(parts)} in {_duration(summary.seconds)}\n")
        self.stream.flush()


class LogLines(_Counting):
    """Not a terminal: one line per failure and a status line every ``every`` seconds."""

    def __init__(self, stream: TextIO, every: float = 10.0):
        super().__init__(stream)
        self.every, self.last = every, time.monotonic()

    def advance(self, job: Job, failure: Optional[Failure], nbytes: int, ocr_pages: int = 0) -> None:
        super().advance(job, failure, nbytes, ocr_pages)
        if failure:
            self.stream.write(f"gongwen: FAILED {job.shown}: {failure.stage}/{failure.error}: {failure.message}\n")
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self.stream.write(f"gongwen: {self.status()}\n")
        self.stream.flush()


class Bar(_Counting):
    """A terminal: one redrawn line with a bar, files, throughput, failures and ETA."""

    def __init__(self, stream: TextIO, interval: float = 0.1):
        super().__init__(stream)
        self.interval, self.last = interval, 0.0

    def _draw(self) -> None:
        width = shutil.get_terminal_size((80, 20)).columns
        text = self.status()
        bar_w = max(10, min(30, width - len(text) - 4))
        filled = int(bar_w * self.done / self.total) if self.total else bar_w
        line = f"[{'#' * filled}{'.' * (bar_w - filled)}] {text}"
        self.stream.write("\r" + line[: width - 1].ljust(width - 1))
        self.stream.flush()

    def start(self, total: int, skipped: int, total_bytes: int) -> None:
        super().start(total, skipped, total_bytes)
        if total:
            self._draw()

    def advance(self, job: Job, failure: Optional[Failure], nbytes: int, ocr_pages: int = 0) -> None:
        super().advance(job, failure, nbytes, ocr_pages)
        if failure:  # failures stay on screen above the bar
            width = shutil.get_terminal_size((80, 20)).columns
            self.stream.write("\r" + " " * (width - 1) + "\r")
            self.stream.write(f"FAILED {job.shown}: {failure.stage}/{failure.error}: {failure.message}\n")
        now = time.monotonic()
        if failure or now - self.last >= self.interval or self.done == self.total:
            self.last = now
            self._draw()

    def finish(self, summary: Summary) -> None:
        if self.total:
            self.stream.write("\n")
        super().finish(summary)
