"""The regulator's page of pending due-process decisions (待决事项): appeals against violations,
credit-repair and early-removal applications, and scripts waiting for approval. Each decision
is one call of the library operation the API and the CLI use (`monitor.review.decisions.decide`),
which answers the anchor's credit before → after for the page; the decided item is replaced by
that outcome at once (htmx), and the pending counts follow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import sqlite_utils
from fastapi import APIRouter, Depends, Form, Request, Response

from api.core.context import DatabaseDep, Services, ServicesDep
from api.ui.auth import UiCaller, ui_roles
from api.ui.render import HtmlErrorRoute, UiError, render
from api.ui.views.highlight import pieces
from api.v1.schemas.common import RecordId
from monitor.credit.policy import CreditPolicy
from monitor.errors import InputError, MissingRecord, NotPending
from monitor.review import decisions
from monitor.review.appeal_evidence import with_evidence
from monitor.review.decision_effects import credit_snapshot
from monitor.store.registry import id_names
from monitor.store.store_lists import (
    current_listing,
    get_appeal,
    get_repair,
    get_violation,
    list_appeals,
    list_repairs,
    list_scripts,
    pending_counts,
    script_detail,
)

PAGE_SIZE = 50  # pending items shown per section, oldest first

router = APIRouter(route_class=HtmlErrorRoute, include_in_schema=False)
Regulator = Annotated[UiCaller, Depends(ui_roles("regulator"))]


@dataclass(frozen=True)
class Kind:
    """One kind of pending item: how to read it and the labels of its outcomes."""

    name: str  # appeals, repairs, scripts (the URL segment and the section id)
    kind: decisions.DecisionKind  # what monitor.review.decisions calls it
    actions: dict[str, tuple[str, str]]  # outcome -> (Chinese, English) label


KINDS = {
    "appeals": Kind(
        "appeals", "appeal", {"uphold": ("申诉成立", "upheld"), "reject": ("驳回申诉", "rejected")}
    ),
    "repairs": Kind(
        "repairs", "repair", {"grant": ("准予", "granted"), "refuse": ("不予", "refused")}
    ),
    "scripts": Kind(
        "scripts",
        "script",
        {"approve": ("审核通过", "approved"), "return": ("退回修改", "returned")},
    ),
}


class _Credit:
    """Anchors' credit now, computed once per anchor per page."""

    def __init__(self, db: sqlite_utils.Database, policy: CreditPolicy):
        self.db, self.policy, self.known = db, policy, {}

    def __call__(self, anchor_id: str) -> dict[str, Any]:
        if anchor_id not in self.known:
            self.known[anchor_id] = _shown(
                self.policy, credit_snapshot(self.db, anchor_id, self.policy)
            )
        return self.known[anchor_id]


def _shown(policy: CreditPolicy, snapshot: dict) -> dict[str, Any]:
    grades = {grade.id: grade for grade in policy.grades}
    return {**snapshot, "grade": grades[snapshot["grade"]]}


def _anchor_names(db: sqlite_utils.Database) -> dict[str, str]:
    return {row["id"]: row["name"] for row in id_names(db, "anchors")}


def _appeal_item(db, appeal: dict, credit: _Credit, names: dict) -> dict[str, Any]:
    return {
        "appeal": with_evidence(db, [appeal])[0],
        "violation": get_violation(db, appeal["violation_id"]),
        "credit": credit(appeal["anchor_id"]),
        "anchor_name": names.get(appeal["anchor_id"], ""),
    }


def _repair_item(db, repair: dict, credit: _Credit, names: dict) -> dict[str, Any]:
    listed = current_listing(db, repair["anchor_id"])
    return {
        "repair": repair,
        "credit": credit(repair["anchor_id"]),
        "anchor_name": names.get(repair["anchor_id"], ""),
        "listed_at": listed["listed_at"] if listed else None,
    }


def _script_item(db, script_id: int, credit: _Credit, names: dict) -> dict[str, Any]:
    script = script_detail(db, script_id)
    hits = script["report"]["hits"]
    return {
        "script": script,
        "pieces": pieces(script["text"], hits),
        "credit": credit(script["anchor_id"]),
        "anchor_name": names.get(script["anchor_id"], ""),
    }


def _item(db, services: Services, kind: str, record_id: int) -> dict[str, Any]:
    credit, names = _Credit(db, services.policy), _anchor_names(db)
    if kind == "appeals":
        return _appeal_item(db, get_appeal(db, record_id), credit, names)
    if kind == "repairs":
        return _repair_item(db, get_repair(db, record_id), credit, names)
    return _script_item(db, record_id, credit, names)


def _page_context(db: sqlite_utils.Database, services: Services) -> dict[str, Any]:
    credit, names = _Credit(db, services.policy), _anchor_names(db)
    appeals = list_appeals(db, status="pending", limit=PAGE_SIZE)[0]
    repairs = list_repairs(db, status="pending", limit=PAGE_SIZE)[0]
    scripts = list_scripts(db, status="pending", limit=PAGE_SIZE)[0]
    return {
        "appeals": [_appeal_item(db, a, credit, names) for a in appeals],
        "repairs": [_repair_item(db, r, credit, names) for r in repairs],
        "scripts": [_script_item(db, s["id"], credit, names) for s in scripts],
        "counts": pending_counts(db),
        "categories": services.checker.lexicon.categories,
        "policy": services.policy,
    }


@router.get("/ui/decisions")
def decisions_page(
    request: Request, caller: Regulator, db: DatabaseDep, services: ServicesDep
) -> Response:
    return render(request, "decisions.html", _page_context(db, services))


@router.get("/ui/decisions/badge")
def decisions_badge(request: Request, caller: Regulator, db: DatabaseDep) -> Response:
    """The nav badge: how many items wait for a decision (htmx loads it on every page)."""
    return render(request, "_decisions_badge.html", {"counts": pending_counts(db)})


@router.post("/ui/decisions/{kind}/{record_id}")
def decide(
    request: Request,
    kind: str,
    record_id: RecordId,
    caller: Regulator,
    db: DatabaseDep,
    services: ServicesDep,
    action: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Decide one pending item; answers its outcome (credit before → after) in its place, or the
    item again with the library's message when the decision was refused."""
    spec = KINDS.get(kind)
    if spec is None:
        raise UiError(404, f"没有这类事项 / no such kind of item: {kind}")
    partial = bool(request.headers.get("HX-Request"))
    policy = services.policy
    try:
        decision = decisions.Decision(spec.kind, record_id, action, note, caller.reviewer)
        decided = decisions.decide(db, decision, policy)
    except MissingRecord as exc:
        raise UiError(404, str(exc)) from None
    except InputError as exc:
        still = not isinstance(exc, NotPending)
        if not partial:
            context = _page_context(db, services)
            context["error"] = str(exc)
            return render(request, "decisions.html", context, status=400 if still else 409)
        if not still:
            context = {"gone": {"kind": kind, "id": record_id, "message": str(exc)}}
            context["counts"] = pending_counts(db)
            return render(request, "_decision_outcome.html", context, status=409)
        context = {
            "item": _item(db, services, kind, record_id),
            "item_error": str(exc),
            "note": note,
            "categories": services.checker.lexicon.categories,
            "policy": policy,
        }
        return render(request, f"_decision_{kind[:-1]}.html", context, status=400)
    outcome = {
        "kind": kind,
        "id": record_id,
        "anchor_id": decided.anchor_id,
        "label": spec.actions[action],
        "note": note.strip(),
        "before": _shown(policy, decided.credit_before),
        "after": _shown(policy, decided.credit_after),
    }
    if not partial:
        context = _page_context(db, services)
        context["outcome"] = outcome
        return render(request, "decisions.html", context)
    return render(
        request, "_decision_outcome.html", {"outcome": outcome, "counts": pending_counts(db)}
    )
