"""Reading one YAML data file (lexicons, policies, the message catalogue, the demo): parsed with
the safe loader, then validated by the file's pydantic model; every problem is a LexiconError naming
the file, the line or the entry and field."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import ValidationError

from monitor.data_schema import ModelT, problems_of
from monitor.errors import LexiconError

_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~10x faster when present


def validated(
    model: type[ModelT], data: object, where: str, context: Mapping[str, object] | None = None
) -> ModelT:
    """`data` validated by a pydantic model (its validators see `context`), or LexiconError
    naming `where` and the field."""
    try:
        return model.model_validate(data, context=dict(context) if context else None)
    except ValidationError as exc:
        raise LexiconError(problems_of(exc, where)) from exc


def read_validated(
    path: Path, model: type[ModelT], context: Mapping[str, object] | None = None
) -> ModelT:
    """One YAML file validated by a pydantic model, or LexiconError naming the file and field."""
    return validated(model, read_yaml(path), str(path), context)


def read_yaml(path: Path) -> dict:
    """Parse one YAML file into a mapping, or raise LexiconError naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LexiconError([f"{path}: cannot read ({exc})"]) from exc
    try:
        data = yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise LexiconError(
            [f"{path}:{where} invalid YAML ({getattr(exc, 'problem', exc)})"]
        ) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise LexiconError([f"{path}: top level must be a mapping with an 'entries' list"])
    return data
