"""Plain text in any of UTF-8 (with or without BOM), UTF-16, GB18030/GBK and Big5.

Detection order: BOM; UTF-16 without BOM (NUL bytes in alternate positions); strict
UTF-8; then chardet among the CJK codecs. Undecodable bytes are replaced, counted and
reported as a warning; a file that ends inside a UTF-8 character is truncated (an error).
"""
from __future__ import annotations

import codecs

import chardet

from .. import errors
from ..errors import InputError
from ..schema import Raw

TEXT_SUFFIXES = {".txt", ".text", ".md", ".csv", ".tsv", ""}
# chardet's names -> the codec we decode with and the name the contract records.
_CJK = {"gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "hz-gb-2312": "gb18030",
        "big5": "big5", "big5hkscs": "big5", "cp950": "big5", "euc-tw": "big5"}
_CODEC = {"gb18030": "gb18030", "big5": "cp950", "utf-8": "utf-8", "utf-16": "utf-16"}
_CONTROL = {c for c in range(32)} - {9, 10, 12, 13}


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'-be' when NUL bytes sit mostly at odd/even offsets and the bytes decode."""
    sample = data[:4000]
    sample = sample[: len(sample) - len(sample) % 2]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if max(even, odd) < 2 or min(even, odd) * 4 > max(even, odd):
        return None
    codec = "utf-16-le" if odd > even else "utf-16-be"
    try:
        text = sample.decode(codec)
    except UnicodeDecodeError:
        return None
    printable = sum(1 for c in text if c.isprintable() or c in "\r\n\t")
    return codec if printable > 0.95 * len(text) else None


def detect(data: bytes) -> tuple[str, str]:
    """(recorded encoding name, codec to decode with)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8", "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "utf-16"
    if (codec := _utf16_without_bom(data)) is not None:
        return "utf-16", codec
    try:
        data.decode("utf-8")
        return "utf-8", "utf-8"
    except UnicodeDecodeError as e:
        if e.start >= len(data) - 3 and e.reason == "unexpected end of data":
            raise InputError("truncated", f"file ends inside a UTF-8 character at byte {e.start} "
                                          f"of {len(data)}: the file is truncated") from None
        utf8_error = e
    guess = (chardet.detect(data[:200_000]).get("encoding") or "").lower()
    if guess in _CJK:
        return _CJK[guess], _CODEC[_CJK[guess]]
    for name in ("gb18030", "big5"):  # strict decoding decides when chardet has no CJK guess
        try:
            data.decode(_CODEC[name])
            return name, _CODEC[name]
        except UnicodeDecodeError:
            continue
    # Mostly UTF-8 with a few bad bytes: keep UTF-8 and replace them.
    if sum(1 for _ in data.decode("utf-8", "replace") if _ == "\ufffd") < 0.01 * len(data):
        return "utf-8", "utf-8"
    raise InputError(errors.UNREADABLE, f"cannot determine the text encoding (not UTF-8/16, GB18030 or Big5; "
                                        f"first UTF-8 error at byte {utf8_error.start})")


def looks_binary(data: bytes) -> bool:
    sample = data[:8000]
    if _utf16_without_bom(sample) or sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\0" in sample:
        return True
    controls = sum(1 for b in sample if b in _CONTROL)
    return controls > 0.05 * len(sample)


def sniff(data: bytes, suffix: str) -> bool:
    """Text is the fallback format: anything not binary."""
    return not looks_binary(data)


def decode(data: bytes) -> tuple[str, str, int]:
    """(text, recorded encoding, number of replaced undecodable sequences)."""
    name, codec = detect(data)
    try:
        return data.decode(codec), name, 0
    except UnicodeDecodeError:
        text = data.decode(codec, "replace")
        return text, name, text.count("\ufffd")


def read(data: bytes) -> Raw:
    text, encoding, replaced = decode(data)
    if not text.strip():
        raise InputError(errors.EMPTY, "file has no text (only whitespace)")
    warnings = (f"{replaced} undecodable byte sequences replaced with U+FFFD ({encoding})",) if replaced else ()
    return Raw(text=text, format="txt", encoding=encoding, warnings=warnings)
