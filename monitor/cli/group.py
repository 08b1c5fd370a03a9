"""How every `qinglang` command answers: exit codes, one-line errors instead of tracebacks (the
library's errors, click's usage errors, a store kept locked by another writer), help options in
Chinese first, and JSON output. Imports only click and the library's errors, so `--help` is fast.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import sys

import click

from monitor.errors import QinglangError

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
            from monitor.store.db import busy_message, is_busy

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


def echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
