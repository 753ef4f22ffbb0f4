"""Text ingest: every supported encoding round-trips to the same normalised text."""
from __future__ import annotations

import codecs

import pytest

from conftest import CORPUS
from pipeline import errors
from pipeline.errors import InputError
from pipeline.ingest import read
from pipeline.normalize import normalize

SEED000 = CORPUS / "000_ebc4226e16baa30c.txt"
SEED003 = CORPUS / "003_1a0f7cd30ebc3691.txt"


def _text(data: bytes) -> str:
    raw = read(data, ".txt")
    return normalize(raw.text).text


@pytest.mark.parametrize("seed, codec, recorded", [
    (SEED003, "big5", "big5"),
    (SEED003, "utf-16", "utf-16"),
    (SEED003, "utf-16-le", "utf-16"),
    (SEED000, "gb18030", "gb18030"),
    (SEED000, "gbk", "gb18030"),
    (SEED000, "utf-8-sig", "utf-8"),
    (SEED000, "utf-16-be", "utf-16"),
])
def test_encodings_round_trip(seed, codec, recorded):
    source = seed.read_text(encoding="utf-8")
    if codec == "big5":
        # Big5 cannot hold every character of the web page (e.g. U+FFFD debris); compare
        # against the UTF-8 text restricted to what Big5 can encode.
        source = source.encode("cp950", "ignore").decode("cp950")
    data = source.encode(codec)
    raw = read(data, ".txt")
    assert raw.encoding == recorded
    assert normalize(raw.text).text == normalize(source).text


def test_short_gb18030_snippet():
    raw = read("扶贫办关于建档立卡贫困户的通知".encode("gb18030"))
    assert raw.encoding == "gb18030"
    assert raw.text == "扶贫办关于建档立卡贫困户的通知"


def test_undecodable_bytes_are_replaced_and_reported():
    data = "低保户27户64人，".encode() + b"\xff\xfe\xfa" + "五保户3户。".encode() * 50
    raw = read(data)
    assert raw.encoding == "utf-8"
    assert "\ufffd" in raw.text
    assert any("undecodable" in w for w in raw.warnings)


@pytest.mark.parametrize("data, code", [
    (b"", errors.EMPTY),
    (b"  \n\t ", errors.EMPTY),
    (bytes(range(256)) * 4, errors.BINARY),
    (bytes(range(128, 256)) * 2 + b"\xff" * 600, errors.UNREADABLE),  # mostly undecodable
])
def test_bad_inputs(data, code):
    with pytest.raises(InputError) as e:
        read(data, ".txt")
    assert e.value.code == code


def test_bom_is_not_part_of_text():
    raw = read(codecs.BOM_UTF8 + "通知".encode())
    assert raw.text == "通知"


# --- damaged text is read, the damage marked (issue 14) ---------------------------------------

REPORT = SEED000.read_text(encoding="utf-8")
GOOD = REPORT.encode("utf-8")
MID = GOOD.index("7月下旬至10月中旬".encode())  # the damage goes just before this


def _damaged(name: str) -> bytes:
    at = GOOD.rfind(b"\n", 0, MID) + 1  # a line start: damage never splits a character here
    return {
        "truncated": GOOD + "扶贫".encode()[:-1],
        "truncated-2": GOOD + "扶".encode()[:-2],
        "nul-run": GOOD[:at] + b"\0" * 700 + GOOD[at:],
        "nul-runs": GOOD[:at] + b"\0" * 5 + GOOD[at:at + 30].rsplit(b"\xe3", 1)[0] + b"\0\0\0" + GOOD[at + 30:],
        "random-bytes": GOOD[:at] + b"\xff\xfe\x81" + GOOD[at:at + 300] + b"\xc3" + GOOD[at + 300:],
        "latin-1-noise": GOOD[:at] + bytes(range(0x80, 0x100)) + GOOD[at:],
    }[name]


@pytest.mark.parametrize("name", ["truncated", "truncated-2", "nul-run", "nul-runs", "random-bytes", "latin-1-noise"])
def test_damaged_utf8_is_read_with_the_damage_marked(name):
    from pipeline.assemble import process_bytes
    data = _damaged(name)
    raw = read(data, ".txt")
    assert raw.encoding == "utf-8"
    # the text around the damage is there, and the date window right after it is extracted
    assert "7月下旬至10月中旬" in raw.text and REPORT[:40] in raw.text and REPORT[-20:] in raw.text
    replaced = raw.text.count("\ufffd")
    assert replaced >= 1
    assert any("at bytes" in w for w in raw.warnings), raw.warnings
    record = process_bytes(data, f"{name}.txt", ".txt")
    assert record.normalization.suspect_chars >= replaced
    assert any(w.text == "7月下旬至10月中旬" for w in record.date_windows)
    # offsets stay exact: every item's source span holds the same text in the source
    for w in record.date_windows:
        s, e = w.source_span
        assert normalize(raw.text[s:e]).text == w.text


def test_the_warning_names_the_damaged_byte_ranges():
    at = GOOD.index(b"\n") + 1
    raw = read(GOOD[:at] + b"\0" * 16 + GOOD[at:] + "通".encode()[:2], ".txt")
    n = len(GOOD) + 16
    assert any(f"at bytes {at}-{at + 15}" in w for w in raw.warnings), raw.warnings
    assert any(f"at bytes {n}-{n + 1}" in w and "truncated" in w for w in raw.warnings), raw.warnings
    assert raw.text.count("\ufffd") == 2


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_holding_characters_with_a_zero_low_byte(codec):
    """一 (U+4E00), 开 (U+5F00) and 退 (U+9000) put a NUL byte where ASCII has none."""
    text = "一、一是开展一对一帮扶，一户一策；退出一批。\n" * 20 + REPORT
    raw = read(text.encode(codec), ".txt")
    assert (raw.encoding, raw.text) == ("utf-16", text)
    pure = "一一一开开退一一开一一退，一一。\n" * 30
    assert read(pure.encode(codec), ".txt").text == pure


def test_damaged_gb18030_and_utf16_are_read():
    raw = read(REPORT.encode("gb18030")[:-1], ".txt")
    assert raw.encoding == "gb18030" and raw.text.endswith("\ufffd")
    data = REPORT.encode("utf-16-le")
    raw = read(data[:1000] + b"\0" * 40 + data[1000:], ".txt")
    assert raw.encoding == "utf-16" and raw.text.count("\ufffd") == 1
    assert REPORT[600:] in raw.text
