"""Appeal evidence over HTTP, for the API and the web UI: receiving an appeal form whose `files`
parts are streamed straight into the evidence staging (monitor.review.evidence_files: typed by content,
counted against the limits as they arrive), refusals as 413/415/422 naming the file, link or limit,
and serving a stored file back as a download that no browser renders in place.

A refused form is read to its end before the answer, so the client sees the refusal rather than a
connection cut off mid-upload; its staged files are removed by the staging.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import sqlite_utils
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse
from pydantic import ValidationError
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from api.core.errors import ApiError
from api.core.uploads import FormParts
from api.v1.schemas.due_process import AppealCreate
from monitor.review.appeal_evidence import with_evidence
from monitor.review.evidence_files import (
    ACCEPTED,
    EvidenceRefused,
    EvidenceStaging,
    EvidenceTooLarge,
    EvidenceTypeRefused,
    StagedFile,
    TooMuchEvidence,
)
from monitor.review.flags import file_appeal

# Largest text field in bytes: a reason of 4,000 characters, a links box of ten long addresses.
TEXT_FIELDS = {"reason": 16_000, "links": 32_000, "csrf": 200}


APPEAL_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": AppealCreate.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["reason"],
                    "additionalProperties": False,
                    "properties": {
                        "reason": AppealCreate.model_json_schema()["properties"]["reason"],
                        "links": AppealCreate.model_json_schema()["properties"]["links"],
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    },
                }
            },
        },
    }
}


def with_downloads(db: sqlite_utils.Database, appeals: list[dict]) -> list[dict]:
    """Appeals with their evidence, each file with its download address."""
    shown = with_evidence(db, appeals)
    for appeal in shown:
        for file in appeal["files"]:
            file["download_url"] = f"/v1/appeals/{appeal['id']}/evidence/{file['id']}"
    return shown


async def appeal_request(request: Request, staging: EvidenceStaging) -> AppealCreate:
    """The appeal as JSON, or as a form whose files go into `staging`."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if kind in ("", "application/json"):
            return AppealCreate.model_validate_json(await request.body())
        form = await receive_appeal_form(request, staging)
        if form.refused is not None:
            raise form.refused
        fields = {"links": form.links}
        if form.values["reason"]:
            fields["reason"] = form.first("reason")
        return AppealCreate.model_validate(fields)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        ) from None


async def file_staged_appeal(
    db: sqlite_utils.Database,
    violation_id: int,
    reason: str,
    links: list[str],
    filed_by: str,
    staging: EvidenceStaging,
) -> int:
    """File the appeal with the staged files (`monitor.review.flags.file_appeal`, off the event loop)
    and keep those files once it is committed; returns the appeal's id."""
    filing = partial(file_appeal, files=staging.files, links=links, limits=staging.limits)
    appeal_id = await anyio.to_thread.run_sync(filing, db, violation_id, reason, filed_by)
    staging.keep()
    return appeal_id


def refusal(exc: EvidenceRefused) -> ApiError:
    """The API's answer to refused evidence: 413 over a size limit (in MiB), 415 a file that is
    not PDF/JPEG/PNG, 422 too many or a bad link; each names the file or field."""
    detail: dict = {"field": exc.field}
    if exc.file_name is not None:
        detail["file"] = exc.file_name
    if isinstance(exc, EvidenceTooLarge):
        return ApiError(413, "evidence_too_large", str(exc), {**detail, "limit_mib": exc.limit_mib})
    if isinstance(exc, EvidenceTypeRefused):
        return ApiError(
            415, "unsupported_evidence_type", str(exc), {**detail, "accepted": list(ACCEPTED)}
        )
    if isinstance(exc, TooMuchEvidence):
        return ApiError(422, "too_much_evidence", str(exc), detail)
    return ApiError(
        422,
        "invalid_request",
        f"请求无效 / invalid request: {exc.field}: {exc}",
        [{"field": exc.field, "problem": str(exc)}],
    )


@dataclass(frozen=True)
class AppealForm:
    """An appeal form as received: its text fields (each the list of values sent) and the first
    refused evidence file, if any (the files after it were not kept either)."""

    values: dict[str, list[str]]
    refused: EvidenceRefused | None = None

    def first(self, name: str) -> str:
        return self.values[name][0] if self.values[name] else ""

    @property
    def links(self) -> list[str]:
        """Each `links` value may hold several links, one per line."""
        return [line for value in self.values["links"] for line in value.splitlines()]


async def receive_appeal_form(request: Request, staging: EvidenceStaging) -> AppealForm:
    """An appeal form (`reason`, `links`, `csrf`) with its `files` parts staged; a form without
    files may also come URL-encoded. After a refused file the form is still read to its end,
    for its text fields and so that the client sees the answer."""
    kind, params = parse_options_header(request.headers.get("content-type", ""))
    if kind == b"application/x-www-form-urlencoded":
        form = await request.form()
        return AppealForm({name: [str(v) for v in form.getlist(name)] for name in TEXT_FIELDS})
    if kind != b"multipart/form-data":
        raise ApiError(
            415,
            "unsupported_media_type",
            "请以 JSON 或 multipart/form-data 提交申诉 / send the appeal as JSON or "
            "multipart/form-data",
        )
    if not params.get(b"boundary"):
        raise ApiError(
            400, "bad_upload", "multipart 缺少 boundary / multipart body without a boundary"
        )
    parts = _AppealParts(staging)
    parser = MultipartParser(params[b"boundary"], parts.callbacks())
    chunks = request.stream()
    try:
        async for chunk in chunks:
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        raise ApiError(
            400, "bad_upload", f"multipart 格式错误 / malformed multipart body: {exc}"
        ) from None
    except ApiError:
        await _read_to_end(chunks)
        raise
    await anyio.to_thread.run_sync(staging.sync)
    return AppealForm(parts.values, parts.refused)


async def _read_to_end(chunks: AsyncIterator[bytes]) -> None:
    try:
        async for _ in chunks:
            pass
    except (ApiError, ClientDisconnect):  # over the body limit, or the client gave up
        pass


class _AppealParts(FormParts):
    """`files` parts into the staging until one is refused (the rest are then skipped), small
    text fields in memory."""

    file_field = "files"

    def __init__(self, staging: EvidenceStaging):
        super().__init__(TEXT_FIELDS)
        self.staging = staging
        self.refused: EvidenceRefused | None = None
        self._file: StagedFile | None = None

    def file_begins(self, file_name: bytes | None) -> None:
        # a file input left empty still sends a part, with an empty name and no bytes
        self._file = None
        if file_name != b"" and self.refused is None:
            name = (file_name or b"").decode("utf-8", "replace")
            self._file = self._staged(lambda: self.staging.begin(name))

    def file_data(self, data: bytes) -> None:
        if self._file is not None:
            self._staged(lambda: self._file.write(data))

    def file_ends(self) -> None:
        if self._file is not None:
            self._staged(self.staging.finish)

    def _staged(self, step: Callable[[], Any]) -> Any:
        """Run a staging step; a refusal is kept and the rest of the part skipped."""
        try:
            return step()
        except EvidenceRefused as exc:
            self.refused, self._file = exc, None
            return None


def evidence_download(row: dict, path: Path) -> FileResponse:
    """A stored evidence file as an attachment of its sniffed type, never rendered in place."""
    return FileResponse(
        path,
        media_type=row["content_type"],
        filename=row["file_name"],
        content_disposition_type="attachment",
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        },
    )
