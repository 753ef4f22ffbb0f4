"""Extractors: pure functions ``extract(doc, ctx) -> list[Item]``.

Each row of EXTRACTORS is (contract key, function). They run in table order; each sees
the items of the rows above it in ``ctx.results`` (figures skip spans already taken by
date windows and household counts; tasks reuse date windows and departments).
Extractors compute ``span`` only: ``assemble`` adds ``source_span`` and ``page``.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType
from typing import Any, Callable, Mapping, Optional

from ..schema import Metadata
from . import figures, household_counts
from . import date_windows
from . import metadata, departments, tasks


@dataclass(frozen=True)
class Context:
    """What an extractor may know besides the Doc."""
    reference_date: Optional[date] = None  # --reference-date, the last fallback for years
    metadata: Metadata = Metadata()  # filled once the metadata row has run
    results: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def reference_year(self) -> Optional[int]:
        """Contract section 2: the metadata's reference_year, else --reference-date's year."""
        if self.metadata.reference_year is not None:
            return self.metadata.reference_year
        return self.reference_date.year if self.reference_date else None

    def with_result(self, key: str, value: Any) -> "Context":
        if key == "metadata":
            return replace(self, metadata=value)
        return replace(self, results=MappingProxyType({**self.results, key: value}))


Extractor = Callable[[Any, Context], Any]

# Order matters (see module docstring). One row per extractor; add a row to add one.
EXTRACTORS: tuple[tuple[str, Extractor], ...] = (
    ("metadata", metadata.extract),
    ("date_windows", date_windows.extract),
    ("departments", departments.extract),
    ("household_counts", household_counts.extract),
    ("figures", figures.extract),
    ("tasks", tasks.extract),
)


def run_all(doc, ctx: Context) -> Context:
    """Run every extractor in order; the returned Context carries all results."""
    for key, fn in EXTRACTORS:
        ctx = ctx.with_result(key, fn(doc, ctx))
    return ctx
