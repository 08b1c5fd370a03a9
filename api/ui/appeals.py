"""Appeals in the web UI: an anchor key files an appeal against one of its own violations on its
page, with its reason and evidence (files and links), through the library call the API uses
(`monitor.review.flags.file_appeal`); regulators and the appealing anchor download the evidence files.
A refused file or link is explained in the form, and nothing of that filing is kept."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Request, Response

from api.core.context import DatabaseDep, ServicesDep
from api.ui.auth import UiCaller, ui_roles
from api.ui.pages import after_filing, viewed_anchor
from api.ui.render import HtmlErrorRoute, UiError
from api.v1.due_process.appeal_evidence import (
    AppealForm,
    evidence_download,
    file_staged_appeal,
    receive_appeal_form,
    refusal,
)
from api.v1.schemas.common import RecordId
from monitor.errors import InputError
from monitor.review.appeal_evidence import evidence_file
from monitor.review.evidence_files import EvidenceRefused, EvidenceStaging
from monitor.store.store_lists import get_appeal, get_violation

router = APIRouter(route_class=HtmlErrorRoute, include_in_schema=False)
AnchorKey = Annotated[UiCaller, Depends(ui_roles("anchor"))]
EvidenceReader = Annotated[UiCaller, Depends(ui_roles("regulator", "anchor"))]


@router.post("/ui/anchors/{anchor_ref}/violations/{violation_id}/appeal")
async def appeal(
    request: Request,
    anchor_ref: str,
    violation_id: RecordId,
    caller: AnchorKey,
    db: DatabaseDep,
    services: ServicesDep,
) -> Response:
    """An anchor key appeals one of its own violations: `reason`, optional `links` (one per
    line) and `files` (multipart). The page's due-process part comes back, with the appeal filed
    or the refusal in the form."""
    anchor = await anyio.to_thread.run_sync(viewed_anchor, db, caller, anchor_ref)
    violation = await anyio.to_thread.run_sync(get_violation, db, violation_id)
    if violation is None or violation["anchor_id"] != anchor["id"]:
        raise UiError(404, f"违规记录不存在 / no violation {violation_id} of this anchor")
    settings = services.settings
    form = AppealForm({"reason": [], "links": [], "csrf": []})
    try:
        with EvidenceStaging(settings.files_dir(), settings.evidence_limits()) as staging:
            form = await receive_appeal_form(request, staging)
            if form.refused is not None:
                raise form.refused
            await file_staged_appeal(
                db, violation_id, form.first("reason"), form.links, caller.reviewer, staging
            )
    except InputError as exc:
        status = refusal(exc).status_code if isinstance(exc, EvidenceRefused) else 400
        error = {
            "violation_id": violation_id,
            "message": str(exc),
            "reason": form.first("reason"),
            "links": "\n".join(form.links),
        }
        return await anyio.to_thread.run_sync(
            after_filing, request, db, services, caller, anchor, error, status
        )
    return await anyio.to_thread.run_sync(after_filing, request, db, services, caller, anchor, None)


@router.get("/ui/appeals/{appeal_id}/evidence/{evidence_id}")
def evidence(
    appeal_id: RecordId,
    evidence_id: RecordId,
    caller: EvidenceReader,
    db: DatabaseDep,
    services: ServicesDep,
) -> Response:
    """An appeal's evidence file as a download: regulators, and the anchor who appealed."""
    appeal = get_appeal(db, appeal_id)
    if caller.role == "anchor" and (appeal is None or appeal["anchor_id"] != caller.anchor_id):
        raise UiError(
            403, "主播账号只能查看本人的申诉材料 / an anchor key sees only its own evidence"
        )
    stored = evidence_file(db, appeal_id, evidence_id, services.settings.files_dir())
    if appeal is None or stored is None:
        raise UiError(
            404, f"没有这个证据文件 / no evidence file {evidence_id} of appeal {appeal_id}"
        )
    return evidence_download(*stored)
