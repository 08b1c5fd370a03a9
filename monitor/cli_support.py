"""What every `qinglang` command shares: exit codes, one-line errors, the checks of input that come
before anything heavy, and building the checker.

Start-up time: a command imports the library it needs inside its function, after its input has
been validated, so that `--help` and a bad input answer at once (no jieba, no pypinyin, no
scikit-learn, no speech model loaded for them).
"""

from __future__ import annotations

import functools
import sqlite3
import sys
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .errors import QinglangError

if TYPE_CHECKING:
    from .checker import Checker
    from .settings import Settings

EXIT_PASS, EXIT_FLAGGED, EXIT_BAD_INPUT = 0, 1, 2
CONTEXT = {"help_option_names": ["-h", "--help"]}
HELP = "显示此帮助并退出 / show this message and exit."


def _fail(message: str) -> None:
    click.echo(f"qinglang: 错误 error: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def _clear_errors(command):
    """Turn the library's errors into a one-line message and exit code 2, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except QinglangError as exc:
            problems = getattr(exc, "problems", None)
            if problems:
                for problem in problems[1:]:
                    click.echo(f"  {problem}", err=True)
                _fail(
                    f"词库有 {len(problems)} 处问题 / {len(problems)} problem(s) in lexicon: {problems[0]}"
                )
            _fail(str(exc))

    return wrapper


class UsageProblem(click.UsageError):
    """click's usage error (unknown option, bad choice, missing argument) said as every other
    error of the command: one line, Chinese first, exit code 2."""

    def __init__(self, error: click.UsageError):
        super().__init__(error.format_message(), error.ctx)

    def show(self, file=None) -> None:
        where = f" (见 see `{self.ctx.command_path} --help`)" if self.ctx else ""
        click.echo(
            f"qinglang: 错误 error: 用法有误 / bad usage: {self.format_message()}{where}", err=True
        )


class QinglangGroup(click.Group):
    """The `qinglang` group: usage errors anywhere below it come out as `UsageProblem`, and a
    store another writer kept locked past the busy timeout as one line and exit code 2."""

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as error:
            raise UsageProblem(error) from None

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (UsageProblem, click.exceptions.NoArgsIsHelpError):
            raise
        except click.UsageError as error:
            raise UsageProblem(error) from None
        except sqlite3.OperationalError as error:  # from any command that writes the store
            from .db import busy_message, is_busy

            if not is_busy(error):
                raise
            _fail(busy_message())


def chinese_help_options(command: click.Command) -> None:
    """Give `command` and every command below it a -h/--help option that says what it does in
    Chinese first (click's own says only "Show this message and exit.")."""
    command.add_help_option = False
    click.help_option(*CONTEXT["help_option_names"], help=HELP)(command)
    for sub in getattr(command, "commands", {}).values():
        chinese_help_options(sub)


def lexicon_files(extra: tuple[str, ...], settings: Settings) -> list[Path]:
    """The users' lexicon files (QINGLANG_LEXICONS, then --lexicon), each checked to be a file."""
    files = [*settings.extra_lexicon_files(), *map(Path, extra)]
    for path in files:
        if not path.is_file():
            _fail(f"{path}: 词库文件不存在 / no such lexicon file")
    return files


def known_profiles(extra_files: list[Path]) -> dict[str, str]:
    """Profile names and descriptions of the shipped and the users' lexicon files, read without
    the lexicon itself."""
    from .data_files import data_dir
    from .profiles import load_profiles

    profiles = load_profiles([data_dir("lexicons") / "profiles.yaml", *extra_files])
    return {name: profile.description for name, profile in profiles.items()}


def known_product_classes() -> dict[str, str]:
    from .lexicon import load_product_classes

    return load_product_classes()


def valid_profile(name: str, profiles: Collection[str]) -> str:
    if name not in profiles:
        _fail(
            f"未知的词库配置 / unknown profile '{name}' "
            f"(可选 known: {', '.join(sorted(profiles))}; 见 see `qinglang lexicon profiles`)"
        )
    return name


def valid_product_class(name: str | None, classes: Collection[str]) -> str | None:
    if name is not None and name not in classes:
        _fail(f"未知的商品类别 / unknown product class '{name}' (可选 known: {', '.join(classes)})")
    return name


def _checker(extra_files: list[Path], settings: Settings, classifier: bool = True) -> Checker:
    """The lexicon checker (from its cache unless QINGLANG_CHECKER_CACHE=false), then the
    classifier unless --no-classifier or QINGLANG_CLASSIFIER=false."""
    if settings.checker_cache:
        from .checker_cache import cached_lexicon_checker

        checker = cached_lexicon_checker(extra_files)
    else:
        from .checker import Checker

        checker = Checker.from_files(extra_files, use_classifier=False)
    if classifier and settings.classifier:
        return checker.with_classifier(settings.model_folder())
    return checker
