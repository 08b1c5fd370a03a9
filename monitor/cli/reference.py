"""The command reference (docs/cli.md), generated from the `qinglang` command itself: every group
and command in order, each with its help as `--help` prints it (arguments, options, defaults).
`python -m monitor.cli.reference [docs/cli.md]` rewrites the file; tests/test_cli_reference.py
fails when the file differs from what the commands say. Nothing here is imported by the command.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click

WIDTH = 100  # help is wrapped as on a terminal this wide, whatever terminal generates it
HEADER = """# `qinglang` command reference

Every command's `--help`, generated from the commands by `python -m monitor.cli.reference`
(do not edit by hand: a test fails when this file and the commands differ).
"""


def _contexts(
    command: click.Command, name: str, parent: click.Context | None = None
) -> Iterator[click.Context]:
    """The context of `command` and of every command below it, depth first, in listed order."""
    ctx = command.make_context(
        name,
        [],
        parent=parent,
        resilient_parsing=True,
        terminal_width=WIDTH,
        max_content_width=WIDTH,
    )
    yield ctx
    if isinstance(command, click.Group):
        for child_name in command.list_commands(ctx):
            child = command.get_command(ctx, child_name)
            if child is not None and not child.hidden:
                yield from _contexts(child, child_name, ctx)


def reference(command: click.Command, name: str = "qinglang") -> str:
    """The Markdown reference of `command` and all its subcommands."""
    sections = [HEADER]
    for ctx in _contexts(command, name):
        sections.append(f"## {ctx.command_path}\n\n```text\n{ctx.get_help()}\n```\n")
    return "\n".join(sections)


def main(argv: list[str]) -> None:
    from monitor.cli.main import main as qinglang

    target = Path(argv[0] if argv else "docs/cli.md")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(reference(qinglang), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main(sys.argv[1:])
