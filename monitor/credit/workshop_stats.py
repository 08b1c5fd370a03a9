"""Workshop statistics for regulators (the Ningbo paper's 晾晒 of workshops): streams monitored,
flags, confirmed violations, blacklisted anchors and the compliance rate per workshop and period,
ranked.

Compliance rate: compliant streams ÷ checked items. A stream is compliant when it started in the
period and has neither a standing violation (confirmed, not overturned on appeal) nor an
unreviewed flag. The checked items are the period's streams, plus each standing violation and
each unreviewed flag of the period not tied to one of those streams (complaints, inspections,
text checks), plus each anchor on the blacklist at some time in the period. So the rate reads
100 % only when there is no violation, no unreviewed flag and no blacklisting at all; it is
floored to 0.1 %, so 99.96 % is never shown as 100 %.
"""

from __future__ import annotations

import sqlite_utils

# The period's streams with what they hold: a standing violation, an open flag.
_STREAMS = """
  SELECT s.id, a.workshop_id,
    EXISTS (SELECT 1 FROM flags f JOIN violations v ON v.flag_id = f.id
             WHERE f.stream_id = s.id AND NOT EXISTS (SELECT 1 FROM appeals p
               WHERE p.violation_id = v.id AND p.status = 'upheld')) AS violated,
    EXISTS (SELECT 1 FROM flags f WHERE f.stream_id = s.id AND f.status = 'open') AS pending
  FROM streams s JOIN anchors a ON a.id = s.anchor_id
  WHERE s.started_at >= :since AND s.started_at < :until
"""
_OUTSIDE_PERIOD_STREAMS = """
  (f.stream_id IS NULL OR NOT EXISTS (SELECT 1 FROM streams s WHERE s.id = f.stream_id
     AND s.started_at >= :since AND s.started_at < :until))
"""
_STANDING = (
    "NOT EXISTS (SELECT 1 FROM appeals p WHERE p.violation_id = v.id AND p.status = 'upheld')"
)
_STATS = f"""
WITH period_streams AS ({_STREAMS})
SELECT w.id AS workshop_id, w.name,
  (SELECT COUNT(*) FROM anchors a WHERE a.workshop_id = w.id) AS anchors,
  (SELECT COUNT(*) FROM period_streams s WHERE s.workshop_id = w.id) AS streams,
  (SELECT COUNT(*) FROM period_streams s WHERE s.workshop_id = w.id AND s.violated)
    AS streams_with_violations,
  (SELECT COUNT(*) FROM period_streams s WHERE s.workshop_id = w.id AND s.pending
     AND NOT s.violated) AS streams_pending,
  (SELECT COUNT(*) FROM flags f JOIN anchors a ON a.id = f.anchor_id
     WHERE a.workshop_id = w.id AND f.created_at >= :since AND f.created_at < :until) AS flags,
  (SELECT COUNT(*) FROM flags f JOIN anchors a ON a.id = f.anchor_id
     WHERE a.workshop_id = w.id AND f.status = 'open' AND f.created_at >= :since
     AND f.created_at < :until) AS open_flags,
  (SELECT COUNT(*) FROM flags f JOIN anchors a ON a.id = f.anchor_id
     WHERE a.workshop_id = w.id AND f.status = 'open' AND f.created_at >= :since
     AND f.created_at < :until AND {_OUTSIDE_PERIOD_STREAMS}) AS open_flags_outside_streams,
  (SELECT COUNT(*) FROM violations v JOIN anchors a ON a.id = v.anchor_id
     WHERE a.workshop_id = w.id AND v.occurred_at >= :since AND v.occurred_at < :until
     AND {_STANDING}) AS violations,
  (SELECT COUNT(*) FROM violations v JOIN anchors a ON a.id = v.anchor_id
     LEFT JOIN flags f ON f.id = v.flag_id
     WHERE a.workshop_id = w.id AND v.occurred_at >= :since AND v.occurred_at < :until
     AND {_STANDING} AND {_OUTSIDE_PERIOD_STREAMS}) AS violations_outside_streams,
  (SELECT COUNT(DISTINCT b.anchor_id) FROM blacklist_entries b
     JOIN anchors a ON a.id = b.anchor_id
     WHERE a.workshop_id = w.id AND b.listed_at < :until
     AND COALESCE(MIN(b.removed_at, b.until), b.until) > :since) AS blacklisted_anchors
FROM workshops w
"""


def workshop_stats(db: sqlite_utils.Database, since: str = "", until: str = "9999") -> list[dict]:
    """One row per workshop for the period [since, until) (stored UTC times), best first, with
    its compliance rate (the module's definition; None when nothing was checked)."""
    rows = list(db.query(_STATS, {"since": since or "", "until": until or "9999"}))
    for row in rows:
        row["streams_compliant"] = (
            row["streams"] - row["streams_with_violations"] - row["streams_pending"]
        )
        row["checked"] = (
            row["streams"]
            + row["violations_outside_streams"]
            + row["open_flags_outside_streams"]
            + row["blacklisted_anchors"]
        )
        row["compliance_rate"] = (
            (row["streams_compliant"] * 1000 // row["checked"]) / 1000 if row["checked"] else None
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


def anchors_by_grade(db: sqlite_utils.Database, default_grade: str) -> dict[str, dict[str, int]]:
    """Per workshop, how many of its anchors have each grade now (`default_grade` for anchors
    whose credit was never computed)."""
    counts: dict[str, dict[str, int]] = {}
    for row in db.query(
        "SELECT a.workshop_id, COALESCE(c.grade, ?) AS grade, COUNT(*) AS n FROM anchors a "
        "LEFT JOIN credit_state c ON c.anchor_id = a.id GROUP BY a.workshop_id, grade",
        [default_grade],
    ):
        counts.setdefault(row["workshop_id"], {})[row["grade"]] = row["n"]
    return counts
