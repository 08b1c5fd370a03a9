"""Operators' review commands: flags and their decisions, violations found outside the queue,
appeals, credit repair and script pre-review."""

from __future__ import annotations

from pathlib import Path

import click

from .cli_store_common import (
    acting,
    category_ids,
    credit_policy_of,
    db_option,
    echo_json,
    open_store,
)
from .cli_support import _checker, _clear_errors, _fail
from .flag_store import list_flags
from .lexicon import SEVERITIES
from .prereview import decide_script, submit_script
from .review import (
    apply_for_repair,
    decide_appeal,
    decide_flag,
    decide_repair,
    dumps,
    file_appeal,
    labelled_examples,
    record_violation,
)
from .text_input import read_script

# --- flags and review -----------------------------------------------------------------------


@click.group("flags")
def flags_group() -> None:
    """The review queue: flags raised by checks."""


@flags_group.command("list")
@click.option("--status", type=click.Choice(["open", "confirmed", "dismissed"]))
@click.option("--anchor")
@click.option("--stream")
@click.option("--workshop")
@click.option("--category")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@db_option
@_clear_errors
def flags_list(status, anchor, stream, workshop, category, limit, as_json, db_path, actor) -> None:
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
    "--confirm", "decision", flag_value="confirm", help="Confirm: it becomes a violation."
)
@click.option("--dismiss", "decision", flag_value="dismiss", help="Dismiss (needs --reason).")
@click.option("--category", help="Corrected category (confirm).")
@click.option("--severity", type=click.Choice(SEVERITIES), help="Corrected severity (confirm).")
@click.option("--note", default="")
@click.option("--reason", default="")
@click.option("--json", "as_json", is_flag=True)
@db_option
@_clear_errors
def flags_decide(
    flag_id, decision, category, severity, note, reason, as_json, db_path, actor
) -> None:
    if decision is None:
        _fail("give --confirm or --dismiss")
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
    "--out", type=click.Path(dir_okay=False), help="File to write (default: standard output)."
)
@db_option
@_clear_errors
def flags_export(out, db_path, actor) -> None:
    """Reviewed flags as labelled JSON lines for `qinglang train --extra`."""
    db, _ = open_store(db_path)
    text = dumps(labelled_examples(db))
    if out:
        Path(out).write_text(text, encoding="utf-8")
        click.echo(f"wrote {text.count(chr(10))} labelled segments to {out}", err=True)
    else:
        click.echo(text, nl=False)


@click.group("violations")
def violations_group() -> None:
    """Violations found outside the flag queue."""


@violations_group.command("record")
@click.option("--anchor", required=True, help="Anchor id or PLATFORM:ACCOUNT.")
@click.option("--category", required=True)
@click.option("--severity", type=click.Choice(SEVERITIES), required=True)
@click.option("--evidence", required=True)
@click.option("--at", help="When it happened (ISO-8601; default now).")
@click.option(
    "--origin",
    type=click.Choice(["inspection", "complaint", "other"]),
    default="inspection",
    show_default=True,
)
@db_option
@_clear_errors
def violations_record(anchor, category, severity, evidence, at, origin, db_path, actor) -> None:
    db, settings = open_store(db_path)
    violation_id = record_violation(
        db, anchor=anchor, category=category, severity=severity, evidence=evidence,
        recorded_by=acting(actor, settings), policy=credit_policy_of(settings), categories=category_ids(),
        at=at, origin=origin,
    )  # fmt: skip
    click.echo(violation_id)


@click.group("appeals")
def appeals_group() -> None:
    """Appeals (申诉) against violations."""


@appeals_group.command("file")
@click.option("--violation", type=int, required=True)
@click.option("--reason", required=True)
@db_option
@_clear_errors
def appeals_file(violation, reason, db_path, actor) -> None:
    db, settings = open_store(db_path)
    click.echo(file_appeal(db, violation, reason, acting(actor, settings)))


@appeals_group.command("decide")
@click.argument("appeal_id", type=int)
@click.option("--uphold", "decision", flag_value="uphold")
@click.option("--reject", "decision", flag_value="reject")
@click.option("--reason", required=True)
@db_option
@_clear_errors
def appeals_decide(appeal_id, decision, reason, db_path, actor) -> None:
    if decision is None:
        _fail("give --uphold or --reject")
    db, settings = open_store(db_path)
    result = decide_appeal(
        db,
        appeal_id,
        uphold=decision == "uphold",
        reason=reason,
        decided_by=acting(actor, settings),
        policy=credit_policy_of(settings),
    )
    click.echo(
        f"申诉 appeal {appeal_id}: {result['status']}; credit {result['score']} {result['grade']}"
    )


@click.group("repair")
def repair_group() -> None:
    """Credit repair (信用修复) and early removal from the blacklist."""


@repair_group.command("apply")
@click.option("--anchor", required=True)
@click.option(
    "--kind", type=click.Choice(["repair", "early_removal"]), default="repair", show_default=True
)
@click.option("--reason", required=True, help="The rectification done.")
@db_option
@_clear_errors
def repair_apply(anchor, kind, reason, db_path, actor) -> None:
    db, settings = open_store(db_path)
    click.echo(
        apply_for_repair(
            db, anchor, kind, reason, acting(actor, settings), credit_policy_of(settings)
        )
    )


@repair_group.command("decide")
@click.argument("repair_id", type=int)
@click.option("--grant", "decision", flag_value="grant")
@click.option("--refuse", "decision", flag_value="refuse")
@click.option("--reason", required=True)
@db_option
@_clear_errors
def repair_decide(repair_id, decision, reason, db_path, actor) -> None:
    if decision is None:
        _fail("give --grant or --refuse")
    db, settings = open_store(db_path)
    result = decide_repair(
        db,
        repair_id,
        grant=decision == "grant",
        reason=reason,
        decided_by=acting(actor, settings),
        policy=credit_policy_of(settings),
    )
    click.echo(
        f"申请 application {repair_id}: {result['status']}; credit {result['score']} {result['grade']}"
    )


@click.group("scripts")
def scripts_group() -> None:
    """Script pre-review (广告审核)."""


@scripts_group.command("submit")
@click.option("--anchor", required=True)
@click.option("--file", "path", required=True, type=click.Path(dir_okay=False))
@click.option("--product")
@click.option("--for-stream-at", help="When the stream is planned (ISO-8601).")
@click.option(
    "--require-approval", is_flag=True, help="The platform asks for a regulator's approval."
)
@click.option("--json", "as_json", is_flag=True)
@db_option
@_clear_errors
def scripts_submit(
    anchor, path, product, for_stream_at, require_approval, as_json, db_path, actor
) -> None:
    db, settings = open_store(db_path)
    text = read_script(path, settings.max_text_bytes)
    result = submit_script(
        db, _checker((), settings), credit_policy_of(settings), anchor=anchor, text=text,
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
@click.option("--approve", "decision", flag_value="approve")
@click.option("--return", "decision", flag_value="return")
@click.option("--comments", default="")
@db_option
@_clear_errors
def scripts_decide(script_id, decision, comments, db_path, actor) -> None:
    if decision is None:
        _fail("give --approve or --return")
    db, settings = open_store(db_path)
    result = decide_script(
        db,
        script_id,
        approve=decision == "approve",
        comments=comments,
        reviewer=acting(actor, settings),
    )
    click.echo(f"script {script_id}: {result['status']}")


COMMANDS = (flags_group, violations_group, appeals_group, repair_group, scripts_group)
