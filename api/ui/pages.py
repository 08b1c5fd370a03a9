"""The web UI's pages besides the review queue: home, anchors and an anchor's credit (where an
anchor key also applies for credit repair or early removal; appeals are api/ui/appeals.py), the
public disclosure, and the static files (CSS, JS, vendored htmx). The workshop dashboard is
api/ui/workshops.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import sqlite_utils
from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import FileResponse

from api.core.context import DatabaseDep, Services, ServicesDep
from api.ui.auth import UiCaller, optional_caller, ui_roles
from api.ui.render import HtmlErrorRoute, UiError, render
from api.ui.views.charts import score_chart
from monitor.credit.disclosure import disclosure
from monitor.credit.eligibility import eligibility
from monitor.credit.policy import CreditPolicy
from monitor.credit.service import anchor_credit, stored_credit
from monitor.errors import InputError
from monitor.review.appeal_evidence import with_evidence
from monitor.review.evidence_files import ACCEPTED
from monitor.review.flags import apply_for_repair
from monitor.review.repair_offer import repair_offer
from monitor.store.db import now_iso, parse_time
from monitor.store.registry import find_anchor, get_workshop
from monitor.store.store_lists import all_violations, anchor_appeals, list_repairs, list_scripts

STATIC = Path(__file__).parent / "static"
_STATIC_TYPES = {
    ".css": "text/css",
    ".js": "text/javascript",
    ".LICENSE": "text/plain",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
}

router = APIRouter(route_class=HtmlErrorRoute, include_in_schema=False)
Anyone = Annotated[UiCaller | None, Depends(optional_caller)]
Viewer = Annotated[UiCaller, Depends(ui_roles("regulator", "platform", "anchor"))]
AnchorKey = Annotated[UiCaller, Depends(ui_roles("anchor"))]
RECENT_SCRIPTS = 10  # an anchor's latest submitted scripts shown on its page


@router.get("/")
def home(request: Request, caller: Anyone) -> Response:
    return render(request, "home.html")


@router.get("/ui/static/{name}")
def static_file(name: str) -> Response:
    """A file of api/ui/static by its bare name (nothing else on disk is reachable)."""
    path = STATIC / name
    if "/" in name or name.startswith(".") or not path.is_file():
        raise UiError(404, f"没有这个文件 / no static file {name}")
    return _static(path)


@router.get("/favicon.ico")
def favicon() -> Response:
    """The site icon where browsers and tools look for it by default."""
    return _static(STATIC / "favicon.ico")


def _static(path: Path) -> Response:
    return FileResponse(
        path,
        media_type=_STATIC_TYPES.get(path.suffix, "application/octet-stream"),
        headers={"Cache-Control": "public, max-age=3600"},
    )


def _grades(policy: CreditPolicy) -> dict[str, Any]:
    return {grade.id: grade for grade in policy.grades}


@router.get("/ui/anchors")
def anchors_page(
    request: Request, caller: Viewer, db: DatabaseDep, services: ServicesDep
) -> Response:
    """Every anchor with a colour badge; an anchor key sees only itself."""
    only = [caller.anchor_id] if caller.role == "anchor" else None
    policy = services.policy
    rows = stored_credit(db, only)  # as of the last recompute; none yet: full credit
    now = now_iso()
    for row in rows:
        row["grade"] = _grades(policy).get(row["grade"] or policy.grades[0].id)
        row["score"] = policy.start_score if row["score"] is None else row["score"]
        row["blacklisted"] = bool(row["blacklisted_until"] and row["blacklisted_until"] > now)
    return render(request, "anchors.html", {"anchors": rows})


def viewed_anchor(
    db: sqlite_utils.Database,
    caller: UiCaller,
    anchor_ref: str,
    refusal: str = "主播账号只能查看本人信用 / an anchor key sees only its own anchor",
) -> dict:
    """The anchor a page is about; an anchor key gets only its own (403 with `refusal` for any
    other, existing or not)."""
    try:
        anchor = find_anchor(db, anchor_ref)
    except InputError:
        anchor = None
    if caller.role == "anchor" and (anchor is None or anchor["id"] != caller.anchor_id):
        raise UiError(403, refusal)
    if anchor is None:
        raise UiError(404, f"主播不存在 / no anchor {anchor_ref}")
    return anchor


def _records(
    db: sqlite_utils.Database, services: Services, caller: UiCaller, anchor: dict, state, now
) -> dict[str, Any]:
    """The due-process part of an anchor's page: violations with their status, appeals,
    applications, scripts, and what the anchor (an anchor key on its own page) may file."""
    violations = all_violations(db, anchor["id"])
    appeals = with_evidence(db, anchor_appeals(db, anchor["id"]))
    repairs = list_repairs(db, anchor_id=anchor["id"], limit=50)[0]
    offer, why_not = repair_offer(state, services.policy, violations, now)
    return {
        "anchor": anchor,
        "violations": violations,
        "appeals": appeals,
        "repairs": repairs,
        "pending_repair": any(r["status"] == "pending" for r in repairs),
        "offer": offer,
        "why_not": why_not,
        "scripts": list_scripts(db, anchor_id=anchor["id"], limit=RECENT_SCRIPTS)[0],
        "can_file": caller.role == "anchor",
        "can_download": caller.role != "platform",  # regulators, and the anchor on its own page
        "evidence_limits": services.settings.evidence_limits(),
        "evidence_accept": ",".join(ACCEPTED),
        "categories": services.checker.lexicon.categories,
    }


def _anchor_context(db, services: Services, caller: UiCaller, anchor: dict) -> dict[str, Any]:
    policy = services.policy
    now = parse_time(now_iso())
    state = anchor_credit(db, anchor["id"], policy, now)
    workshop = get_workshop(db, anchor["workshop_id"]) if anchor["workshop_id"] else None
    return {
        **_records(db, services, caller, anchor, state, now),
        "workshop": workshop["name"] if workshop else "",
        "state": state,
        # the platforms' own answer (script requirements included), not the grade's alone
        "gate": eligibility(db, anchor["id"], policy, now),
        "grade": _grades(policy)[state.grade],
        "chart": score_chart(state.history, policy, state.score, now),
    }


@router.get("/ui/anchors/{anchor_ref}")
def anchor_page(
    request: Request, anchor_ref: str, caller: Viewer, db: DatabaseDep, services: ServicesDep
) -> Response:
    """An anchor's badge, score, restrictions, blacklist state, score chart, violations, appeals,
    applications and scripts. An anchor key sees only its own (403 for any other)."""
    anchor = viewed_anchor(db, caller, anchor_ref)
    return render(request, "anchor.html", _anchor_context(db, services, caller, anchor))


def after_filing(
    request: Request,
    db,
    services: Services,
    caller: UiCaller,
    anchor: dict,
    error: dict | None,
    status: int = 400,
) -> Response:
    """The page's due-process part again (htmx), or the whole page; `status` (400) with the
    library's message in place when it refused."""
    status = status if error else 200
    if request.headers.get("HX-Request"):
        now = parse_time(now_iso())
        state = anchor_credit(db, anchor["id"], services.policy, now)
        context = {**_records(db, services, caller, anchor, state, now), "filing_error": error}
        return render(request, "_anchor_records.html", context, status)
    context = {**_anchor_context(db, services, caller, anchor), "filing_error": error}
    return render(request, "anchor.html", context, status)


@router.post("/ui/anchors/{anchor_ref}/repairs")
def apply_repair(
    request: Request,
    anchor_ref: str,
    caller: AnchorKey,
    db: DatabaseDep,
    services: ServicesDep,
    kind: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """An anchor key applies for credit repair or early removal (`apply_for_repair`)."""
    anchor = viewed_anchor(db, caller, anchor_ref)
    try:
        apply_for_repair(db, anchor["id"], kind, reason, caller.reviewer, services.policy)
    except InputError as exc:
        error = {"repair": True, "message": str(exc), "reason": reason}
        return after_filing(request, db, services, caller, anchor, error)
    return after_filing(request, db, services, caller, anchor, None)


@router.get("/public")
def public_page(
    request: Request, caller: Anyone, db: DatabaseDep, services: ServicesDep
) -> Response:
    """The public disclosure: grades (when the policy publishes them), blacklist, violations,
    products with origin and certifications. No login."""
    return render(
        request,
        "public.html",
        {
            "data": disclosure(db, services.policy),
            "grade_public": services.policy.disclosure.grade_public,
            "categories": services.checker.lexicon.categories,
        },
    )
