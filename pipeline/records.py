"""Metadata against the publishers' own records (issue 13): exact-match rates per field and genre.

Gold comes from outside the team, from the corpus's own files:

- ``records.jsonl`` beside the HTML folders of ``corpus-public`` (html/changshun_poverty_2019:
  title; html/gov_cn_statecouncil: title, release_office, release_number;
  html/tw_ey_gazette: PubGovName, Date_Created, GazetteId), one line per document (``file``);
- the labelled header lines a government portal prints above a notice (txt/guangdong_notices:
  标题/名称/政策名, 发文机关/发布机关/发布机构, 成文日期, 文号/发文字号/政策文号).

Only fields whose gold value occurs in the document's text are counted: a record may name
the publisher's short form of a body or a date the text does not print, and no extractor
can be asked for what the text does not say. Values are compared after the pipeline's own
normalisation (Traditional → Simplified), without whitespace, with （） and () alike.
Several bodies in one record field (国务院办公厅、中央军委办公厅; 内政部;教育部) are the issuer
(the first) and co_issuers (the rest, in order). The gazette's PubGovName drops the parent
body that the document's heading writes (农业委员会 for 行政院农业委员会 公告): the gold issuer
is the heading's name when the text writes 行政院 + PubGovName.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

from .evaluate import load_outputs

FIELDS = ("title", "issuer", "co_issuers", "issue_date", "doc_number")
RECORD_FOLDERS = ("html/changshun_poverty_2019", "html/gov_cn_statecouncil", "html/tw_ey_gazette")
HEADER_FOLDERS = ("txt/guangdong_notices",)
# labelled header lines (raw file, before the body): label -> field
HEADER_LABELS = {
    "title": ("标题", "名称", "政策名", "政策标题"),
    "issuer": ("发文机关", "发布机关", "发布机构"),
    "issue_date": ("成文日期",),
    "doc_number": ("文号", "发文字号", "政策文号"),
}
_BRACKETS = str.maketrans("（）〔〕", "()[]")
_SPACE = re.compile(r"\s+")
_SPLIT = re.compile(r"[、;；\s]+")


def _key(v: str) -> str:
    return _SPACE.sub("", v).translate(_BRACKETS)


def _simplified(v: str) -> str:
    from .normalize import normalize
    return normalize(v).text.strip()


def _bodies(v: str) -> list[str]:
    return [p for p in _SPLIT.split(v) if p]


@dataclass
class RecordScore:
    """Per (genre, field): documents counted and exact matches, with every mismatch listed."""
    counted: dict = field(default_factory=lambda: defaultdict(int))
    exact: dict = field(default_factory=lambda: defaultdict(int))
    skipped: dict = field(default_factory=lambda: defaultdict(int))
    mismatches: list = field(default_factory=list)

    def rate(self, fld: str, genre: Optional[str] = None) -> float:
        keys = [k for k in self.counted if k[1] == fld and (genre is None or k[0] == genre)]
        n = sum(self.counted[k] for k in keys)
        return sum(self.exact[k] for k in keys) / n if n else 1.0

    def report(self, verbose: bool = False) -> str:
        genres = sorted({g for g, _f in list(self.counted) + list(self.skipped)})
        lines = [f"{'publisher records':<28}" + "".join(f"{f:>14}" for f in FIELDS)]
        for g in genres + ["all"]:
            cells = []
            for f in FIELDS:
                keys = [k for k in self.counted if k[1] == f and (g == "all" or k[0] == g)]
                n = sum(self.counted[k] for k in keys)
                ok = sum(self.exact[k] for k in keys)
                cells.append(f"{ok:>5}/{n:<3} {ok / n:4.2f}" if n else f"{'-':>14}")
            lines.append(f"{g.split('/')[-1]:<28}" + "".join(f"{c:>14}" for c in cells))
        if verbose:
            lines += [f"MISMATCH {m}" for m in self.mismatches]
        return "\n".join(lines)


def _read_text(p: Path) -> str:
    data = p.read_bytes()
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


def _header_gold(p: Path) -> dict:
    """The labelled header of a portal notice: label：value lines before 正文 / the title."""
    gold: dict = {}
    for line in _read_text(p).replace("\r", "").split("\n")[:15]:
        m = re.match(r"^\s*([^:：]{1,8}?)\s*[:：]\s*(.*?)\s*$", line)
        if not m or not m.group(2):
            continue
        label = _SPACE.sub("", m.group(1))
        for fld, names in HEADER_LABELS.items():
            if label in names and fld not in gold:
                gold[fld] = m.group(2)
    return gold


def iter_gold(corpus: Path) -> Iterator[tuple[str, str, dict]]:
    """(genre folder, relative path, raw gold fields) for every document with a record."""
    from .extract.date_windows import full_dates
    for folder in RECORD_FOLDERS:
        rp = corpus / folder / "records.jsonl"
        if not rp.is_file():
            continue
        for line in rp.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            r = json.loads(line)
            gold: dict = {}
            if "release_office" in r:  # gov.cn
                gold = {"title": r.get("title"), "issuer": r.get("release_office"),
                        "doc_number": r.get("release_number")}
            elif "PubGovName" in r:  # Taiwan gazette
                dates = full_dates(_simplified(r.get("Date_Created") or ""))
                gold = {"issuer": r.get("PubGovName"), "doc_number": (r.get("GazetteId") or "").split(";")[0],
                        "issue_date": dates[0][2] if dates else None, "title": r.get("Title")}
            else:  # changshun: title only (createdAt is the upload date, author the site's user)
                gold = {"title": r.get("title")}
            yield folder, f"{folder}/{r['file']}", {k: v for k, v in gold.items() if v}
    for folder in HEADER_FOLDERS:
        for p in sorted((corpus / folder).glob("*.txt")):
            gold = _header_gold(p)
            if "issue_date" in gold:
                ds = full_dates(gold["issue_date"])
                gold["issue_date"] = ds[0][2] if ds else None
            yield folder, f"{folder}/{p.name}", {k: v for k, v in gold.items() if v}


def _expected(fld: str, raw, text: str, squashed: str, dates: set) -> Optional[object]:
    """The gold value of ``fld`` as the contract states it, or None when the text does not hold it."""
    if fld == "issue_date":
        return raw if raw in dates else None
    if fld in ("issuer", "co_issuers"):
        names = [_simplified(b) for b in _bodies(raw)]
        head = _key("\n".join(text.split("\n")[:2]))  # the heading, where the document names its issuer
        names = ["行政院" + n if "行政院" + n in head and not n.startswith("行政院") else n for n in names]
        if fld == "issuer":
            return names[0] if names and _key(names[0]) in squashed else None
        rest = names[1:]
        return rest if all(_key(n) in squashed for n in rest) else None
    v = _simplified(raw)
    return v if _key(v) in squashed else None


def score_records(outdir: Path, corpus: Path) -> RecordScore:
    """Exact-match rates of the outputs in ``outdir`` against the records under ``corpus``."""
    from .extract.date_windows import full_dates
    outputs = load_outputs(outdir, key=lambda src: f"{src.parent.parent.name}/{src.parent.name}/{src.name}")
    score = RecordScore()
    for genre, rel, gold in iter_gold(corpus):
        rec = outputs.get(rel)
        if rec is None:
            continue
        text = rec.get("text") or ""
        squashed = _key(text)
        dates = {iso for _s, _e, iso in full_dates(text)}
        md = rec.get("metadata") or {}
        for fld in FIELDS:
            raw = gold.get("issuer" if fld == "co_issuers" else fld)
            want = _expected(fld, raw, text, squashed, dates) if raw else None
            if want is None:
                score.skipped[(genre, fld)] += 1
                continue
            got = md.get(fld)
            ok = ([_key(x) for x in got or []] == [_key(x) for x in want] if fld == "co_issuers"
                  else got is not None and _key(str(got)) == _key(str(want)))
            score.counted[(genre, fld)] += 1
            score.exact[(genre, fld)] += ok
            if not ok:
                score.mismatches.append(f"{rel}: {fld} = {got!r} (record {want!r})")
    return score
