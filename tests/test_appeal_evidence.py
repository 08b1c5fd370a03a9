"""Appeal evidence in the library: which links are accepted, how a client's file name is kept,
files typed by their content, and an appeal stored with its evidence or not at all (no half
appeal, no file left behind)."""

from __future__ import annotations

import hashlib

import pytest
from store_samples import anchor_with_violation

from monitor.review.appeal_evidence import checked_links, evidence_file, evidence_of
from monitor.review.evidence_files import (
    EvidenceLimits,
    EvidenceRefused,
    EvidenceStaging,
    EvidenceTooLarge,
    EvidenceTypeRefused,
    TooMuchEvidence,
    safe_file_name,
)
from monitor.review.flags import file_appeal
from monitor.store.db import open_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(13)
LIMITS = EvidenceLimits(max_files=2, max_file_mib=0.01, max_total_mib=0.015, max_links=2)


@pytest.mark.parametrize(
    "link",
    [
        "https://www.samr.gov.cn/zw/zfxxgk/",
        "http://cx.cnca.cn/CertECloud/result/skipResultDetail?certNo=123OP2600001",
        "https://检测.example.com/报告/0412",
        "https://example.com:8443/a?b=c#d",
    ],
)
def test_a_web_address_is_a_link(link):
    assert checked_links([f"  {link}\n"], LIMITS) == [link]


@pytest.mark.parametrize(
    "link, problem",
    [
        ("javascript:alert(1)", "http:// 或 https://"),
        ("ftp://files.example.com/report.pdf", "http:// 或 https://"),
        ("www.example.com/report", "http:// 或 https://"),
        ("https://", "网站地址"),
        ("https://admin:secret@example.com/", "用户名或密码"),
        ("https://example.com/a b", "空格"),
        ("https://example.com:port/", "格式错误"),
        ("https://example.com/" + "a" * 2000, "2000"),
    ],
)
def test_a_link_that_is_not_a_web_address_is_refused_by_its_position(link, problem):
    with pytest.raises(EvidenceRefused) as refused:
        checked_links(["https://example.com/ok", "", link], LIMITS)
    assert refused.value.field == "links[1]"  # blank lines do not count
    assert problem in str(refused.value)


def test_more_links_than_the_limit_are_refused():
    with pytest.raises(TooMuchEvidence, match="最多 2 个证据链接"):
        checked_links([f"https://example.com/{i}" for i in range(3)], LIMITS)


@pytest.mark.parametrize(
    "given, kept",
    [
        ("检测报告.pdf", "检测报告.pdf"),
        ("C:\\Users\\wang\\Desktop\\发票.jpg", "发票.jpg"),
        ("../../etc/passwd.png", "passwd.png"),
        ('证书"<script>".png', "证书__script__.png"),
        ("报告\x00\r\n2026.pdf", "报告 2026.pdf"),
        ("...", "evidence"),
        ("长" * 150 + ".pdf", "长" * 96 + ".pdf"),
    ],
)
def test_a_client_file_name_is_kept_without_paths_or_control_characters(given, kept):
    assert safe_file_name(given) == kept


def _stage(staging: EvidenceStaging, name: str, data: bytes, chunk: int = 5) -> None:
    staged = staging.begin(name)
    for start in range(0, len(data), chunk):  # as a network would deliver it
        staged.write(data[start : start + chunk])
    staging.finish()


def test_a_file_is_typed_by_its_content_hashed_and_kept_under_the_files_folder(tmp_path):
    with EvidenceStaging(tmp_path, LIMITS) as staging:
        _stage(staging, "检测报告.pdf", PDF)
        staging.keep()
    [stored] = staging.files
    assert (stored.file_name, stored.content_type) == ("检测报告.pdf", "application/pdf")
    assert stored.size_bytes == len(PDF) and stored.sha256 == hashlib.sha256(PDF).hexdigest()
    assert stored.path.startswith("appeal-evidence/") and stored.path.endswith(".pdf")
    assert (tmp_path / stored.path).read_bytes() == PDF


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("发票.pdf", b"<!doctype html><title>x</title>", "不是 PDF、JPEG 或 PNG"),
        ("证书.pdf", PNG, "内容是 PNG"),
        ("report.exe", PDF, "须以 .pdf 结尾"),
        ("空.pdf", b"", "不是 PDF"),
    ],
)
def test_a_file_whose_content_is_not_its_type_is_refused_and_removed(tmp_path, name, data, message):
    with (
        pytest.raises(EvidenceTypeRefused, match=message) as refused,
        EvidenceStaging(tmp_path, LIMITS) as staging,
    ):
        _stage(staging, name, data)
    assert refused.value.file_name == name
    assert list((tmp_path / "appeal-evidence").iterdir()) == []


def test_files_over_the_limits_are_refused_naming_the_limit_in_mib(tmp_path):
    big = PDF + bytes(int(0.01 * 1024 * 1024))
    with (
        pytest.raises(EvidenceTooLarge, match=r"0\.01 MiB") as refused,
        EvidenceStaging(tmp_path, LIMITS) as staging,
    ):
        _stage(staging, "大.pdf", big, chunk=4096)
    assert refused.value.limit_mib == 0.01 and refused.value.file_name == "大.pdf"
    half = PDF + bytes(8000)  # each under 0.01 MiB, together over 0.015 MiB
    with (
        pytest.raises(EvidenceTooLarge, match=r"合计超过 0\.015 MiB"),
        EvidenceStaging(tmp_path, LIMITS) as staging,
    ):
        _stage(staging, "一.pdf", half, chunk=4096)
        _stage(staging, "二.pdf", half, chunk=4096)
    with (
        pytest.raises(TooMuchEvidence, match="最多 2 个证据文件"),
        EvidenceStaging(tmp_path, LIMITS) as staging,
    ):
        for name in ("一.pdf", "二.pdf", "三.pdf"):
            _stage(staging, name, PDF)
    assert list((tmp_path / "appeal-evidence").iterdir()) == []


@pytest.fixture
def violation(tmp_path):
    db = open_db(tmp_path / "q.db")
    yield db, anchor_with_violation(db)
    db.conn.close()


def test_an_appeal_is_stored_with_its_files_and_links(tmp_path, violation):
    db, violation_id = violation
    with EvidenceStaging(tmp_path, LIMITS) as staging:
        _stage(staging, "有机认证证书.pdf", PDF)
        appeal_id = file_appeal(
            db, violation_id, "产品持有有机认证", "test", files=staging.files,
            links=["https://cx.cnca.cn/cert/123OP2600001"], limits=LIMITS,
        )  # fmt: skip
        staging.keep()
    evidence = evidence_of(db, [appeal_id])[appeal_id]
    assert evidence["links"] == ["https://cx.cnca.cn/cert/123OP2600001"]
    [file] = evidence["files"]
    row, path = evidence_file(db, appeal_id, file["id"], tmp_path)
    assert path.read_bytes() == PDF and row["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert evidence_file(db, appeal_id + 1, file["id"], tmp_path) is None  # another appeal's


def test_a_refused_appeal_keeps_neither_the_appeal_nor_its_files(tmp_path, violation):
    db, violation_id = violation
    with pytest.raises(EvidenceRefused, match="http"), EvidenceStaging(tmp_path, LIMITS) as staging:
        _stage(staging, "有机认证证书.pdf", PDF)
        file_appeal(
            db, violation_id, "产品持有有机认证", "test", files=staging.files,
            links=["ftp://cx.cnca.cn/cert"], limits=LIMITS,
        )  # fmt: skip
        staging.keep()
    assert db["appeals"].count == 0 and db["appeal_evidence"].count == 0
    assert list((tmp_path / "appeal-evidence").iterdir()) == []
