"""Operators' commands on the store: registry, flags and review, violations, appeals, credit
repair, credit, eligibility, audit, disclosure, workshop statistics and script pre-review.

Every command takes `--db PATH` (default `QINGLANG_DB`) and `--actor NAME` (who is acting, for
the audit log; default `QINGLANG_ACTOR` or the login name).
"""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

import click

from . import audit as audit_log
from .cli_support import EXIT_BAD_INPUT, _checker, _clear_errors, _fail
from .credit_policy import load_policy
from .credit_service import anchor_credit, recompute_all
from .db import open_db, parse_time
from .disclosure import disclosure, publish
from .flag_store import list_flags
from .gate import eligibility
from .lexicon import SEVERITIES, load_lexicon
from .prereview import decide_script, submit_script
from .registry import CERTIFICATION_TYPES, add_anchor, add_product, add_workshop, import_csv
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
from .settings import Settings
from .text_input import read_script
from .workshop_stats import workshop_stats


def _db_option(command):
    command = click.option(
        "--actor", help="Who is acting (audit log); default QINGLANG_ACTOR or login."
    )(command)
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False),
        help="Database file (default QINGLANG_DB).",
    )(command)


def _open(db_path: str | None):
    settings = Settings()
    return open_db(db_path or settings.db), settings


def _actor(actor: str | None, settings: Settings) -> str:
    if actor:
        return actor
    if settings.actor:
        return settings.actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


def _policy(settings: Settings):
    return load_policy(Path(settings.credit_policy) if settings.credit_policy else None)


def _categories() -> list[str]:
    return list(load_lexicon(Settings().extra_lexicon_files()).categories)


def _echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


# --- registry -------------------------------------------------------------------------------


@click.group("workshops")
def workshops_group() -> None:
    """共富工坊 workshops."""


@workshops_group.command("add")
@click.option("--id", "workshop_id", required=True)
@click.option("--name", required=True)
@click.option("--region", default="", help="County or town, e.g. 余姚市梁弄镇.")
@_db_option
@_clear_errors
def workshops_add(workshop_id, name, region, db_path, actor) -> None:
    db, settings = _open(db_path)
    add_workshop(db, workshop_id, name, region, _actor(actor, settings))
    click.echo(f"已添加工坊 added workshop {workshop_id}")


@click.group("anchors")
def anchors_group() -> None:
    """Anchors (主播) and their platform accounts."""


@anchors_group.command("add")
@click.option("--id", "anchor_id", required=True)
@click.option("--name", required=True)
@click.option("--workshop")
@click.option("--platform-account", "accounts", multiple=True, help="PLATFORM:ACCOUNT; repeatable.")
@_db_option
@_clear_errors
def anchors_add(anchor_id, name, workshop, accounts, db_path, actor) -> None:
    db, settings = _open(db_path)
    add_anchor(db, anchor_id, name, workshop, list(accounts), _actor(actor, settings))
    click.echo(f"已添加主播 added anchor {anchor_id}")


@click.group("products")
def products_group() -> None:
    """Products with their registered origin and certifications."""


@products_group.command("add")
@click.option("--id", "product_id", required=True)
@click.option("--name", required=True)
@click.option("--workshop")
@click.option("--class", "product_class", default="food", show_default=True)
@click.option("--origin", default="", help="Registered place of origin, e.g. 浙江省宁波市余姚市.")
@click.option("--producer", default="")
@click.option(
    "--certification",
    "certifications",
    multiple=True,
    help=f"TYPE:NUMBER; TYPE one of {', '.join(CERTIFICATION_TYPES)}.",
)
@click.option(
    "--registration", "registrations", multiple=True, help="Registration number; repeatable."
)
@_db_option
@_clear_errors
def products_add(
    product_id,
    name,
    workshop,
    product_class,
    origin,
    producer,
    certifications,
    registrations,
    db_path,
    actor,
) -> None:
    db, settings = _open(db_path)
    certs = []
    for item in certifications:
        kind, _, number = item.partition(":")
        certs.append({"type": kind.strip(), "number": number.strip()})
    add_product(
        db, product_id, name, workshop_id=workshop, product_class=product_class, origin=origin,
        producer=producer, certifications=certs, registration_numbers=list(registrations),
        actor=_actor(actor, settings),
    )  # fmt: skip
    click.echo(f"已添加产品 added product {product_id}")


@click.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option(
    "--kind",
    type=click.Choice(["workshops", "anchors", "products"]),
    help="Default: from the file name.",
)
@_db_option
@_clear_errors
def import_command(path, kind, db_path, actor) -> None:
    """Import workshops, anchors or products from a UTF-8 CSV (all rows or none)."""
    db, settings = _open(db_path)
    kind, count = import_csv(db, path, kind, _actor(actor, settings))
    click.echo(f"已导入 imported {count} {kind}")


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
@_db_option
@_clear_errors
def flags_list(status, anchor, stream, workshop, category, limit, as_json, db_path, actor) -> None:
    db, _ = _open(db_path)
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
        _echo_json(rows)
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
@_db_option
@_clear_errors
def flags_decide(
    flag_id, decision, category, severity, note, reason, as_json, db_path, actor
) -> None:
    if decision is None:
        _fail("give --confirm or --dismiss")
    db, settings = _open(db_path)
    result = decide_flag(
        db, flag_id, confirm=decision == "confirm", reviewer=_actor(actor, settings),
        policy=_policy(settings), categories=_categories(), category=category, severity=severity,
        note=note, reason=reason,
    )  # fmt: skip
    if as_json:
        _echo_json(result)
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
@_db_option
@_clear_errors
def flags_export(out, db_path, actor) -> None:
    """Reviewed flags as labelled JSON lines for `qinglang train --extra`."""
    db, _ = _open(db_path)
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
@_db_option
@_clear_errors
def violations_record(anchor, category, severity, evidence, at, origin, db_path, actor) -> None:
    db, settings = _open(db_path)
    violation_id = record_violation(
        db, anchor=anchor, category=category, severity=severity, evidence=evidence,
        recorded_by=_actor(actor, settings), policy=_policy(settings), categories=_categories(),
        at=at, origin=origin,
    )  # fmt: skip
    click.echo(violation_id)


@click.group("appeals")
def appeals_group() -> None:
    """Appeals (申诉) against violations."""


@appeals_group.command("file")
@click.option("--violation", type=int, required=True)
@click.option("--reason", required=True)
@_db_option
@_clear_errors
def appeals_file(violation, reason, db_path, actor) -> None:
    db, settings = _open(db_path)
    click.echo(file_appeal(db, violation, reason, _actor(actor, settings)))


@appeals_group.command("decide")
@click.argument("appeal_id", type=int)
@click.option("--uphold", "decision", flag_value="uphold")
@click.option("--reject", "decision", flag_value="reject")
@click.option("--reason", required=True)
@_db_option
@_clear_errors
def appeals_decide(appeal_id, decision, reason, db_path, actor) -> None:
    if decision is None:
        _fail("give --uphold or --reject")
    db, settings = _open(db_path)
    result = decide_appeal(
        db,
        appeal_id,
        uphold=decision == "uphold",
        reason=reason,
        decided_by=_actor(actor, settings),
        policy=_policy(settings),
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
@_db_option
@_clear_errors
def repair_apply(anchor, kind, reason, db_path, actor) -> None:
    db, settings = _open(db_path)
    click.echo(
        apply_for_repair(db, anchor, kind, reason, _actor(actor, settings), _policy(settings))
    )


@repair_group.command("decide")
@click.argument("repair_id", type=int)
@click.option("--grant", "decision", flag_value="grant")
@click.option("--refuse", "decision", flag_value="refuse")
@click.option("--reason", required=True)
@_db_option
@_clear_errors
def repair_decide(repair_id, decision, reason, db_path, actor) -> None:
    if decision is None:
        _fail("give --grant or --refuse")
    db, settings = _open(db_path)
    result = decide_repair(
        db,
        repair_id,
        grant=decision == "grant",
        reason=reason,
        decided_by=_actor(actor, settings),
        policy=_policy(settings),
    )
    click.echo(
        f"申请 application {repair_id}: {result['status']}; credit {result['score']} {result['grade']}"
    )


# --- credit, gate, audit, disclosure, statistics --------------------------------------------


@click.group("credit")
def credit_group() -> None:
    """Anchors' colour-graded credit."""


@credit_group.command("show")
@click.argument("anchor")
@click.option("--at", help="Evaluate at another time (ISO-8601).")
@click.option("--json", "as_json", is_flag=True)
@_db_option
@_clear_errors
def credit_show(anchor, at, as_json, db_path, actor) -> None:
    db, settings = _open(db_path)
    state = anchor_credit(db, anchor, _policy(settings), parse_time(at) if at else None)
    data = state.to_dict()
    if as_json:
        _echo_json(data)
        return
    status = (
        f"黑名单至 blacklisted until {data['blacklisted_until']}" if data["blacklisted"] else ""
    )
    click.echo(
        f"{data['anchor_id']}  信用分 score {data['score']}  等级 grade {data['grade']} {status}"
    )
    for restriction in data["restrictions"]:
        click.echo(f"  限制 restriction: {restriction['text']}")
    for event in data["history"]:
        click.echo(
            f"  {event['at']}  {event['kind']:<14} {event['delta']:+.2f} → {event['score']}  {event['grade']}  {event['detail']}"
        )


@credit_group.command("recompute")
@_db_option
@_clear_errors
def credit_recompute(db_path, actor) -> None:
    """Recompute every anchor's credit now (after a policy change; daily, so recovery shows)."""
    db, settings = _open(db_path)
    count = recompute_all(db, _policy(settings), _actor(actor, settings))
    click.echo(f"recomputed {count} anchors")


@click.command("eligibility")
@click.argument("anchor")
@click.option("--json", "as_json", is_flag=True)
@_db_option
@_clear_errors
def eligibility_command(anchor, as_json, db_path, actor) -> None:
    """May this anchor (id or PLATFORM:ACCOUNT) register / go live now?"""
    db, settings = _open(db_path)
    answer = eligibility(db, anchor, _policy(settings))
    if as_json:
        _echo_json(
            {
                k: v
                for k, v in answer.to_dict().items()
                if k in ("anchor_id", "may_register", "may_go_live", "reason", "until")
            }
            | {"grade": answer.grade, "restrictions": list(answer.restrictions)}
        )
    else:
        click.echo(
            f"{answer.anchor_id}: 可注册 may register: {'是 yes' if answer.may_register else '否 no'}; "
            f"可开播 may go live: {'是 yes' if answer.may_go_live else '否 no'}"
            + (f"\n  {answer.reason}" if answer.reason else "")
        )
    sys.exit(0 if answer.may_go_live else 1)


@click.group("audit")
def audit_group() -> None:
    """The hash-chained audit log."""


@audit_group.command("verify")
@click.option(
    "--head", help="The head hash published earlier (catches entries removed from the end)."
)
@_db_option
@_clear_errors
def audit_verify(head, db_path, actor) -> None:
    db, _ = _open(db_path)
    result = audit_log.verify(db, head)
    if result.ok:
        click.echo(f"审计日志完整 audit log intact: {result.entries} entries, head {result.head}")
        return
    click.echo(
        f"qinglang: 审计日志被改动 audit log broken at entry {result.bad_seq}: {result.problem}",
        err=True,
    )
    sys.exit(EXIT_BAD_INPUT)


@audit_group.command("log")
@click.option("--subject", help="e.g. anchor:A001")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@_db_option
@_clear_errors
def audit_show(subject, limit, db_path, actor) -> None:
    db, _ = _open(db_path)
    for entry in audit_log.entries(db, subject, limit):
        click.echo(
            f"{entry['seq']:>6} {entry['at']} {entry['actor']:<12} {entry['action']:<18} {entry['subject']}  {json.dumps(entry['detail'], ensure_ascii=False)}"
        )


@click.command("disclosure")
@click.option(
    "--publish",
    "do_publish",
    is_flag=True,
    help="Record this publication (and the audit head) in the store.",
)
@_db_option
@_clear_errors
def disclosure_command(do_publish, db_path, actor) -> None:
    """Public disclosure (公示): grades, blacklist, products' origin and certifications, as JSON."""
    db, settings = _open(db_path)
    policy = _policy(settings)
    _echo_json(
        publish(db, policy, _actor(actor, settings)) if do_publish else disclosure(db, policy)
    )


@click.command("stats")
@click.option("--since", default="", help="ISO date/time (inclusive).")
@click.option("--until", default="9999", help="ISO date/time (exclusive).")
@click.option("--json", "as_json", is_flag=True)
@_db_option
@_clear_errors
def stats_command(since, until, as_json, db_path, actor) -> None:
    """Workshop statistics and ranking (晾晒)."""
    db, _ = _open(db_path)
    rows = workshop_stats(db, since, until)
    if as_json:
        _echo_json(rows)
        return
    for row in rows:
        rate = "-" if row["compliance_rate"] is None else f"{row['compliance_rate']:.1%}"
        click.echo(
            f"{row['rank']:>3}. {row['workshop_id']:<12} {row['name']:<16} streams {row['streams']:>5}  flags {row['flags']:>5}  violations {row['violations']:>4}  compliance {rate}"
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
@_db_option
@_clear_errors
def scripts_submit(
    anchor, path, product, for_stream_at, require_approval, as_json, db_path, actor
) -> None:
    db, settings = _open(db_path)
    text = read_script(path, settings.max_text_bytes)
    result = submit_script(
        db, _checker((), settings), _policy(settings), anchor=anchor, text=text,
        submitted_by=_actor(actor, settings), product_id=product, for_stream_at=for_stream_at,
        require_approval=require_approval,
    )  # fmt: skip
    if as_json:
        _echo_json(result)
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
@_db_option
@_clear_errors
def scripts_decide(script_id, decision, comments, db_path, actor) -> None:
    if decision is None:
        _fail("give --approve or --return")
    db, settings = _open(db_path)
    result = decide_script(
        db,
        script_id,
        approve=decision == "approve",
        comments=comments,
        reviewer=_actor(actor, settings),
    )
    click.echo(f"script {script_id}: {result['status']}")


COMMANDS = (
    workshops_group, anchors_group, products_group, import_command, flags_group, violations_group,
    appeals_group, repair_group, credit_group, eligibility_command, audit_group, disclosure_command,
    stats_command, scripts_group,
)  # fmt: skip
