"""The schema of the normalisation rules (lexicons/normalization.yaml) as pydantic models: the
character and phrase maps, the clause boundaries, the noise classes, and the rules for generated
spellings (pinyin, initials, fillers, homophones) that lexicon/variants.py and the matcher read.

This module validates values; it reads no files and normalises no text (see text/normalization.py).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field, StrictInt

from monitor.data_schema import DataModel, Text, number_as_text

_Length = Annotated[StrictInt, Field(ge=1)]
_Chars = Annotated[str, BeforeValidator(number_as_text)]


class _MinLength(DataModel):
    min_term_length: _Length


class _Filler(DataModel):
    chars: tuple[Text, ...] = Field(min_length=1)
    min_term_length: _Length
    categories: tuple[Text, ...]


class _Generated(DataModel):
    pinyin: _MinLength | None = None
    initials: _MinLength | None = None
    filler: _Filler | None = None
    homophone: _MinLength | None = None


class NormalizationFile(DataModel):
    """lexicons/normalization.yaml key for key; every section may be left out."""

    char_map: dict[_Chars, _Chars] | None = None
    phrase_map: dict[_Chars, _Chars] | None = None
    boundaries: str = "。！？，；：!?,;:\n"
    noise_categories: tuple[Annotated[str, Field(pattern=r"^[A-Z][a-z]?$")], ...] = ()
    keep_chars: _Chars = "%"
    generated: _Generated | None = None
