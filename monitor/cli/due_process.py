"""Operators' due-process commands: appeals against violations, credit repair and early
removal, and script pre-review. Every decision is one `monitor.review.decisions.decide` call."""

from __future__ import annotations

from collections.abc import Callable

import click

from monitor.cli.group import _clear_errors, _fail, echo_json
from monitor.cli.inputs import (
    _checker,
    acting,
    credit_policy_of,
    db_option,
    lexicon_files,
    open_store,
)
from monitor.sources.text_input import check_readable, read_script

# What a decision prints: the record's name, and whether the anchor's credit follows.
_DECIDED = {"appeal": ("申诉 appeal", True), "repair": ("申请 application", True),
            "script": ("script", False)}  # fmt: skip


def _decide_command(
    group: click.Group,
    kind: str,
    argument: str,
    doc: str,
    outcomes: dict[str, str],
    reason: Callable,
) -> None:
    """`<group> decide ID --<outcome> --reason|--comments TEXT`: one Decision, one `decide`."""
    first, second = outcomes

    @_clear_errors
    def command(decision, reason, db_path, actor, **record) -> None:
        if decision is None:
            _fail(f"请给出 --{first} 或 --{second} / give --{first} or --{second}")
        from monitor.review.decisions import Decision, decide

        db, settings = open_store(db_path)
        given = Decision(kind, record[argument], decision, reason, acting(actor, settings))
        decided = decide(db, given, credit_policy_of(settings))
        name, with_credit = _DECIDED[kind]
        credit = decided.credit_after
        shown = f"; credit {credit['score']} {credit['grade']}" if with_credit else ""
        click.echo(f"{name} {given.id}: {decided.status}{shown}")

    command = reason(db_option(command))
    for outcome, help_text in reversed(outcomes.items()):
        command = click.option(f"--{outcome}", "decision", flag_value=outcome, help=help_text)(
            command
        )
    group.command("decide", help=doc)(click.argument(argument, type=int)(command))


@click.group("appeals")
def appeals_group() -> None:
    """对违规的申诉 / appeals against violations."""


@appeals_group.command("file")
@click.option("--violation", type=int, required=True, help="违规编号 / violation id.")
@click.option("--reason", required=True, help="申诉理由 / why the decision is wrong.")
@db_option
@_clear_errors
def appeals_file(violation, reason, db_path, actor) -> None:
    """提出申诉并打印其编号 / file an appeal and print its id."""
    from monitor.review.flags import file_appeal

    db, settings = open_store(db_path)
    click.echo(file_appeal(db, violation, reason, acting(actor, settings)))


@click.group("repair")
def repair_group() -> None:
    """信用修复和提前移出黑名单 / credit repair and early removal from the blacklist."""


@repair_group.command("apply")
@click.option("--anchor", required=True, help="主播编号 / anchor id.")
@click.option(
    "--kind",
    type=click.Choice(["repair", "early_removal"]),
    default="repair",
    show_default=True,
    help="信用修复或提前移出黑名单 / repair or early removal.",
)
@click.option("--reason", required=True, help="已做的整改 / the rectification done.")
@db_option
@_clear_errors
def repair_apply(anchor, kind, reason, db_path, actor) -> None:
    """申请修复并打印申请编号 / apply and print the application id."""
    from monitor.review.flags import apply_for_repair

    db, settings = open_store(db_path)
    click.echo(
        apply_for_repair(
            db, anchor, kind, reason, acting(actor, settings), credit_policy_of(settings)
        )
    )


@click.group("scripts")
def scripts_group() -> None:
    """话术预审（广告审核）/ script pre-review."""


@scripts_group.command("submit")
@click.option("--anchor", required=True, help="主播编号 / anchor id.")
@click.option(
    "--file",
    "path",
    required=True,
    type=click.Path(dir_okay=False),
    help="话术文件 / the script file.",
)
@click.option("--product", help="产品编号 / product id.")
@click.option(
    "--for-stream-at", help="计划开播时间（ISO-8601）/ when the stream is planned (ISO-8601)."
)
@click.option(
    "--require-approval",
    is_flag=True,
    help="平台要求监管审批 / the platform asks for a regulator's approval.",
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / print JSON.")
@db_option
@_clear_errors
def scripts_submit(
    anchor, path, product, for_stream_at, require_approval, as_json, db_path, actor
) -> None:
    """提交话术：先检查，需要时等待审批 / submit a script: checked, then approved if required."""
    check_readable(path)  # before the store opens and the checker loads
    from monitor.review.prereview import submit_script

    db, settings = open_store(db_path)
    text = read_script(path, settings.max_text_bytes, settings.docx_limits())
    checker = _checker(lexicon_files((), settings), settings)
    result = submit_script(
        db, checker, credit_policy_of(settings), anchor=anchor, text=text,
        submitted_by=acting(actor, settings), product_id=product, for_stream_at=for_stream_at,
        require_approval=require_approval,
    )  # fmt: skip
    if as_json:
        echo_json(result)
    else:
        report = result["report"]
        click.echo(
            f"script {result['script_id']}: {result['status']}; verdict {report['verdict']}, {len(report['hits'])} hits"
        )


_decide_command(
    appeals_group,
    "appeal",
    "appeal_id",
    "决定申诉 APPEAL_ID / decide appeal APPEAL_ID.",
    {"uphold": "支持申诉：撤销违规 / uphold: undo it.", "reject": "驳回申诉 / reject the appeal."},
    click.option("--reason", required=True, help="决定理由 / reason for the decision."),
)
_decide_command(
    repair_group,
    "repair",
    "repair_id",
    "决定修复申请 REPAIR_ID / decide application REPAIR_ID.",
    {"grant": "批准 / grant.", "refuse": "拒绝 / refuse."},
    click.option("--reason", required=True, help="决定理由 / reason for the decision."),
)
_decide_command(
    scripts_group, "script", "script_id", "审批话术 SCRIPT_ID / decide script SCRIPT_ID.",
    {"approve": "批准 / approve.", "return": "退回修改 / return for changes."},
    click.option("--comments", "reason", default="", help="审核意见 / comments."),
)  # fmt: skip

COMMANDS = (appeals_group, repair_group, scripts_group)
