"""The corrected copy of a checked script: what an anchor copies to say instead.

A hit whose lexicon entry has a `rewording` (words that fit where the term stands and claim
nothing the anchor did not say) has its words replaced by it; overlapping hits are replaced once,
by the longest (全网最 + 最甜 → 很甜). Where no rewording fits (advice only, a classifier hit, or
words that run across a rewording's edge: 加我微信 / 微信私聊), the words stay and one piece of
advice per place, the leading hit's `suggestion`, follows the sentence as a marked comment on a
line of its own, 【建议 / advice：“…”——…】, for the anchor to rewrite by hand. Advice is never put
into a sentence.

Pure: a text and its report's hits (the JSON form, as `POST /v1/check` returns them) in, text out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

COMMENT = "【建议 / advice：“{quote}”——{advice}】"
QUOTE_LENGTH = 16  # characters of the hit quoted in a comment before it is cut with …
_SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}
_SENTENCE_END = re.compile(r"[。！？!?；;…]+[”’」』）)\"']*|\n")

HitLike = Mapping[str, Any]


@dataclass(frozen=True)
class Place:
    """Overlapping hits, [start, end) of the text, and what is done there: the words replaced
    (start, end, rewording), and the advice to add after the sentence with the words it is about."""

    start: int
    end: int
    replaced: tuple[tuple[int, int, str], ...]
    advice: str
    quote: str


def _rank(hit: HitLike) -> tuple[int, int, int]:
    """The hit that speaks for overlapping ones sorts first: the longest, the most severe, the first."""
    return (
        -(hit["end"] - hit["start"]),
        _SEVERITY_RANK.get(hit.get("severity", ""), 3),
        hit["start"],
    )


def _inside(inner: HitLike, outer: HitLike) -> bool:
    return outer["start"] <= inner["start"] and inner["end"] <= outer["end"]


def _crosses(a: HitLike, b: HitLike) -> bool:
    """Whether two hits overlap without one holding the other (加我微信 / 微信私聊)."""
    overlap = a["start"] < b["end"] and b["start"] < a["end"]
    return overlap and not _inside(a, b) and not _inside(b, a)


def overlap_groups(hits: Sequence[HitLike]) -> list[tuple[int, int, tuple[int, ...]]]:
    """Hits merged where they overlap: (start, end, indexes into `hits`), in text order."""
    groups: list[tuple[int, int, tuple[int, ...]]] = []
    for index in sorted(range(len(hits)), key=lambda i: (hits[i]["start"], -hits[i]["end"])):
        start, end = hits[index]["start"], hits[index]["end"]
        if groups and start < groups[-1][1]:
            first, last, members = groups[-1]
            groups[-1] = (first, max(last, end), (*members, index))
        else:
            groups.append((start, end, (index,)))
    return groups


def _fitted(rewording: str, original: str) -> str:
    """English rewordings take the capital of the words they replace (Best → Great)."""
    if original[:1].isupper() and rewording[:1].islower():
        return rewording[0].upper() + rewording[1:]
    return rewording


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_LENGTH else text[: QUOTE_LENGTH - 1] + "…"


def _place(text: str, start: int, end: int, members: list[HitLike]) -> Place:
    advised = [h for h in members if not h.get("rewording")]
    applied: list[HitLike] = []
    for hit in sorted((h for h in members if h.get("rewording")), key=_rank):
        # A rewording applies to its own words only: not where another is applied, nor where
        # words it cannot replace run across its edge.
        if any(_crosses(hit, other) or _inside(hit, other) for other in applied):
            continue
        if any(_crosses(hit, other) for other in advised):
            advised.append(hit)
            continue
        applied.append(hit)
    open_hits = [h for h in advised if not any(_inside(h, r) for r in applied)]
    replaced = tuple(
        (h["start"], h["end"], _fitted(h["rewording"], text[h["start"] : h["end"]]))
        for h in sorted(applied, key=lambda h: h["start"])
    )
    if not open_hits:
        return Place(start, end, replaced, "", "")
    lead = min([h for h in open_hits if not h.get("rewording")] or open_hits, key=_rank)
    first = min(h["start"] for h in open_hits)
    last = max(h["end"] for h in open_hits)
    advice = lead.get("suggestion", "").strip() or "请改写 / rewrite"
    return Place(start, end, replaced, advice, _quote(text[first:last]))


def places(text: str, hits: Sequence[HitLike]) -> list[Place]:
    """What is done at each place of `text` that hits cover, in text order."""
    return [
        _place(text, start, end, [hits[i] for i in indexes])
        for start, end, indexes in overlap_groups(hits)
    ]


def _sentence_end(text: str, position: int) -> int:
    """Where the sentence holding `position` ends: after its closing marks, or at its line end."""
    match = _SENTENCE_END.search(text, position)
    if match is None:
        return len(text)
    return match.start() if match.group() == "\n" else match.end()


def corrected_copy(text: str, hits: Sequence[HitLike]) -> str:
    """`text` with every rewording applied and every piece of advice after its sentence, on a
    line of its own. A text without hits comes back unchanged."""
    edits: list[tuple[int, int, str]] = []  # (start, end, new text), inserts have start == end
    comments: dict[int, list[str]] = {}
    for place in places(text, hits):
        edits.extend(place.replaced)
        if place.advice:
            comment = COMMENT.format(quote=place.quote, advice=place.advice)
            at = comments.setdefault(_sentence_end(text, place.end), [])
            if comment not in at:
                at.append(comment)
    for position, notes in comments.items():
        # A sentence mark inside replaced words (an English "!" term) is not where a comment goes.
        position = max([e for s, e, _ in edits if s < position < e] or [position])
        after = "" if position >= len(text) or text[position] == "\n" else "\n"
        edits.append((position, position, "".join(f"\n{note}" for note in notes) + after))
    parts, position = [], 0
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1] - e[0] > 0)):
        parts.append(text[position:start])
        parts.append(new)
        position = end
    parts.append(text[position:])
    return "".join(parts)
