"""What changed an anchor's credit: the cause stored with the change (the audit log, a blacklist
entry, the eligibility webhook) and the same cause in words for people. The stored form is stable
machine text, "violation 7 (complaint)", "violation 7 (flag 9)", "appeal 3 upheld",
"repair 2 granted", "recompute"; `describe` words it, Chinese first, naming the violation's
category. Pure: the caller looks the violation up."""

from __future__ import annotations

import re
from collections.abc import Mapping

from monitor.messages import label, message, words

RECOMPUTE = "recompute"
_VIOLATION = re.compile(r"^violation (\d+) \((?:flag (\d+)|(\w+))\)$")
_DECISION = re.compile(r"^(appeal|repair|early_removal) (\d+) (\w+)$")


def violation_cause(violation_id: int, origin: str, flag_id: int | None = None) -> str:
    return f"violation {violation_id} ({f'flag {flag_id}' if flag_id else origin})"


def decision_cause(kind: str, record_id: int, status: str) -> str:
    """An appeal (kind "appeal") or application ("repair", "early_removal") decided."""
    return f"{kind} {record_id} {status}"


def violation_of(cause: str | None) -> int | None:
    """The violation a cause names, if it names one."""
    found = _VIOLATION.match(cause or "")
    return int(found.group(1)) if found else None


def describe(cause: str | None, violation: Mapping | None = None) -> str:
    """`cause` in words; `violation` (its category and severity) when the cause names one.
    A cause in no known form is given back as it is."""
    cause = cause or ""
    if found := _VIOLATION.match(cause):
        vid, flag_id, origin = found.groups()
        source = (
            message("credit_cause", "flag", id=flag_id)
            if flag_id
            else words("violation_origin", origin)
        )
        if violation is None:
            return label("credit_cause", "violation_unknown", id=vid, origin=source)
        category = words("category", violation["category"])
        severity = words("severity", violation["severity"])
        return label(
            "credit_cause", "violation", id=vid, origin=source, category=category, severity=severity
        )
    if found := _DECISION.match(cause):
        kind, record_id, status = found.groups()
        if kind == "appeal":
            return label(
                "credit_cause", "appeal", id=record_id, status=words("appeal_status", status)
            )
        return label(
            "credit_cause", "application", id=record_id,
            kind=words("repair_kind", kind), status=words("repair_status", status),
        )  # fmt: skip
    if cause == RECOMPUTE:
        return label("credit_cause", RECOMPUTE)
    return cause
