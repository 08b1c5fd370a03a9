"""Beijing time on every surface (issue 12): times are stored in UTC and shown in the service's
zone, so a day starts at local midnight, not at UTC midnight."""

from __future__ import annotations

import httpx
import pytest
from api_server import running

from api import create_app
from monitor.credit.policy import load_policy
from monitor.errors import InputError
from monitor.local_time import local_date, local_time
from monitor.review.flags import record_violation
from monitor.settings import Settings
from monitor.store.db import open_db
from monitor.store.registry import add_anchor, add_workshop


@pytest.mark.parametrize(
    "stored, shown, day",
    [
        ("2026-12-02T16:17:00Z", "2026-12-03 00:17", "2026-12-03"),  # after local midnight
        ("2026-12-31T15:59:59Z", "2026-12-31 23:59", "2026-12-31"),  # the year does not wrap early
        ("2026-12-31T16:00:00Z", "2027-01-01 00:00", "2027-01-01"),
    ],
)
def test_stored_utc_is_shown_in_beijing_time(stored, shown, day):
    assert local_time(stored) == shown and local_date(stored) == day


def test_another_zone_can_be_configured_and_a_bad_one_is_named():
    assert local_time("2026-12-02T16:17:00Z", "Europe/Berlin") == "2026-12-02 17:17"
    with pytest.raises(InputError, match="Mars/Olympus"):
        local_time("2026-12-02T16:17:00Z", "Mars/Olympus")


def test_the_public_page_dates_violations_by_the_beijing_calendar(tmp_path, checker):
    path = tmp_path / "q.db"
    db = open_db(path)
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚市梁弄镇")
    add_anchor(db, "A1", "王阿姨", "W1")
    record_violation(
        db, anchor="A1", category="price_fraud", severity="medium", evidence="虚构原价",
        recorded_by="r1", policy=load_policy(), categories=list(checker.lexicon.categories),
        at="2026-11-02T17:30:00Z",  # 2026-11-03 01:30 in Beijing
    )  # fmt: skip
    with running(create_app(path, Settings(db=str(path)))) as base:
        html = httpx.get(f"{base}/public", timeout=30).text
    assert "2026-11-03" in html and "2026-11-02" not in html
    assert "北京时间" in html
