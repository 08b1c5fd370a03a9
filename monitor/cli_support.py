"""What every `qinglang` command shares: exit codes, one-line errors, building the checker."""

from __future__ import annotations

import functools
import sys

import click

from .checker import Checker
from .errors import QinglangError
from .settings import Settings

EXIT_PASS, EXIT_FLAGGED, EXIT_BAD_INPUT = 0, 1, 2


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
                _fail(f"{len(problems)} problem(s) in lexicon: {problems[0]}")
            _fail(str(exc))

    return wrapper


def _checker(extra: tuple[str, ...], settings: Settings, classifier: bool = True) -> Checker:
    return Checker.from_files(
        [*settings.extra_lexicon_files(), *extra],
        model_folder=settings.model_folder(),
        use_classifier=classifier and settings.classifier,
    )
