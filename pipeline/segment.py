"""Segment normalised text into words -> spaCy Doc built from token offsets.

Two segmenters give the same words (``tests/test_segment.py`` checks it on the corpus):

- ``rjieba`` (jieba-rs: jieba's dictionary and algorithm in Rust), the default when installed;
- ``jieba``, the reference: jieba's own ``Tokenizer``.

Both load jieba's dictionary, rules/jieba_userdict.txt and the segmentation lexicons
(``rules.segment_words``). ``GONGWEN_SEGMENTER=jieba`` selects the reference.

Part-of-speech tags come from the dictionary (``tag_of``), the same for both segmenters:
a word's tag in jieba's dictionary or our user dictionary, else ``m`` for ASCII digits,
``eng`` for other ASCII letters and digits and ``x`` for anything else (jieba-rs's rule).

The Doc is built directly (``Doc(vocab, words, spaces)``) rather than through
``spacy.blank("zh")``, whose segmenter uses jieba's global instance and aligns words in
quadratic time. Dictionaries load once per process (``segmenter()`` is cached).
"""
from __future__ import annotations

import logging
import os
import re
from functools import cache, lru_cache
from itertools import accumulate, chain, compress
from operator import itemgetter
from typing import Mapping, Protocol

import numpy
from spacy.attrs import SENT_START
from spacy.tokens import Doc
from spacy.vocab import Vocab

from . import rules
from .errors import GongwenError

# Characters that end a sentence (a newline ends one too: a heading is its own sentence).
SENTENCE_END = frozenset("。！？；!?;\n")
_CLOSERS = frozenset("”’」』）)》")
# jieba's finalseg splits a run without Han characters at these (2014-2020 -> 2014 - 2020).
_ASCII_WORD = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")
_ASCII_PAIR = re.compile(r"[\x00-\x7f]{2}")
BACKENDS = ("rjieba", "jieba")


class Segmenter(Protocol):
    name: str

    def cut(self, text: str) -> list[str]: ...


class JiebaSegmenter:
    """The reference: jieba's own Tokenizer (pure Python)."""
    name = "jieba"

    def __init__(self) -> None:
        import jieba
        jieba.setLogLevel(logging.WARNING)
        self._tok = jieba.Tokenizer()
        self._tok.initialize()
        for word, freq, tag in rules.jieba_userdict():
            self._tok.add_word(word, freq, tag)
        for word in rules.segment_words():
            self._tok.add_word(word)

    def cut(self, text: str) -> list[str]:
        return list(self._tok.cut(text, HMM=True))


class RustSegmenter:
    """jieba-rs through rjieba; runs without Han characters are split as jieba splits them."""
    name = "rjieba"

    def __init__(self) -> None:
        import rjieba
        self._tok = rjieba.Jieba()
        for word, freq, tag in rules.jieba_userdict():
            self._tok.add_word(word, freq, tag)
        for word in rules.segment_words():
            self._tok.add_word(word, None, None)

    def cut(self, text: str) -> list[str]:
        words = self._tok.cut(text, True)
        if not _ASCII_PAIR.search(text):
            return words  # no ASCII word longer than one character (most short phrases)
        # Only an ASCII word with a character other than letters and digits (2014-2020,
        # www.gd.gov.cn) can need splitting; most texts have few.
        odd = [k for k in compress(range(len(words)), map(str.isascii, words))
               if len(words[k]) > 1 and not words[k].isalnum() and not _ASCII_WORD.fullmatch(words[k])]
        if not odd:
            return words
        out: list[str] = []
        done = 0
        for k in odd:
            out += words[done:k]
            out += [p for p in _ASCII_WORD.split(words[k]) if p]
            done = k + 1
        return out + words[done:]


def _backend_name() -> str:
    name = os.environ.get("GONGWEN_SEGMENTER", "")
    if name and name not in BACKENDS:
        raise GongwenError(f"GONGWEN_SEGMENTER={name!r}: expected one of {', '.join(BACKENDS)}")
    if name:
        return name
    try:
        import rjieba  # noqa: F401
    except ImportError:
        return "jieba"
    return "rjieba"


@cache
def segmenter(name: str = "") -> Segmenter:
    """The segmenter ``name`` (default: ``GONGWEN_SEGMENTER``, else rjieba when installed)."""
    name = name or _backend_name()
    return RustSegmenter() if name == "rjieba" else JiebaSegmenter()


@cache
def vocab() -> Vocab:
    return Vocab()


@cache
def word_tags() -> Mapping[str, str]:
    """word -> part-of-speech tag: jieba's dictionary, then the tags of our user dictionary."""
    import jieba
    tags: dict[str, str] = {}
    with jieba.get_dict_file() as f:
        for line in f:
            parts = line.decode("utf-8").split()
            if len(parts) == 3:
                tags[parts[0]] = parts[2]
    for word, _freq, tag in rules.jieba_userdict():
        if tag:
            tags[word] = tag
    return tags


def tag_of(word: str) -> str:
    """A word's part-of-speech tag (see the module docstring)."""
    tag = word_tags().get(word)
    if tag:
        return tag
    if word.isascii() and word.isalnum():
        return "m" if word.isdigit() else "eng"
    return "x"


def tokens(text: str) -> list[str]:
    """Words of ``text`` in order; their concatenation is ``text``."""
    return segmenter().cut(text)


def tagged(text: str) -> tuple[tuple[str, str], ...]:
    """(word, part-of-speech tag) for the words of a short string."""
    return _tagged(segmenter(), text)


@lru_cache(maxsize=1 << 14)
def _tagged(seg: Segmenter, text: str) -> tuple[tuple[str, str], ...]:
    # Extractors tag the same short phrases (资金, 贫困户) many times a document.
    return tuple((w, tag_of(w)) for w in seg.cut(text))


def sentence_starts(words: list[str]) -> list[bool]:
    """True for the first word of each sentence: the first word, and the first word after
    one ending in 。！？； or a newline, closing quotes and brackets skipped."""
    n = len(words)
    starts = [False] * n
    ends = compress(range(n), map(SENTENCE_END.__contains__, map(itemgetter(-1), words)))
    for k in chain((0,), (e + 1 for e in ends)):
        while k < n and words[k] in _CLOSERS:
            k += 1
        if k < n:
            starts[k] = True
    return starts


def make_doc(text: str) -> Doc:
    """A spaCy Doc over ``text`` (``doc.text == text``) with sentence boundaries set.

    The text and the word list are kept in ``doc.user_data``: spaCy rebuilds ``doc.text``
    and a ``Token`` object on every access, which cost more than segmentation itself when
    each extractor asked for them.
    """
    words = tokens(text)
    doc = Doc(vocab(), words=words, spaces=[False] * len(words))
    if words:  # one array write: Doc(sent_starts=...) sets them token by token, twice as slow
        starts = numpy.array([1 if s else -1 for s in sentence_starts(words)], dtype="int64")
        doc.from_array([SENT_START], starts.astype("uint64").reshape(-1, 1))
    doc.user_data["text"] = text
    doc.user_data["words"] = words
    return doc


def text_of(doc: Doc) -> str:
    """``doc.text``, without rebuilding it from the tokens when ``make_doc`` kept it."""
    text = doc.user_data.get("text")
    return doc.text if text is None else text


def words_of(doc: Doc) -> tuple[list[str], list[int]]:
    """The words of ``doc`` and their start offsets."""
    words = doc.user_data.get("words")
    if words is None:
        return [t.text for t in doc], [t.idx for t in doc]
    return words, [0, *accumulate(map(len, words))][:-1] if words else []
