"""The command reference in docs/cli.md is what the commands say (issue 14 §8, as datasette's docs
tests): a changed option, help text or command fails here until `python -m monitor.cli.reference`
is run again."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.main import main as qinglang
from monitor.cli.reference import reference

DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def test_docs_cli_md_is_the_reference_the_commands_produce():
    assert DOC.read_text(encoding="utf-8") == reference(qinglang), (
        "docs/cli.md is out of date: run `python -m monitor.cli.reference`"
    )


def test_the_reference_has_a_section_for_every_command_and_group():
    text = DOC.read_text(encoding="utf-8")
    for name, command in qinglang.commands.items():
        assert f"\n## qinglang {name}\n" in text
        for sub in getattr(command, "commands", {}):
            assert f"\n## qinglang {name} {sub}\n" in text


def test_the_reference_shows_each_nested_command_with_its_arguments_and_help():
    @click.group()
    def tool() -> None:
        """一个工具 / a tool."""

    @tool.group("flags")
    def flags() -> None:
        """标记 / flags."""

    @flags.command("decide")
    @click.argument("flag_id", type=int)
    @click.option("--note", default="", help="备注 / a note.")
    def decide(flag_id: int, note: str) -> None:
        """裁决一条标记 / decide a flag."""

    text = reference(tool, "tool")
    assert [line for line in text.splitlines() if line.startswith("## ")] == [
        "## tool",
        "## tool flags",
        "## tool flags decide",
    ]
    assert "Usage: tool flags decide [OPTIONS] FLAG_ID" in text
    assert "--note TEXT  备注 / a note." in text
    assert "裁决一条标记 / decide a flag." in text
