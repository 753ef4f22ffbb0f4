"""Plain text in any of UTF-8 (with or without BOM), UTF-16, GB18030/GBK and Big5, read
best-effort when damaged.

Detection order: BOM; UTF-16 without BOM (the byte order whose decoding has line ends,
spaces and punctuation, and is mostly ASCII, CJK punctuation and ideographs; counting
NULs at odd and even offsets is fooled by 一, whose low byte is 0x00); UTF-8 when nearly all of its non-ASCII bytes form valid UTF-8
(a truncated last character, a few inserted bytes, Latin-1 noise are damage, not another
encoding); then chardet among the CJK codecs; then the codec that leaves the fewest bytes
undecoded.

Damage is read, not refused: every undecodable byte sequence and every run of control
bytes (the NUL runs of a damaged disk) becomes one U+FFFD in the text, which the
normaliser counts in ``normalization.suspect_chars``, and a warning names the byte ranges.
Offsets stay exact: the replaced text is the source text every ``source_span`` indexes.
Only content that is mostly not text is refused (rules/ingest.toml [txt]).
"""
from __future__ import annotations

import codecs
import re
from functools import cache

import chardet

from .. import errors, rules
from ..errors import InputError
from ..schema import Raw

TEXT_SUFFIXES = {".txt", ".text", ".md", ".csv", ".tsv", ""}
# chardet's names -> the codec we decode with and the name the contract records.
_CJK = {"gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "hz-gb-2312": "gb18030",
        "big5": "big5", "big5hkscs": "big5", "cp950": "big5", "euc-tw": "big5"}
_CODEC = {"gb18030": "gb18030", "big5": "cp950", "utf-8": "utf-8", "utf-16": "utf-16"}
_CONTROL_BYTES = bytes(c for c in range(32) if c not in (9, 10, 12, 13))
_NOT_CONTROL = bytes(c for c in range(256) if c not in _CONTROL_BYTES)
_HIGH = bytes(range(128, 256))
_CTRL_RUN = re.compile(b"[" + re.escape(_CONTROL_BYTES) + b"]+")
_CTRL_RUN_TEXT = re.compile("[" + re.escape(_CONTROL_BYTES.decode("ascii")) + "]+")
_NUL_RUN = re.compile(rb"\x00+")
# A UTF-16 decoding of real text has line ends, spaces and punctuation (_SEPARATOR): in
# the wrong byte order they turn into U+0A00, U+2000, U+0CFF ..., and nothing a document
# holds turns into them. Most of what it holds is ASCII, CJK punctuation or ideographs (_PLAUSIBLE).
_SEPARATOR = re.compile(r"[\t\n\r ，。、；：？！“”‘’（）《》,.;:!?()]")
_PLAUSIBLE = re.compile(r"[\t\n\r\x20-\x7e\u00a0-\u00ff\u2010-\u2027\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
_MARK = "gongwen.mark"
_marked: list[tuple[int, int]] = []


def _mark(e: UnicodeDecodeError):
    _marked.append((e.start, e.end))
    return "\ufffd", e.end


codecs.register_error(_MARK, _mark)


@cache
def _rules() -> dict:
    return rules.table("ingest.toml")["txt"]


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'-be' when the bytes read as UTF-16 text in one byte order, else None."""
    sample = data[:4000]
    sample = sample[: len(sample) - len(sample) % 2]
    if sample.count(0) < 2:  # UTF-16 text has NUL bytes: ASCII, line ends, 一 (U+4E00) ...
        return None
    scores = {}
    for codec in ("utf-16-le", "utf-16-be"):
        text = sample.decode(codec, "replace")
        scores[codec] = (len(_SEPARATOR.findall(text)), len(_PLAUSIBLE.findall(text)) / max(1, len(text)))
    (best, (seps, plausible)), (_other, (other, _p)) = sorted(scores.items(), key=lambda kv: -kv[1][0])
    if plausible < 0.8 or seps < 3 * other + 1:
        return None
    return best


def _control_share(data: bytes) -> float:
    """Share of control bytes (not tab, line ends, form feed), a NUL run counting once."""
    controls = len(data.translate(None, _NOT_CONTROL))
    if not controls:
        return 0.0
    nul = data.count(0)
    runs = len(_NUL_RUN.findall(data)) if nul else 0
    return (controls - nul + runs) / len(data)


def looks_binary(data: bytes) -> bool:
    """Binary content: more control bytes than text has (rules/ingest.toml [txt].max_control_share)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _utf16_without_bom(data):
        return False
    return _control_share(data) > _rules()["max_control_share"]


def sniff(data: bytes, suffix: str) -> bool:
    """Text is the fallback format: anything not binary."""
    return not looks_binary(data)


def _replaced(data: bytes, codec: str) -> int:
    """How many byte sequences ``codec`` cannot decode (U+FFFD already in the bytes aside)."""
    text = data.decode(codec, "replace")
    return text.count("\ufffd") - data.decode(codec, "ignore").count("\ufffd")


def _mostly_utf8(data: bytes) -> bool:
    """UTF-8 with damage: the non-ASCII bytes are at least ten valid characters for each
    undecodable sequence (GB18030 or Big5 bytes hardly ever form valid UTF-8)."""
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    ascii_bytes = len(data.translate(None, _HIGH))
    valid = len(text) - ascii_bytes - bad
    return valid > 0 and valid >= 10 * bad


def detect(data: bytes) -> tuple[str, str]:
    """(recorded encoding name, codec to decode with)."""
    name, codec, _text = _detect(data)
    return name, codec


def _detect(data: bytes) -> tuple[str, str, str | None]:
    """(recorded encoding name, codec, the text when strict UTF-8 already decoded it)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8", "utf-8-sig", None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "utf-16", None
    if (codec := _utf16_without_bom(data)) is not None:
        return "utf-16", codec, None
    try:
        return "utf-8", "utf-8", data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(data):
        return "utf-8", "utf-8", None
    guess = (chardet.detect(data[:200_000]).get("encoding") or "").lower()
    if guess in _CJK:
        return _CJK[guess], _CODEC[_CJK[guess]], None
    for name in ("gb18030", "big5"):  # strict decoding decides when chardet has no CJK guess
        try:
            data.decode(_CODEC[name])
            return name, _CODEC[name], None
        except UnicodeDecodeError:
            continue
    # damaged: the codec that leaves the fewest bytes undecoded (read() refuses it when
    # that is still most of the file)
    name = min(("utf-8", "gb18030", "big5"), key=lambda n: _replaced(data, _CODEC[n]))
    return name, _CODEC[name], None


def _decode_piece(piece: bytes, codec: str, offset: int, ranges: list[tuple[int, int]]) -> str:
    try:
        return piece.decode(codec)
    except UnicodeDecodeError:
        pass
    _marked.clear()
    text = piece.decode(codec, _MARK)
    ranges.extend((offset + a, offset + b) for a, b in _marked)
    _marked.clear()
    return text


def _decode_marked(data: bytes, codec: str, text: str | None = None
                   ) -> tuple[str, list[tuple[int, int]], list[tuple[int, int]]]:
    """(text, byte ranges of undecodable sequences, byte ranges of control-byte runs),
    each range replaced by one U+FFFD. ``text``: ``data`` already decoded strictly."""
    bad: list[tuple[int, int]] = []
    runs: list[tuple[int, int]] = []
    if text is not None and not data.translate(None, _NOT_CONTROL):
        return text, bad, runs
    if codec.startswith("utf-16"):
        text = _decode_piece(data, codec, 0, bad)
        if not _CTRL_RUN_TEXT.search(text):
            return text, bad, runs
        bom = 2 if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else 0
        unit = "utf-16-le" if codec != "utf-16-be" else "utf-16-be"
        parts, pos, done = [], 0, 0
        for m in _CTRL_RUN_TEXT.finditer(text):
            done += len(text[pos:m.start()].encode(unit, "surrogatepass"))
            start = bom + done
            done += 2 * (m.end() - m.start())
            runs.append((start, bom + done))
            parts += [text[pos:m.start()], "\ufffd"]
            pos = m.end()
        parts.append(text[pos:])
        return "".join(parts), bad, runs
    # ASCII-compatible codecs: a control byte is never part of a multi-byte character,
    # so the pieces between control runs decode on their own
    if not data.translate(None, _NOT_CONTROL):  # no control byte (faster than a regex search)
        return _decode_piece(data, codec, 0, bad), bad, runs
    parts, pos = [], 0
    for m in _CTRL_RUN.finditer(data):
        parts += [_decode_piece(data[pos:m.start()], codec, pos, bad), "\ufffd"]
        runs.append(m.span())
        pos = m.end()
    parts.append(_decode_piece(data[pos:], codec, pos, bad))
    return "".join(parts), bad, runs


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(b, out[-1][1]))
        else:
            out.append((a, b))
    return out


def _where(ranges: list[tuple[int, int]], shown: int = 8) -> str:
    spans = _merge(ranges)
    text = ", ".join(f"{a}-{b - 1}" if b - a > 1 else f"{a}" for a, b in spans[:shown])
    return text + (f" and {len(spans) - shown} more ranges" if len(spans) > shown else "")


def decode_text(data: bytes) -> tuple[str, str, tuple[str, ...]]:
    """(text, recorded encoding, warnings); damage replaced and reported, or InputError
    when the bytes are mostly not text."""
    name, codec, strict = _detect(data)
    text, bad, runs = _decode_marked(data, codec, strict)
    damaged = sum(b - a for a, b in bad) + sum(b - a for a, b in runs)
    share = _rules()["max_damage_share"]
    if damaged > share * len(data):
        raise InputError(errors.UNREADABLE, f"mostly not text: {damaged} of {len(data)} bytes do not decode as "
                                            f"{name} or are control bytes (more than {share:.0%}, rules/ingest.toml "
                                            f"[txt].max_damage_share); not UTF-8/16, GB18030 or Big5 text")
    warnings = []
    if bad:
        end = " (the file ends inside a character: truncated)" if bad[-1][1] == len(data) else ""
        warnings.append(f"{len(bad)} undecodable byte sequences replaced with U+FFFD ({name}) at bytes "
                        f"{_where(bad)}{end}")
    if runs:
        warnings.append(f"{len(runs)} runs of NUL or control bytes ({sum(b - a for a, b in runs)} bytes) replaced "
                        f"with U+FFFD at bytes {_where(runs)}")
    return text, name, tuple(warnings)


def decode(data: bytes) -> tuple[str, str, int]:
    """(text, recorded encoding, number of replaced sequences and control runs)."""
    text, name, _warnings = decode_text(data)
    return text, name, text.count("\ufffd") - data.count(b"\xef\xbf\xbd")


def read(data: bytes) -> Raw:
    text, encoding, warnings = decode_text(data)
    if not text.strip():
        raise InputError(errors.EMPTY, "file has no text (only whitespace)")
    return Raw(text=text, format="txt", encoding=encoding, warnings=warnings)
