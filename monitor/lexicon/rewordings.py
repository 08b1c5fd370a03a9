"""What an entry's `rewording` may be (rules in lexicons/rewording.yaml), checked when a lexicon
loads. A rewording replaces the anchor's own words in the corrected copy of a script, so it must
fit where the term stood and claim nothing the anchor did not say: no figure, no note in brackets,
no placeholder, no word that asserts a fact (回购, 检测, 产地 …). Validation only; the corrected
copy is built in monitor.checking.corrected_copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

_FIGURES = re.compile(r"[0-9０-９%％]")
_MARKS = re.compile(r"[（）()【】\[\]《》…/／]|××|\.\.\.")


class _RewordingFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_length: int = Field(gt=0)
    max_length_en: int = Field(gt=0)
    adds_claims: list[str] = Field(min_length=1)


@dataclass(frozen=True)
class RewordingRules:
    """Lengths in characters; `adds_claims`: words that assert a fact the anchor did not state."""

    max_length: int = 12
    max_length_en: int = 40
    adds_claims: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path) -> RewordingRules:
        from monitor.yaml_files import read_validated

        data = read_validated(path, _RewordingFile)
        return cls(data.max_length, data.max_length_en, tuple(data.adds_claims))

    def problems(self, rewording: str, term: str, lang: str) -> list[str]:
        """Why `rewording` cannot stand in for `term`; the caller names the entry and field."""
        found = []
        limit = self.max_length_en if lang == "en" else self.max_length
        if len(rewording) > limit:
            found.append(f"longer than {limit} characters: a rewording replaces a phrase")
        if _FIGURES.search(rewording):
            found.append("holds a figure, which is a claim the anchor did not make")
        if _MARKS.search(rewording):
            found.append("holds a note, a placeholder or alternatives: put advice in 'suggestion'")
        if term and term.lower() in rewording.lower():
            found.append(f"repeats the term '{term}'")
        claims = [word for word in self.adds_claims if word in rewording]
        if claims:
            found.append(f"asserts what the anchor did not say ({', '.join(claims)})")
        return found
