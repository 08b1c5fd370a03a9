"""Receiving a multipart upload straight to a file: the `file` part is written to disk as it
arrives (never held in memory or spooled elsewhere), counted against a limit, and synced before
the caller acknowledges anything; the other parts are small text fields.

Refusals: not multipart → 415; a malformed body, no `file` part or a second one, an oversized
or unknown field → 400/422; a file over the limit → 413 naming it. A refused upload leaves no
file behind.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import anyio
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from api.core.errors import ApiError
from monitor.sizes import readable_size

MAX_FIELD_BYTES = 1024  # an anchor or stream id, a profile name


@dataclass
class Upload:
    path: Path  # where the file part was written
    file_name: str
    size: int
    fields: dict[str, str] = field(default_factory=dict)


def _bad(message: str, detail=None) -> ApiError:
    return ApiError(400, "bad_upload", message, detail)


async def receive_upload(
    request: Request, folder: Path, max_bytes: int, fields: frozenset[str]
) -> Upload:
    """Write the request's `file` part into `folder` and return it with the named text `fields`."""
    kind, params = parse_options_header(request.headers.get("content-type", ""))
    if kind != b"multipart/form-data":
        raise ApiError(
            415,
            "unsupported_media_type",
            "请以 multipart/form-data 上传 / send the upload as multipart/form-data",
        )
    boundary = params.get(b"boundary")
    if not boundary:
        raise _bad("multipart 缺少 boundary / multipart body without a boundary")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{secrets.token_hex(12)}.part"
    state = _Parts(target, max_bytes, fields)
    parser = MultipartParser(boundary, state.callbacks())
    try:
        async for chunk in request.stream():
            try:
                parser.write(chunk)
            except MultipartParseError as exc:
                raise _bad(f"multipart 格式错误 / malformed multipart body: {exc}") from None
        try:
            parser.finalize()
        except MultipartParseError as exc:
            raise _bad(f"multipart 格式错误 / malformed multipart body: {exc}") from None
        if state.file is None or not state.finished:
            raise ApiError(
                422, "invalid_request", "缺少文件 / the form has no complete `file` part"
            )
        await anyio.to_thread.run_sync(_sync_and_close, state.file)
    except BaseException:
        state.discard()
        raise
    suffix = Path(state.file_name).suffix.lower()[:10]
    final = target.with_suffix(suffix if suffix.isascii() and suffix[1:].isalnum() else "")
    target.rename(final)
    return Upload(final, state.file_name, state.size, state.fields)


def _sync_and_close(handle) -> None:
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()


class FormParts:
    """python-multipart callbacks for a form: the parts named `file_field` go to the subclass's
    `file_begins` / `file_data` / `file_ends`; text fields are kept (each at most
    `text_limits[name]` bytes, UTF-8) as the list of values sent; any other field is refused."""

    file_field = "file"

    def __init__(self, text_limits: Mapping[str, int]):
        self.text_limits = text_limits
        self.values: dict[str, list[str]] = {name: [] for name in text_limits}
        self._name = ""
        self._in_file = False
        self._header, self._value, self._disposition = b"", b"", b""
        self._buffer = bytearray()

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self._begin,
            "on_part_data": self._data,
            "on_part_end": self._end,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_done,
        }

    def file_begins(self, file_name: bytes | None) -> None:
        raise NotImplementedError

    def file_data(self, data: bytes) -> None:
        raise NotImplementedError

    def file_ends(self) -> None:
        raise NotImplementedError

    def _begin(self) -> None:
        self._name, self._in_file, self._disposition = "", False, b""
        self._buffer = bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        if self._header.lower() == b"content-disposition":
            self._disposition = self._value
        self._header, self._value = b"", b""

    def _headers_done(self) -> None:
        _, options = parse_options_header(self._disposition)
        name = options.get(b"name")
        if name is None:
            raise _bad("multipart 部分缺少名称 / a form part without a name")
        self._name = name.decode("utf-8", "replace")
        if self._name == self.file_field:
            self._in_file = True
            self.file_begins(options.get(b"filename"))
        elif self._name not in self.text_limits:
            raise ApiError(
                422,
                "invalid_request",
                f"未知字段 / unknown form field {self._name[:40]!r} "
                f"(allowed: {self.file_field}, {', '.join(sorted(self.text_limits))})",
            )

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self.file_data(data[start:end])
            return
        self._buffer += data[start:end]
        limit = self.text_limits[self._name]
        if len(self._buffer) > limit:
            raise ApiError(
                413,
                "field_too_large",
                f"表单字段 {self._name!r} 超过 {readable_size(limit)} / form field "
                f"{self._name!r} larger than {readable_size(limit)}",
                {"limit_bytes": limit},
            )

    def _end(self) -> None:
        if self._in_file:
            self.file_ends()
            return
        try:
            self.values[self._name].append(self._buffer.decode("utf-8"))
        except UnicodeDecodeError:
            raise _bad(
                f"字段 {self._name!r} 不是 UTF-8 / field {self._name!r} is not UTF-8"
            ) from None


class _Parts(FormParts):
    """One file part to disk, counted against `max_bytes`; small text fields in memory."""

    def __init__(self, target: Path, max_bytes: int, allowed: frozenset[str]):
        super().__init__(dict.fromkeys(allowed, MAX_FIELD_BYTES))
        self.target, self.max_bytes = target, max_bytes
        self.file = None
        self.file_name = ""
        self.size = 0
        self.finished = False

    @property
    def fields(self) -> dict[str, str]:
        """Each text field's last non-blank value, stripped; blank ones left out."""
        kept = {
            name: [v.strip() for v in values if v.strip()] for name, values in self.values.items()
        }
        return {name: texts[-1] for name, texts in kept.items() if texts}

    def discard(self) -> None:
        if self.file is not None and not self.file.closed:
            self.file.close()
        self.target.unlink(missing_ok=True)

    def file_begins(self, file_name: bytes | None) -> None:
        if self.file is not None:
            raise _bad("只能上传一个文件 / only one `file` part is allowed")
        self.file_name = (file_name or b"upload").decode("utf-8", "replace")[:200]
        self.file = self.target.open("wb")

    def file_data(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.max_bytes:
            raise ApiError(
                413,
                "upload_too_large",
                f"上传文件超过 {readable_size(self.max_bytes)} 上限 / upload larger than the "
                f"limit of {readable_size(self.max_bytes)} (QINGLANG_API_MAX_UPLOAD_BYTES)",
                {"limit_bytes": self.max_bytes},
                headers={"Connection": "close"},
            )
        self.file.write(data)

    def file_ends(self) -> None:
        self.finished = True
