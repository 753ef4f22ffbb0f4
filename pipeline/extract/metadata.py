"""Official-document metadata (GB/T 9704 elements), contract section 2.

Reads the layout of the normalised text (one paragraph per line):

    [web header: 来源 / 原题 / 标 题：… labelled lines, or table rows | 发文机关： | 国务院 |]
    title (may be broken over two or three lines)   → title, doc_type, issuer (X关于…)
    decree heading (行政院农业委员会 / 公告, 内政部 / 教育部令) → issuer, co_issuers, doc_type
    delivery line (——2024年2月1日在…会议上)          → issue_date of a speech or work report
    adoption line (…年…月…日 X第…次会议通过)          → issue_date and issuer of a law
    发文字号 line (before or after the title)         → doc_number
    主送 line ending in ：                            → recipients
    body …                                          → cited_documents (《》, 发文字号)
    signature lines (one body a line)               → issuer, co_issuers
    成文日期 line                                    → issue_date

Dates are the date-window grammar's (``date_windows.full_dates``: every written form and
the ROC calendar), not a second date pattern. Lists of names (recipients, joint issuers)
go through the one name splitter, ``_names.expand_list``.

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
from ._names import expand_list, is_complete
from .date_windows import full_dates

_LABEL_PREFIX = 10  # a "key：value" header line has its colon within this many characters


@dataclass(frozen=True)
class _Rules:
    doc_type_re: re.Pattern  # at the end of a title
    doc_number_re: re.Pattern
    doc_number_line_re: re.Pattern
    year_re: re.Pattern
    labels: dict  # field -> compiled "label：value" line pattern
    skip_re: re.Pattern
    title_window: int
    title_max: int
    issuer_title_re: re.Pattern
    media_endings: tuple
    cited_re: re.Pattern
    recipient_determiners: tuple
    recipient_heads: tuple
    delivery_before_re: re.Pattern
    delivery_after_re: re.Pattern
    adoption_after_re: re.Pattern
    session_ordinal_re: re.Pattern
    signature_date_re: re.Pattern
    heading_types: tuple
    issuer_split_re: re.Pattern
    title_strip: str
    title_ordinal_re: re.Pattern
    roc_markers: tuple
    date_line_max: int
    date_line_chars: tuple


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
        recipient_heads=tuple(t["recipient_heads"]),
        delivery_before_re=rules.compile_pattern(t["delivery_before"], f"{w}:delivery_before"),
        delivery_after_re=rules.compile_pattern(t["delivery_after"], f"{w}:delivery_after"),
        adoption_after_re=rules.compile_pattern(t["adoption_after"], f"{w}:adoption_after"),
        session_ordinal_re=rules.compile_pattern(t["session_ordinal"], f"{w}:session_ordinal"),
        signature_date_re=rules.compile_pattern(t["signature_date_around"], f"{w}:signature_date_around"),
        heading_types=tuple(sorted(t["heading_types"], key=len, reverse=True)),
        issuer_split_re=rules.compile_pattern("[" + "".join(map(re.escape, t["issuer_separators"])) + "]+",
                                              f"{w}:issuer_separators"),
        title_strip=t["title_strip"],
        title_ordinal_re=rules.compile_pattern(t["title_ordinal"], f"{w}:title_ordinal"),
        roc_markers=tuple(t["roc_markers"]),
        date_line_max=int(t["date_line_max"]),
        date_line_chars=tuple(t["date_line_chars"]),
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


class _Found:
    """Values and their evidence, filled field by field."""

    def __init__(self, text: str):
        self.text = text
        self.values: dict = {}
        self.evidence: list[FieldEvidence] = []

    def set(self, field: str, value, span: tuple[int, int]) -> None:
        self.values.setdefault(field, value)
        self.evidence.append(FieldEvidence(field=field, text=self.text[span[0]:span[1]], span=span))


def _cells(line: str) -> list[tuple[int, str]]:
    """A header row split into its table cells (| or tab), each with its offset in the line."""
    out, pos = [], 0
    for part in re.split(r"([|\t])", line):
        if part not in ("|", "\t") and part.strip():
            lead = len(part) - len(part.lstrip())
            out.append((pos + lead, part.strip()))
        pos += len(part)
    return out


def _date_of(value: str) -> Optional[str]:
    """The ISO date of a value that is one date and nothing else (成文日期：2025年07月03日)."""
    ds = full_dates(value)
    if len(ds) == 1 and not value[:ds[0][0]].strip("（() ") and not value[ds[0][1]:].strip("）() "):
        return ds[0][2]
    return None


def _labelled(text: str, lines, r: _Rules, found: _Found) -> set[int]:
    """标题：… 发文字号：… lines of a web copy, and table rows such as
    ``发文机关： | 国务院办公厅 | 成文日期： | 2006年09月07日`` (a label cell, then its value cell).
    Returns the indexes of the lines used."""
    used = set()
    for k, (s, e) in enumerate(lines[: r.title_window]):
        cells = _cells(text[s:e])
        for c, (off, cell) in enumerate(cells):
            for field, pat in r.labels.items():
                m = pat.match(cell)
                if not m or field in found.values:
                    continue
                if m.group("v"):
                    vs, ve = s + off + m.start("v"), s + off + m.end("v")
                elif c + 1 < len(cells) and not any(p.match(cells[c + 1][1]) for p in r.labels.values()):
                    vs = s + cells[c + 1][0]  # the value is the next cell
                    ve = vs + len(cells[c + 1][1])
                else:
                    continue
                value = text[vs:ve]
                if field == "issue_date":
                    value = _date_of(value)
                    if not value:
                        continue
                elif field == "doc_number":
                    if not r.doc_number_line_re.match(value):
                        continue
                elif field == "recipients":
                    continue  # handled with the 主送 line
                elif field == "issuer":
                    _issuers(text, [(vs, ve)], r, found)
                    used.add(k)
                    break
                found.set(field, value, (vs, ve))
                used.add(k)
                break
    return used


def _issuers(text: str, spans: list[tuple[int, int]], r: _Rules, found: _Found) -> bool:
    """Set issuer (the first body) and co_issuers (the rest, in order) from written names:
    one span per signature line, each holding one body or several (海关总署 国家移民局 民航局;
    国务院办公厅、中央军委办公厅). A name spaced out letter by letter (经 济 部) is one body."""
    names: list[tuple[str, tuple[int, int]]] = []
    for s, e in spans:
        line = text[s:e]
        parts = [(m.start(), m.group()) for m in re.finditer(r"\S+", line)]
        if len(parts) > 1 and all(len(p) <= 2 for _o, p in parts):  # 经 济 部
            names.append(("".join(p for _o, p in parts), (s, e)))
            continue
        pos = 0
        for piece in r.issuer_split_re.split(line):
            at = line.index(piece, pos) if piece else pos
            pos = at + len(piece)
            if piece:
                names.append((piece, (s + at, s + at + len(piece))))
    if not names or not all(is_complete(n) for n, _sp in names):
        return False
    found.set("issuer", names[0][0], names[0][1])
    found.values["co_issuers"] = tuple(n for n, _sp in names[1:])
    for n, sp in names[1:]:
        found.evidence.append(FieldEvidence(field="co_issuers", text=text[sp[0]:sp[1]], span=sp))
    return True


def _title_at(text: str, lines, k: int, r: _Rules) -> Optional[tuple[str, int, int]]:
    """A title starting on line k (joined over up to three lines), or None.

    A Markdown heading mark is not part of it (# 上海市…条例); a table row (| …) is never a title."""
    parts = []
    start = None
    for n in range(3):
        if k + n >= len(lines):
            break
        s, e = lines[k + n]
        raw = text[s:e]
        line = raw.lstrip(r.title_strip).strip()
        if (not line or "|" in line or line[-1] in "。：:；;，,!！" or "，" in line or r.doc_number_line_re.match(line)
                or any(c in line[:_LABEL_PREFIX] for c in "：:")):
            break  # a sentence (我代表国务院，向大会报告…), a table row, a document number or a "key：value" line
        if start is None:
            start = s + len(raw) - len(raw.lstrip(r.title_strip))
        parts.append(line)
        joined = "".join(parts)
        if len(joined) > r.title_max:
            break
        if r.doc_type_re.search(joined) and len(joined) >= 4 - (joined[-1:] in r.heading_types) * 1:
            if n and "《" not in parts[0] and "关于" not in joined[: len(parts[0]) + 2] and len(parts[0]) < 6:
                return None
            return joined, start, e
    return None


def _title(text: str, lines, skip: set[int], r: _Rules, found: _Found) -> Optional[int]:
    """Find the title; return the index of its last line."""
    first = next((k for k, (s, e) in enumerate(lines) if text[s:e].strip()), None)
    if first is not None and first not in skip:
        m = r.title_ordinal_re.match(text[lines[first][0]:lines[first][1]])
        if m:  # 第一 习总书记对…的要求: a numbered page heading
            s0 = lines[first][0]
            found.set("title", m.group("v"), (s0 + m.start("v"), s0 + m.end("v")))
            return first
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
    if not m:
        return  # a page heading without a 文种
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
        if not line or line == title or r.doc_number_line_re.match(line):
            continue
        lm = r.labels["recipients"].match(line)
        if lm:
            s, e = s + lm.start("v"), s + lm.end("v")
        elif line[-1] not in "：:" or "。" in line or len(line) > 400:
            return None
        else:
            e -= 1
        names = expand_list(text[s:e], s, r.recipient_heads)
        bodies = [n for n, _ in names if is_complete(n, r.recipient_heads) or n.startswith(r.recipient_determiners)]
        if not names or 2 * len(bodies) < len(names):
            return None  # 为做好培训，现通知如下： is a sentence, not a 主送 line
        found.values["recipients"] = tuple(n for n, _ in names)
        for name, span in names:
            found.evidence.append(FieldEvidence(field="recipients", text=text[span[0]:span[1]], span=span))
        return k
    return None


def _line_at(lines, pos: int) -> int:
    """Index of the line holding character ``pos``."""
    lo, hi = 0, len(lines) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if lines[mid][0] <= pos:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _signature_spans(text: str, lines, k: int, r: _Rules) -> list[tuple[int, int]]:
    """The signature or heading lines right above line k, top to bottom: each names one or
    more bodies (国家发展改革委办公厅 / 税务总局办公厅), or ends a decree heading with its
    文种 (内政部 / 教育部令, 行政院农业委员会 / 公告: the 文种 is left out of the span)."""
    out: list[tuple[int, int]] = []
    typed = False
    j = k - 1
    while j >= 0 and k - j <= 8:
        s, e = _strip_span(text, *lines[j])
        line = text[s:e]
        if not line:
            break
        kind = next((t for t in r.heading_types if line.endswith(t)), None)
        if kind and not typed:
            typed = True
            e -= len(kind)  # the heading's last line: 教育部令 -> 教育部, 公告 -> nothing
            s, e = _strip_span(text, s, e)
            line = text[s:e]
            if not line:
                j -= 1
                continue
        if len(line) > 60 or any(c in line for c in "。，,；;：:|") or not _names_line(line, r):
            break
        out.insert(0, (s, e))
        j -= 1
    return out


def _names_line(line: str, r: _Rules) -> bool:
    parts = line.split()
    if len(parts) > 1 and all(len(p) <= 2 for p in parts):
        return is_complete("".join(parts))  # 经 济 部
    return all(is_complete(p) for p in r.issuer_split_re.split(line) if p)


def _dates_and_signature(text: str, lines, title_last: Optional[int], r: _Rules, found: _Found) -> None:
    """issue_date from the first line that dates the document: a date on a line of its own
    (成文日期 under the signature, or under a decree heading), a delivery line (——2024年2月1日在…
    会议上) or an adoption line (…年…月…日 X第…次会议通过) in the opening lines. The bodies
    above a date of its own sign it (issuer, co_issuers); an adopting body issues a law."""
    head_end = lines[min(len(lines), (title_last or 0) + r.title_window) - 1][1] if lines else 0
    roc = any(w in text for w in r.roc_markers)  # 102年1月4日 alone is a ROC date in a ROC document
    for k, (ls, le) in enumerate(lines):
        if le - ls > r.date_line_max or not any(c in text[ls:le] for c in r.date_line_chars):
            continue  # only a short line can be a signature, delivery or adoption line
        for ds, de, iso in full_dates(text[ls:le], roc=roc):
            ds, de = ls + ds, ls + de
            if _dated_line(text, lines, k, ls, le, ds, de, iso, head_end, r, found):
                return


def _dated_line(text: str, lines, k: int, ls: int, le: int, ds: int, de: int, iso: str, head_end: int,
                r: _Rules, found: _Found) -> bool:
    """Take the date at [ds, de) on line k = [ls, le) as the issue date when its line dates the
    document (see _dates_and_signature). True when it did."""
    before, after = text[ls:ds], text[de:le]
    if r.signature_date_re.match(before) and r.signature_date_re.match(after):
        found.set("issue_date", iso, _strip_span(text, ls, le))
        if "issuer" not in found.values:
            spans = _signature_spans(text, lines, k, r)
            if spans:
                _issuers(text, spans, r, found)
        return True
    if ds > head_end or not r.delivery_before_re.match(before):
        return False
    if r.delivery_after_re.match(after):
        found.set("issue_date", iso, _strip_span(text, ls, le))
        return True
    m = r.adoption_after_re.match(after)
    if not m:
        return False
    found.set("issue_date", iso, _strip_span(text, ls, le))
    if "issuer" not in found.values:
        body = r.session_ordinal_re.sub("", m.group("body"))
        if is_complete(body):
            found.set("issuer", body, (de + m.start("body"), de + m.end("body")))
    return True


def _issuer_from_title(r: _Rules, found: _Found) -> None:
    title = found.values.get("title")
    if "issuer" in found.values or not title:
        return
    ev = next(ev for ev in found.evidence if ev.field == "title")
    kind = next((t for t in r.heading_types if title.endswith(t)), None)
    if kind and "\n" not in ev.text:  # 中华人民共和国财政部令, 海口市水务局公告: the heading names the issuer
        if _issuers(found.text, [(ev.span[0], ev.span[1] - len(kind))], r, found):
            return
    m = r.issuer_title_re.match(title)
    if not m or not is_complete(m.group("v").split()[-1]):
        return
    v = m.group("v")
    if "\n" in ev.text[: len(v) + 1]:
        return  # the issuer runs over a line break: leave it
    span = (ev.span[0], ev.span[0] + len(v))
    if not _issuers(found.text, [span], r, found):  # 海关总署 国家移民局 中国民航局关于…
        found.set("issuer", v, span)


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
        y, s, e = next(t for t in years if t[0] == max(v for v, c in counts.items() if c == best))  # ties: the latest year
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
    if "title" in found.values:
        _doc_type(text, r, found)
    if title_last is not None:
        rec = _recipients(text, lines, title_last + 1, used, r, found)
        body_start = lines[rec if rec is not None else title_last][1]
    else:
        body_start = lines[max(used)][1] if used else 0
    _dates_and_signature(text, lines, title_last, r, found)
    _issuer_from_title(r, found)
    _cited(text, body_start, r, found)
    _reference_year(text, r, found, ctx)
    v = found.values
    evidence = tuple(sorted(found.evidence, key=lambda ev: (ev.span, ev.field)))
    return Metadata(title=v.get("title"), doc_number=v.get("doc_number"), doc_type=v.get("doc_type"),
                    issuer=v.get("issuer"), co_issuers=tuple(v.get("co_issuers", ())), issue_date=v.get("issue_date"),
                    recipients=tuple(v.get("recipients", ())), cited_documents=tuple(v.get("cited_documents", ())),
                    reference_year=v.get("reference_year"), evidence=evidence)
