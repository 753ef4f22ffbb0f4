"""Contract section 8: score outputs against gold files, micro-averaged over documents.

Matching is one-to-one per document: departments by exact name; date windows by
(start, end) with kind in agreement (recurring windows are not scored); figures by
(value, unit); household counts by (households, persons); tasks by (title, start, end,
responsible). Metadata is scored per field: a non-null prediction equal to gold is a
true positive, a different one a false positive (and a miss when gold has a value).
Attributes checked separately (kind/approx of figures, category/year of household
counts) are reported as agreement over the matched pairs. ``date_windows.year_inferred``
is the precision of the predicted year-inferred windows (contract section 4). A gold file
with ``"scored_fields": [...]`` is scored on those fields only (a partial annotation).
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

METADATA_SCALARS = ("title", "doc_number", "doc_type", "issuer", "issue_date", "reference_year")
METADATA_LISTS = ("recipients", "cited_documents")


def _num(v: Any) -> Any:
    return round(float(v), 6) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


KEYS: dict[str, Callable[[dict], tuple]] = {
    "date_windows": lambda d: (d.get("start"), d.get("end"), d.get("kind")),
    "figures": lambda d: (_num(d.get("value")), d.get("unit")),
    "household_counts": lambda d: (d.get("households"), d.get("persons")),
    "tasks": lambda d: (d.get("title"), d.get("start"), d.get("end"), tuple(d.get("responsible") or ())),
}
ATTRIBUTES = {"figures": ("kind", "approx", "subject"), "household_counts": ("category", "year")}


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)
    attrs: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _predicted(record: dict, key: str) -> list[dict]:
    """A record's items reduced to the gold shape of ``key``."""
    if key == "departments":
        return [{"name": d["name"]} for d in record.get("departments", [])]
    if key == "tasks":
        out = []
        for t in record.get("tasks", []):
            w = t.get("window") or {}
            out.append({"title": t.get("title"), "responsible": list(t.get("responsible") or []),
                        "start": w.get("start"), "end": w.get("end"), "text": t.get("text")})
        return out
    return list(record.get(key, []))


def _match(doc: str, gold: list[dict], pred: list[dict], key_fn, score: Score, attrs=()) -> None:
    gold_by: dict[tuple, list[dict]] = defaultdict(list)
    pred_by: dict[tuple, list[dict]] = defaultdict(list)
    for g in gold:
        gold_by[key_fn(g)].append(g)
    for p in pred:
        pred_by[key_fn(p)].append(p)
    for k in sorted(set(gold_by) | set(pred_by), key=repr):
        gs, ps = gold_by.get(k, []), pred_by.get(k, [])
        n = min(len(gs), len(ps))
        score.tp += n
        for g, p in zip(gs, ps):
            for a in attrs:
                if a in g:
                    score.attrs[a][0] += g[a] == p.get(a)
                    score.attrs[a][1] += 1
        for g in gs[n:]:
            score.fn += 1
            score.misses.append(f"{doc}: {g.get('text', g.get('name', g.get('title')))!r} {k}")
        for p in ps[n:]:
            score.fp += 1
            score.false_positives.append(f"{doc}: {p.get('text', p.get('name', p.get('title')))!r} {k}")


def _metadata(doc: str, gold: dict, pred: dict, scores: dict[str, Score]) -> None:
    s = scores.setdefault("metadata", Score())
    for f in METADATA_SCALARS:
        g, p = gold.get(f), pred.get(f)
        if p is not None and p == g:
            s.tp += 1
        else:
            if p is not None:
                s.fp += 1
                s.false_positives.append(f"{doc}: {f}={p!r} (gold {g!r})")
            if g is not None:
                s.fn += 1
                s.misses.append(f"{doc}: {f}={g!r} (got {p!r})")
    for f in METADATA_LISTS:
        _match(doc, [{"name": x} for x in gold.get(f) or []], [{"name": x} for x in pred.get(f) or []],
               lambda d: (d["name"],), scores.setdefault(f"metadata.{f}", Score()))


def _year_inferred(doc: str, gold: list[dict], pred: list[dict], score: Score) -> None:
    """Year-inferred windows (contract section 4): a predicted one is a true positive when it
    matches a gold window that no explicit-year prediction took, else a false positive; a
    gold window marked ``year_inferred`` that no prediction matches is a miss."""
    key = KEYS["date_windows"]
    left = Counter(key(g) for g in gold)
    for p in pred:
        if not p.get("year_inferred") and left[key(p)] > 0:
            left[key(p)] -= 1
    for p in pred:
        if p.get("year_inferred"):
            if left[key(p)] > 0:
                left[key(p)] -= 1
                score.tp += 1
            else:
                score.fp += 1
                score.false_positives.append(f"{doc}: {p.get('text')!r} {key(p)}")
    found = Counter(key(p) for p in pred)
    for g in gold:
        if g.get("year_inferred"):
            if found[key(g)] > 0:
                found[key(g)] -= 1
            else:
                score.fn += 1
                score.misses.append(f"{doc}: {g.get('text')!r} {key(g)}")


def load_outputs(outdir: Path, key: Callable[[Path], str] = lambda src: src.name) -> dict[str, dict]:
    """Output records under ``outdir`` by ``key`` of their source path (default: its file name)."""
    out = {}
    for p in sorted(outdir.rglob("*.json")):
        try:
            d = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(d, dict) and "source" in d:
            out[key(Path(d["source"]["path"]))] = d
    return out


def evaluate(outdir: Path, golddir: Path) -> tuple[dict[str, Score], list[str]]:
    """Scores per field, and the gold documents that have no output."""
    outputs = load_outputs(outdir)
    scores: dict[str, Score] = {}
    missing = []
    for gp in sorted(golddir.glob("*.json")):
        gold = json.loads(gp.read_text(encoding="utf-8"))
        doc = gold["doc"]
        record = outputs.get(doc)
        if record is None:
            missing.append(doc)
            record = {}
        scored = set(gold.get("scored_fields") or ["metadata", "departments", *KEYS])  # a partial gold file
        if "metadata" in scored:
            _metadata(doc, gold.get("metadata") or {}, record.get("metadata") or {}, scores)
        if "departments" in scored:
            _match(doc, [{"name": n} for n in gold.get("departments", [])], _predicted(record, "departments"),
                   lambda d: (d["name"],), scores.setdefault("departments", Score()))
        for key, key_fn in KEYS.items():
            if key not in scored:
                continue
            gold_items, pred_items = gold.get(key, []), _predicted(record, key)
            if key == "date_windows":
                gold_items = [g for g in gold_items if g.get("kind") != "recurring"]
                pred_items = [p for p in pred_items if p.get("kind") != "recurring"]
            _match(doc, gold_items, pred_items, key_fn, scores.setdefault(key, Score()), ATTRIBUTES.get(key, ()))
            if key == "date_windows":
                _year_inferred(doc, gold_items, pred_items, scores.setdefault("date_windows.year_inferred", Score()))
    return scores, missing


def metadata_exact_match(outdir: Path, golddir: Path) -> dict[str, tuple[int, int]]:
    """Per metadata field: (exact matches, gold documents with a value), gold null skipped."""
    outputs = load_outputs(outdir)
    out: dict[str, list[int]] = {f: [0, 0] for f in (*METADATA_SCALARS, "co_issuers", *METADATA_LISTS)}
    for gp in sorted(golddir.glob("*.json")):
        gold = json.loads(gp.read_text(encoding="utf-8"))
        g_md = gold.get("metadata") or {}
        p_md = (outputs.get(gold["doc"]) or {}).get("metadata") or {}
        for f in out:
            if f not in g_md or g_md[f] in (None, []) and f != "co_issuers":
                continue
            out[f][1] += 1
            out[f][0] += p_md.get(f) == g_md[f]
    return {f: (ok, n) for f, (ok, n) in out.items() if n}


def exact_report(rates: dict[str, tuple[int, int]]) -> str:
    return "\n".join(["metadata exact match per field (gold documents with a value)"]
                     + [f"  {f:<26}{ok:4d}/{n:<4d}{ok / n:7.3f}" for f, (ok, n) in rates.items()])


def report(scores: dict[str, Score], missing: list[str], verbose: bool = True) -> str:
    lines = [f"{'field':<28}{'P':>7}{'R':>7}{'F1':>7}   tp   fp   fn"]
    for name, s in scores.items():
        lines.append(f"{name:<28}{s.precision:7.3f}{s.recall:7.3f}{s.f1:7.3f} {s.tp:4d} {s.fp:4d} {s.fn:4d}")
        for a, (ok, n) in s.attrs.items():
            lines.append(f"  {name}.{a} agreement on matched pairs: {ok}/{n}")
    for doc in missing:
        lines.append(f"NO OUTPUT for gold document {doc}")
    if verbose:
        for name, s in scores.items():
            for m in s.misses:
                lines.append(f"MISS {name}: {m}")
            for fp in s.false_positives:
                lines.append(f"FP   {name}: {fp}")
    return "\n".join(lines)
