"""Where documents are processed: in this process, in a local process pool, or on Dask.

Every engine runs the same per-document function, ``render``, and yields one
``Outcome`` per ``Task`` (in completion order; ``Outcome.index`` names the task).
Engines keep a bounded number of tasks in flight, so neither the documents nor their
results pile up in memory however large the corpus. Writing outputs, the manifest and
``errors.jsonl`` is the caller's job (``batch.run``): only one process ever writes.
"""
from __future__ import annotations

import multiprocessing
import os
import resource
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import date
from functools import cache
from hashlib import sha256
from pathlib import Path
from typing import Iterable, Iterator, Optional

from .schema import Failure

# A pool worker is replaced after this many documents: spaCy's StringStore keeps every
# token string it has seen, so a long-lived worker would grow without bound.
RECYCLE_AFTER = 500
IN_FLIGHT_PER_WORKER = 4


class EngineError(Exception):
    """The engine cannot run (no scheduler, version mismatch between machines ...)."""


@dataclass(frozen=True)
class Task:
    index: int
    path: str  # absolute path of the input
    shown: str  # the path written into source.path
    suffix: str
    reference_date: Optional[date]


@dataclass(frozen=True)
class Outcome:
    index: int
    sha256: Optional[str]  # of the input bytes (None when unreadable)
    output: Optional[str]  # the record's JSON text, exactly as written to disk
    failure: Optional[Failure]
    versions: tuple[str, str]  # (pipeline_version, rules_version) of the process that ran it
    rss_kb: int  # peak resident memory of that process so far
    ocr_pages: int = 0  # pages of the document read by OCR (progress counts them)


@cache
def code_hash() -> str:
    """Hash of the package's own source files: an edited extractor counts as a new version
    for incremental runs even when the package version was not bumped."""
    root = Path(__file__).resolve().parent
    h = sha256()
    for p in sorted(root.rglob("*.py")):
        h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def versions() -> tuple[str, str]:
    """(package version + code hash, rules version): what an output was made with."""
    from . import __version__, rules
    return f"{__version__}+{code_hash()}", rules.rules_version()


def peak_rss_kb() -> int:
    """Peak resident memory of this process, KiB.

    Linux's VmHWM where there is one: ``ru_maxrss`` of a process started by fork + exec
    keeps the peak of the parent it was forked from (a 700 MB benchmark runner made every
    measured child report 700 MB)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def render(data: bytes, shown: str, suffix: str, reference_date: Optional[date]
           ) -> tuple[Optional[str], Optional[Failure]]:
    """The per-document function: input bytes to the output JSON text, or a Failure."""
    from .assemble import StageFailure, process_bytes
    from .schema import dumps
    try:
        return dumps(process_bytes(data, shown, suffix, reference_date)), None
    except StageFailure as e:
        return None, Failure(shown, e.stage, e.code, e.message)
    except Exception as e:  # noqa: BLE001 - one bad document must not stop the batch
        return None, Failure(shown, "extract", "internal_error", f"{type(e).__name__}: {e}")


def run_bytes(task: Task, data: bytes) -> Outcome:
    """``render`` one task whose bytes were read by the caller (the Dask engine)."""
    output, failure = render(data, task.shown, task.suffix, task.reference_date)
    return Outcome(task.index, sha256(data).hexdigest(), output, failure, versions(), peak_rss_kb(),
                   ocr_pages(output))


def ocr_pages(output: Optional[str]) -> int:
    """How many pages of a rendered record were OCR'd (parsed only for OCR'd records,
    which took seconds a page to make)."""
    if not output or '"ocr": {"engine"' not in output:
        return 0
    import json
    return len(json.loads(output)["provenance"]["ocr"]["pages"])


def run_task(task: Task) -> Outcome:
    """Read the input and ``render`` it (local engines)."""
    try:
        with open(task.path, "rb") as f:
            data = f.read()
    except OSError as e:
        failure = Failure(task.shown, "ingest", "unreadable", f"cannot read file: {e.strerror or e}")
        return Outcome(task.index, None, None, failure, versions(), peak_rss_kb())
    return run_bytes(task, data)


def warm() -> None:
    """Load dictionaries and compile rules now (once per process), not on the first document."""
    from .assemble import process_bytes
    try:
        process_bytes("关于做好2021年度扶贫工作的通知\n各县（区）人民政府：\n".encode("utf-8"), "warm", ".txt")
    except Exception:  # noqa: BLE001 - a broken rules/ is reported per document, with its reason
        pass


# --- local ------------------------------------------------------------------------------

def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # killed but not yet reaped by its shell: a zombie
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True


def _watch(main: int) -> None:
    """Exit when the run that started us is gone (killed with -9): a pool worker's parent
    is the forkserver, which itself waits for its workers, so nobody else would stop us."""
    while True:
        time.sleep(0.5)
        if not _alive(main):
            os._exit(1)


def _init_worker(main: int) -> None:
    threading.Thread(target=_watch, args=(main,), daemon=True).start()
    warm()


def _crashed(task: Task, err: BaseException) -> Outcome:
    failure = Failure(task.shown, "extract", "worker_crashed",
                      f"the worker process died while this document was in flight ({err})")
    return Outcome(task.index, None, None, failure, versions(), 0)


class LocalEngine:
    """``workers`` processes on this machine (1: in this process, no pool)."""

    def __init__(self, workers: int = 1, recycle_after: Optional[int] = None):
        self.workers = max(1, workers)
        self.recycle_after = recycle_after or RECYCLE_AFTER

    def _pool(self) -> ProcessPoolExecutor:
        # forkserver: workers fork from a server that imported and warmed the pipeline once
        # (pipeline._preload), so a fresh pool of workers starts in milliseconds, not seconds.
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["pipeline._preload"])
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx, initializer=_init_worker,
                                   initargs=(os.getpid(),))

    def map(self, tasks: Iterable[Task]) -> Iterator[Outcome]:
        if self.workers == 1:
            warm()
            for t in tasks:
                yield run_task(t)
            return
        # Recycling replaces the whole pool after workers * recycle_after tasks (drained
        # first) rather than using max_tasks_per_child, which can deadlock on Python 3.11.
        limit = self.workers * IN_FLIGHT_PER_WORKER
        generation = self.workers * self.recycle_after
        todo = iter(tasks)
        pool, submitted = self._pool(), 0
        in_flight: dict = {}
        try:
            while True:
                while len(in_flight) < limit and submitted < generation:
                    t = next(todo, None)
                    if t is None:
                        break
                    in_flight[pool.submit(run_task, t)] = t
                    submitted += 1
                if not in_flight:
                    if submitted < generation:
                        return  # all done
                    pool.shutdown(wait=True)
                    pool, submitted = self._pool(), 0
                    continue
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                broken = False
                for fut in done:
                    t = in_flight.pop(fut)
                    try:
                        yield fut.result()
                    except BrokenProcessPool as e:
                        broken = True
                        yield _crashed(t, e)
                if broken:  # every task still in flight is lost with the pool: fail them, go on
                    for t in in_flight.values():
                        yield _crashed(t, BrokenProcessPool("pool broken"))
                    in_flight.clear()
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool, submitted = self._pool(), 0
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


# --- dask -------------------------------------------------------------------------------

class DaskEngine:
    """Documents on a Dask distributed cluster: this process reads inputs, workers render.

    Workers need the same gongwen version and rules/ (checked on every result), not the
    input files: bytes travel with the task and the JSON comes back to be written here.
    """

    def __init__(self, scheduler: str, in_flight: Optional[int] = None):
        try:
            from distributed import Client
        except ImportError:
            raise EngineError("the dask engine needs the optional extra: pip install 'gongwen[dask]'") from None
        try:
            self.client = Client(scheduler, set_as_default=False)  # distributed.comm.timeouts.connect
        except (OSError, TimeoutError) as e:
            raise EngineError(f"cannot connect to the Dask scheduler at {scheduler}: {e}") from None
        self.in_flight = in_flight

    def close(self) -> None:
        self.client.close()

    def map(self, tasks: Iterable[Task]) -> Iterator[Outcome]:
        from distributed import as_completed
        workers = self.client.scheduler_info().get("workers", {})
        limit = self.in_flight or max(4, IN_FLIGHT_PER_WORKER * sum(w.get("nthreads", 1) for w in workers.values()))
        todo = iter(tasks)
        in_flight: dict = {}
        ac = as_completed(loop=self.client.loop)

        def fill() -> Iterator[Outcome]:
            while len(in_flight) < limit:
                t = next(todo, None)
                if t is None:
                    return
                try:
                    with open(t.path, "rb") as f:
                        data = f.read()
                except OSError as e:
                    yield Outcome(t.index, None, None, Failure(t.shown, "ingest", "unreadable",
                                  f"cannot read file: {e.strerror or e}"), versions(), 0)
                    continue
                fut = self.client.submit(run_bytes, t, data, pure=False, retries=1)
                in_flight[fut] = t
                ac.add(fut)

        yield from fill()
        while in_flight:
            fut = next(ac)
            t = in_flight.pop(fut)
            try:
                outcome = fut.result()
            except Exception as e:  # noqa: BLE001 - a worker died twice under this task
                outcome = _crashed(t, e)
            fut.release()
            yield outcome
            yield from fill()
