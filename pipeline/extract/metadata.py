"""Official-document metadata (GB/T 9704 elements), contract section 2.

Reads the layout of the normalised text (one paragraph per line):

    [web header: 来源 / 原题 / 标 题：… labelled lines]
    title (may be broken over two or three lines)   → title, doc_type, issuer (X关于…)
    发文字号 line (before or after the title)         → doc_number
    主送 line ending in ：                            → recipients
    body …                                          → cited_documents (《》, 发文字号)
    signature line                                  → issuer
    成文日期 line (Arabic or Chinese numerals)        → issue_date

Every value found gets a FieldEvidence (field, text, span) so it can be checked against
the text. Anything not found stays None / ().
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import Optional

from .. import rules
from ..schema import FieldEvidence, Metadata
from ..segment import text_of
from ._numerals import parse_digits
from ._names import expand_list, is_complete

_CN_DIGIT = {c: k for k, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0}
_LABEL_PREFIX = 10  # a "key：value" header line has its colon within this many characters


@dataclass(frozen=True)
class _Rules:
    doc_type_re: re.Pattern  # at the end of a title
    doc_number_re: re.Pattern
    doc_number_line_re: re.Pattern
    issue_date_line_re: re.Pattern
    year_re: re.Pattern
    labels: dict  # field -> compiled "label：value" line pattern
    skip_re: re.Pattern
    title_window: int
    title_max: int
    issuer_title_re: re.Pattern
    media_endings: tuple
    cited_re: re.Pattern
    recipient_determiners: tuple


@cache
def _rules() -> _Rules:
    t = rules.table("metadata.toml")
    w = "metadata.toml"
    notes = rules.alternation(t["title_tail_notes"], f"{w}:title_tail_notes")
    types = rules.alternation(t["doc_types"], f"{w}:doc_types")
    number = t["doc_number"]
    labels = {}
    for field, names in t["labels"].items():
        # 标　　题： is written with spaces between the characters
        alts = "|".join(r"\s*".join(map(re.escape, n)) for n in sorted(names, key=len, reverse=True))
        labels[field] = rules.compile_pattern(rf"^\s*(?:{alts})\s*[:：]\s*(?P<v>.*?)\s*$", f"{w}:labels.{field}")
    skips = rules.alternation(t["header"]["skip_prefixes"], f"{w}:header.skip_prefixes")
    connectors = rules.alternation(t["issuer_title_connectors"], f"{w}:issuer_title_connectors")
    return _Rules(
        doc_type_re=rules.compile_pattern(rf"(?P<t>{types})(?P<n>{notes})?\s*$", f"{w}:doc_types"),
        doc_number_re=rules.compile_pattern(number, f"{w}:doc_number"),
        # on a line of its own, bare or in brackets as web reprints give it: （国办发〔2020〕1号）
        doc_number_line_re=rules.compile_pattern(rf"^\s*[（(]?\s*(?P<v>{number}|{t['doc_number_bare']})\s*[）)]?\s*$",
                                                 f"{w}:doc_number_bare"),
        issue_date_line_re=rules.compile_pattern(rf"^\s*{t['issue_date']}\s*$", f"{w}:issue_date"),
        year_re=rules.compile_pattern(t["year"], f"{w}:year"),
        labels=labels,
        skip_re=rules.compile_pattern(rf"^\s*{skips}\s*[:：]", f"{w}:header.skip_prefixes"),
        title_window=int(t["header"]["title_window"]),
        title_max=int(t["header"]["title_max"]),
        issuer_title_re=rules.compile_pattern(rf"^(?P<v>[^《》“”\s]{{2,60}}?)(?={connectors})",
                                              f"{w}:issuer_title_connectors"),
        media_endings=tuple(t["cited"]["media_endings"]),
        cited_re=rules.compile_pattern(t["cited"]["title"], f"{w}:cited.title"),
        recipient_determiners=tuple(t["recipient_determiners"]),
    )


def _lines(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def _strip_span(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def parse_date(m: re.Match) -> Optional[str]:
    """ISO date from an issue_date match (二〇二〇年七月二十八日 or 2020年7月28日)."""
    y = m.group("y")
    y = int(y) if y.isdigit() else int("".join(str(_CN_DIGIT[c]) for c in y))
    mo, d = parse_digits(m.group("m")), parse_digits(m.group("d"))
    if not mo or not d or not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


class _Found:
    """Values and their evidence, filled field by field."""

    def __init__(self, text: str):
        self.text = text
        self.values: dict = {}
        self.evidence: list[FieldEvidence] = []

    def set(self, field: str, value, span: tuple[int, int]) -> None:
        self.values.setdefault(field, value)
        self.evidence.append(FieldEvidence(field=field, text=self.text[span[0]:span[1]], span=span))


def _labelled(text: str, lines, r: _Rules, found: _Found) -> set[int]:
    """标题：… 发文字号：… lines of a web copy. Returns the indexes of the lines used."""
    used = set()
    for k, (s, e) in enumerate(lines[: r.title_window]):
        line = text[s:e]
        for field, pat in r.labels.items():
            m = pat.match(line)
            if not m or not m.group("v") or field in found.values:
                continue
            vs, ve = s + m.start("v"), s + m.end("v")
            value = text[vs:ve]
            if field == "issue_date":
                dm = r.issue_date_line_re.match(value)
                if not dm or not parse_date(dm):
                    continue
                value = parse_date(dm)
            elif field == "doc_number":
                nm = r.doc_number_line_re.match(value)
                if not nm:
                    continue
            elif field == "recipients":
                continue  # handled with the 主送 line
            found.set(field, value, (vs, ve))
            used.add(k)
            break
    return used


def _title_at(text: str, lines, k: int, r: _Rules) -> Optional[tuple[str, int, int]]:
    """A title starting on line k (joined over up to three lines), or None."""
    parts = []
    for n in range(3):
        if k + n >= len(lines):
            break
        s, e = lines[k + n]
        line = text[s:e].strip()
        if (not line or line[-1] in "。：:；;，,!！" or r.doc_number_line_re.match(line)
                or any(c in line[:_LABEL_PREFIX] for c in "：:")):
            break  # a sentence, a document number or a "key：value" header line
        parts.append(line)
        joined = "".join(parts)
        if len(joined) > r.title_max:
            break
        if r.doc_type_re.search(joined) and len(joined) >= 4:
            if n and "《" not in parts[0] and "关于" not in joined[: len(parts[0]) + 2] and len(parts[0]) < 6:
                return None
            return joined, lines[k][0], e
    return None


def _title(text: str, lines, skip: set[int], r: _Rules, found: _Found) -> Optional[int]:
    """Find the title; return the index of its last line."""
    for k in range(min(len(lines), r.title_window)):
        if k in skip:
            continue
        s, e = lines[k]
        line = text[s:e]
        if not line.strip() or r.skip_re.match(line) or any(p.match(line) for p in r.labels.values()):
            continue
        t = _title_at(text, lines, k, r)
        if t:
            title, ts, te = t
            ts, te = _strip_span(text, ts, te)
            found.set("title", title, (ts, te))
            last = k
            while lines[last][1] < te:
                last += 1
            return last
        if line.strip().endswith("。"):
            return None  # the body started without a title
    return None


def _doc_type(text: str, r: _Rules, found: _Found) -> None:
    title = found.values.get("title")
    if not title:
        return
    m = r.doc_type_re.search(title)
    ev = next(ev for ev in found.evidence if ev.field == "title")
    end = ev.span[1] - (len(m.group("n")) if m.group("n") else 0)
    dt = m.group("t")
    found.set("doc_type", dt, (end - len(dt), end))


def _doc_number(text: str, lines, title_last: Optional[int], r: _Rules, found: _Found) -> set[int]:
    if "doc_number" in found.values:
        return set()
    stop = min(len(lines), (title_last + 4) if title_last is not None else r.title_window)
    for k in range(stop):
        s, e = lines[k]
        m = r.doc_number_line_re.match(text[s:e])
        if m:
            found.set("doc_number", m.group("v"), (s + m.start("v"), s + m.end("v")))
            return {k}
    return set()


def _recipients(text: str, lines, after: int, skip: set[int], r: _Rules, found: _Found) -> Optional[int]:
    """The 主送 line: the first line after the title block, ending in ：. Returns its index.

    Blank lines, the document number and a repeat of the title (web pages print it twice)
    may come between."""
    title = found.values.get("title")
    for k in range(after, len(lines)):
        if k in skip:
            continue
        s, e = lines[k]
        s, e = _strip_span(text, s, e)
        line = text[s:e]
        if not line or line == title:
            continue
        lm = r.labels["recipients"].match(line)
        if lm:
            s, e = s + lm.start("v"), s + lm.end("v")
        elif line[-1] not in "：:" or "。" in line or len(line) > 400:
            return None
        else:
            e -= 1
        names = expand_list(text[s:e], s)
        bodies = [n for n, _ in names if is_complete(n) or n.startswith(r.recipient_determiners)]
        if not names or 2 * len(bodies) < len(names):
            return None  # 为做好培训，现通知如下： is a sentence, not a 主送 line
        found.values["recipients"] = tuple(n for n, _ in names)
        for name, span in names:
            found.evidence.append(FieldEvidence(field="recipients", text=text[span[0]:span[1]], span=span))
        return k
    return None


def _issue_date_and_signature(text: str, lines, r: _Rules, found: _Found) -> None:
    for k, (s, e) in enumerate(lines):
        m = r.issue_date_line_re.match(text[s:e])
        if not m:
            continue
        iso = parse_date(m)
        if not iso:
            continue
        ds, de = _strip_span(text, s, e)
        found.set("issue_date", iso, (ds, de))
        # the signature: the line(s) right above the date, naming a body
        if k and "issuer" not in found.values:
            ps, pe = _strip_span(text, *lines[k - 1])
            sig = text[ps:pe]
            if sig and len(sig) <= 60 and not any(c in sig for c in "。，,；;：:") and is_complete(sig.split()[-1]):
                found.set("issuer", sig, (ps, pe))
        return


def _issuer_from_title(r: _Rules, found: _Found) -> None:
    title = found.values.get("title")
    if "issuer" in found.values or not title:
        return
    m = r.issuer_title_re.match(title)
    if not m or not is_complete(m.group("v").split()[-1]):
        return
    ev = next(ev for ev in found.evidence if ev.field == "title")
    v = m.group("v")
    if "\n" in ev.text[: len(v) + 1]:
        return  # the issuer runs over a line break: leave it
    found.set("issuer", v, (ev.span[0], ev.span[0] + len(v)))


def _cited(text: str, body_start: int, r: _Rules, found: _Found) -> None:
    title = found.values.get("title") or ""
    own = {m.group(0) for m in r.cited_re.finditer(title)} | {f"《{title}》"}
    own_number = found.values.get("doc_number")
    hits = []
    for m in r.cited_re.finditer(text, body_start):
        v = m.group(0)
        inner = v[1:-1].strip()
        if v in own or not inner or inner.endswith(r.media_endings):
            continue
        hits.append((m.start(), v, (m.start(), m.end())))
    for m in r.doc_number_re.finditer(text, body_start):
        if m.group(0) != own_number:
            hits.append((m.start(), m.group(0), (m.start(), m.end())))
    seen = []
    for _pos, v, span in sorted(hits):
        if v not in seen:
            seen.append(v)
            found.evidence.append(FieldEvidence(field="cited_documents", text=v, span=span))
    found.values["cited_documents"] = tuple(seen)


def _reference_year(text: str, r: _Rules, found: _Found, ctx) -> None:
    if "issue_date" in found.values:
        ev = next(ev for ev in found.evidence if ev.field == "issue_date")
        found.set("reference_year", int(found.values["issue_date"][:4]), ev.span)
        return
    if "title" in found.values:
        ev = next(ev for ev in found.evidence if ev.field == "title")
        m = r.year_re.search(text, ev.span[0], ev.span[1])
        if m:
            found.set("reference_year", int(m.group("y")), (m.start("y"), m.end("y")))
            return
    years = [(int(m.group("y")), m.start("y"), m.end("y")) for m in r.year_re.finditer(text)]
    if years:
        counts = Counter(y for y, _s, _e in years)
        best = max(counts.values())
        y, s, e = next(t for t in years if counts[t[0]] == best)
        found.set("reference_year", y, (s, e))
        return
    if ctx is not None and getattr(ctx, "reference_date", None):
        found.values["reference_year"] = ctx.reference_date.year


def extract(doc, ctx=None) -> Metadata:
    text = text_of(doc)
    r = _rules()
    lines = _lines(text)
    found = _Found(text)
    used = _labelled(text, lines, r, found)
    title_last = _title(text, lines, used, r, found)
    used |= _doc_number(text, lines, title_last, r, found)
    if title_last is not None:
        _doc_type(text, r, found)
        rec = _recipients(text, lines, title_last + 1, used, r, found)
        body_start = lines[rec if rec is not None else title_last][1]
    else:
        body_start = lines[max(used)][1] if used else 0
    _issue_date_and_signature(text, lines, r, found)
    _issuer_from_title(r, found)
    _cited(text, body_start, r, found)
    _reference_year(text, r, found, ctx)
    v = found.values
    evidence = tuple(sorted(found.evidence, key=lambda ev: (ev.span, ev.field)))
    return Metadata(title=v.get("title"), doc_number=v.get("doc_number"), doc_type=v.get("doc_type"),
                    issuer=v.get("issuer"), issue_date=v.get("issue_date"),
                    recipients=tuple(v.get("recipients", ())), cited_documents=tuple(v.get("cited_documents", ())),
                    reference_year=v.get("reference_year"), evidence=evidence)
