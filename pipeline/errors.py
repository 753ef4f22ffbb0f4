"""Error classes with a stable ``code``; a document's failure becomes a ``schema.Failure``."""
from __future__ import annotations


class GongwenError(Exception):
    code = "error"
    stage = "pipeline"


class RulesError(GongwenError):
    """A bad line in rules/: stops the run at start-up with ``file:line: reason``."""
    code = "bad_rules"
    stage = "rules"


class InputError(GongwenError):
    """The input cannot be read as a document."""
    stage = "ingest"

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


# Stable codes of InputError (the ``error`` key of errors.jsonl).
EMPTY = "empty_input"
BINARY = "binary_input"
UNREADABLE = "unreadable"
UNSUPPORTED = "unsupported_format"
ENCRYPTED = "encrypted"
CORRUPT = "corrupt"
NO_TEXT = "no_text"
TOO_LARGE = "too_large"  # over a cap of rules/ingest.toml, refused before parsing
NOT_A_FILE = "not_a_file"  # a FIFO, socket or device under an input directory
SYMLINK_LOOP = "symlink_loop"
# Limits enforced by the engine (engines.Limits): the document's worker was stopped.
TIME_LIMIT = "time_limit"
MEMORY_LIMIT = "memory_limit"
