"""Where documents are processed: in this process, in a local process pool, or on Dask.

Every engine runs the same per-document function, ``render``, and yields one
``Outcome`` per ``Task`` (in completion order; ``Outcome.index`` names the task).

Limits per document (``Limits``: wall-clock seconds, resident memory per worker) are
enforced from the parent by the local pool: each worker runs one document at a time, and
a watchdog over the pool kills a worker whose document ran past ``doc_timeout`` or whose
resident set grew past ``max_memory`` (a worker also runs under RLIMIT_AS, so one huge
allocation fails at once as a MemoryError); the document gets an error record
(``time_limit`` / ``memory_limit``, naming the stage it was in), a fresh worker takes the
dead one's place and the batch goes on. No library's cooperation is needed.
Engines keep a bounded number of tasks in flight, so neither the documents nor their
results pile up in memory however large the corpus. Writing outputs, the manifest and
``errors.jsonl`` is the caller's job (``batch.run``): only one process ever writes.
"""
from __future__ import annotations

import errno
import multiprocessing
import multiprocessing.connection
import os
import resource
import signal
import stat
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from hashlib import sha256
from pathlib import Path
from typing import Iterable, Iterator, Optional

from . import errors
from .schema import Failure

# A pool worker is replaced after this many documents: spaCy's StringStore keeps every
# token string it has seen, so a long-lived worker would grow without bound.
RECYCLE_AFTER = 500
IN_FLIGHT_PER_WORKER = 4  # the Dask engine's tasks in flight per worker thread
DOC_TIMEOUT = 120.0  # seconds of wall-clock time per document (gongwen run --doc-timeout)
MAX_MEMORY = 2 << 30  # bytes of resident memory per worker process (gongwen run --max-memory)
WATCH_EVERY = 0.1  # seconds between two looks of the watchdog at its workers


@dataclass(frozen=True)
class Limits:
    """Per-document limits of the local engine; None switches one off."""
    doc_timeout: Optional[float] = DOC_TIMEOUT
    max_memory: Optional[int] = MAX_MEMORY

    def __bool__(self) -> bool:
        return self.doc_timeout is not None or self.max_memory is not None


NO_LIMITS = Limits(None, None)


def format_bytes(n: int) -> str:
    for unit, size in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if n >= size:
            return f"{n / size:.3g}{unit}"
    return str(n)


def parse_bytes(s: str) -> int:
    """'2G', '512M', '300k', '1.5GB', '1000000' -> bytes (binary units)."""
    t = s.strip().upper().removesuffix("B").removesuffix("I")
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}.get(t[-1:], 1)
    n = float(t[:-1] if scale != 1 else t)
    if n <= 0:
        raise ValueError(f"not a positive size: {s!r}")
    return int(n * scale)


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
    seconds: float = 0.0  # wall-clock time the document took (until stopped, for a limit)
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
        if isinstance(e.__cause__, MemoryError):
            return None, _memory_failure(shown, e.stage)
        return None, Failure(shown, e.stage, e.code, e.message)
    except MemoryError:
        return None, _memory_failure(shown, _stage[0])
    except Exception as e:  # noqa: BLE001 - one bad document must not stop the batch
        return None, Failure(shown, "extract", "internal_error", f"{type(e).__name__}: {e}")


_stage = ["ingest"]  # the stage this process is in (set by assemble.stage_hook in workers)
_limit_as: list[Optional[int]] = [None]  # the RLIMIT_AS this worker runs under, if any


def _memory_failure(shown: str, stage: str) -> Failure:
    limit = _limit_as[0]
    within = f" (address space capped at {format_bytes(limit)} for a --max-memory worker)" if limit else ""
    return Failure(shown, stage, errors.MEMORY_LIMIT, f"out of memory{within}: the document needs more memory "
                                                       f"than a worker may use")


def run_bytes(task: Task, data: bytes) -> Outcome:
    """``render`` one task whose bytes were read by the caller (the Dask engine)."""
    output, failure = render(data, task.shown, task.suffix, task.reference_date)
    return Outcome(task.index, sha256(data).hexdigest(), output, failure, versions(), peak_rss_kb(),
                   ocr_pages=ocr_pages(output))


def ocr_pages(output: Optional[str]) -> int:
    """How many pages of a rendered record were OCR'd (parsed only for OCR'd records,
    which took seconds a page to make)."""
    if not output or '"ocr": {"engine"' not in output:
        return 0
    import json
    return len(json.loads(output)["provenance"]["ocr"]["pages"])


def read_input(path: str, shown: str) -> tuple[Optional[bytes], Optional[Failure]]:
    """The bytes of a regular file, or the Failure that says why there are none.

    Opened non-blocking and checked with fstat before reading: a FIFO, socket or device
    is reported, never read (a FIFO would block for ever); a symlink loop is named."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        if e.errno == errno.ELOOP:
            return None, Failure(shown, "ingest", errors.SYMLINK_LOOP, "symlink loop: the link never reaches a file "
                                                                        f"({e.strerror})")
        if e.errno in (errno.ENXIO, errno.EOPNOTSUPP):  # a socket cannot be opened
            return None, Failure(shown, "ingest", errors.NOT_A_FILE, f"not a regular file: a socket ({e.strerror})")
        return None, Failure(shown, "ingest", errors.UNREADABLE, f"cannot read file: {e.strerror or e}")
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
                    else "a character device" if stat.S_ISCHR(mode) else "a block device" if stat.S_ISBLK(mode)
                    else "a directory" if stat.S_ISDIR(mode) else "not a file")
            return None, Failure(shown, "ingest", errors.NOT_A_FILE, f"not a regular file: {kind}; skipped")
        with os.fdopen(fd, "rb") as f:
            fd = -1
            return f.read(), None
    except OSError as e:
        return None, Failure(shown, "ingest", errors.UNREADABLE, f"cannot read file: {e.strerror or e}")
    except MemoryError:
        return None, _memory_failure(shown, "ingest")
    finally:
        if fd >= 0:
            os.close(fd)


def run_task(task: Task) -> Outcome:
    """Read the input and ``render`` it (local engines)."""
    _stage[0] = "ingest"
    t = time.perf_counter()
    data, failure = read_input(task.path, task.shown)
    if failure is not None:
        outcome = Outcome(task.index, None, None, failure, versions(), peak_rss_kb())
    else:
        outcome = run_bytes(task, data)
    return replace(outcome, seconds=time.perf_counter() - t)


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


def _vm_size() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _worker(conn, main: int, max_memory: Optional[int], stage, errlog: str) -> None:
    """A pool worker: one task at a time from ``conn``, its Outcome back; None ends it.

    Once warm, its stderr goes to ``errlog``: what a library prints as it dies (Rust's
    "memory allocation of N bytes failed" and backtrace) is read back by the parent into
    the document's error record instead of landing on the batch's stderr."""
    from . import assemble
    _init_worker(main)
    try:
        fd = os.open(errlog, os.O_WRONLY | os.O_APPEND)
        os.dup2(fd, 2)
        os.close(fd)
        os.unlink(errlog)  # the parent reads it through its own descriptor: nothing is left behind
    except OSError:
        pass

    def hook(name: str) -> None:
        _stage[0] = name.split(" ")[0]
        stage.value = name.encode("ascii")[:15]

    assemble.stage_hook = hook
    if max_memory:  # one huge allocation fails at once, before the watchdog's next look
        limit = _vm_size() + max_memory
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
            _limit_as[0] = max_memory
        except (ValueError, OSError):
            pass
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        stage.value = b"ingest"
        outcome = run_task(task)
        try:
            conn.send(outcome)
        except (OSError, ValueError):
            return
        if outcome.failure is not None and outcome.failure.error == errors.MEMORY_LIMIT:
            return  # after a MemoryError the heap is suspect: the pool starts a fresh worker


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class _Proc:
    """One worker process of the pool, seen from the parent."""

    def __init__(self, ctx, max_memory: Optional[int]):
        self.conn, child = ctx.Pipe()
        self.stage = ctx.Array("c", 16, lock=False)
        self.errfd, self.errlog = tempfile.mkstemp(prefix="gongwen-worker-", suffix=".stderr")
        self.proc = ctx.Process(target=_worker, args=(child, os.getpid(), max_memory, self.stage, self.errlog),
                                daemon=True)
        self.proc.start()
        child.close()
        self.task: Optional[Task] = None
        self.since = 0.0
        self.clock = 0.0  # when the time limit started: the document's start, or its last OCR'd page's
        self.seen = b""  # the stage value last seen by the watchdog
        self.done = 0
        self.peak = 0  # the largest resident set seen by the watchdog, bytes

    def send(self, task: Task) -> None:
        self.task, self.since = task, time.monotonic()
        self.clock, self.seen = self.since, b""
        self.conn.send(task)

    def rss(self) -> int:
        try:
            with open(f"/proc/{self.proc.pid}/statm", encoding="ascii") as f:
                n = int(f.read().split()[1]) * _PAGE
        except (OSError, ValueError, IndexError):
            return 0
        self.peak = max(self.peak, n)
        return n

    def stage_name(self) -> str:
        return self.stage.value.decode("ascii", "replace").split(" ")[0] or "ingest"

    def tick(self, now: float) -> float:
        """Seconds on the time limit's clock: an OCR'd document gets the limit per page
        (the reader reports each page as the stage "ingest ocr N")."""
        value = self.stage.value
        if value != self.seen:
            self.seen = value
            if b" ocr " in value:
                self.clock = now
        return now - self.clock

    def last_words(self) -> str:
        """The first line the worker wrote to its stderr (a library's dying message)."""
        try:
            said = os.pread(self.errfd, 4096, 0).decode("utf-8", "replace")
        except OSError:
            return ""
        return next((ln.strip() for ln in said.splitlines() if ln.strip()), "")[:200]

    def _cleanup(self) -> None:
        self.conn.close()
        if self.errfd >= 0:
            os.close(self.errfd)
            self.errfd = -1
        try:
            os.unlink(self.errlog)  # when the worker died before it could
        except OSError:
            pass

    def kill(self) -> None:
        try:
            self.proc.kill()
        except (OSError, ValueError):
            pass
        self.proc.join(5)
        self._cleanup()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.proc.join(5)
        if self.proc.is_alive():
            self.kill()
        else:
            self._cleanup()


class LocalEngine:
    """``workers`` processes on this machine, each running one document at a time under
    ``limits``; with one worker and no limits, documents run in this process."""

    def __init__(self, workers: int = 1, recycle_after: Optional[int] = None, limits: Limits = NO_LIMITS):
        self.workers = max(1, workers)
        self.recycle_after = recycle_after or RECYCLE_AFTER
        self.limits = limits

    def _ctx(self):
        # forkserver: workers fork from a server that imported and warmed the pipeline once
        # (pipeline._preload), so a fresh worker starts in milliseconds, not seconds.
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["pipeline._preload"])
        return ctx

    def map(self, tasks: Iterable[Task]) -> Iterator[Outcome]:
        if self.workers == 1 and not self.limits:
            warm()
            for t in tasks:
                yield run_task(t)
            return
        ctx = self._ctx()
        timeout, max_memory = self.limits.doc_timeout, self.limits.max_memory
        todo = iter(tasks)
        procs = [_Proc(ctx, max_memory) for _ in range(self.workers)]
        exhausted = False
        last_look = 0.0
        try:
            while True:
                # give every idle worker its next document (a worker is replaced after
                # recycle_after documents: spaCy's StringStore only grows)
                for k, p in enumerate(procs):
                    if p.task is None and not exhausted:
                        t = next(todo, None)
                        if t is None:
                            exhausted = True
                            break
                        if p.done >= self.recycle_after:
                            p.stop()
                            procs[k] = p = _Proc(ctx, max_memory)
                        try:
                            p.send(t)
                        except (OSError, ValueError) as e:  # died while idle
                            p.kill()
                            procs[k] = _Proc(ctx, max_memory)
                            yield _crashed(t, e)
                busy = [p for p in procs if p.task is not None]
                if not busy:
                    return
                ready = multiprocessing.connection.wait([p.conn for p in busy] + [p.proc.sentinel for p in busy],
                                                        timeout=WATCH_EVERY)
                outcomes: list[Outcome] = []
                for k, p in enumerate(procs):
                    if p.task is None or (p.conn not in ready and p.proc.sentinel not in ready):
                        continue
                    t = p.task
                    try:
                        outcome = p.conn.recv()
                    except (EOFError, OSError) as e:
                        outcome = self._died(p, t, e)
                        procs[k] = _Proc(ctx, max_memory)
                    else:
                        p.task, p.done = None, p.done + 1
                        if outcome.failure is not None and outcome.failure.error == errors.MEMORY_LIMIT:
                            p.kill()  # it exits by itself; a fresh one takes its place
                            procs[k] = _Proc(ctx, max_memory)
                    outcomes.append(outcome)
                now = time.monotonic()
                if now - last_look >= WATCH_EVERY or not ready:
                    last_look = now
                    for k, p in enumerate(procs):
                        if p.task is None:
                            continue
                        if timeout is not None and p.tick(now) > timeout:
                            outcomes.append(self._stopped(p, errors.TIME_LIMIT,
                                            f"stopped after {now - p.since:.0f} s: over the time limit of "
                                            f"{timeout:g} s per document, or per page of a scan (--doc-timeout)"))
                            procs[k] = _Proc(ctx, max_memory)
                        elif max_memory is not None and (rss := p.rss()) > max_memory:
                            outcomes.append(self._stopped(p, errors.MEMORY_LIMIT,
                                            f"stopped at {format_bytes(rss)}B resident: over the memory limit of "
                                            f"{format_bytes(max_memory)}B per worker (--max-memory)"))
                            procs[k] = _Proc(ctx, max_memory)
                yield from outcomes
        finally:
            for p in procs:
                if p.task is None:
                    p.stop()
                else:
                    p.kill()

    def _stopped(self, p: _Proc, code: str, message: str) -> Outcome:
        t, stage = p.task, p.stage_name()
        p.kill()
        return Outcome(t.index, None, None, Failure(t.shown, stage, code, message), versions(), p.peak // 1024,
                       time.monotonic() - p.since)

    def _died(self, p: _Proc, t: Task, err: BaseException) -> Outcome:
        """A worker that exited under a document: killed by the kernel's OOM killer (or
        any SIGKILL we did not send) counts as the memory limit, anything else as a crash."""
        stage = p.stage_name()
        p.proc.join(5)
        code = p.proc.exitcode
        said = p.last_words()
        p._cleanup()
        why = f": {said}" if said else ""
        if code == -signal.SIGKILL:
            message = f"the worker was killed by the system (out of memory) while on this document{why}"
        elif code is not None and code < 0 and self.limits.max_memory and (
                p.peak >= self.limits.max_memory // 2 or "memory" in said.lower()):
            message = (f"the worker ran out of memory under the limit of {format_bytes(self.limits.max_memory)}B "
                       f"(--max-memory) and aborted{why}")
        else:
            return _crashed(t, RuntimeError((f"exit code {code}" if code is not None else str(err)) + why))
        return Outcome(t.index, None, None, Failure(t.shown, stage, errors.MEMORY_LIMIT, message),
                       versions(), p.peak // 1024, time.monotonic() - p.since)


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
                data, failure = read_input(t.path, t.shown)
                if failure is not None:
                    yield Outcome(t.index, None, None, failure, versions(), 0)
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
