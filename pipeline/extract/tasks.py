"""Tasks of a plan: numbered work items with a window and responsible departments.

Contract section 7. A numbered item (一、 （一） 1. （1） ①, rules/tasks.toml) is a task
when its title sentence names a time window (a DateWindow of ctx.results['date_windows']
inside it, or one stated under a 完成时限 label in the item) or a responsibility line
(责任部门：…, （责任单位：…）, 牵头单位/配合单位, rules/departments.toml) belongs to it.

- title: the first sentence after the marker, without the parenthesised window or
  responsibility note and without final punctuation;
- window: the first window in the title sentence (else under a time label, else in the item);
- responsible: the names of the item's responsibility lines, coordination expanded
  (驻五一村、东甸村扶贫工作组 → two names);
- section: the headings the item sits under, outermost first, joined with " / ";
- span: from the marker to the end of the item's own text (up to the next heading).
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cache
from typing import Optional

from .. import rules
from ..schema import Task
from ..segment import text_of
from .departments import expand_list, role_regions

_OPEN, _CLOSE = "（(", "）)"


@dataclass(frozen=True)
class _Rules:
    markers: tuple[re.Pattern, ...]
    title_end: frozenset
    time_label_re: re.Pattern


@cache
def _rules() -> _Rules:
    t = rules.table("tasks.toml")
    labels = rules.alternation(t["time_labels"], "tasks.toml:time_labels")
    return _Rules(
        markers=tuple(rules.compile_pattern(p, f"tasks.toml:markers[{k}]") for k, p in enumerate(t["markers"])),
        title_end=frozenset(t["title_end"]),
        time_label_re=rules.compile_pattern(labels + r"\s*[:：]\s*([^\n。；;]*)", "tasks.toml:time_labels"),
    )


@dataclass
class _Heading:
    level: int
    start: int  # marker start
    body: int  # marker end
    line_end: int
    title_end: int  # end of the first sentence
    end: int = 0  # end of the item's own text


def _headings(text: str) -> list[_Heading]:
    r = _rules()
    out: list[_Heading] = []
    pos = 0
    for line in text.split("\n"):
        s, e = pos, pos + len(line)
        pos = e + 1
        lead = len(line) - len(line.lstrip())
        for level, pat in enumerate(r.markers):
            m = pat.match(line, lead)
            if m:
                body = s + m.end()
                te = next((k for k in range(body, e) if text[k] in r.title_end), e)
                out.append(_Heading(level, s + lead, body, e, te))
                break
    for k, h in enumerate(out):
        nxt = out[k + 1].start if k + 1 < len(out) else len(text)
        end = nxt
        while end > h.start and text[end - 1].isspace():
            end -= 1
        h.end = end
    return out


def _label(text: str, h: _Heading) -> str:
    """A heading as it appears in a section path: marker and title sentence."""
    return text[h.start:h.title_end].strip()


def _brackets(text: str, start: int, end: int) -> dict[int, int]:
    """Each opening bracket of text[start:end] -> the index after its closing bracket (or
    ``end`` when it is never closed), in one pass."""
    pairs: dict[int, int] = {}
    open_at: list[int] = []
    for k in range(start, end):
        ch = text[k]
        if ch in _OPEN:
            open_at.append(k)
        elif ch in _CLOSE and open_at:
            pairs[open_at.pop()] = k + 1
    for k in open_at:
        pairs[k] = end
    return pairs


def _strip_notes(text: str, start: int, end: int, cut: list[tuple[int, int]]) -> str:
    """text[start:end] without the bracketed notes that contain a cut span, trimmed."""
    if not cut or not any(ch in _OPEN for ch in text[start:end]):
        return text[start:end].strip().rstrip("，,。；;：: ")
    pairs = _brackets(text, start, end)
    out, k = [], start
    while k < end:
        j = pairs.get(k)
        if j is not None and any(k <= a and b <= j for a, b in cut):
            k = j
            continue
        out.append(text[k])
        k += 1
    return "".join(out).strip().rstrip("，,。；;：: ")


class _Spans:
    """Spans sorted by start: those inside [a, b] found by bisection, not by a scan."""

    def __init__(self, items: list, span=lambda x: x):
        self.items = sorted(items, key=lambda x: span(x)[0])  # stable: ties keep their order
        self.span = span
        self.starts = [span(x)[0] for x in self.items]

    def inside(self, a: int, b: int) -> list:
        lo, hi = bisect_left(self.starts, a), bisect_right(self.starts, b)
        return [x for x in self.items[lo:hi] if self.span(x)[1] <= b]


def _labelled(windows: list, timed: list[tuple[int, int]]) -> set[int]:
    """Indexes of the windows that sit inside a time-label span (both lists sorted)."""
    out = set()
    starts = [a for a, _b in timed]
    for i, w in enumerate(windows):
        s, e = w.span
        # label spans never overlap (one per match): only the last one starting at or
        # before the window can hold it
        j = bisect_right(starts, s) - 1
        if j >= 0 and timed[j][1] >= e:
            out.add(i)
    return out


def extract(doc, ctx) -> list[Task]:
    text = text_of(doc)
    r = _rules()
    # a recurring rule (每月20日前) is not the window of a work item
    windows = sorted((w for w in ctx.results.get("date_windows", ()) or () if w.kind != "recurring"),
                     key=lambda w: w.span)
    regions = _Spans(role_regions(text))
    timed = sorted((m.start(1), m.end(1)) for m in r.time_label_re.finditer(text))
    labelled_ids = _labelled(windows, timed)
    by_span = _Spans(list(range(len(windows))), lambda i: windows[i].span)

    out: list[Task] = []
    stack: list[_Heading] = []
    for h in _headings(text):
        while stack and stack[-1].level >= h.level:
            stack.pop()
        section = " / ".join(_label(text, a) for a in stack) or None
        stack.append(h)
        own_regions = regions.inside(h.start, h.end)
        responsible: list[str] = []
        for a, b in own_regions:
            for name, _span in expand_list(text[a:b], a):
                if name not in responsible:
                    responsible.append(name)
        own = by_span.inside(h.start, h.end)  # indexes, in text order
        in_title = [windows[i] for i in own if h.body <= windows[i].span[0] and windows[i].span[1] <= h.title_end]
        labelled = [windows[i] for i in own if i in labelled_ids]
        if not (in_title or labelled or responsible):
            continue
        window: Optional[object] = (in_title or labelled or [windows[i] for i in own] or [None])[0]
        title = _strip_notes(text, h.body, h.title_end, [w.span for w in in_title] + own_regions)
        out.append(Task(text=text[h.start:h.end], span=(h.start, h.end), title=title, window=window,
                        responsible=tuple(responsible), section=section))
    return out
