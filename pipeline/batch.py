"""Batch runs: walk inputs, process each document (in a process pool), write atomically.

Each input ``ROOT/a/b.pdf`` gives ``OUTDIR/a/b.pdf.json``; an input that fails gives one
line of ``OUTDIR/errors.jsonl`` and the batch goes on.
"""
from __future__ import annotations

import fnmatch
import json
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterable, Iterator, Optional

from .assemble import StageFailure, process_bytes
from .schema import Failure, dumps, to_dict

ERRORS_FILE = "errors.jsonl"


@dataclass(frozen=True)
class Job:
    path: Path  # the input file
    rel: str  # its path relative to the input root (posix), names the output
    shown: str  # the path written into source.path


@dataclass(frozen=True)
class Summary:
    processed: int
    failed: int
    skipped: int


def display_path(p: Path) -> str:
    """The path as recorded in outputs: relative to the working directory when inside it."""
    try:
        return p.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return p.resolve().as_posix()


def iter_jobs(paths: Iterable[Path], exclude: tuple[str, ...] = ()) -> Iterator[Job]:
    """Input files in a stable order: files as given, directories walked recursively.

    Hidden files and directories are skipped; ``exclude`` globs match the path relative
    to the directory given (``gold/*``).
    """
    for root in paths:
        if root.is_file():
            yield Job(root, root.name, display_path(root))
            continue
        if not root.is_dir():
            raise FileNotFoundError(f"no such file or directory: {root}")
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                p = Path(dirpath) / name
                rel = p.relative_to(root).as_posix()
                if any(fnmatch.fnmatch(rel, pat) for pat in exclude):
                    continue
                yield Job(p, rel, display_path(p))


def output_path(outdir: Path, job: Job) -> Path:
    return outdir / (job.rel + ".json")


def write_atomic(path: Path, data: str) -> None:
    """Write ``data`` to ``path`` via a temp file in the same directory and os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def process_job(job: Job, outdir: Path, reference_date: Optional[date]) -> Optional[Failure]:
    """Process one input and write its output; a failure is returned, never raised."""
    try:
        data = job.path.read_bytes()
    except OSError as e:
        return Failure(job.shown, "ingest", "unreadable", f"cannot read file: {e.strerror or e}")
    try:
        record = process_bytes(data, job.shown, job.path.suffix, reference_date)
    except StageFailure as e:
        return Failure(job.shown, e.stage, e.code, e.message)
    try:
        write_atomic(output_path(outdir, job), dumps(record))
    except OSError as e:
        return Failure(job.shown, "write", "write_failed", f"cannot write output: {e}")
    return None


def _worker(args: tuple[Job, Path, Optional[date]]) -> tuple[Job, Optional[Failure]]:
    job, outdir, ref = args
    return job, process_job(job, outdir, ref)


def run(paths: list[Path], outdir: Path, *, workers: int = 1, reference_date: Optional[date] = None,
        exclude: tuple[str, ...] = (), log=None) -> Summary:
    """Process every input under ``paths`` into ``outdir``; rewrite ``errors.jsonl``."""
    outdir.mkdir(parents=True, exist_ok=True)
    jobs = list(iter_jobs(paths, exclude))
    failures: list[Failure] = []
    done = 0
    if workers <= 1 or len(jobs) <= 1:
        results = (_worker((j, outdir, reference_date)) for j in jobs)
        pool = None
    else:
        pool = ProcessPoolExecutor(max_workers=workers)
        results = pool.map(_worker, [(j, outdir, reference_date) for j in jobs], chunksize=1)
    try:
        for job, failure in results:
            done += 1
            if failure is not None:
                failures.append(failure)
            if log:
                log(job, failure, done, len(jobs))
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    errors = "".join(json.dumps(to_dict(f), ensure_ascii=False) + "\n" for f in failures)
    write_atomic(outdir / ERRORS_FILE, errors)
    return Summary(processed=done - len(failures), failed=len(failures), skipped=0)
