"""The text of a .docx script, without trusting its zip: the entry count, the expanded size (in
total) and each large entry's compression ratio are bounded before python-docx parses anything,
and every entry is read once through a capped stream, since the sizes a zip declares may lie.

I/O edge: a document over a limit raises InputTooLarge, a broken one InvalidDocument.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass

from monitor.errors import InputError, InputTooLarge, InvalidDocument
from monitor.sizes import readable_size

_CHUNK = 64 * 1024
_RATIO_FLOOR = 1024 * 1024  # entries smaller than this may compress by any ratio


@dataclass(frozen=True)
class DocxLimits:
    """What a .docx may expand to before it is parsed (a zip bomb is refused unread)."""

    max_entries: int = 1000
    """Most files in the document's zip."""
    max_expanded_mib: float = 32.0
    """All its files expanded together, in MiB."""
    max_ratio: float = 200.0
    """Largest expanded/compressed ratio of one file of 1 MiB or more expanded."""

    @property
    def max_expanded_bytes(self) -> int:
        return int(self.max_expanded_mib * 1024 * 1024)


def _invalid(name: str, why: str) -> InvalidDocument:
    return InvalidDocument(f"{name}: 不是有效的 .docx 文件 / not a valid .docx document ({why})")


def _too_large(name: str, message: str, limit: str, value: int | float) -> InputTooLarge:
    return InputTooLarge(f"{name}: {message}", detail={"limit": limit, "value": value})


def check_docx_archive(data: bytes, name: str, limits: DocxLimits) -> None:
    """InputTooLarge when the zip in `data` holds too many files or expands past the limits,
    InvalidDocument when it is not a readable zip; reads each file through a capped stream."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
        raise _invalid(name, "不是 zip 压缩包 / not a zip archive") from exc
    with archive:
        entries = archive.infolist()
        if len(entries) > limits.max_entries:
            raise _too_large(
                name,
                f"压缩包内文件过多（{len(entries)} 个，上限 {limits.max_entries}）/ too many files "
                f"in the document ({len(entries)}, limit {limits.max_entries})",
                "max_entries",
                limits.max_entries,
            )
        budget = limits.max_expanded_bytes
        _check_declared(entries, name, limits, budget)
        expanded = 0
        for entry in entries:
            expanded = _read_capped(archive, entry, name, budget, expanded)


def _expanded_too_large(name: str, budget: int) -> InputTooLarge:
    return _too_large(
        name,
        f"文档解压后超过 {readable_size(budget)} 上限 / the document expands to more than "
        f"{readable_size(budget)}",
        "max_expanded_bytes",
        budget,
    )


def _check_declared(
    entries: list[zipfile.ZipInfo], name: str, limits: DocxLimits, budget: int
) -> None:
    """The limits applied to the sizes the zip declares (cheap; the capped read checks them)."""
    if sum(entry.file_size for entry in entries) > budget:
        raise _expanded_too_large(name, budget)
    for entry in entries:
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size >= _RATIO_FLOOR and ratio > limits.max_ratio:
            raise _too_large(
                name,
                f"文档内文件压缩比异常（{ratio:.0f} 倍，上限 {limits.max_ratio:g} 倍），疑似压缩炸弹 "
                f"/ a file in the document is compressed {ratio:.0f} times (limit "
                f"{limits.max_ratio:g}): a zip bomb",
                "max_ratio",
                limits.max_ratio,
            )


def _read_capped(
    archive: zipfile.ZipFile, entry: zipfile.ZipInfo, name: str, budget: int, expanded: int
) -> int:
    """`expanded` plus the bytes `entry` really expands to, read in chunks and stopped as soon as
    the total passes `budget`."""
    try:
        with archive.open(entry) as stream:
            while chunk := stream.read(_CHUNK):
                expanded += len(chunk)
                if expanded > budget:
                    raise _expanded_too_large(name, budget)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise _invalid(name, f"压缩包已损坏 / damaged archive: {entry.filename}") from exc
    return expanded


def docx_text(data: bytes, name: str, limits: DocxLimits | None = None) -> str:
    """The paragraphs and table cells of a .docx document, one per line, once its zip is within
    `limits`; InvalidDocument when python-docx cannot read it."""
    check_docx_archive(data, name, limits or DocxLimits())
    # python-docx (lxml) is imported only for .docx files (start-up time)
    from docx import Document
    from docx.exceptions import PythonDocxError
    from docx.opc.exceptions import OpcError
    from lxml.etree import LxmlError

    try:
        document = Document(io.BytesIO(data))
        lines = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                lines.extend(cell.text for cell in row.cells)
    except (zipfile.BadZipFile, KeyError, ValueError, OpcError, PythonDocxError) as exc:
        raise _invalid(name, "缺少正文 / no document body") from exc
    except LxmlError as exc:
        raise _invalid(name, "XML 格式错误 / malformed XML") from exc
    text = "\n".join(line for line in lines if line.strip())
    if not text.strip():
        raise InputError(f"{name}: 文档中没有文字 / the document has no text")
    return text
