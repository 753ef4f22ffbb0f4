"""Batch runs (issue 7): incremental skip, rule changes, prune, failures kept until fixed,
parallel equals serial, kill -9 and resume."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline import batch, engines, rules

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "corpus").glob("*.txt"))[:3]  # the Simplified seeds: quick to process


def make_corpus(d: Path, pieces: int = 6) -> Path:
    """Three seeds, ``pieces`` short documents cut from a seed in a subdirectory, one empty file."""
    d.mkdir(parents=True)
    for p in SEEDS:
        shutil.copy(p, d / p.name)
    lines = [line for line in SEEDS[0].read_text(encoding="utf-8").splitlines() if line.strip()]
    (d / "sub").mkdir()
    for i in range(pieces):
        chunk = lines[(i * 3) % len(lines):(i * 3) % len(lines) + 4]
        (d / "sub" / f"piece{i:02d}.txt").write_text(f"第{i}份\n" + "\n".join(chunk) + "\n", encoding="utf-8")
    (d / "empty.txt").write_bytes(b"")
    return d


def tree(outdir: Path) -> dict[str, bytes]:
    """Every file under ``outdir`` except the run's own state directory."""
    return {p.relative_to(outdir).as_posix(): p.read_bytes() for p in sorted(outdir.rglob("*"))
            if p.is_file() and batch.STATE_DIR not in p.relative_to(outdir).parts}


def errors(outdir: Path) -> list[str]:
    return [Path(json.loads(line)["path"]).name for line in (outdir / batch.ERRORS_FILE).read_text().splitlines()]


@pytest.fixture
def pinned(monkeypatch):
    """A rules version of our own (others may edit rules/ while the tests run)."""
    version = {"v": "rules-1"}
    monkeypatch.setattr(rules, "rules_version", lambda: version["v"])
    return version


@pytest.fixture
def src(tmp_path):
    return make_corpus(tmp_path / "src")


def test_rerun_skips_what_is_unchanged_and_keeps_errors(src, tmp_path, pinned):
    out = tmp_path / "out"
    first = batch.run([src], out)
    assert (first.processed, first.failed, first.skipped) == (9, 1, 0)
    before = tree(out)
    assert errors(out) == ["empty.txt"]
    second = batch.run([src], out)
    # the failed input is retried (and fails again); everything else is skipped
    assert (second.processed, second.failed, second.skipped) == (0, 1, 9)
    assert tree(out) == before
    assert not list((out / batch.STATE_DIR / "tmp").iterdir())


def test_touched_inputs_are_rehashed_changed_ones_redone(src, tmp_path, pinned):
    out = tmp_path / "out"
    batch.run([src], out)
    piece = src / "sub" / "piece01.txt"
    st = piece.stat()
    os.utime(piece, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # same bytes, new mtime
    assert batch.run([src], out).skipped == 9
    assert batch.run([src], out).skipped == 9  # the new mtime was recorded: no rehash again
    piece.write_text(piece.read_text(encoding="utf-8") + "各乡镇要在2021年6月底前完成。\n", encoding="utf-8")
    s = batch.run([src], out)
    assert (s.processed, s.skipped) == (1, 8)
    assert "6月底前" in json.loads((out / "sub" / "piece01.txt.json").read_text())["text"]


def test_rule_change_and_force_reprocess_everything(src, tmp_path, pinned):
    out = tmp_path / "out"
    batch.run([src], out)
    pinned["v"] = "rules-2"
    s = batch.run([src], out)
    assert (s.processed, s.skipped) == (9, 0)
    record = json.loads((out / SEEDS[0].name).with_suffix(".txt.json").read_text())
    assert record["provenance"]["rules_version"] == "rules-2"
    assert batch.run([src], out).skipped == 9
    assert batch.run([src], out, force=True).processed == 9


def test_code_change_reprocesses_without_a_version_bump(src, tmp_path, pinned, monkeypatch):
    out = tmp_path / "out"
    batch.run([src], out)
    assert batch.run([src], out).skipped == 9
    monkeypatch.setattr(engines, "code_hash", lambda: "edited-code")
    assert batch.run([src], out).processed == 9
    assert batch.run([src], out).skipped == 9


def test_code_hash_covers_the_package_sources():
    engines.code_hash.cache_clear()
    h = engines.code_hash()
    assert len(h) == 12 and h == engines.code_hash()
    assert engines.versions()[0].endswith("+" + h)


def test_other_options_that_change_outputs_are_part_of_the_key(src, tmp_path, pinned):
    from datetime import date
    out = tmp_path / "out"
    batch.run([src], out)
    assert batch.run([src], out, reference_date=date(2020, 1, 1)).processed == 9


def test_missing_outputs_are_redone_and_prune_removes_orphans(src, tmp_path, pinned):
    out = tmp_path / "out"
    batch.run([src], out)
    (out / "sub" / "piece02.txt.json").unlink()
    s = batch.run([src], out)
    assert (s.processed, s.skipped) == (1, 8) and (out / "sub" / "piece02.txt.json").exists()

    shutil.rmtree(src / "sub")
    assert batch.run([src], out).pruned == 0
    assert (out / "sub" / "piece00.txt.json").exists()  # kept without --prune
    s = batch.run([src], out, prune=True)
    assert s.pruned == 6
    assert not (out / "sub").exists()  # outputs gone, and the directory they leave empty
    manifest = (out / batch.STATE_DIR / batch.MANIFEST_FILE).read_text()
    assert "piece" not in manifest


def test_failure_is_retried_until_fixed_and_a_broken_input_loses_its_output(src, tmp_path, pinned):
    out = tmp_path / "out"
    assert batch.run([src], out).failed == 1
    (src / "empty.txt").write_text("关于开展2021年扶贫日活动的通知\n", encoding="utf-8")
    s = batch.run([src], out)
    assert (s.processed, s.failed) == (1, 0)
    assert errors(out) == [] and (out / "empty.txt.json").exists()
    (src / "sub" / "piece03.txt").write_bytes(b"")
    s = batch.run([src], out)
    assert (s.processed, s.failed) == (0, 1)
    assert errors(out) == ["piece03.txt"]
    assert not (out / "sub" / "piece03.txt.json").exists()  # no output outlives a change of its input


def test_errors_describe_the_outdir_across_partial_runs(src, tmp_path, pinned):
    out = tmp_path / "out"
    batch.run([src], out)
    s = batch.run([src / SEEDS[0].name], out)  # one file: same name, same output
    assert (s.processed, s.failed, s.skipped) == (0, 0, 1)
    assert errors(out) == ["empty.txt"]  # still failed: nothing has fixed it
    (src / "empty.txt").unlink()
    assert errors(out) == ["empty.txt"] and batch.run([src], out).failed == 0
    batch.run([src], out, prune=True)
    assert errors(out) == []


def test_an_outdir_inside_the_input_is_not_read_back(src, pinned):
    first = batch.run([src], src / "out")
    second = batch.run([src], src / "out")
    assert (first.processed + first.failed, second.skipped) == (10, 9)


def test_torn_manifest_and_stale_temp_files_are_survived(src, tmp_path, pinned):
    out = tmp_path / "out"
    batch.run([src], out)
    state = out / batch.STATE_DIR
    with open(state / batch.MANIFEST_FILE, "a") as f:
        f.write('{"rel":"sub/piece00.txt","status":"o')  # killed mid-line
    (state / "tmp" / ".x.json.abc.tmp").write_text("{partial")
    s = batch.run([src], out)
    assert (s.processed, s.skipped) == (0, 9)
    assert not list((state / "tmp").iterdir())
    assert not list(out.rglob("*.tmp"))


def test_one_run_per_outdir(src, tmp_path, pinned):
    out = tmp_path / "out"
    state, lock = batch._open_state(out)
    try:
        with pytest.raises(RuntimeError, match="another gongwen run"):
            batch.run([src], out)
    finally:
        lock.close()


def test_skipping_a_thousand_files_takes_well_under_a_second(tmp_path, pinned, monkeypatch):
    monkeypatch.setattr(engines, "render", lambda data, shown, suffix, ref: ('{"doc": 1}\n', None))
    src = tmp_path / "many"
    for i in range(1000):
        d = src / f"d{i // 100}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{i}.txt").write_text(f"第{i}号通知", encoding="utf-8")
    out = tmp_path / "out"
    assert batch.run([src], out).processed == 1000
    t = time.perf_counter()
    s = batch.run([src], out)
    took = time.perf_counter() - t
    assert s.skipped == 1000
    assert took < 0.5, f"no-change rerun of 1000 files took {took:.2f}s"


def test_parallel_equals_serial_with_recycled_workers(src, tmp_path, monkeypatch):
    monkeypatch.setattr(engines, "RECYCLE_AFTER", 2)  # every worker is replaced several times
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    batch.run([src], serial, workers=1)
    s = batch.run([src], parallel, workers=2)
    assert (s.processed, s.failed) == (9, 1)
    assert s.peak_rss_kb > 0
    assert tree(parallel) == tree(serial)


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(p.name))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.add(c)
            todo.append(c)
    return out


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find worker processes")
def test_kill_9_mid_run_then_rerun_equals_a_clean_run(tmp_path):
    src = make_corpus(tmp_path / "src", pieces=60)
    cmd = [sys.executable, "-m", "pipeline", "run", "src", "--workers", "2", "--quiet", "-o"]
    clean = subprocess.run(cmd + ["clean"], cwd=tmp_path, capture_output=True, text=True)
    assert clean.returncode == 3, clean.stderr  # the empty file fails

    out = tmp_path / "out"
    proc = subprocess.Popen(cmd + ["out"], cwd=tmp_path)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list(out.rglob("*.txt.json"))) >= 10:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed"
    workers = _descendants(proc.pid)
    assert workers, "no worker processes found"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    written = len(list(out.rglob("*.txt.json")))
    assert 10 <= written < 63

    deadline = time.monotonic() + 10  # orphaned workers notice and exit
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.1)
    assert not any(_alive(p) for p in workers), "worker processes outlived the killed run"

    again = subprocess.run([c for c in cmd if c != "--quiet"] + ["out"], cwd=tmp_path, capture_output=True,
                           text=True)
    assert again.returncode == 3, again.stderr
    assert tree(out) == tree(tmp_path / "clean")
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert not list((out / batch.STATE_DIR / "tmp").iterdir())
    # the resumed run did not redo what the killed one had finished (bar at most the last one)
    up_to_date = int(again.stderr.split(" up to date")[0].rsplit(" ", 1)[1])
    assert up_to_date >= written - 2, again.stderr


def test_cli_flags(tmp_path):
    from pipeline.cli import main
    src = make_corpus(tmp_path / "src", pieces=1)
    assert main(["run", str(src), "-o", str(tmp_path / "o"), "--engine", "dask", "--quiet"]) == 2
    assert main(["run", str(src), "-o", str(tmp_path / "o"), "--workers", "1", "--quiet", "--force"]) == 3
    assert main(["run", str(src), "-o", str(tmp_path / "o"), "--workers", "1", "--quiet", "--prune"]) == 3


def test_progress_bar_and_log_lines():
    import io

    from pipeline.progress import Bar, LogLines
    from pipeline.schema import Failure
    job = batch.Job(Path("a.txt"), "a.txt", "a.txt")
    bad = Failure("b.txt", "ingest", "empty_input", "the file is empty")
    for cls in (Bar, LogLines):
        stream = io.StringIO()
        p = cls(stream)
        p.start(2, 5, 2000)
        p.advance(job, None, 1000)
        p.advance(batch.Job(Path("b.txt"), "b.txt", "b.txt"), bad, 1000)
        p.finish(batch.Summary(processed=1, failed=1, skipped=5, seconds=1.0))
        text = stream.getvalue()
        assert "5 up to date, 2 to process" in text
        assert "FAILED b.txt: ingest/empty_input" in text
        assert "1 processed, 1 failed, 5 up to date" in text
    stream = io.StringIO()
    bar = Bar(stream)
    bar.start(4, 0, 4000)
    bar.advance(job, None, 1000)
    assert "[" in stream.getvalue() and "1/4 files" in stream.getvalue()
    assert "ETA" in stream.getvalue() and "0 failed" in stream.getvalue() and "B/s" in stream.getvalue()
