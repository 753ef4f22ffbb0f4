"""Session fixtures shared by all tests."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"
CASES = Path(__file__).resolve().parent / "cases"


def load_cases(key: str) -> list[dict]:
    """tests/cases/<key>.jsonl: one case per line (blank lines and // comments skipped)."""
    out = []
    for no, line in enumerate((CASES / f"{key}.jsonl").read_text(encoding="utf-8").splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("//"):
            case = json.loads(line)
            case.setdefault("id", f"{key}:{no}")
            out.append(case)
    return out


def case_params(cases: list[dict]) -> list:
    """pytest params of cases, ids ``<id>:<split>``; a case with "xfail" is a strict xfail."""
    out = []
    for c in cases:
        marks = [pytest.mark.xfail(strict=True, reason=c["xfail"])] if c.get("xfail") else []
        out.append(pytest.param(c, id=f"{c['id']}:{c.get('family', '')}:{c['split']}", marks=marks))
    return out


def seed_paths() -> list[Path]:
    return sorted(CORPUS.glob("*.txt"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent (tests on the shared corpus need the team's checkout layout)")
    return SHARED
