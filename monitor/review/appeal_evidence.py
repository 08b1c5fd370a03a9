"""The evidence attached to an appeal (申诉材料) in the store: links checked and kept as text, and
the rows of staged files (monitor.review.evidence_files), written inside the filing's transaction; and
reading them back for the regulator.

A link is only ever stored and shown: the service never fetches it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlite_utils

from monitor.review.evidence_files import (
    EvidenceLimits,
    EvidenceRefused,
    StoredFile,
    TooMuchEvidence,
)

_UNPRINTABLE = re.compile(r"[\x00-\x20\x7f-\x9f\s]")


def checked_links(links: Iterable[str], limits: EvidenceLimits) -> list[str]:
    """The links, blank ones dropped, each an http(s) address with a host and no user name or
    password; refuses the first that is not, naming it `links[i]`."""
    kept = [link.strip() for link in links if link.strip()]
    if len(kept) > limits.max_links:
        raise TooMuchEvidence(
            f"每份申诉最多 {limits.max_links} 个证据链接 / an appeal carries at most "
            f"{limits.max_links} evidence links",
            "links",
        )
    for index, link in enumerate(kept):
        problem = _link_problem(link, limits.max_link_chars)
        if problem:
            raise EvidenceRefused(problem, f"links[{index}]")
    return kept


def _link_problem(link: str, max_chars: int) -> str | None:
    if len(link) > max_chars:
        return f"链接超过 {max_chars} 个字符 / a link longer than {max_chars} characters"
    if _UNPRINTABLE.search(link):
        return "链接不能含空格或控制字符 / a link cannot contain spaces or control characters"
    try:
        parts = urlsplit(link)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        return "链接格式错误 / not a valid address"
    if parts.scheme.lower() not in ("http", "https"):
        return "链接须以 http:// 或 https:// 开头 / a link must be an http:// or https:// address"
    if not parts.hostname:
        return "链接缺少网站地址 / a link needs a host name"
    if parts.username is not None or parts.password is not None:
        return "链接不能含用户名或密码 / a link cannot carry a user name or password"
    return None


def insert_evidence(
    db: sqlite_utils.Database, appeal_id: int, files: Sequence[StoredFile], links: Sequence[str]
) -> None:
    """The rows of an appeal's evidence, files first then links, in the caller's transaction."""
    rows = [
        {"kind": "file", "file_path": f.path, "file_name": f.file_name,
         "content_type": f.content_type, "size_bytes": f.size_bytes, "sha256": f.sha256}
        for f in files
    ] + [{"kind": "link", "url": url} for url in links]  # fmt: skip
    db["appeal_evidence"].insert_all(
        {"appeal_id": appeal_id, "position": position, **row} for position, row in enumerate(rows)
    )


def evidence_of(db: sqlite_utils.Database, appeal_ids: Sequence[int]) -> dict[int, dict[str, list]]:
    """Each appeal's evidence: `files` (id, file_name, content_type, size_bytes, sha256) and
    `links` (the addresses), in the order given; appeals without any get empty lists."""
    found: dict[int, dict[str, list]] = {i: {"files": [], "links": []} for i in appeal_ids}
    if not appeal_ids:
        return found
    rows = db.query(
        "SELECT id, appeal_id, kind, url, file_name, content_type, size_bytes, sha256 "
        f"FROM appeal_evidence WHERE appeal_id IN ({', '.join('?' * len(appeal_ids))}) "
        "ORDER BY appeal_id, position",
        list(appeal_ids),
    )
    for row in rows:
        mine = found[row.pop("appeal_id")]
        if row.pop("kind") == "link":
            mine["links"].append(row["url"])
        else:
            row.pop("url")
            mine["files"].append(row)
    return found


def with_evidence(db: sqlite_utils.Database, appeals: list[dict[str, Any]]) -> list[dict]:
    """The appeals, each with its `files` and `links`."""
    found = evidence_of(db, [a["id"] for a in appeals])
    return [{**appeal, **found[appeal["id"]]} for appeal in appeals]


def evidence_file(
    db: sqlite_utils.Database, appeal_id: int, evidence_id: int, files_dir: Path
) -> tuple[dict[str, Any], Path] | None:
    """An appeal's evidence file (its row and where it is), or None when there is no such file
    of that appeal, or it is gone from the files folder."""
    row = next(
        db.query(
            "SELECT id, file_path, file_name, content_type, size_bytes, sha256 FROM "
            "appeal_evidence WHERE id = ? AND appeal_id = ? AND kind = 'file'",
            [evidence_id, appeal_id],
        ),
        None,
    )
    if row is None:
        return None
    path = files_dir / row["file_path"]
    return (row, path) if path.is_file() else None
