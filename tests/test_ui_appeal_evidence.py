"""Appeal evidence in the web UI, in Debian's chromium against a real uvicorn server: an anchor
attaches a test report, a certificate and a link to an appeal on its page; the regulator sees them
under /ui/decisions and downloads the files byte for byte (attachment, nosniff); the link is shown,
never fetched, and opens without a referrer. Another anchor cannot download; a disguised or
oversized file is refused in the form, naming it, and nothing is stored. Screenshots go to
test-artifacts/screenshots/."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from api_server import running
from evidence_samples import make_samples
from playwright.sync_api import expect
from ui_login import log_in
from ui_site import open_page, shot

from api import create_app
from monitor.credit.policy import load_policy
from monitor.review.flags import record_violation
from monitor.settings import Settings
from monitor.store.api_keys import create_key
from monitor.store.db import open_db
from monitor.store.registry import add_anchor, add_workshop

LINK = "https://cx.cnca.cn/CertECloud/result/skipResultDetail?certNo=123OP2600001"


@pytest.fixture(scope="module")
def site(tmp_path_factory, checker, browser):
    folder = tmp_path_factory.mktemp("ui_appeal_evidence")
    path = folder / "q.db"
    db = open_db(path)
    add_workshop(db, "W1", "四明山茶工坊", "余姚市四明山镇")
    keys = {"regulator": create_key(db, "regulator", label="张科长", actor="test")[1]}
    for anchor_id, name in (("A1", "王阿姨"), ("A2", "李师傅")):
        add_anchor(db, anchor_id, name, "W1")
        keys[anchor_id] = create_key(db, "anchor", anchor_id, actor="test")[1]
    keys["platform"] = create_key(db, "platform", actor="test")[1]
    violations = [
        record_violation(
            db,
            anchor="A1",
            category="quality_origin_claims",
            severity="medium",
            evidence="巡查：宣称有机认证",
            recorded_by="test",
            policy=load_policy(),
            categories=list(checker.lexicon.categories),
        )
        for _ in range(2)
    ]
    settings = Settings(db=str(path), appeal_max_file_mib=1)
    with running(create_app(path, settings)) as base:
        yield {
            "base": base, "db": db, "keys": keys, "violations": violations,
            "samples": make_samples(browser, folder / "samples"),
            "evidence": settings.files_dir() / "appeal-evidence",
        }  # fmt: skip
    db.conn.close()


def _open_form(page, violation_id: int):
    page.goto("/ui/anchors/A1")
    row = page.locator(f"#violation-{violation_id}")
    row.locator("details.appeal-form summary").click()
    return row


def test_the_regulator_downloads_the_evidence_an_anchor_attached(browser, site):
    samples, violation_id = site["samples"], site["violations"][0]
    anchor = open_page(browser, site, site["keys"]["A1"])
    row = _open_form(anchor, violation_id)
    row.locator("textarea[name=reason]").fill("茶叶持有有机产品认证，附检测报告与证书")
    row.locator("input[name=files]").set_input_files([samples["report"], samples["certificate"]])
    row.locator("textarea[name=links]").fill(LINK)
    row.locator("button[type=submit]").click()
    expect(row.locator(".violation-status")).to_contain_text("申诉中")
    mine = anchor.locator("#appeals tbody tr").first
    expect(mine.locator(".evidence-file")).to_have_count(2)
    expect(mine.locator(".evidence-link")).to_contain_text(LINK)
    shot(anchor, "anchor-appeal-evidence")

    regulator = open_page(browser, site, site["keys"]["regulator"])
    regulator.goto("/ui/decisions")
    item = regulator.locator("#appeals article.decision-item").first
    expect(item.locator(".evidence-file a")).to_have_text(
        [samples["report"].name, samples["certificate"].name]
    )
    link = item.locator(".evidence-link a")
    expect(link).to_have_attribute("href", LINK)
    assert {"noopener", "noreferrer", "nofollow"} <= set(link.get_attribute("rel").split())
    shot(regulator, "decisions-appeal-evidence")
    for index, name in enumerate(("report", "certificate")):
        with regulator.expect_download() as started:
            item.locator(".evidence-file a").nth(index).click()
        download = started.value
        assert download.suggested_filename == samples[name].name
        assert Path(download.path()).read_bytes() == samples[name].read_bytes()

    address = item.locator(".evidence-file a").first.get_attribute("href")
    with httpx.Client(base_url=site["base"]) as client:
        log_in(client, site["keys"]["regulator"])
        served = client.get(address)
        assert served.headers["content-type"] == "application/pdf"
        assert served.headers["content-disposition"].startswith("attachment;")
        assert served.headers["x-content-type-options"] == "nosniff"
        for who in ("A2", "platform"):
            log_in(client, site["keys"][who])
            refused = client.get(address)
            assert refused.status_code == 403 and refused.content != served.content


@pytest.mark.parametrize(
    "attach, named",
    [
        (lambda s: [s["certificate"], s["disguised"]], ["发票扫描件.pdf", "PDF、JPEG 或 PNG"]),
        (lambda s: [{"name": "大检测报告.pdf", "mimeType": "application/pdf",
                     "buffer": s["report"].read_bytes() + bytes(1024 * 1024)}], ["大检测报告.pdf", "1 MiB"]),
    ],
    ids=["disguised", "too-large"],
)  # fmt: skip
def test_a_refused_file_is_named_in_the_form_and_nothing_is_stored(browser, site, attach, named):
    violation_id = site["violations"][1]
    anchor = open_page(browser, site, site["keys"]["A1"])
    row = _open_form(anchor, violation_id)
    row.locator("textarea[name=reason]").fill("附发票")
    row.locator("input[name=files]").set_input_files(attach(site["samples"]))
    row.locator("textarea[name=links]").fill(LINK)
    row.locator("button[type=submit]").click()
    error = anchor.locator(".appeal-error")
    for name in named:
        expect(error).to_contain_text(name)
    row = anchor.locator(f"#violation-{violation_id}")
    expect(row.locator("textarea[name=reason]")).to_have_value("附发票")  # kept to try again
    expect(row.locator("textarea[name=links]")).to_have_value(LINK)
    shot(anchor, "anchor-appeal-evidence-refused")
    assert site["db"]["appeals"].count_where("violation_id = ?", [violation_id]) == 0
    stored = list(site["evidence"].iterdir()) if site["evidence"].exists() else []
    assert len(stored) == site["db"]["appeal_evidence"].count_where("kind = 'file'")
