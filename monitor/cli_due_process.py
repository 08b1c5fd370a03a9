"""Operators' due-process commands: appeals against violations, credit repair and early
removal, and script pre-review. Every decision is one `monitor.decisions.decide` call."""

from __future__ import annotations

import click

from .cli_store_common import acting, credit_policy_of, db_option, echo_json, open_store
from .cli_support import _checker, _clear_errors, _fail, lexicon_files
from .text_input import check_readable, read_script

# What a decision prints: the record's name, and whether the anchor's credit follows.
_DECIDED = {"appeal": ("申诉 appeal", True), "repair": ("申请 application", True),
            "script": ("script", False)}  # fmt: skip


def _decide(kind: str, record_id: int, outcome: str, reason: str, db_path, actor) -> None:
    from .decisions import Decision, decide

    db, settings = open_store(db_path)
    decision = Decision(kind, record_id, outcome, reason, acting(actor, settings))
    decided = decide(db, decision, credit_policy_of(settings))
    name, with_credit = _DECIDED[kind]
    credit = decided.credit_after
    shown = f"; credit {credit['score']} {credit['grade']}" if with_credit else ""
    click.echo(f"{name} {record_id}: {decided.status}{shown}")


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
    from .review import file_appeal

    db, settings = open_store(db_path)
    click.echo(file_appeal(db, violation, reason, acting(actor, settings)))


@appeals_group.command("decide")
@click.argument("appeal_id", type=int)
@click.option(
    "--uphold", "decision", flag_value="uphold", help="支持申诉：撤销违规 / uphold: undo it."
)
@click.option("--reject", "decision", flag_value="reject", help="驳回申诉 / reject the appeal.")
@click.option("--reason", required=True, help="决定理由 / reason for the decision.")
@db_option
@_clear_errors
def appeals_decide(appeal_id, decision, reason, db_path, actor) -> None:
    """决定申诉 APPEAL_ID / decide appeal APPEAL_ID."""
    if decision is None:
        _fail("请给出 --uphold 或 --reject / give --uphold or --reject")
    _decide("appeal", appeal_id, decision, reason, db_path, actor)


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
    from .review import apply_for_repair

    db, settings = open_store(db_path)
    click.echo(
        apply_for_repair(
            db, anchor, kind, reason, acting(actor, settings), credit_policy_of(settings)
        )
    )


@repair_group.command("decide")
@click.argument("repair_id", type=int)
@click.option("--grant", "decision", flag_value="grant", help="批准 / grant.")
@click.option("--refuse", "decision", flag_value="refuse", help="拒绝 / refuse.")
@click.option("--reason", required=True, help="决定理由 / reason for the decision.")
@db_option
@_clear_errors
def repair_decide(repair_id, decision, reason, db_path, actor) -> None:
    """决定修复申请 REPAIR_ID / decide application REPAIR_ID."""
    if decision is None:
        _fail("请给出 --grant 或 --refuse / give --grant or --refuse")
    _decide("repair", repair_id, decision, reason, db_path, actor)


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
    from .prereview import submit_script

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


@scripts_group.command("decide")
@click.argument("script_id", type=int)
@click.option("--approve", "decision", flag_value="approve", help="批准 / approve.")
@click.option("--return", "decision", flag_value="return", help="退回修改 / return for changes.")
@click.option("--comments", default="", help="审核意见 / comments.")
@db_option
@_clear_errors
def scripts_decide(script_id, decision, comments, db_path, actor) -> None:
    """审批话术 SCRIPT_ID / decide script SCRIPT_ID."""
    if decision is None:
        _fail("请给出 --approve 或 --return / give --approve or --return")
    _decide("script", script_id, decision, comments, db_path, actor)


COMMANDS = (appeals_group, repair_group, scripts_group)
