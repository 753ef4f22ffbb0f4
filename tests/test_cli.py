"""The CLI end to end: gongwen run / extract / schema, exit codes, error records."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from conftest import CORPUS, ROOT, seed_paths
from pipeline.cli import main
from pipeline.schema import json_schema


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    rc = main(["run", str(CORPUS), "-o", str(out), "--exclude", "gold/*", "--quiet", "--workers", "2"])
    return rc, out


def test_run_writes_one_valid_output_per_seed(corpus_run):
    rc, out = corpus_run
    assert rc == 0
    schema = json_schema()
    for seed in seed_paths():
        path = out / (seed.name + ".json")
        record = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.validate(record, schema)
        assert record["source"]["format"] == "txt"
        assert record["doc_id"] == record["source"]["sha256"][:16]
        for key in ("date_windows", "figures", "household_counts", "tasks"):
            for item in record[key]:
                s, e = item["span"]
                assert record["text"][s:e] == item["text"]
    assert (out / "errors.jsonl").read_text() == ""
    assert not list(out.rglob("gold*")), "gold files are not inputs"


def test_contract_checker_accepts_outputs(corpus_run, shared_dir):
    _, out = corpus_run
    r = subprocess.run([sys.executable, str(shared_dir / "tools" / "check_outputs.py"), str(out), "--expect", "4"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout


def test_second_run_is_byte_identical(corpus_run, tmp_path):
    _, out = corpus_run
    assert main(["run", str(CORPUS), "-o", str(tmp_path), "--exclude", "gold/*", "--quiet", "--workers", "1"]) == 0
    for first in sorted(out.glob("*.txt.json")):
        assert (tmp_path / first.name).read_bytes() == first.read_bytes()


def test_bad_inputs_give_error_records_and_exit_3(tmp_path):
    inputs = tmp_path / "in"
    (inputs / "sub").mkdir(parents=True)
    shutil.copy(CORPUS / "000_ebc4226e16baa30c.txt", inputs / "good.txt")
    shutil.copy(CORPUS / "002_10f6fb602d0c0365.txt", inputs / "sub" / "good2.txt")
    (inputs / "empty.txt").write_bytes(b"")
    (inputs / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (inputs / "sub" / "truncated.txt").write_bytes("低保户27户64人".encode()[:-1])
    out = tmp_path / "out"
    rc = main(["run", str(inputs), "-o", str(out), "--quiet", "--workers", "1"])
    assert rc == 3
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    assert {Path(e["path"]).name: e["error"] for e in errors} == {
        "empty.txt": "empty_input", "binary.txt": "binary_input"}
    # a truncated file is read, its broken last character marked (issue 14)
    truncated = json.loads((out / "sub" / "truncated.txt.json").read_text())
    assert truncated["text"].startswith("低保户27户64") and truncated["normalization"]["suspect_chars"] == 1
    assert all(set(e) == {"path", "stage", "error", "message"} and e["message"] for e in errors)
    assert json.loads((out / "good.txt.json").read_text())["text"]
    assert json.loads((out / "sub" / "good2.txt.json").read_text())["text"]
    assert not (out / "empty.txt.json").exists()
    assert not list(out.rglob("*.tmp"))


def test_outputs_keep_input_names_so_formats_do_not_collide(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "b.txt").write_text("关于开展扶贫日活动的通知", encoding="utf-8")
    (inputs / "b.md").write_text("关于开展扶贫日活动的通知", encoding="utf-8")
    assert main(["run", str(inputs), "-o", str(tmp_path / "out"), "--quiet", "--workers", "1"]) == 0
    assert sorted(p.name for p in (tmp_path / "out").glob("*.json")) == ["b.md.json", "b.txt.json"]


def test_extract_stdin_jsonl_version_and_usage():
    seed = (CORPUS / "001_9540435536d8df7a.txt").read_bytes()
    r = subprocess.run([sys.executable, "-m", "pipeline", "extract", "-"], input=seed, capture_output=True,
                       cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    record = json.loads(r.stdout)
    assert record["source"]["path"] == "<stdin>" and record["text"].startswith("来源:河南扶贫")

    rows = "\n".join(json.dumps(row, ensure_ascii=False) for row in [
        {"id": "a", "text": "低保户27户64人"},
        {"id": 7, "text": "10月中旬前完成", "reference_date": "2021-05-01"},
        {"id": "bad"},
    ]) + "\n"
    r = subprocess.run([sys.executable, "-m", "pipeline", "extract", "--jsonl", "-"], input=rows.encode(),
                       capture_output=True, cwd=ROOT, timeout=300)
    lines = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert [x["id"] for x in lines] == ["a", 7, "bad"]
    assert lines[0]["text"] == "低保户27户64人" and "error" in lines[2]
    assert r.returncode == 3

    assert _run("--version").stdout.startswith("gongwen ")
    assert _run("run").returncode == 2
    assert _run("frobnicate").returncode == 2
    assert "examples:" in _run("--help").stdout


def test_schema_command_prints_valid_schema(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["required"]) >= {"schema_version", "doc_id", "text", "figures", "provenance"}
