"""Batch runs: walk inputs, skip what is up to date, process the rest, write atomically.

Each input ``ROOT/a/b.pdf`` gives ``OUTDIR/a/b.pdf.json``; an input that fails gives one
line of ``OUTDIR/errors.jsonl`` and the batch goes on.

Any name: input names are kept as their bytes (``os.fsencode``); a name that is not UTF-8
is written with its bad bytes escaped (``\\xff``) in ``source.path``, the manifest and the
output's name, and a name too long for ``<name>.json`` gets a safe output name (cut, with a
hash of the whole name: ``<cut>~<hash>.json``), recorded in the manifest (``output``).
The manifest also keeps how many seconds each document took (``seconds``).
Symlink loops and files that are not regular files (FIFOs, sockets, devices) become
error records without being opened for a blocking read.

Incremental: ``OUTDIR/.gongwen/manifest.jsonl`` records, per input (by its relative
path), the size, mtime_ns and sha256 of the bytes an output was made from, with the
pipeline version (with a hash of the package's code, ``engines.code_hash``) and rules
version, the recorded source path and the reference date. An input
is skipped when all of these still hold and its output exists; (size, mtime_ns) are
trusted, and the file is re-hashed only when they moved. Failed inputs are retried on
every run and keep their line in ``errors.jsonl`` until they succeed.

Nothing lost: only this process writes. Every file goes to ``OUTDIR/.gongwen/tmp`` first
and is then renamed into place; a manifest line is appended only after its output is in
place, so a run killed at any moment leaves whole outputs and a manifest that
under-promises, and the next run redoes exactly what is missing (and empties tmp/).
"""
from __future__ import annotations

import fcntl
import fnmatch
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple, Optional

from .errors import RulesError
from .schema import Failure, to_dict

ERRORS_FILE = "errors.jsonl"
STATE_DIR = ".gongwen"  # inside OUTDIR: manifest.jsonl, lock, tmp/
MANIFEST_FILE = "manifest.jsonl"


# A file name (one path component) may hold this many bytes (NAME_MAX of Linux file systems).
NAME_MAX = 255


@dataclass(frozen=True)
class Job:
    path: Path  # the input file
    rel: str  # its path relative to the input root (posix, bad bytes escaped): the manifest key
    shown: str  # the path written into source.path (bad bytes escaped)
    out: str = ""  # the output's path relative to OUTDIR (default rel + ".json")

    def __post_init__(self):
        if not self.out:
            object.__setattr__(self, "out", output_name(self.rel))


def escaped(name: str) -> str:
    """A file name as text that any UTF-8 writer accepts: undecodable bytes (surrogates of
    ``os.fsdecode``) become ``\\xNN`` escapes; valid names are unchanged."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")


def output_name(rel: str) -> str:
    """``rel + ".json"``, with a last component too long for the file system cut and given
    a hash of the whole name (``<cut>~<12 hex>.json``), so that distinct inputs stay distinct."""
    head, _, last = rel.rpartition("/")
    name = last + ".json"
    if len(name.encode("utf-8")) > NAME_MAX:
        digest = hashlib.sha256(rel.encode("utf-8")).hexdigest()[:12]
        cut = last.encode("utf-8")[:NAME_MAX - len(digest) - 6].decode("utf-8", "ignore")
        name = f"{cut}~{digest}.json"
    return f"{head}/{name}" if head else name


@dataclass(frozen=True)
class Summary:
    processed: int
    failed: int
    skipped: int
    pruned: int = 0
    seconds: float = 0.0
    bytes: int = 0  # input bytes processed (not skipped)
    peak_rss_kb: int = 0  # the largest peak resident memory of any worker process


class Progress:
    """What ``run`` reports as it goes; the CLI renders it (bar, log lines or nothing)."""

    def start(self, total: int, skipped: int, total_bytes: int) -> None: ...

    def advance(self, job: Job, failure: Optional[Failure], nbytes: int, ocr_pages: int = 0) -> None: ...

    def finish(self, summary: Summary) -> None: ...


def display_path(p: Path, cwd: Optional[str] = None) -> str:
    """The path as recorded in outputs: relative to the working directory when inside it.

    Symlinks are not resolved (a loop must not raise), and bad bytes are escaped."""
    a = os.path.abspath(p)
    cwd = cwd or os.path.realpath(os.getcwd())
    if a.startswith(cwd.rstrip("/") + "/"):
        a = a[len(cwd.rstrip("/")) + 1:]
    return escaped(Path(a).as_posix())


def iter_jobs(paths: Iterable[Path], exclude: tuple[str, ...] = (), skip_dir: Optional[Path] = None
              ) -> Iterator[Job]:
    """Input files in a stable order: files as given, directories walked recursively.

    Hidden files and directories are skipped, and so is ``skip_dir`` (the output directory
    when it lies inside an input); ``exclude`` globs match the path relative to the
    directory given (``gold/*``).
    """
    skip = os.path.realpath(skip_dir) if skip_dir else None
    cwd = os.path.realpath(os.getcwd())
    for root in paths:
        if not root.is_dir():  # a file, or anything else given by name (reported when read)
            if not os.path.lexists(root):
                raise FileNotFoundError(f"no such file or directory: {root}")
            yield Job(root, escaped(root.name), display_path(root, cwd))
            continue
        # symlinks to directories are not followed (os.walk's default): no loop can trap us
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                                 and (skip is None or os.path.realpath(os.path.join(dirpath, d)) != skip))
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                p = Path(dirpath) / name
                rel = escaped(p.relative_to(root).as_posix())
                if any(fnmatch.fnmatch(rel, pat) for pat in exclude):
                    continue
                yield Job(p, rel, display_path(p, cwd))


def output_path(outdir: Path, job: Job) -> Path:
    return outdir / job.out


def umask() -> int:
    """The process's umask, read without changing it (/proc), else by setting it back."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def honour_umask(fd: int) -> None:
    """Give a file made by ``tempfile.mkstemp`` (always 0600) the mode ``open`` would have
    given it: 0666 less the umask (0644 under the usual 022)."""
    os.fchmod(fd, 0o666 & ~umask())


def write_atomic(path: Path, data: str, tmpdir: Optional[Path] = None) -> None:
    """Write ``data`` to ``path`` via a temp file (in ``tmpdir`` or beside it) and os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name[:40] + ".", suffix=".tmp", dir=tmpdir or path.parent)
    try:
        honour_umask(fd)
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
    """Process one input and write its output, not incrementally; a failure is returned."""
    from .engines import Task, run_task
    outcome = run_task(Task(0, str(job.path), job.shown, job.path.suffix, reference_date))
    if outcome.failure:
        return outcome.failure
    try:
        write_atomic(output_path(outdir, job), outcome.output)
    except OSError as e:
        return Failure(job.shown, "write", "write_failed", f"cannot write output: {e}")
    return None


# --- manifest ---------------------------------------------------------------------------

class Entry(NamedTuple):
    status: str  # ok | failed
    size: int
    mtime_ns: int
    sha256: Optional[str]
    pipeline_version: str
    rules_version: str
    source_path: str
    reference_date: Optional[str]
    error: Optional[dict] = None  # the errors.jsonl line of a failed input
    output: Optional[str] = None  # the output's path under OUTDIR when it is not rel + ".json"
    seconds: Optional[float] = None  # how long the document took (the last time it was run)


def _entry_line(rel: str, e: Optional[Entry]) -> str:
    d = {"rel": rel, "status": "removed"} if e is None else {"rel": rel, **e._asdict()}
    for key in ("error", "output", "seconds"):
        if e is not None and d[key] is None:
            del d[key]
    return json.dumps(d, ensure_ascii=False, separators=(",", ":")) + "\n"


class Manifest:
    """``OUTDIR/.gongwen/manifest.jsonl``: one line per event, the last line of a rel wins.

    Appended line by line during a run (a run killed mid-line leaves a torn last line,
    which is ignored); rewritten compactly, atomically, at the start and end of each run.
    """

    def __init__(self, state: Path):
        self.path = state / MANIFEST_FILE
        self.tmp = state / "tmp"
        self.entries: dict[str, Entry] = {}
        if self.path.exists():
            with open(self.path, encoding="utf-8") as f:
                for line in f:
                    try:
                        d = json.loads(line)
                        rel = d.pop("rel")
                        if d.get("status") == "removed":
                            self.entries.pop(rel, None)
                        else:
                            self.entries[rel] = Entry(**d)
                    except (ValueError, TypeError, KeyError):
                        continue  # a torn line from a killed run: that input is redone
        self.compact()
        self._f = open(self.path, "a", encoding="utf-8")

    def compact(self) -> None:
        write_atomic(self.path, "".join(_entry_line(r, self.entries[r]) for r in sorted(self.entries)), self.tmp)

    def set(self, rel: str, entry: Optional[Entry]) -> None:
        if entry is None:
            self.entries.pop(rel, None)
        else:
            self.entries[rel] = entry
        self._f.write(_entry_line(rel, entry))
        self._f.flush()

    def close(self) -> None:
        self._f.close()
        self.compact()


def _open_state(outdir: Path):
    """Create OUTDIR/.gongwen, take its lock (one run per OUTDIR), empty its tmp/."""
    state = outdir / STATE_DIR
    tmp = state / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    lock = open(state / "lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise RuntimeError(f"another gongwen run is writing to {outdir}") from None
    for p in tmp.iterdir():  # left by a run that was killed
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
    return state, lock


def _sha256_file(path: Path) -> Optional[str]:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()


def _remove_output(outdir: Path, out: Path) -> bool:
    """Delete an output and the directories it leaves empty (up to OUTDIR)."""
    try:
        out.unlink()
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:  # a name the file system refuses (too long): there is nothing to remove
        return False
    d = out.parent
    while d != outdir and outdir in d.parents:
        try:
            d.rmdir()
        except OSError:
            break
        d = d.parent
    return True


# --- run --------------------------------------------------------------------------------

def _engine(engine: str, workers: int, scheduler: Optional[str], limits):
    from . import engines
    if engine == "local":
        return engines.LocalEngine(workers, limits=limits)
    if engine == "dask":
        if not scheduler:
            raise engines.EngineError("--engine dask needs --scheduler ADDRESS (e.g. tcp://host:8786)")
        return engines.DaskEngine(scheduler)
    raise engines.EngineError(f"unknown engine: {engine!r} (local or dask)")


def run(paths: list[Path], outdir: Path, *, workers: int = 1, reference_date: Optional[date] = None,
        exclude: tuple[str, ...] = (), force: bool = False, prune: bool = False, engine: str = "local",
        scheduler: Optional[str] = None, progress: Optional[Progress] = None, limits=None) -> Summary:
    """Bring ``outdir`` up to date with the inputs under ``paths``; rewrite ``errors.jsonl``.

    ``limits`` (engines.Limits: seconds per document, memory per worker) run every document
    in a watched worker process; None (the default of this function, not of the CLI) runs
    a one-worker batch in this process without limits.

    Raises RulesError when rules/ is broken, engines.EngineError when the engine cannot
    run, RuntimeError when another run holds ``outdir``.
    """
    from . import engines
    t0 = time.perf_counter()
    progress = progress or Progress()
    outdir.mkdir(parents=True, exist_ok=True)
    state, lock = _open_state(outdir)
    manifest = Manifest(state)
    tmp = state / "tmp"
    here = engines.versions()
    ref = reference_date.isoformat() if reference_date else None
    try:
        # Plan: decide skip or process for every input, holding only the (small) to-do list.
        todo: list[tuple[Job, int, int]] = []  # (job, size, mtime_ns)
        seen: set[str] = set()
        failures: dict[int, Failure] = {}
        skipped = 0
        for job in iter_jobs(paths, exclude, skip_dir=outdir):
            if job.rel in seen:
                failures[len(todo)] = Failure(job.shown, "write", "duplicate_output",
                                              f"another input also writes {job.out}; rename one")
                todo.append((job, -1, -1))
                continue
            seen.add(job.rel)
            try:
                st = job.path.stat()
                size, mtime = st.st_size, st.st_mtime_ns
            except OSError:  # a dangling link or a loop: reported when the engine reads it
                size, mtime = 0, 0
            e = manifest.entries.get(job.rel)
            if (not force and e is not None and e.status == "ok"
                    and (e.pipeline_version, e.rules_version) == here
                    and (e.source_path, e.reference_date) == (job.shown, ref)
                    and os.path.exists(output_path(outdir, job))):
                if (e.size, e.mtime_ns) == (size, mtime):
                    skipped += 1
                    continue
                if e.size == size and _sha256_file(job.path) == e.sha256:  # touched, not changed
                    manifest.set(job.rel, e._replace(mtime_ns=mtime))
                    skipped += 1
                    continue
            todo.append((job, size, mtime))

        pruned = 0
        if prune:
            for rel in [r for r in manifest.entries if r not in seen]:
                pruned += _remove_output(outdir, outdir / (manifest.entries[rel].output or output_name(rel)))
                manifest.set(rel, None)

        total_bytes = sum(max(s, 0) for _j, s, _m in todo)
        progress.start(len(todo), skipped, total_bytes)
        tasks = (engines.Task(i, os.path.abspath(job.path), job.shown, job.path.suffix, reference_date)
                 for i, (job, _s, _m) in enumerate(todo) if i not in failures)
        done = nbytes = peak = 0
        for i in sorted(failures):  # duplicates, known before anything runs
            progress.advance(todo[i][0], failures[i], 0)
        run_engine = (_engine(engine, workers, scheduler, limits or engines.NO_LIMITS)
                      if len(todo) > len(failures) else None)
        try:
            for outcome in (run_engine.map(tasks) if run_engine else ()):
                job, size, mtime = todo[outcome.index]
                failure = outcome.failure
                if failure and failure.error == "bad_rules":
                    raise RulesError(failure.message)
                if outcome.versions != here and engine == "dask":
                    raise engines.EngineError(
                        f"a worker runs gongwen {outcome.versions[0]} with rules {outcome.versions[1]}, "
                        f"this machine {here[0]} with rules {here[1]}: install the same version everywhere")
                out = output_path(outdir, job)
                renamed = job.out if job.out != job.rel + ".json" else None
                if failure is None:
                    try:
                        write_atomic(out, outcome.output, tmp)
                    except OSError as e:
                        failure = Failure(job.shown, "write", "write_failed", f"cannot write output: {e}")
                if failure is None:
                    # the versions the output was made with (rules/ may change during a run)
                    manifest.set(job.rel, Entry("ok", size, mtime, outcome.sha256, *outcome.versions, job.shown, ref,
                                                output=renamed, seconds=round(outcome.seconds, 3)))
                else:
                    _remove_output(outdir, out)  # an output must never outlive a change of its input
                    failures[outcome.index] = failure
                    manifest.set(job.rel, Entry("failed", size, mtime, outcome.sha256, *here, job.shown, ref,
                                                to_dict(failure), renamed, round(outcome.seconds, 3)))
                done += 1
                nbytes += max(size, 0)
                peak = max(peak, outcome.rss_kb)
                progress.advance(job, failure, max(size, 0), outcome.ocr_pages)
        finally:
            if run_engine is not None and hasattr(run_engine, "close"):
                run_engine.close()

        # errors.jsonl describes OUTDIR, not just this run: every input recorded as failed
        # (retried by each run that sees it, dropped by --prune once it is gone), then
        # this run's inputs that could not even be attempted (duplicate outputs).
        lines = [e.error for _rel, e in sorted(manifest.entries.items()) if e.status == "failed" and e.error]
        lines += [to_dict(failures[i]) for i in sorted(failures) if failures[i].error == "duplicate_output"]
        errors = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in lines)
        write_atomic(outdir / ERRORS_FILE, errors, tmp)
        summary = Summary(processed=len(todo) - len(failures), failed=len(failures), skipped=skipped,
                          pruned=pruned, seconds=time.perf_counter() - t0, bytes=nbytes, peak_rss_kb=peak)
        progress.finish(summary)
        return summary
    finally:
        manifest.close()
        lock.close()
