"""Saved web pages and HTML fragments (Word → HTML exports) read with BeautifulSoup + lxml.

* Encoding: a byte-order mark, else the declared charset (``<meta charset>`` or the
  http-equiv content type, within the first 4 KiB) when the bytes decode with it, else
  detection as for plain text (txt.detect). ``Raw.encoding`` is the charset decoded with.
* Text: scripts, styles, navigation and other debris (rules/ingest.toml [html]) dropped;
  block elements start lines, inline elements never do (``5086<span>户</span>`` stays
  ``5086户``); ``<br>`` breaks a line; table rows are lines with cells joined by `` | ``.
  Whitespace follows the browser: runs collapse to one space, and a line break in the
  source between two CJK characters disappears (CSS Text segment-break rules).
"""
from __future__ import annotations

import codecs
import re
from functools import cache

from .. import errors, rules
from ..errors import InputError
from ..schema import Raw
from . import txt
from .pdf import CELL

_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title|div|p|span|table|section|article|h[1-6]|style|script|link|center|font)\b",
                    re.I | re.S)
_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_WS = re.compile(r"[ \t\r\n\f]+")
_BREAK_CJK = re.compile(rf"(?<=[{_CJK}])[ \t\r\f]*\n[ \t\r\n\f]*(?=[{_CJK}])")
# declared charsets -> (codec, recorded name)
_CHARSETS = {"gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "x-gbk": "gb18030",
             "big5": "big5", "big5-hkscs": "big5", "utf-8": "utf-8", "utf8": "utf-8",
             "utf-16": "utf-16", "iso-8859-1": "utf-8", "windows-1252": "utf-8", "us-ascii": "utf-8"}
_CODEC = {"gb18030": "gb18030", "big5": "cp950", "utf-8": "utf-8", "utf-16": "utf-16"}


@cache
def _rules() -> dict:
    t = rules.table("ingest.toml")["html"]
    names = "|".join(re.escape(n) for n in t["drop_names"])
    return {"drop_tags": frozenset(t["drop_tags"]), "block": frozenset(t["block_tags"]),
            "drop_name": rules.compile_pattern(rf"(?i)(?:^|[-_\s])(?:{names})(?:$|[-_\s\d])", "ingest.toml:html.drop_names")}


def sniff(data: bytes, suffix: str) -> bool:
    """Markup at the start (<!DOCTYPE html>, <html>, <meta>, <p> ...), or a .html/.htm name."""
    head = data[:2048]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            head = head.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return False
    if _START.match(head):
        return True
    return suffix in (".html", ".htm", ".xhtml") and b"<" in head and not txt.looks_binary(data)


def decode(data: bytes) -> tuple[str, str, tuple[str, ...]]:
    """(text, recorded charset, warnings)."""
    if data.startswith(codecs.BOM_UTF8):
        return data.decode("utf-8-sig", "replace"), "utf-8", ()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace"), "utf-16", ()
    warnings: tuple[str, ...] = ()
    if m := _META.search(data[:4096]):
        declared = m.group(1).decode("ascii", "replace").lower()
        name = _CHARSETS.get(declared)
        if name:
            try:
                return data.decode(_CODEC[name]), name, ()
            except UnicodeDecodeError:
                warnings = (f"declared charset {declared!r} does not decode the page; detected instead",)
        else:
            warnings = (f"declared charset {declared!r} not supported; detected instead",)
    text, name, damage = txt.decode_text(data)
    return text, name, warnings + damage


def _dropped(el, r: dict) -> bool:
    if el.name in r["drop_tags"]:
        return True
    attrs = el.attrs or {}
    style = attrs.get("style", "")
    if isinstance(style, str) and re.search(r"display\s*:\s*none|visibility\s*:\s*hidden", style, re.I):
        return True
    if attrs.get("hidden") is not None or attrs.get("aria-hidden") == "true":
        return True
    for key in ("class", "id", "role"):
        v = attrs.get(key)
        if not v:
            continue
        for name in (v if isinstance(v, list) else [v]):
            if key == "role" and name in ("navigation", "banner", "contentinfo", "search"):
                return True
            if key != "role" and r["drop_name"].search(name):
                return True
    return False


class _Text:
    """Collects text with explicit line breaks; inline content flows within a line."""

    def __init__(self):
        self.lines: list[str] = []
        self.cur: list[str] = []

    def add(self, s: str) -> None:
        self.cur.append(s)

    def newline(self) -> None:
        line = _WS.sub(" ", _BREAK_CJK.sub("", "".join(self.cur))).strip()
        if line:
            self.lines.append(line)
        self.cur = []


def _walk(el, out: _Text, r: dict) -> None:
    """Text of ``el``'s children into ``out``, walked with an explicit stack: pages from
    old Word exports nest unclosed <font> and <div> thousands deep."""
    from bs4 import Comment, Declaration, Doctype, NavigableString, ProcessingInstruction
    stack = [(iter(el.children), False)]  # (children left, whether the element ends a line)
    while stack:
        children, block = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if block:
                out.newline()
            continue
        if isinstance(child, NavigableString):
            if not isinstance(child, (Comment, Declaration, Doctype, ProcessingInstruction)):
                out.add(str(child))
            continue
        name = child.name
        if _dropped(child, r):
            continue
        if name == "br":
            out.newline()
        elif name == "table" and not _layout(child):
            out.newline()
            for row in _rows(child, r):
                out.lines.append(row)
        elif name in r["block"] or name in ("td", "th"):  # td/th: a cell of a layout table
            out.newline()
            stack.append((iter(child.children), True))
        else:
            stack.append((iter(child.children), False))


def _own_cells(table):
    for tr in table.find_all("tr"):
        if tr.find_parent("table") is table:
            yield tr, tr.find_all(["td", "th"], recursive=False)


_BLOCKS = ["p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "section", "article"]


def _layout(table) -> bool:
    """A table used for page layout, not data: one column, or cells holding nested tables
    or several paragraphs. Its cells are read as blocks, not as rows of cells."""
    widest = 0
    for _tr, cells in _own_cells(table):
        widest = max(widest, sum(1 for c in cells if c.get_text(strip=True)))
        for c in cells:
            if c.find("table") is not None or len(c.find_all(_BLOCKS)) >= 3:
                return True
    return widest <= 1


def _rows(table, r: dict) -> list[str]:
    rows = []
    for _tr, tds in _own_cells(table):
        cells = []
        for td in tds:
            sub = _Text()
            _walk(td, sub, r)
            sub.newline()
            cells.append(" ".join(sub.lines))
        if any(cells):
            rows.append(CELL.join(cells))
    return rows


def read(data: bytes) -> Raw:
    from bs4 import BeautifulSoup

    text, charset, warnings = decode(data)
    r = _rules()
    try:
        soup = BeautifulSoup(text, "lxml")
        root = soup.body or soup
        out = _Text()
        _walk(root, out, r)
        out.newline()
    except RecursionError:
        raise InputError(errors.CORRUPT, "HTML nested too deep to read (the parser recursed past Python's "
                                         "limit)") from None
    except (ValueError, TypeError, AttributeError, LookupError) as e:  # parser and tree bugs on broken markup
        raise InputError(errors.CORRUPT, f"HTML cannot be parsed ({type(e).__name__}: {e})") from None
    body = "\n".join(out.lines)
    if not body.strip():
        raise InputError(errors.NO_TEXT, "HTML page has no text outside scripts, styles and navigation")
    return Raw(text=body, format="html", encoding=charset, warnings=warnings)
