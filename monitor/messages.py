"""The message catalogue (monitor/messages.yaml, category names from lexicons/categories.yaml):
what users read in place of a machine value, Chinese first with English beside it. Loaded and
validated once; `label("violation_origin", "complaint")` gives "投诉举报 / complaint". It only
words values: it never decides anything, and the values themselves stay what they are."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from string import Formatter
from typing import Annotated

from pydantic import BaseModel, ConfigDict, RootModel, StringConstraints, model_validator

from monitor.data_files import data_dir
from monitor.yaml_files import read_validated, read_yaml

CATALOGUE_PATH = Path(__file__).with_name("messages.yaml")
CATEGORY = "category"  # the kind whose names are the lexicon's categories

_Said = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


@dataclass(frozen=True)
class Label:
    """One value in words: `zh` and `en`, written "zh / en"."""

    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    zh: _Said
    en: _Said

    @model_validator(mode="after")
    def _same_values(self) -> _Entry:
        if _fields(self.zh) != _fields(self.en):
            raise ValueError(
                f"zh names {sorted(_fields(self.zh))} but en names {sorted(_fields(self.en))}"
            )
        return self


class _Catalogue(RootModel[dict[str, dict[str, _Entry]]]):
    @model_validator(mode="after")
    def _no_categories(self) -> _Catalogue:
        if CATEGORY in self.root:
            raise ValueError(f"'{CATEGORY}' names come from lexicons/categories.yaml")
        return self


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, Label]]:
    """Every kind and its labels, the shipped category names included (validated once)."""
    kinds = {
        kind: {key: Label(e.zh, e.en) for key, e in entries.items()}
        for kind, entries in read_validated(CATALOGUE_PATH, _Catalogue).root.items()
    }
    categories = read_yaml(data_dir("lexicons") / "categories.yaml").get("categories") or {}
    kinds[CATEGORY] = {cid: Label(n["zh"], n["en"]) for cid, n in categories.items()}
    return kinds


def name(kind: str, key: object) -> Label | None:
    """The label of `key` (a machine value) of `kind`, or None when the catalogue has none."""
    return catalogue().get(kind, {}).get(str(key))


def words(kind: str, key: object) -> Label:
    """The label of `key`, or the key itself in both languages when the catalogue has none."""
    return name(kind, key) or Label(str(key), str(key))


def message(kind: str, key: str, /, **values: object) -> Label:
    """A catalogue message with its values filled in; a value that is a Label (or a list of
    them) is written in each message's own language."""
    found = catalogue()[kind][key]
    return Label(
        found.zh.format(**{k: _side(v, "zh") for k, v in values.items()}),
        found.en.format(**{k: _side(v, "en") for k, v in values.items()}),
    )


def label(kind: str, key: object, /, **values: object) -> str:
    """ "中文 / English" for `key` of `kind` (a message with `values` filled in, when given)."""
    return str(message(kind, str(key), **values) if values else words(kind, key))


def _side(value: object, language: str) -> object:
    if isinstance(value, Label):
        return getattr(value, language)
    if isinstance(value, Iterable) and not isinstance(value, str):
        items = [_side(v, language) for v in value]
        return ("、" if language == "zh" else ", ").join(map(str, items))
    return value
