"""Operators' review commands: flags and their decisions, and violations found outside the queue;
appeals, credit repair and script pre-review are in `cli_due_process`."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.group import _clear_errors, _fail, echo_json
from monitor.cli.inputs import acting, category_ids, credit_policy_of, db_option, open_store
from monitor.vocabulary import SEVERITIES

# --- flags and review -----------------------------------------------------------------------


@click.group("flags")
def flags_group() -> None:
    """审核队列：检查产生的标记 / the review queue: flags raised by checks."""


@flags_group.command("list")
@click.option(
    "--status",
    type=click.Choice(["open", "confirmed", "dismissed"]),
    help="待审、已确认或已驳回 / open, confirmed or dismissed.",
)
@click.option("--anchor", help="主播编号 / anchor id.")
@click.option("--stream", help="直播编号 / stream id.")
@click.option("--workshop", help="工坊编号 / workshop id.")
@click.option("--category", help="违规类别 / category id.")
@click.option(
    "--limit",
    type=click.IntRange(1, 10_000),
    default=100,
    show_default=True,
    help="最多列出几条 / most flags listed.",
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / print JSON.")
@db_option
@_clear_errors
def flags_list(status, anchor, stream, workshop, category, limit, as_json, db_path, actor) -> None:
    """列出标记 / list flags."""
    from monitor.store.flag_queries import list_flags

    db, _ = open_store(db_path)
    rows = list_flags(
        db,
        status=status,
        anchor_id=anchor,
        stream_id=stream,
        workshop_id=workshop,
        category=category,
        limit=limit,
    )
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("没有标记 no flags")
    for row in rows:
        when = f" @{row['time_start']:.1f}s" if row["time_start"] is not None else ""
        click.echo(
            f"#{row['id']} [{row['status']}] {row['anchor_id'] or '-'} {row['stream_id'] or ''}{when} "
            f"「{row['text']}」 {row['category']} · {row['severity']} · {row['score']:.2f} · {row['rule']}"
        )


@flags_group.command("decide")
@click.argument("flag_id", type=int)
@click.option(
    "--confirm",
    "decision",
    flag_value="confirm",
    help="确认：记为违规 / confirm: it becomes a violation.",
)
@click.option(
    "--dismiss",
    "decision",
    flag_value="dismiss",
    help="驳回（须给 --reason）/ dismiss (needs --reason).",
)
@click.option("--category", help="更正后的类别（确认时）/ corrected category (confirm).")
@click.option(
    "--severity",
    type=click.Choice(SEVERITIES),
    help="更正后的严重程度（确认时）/ corrected severity (confirm).",
)
@click.option("--note", default="", help="备注 / note.")
@click.option("--reason", default="", help="驳回理由 / reason for dismissing.")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / print JSON.")
@db_option
@_clear_errors
def flags_decide(
    flag_id, decision, category, severity, note, reason, as_json, db_path, actor
) -> None:
    """确认或驳回标记 FLAG_ID / confirm or dismiss flag FLAG_ID."""
    if decision is None:
        _fail("请给出 --confirm 或 --dismiss / give --confirm or --dismiss")
    from monitor.review.flags import decide_flag

    db, settings = open_store(db_path)
    result = decide_flag(
        db, flag_id, confirm=decision == "confirm", reviewer=acting(actor, settings),
        policy=credit_policy_of(settings), categories=category_ids(), category=category, severity=severity,
        note=note, reason=reason,
    )  # fmt: skip
    if as_json:
        echo_json(result)
    elif result["violation_id"]:
        credit = result["credit"]
        click.echo(
            f"已确认 confirmed flag {flag_id}: violation {result['violation_id']}; credit {credit['score']} {credit['grade']}"
        )
    else:
        click.echo(f"已驳回 dismissed flag {flag_id}")


@flags_group.command("export")
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="写入的文件（默认：标准输出）/ file to write (default: standard output).",
)
@db_option
@_clear_errors
def flags_export(out, db_path, actor) -> None:
    """已审核的标记，导出为带标注的 JSON 行，供 `qinglang train --extra` 使用 / reviewed flags as
    labelled JSON lines for `qinglang train --extra`."""
    from monitor.review.flags import dumps, labelled_examples

    db, _ = open_store(db_path)
    text = dumps(labelled_examples(db))
    if out:
        Path(out).write_text(text, encoding="utf-8")
        click.echo(f"wrote {text.count(chr(10))} labelled segments to {out}", err=True)
    else:
        click.echo(text, nl=False)


@click.group("violations")
def violations_group() -> None:
    """在标记队列之外发现的违规 / violations found outside the flag queue."""


@violations_group.command("record")
@click.option(
    "--anchor", required=True, help="主播编号或 平台:账号 / anchor id or PLATFORM:ACCOUNT."
)
@click.option("--category", required=True, help="违规类别 / category id.")
@click.option(
    "--severity",
    type=click.Choice(SEVERITIES),
    required=True,
    help="严重程度 / severity.",
)
@click.option("--evidence", required=True, help="证据说明 / the evidence.")
@click.option(
    "--at", help="发生时间（ISO-8601；默认现在）/ when it happened (ISO-8601; default now)."
)
@click.option(
    "--origin",
    type=click.Choice(["inspection", "complaint", "other"]),
    default="inspection",
    show_default=True,
    help="来源：巡查、投诉或其他 / found by inspection, complaint or other.",
)
@db_option
@_clear_errors
def violations_record(anchor, category, severity, evidence, at, origin, db_path, actor) -> None:
    """记录一条违规并打印其编号 / record a violation and print its id."""
    from monitor.review.flags import record_violation

    db, settings = open_store(db_path)
    violation_id = record_violation(
        db, anchor=anchor, category=category, severity=severity, evidence=evidence,
        recorded_by=acting(actor, settings), policy=credit_policy_of(settings), categories=category_ids(),
        at=at, origin=origin,
    )  # fmt: skip
    click.echo(violation_id)


COMMANDS = (flags_group, violations_group)
