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


def _strip_notes(text: str, start: int, end: int, cut: list[tuple[int, int]]) -> str:
    """text[start:end] without the bracketed notes that contain a cut span, trimmed."""
    out, k = [], start
    while k < end:
        if text[k] in _OPEN:
            depth, j = 0, k
            while j < end:
                depth += text[j] in _OPEN
                depth -= text[j] in _CLOSE
                j += 1
                if depth == 0:
                    break
            if any(k <= a and b <= j for a, b in cut):
                k = j
                continue
        out.append(text[k])
        k += 1
    return "".join(out).strip().rstrip("，,。；;：: ")


def extract(doc, ctx) -> list[Task]:
    text = text_of(doc)
    r = _rules()
    # a recurring rule (每月20日前) is not the window of a work item
    windows = sorted((w for w in ctx.results.get("date_windows", ()) or () if w.kind != "recurring"),
                     key=lambda w: w.span)
    regions = role_regions(text)
    timed = [(m.start(1), m.end(1)) for m in r.time_label_re.finditer(text)]
    inside = lambda span, a, b: a <= span[0] and span[1] <= b  # noqa: E731

    out: list[Task] = []
    stack: list[_Heading] = []
    for h in _headings(text):
        while stack and stack[-1].level >= h.level:
            stack.pop()
        section = " / ".join(_label(text, a) for a in stack) or None
        stack.append(h)
        own_regions = [g for g in regions if inside(g, h.start, h.end)]
        responsible: list[str] = []
        for a, b in own_regions:
            for name, _span in expand_list(text[a:b], a):
                if name not in responsible:
                    responsible.append(name)
        in_title = [w for w in windows if inside(w.span, h.body, h.title_end)]
        labelled = [w for w in windows if any(inside(w.span, a, b) for a, b in timed) and inside(w.span, h.start, h.end)]
        if not (in_title or labelled or responsible):
            continue
        window: Optional[object] = (in_title or labelled or [w for w in windows if inside(w.span, h.start, h.end)] or [None])[0]
        title = _strip_notes(text, h.body, h.title_end, [w.span for w in in_title] + own_regions)
        out.append(Task(text=text[h.start:h.end], span=(h.start, h.end), title=title, window=window,
                        responsible=tuple(responsible), section=section))
    return out
