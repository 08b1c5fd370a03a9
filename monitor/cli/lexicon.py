"""`qinglang lexicon`: inspect the lexicons in use (entries by category and severity, profiles)
and validate a user's lexicon file against the schema and the shipped lexicon."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.group import _clear_errors, _fail
from monitor.cli.inputs import known_profiles, lexicon_files, lexicon_option


@click.group("lexicon")
def lexicon_group() -> None:
    """查看和校验词库 / inspect and validate lexicons."""


@lexicon_group.command("stats")
@lexicon_option
@_clear_errors
def lexicon_stats(extra) -> None:
    """按类别和严重程度统计词条 / entries by category and severity."""
    from collections import Counter

    from monitor.lexicon.entries import load_lexicon
    from monitor.settings import Settings
    from monitor.vocabulary import SEVERITIES

    lexicon = load_lexicon(lexicon_files(extra, Settings()))
    counts = Counter((e.category, e.severity) for e in lexicon.entries)
    header = (
        f"{'category':<24}{'名称':<14}" + "".join(f"{s:>8}" for s in SEVERITIES) + f"{'total':>8}"
    )
    click.echo(header)
    for cid, category in lexicon.categories.items():
        row = [counts[(cid, s)] for s in SEVERITIES]
        click.echo(
            f"{cid:<24}{category.zh:<14}" + "".join(f"{n:>8}" for n in row) + f"{sum(row):>8}"
        )
    totals = [sum(counts[(c, s)] for c in lexicon.categories) for s in SEVERITIES]
    click.echo(
        f"{'total':<24}{'合计':<14}" + "".join(f"{n:>8}" for n in totals) + f"{sum(totals):>8}"
    )
    languages = Counter(e.lang for e in lexicon.entries)
    click.echo(
        f"entries: {len(lexicon.entries)} (zh {languages['zh']}, en {languages['en']}); "
        f"whitelist phrases: {len(lexicon.whitelist)}; "
        f"with variants: {sum(1 for e in lexicon.entries if e.variants)}"
    )


@lexicon_group.command("check")
@click.argument("path", type=click.Path(dir_okay=False))
@_clear_errors
def lexicon_check(path) -> None:
    """按格式和内置词库校验用户词库文件 FILE / validate a user's lexicon FILE against the schema
    and the shipped lexicon."""
    if not Path(path).is_file():
        _fail(f"{path}: 文件不存在 / no such file")
    from monitor.checking.checker import Checker
    from monitor.lexicon.entries import load_lexicon

    lexicon = load_lexicon([path])
    own = [e for e in lexicon.entries if e.source == Path(path).name]
    checker = Checker.from_files([path], use_classifier=False)
    click.echo(
        f"{path}: OK — {len(own)} entries, "
        f"{sum(1 for w in lexicon.whitelist if w.source == Path(path).name)} whitelist phrases, "
        f"profiles: {', '.join(sorted(checker.profiles))}"
    )


@lexicon_group.command("profiles")
@lexicon_option
@_clear_errors
def lexicon_profiles(extra) -> None:
    """列出词库配置 / list the lexicon profiles."""
    from monitor.settings import Settings

    for name, description in sorted(known_profiles(lexicon_files(extra, Settings())).items()):
        click.echo(f"{name:<20}{description}")
