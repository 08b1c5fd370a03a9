"""Workshop statistics for regulators (the Ningbo paper's 晾晒 of workshops): streams monitored,
flags, confirmed violations and the compliance rate per workshop and period, ranked."""

from __future__ import annotations

import sqlite_utils


def workshop_stats(db: sqlite_utils.Database, since: str = "", until: str = "9999") -> list[dict]:
    """One row per workshop, best first. Compliance rate: the share of its monitored streams in
    the period with no confirmed violation (None when it had no stream)."""
    rows = list(
        db.query(
            """
            SELECT w.id AS workshop_id, w.name,
              (SELECT COUNT(*) FROM anchors a WHERE a.workshop_id = w.id) AS anchors,
              (SELECT COUNT(*) FROM streams s JOIN anchors a ON a.id = s.anchor_id
                 WHERE a.workshop_id = w.id AND s.started_at >= :since AND s.started_at < :until) AS streams,
              (SELECT COUNT(DISTINCT s.id) FROM streams s JOIN anchors a ON a.id = s.anchor_id
                 JOIN flags f ON f.stream_id = s.id AND f.status = 'confirmed'
                 WHERE a.workshop_id = w.id AND s.started_at >= :since AND s.started_at < :until) AS streams_with_violations,
              (SELECT COUNT(*) FROM flags f JOIN anchors a ON a.id = f.anchor_id
                 WHERE a.workshop_id = w.id AND f.created_at >= :since AND f.created_at < :until) AS flags,
              (SELECT COUNT(*) FROM flags f JOIN anchors a ON a.id = f.anchor_id
                 WHERE a.workshop_id = w.id AND f.status = 'open' AND f.created_at >= :since AND f.created_at < :until) AS open_flags,
              (SELECT COUNT(*) FROM violations v JOIN anchors a ON a.id = v.anchor_id
                 WHERE a.workshop_id = w.id AND v.occurred_at >= :since AND v.occurred_at < :until
                 AND NOT EXISTS (SELECT 1 FROM appeals p WHERE p.violation_id = v.id AND p.status = 'upheld')) AS violations
            FROM workshops w
            """,
            {"since": since, "until": until},
        )
    )
    for row in rows:
        streams = row["streams"]
        row["compliance_rate"] = (
            round(1 - row["streams_with_violations"] / streams, 4) if streams else None
        )
    rows.sort(
        key=lambda r: (
            r["compliance_rate"] is None,
            -(r["compliance_rate"] or 0),
            r["violations"],
            r["workshop_id"],
        )
    )
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows
