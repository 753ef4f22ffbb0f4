"""``gongwen gold import``: reviewers' corrections (``corrections-<doc_id>.json``, exported
by the review site) into gold files in the contract's section 8 format.

A document's gold is what the reviewer accepted: every item marked right as extracted,
every corrected item with the reviewer's values (and boundary), every added item, and
nothing marked wrong (a metadata field marked wrong becomes null, or [] for a list).
Items left unreviewed would copy the extractor into the gold, so a document with any is
refused unless ``accept_unreviewed`` (which then keeps them as extracted, and says so).
Format: docs/review.md.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from .batch import write_atomic

FORMAT, VERSION = "gongwen-corrections", 1
VERDICTS = ("right", "wrong", "edited")
METADATA_LISTS = ("recipients", "cited_documents", "co_issuers")
METADATA_ORDER = ("title", "doc_number", "doc_type", "issuer", "co_issuers", "issue_date", "recipients",
                  "cited_documents", "reference_year")
ITEM_KEYS = {
    "date_windows": ("text", "kind", "start", "end"),
    "figures": ("text", "value", "unit", "kind", "approx"),
    "household_counts": ("text", "households", "persons", "category", "year"),
    "tasks": ("title", "responsible", "start", "end"),
}


class CorrectionsError(ValueError):
    """A corrections file that cannot become gold (named, with the reason)."""


@dataclass(frozen=True)
class Imported:
    path: Path  # the gold file written
    doc: str
    counts: dict[str, int]  # right, wrong, edited, added, unreviewed


def _number(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _apply(item: dict) -> dict:
    gold = dict(item.get("gold") or {})
    edit = item.get("edit") or {}
    for k, v in edit.items():
        if k != "span":
            gold[k] = v
    return {k: _number(v) for k, v in gold.items()}


def _span_start(item: dict) -> int:
    span = (item.get("edit") or {}).get("span") or item.get("span") or [0, 0]
    return int(span[0])


def to_gold(corr: dict, *, name: str = "corrections", accept_unreviewed: bool = False) -> tuple[dict, dict]:
    """(gold file dict, counts) of one corrections dict; raises CorrectionsError."""
    if not isinstance(corr, dict) or corr.get("format") != FORMAT:
        raise CorrectionsError(f"{name}: not a gongwen corrections file (\"format\": \"{FORMAT}\" missing)")
    if corr.get("version") != VERSION:
        raise CorrectionsError(f"{name}: corrections version {corr.get('version')!r}, this gongwen reads {VERSION}")
    doc = corr.get("doc")
    if not isinstance(doc, str) or Path(doc).name != doc or doc in ("", ".", ".."):
        raise CorrectionsError(f"{name}: \"doc\" must be the document's file name, got {doc!r}")
    items = corr.get("items")
    added = corr.get("added") or []
    if not isinstance(items, list) or not isinstance(added, list):
        raise CorrectionsError(f"{name}: \"items\" and \"added\" must be lists")
    counts = {"right": 0, "wrong": 0, "edited": 0, "added": 0, "unreviewed": 0}
    for it in items:
        v = it.get("verdict")
        if v is None:
            counts["unreviewed"] += 1
        elif v in VERDICTS:
            counts[v] += 1
        else:
            raise CorrectionsError(f"{name}: item {it.get('id')!r} has verdict {v!r} (right, wrong, edited or null)")
    if counts["unreviewed"] and not accept_unreviewed:
        raise CorrectionsError(
            f"{name}: {counts['unreviewed']} of {len(items)} items are not reviewed; mark them in the review page "
            f"(\"mark unreviewed as right\" accepts the rest) or pass --accept-unreviewed to keep them as extracted")

    metadata: dict[str, Any] = {}
    fields: dict[str, list[dict]] = {"departments": [], **{k: [] for k in ITEM_KEYS}}
    for it in items:
        field, verdict = it.get("field"), it.get("verdict")
        if field == "metadata":
            key = it.get("name")
            if key not in METADATA_ORDER:
                continue
            if verdict == "wrong":
                metadata[key] = [] if key in METADATA_LISTS else None
            else:
                metadata[key] = _apply(it).get(key)
            continue
        if field not in fields:
            raise CorrectionsError(f"{name}: item {it.get('id')!r} has unknown field {field!r}")
        if verdict == "wrong":
            continue
        fields[field].append(it)
    for a in added:
        field = a.get("field")
        if field not in fields:
            raise CorrectionsError(f"{name}: added item {a.get('id')!r} has unknown field {field!r}")
        if a.get("verdict") == "wrong":
            continue
        counts["added"] += 1
        fields[field].append({**a, "edit": None})

    gold: dict[str, Any] = {"doc": doc, "metadata": {k: metadata.get(k, [] if k in METADATA_LISTS else None)
                                                     for k in METADATA_ORDER if k in metadata or k != "co_issuers"}}
    names: list[str] = []
    for it in sorted(fields["departments"], key=_span_start):
        n = _apply(it).get("name")
        if isinstance(n, str) and n and n not in names:
            names.append(n)
    gold["departments"] = names
    for key, keys in ITEM_KEYS.items():
        rows = []
        for it in sorted(fields[key], key=_span_start):
            g = _apply(it)
            rows.append({k: g.get(k, [] if k == "responsible" else None) for k in keys})
        gold[key] = rows
    return gold, counts


def import_files(paths: Iterable[Path], out: Path, *, force: bool = False,
                 accept_unreviewed: bool = False) -> list[Imported]:
    """Write one gold file per corrections file into ``out``; all files are checked first,
    so a bad one writes nothing. Existing gold is kept unless ``force``."""
    planned: list[tuple[Path, dict, dict]] = []
    seen: dict[str, Path] = {}
    for p in paths:
        try:
            corr = json.loads(Path(p).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise CorrectionsError(f"{p}: cannot read corrections: {e}") from None
        gold, counts = to_gold(corr, name=str(p), accept_unreviewed=accept_unreviewed)
        doc = gold["doc"]
        if doc in seen:
            raise CorrectionsError(f"{p}: {doc} is also corrected in {seen[doc]}; import one of them")
        seen[doc] = Path(p)
        target = out / f"{doc}.json"
        if target.exists() and not force:
            raise CorrectionsError(f"{target} exists (hand-made gold?); pass --force to replace it")
        planned.append((target, gold, counts))
    done = []
    for target, gold, counts in planned:
        write_atomic(target, json.dumps(gold, ensure_ascii=False, indent=1) + "\n")
        done.append(Imported(target, gold["doc"], counts))
    return done
