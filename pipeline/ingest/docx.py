"""DOCX (Office Open XML) read with python-docx: the body text in document order.

* Paragraphs and tables are read in the order of the body (also inside content controls);
  a table row is one line, its cells joined by `` | `` (pdf.CELL), merged cells once.
* Automatic numbering is restored from numbering.xml, which python-docx does not apply:
  the paragraph's numPr (or its style's), the level's numFmt (decimal, chineseCounting,
  ideographTraditional, decimalEnclosedCircle, roman, letters ...), lvlText such as
  ``（%1）`` or ``%1.%2``, start values, startOverride, and restarts of deeper levels.
  Counters run per abstract list, as in Word. Bullets are not written.
* Headers, footers, footnotes and comments are not part of the text: the body is the
  document (like PDF running heads, they are page furniture). Text boxes are not read;
  a warning says how many had text.

A password-protected DOCX is an OLE2 container, not a zip: ``read_ole`` reports it (and
legacy .doc files) as errors with the reason.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

import cn2an

from functools import cache

from .. import errors, rules
from ..errors import InputError
from ..schema import Raw
from .pdf import CELL

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CJK_END = re.compile(r"[、．。，：）)】〕]$")


def sniff(data: bytes, suffix: str) -> bool:
    """A zip whose parts include word/document.xml (or any zip named .docx); also an OLE2
    compound file (an encrypted DOCX, or a legacy .doc), which ``read`` reports as an error."""
    if data[:8] == OLE_MAGIC:
        return True
    return data[:4] == b"PK\x03\x04" and (b"word/document.xml" in data or suffix == ".docx")


def read_ole(data: bytes) -> Raw:
    if "EncryptionInfo".encode("utf-16-le") in data or "EncryptedPackage".encode("utf-16-le") in data:
        raise InputError(errors.ENCRYPTED, "encrypted Office document (a password-protected DOCX is stored "
                                           "as an OLE2 container with EncryptionInfo): needs the password")
    raise InputError(errors.UNSUPPORTED, "legacy Office binary file (OLE2: Word 97-2003 .doc or similar): "
                                         "convert it to DOCX or PDF")


# --- numbering -------------------------------------------------------------------------------

@cache
def _rules() -> dict:
    return rules.table("ingest.toml")["docx"]


_bad_values: list[str] = []  # damaged numbers met while reading one document (reported by read)


def _int(value, default: int = 0) -> int:
    """An integer attribute (w:ilvl, w:start ...); a damaged value counts as ``default``."""
    try:
        return int(value)
    except (TypeError, ValueError):
        _bad_values.append(str(value)[:20])
        return default


def check_parts(data: bytes) -> None:
    """Refuse a zip whose parts inflate past the caps of rules/ingest.toml [docx] (a zip
    bomb), from the sizes in its directory, before anything is inflated."""
    r = _rules()
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise InputError(errors.CORRUPT, f"corrupt DOCX: not a readable zip archive, truncated or damaged ({e})") from None
    total = 0
    for info in infos:
        size, packed = info.file_size, max(1, info.compress_size)
        total += size
        if size > r["max_part_bytes"]:
            raise InputError(errors.TOO_LARGE, f"DOCX part {info.filename} inflates to {size} bytes, over the cap of "
                                               f"{r['max_part_bytes']} (rules/ingest.toml [docx].max_part_bytes)")
        if size >= r["ratio_min_bytes"] and size / packed > r["max_ratio"]:
            raise InputError(errors.TOO_LARGE, f"DOCX part {info.filename} inflates {size / packed:.0f}-fold "
                                               f"({packed} -> {size} bytes), over the cap of {r['max_ratio']}-fold "
                                               f"(rules/ingest.toml [docx].max_ratio): a zip bomb?")
    if total > r["max_total_bytes"]:
        raise InputError(errors.TOO_LARGE, f"DOCX parts inflate to {total} bytes in all, over the cap of "
                                           f"{r['max_total_bytes']} (rules/ingest.toml [docx].max_total_bytes)")


# Parts python-docx parses as XML, and the empty element that stands in for a damaged one.
_STAND_INS = {"styles": "w:styles", "stylesWithEffects": "w:styles", "numbering": "w:numbering",
              "settings": "w:settings", "fontTable": "w:fonts", "webSettings": "w:webSettings",
              "footnotes": "w:footnotes", "endnotes": "w:endnotes", "comments": "w:comments"}
_HEADER_FOOTER = re.compile(r"word/(header|footer)\d*\.xml$")


def _repaired(data: bytes) -> tuple[bytes | None, list[str], str | None]:
    """(the DOCX with each unparseable secondary part replaced by an empty one, warnings,
    the part that cannot be replaced (word/document.xml) or None)."""
    from lxml import etree
    zin = zipfile.ZipFile(io.BytesIO(data))
    fixed: dict[str, bytes] = {}
    warnings: list[str] = []
    for info in zin.infolist():
        name = info.filename
        if not (name.endswith(".xml") or name.endswith(".rels")):
            continue
        try:
            etree.fromstring(zin.read(name), etree.XMLParser(resolve_entities=False, huge_tree=False))
            continue
        except etree.XMLSyntaxError as e:
            reason = str(e)
        stem = name.rsplit("/", 1)[-1].removesuffix(".xml")
        hf = _HEADER_FOOTER.search(name)
        root = _STAND_INS.get(stem) if name.startswith("word/") else None
        root = root or ("w:hdr" if hf and hf.group(1) == "header" else "w:ftr" if hf else None)
        if root is None:
            return None, warnings, f"{name} ({reason})"
        fixed[name] = f'<{root} xmlns:w="{W[1:-1]}"/>'.encode()
        warnings.append(f"{name} is damaged and was left out ({reason}); the text is read without it")
    if not fixed:
        return None, warnings, None
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in zin.infolist():
            z.writestr(info.filename, fixed.get(info.filename) or zin.read(info.filename))
    return out.getvalue(), warnings, None


def _val(el, tag: str, default=None):
    if el is None:
        return default
    child = el.find(W + tag)
    if child is None:
        return default
    return child.get(W + "val", default)


_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_PAREN = "⑴⑵⑶⑷⑸⑹⑺⑻⑼⑽⑾⑿⒀⒁⒂⒃⒄⒅⒆⒇"
_FULLSTOP = "⒈⒉⒊⒋⒌⒍⒎⒏⒐⒑⒒⒓⒔⒕⒖⒗⒘⒙⒚⒛"
_TIANGAN = "甲乙丙丁戊己庚辛壬癸"
_DIZHI = "子丑寅卯辰巳午未申酉戌亥"
_LEGAL = str.maketrans("一二三四五六七八九十百千", "壹贰叁肆伍陆柒捌玖拾佰仟")


def _roman(n: int) -> str:
    out = ""
    for v, s in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                 (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= v:
            out, n = out + s, n - v
    return out


def _letters(n: int) -> str:
    # Word: a..z, aa..zz, aaa..
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def _enclosed(chars: str, n: int) -> str:
    return chars[n - 1] if 1 <= n <= len(chars) else str(n)


def format_number(n: int, fmt: str) -> str:
    """The counter ``n`` written in Word's numFmt ``fmt``."""
    if fmt in ("chineseCounting", "chineseCountingThousand", "japaneseCounting", "taiwaneseCounting",
               "taiwaneseCountingThousand", "koreanCounting", "japaneseDigitalTenThousand"):
        return cn2an.an2cn(n, "low") if n > 0 else "〇"
    if fmt in ("chineseLegalSimplified", "japaneseLegal"):
        return cn2an.an2cn(n, "up") if n > 0 else "零"
    if fmt == "ideographTraditional":
        return _enclosed(_TIANGAN, n)
    if fmt == "ideographZodiac":
        return _enclosed(_DIZHI, n)
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese", "ideographEnclosedCircle"):
        return _enclosed(_CIRCLED, n)
    if fmt == "decimalEnclosedParen":
        return _enclosed(_PAREN, n)
    if fmt == "decimalEnclosedFullstop":
        return _enclosed(_FULLSTOP, n)
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("decimalFullWidth", "decimalFullWidth2"):
        return str(n).translate({0x30 + i: 0xFF10 + i for i in range(10)})
    if fmt == "upperRoman":
        return _roman(n)
    if fmt == "lowerRoman":
        return _roman(n).lower()
    if fmt == "upperLetter":
        return _letters(n).upper()
    if fmt == "lowerLetter":
        return _letters(n)
    if fmt in ("none", "bullet"):
        return ""
    return str(n)  # decimal, ordinal, cardinalText ... : digits are what extractors read


@dataclass
class Level:
    start: int = 1
    fmt: str = "decimal"
    text: str = "%1."
    suffix: str = "tab"
    restart: int | None = None  # lvlRestart: restart after this (1-based) level; 0 = never
    legal: bool = False


@dataclass
class Numbering:
    """numbering.xml: list definitions and the running counters of one document."""
    abstract: dict[str, dict[int, Level]] = field(default_factory=dict)
    nums: dict[str, tuple[str, dict[int, int], dict[int, Level]]] = field(default_factory=dict)
    counters: dict[str, dict[int, int]] = field(default_factory=dict)
    started: set[str] = field(default_factory=set)

    @staticmethod
    def _level(lvl) -> Level:
        restart = _val(lvl, "lvlRestart")
        return Level(start=_int(_val(lvl, "start", "1") or 1, 1), fmt=_val(lvl, "numFmt", "decimal") or "decimal",
                     text=_val(lvl, "lvlText", "") or "", suffix=_val(lvl, "suff", "tab") or "tab",
                     restart=_int(restart, None) if restart is not None else None,
                     legal=lvl.find(W + "isLgl") is not None)

    @classmethod
    def from_element(cls, root) -> "Numbering":
        self = cls()
        if root is None:
            return self
        for a in root.iter(W + "abstractNum"):
            self.abstract[a.get(W + "abstractNumId")] = {
                _int(lvl.get(W + "ilvl", "0")): cls._level(lvl) for lvl in a.findall(W + "lvl")}
        for n in root.iter(W + "num"):
            starts, levels = {}, {}
            for o in n.findall(W + "lvlOverride"):
                ilvl = _int(o.get(W + "ilvl", "0"))
                if (s := _val(o, "startOverride")) is not None:
                    starts[ilvl] = _int(s, 1)
                if (lvl := o.find(W + "lvl")) is not None:
                    levels[ilvl] = cls._level(lvl)
            self.nums[n.get(W + "numId")] = (_val(n, "abstractNumId"), starts, levels)
        return self

    def label(self, num_id: str, ilvl: int) -> str:
        """The number text of the next item of list ``num_id`` at level ``ilvl`` (advances it)."""
        if num_id not in self.nums:
            return ""
        abstract_id, starts, overrides = self.nums[num_id]
        levels = {**self.abstract.get(abstract_id, {}), **overrides}
        if ilvl not in levels:
            return ""
        key = abstract_id if abstract_id is not None else num_id
        counters = self.counters.setdefault(key, {})
        if num_id not in self.started:
            self.started.add(num_id)
            for lv, s in starts.items():  # "restart numbering": a new num with startOverride
                counters[lv] = s - 1
        level = levels[ilvl]
        counters[ilvl] = counters.get(ilvl, level.start - 1) + 1
        for deeper in [lv for lv in counters if lv > ilvl]:
            rl = levels.get(deeper)
            if rl is None or rl.restart != 0 and (rl.restart is None or rl.restart - 1 >= ilvl):
                del counters[deeper]
        if level.fmt == "bullet" or level.fmt == "none":
            return ""

        def sub(m: re.Match) -> str:
            lv = int(m.group(1)) - 1
            spec = levels.get(lv, Level())
            n = counters.get(lv, spec.start)
            return format_number(n, "decimal" if level.legal and lv != ilvl else spec.fmt)

        text = re.sub(r"%([1-9])", sub, level.text)
        if not text:
            return ""
        return text + ("" if level.suffix == "nothing" or _CJK_END.search(text) else " ")


# --- text ----------------------------------------------------------------------------------

class _Styles:
    def __init__(self, root):
        self.numpr: dict[str, tuple[str | None, int | None]] = {}
        self.based: dict[str, str] = {}
        if root is None:
            return
        for s in root.iter(W + "style"):
            sid = s.get(W + "styleId")
            if (b := _val(s, "basedOn")) is not None:
                self.based[sid] = b
            ppr = s.find(W + "pPr")
            numpr = ppr.find(W + "numPr") if ppr is not None else None
            if numpr is not None:
                ilvl = _val(numpr, "ilvl")
                self.numpr[sid] = (_val(numpr, "numId"), _int(ilvl) if ilvl is not None else None)

    def numbering(self, style_id: str | None) -> tuple[str | None, int | None]:
        seen = set()
        while style_id and style_id not in seen:
            seen.add(style_id)
            if style_id in self.numpr:
                return self.numpr[style_id]
            style_id = self.based.get(style_id)
        return None, None


_TEXT_TAGS = {W + "t": None, W + "tab": "\t", W + "br": "\n", W + "cr": "\n", W + "noBreakHyphen": "-",
              W + "softHyphen": ""}
_SKIP = {W + "txbxContent", MC_FALLBACK, W + "del", W + "moveFrom", W + "pPr", W + "rPr", W + "instrText",
         W + "delText", W + "footnoteReference", W + "endnoteReference", W + "commentReference"}


def _runs_text(el, out: list[str], boxes: list[int]) -> None:
    for child in el:
        tag = child.tag
        if tag in _TEXT_TAGS:
            rep = _TEXT_TAGS[tag]
            out.append((child.text or "") if rep is None else rep)
        elif tag in _SKIP:
            if tag == W + "txbxContent" and "".join(child.itertext()).strip():
                boxes[0] += 1
        elif isinstance(tag, str):
            _runs_text(child, out, boxes)


class _Reader:
    def __init__(self, numbering: Numbering, styles: _Styles):
        self.numbering, self.styles = numbering, styles
        self.lines: list[str] = []
        self.boxes = [0]

    def paragraph(self, p) -> str:
        ppr = p.find(W + "pPr")
        num_id, ilvl = None, None
        if ppr is not None:
            numpr = ppr.find(W + "numPr")
            s_num, s_lvl = self.styles.numbering(_val(ppr, "pStyle"))
            if numpr is not None:
                num_id = _val(numpr, "numId", s_num)
                lv = _val(numpr, "ilvl")
                ilvl = _int(lv) if lv is not None else s_lvl
            else:
                num_id, ilvl = s_num, s_lvl
        out: list[str] = []
        _runs_text(p, out, self.boxes)
        text = "".join(out)
        if num_id not in (None, "0") and text.strip():
            text = self.numbering.label(num_id, ilvl or 0) + text.lstrip()
        return text

    def cell(self, tc) -> str:
        parts = []
        for el in self._blocks(tc):
            if el.tag == W + "p":
                parts.append(self.paragraph(el).strip())
            elif el.tag == W + "tbl":
                parts.extend(self.table_rows(el))
        return " ".join(p for p in parts if p)

    def table_rows(self, tbl) -> list[str]:
        rows = []
        for tr in self._children(tbl, W + "tr"):
            cells = []
            for tc in self._children(tr, W + "tc"):
                tcpr = tc.find(W + "tcPr")
                vm = tcpr.find(W + "vMerge") if tcpr is not None else None
                if vm is not None and vm.get(W + "val", "continue") != "restart":
                    cells.append("")  # continuation of a vertically merged cell
                else:
                    cells.append(_space(self.cell(tc)))
            if any(cells):
                rows.append(CELL.join(cells))
        return rows

    @staticmethod
    def _children(el, tag: str):
        for child in el:
            if child.tag == tag:
                yield child
            elif child.tag in (W + "sdt", W + "customXml", W + "sdtContent"):
                yield from _Reader._children(child, tag)

    @staticmethod
    def _blocks(el):
        for child in el:
            if child.tag in (W + "p", W + "tbl"):
                yield child
            elif child.tag in (W + "sdt", W + "customXml", W + "sdtContent"):
                yield from _Reader._blocks(child)

    def body(self, body) -> None:
        for el in self._blocks(body):
            if el.tag == W + "p":
                self.lines.append(self.paragraph(el))
            else:
                self.lines.extend(self.table_rows(el))


def _space(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def read(data: bytes) -> Raw:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    if data[:8] == OLE_MAGIC:
        return read_ole(data)
    check_parts(data)
    warnings: list[str] = []
    try:
        document = docx.Document(io.BytesIO(data))
    except zipfile.BadZipFile as e:
        raise InputError(errors.CORRUPT, f"corrupt DOCX: not a readable zip archive, truncated or damaged ({e})") from None
    except (PackageNotFoundError, KeyError, ValueError) as e:
        raise InputError(errors.CORRUPT, f"corrupt DOCX: no Word document part ({type(e).__name__}: {e})") from None
    except MemoryError:
        raise
    except Exception as e:  # lxml XMLSyntaxError, zlib errors inside the archive
        document = None
        error = f"{type(e).__name__}: {e}"
    if document is None:  # a damaged styles.xml or numbering.xml must not cost the text
        try:
            fixed, warnings, bad = _repaired(data)
            document = docx.Document(io.BytesIO(fixed)) if fixed is not None else None
        except MemoryError:
            raise
        except Exception as e:  # noqa: BLE001 - zlib, lxml, python-docx errors of a damaged archive
            fixed, bad, error = None, None, f"{type(e).__name__}: {e}"
        if document is None:
            raise InputError(errors.CORRUPT, f"corrupt DOCX: {bad or 'cannot be parsed (' + error + ')'}") from None
    part = document.part
    numbering, styles = Numbering(), _Styles(None)
    _bad_values.clear()
    # numbering.xml and styles.xml only add list numbers: when they are damaged the text is
    # still read, without them, and a warning says so
    try:
        numbering = Numbering.from_element(part.numbering_part.element)
    except (NotImplementedError, KeyError):
        pass
    except Exception as e:  # noqa: BLE001 - lxml and python-docx errors of a damaged part
        warnings.append(f"word/numbering.xml unreadable ({type(e).__name__}: {e}); list numbers not restored")
    try:
        styles = _Styles(part.styles.element)
    except (NotImplementedError, KeyError):
        pass
    except Exception as e:  # noqa: BLE001
        warnings.append(f"word/styles.xml unreadable ({type(e).__name__}: {e}); list numbers of styles not restored")
    reader = _Reader(numbering, styles)
    try:
        reader.body(document.element.body)
    except RecursionError:
        raise InputError(errors.CORRUPT, "corrupt DOCX: word/document.xml nested too deep to read") from None
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as e:
        raise InputError(errors.CORRUPT, f"corrupt DOCX: word/document.xml cannot be read "
                                         f"({type(e).__name__}: {e})") from None
    text = "\n".join(reader.lines)
    if not text.strip():
        raise InputError(errors.NO_TEXT, "DOCX body has no text")
    if _bad_values:
        warnings.append(f"{len(_bad_values)} damaged numbers in list levels or numbering "
                        f"({', '.join(map(repr, _bad_values[:3]))}) read as defaults; list numbers may be off")
    if reader.boxes[0]:
        warnings.append(f"{reader.boxes[0]} text boxes with text not included (floating text outside the body flow)")
    return Raw(text=text, format="docx", encoding=None, warnings=tuple(warnings))
