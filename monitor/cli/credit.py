"""Operators' commands on credit and what follows from it: credit shown and recomputed,
eligibility, the audit log, public disclosure and workshop statistics."""

from __future__ import annotations

import json
import sys

import click

from monitor.cli.group import EXIT_BAD_INPUT, _clear_errors, echo_json
from monitor.cli.inputs import acting, credit_policy_of, db_option, open_store

# --- credit, gate, audit, disclosure, statistics --------------------------------------------


@click.group("credit")
def credit_group() -> None:
    """主播的分色信用等级 / anchors' colour-graded credit."""


@credit_group.command("show")
@click.argument("anchor")
@click.option("--at", help="按另一时间计算（ISO-8601）/ evaluate at another time (ISO-8601).")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / print JSON.")
@db_option
@_clear_errors
def credit_show(anchor, at, as_json, db_path, actor) -> None:
    """主播 ANCHOR 的信用分、等级、限制和记录 / score, grade, restrictions and history of ANCHOR."""
    from monitor.credit.service import anchor_credit
    from monitor.store.db import parse_time

    db, settings = open_store(db_path)
    state = anchor_credit(db, anchor, credit_policy_of(settings), parse_time(at) if at else None)
    data = state.to_dict()
    if as_json:
        echo_json(data)
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
@db_option
@_clear_errors
def credit_recompute(db_path, actor) -> None:
    """立即重算所有主播的信用（改政策后；每日一次，以体现恢复）/ recompute every anchor's credit
    now (after a policy change; daily, so recovery shows)."""
    from monitor.credit.service import recompute_all

    db, settings = open_store(db_path)
    count = recompute_all(db, credit_policy_of(settings), acting(actor, settings))
    click.echo(f"recomputed {count} anchors")


@click.command("eligibility")
@click.argument("anchor")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / print JSON.")
@db_option
@_clear_errors
def eligibility_command(anchor, as_json, db_path, actor) -> None:
    """该主播（编号或 平台:账号）现在能否注册、开播？退出码 0 能开播，1 不能 / may this anchor
    (id or PLATFORM:ACCOUNT) register, go live now? Exit 0 if it may go live, 1 if not."""
    from monitor.credit.eligibility import eligibility

    db, settings = open_store(db_path)
    answer = eligibility(db, anchor, credit_policy_of(settings))
    if as_json:
        echo_json(
            {
                k: v
                for k, v in answer.to_dict().items()
                if k in ("anchor_id", "known", "may_register", "may_go_live", "reason", "until")
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
    """哈希链审计日志 / the hash-chained audit log."""


@audit_group.command("verify")
@click.option(
    "--head",
    help="先前公布的链头哈希（可发现末尾被删的记录）/ "
    "the head hash published earlier (catches entries removed from the end).",
)
@db_option
@_clear_errors
def audit_verify(head, db_path, actor) -> None:
    """校验审计日志是否完整，被改动则退出码 2 / verify the audit log; exit 2 if it was altered."""
    from monitor.store import audit as audit_log

    db, _ = open_store(db_path)
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
@click.option("--subject", help="对象，如 anchor:A001 / subject, e.g. anchor:A001.")
@click.option(
    "--limit",
    type=click.IntRange(1, 100_000),
    default=50,
    show_default=True,
    help="最多显示几条 / most entries shown.",
)
@db_option
@_clear_errors
def audit_show(subject, limit, db_path, actor) -> None:
    """最近的审计记录 / the latest audit entries."""
    from monitor.store import audit as audit_log

    db, _ = open_store(db_path)
    for entry in audit_log.entries(db, subject, limit):
        click.echo(
            f"{entry['seq']:>6} {entry['at']} {entry['actor']:<12} {entry['action']:<18} {entry['subject']}  {json.dumps(entry['detail'], ensure_ascii=False)}"
        )


@click.command("disclosure")
@click.option(
    "--publish",
    "do_publish",
    is_flag=True,
    help="在库中记录本次公示（及审计链头）/ record this publication (and the audit head) in the store.",
)
@db_option
@_clear_errors
def disclosure_command(do_publish, db_path, actor) -> None:
    """公示：等级、黑名单、产品的产地和认证，JSON 格式 / public disclosure: grades, blacklist,
    products' origin and certifications, as JSON."""
    from monitor.credit.disclosure import disclosure, publish

    db, settings = open_store(db_path)
    policy = credit_policy_of(settings)
    echo_json(
        publish(db, policy, acting(actor, settings)) if do_publish else disclosure(db, policy)
    )


@click.command("stats")
@click.option("--since", default="", help="起始日期时间（含）/ ISO date/time (inclusive).")
@click.option("--until", default="9999", help="截止日期时间（不含）/ ISO date/time (exclusive).")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / print JSON.")
@db_option
@_clear_errors
def stats_command(since, until, as_json, db_path, actor) -> None:
    """工坊统计和排名（晾晒）/ workshop statistics and ranking."""
    from monitor.credit.workshop_stats import workshop_stats

    db, _ = open_store(db_path)
    rows = workshop_stats(db, since, until)
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        rate = "-" if row["compliance_rate"] is None else f"{row['compliance_rate']:.1%}"
        click.echo(
            f"{row['rank']:>3}. {row['workshop_id']:<12} {row['name']:<16} streams {row['streams']:>5}  flags {row['flags']:>5}  violations {row['violations']:>4}  compliance {rate}"
        )


COMMANDS = (credit_group, eligibility_command, audit_group, disclosure_command, stats_command)
