"""Appeal evidence through the API on a real uvicorn server: an anchor's key files an appeal with
files (PDF, PNG, JPEG made by chromium) and links; the regulator sees them in the appeal JSON and
downloads the files byte for byte, as attachments that browsers do not sniff; another anchor
cannot. Oversized, mistyped files and bad links are refused with the named error, and nothing of
that appeal is stored."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from api_server import auth, no_traceback, running
from evidence_samples import make_samples

from api import create_app
from monitor.credit.policy import load_policy
from monitor.review.flags import record_violation
from monitor.settings import Settings
from monitor.store.api_keys import create_key
from monitor.store.db import open_db
from monitor.store.registry import add_anchor, add_workshop

LINKS = ["https://cx.cnca.cn/CertECloud/result/skipResultDetail?certNo=123OP2600001",
         "http://www.nbfda.example/report/ZJ-2026-0412"]  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory, checker, browser):
    folder = tmp_path_factory.mktemp("appeal_evidence")
    samples = make_samples(browser, folder / "samples")
    path = folder / "q.db"
    db = open_db(path)
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚市梁弄镇")
    for anchor_id in ("A1", "A2"):
        add_anchor(db, anchor_id, f"主播{anchor_id}", "W1")
    keys = {
        "regulator": create_key(db, "regulator", actor="test")[1],
        "platform": create_key(db, "platform", actor="test")[1],
        "A1": create_key(db, "anchor", "A1", actor="test")[1],
        "A2": create_key(db, "anchor", "A2", actor="test")[1],
    }
    settings = Settings(
        db=str(path), appeal_max_file_mib=1, appeal_max_total_mib=1.5, appeal_max_files=3
    )
    with (
        running(create_app(path, settings)) as base,
        httpx.Client(base_url=base, timeout=60, event_hooks={"response": [no_traceback]}) as client,
    ):
        yield {"client": client, "db": db, "keys": keys, "samples": samples,
               "evidence": settings.files_dir() / "appeal-evidence"}  # fmt: skip
    db.conn.close()


def _violation(server) -> int:
    return record_violation(
        server["db"], anchor="A1", category="quality_origin_claims", severity="medium",
        evidence="巡查：宣称有机认证", recorded_by="test", policy=load_policy(),
        categories=["quality_origin_claims"],
    )  # fmt: skip


def _files(server, *names: str) -> list:
    return [
        ("files", (server["samples"][n].name, server["samples"][n].read_bytes())) for n in names
    ]


def _stored_files(server) -> list:
    folder = server["evidence"]
    return sorted(folder.iterdir()) if folder.exists() else []


def test_the_regulator_downloads_the_files_an_anchor_appealed_with(server):
    client, keys, samples = server["client"], server["keys"], server["samples"]
    url = f"/v1/violations/{_violation(server)}/appeals"
    filed = client.post(
        url,
        data={"reason": "产品持有有机认证，附证书与检测报告", "links": "\n".join(LINKS)},
        files=_files(server, "certificate", "report"),
        headers=auth(keys["A1"]),
    )
    assert filed.status_code == 201, filed.text
    appeal = filed.json()
    assert appeal["links"] == LINKS
    shown = [
        (f["file_name"], f["content_type"], f["size_bytes"], f["sha256"]) for f in appeal["files"]
    ]
    assert shown == [
        (samples[n].name, kind, samples[n].stat().st_size,
         hashlib.sha256(samples[n].read_bytes()).hexdigest())
        for n, kind in (("certificate", "image/png"), ("report", "application/pdf"))
    ]  # fmt: skip
    listed = client.get("/v1/appeals?status=pending", headers=auth(keys["regulator"])).json()
    assert [a["files"] for a in listed["items"] if a["id"] == appeal["id"]] == [appeal["files"]]
    for file, name in zip(appeal["files"], ("certificate", "report"), strict=True):
        download = client.get(file["download_url"], headers=auth(keys["regulator"]))
        assert download.status_code == 200
        assert download.content == samples[name].read_bytes()
        assert download.headers["content-type"] == file["content_type"]
        assert download.headers["content-disposition"].startswith("attachment;")
        assert download.headers["x-content-type-options"] == "nosniff"
    own = client.get(appeal["files"][1]["download_url"], headers=auth(keys["A1"]))
    assert own.status_code == 200 and own.content == samples["report"].read_bytes()


def test_another_anchor_or_a_platform_cannot_download_the_evidence(server):
    client, keys = server["client"], server["keys"]
    filed = client.post(
        f"/v1/violations/{_violation(server)}/appeals",
        data={"reason": "附发票"},
        files=_files(server, "invoice"),
        headers=auth(keys["A1"]),
    ).json()
    download = filed["files"][0]["download_url"]
    for who in ("A2", "platform"):
        refused = client.get(download, headers=auth(keys[who]))
        assert refused.status_code == 403 and "发票" not in refused.text
    assert client.get(f"/v1/appeals/{filed['id']}", headers=auth(keys["A2"])).status_code == 403
    regulator = auth(keys["regulator"])
    assert client.get(f"/v1/appeals/{filed['id']}", headers=regulator).json() == filed
    assert client.get(download + "0", headers=regulator).status_code == 404


def test_a_json_appeal_carries_links(server):
    client, keys = server["client"], server["keys"]
    filed = client.post(
        f"/v1/violations/{_violation(server)}/appeals",
        json={"reason": "证书可在认证认可业务信息统一查询平台核验", "links": LINKS[:1]},
        headers=auth(keys["A1"]),
    )
    assert filed.status_code == 201 and filed.json()["links"] == LINKS[:1]
    assert filed.json()["files"] == []


def _padded(server, name: str, mib: float) -> tuple:
    """A real sample grown to `mib` MiB (bytes after a PDF's end are ignored by readers)."""
    data = server["samples"][name].read_bytes()
    return (server["samples"][name].name, data + bytes(int(mib * 1024 * 1024) - len(data)))


@pytest.mark.parametrize(
    "form, status, error, named",
    [
        (lambda s: {"files": [("files", _padded(s, "report", 1.2))]}, 413, "evidence_too_large",
         ["1 MiB", "检测报告.pdf"]),
        (lambda s: {"files": [("files", _padded(s, "report", 0.8)), ("files", _padded(s, "report", 0.8))]},
         413, "evidence_too_large", ["1.5 MiB"]),
        (lambda s: {"files": _files(s, "invoice", "invoice", "invoice", "invoice")}, 422,
         "too_much_evidence", ["最多 3 个"]),
        (lambda s: {"files": _files(s, "certificate", "disguised")}, 415,
         "unsupported_evidence_type", ["发票扫描件.pdf"]),
        (lambda s: {"files": [("files", ("证书.pdf", s["samples"]["certificate"].read_bytes()))]},
         415, "unsupported_evidence_type", ["证书.pdf", "PNG"]),
        (lambda s: {"files": _files(s, "report"), "data": {"links": "https://ok.example/\nfile:///etc/passwd"}},
         422, "invalid_request", ["links[1]"]),
        (lambda s: {"json": {"reason": "x", "links": ["javascript:alert(1)"]}}, 422,
         "invalid_request", ["links[0]"]),
        (lambda s: {"files": _files(s, "report"), "data": {"reason": " "}}, 422, "invalid_request",
         ["reason"]),
    ],
    ids=["file-too-large", "total-too-large", "too-many", "disguised-html", "png-named-pdf",
         "ftp-link-with-file", "javascript-link", "blank-reason-with-file"],
)  # fmt: skip
def test_refused_evidence_is_named_and_nothing_is_stored(server, form, status, error, named):
    client, db = server["client"], server["db"]
    violation_id = _violation(server)
    before = _stored_files(server)
    request = form(server)
    if "json" not in request:
        request["data"] = {"reason": "附证据", **request.get("data", {})}
    refused = client.post(
        f"/v1/violations/{violation_id}/appeals", headers=auth(server["keys"]["A1"]), **request
    )
    assert (refused.status_code, refused.json()["error"]) == (status, error), refused.text
    for name in named:
        assert name in refused.text
    assert db["appeals"].count_where("violation_id = ?", [violation_id]) == 0
    assert _stored_files(server) == before
    standing = client.get("/v1/anchors/A1/violations", headers=auth(server["keys"]["A1"]))
    assert {v["id"]: v["status"] for v in standing.json()["items"]}[violation_id] == "standing"
