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
    ("低保户27户64人".encode()[:-1], "truncated"),
])
def test_bad_inputs(data, code):
    with pytest.raises(InputError) as e:
        read(data, ".txt")
    assert e.value.code == code


def test_bom_is_not_part_of_text():
    raw = read(codecs.BOM_UTF8 + "通知".encode())
    assert raw.text == "通知"
