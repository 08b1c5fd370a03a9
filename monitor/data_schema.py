"""The base of every data-file schema (a frozen pydantic model that refuses unknown keys) and the
translation of a pydantic ValidationError into one bilingual message per problem.

A message reads `file: entry: field: 中文 / English naming the field` (the entry is part of
`where`, given by the loader). This module reads no files and knows no
particular schema; each loader owns its models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)


class DataModel(BaseModel):
    """A data file's schema: frozen, unknown keys refused. Numbers and flags use pydantic's
    Strict types where "2" or `yes` must not pass as a number."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def number_as_text(value: Any) -> Any:
    """A number where text is expected, as its text (YAML reads `2026.1` as a number)."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


# A label written bare in YAML (`version: 2026.1`) is text too.
Text = Annotated[str, BeforeValidator(number_as_text), Field(min_length=1)]


def field_name(loc: Sequence[str | int]) -> str:
    """`('grades', 0, 'colour')` → `grades[0].colour`."""
    name = ""
    for part in loc:
        name += f"[{part}]" if isinstance(part, int) else f".{part}" if name else str(part)
    return name


# pydantic error type → (中文, English); {field}, {input} and the error's ctx fill the blanks.
_TEXTS = {
    "missing": ("缺少此键", "missing key '{field}'"),
    "extra_forbidden": ("未知键", "unknown key '{field}'"),
    "greater_than_equal": ("须不小于 {ge}", "'{field}' must be at least {ge}, not {input}"),
    "greater_than": ("须大于 {gt}", "'{field}' must be above {gt}, not {input}"),
    "less_than_equal": ("须不大于 {le}", "'{field}' must be at most {le}, not {input}"),
    "less_than": ("须小于 {lt}", "'{field}' must be below {lt}, not {input}"),
    "int_type": ("须为整数", "'{field}' must be a whole number, not {input}"),
    "float_type": ("须为数字", "'{field}' must be a number, not {input}"),
    "bool_type": ("须为 true 或 false", "'{field}' must be true or false, not {input}"),
    "string_type": ("须为文字", "'{field}' must be text, not {input}"),
    "string_too_short": ("不能为空", "'{field}' must not be empty"),
    "too_short": ("不能为空", "'{field}' must not be empty"),
    "list_type": ("须为列表", "'{field}' must be a list, not {input}"),
    "tuple_type": ("须为列表", "'{field}' must be a list, not {input}"),
    "dict_type": ("须为映射", "'{field}' must be a mapping, not {input}"),
    "model_type": ("须为映射", "'{field}' must be a mapping, not {input}"),
    "model_attributes_type": ("须为映射", "'{field}' must be a mapping, not {input}"),
    "literal_error": (
        "须为 {expected_zh} 之一",
        "'{field}' must be one of {expected}, not {input}",
    ),
    "string_pattern_mismatch": ("格式不符", "'{field}' must match {pattern}"),
}


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _message(error: Mapping[str, Any], nouns: Mapping[str, tuple[str, str]]) -> str:
    loc = tuple(error["loc"])
    kind = error["type"]
    parent = field_name(loc[:-1])
    if kind in ("missing", "extra_forbidden") and parent in nouns and loc:
        zh, en = nouns[parent]
        state = ("缺少", "missing") if kind == "missing" else ("未知", "unknown")
        key = loc[-1]
        text = f"{state[0]}{zh} '{key}' / {' '.join(filter(None, (state[1], en)))} '{key}'"
        return f"{parent}: {text}" if parent else text
    field = field_name(loc)
    if kind == "value_error":  # a validator's own message, already "中文 / English"
        text = str(error["ctx"]["error"])
        return f"{field}: {text}" if field else text
    zh, en = _TEXTS.get(kind, ("无效", "'{field}': {msg}"))
    ctx = {k: f"{v:g}" if isinstance(v, float) else v for k, v in (error.get("ctx") or {}).items()}
    values = {
        **ctx,
        "expected_zh": str(ctx.get("expected", "")).replace(" or ", "、").replace(", ", "、"),
        "field": field,
        "input": _short(repr(error.get("input"))),
        "msg": error["msg"],
    }
    text = f"{zh.format(**values)} / {en.format(**values)}"
    return f"{field}: {text}" if field else text


def problems_of(
    exc: ValidationError, where: str, nouns: Mapping[str, tuple[str, str]] | None = None
) -> list[str]:
    """One `where: problem` message per error in `exc`. `nouns` names the keys of a mapping
    field (`{"deductions": ("严重程度", "severity")}` → "unknown severity 'critical'")."""
    return [f"{where}: {_message(e, nouns or {})}" for e in exc.errors()]


def validate(
    model: type[ModelT],
    data: object,
    where: str,
    context: Mapping[str, Any] | None = None,
    nouns: Mapping[str, tuple[str, str]] | None = None,
) -> tuple[ModelT | None, list[str]]:
    """`data` validated by `model`, or None and every problem named by file, entry and field."""
    try:
        return model.model_validate(data, context=dict(context or {})), []
    except ValidationError as exc:
        return None, problems_of(exc, where, nouns)
