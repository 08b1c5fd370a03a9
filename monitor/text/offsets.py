"""Exact maps from positions in a rewritten text back to positions in the text it came from.

A rewrite is a list of edits (a span of the old text replaced by a span of the new text, possibly
empty). Only edited spans are stored, so the map of a 5 MB text with few edits stays small.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported by the batch methods only (start-up time of the CLI)
    import numpy as np


@dataclass(frozen=True)
class Rewrite:
    """One length-changing rewrite: edits sorted by position, as parallel tuples."""

    new_starts: tuple[int, ...]
    new_ends: tuple[int, ...]
    old_starts: tuple[int, ...]
    old_ends: tuple[int, ...]

    def old_start(self, pos: int) -> int:
        """Old position of the character at new position `pos` (a span's start)."""
        i = bisect_right(self.new_starts, pos) - 1
        if i < 0:
            return pos
        if pos < self.new_ends[i]:
            return self.old_starts[i]
        return self.old_ends[i] + (pos - self.new_ends[i])

    def old_starts_of(self, positions: np.ndarray) -> np.ndarray:
        """`old_start` of many positions at once."""
        import numpy as np

        new_starts, new_ends, old_starts, old_ends = self._arrays()
        i = np.searchsorted(new_starts, positions, side="right") - 1
        j = np.maximum(i, 0)
        mapped = np.where(
            positions < new_ends[j], old_starts[j], old_ends[j] + positions - new_ends[j]
        )
        return np.where(i < 0, positions, mapped)

    def old_ends_of(self, positions: np.ndarray) -> np.ndarray:
        """`old_end` of many positions at once."""
        import numpy as np

        new_starts, new_ends, _, old_ends = self._arrays()
        i = np.searchsorted(new_starts, positions, side="left") - 1
        j = np.maximum(i, 0)
        mapped = np.where(
            positions <= new_ends[j], old_ends[j], old_ends[j] + positions - new_ends[j]
        )
        return np.where(i < 0, positions, mapped)

    def _arrays(self) -> tuple[np.ndarray, ...]:
        import numpy as np

        return tuple(
            np.asarray(a, dtype=np.int64)
            for a in (self.new_starts, self.new_ends, self.old_starts, self.old_ends)
        )

    def old_end(self, pos: int) -> int:
        """Old position just after the character at new position `pos - 1` (a span's end)."""
        i = bisect_left(self.new_starts, pos) - 1
        if i < 0:
            return pos
        if pos <= self.new_ends[i]:
            return self.old_ends[i]
        return self.old_ends[i] + (pos - self.new_ends[i])


def rewrite_spans(text: str, spans: list[tuple[int, int, str]]) -> tuple[str, Rewrite | None]:
    """Replace each non-overlapping, sorted (start, end, replacement) and map the result back."""
    pieces: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    last = new_len = 0
    for start, end, replacement in spans:
        pieces += [text[last:start], replacement]
        new_len += start - last
        new_starts.append(new_len)
        new_len += len(replacement)
        new_ends.append(new_len)
        last = end
    if not spans:
        return text, None
    pieces.append(text[last:])
    old_starts = tuple(s for s, _, _ in spans)
    old_ends = tuple(e for _, e, _ in spans)
    return "".join(pieces), Rewrite(tuple(new_starts), tuple(new_ends), old_starts, old_ends)


def rewrite_with_map(
    text: str, pattern: re.Pattern, replace: Callable[[re.Match], str | None]
) -> tuple[str, Rewrite | None]:
    """Replace each match of `pattern` by `replace(match)` (None keeps it) and map the result back."""
    pieces: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    old_starts: list[int] = []
    old_ends: list[int] = []
    last = 0
    new_len = 0
    for match in pattern.finditer(text):
        replacement = replace(match)
        if replacement is None:
            continue
        start, end = match.span()
        pieces.append(text[last:start])
        new_len += start - last
        pieces.append(replacement)
        new_starts.append(new_len)
        new_len += len(replacement)
        new_ends.append(new_len)
        old_starts.append(start)
        old_ends.append(end)
        last = end
    if not new_starts:
        return text, None
    pieces.append(text[last:])
    rewrite = Rewrite(tuple(new_starts), tuple(new_ends), tuple(old_starts), tuple(old_ends))
    return "".join(pieces), rewrite


def delete_with_map(text: str, pattern: re.Pattern) -> tuple[str, Rewrite | None]:
    """Delete every match of `pattern` and map the result back (the fast path for noise)."""
    spans = [match.span() for match in pattern.finditer(text)]
    if not spans:
        return text, None
    old_starts = tuple(start for start, _ in spans)
    old_ends = tuple(end for _, end in spans)
    removed_before = accumulate((end - start for start, end in spans), initial=0)
    new_starts = tuple(
        start - removed for start, removed in zip(old_starts, removed_before, strict=False)
    )
    return pattern.sub("", text), Rewrite(new_starts, new_starts, old_starts, old_ends)
