"""`qinglang check --batch FILE.jsonl`: one JSON line in, one report or one error out, in order.

The file is read and decoded before anything loads; the checker loads at the first good line, so a
file of bad lines fails at once. A bad line gets `{"id", "line", "error"}`, the error Chinese first
with English beside it and the line number in both, and the run exits 2 after every other line.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor.cli.group import EXIT_BAD_INPUT, EXIT_FLAGGED, EXIT_PASS, _fail
from monitor.sources.text_input import read_file_bytes

if TYPE_CHECKING:
    from monitor.checking.checker import Checker


def read_batch(path: Path, limit: int) -> list[tuple[int, str]]:
    """The numbered non-blank lines of a UTF-8 JSON-lines file, or exit 2 before any check."""
    data = read_file_bytes(path, limit)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        _fail(f"{path}: 批量文件须为 UTF-8 JSON 行 / batch files must be UTF-8 JSON lines")
    numbered = enumerate(io.StringIO(text, newline=None), start=1)  # \n, \r\n or \r, as open()
    lines = [(number, line) for number, line in numbered if line.strip()]
    if not lines:
        _fail(f"{path}: 文件为空 / the batch file has no lines")
    return lines


def run_batch(
    checker: Callable[[], Checker],
    lines: list[tuple[int, str]],
    profile: str,
    product_class: str | None,
    profiles: Collection[str],
    classes: Collection[str],
) -> int:
    """Print one line per input line; the exit code: 2 if any line was bad, else 1 if any was
    flagged, else 0. A line's own "profile" and "product_class" replace the run's."""
    from monitor.errors import QinglangError

    loaded: Checker | None = None
    flagged = bad = False
    for number, line in lines:
        record, problem = batch_record(line, number, profiles, classes)
        if problem is None:
            if loaded is None:
                loaded = checker()
            try:
                report = loaded.check(
                    record["text"],
                    profile=record.get("profile") or profile,
                    product_class=record.get("product_class") or product_class,
                )
            except QinglangError as exc:
                problem = f"第 {number} 行无法检查 / line {number}: {exc}"
        if problem is not None:
            bad = True
            error = {"id": record.get("id"), "line": number, "error": problem}
            click.echo(json.dumps(error, ensure_ascii=False))
            continue
        flagged |= report.verdict != "pass"
        click.echo(json.dumps({"id": record.get("id"), **report.to_dict()}, ensure_ascii=False))
    return EXIT_BAD_INPUT if bad else (EXIT_FLAGGED if flagged else EXIT_PASS)


def batch_record(
    line: str, number: int, profiles: Collection[str], classes: Collection[str]
) -> tuple[dict, str | None]:
    """The line's record, and what is wrong with it (None when it can be checked)."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return {}, (
            f"第 {number} 行不是有效的 JSON / line {number}: invalid JSON "
            f"({exc.msg}, column {exc.colno})"
        )
    if not isinstance(record, dict):
        return {}, f'第 {number} 行须为 JSON 对象 / line {number}: not an object {{"id", "text"}}'
    if not isinstance(record.get("text"), str):
        return record, (
            f'第 {number} 行缺少文本 "text" / line {number}: each line needs {{"id": ..., "text": "..."}}'
        )
    chosen = record.get("profile")
    if chosen is not None and chosen not in profiles:
        return record, (
            f"第 {number} 行的词库配置不存在 / line {number}: unknown profile {chosen!r} "
            f"(可选 known: {', '.join(sorted(profiles))})"
        )
    chosen = record.get("product_class")
    if chosen is not None and chosen not in classes:
        return record, (
            f"第 {number} 行的商品类别不存在 / line {number}: unknown product class {chosen!r} "
            f"(可选 known: {', '.join(classes)})"
        )
    return record, None
