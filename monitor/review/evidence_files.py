"""Files an anchor offers as evidence for an appeal (a certificate, a test report, an invoice):
which types are accepted (PDF, JPEG, PNG, told by their first bytes and a matching name), how many
and how large, and their staging straight into the service's files folder with size and SHA-256.

Staged files are removed again unless the caller keeps them after committing the rows that name
them, so a refused or failed filing leaves no file behind. Nothing here opens or renders a file's
content beyond its first bytes.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePath

from monitor.errors import InputError

EVIDENCE_FOLDER = "appeal-evidence"  # inside the files folder
MIB = 1024 * 1024
_SNIFF_BYTES = 8  # the longest signature below


@dataclass(frozen=True)
class EvidenceType:
    content_type: str
    label: str  # what the user reads
    signature: bytes  # the first bytes of every file of this type
    extensions: tuple[str, ...]


EVIDENCE_TYPES = (
    EvidenceType("application/pdf", "PDF", b"%PDF-", (".pdf",)),
    EvidenceType("image/jpeg", "JPEG", b"\xff\xd8\xff", (".jpg", ".jpeg")),
    EvidenceType("image/png", "PNG", b"\x89PNG\r\n\x1a\n", (".png",)),
)
ACCEPTED = tuple(ext for kind in EVIDENCE_TYPES for ext in kind.extensions)


@dataclass(frozen=True)
class EvidenceLimits:
    """What one appeal may carry. Sizes are in MiB (1 MiB = 1,048,576 bytes)."""

    max_files: int = 5
    max_file_mib: float = 10
    max_total_mib: float = 25
    max_links: int = 10
    max_link_chars: int = 2000

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mib * MIB)

    @property
    def max_total_bytes(self) -> int:
        return int(self.max_total_mib * MIB)


class EvidenceRefused(InputError):
    """Evidence that cannot be accepted; `field` is the form field or JSON path it came in."""

    def __init__(self, message: str, field: str, file_name: str | None = None):
        super().__init__(message)
        self.field = field
        self.file_name = file_name


class EvidenceTooLarge(EvidenceRefused):
    def __init__(self, message: str, file_name: str | None, limit_mib: float):
        super().__init__(message, "files", file_name)
        self.limit_mib = limit_mib


class EvidenceTypeRefused(EvidenceRefused):
    def __init__(self, message: str, file_name: str):
        super().__init__(message, "files", file_name)


class TooMuchEvidence(EvidenceRefused):
    """More files or links than an appeal may carry."""


@dataclass(frozen=True)
class StoredFile:
    """A staged evidence file: where it is (relative to the files folder) and what it is."""

    path: str
    file_name: str
    content_type: str
    size_bytes: int
    sha256: str


def safe_file_name(name: str) -> str:
    """The last part of a client's file name, without control or path characters, at most 100
    characters (its extension kept); "evidence" when nothing is left."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name))[-1]
    base = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in base)
    base = re.sub(r'[<>:"|?*]', "_", re.sub(r"\s+", " ", base)).strip(" .")
    suffix = PurePath(base).suffix[:10]
    if len(base) > 100:
        base = base[: 100 - len(suffix)].rstrip(" .") + suffix
    return base or "evidence"


class StagedFile:
    """One file being received: written to a `.part` file, counted, hashed and typed by its first
    bytes as it arrives; `finish` names it by its type and returns what was stored."""

    def __init__(self, staging: EvidenceStaging, file_name: str):
        self.staging = staging
        self.file_name = safe_file_name(file_name)
        self.token = secrets.token_hex(12)
        self.part = staging.folder / f"{self.token}.part"
        self.handle = self.part.open("wb")
        self.size = 0
        self.head = b""
        self.kind: EvidenceType | None = None
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> None:
        limits = self.staging.limits
        self.size += len(data)
        if self.size > limits.max_file_bytes:
            raise EvidenceTooLarge(
                f"证据文件“{self.file_name}”超过每个文件 {limits.max_file_mib:g} MiB 的上限 / "
                f"evidence file '{self.file_name}' is larger than the limit of "
                f"{limits.max_file_mib:g} MiB per file",
                self.file_name,
                limits.max_file_mib,
            )
        self.staging.count(len(data), self.file_name)
        if self.kind is None:
            self.head = (self.head + data)[:_SNIFF_BYTES]
            if len(self.head) == _SNIFF_BYTES:
                self.kind = self._sniffed()
        self.digest.update(data)
        self.handle.write(data)

    def finish(self) -> StoredFile:
        """The complete file, renamed `<token><ext>` (the extension of its type)."""
        if self.kind is None:
            self.kind = self._sniffed()
        self.handle.close()
        final = self.part.with_name(self.token + self.kind.extensions[0])
        self.part.rename(final)
        self.staging.paths.append(final)
        return StoredFile(
            path=final.relative_to(self.staging.files_dir).as_posix(),
            file_name=self.file_name,
            content_type=self.kind.content_type,
            size_bytes=self.size,
            sha256=self.digest.hexdigest(),
        )

    def discard(self) -> None:
        if not self.handle.closed:
            self.handle.close()
        self.part.unlink(missing_ok=True)

    def _sniffed(self) -> EvidenceType:
        """The type the first bytes show, if the name's extension is one of its own."""
        extension = PurePath(self.file_name).suffix.lower()
        shown = next((t for t in EVIDENCE_TYPES if self.head.startswith(t.signature)), None)
        if shown is None:
            raise EvidenceTypeRefused(
                f"证据文件“{self.file_name}”不是 PDF、JPEG 或 PNG（按文件内容判断）/ evidence "
                f"file '{self.file_name}' is not a PDF, JPEG or PNG file (judged by its content)",
                self.file_name,
            )
        if extension not in shown.extensions:
            raise EvidenceTypeRefused(
                f"证据文件“{self.file_name}”的内容是 {shown.label}，文件名须以 "
                f"{'/'.join(shown.extensions)} 结尾 / evidence file '{self.file_name}' holds a "
                f"{shown.label}; its name must end in {' or '.join(shown.extensions)}",
                self.file_name,
            )
        return shown


class EvidenceStaging:
    """Evidence files of one filing, staged in `<files_dir>/appeal-evidence/`. Used as a context
    manager: on leaving it, every staged file is removed unless `keep()` was called (after the
    rows naming them were committed)."""

    def __init__(self, files_dir: Path, limits: EvidenceLimits):
        self.files_dir, self.limits = files_dir, limits
        self.folder = files_dir / EVIDENCE_FOLDER
        self.files: list[StoredFile] = []
        self.paths: list[Path] = []
        self.total = 0
        self._open: StagedFile | None = None
        self._kept = False

    def __enter__(self) -> EvidenceStaging:
        return self

    def __exit__(self, *exc_info) -> None:
        if self._open is not None:
            self._open.discard()
        if not self._kept:
            for path in self.paths:
                path.unlink(missing_ok=True)

    def begin(self, file_name: str) -> StagedFile:
        """Start receiving the next file (the previous one must be finished)."""
        if len(self.files) >= self.limits.max_files:
            raise TooMuchEvidence(
                f"每份申诉最多 {self.limits.max_files} 个证据文件 / an appeal carries at most "
                f"{self.limits.max_files} evidence files",
                "files",
                safe_file_name(file_name),
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        self._open = StagedFile(self, file_name)
        return self._open

    def finish(self) -> StoredFile:
        stored = self._open.finish()
        self._open = None
        self.files.append(stored)
        return stored

    def count(self, size: int, file_name: str) -> None:
        self.total += size
        if self.total > self.limits.max_total_bytes:
            raise EvidenceTooLarge(
                f"证据文件合计超过 {self.limits.max_total_mib:g} MiB 的上限 / evidence files "
                f"together are larger than the limit of {self.limits.max_total_mib:g} MiB per "
                "appeal",
                file_name,
                self.limits.max_total_mib,
            )

    def sync(self) -> None:
        """Put the staged files and their names on disk (before the rows naming them commit)."""
        for path in [*self.paths, self.folder] if self.paths else []:
            handle = os.open(path, os.O_RDONLY)
            try:
                os.fsync(handle)
            finally:
                os.close(handle)

    def keep(self) -> None:
        self._kept = True
