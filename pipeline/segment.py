"""Segment normalised text: our own jieba Tokenizer -> spaCy Doc built from token offsets.

The Doc is built directly (``Doc(vocab, words, spaces)``) rather than through
``spacy.blank("zh")``, whose segmenter uses jieba's global instance and aligns words in
quadratic time. Dictionaries load once per process (``segmenter()`` is cached).
"""
from __future__ import annotations

import logging
from functools import cache

import jieba
from spacy.tokens import Doc
from spacy.vocab import Vocab

from . import rules

# Characters that end a sentence (a newline ends one too: a heading is its own sentence).
SENTENCE_END = frozenset("。！？；!?;\n")
_CLOSERS = frozenset("”’」』）)》")


@cache
def segmenter() -> jieba.Tokenizer:
    """jieba Tokenizer with rules/jieba_userdict.txt and the segmentation lexicons."""
    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    for word, freq, tag in rules.jieba_userdict():
        tok.add_word(word, freq, tag)
    for word in rules.segment_words():
        tok.add_word(word)
    return tok


@cache
def vocab() -> Vocab:
    return Vocab()


def tokens(text: str) -> list[str]:
    """Words of ``text`` in order; their concatenation is ``text``."""
    return [w for w, _s, _e in segmenter().tokenize(text, HMM=True)]


def sentence_starts(words: list[str]) -> list[bool]:
    """True for the first word of each sentence: after 。！？； or a newline (and closing quotes)."""
    starts, pending = [], True
    for w in words:
        if pending and w not in _CLOSERS:
            starts.append(True)
            pending = False
        else:
            starts.append(False)
        if w and (w[-1] in SENTENCE_END):
            pending = True
    return starts


def make_doc(text: str) -> Doc:
    """A spaCy Doc over ``text`` (``doc.text == text``) with sentence boundaries set."""
    words = tokens(text)
    if not words:
        return Doc(vocab(), words=[], spaces=[])
    return Doc(vocab(), words=words, spaces=[False] * len(words), sent_starts=sentence_starts(words))
