"""A checked text cut into plain and highlighted pieces, and the corrected version of the text.

A lexicon suggestion is either a rewording an anchor can say instead ("口碑很好，很多老顾客回购") or
advice on how to rewrite ("直接说直播间售价", "这一批备货××单（说真实数量）"). A rewording replaces
the hit in the corrected text (without notes in brackets meant for the anchor, keeping spoken
caveats such as "（以营养成分表为准）"); advice cannot be said as it is, so the hit is replaced by
a marked request to rewrite, 【请改写：…】, for the anchor to finish by hand.
Pure: values in, values out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# Suggestions that begin like this tell the anchor what to do instead of what to say.
_ADVICE_OPENINGS = ("说", "直接说", "就说", "按", "如实", "说明", "出示", "参照")
_PLACEHOLDER = "××"
_NOTE = re.compile(r"（(?!以)[^（）]*）|\((?!以)[^()]*\)")
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True)
class Piece:
    """A run of the text; `hits` is empty for plain text, else the hits covering this run."""

    text: str
    hits: tuple[int, ...] = ()
    severity: str = ""  # the worst severity among `hits`


def is_rewording(suggestion: str) -> bool:
    """Whether `suggestion` can be said in place of the hit (not advice, no placeholder)."""
    text = suggestion.strip()
    return bool(text) and _PLACEHOLDER not in text and not text.startswith(_ADVICE_OPENINGS)


def spoken(suggestion: str) -> str:
    """The rewording without bracketed notes for the anchor."""
    return _NOTE.sub("", suggestion).strip()


def _spans(hits: list[dict[str, Any]]) -> list[tuple[int, int, tuple[int, ...]]]:
    """Overlapping hits merged into spans (start, end, hit indexes), in text order."""
    spans: list[tuple[int, int, tuple[int, ...]]] = []
    for index in sorted(range(len(hits)), key=lambda i: (hits[i]["start"], -hits[i]["end"])):
        start, end = hits[index]["start"], hits[index]["end"]
        if spans and start < spans[-1][1]:
            first, last, members = spans[-1]
            spans[-1] = (first, max(last, end), (*members, index))
        else:
            spans.append((start, end, (index,)))
    return spans


def pieces(text: str, hits: list[dict[str, Any]]) -> list[Piece]:
    """`text` cut at the hits (report dicts with start/end/severity); overlapping hits share a
    piece, which takes the worst severity among them."""
    out: list[Piece] = []
    position = 0
    for start, end, members in _spans(hits):
        if start > position:
            out.append(Piece(text[position:start]))
        worst = min((hits[i]["severity"] for i in members), key=lambda s: SEVERITY_ORDER.get(s, 3))
        out.append(Piece(text[start:end], members, worst))
        position = end
    if position < len(text):
        out.append(Piece(text[position:]))
    return out


def corrected(text: str, hits: list[dict[str, Any]]) -> str:
    """`text` with each hit replaced by its rewording, or by 【请改写：advice】 when its suggestion
    is advice. Overlapping hits are replaced once, by the first (leftmost, longest) one's."""
    parts: list[str] = []
    position = 0
    for start, end, members in _spans(hits):
        parts.append(text[position:start])
        suggestion = hits[members[0]].get("suggestion", "")
        if is_rewording(suggestion):
            parts.append(spoken(suggestion))
        else:
            parts.append(f"【请改写：{suggestion.strip() or text[start:end]}】")
        position = end
    parts.append(text[position:])
    return "".join(parts)
