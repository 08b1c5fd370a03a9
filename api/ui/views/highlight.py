"""A checked text cut into plain and highlighted pieces, for pages that show hits in their text.
Pure: values in, values out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor.checking.corrected_copy import overlap_groups

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True)
class Piece:
    """A run of the text; `hits` is empty for plain text, else the hits covering this run."""

    text: str
    hits: tuple[int, ...] = ()
    severity: str = ""  # the worst severity among `hits`


def pieces(text: str, hits: list[dict[str, Any]]) -> list[Piece]:
    """`text` cut at the hits (report dicts with start/end/severity); overlapping hits share a
    piece, which takes the worst severity among them."""
    out: list[Piece] = []
    position = 0
    for start, end, members in overlap_groups(hits):
        if start > position:
            out.append(Piece(text[position:start]))
        worst = min((hits[i]["severity"] for i in members), key=lambda s: SEVERITY_ORDER.get(s, 3))
        out.append(Piece(text[start:end], members, worst))
        position = end
    if position < len(text):
        out.append(Piece(text[position:]))
    return out
