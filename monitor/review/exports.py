"""CSV exports for regulators: flags (with the queue's filters), violations, and workshop
statistics. UTF-8 with a byte-order mark, so Excel opens Chinese text correctly; times in the
service's zone (Beijing unless QINGLANG_TIMEZONE says otherwise), named in the header; enum
values written in Chinese with the stable id beside them. Reading only."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlite_utils

from monitor.errors import InputError
from monitor.local_time import DEFAULT_ZONE, local_seconds, zone_label
from monitor.messages import name
from monitor.store.flag_queries import count_flags, list_flags
from monitor.store.store_lists import VIOLATION_STATUS_SQL

MAX_EXPORT_ROWS = 50_000  # rows in one export; more asks for narrower filters
BOM = "\ufeff"
# Excel runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text with a BOM; text that Excel would run as a formula is quoted with a '."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def labelled(labels: Mapping[str, str] | str, value: str | None) -> str:
    """ "严重 high" for "high": the Chinese label (from `labels`, or the message catalogue's kind
    of that name) with the stable id beside it."""
    if value is None:
        return ""
    if isinstance(labels, str):
        found = name(labels, value)
        return f"{found.zh} {value}" if found else value
    return f"{labels[value]} {value}" if value in labels else value


def _check_size(total: int) -> None:
    if total > MAX_EXPORT_ROWS:
        raise InputError(
            f"导出 {total} 行超过 {MAX_EXPORT_ROWS} 行上限，请缩小筛选范围 / {total} rows is more "
            f"than the {MAX_EXPORT_ROWS}-row export limit: narrow the filters"
        )


def flags_csv(
    db: sqlite_utils.Database,
    categories: Mapping[str, str],
    zone_name: str = DEFAULT_ZONE,
    **filters: Any,
) -> str:
    """Every flag `list_flags` selects with `filters` (no paging), newest first, with its
    decision. `categories` names category ids in Chinese."""
    _check_size(count_flags(db, **filters))
    zone = zone_label(zone_name)
    header = [
        "标记编号 flag", f"标记时间 flagged ({zone})", "主播编号 anchor id", "主播 anchor",
        "工坊 workshop", "直播 stream", "直播内秒数 second", "命中 hit", "原话 utterance",
        "类别 category", "严重程度 severity", "置信度 score", "规则 rule", "法律依据 basis",
        "状态 status", "决定 decision", "审核人 reviewer", f"决定时间 decided ({zone})",
        "认定类别 found category", "认定严重程度 found severity", "备注 note",
        "驳回理由 reason", "违规记录 violation",
    ]  # fmt: skip
    flags = list_flags(db, **filters, order="time", limit=MAX_EXPORT_ROWS)
    rows = (_flag_row(f, categories, zone_name) for f in flags)
    return to_csv(header, rows)


def violations_csv(
    db: sqlite_utils.Database,
    categories: Mapping[str, str],
    zone_name: str = DEFAULT_ZONE,
    *,
    anchor_id: str | None = None,
    workshop_id: str | None = None,
    category: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> str:
    """Violations that occurred in [since, until), newest first, with their status (standing,
    under appeal, overturned), origin, the flag and stream they came from, and the evidence."""
    where, params = ["1 = 1"], []
    for column, value in (
        ("v.anchor_id", anchor_id),
        ("a.workshop_id", workshop_id),
        ("v.category", category),
    ):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if since:
        where.append("v.occurred_at >= ?")
        params.append(since)
    if until:
        where.append("v.occurred_at < ?")
        params.append(until)
    sql = (
        f"FROM violations v JOIN anchors a ON a.id = v.anchor_id "
        f"LEFT JOIN flags f ON f.id = v.flag_id WHERE {' AND '.join(where)}"
    )
    _check_size(db.execute(f"SELECT COUNT(*) {sql}", params).fetchone()[0])
    zone = zone_label(zone_name)
    header = [
        "违规编号 violation", f"发生时间 occurred ({zone})", "主播编号 anchor id", "主播 anchor",
        "工坊 workshop", "类别 category", "严重程度 severity", "来源 origin", "状态 status",
        "标记 flag", "直播 stream", "证据 evidence", "记录人 recorded by",
        f"记录时间 recorded ({zone})",
    ]  # fmt: skip
    found = db.query(
        f"SELECT v.*, a.name AS anchor_name, a.workshop_id, f.stream_id, "
        f"{VIOLATION_STATUS_SQL} AS status {sql} ORDER BY v.occurred_at DESC, v.id DESC",
        params,
    )
    rows = (_violation_row(v, categories, zone_name) for v in found)
    return to_csv(header, rows)


def _flag_row(f: dict[str, Any], categories: Mapping[str, str], zone_name: str) -> list[Any]:
    d = f["decision"] or {}
    return [
        f["id"], local_seconds(f["created_at"], zone_name), f["anchor_id"], f["anchor_name"],
        f["workshop_id"], f["stream_id"], f["time_start"], f["text"], f["context"],
        labelled(categories, f["category"]), labelled("severity", f["severity"]),
        round(f["score"], 3), f["rule"], "；".join(f["basis"]),
        labelled("flag_status", f["status"]), labelled("decision", d.get("decision")),
        d.get("reviewer"), local_seconds(d.get("decided_at"), zone_name),
        labelled(categories, d.get("category")), labelled("severity", d.get("severity")),
        d.get("note"), d.get("reason"), d.get("violation_id"),
    ]  # fmt: skip


def _violation_row(v: dict[str, Any], categories: Mapping[str, str], zone_name: str) -> list[Any]:
    return [
        v["id"], local_seconds(v["occurred_at"], zone_name), v["anchor_id"], v["anchor_name"],
        v["workshop_id"], labelled(categories, v["category"]), labelled("severity", v["severity"]),
        labelled("violation_origin", v["origin"]), labelled("violation_status", v["status"]), v["flag_id"],
        v["stream_id"], v["evidence"], v["recorded_by"],
        local_seconds(v["recorded_at"], zone_name),
    ]  # fmt: skip


def workshops_csv(rows: Sequence[dict[str, Any]], first: str, last: str) -> str:
    """`workshop_stats` rows for the local calendar days `first` to `last` ("" when open), with
    the counts the compliance rate is made of (monitor.credit.workshop_stats says how)."""
    header = [
        "统计起 from", "统计止 to", "名次 rank", "工坊编号 workshop id", "工坊 workshop",
        "主播 anchors", "直播场次 streams", "合规场次 compliant streams",
        "违规场次 streams with violations", "待审场次 streams pending review",
        "违规 violations", "未关联本期直播的违规 violations outside the streams",
        "标记 flags", "待审标记 open flags", "未关联本期直播的待审标记 open flags outside the streams",
        "黑名单主播 blacklisted anchors", "检查项 checked", "合规率% compliance %",
    ]  # fmt: skip
    return to_csv(header, (_workshop_row(row, first, last) for row in rows))


def _workshop_row(w: dict[str, Any], first: str, last: str) -> list[Any]:
    rate = w["compliance_rate"]
    return [
        first, last, w["rank"], w["workshop_id"], w["name"], w["anchors"], w["streams"],
        w["streams_compliant"], w["streams_with_violations"], w["streams_pending"],
        w["violations"], w["violations_outside_streams"], w["flags"], w["open_flags"],
        w["open_flags_outside_streams"], w["blacklisted_anchors"], w["checked"],
        "" if rate is None else f"{rate * 100:.1f}",
    ]  # fmt: skip
