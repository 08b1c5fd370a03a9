"""The `qinglang` command: reports, JSON, batch, exit codes and clear errors on bad input."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from docx import Document

QINGLANG = [sys.executable, "-m", "monitor.cli"]
VIOLATION = "家人们，这是全网最低价，加我微信私聊下单！"
CLEAN = "家人们，今天的杨梅是当天现摘的，顺丰冷链发货，坏果包赔。"


def run(*args: str, stdin: bytes | None = None, env: dict | None = None):
    return subprocess.run(
        [*QINGLANG, *args],
        input=stdin,
        capture_output=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_a_flagged_script_prints_category_law_and_suggestion_and_exits_1(tmp_path):
    result = run("check", write(tmp_path, "s.txt", VIOLATION.encode()), "--color", "never")
    out = result.stdout.decode()
    assert result.returncode == 1, result.stderr.decode()
    assert "【全网最低价】" in out
    assert "价格欺诈" in out or "绝对化用语" in out
    assert "依据 basis: 《" in out
    assert "建议 instead:" in out


def test_a_clean_script_exits_0(tmp_path):
    result = run("check", write(tmp_path, "s.txt", CLEAN.encode()))
    assert result.returncode == 0, result.stdout.decode()
    assert "No banned claims found" in result.stdout.decode()


def test_json_output_follows_the_report_contract_and_offsets_slice_the_input(tmp_path):
    text = "全網最低價！加我 V 信"
    result = run("check", write(tmp_path, "s.txt", text.encode()), "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert report["verdict"] in ("review", "block")
    assert 0 < report["risk"] <= 1
    for hit in report["hits"]:
        assert text[hit["start"] : hit["end"]] == hit["text"]
        assert {
            "normalized",
            "category",
            "severity",
            "source",
            "rule",
            "score",
            "basis",
            "suggestion",
        } <= set(hit)
    assert {"start", "end", "verdict", "categories", "score"} <= set(report["sentences"][0])


def test_stdin_is_read_with_a_dash():
    result = run("check", "-", "--json", stdin=VIOLATION.encode())
    assert result.returncode == 1
    assert json.loads(result.stdout)["hits"]


def test_gb18030_text_is_read(tmp_path):
    result = run("check", write(tmp_path, "gbk.txt", VIOLATION.encode("gb18030")), "--json")
    assert result.returncode == 1
    assert any(h["text"] == "全网最低价" for h in json.loads(result.stdout)["hits"])


def test_a_docx_script_is_read(tmp_path):
    document = Document()
    document.add_paragraph("开场白：欢迎来到直播间")
    document.add_paragraph(VIOLATION)
    path = tmp_path / "script.docx"
    document.save(path)
    result = run("check", str(path), "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["hits"]


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"  \n\n ", "empty"),
        ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
        ("nul.txt", b"abc\x00\x01\x02def" * 3, "binary"),
        ("utf16.txt", b"\xff\xfe" + b"\x00\xd8", "unreadable"),
        ("latin.txt", "caf\u00e9 ".encode("latin-1") + b"\x80\xff\xfe", "encoding"),
        ("fake.docx", b"this is not a zip file", "not a valid .docx"),
    ],
)
def test_bad_input_gets_one_line_and_exit_2(tmp_path, name, data, message):
    result = run("check", write(tmp_path, name, data))
    err = result.stderr.decode()
    assert result.returncode == 2, (result.stdout, err)
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    path = write(tmp_path, "big.txt", ("家人们好" * 200).encode())
    result = run("check", path, env={"QINGLANG_MAX_TEXT_BYTES": "1000"})
    assert result.returncode == 2
    assert "limit" in result.stderr.decode()


def test_a_missing_file_and_a_bad_option_exit_2(tmp_path):
    assert run("check", str(tmp_path / "nope.txt")).returncode == 2
    assert run("check", "--no-such-flag").returncode == 2
    assert run("check").returncode == 2
    result = run("check", "-", "--profile", "nonexistent", stdin=b"hello")
    assert result.returncode == 2 and "unknown profile" in result.stderr.decode()


def test_batch_writes_one_report_per_line_and_flags_bad_lines(tmp_path):
    lines = [
        json.dumps({"id": "a", "text": VIOLATION}, ensure_ascii=False),
        json.dumps({"id": "b", "text": CLEAN}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "d"}),
        json.dumps({"id": 5, "text": "加我薇信，私下转账", "profile": "food"}, ensure_ascii=False),
    ]
    path = write(tmp_path, "in.jsonl", "\n".join(lines).encode())
    result = run("check", "--batch", path)
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert result.returncode == 2  # bad lines are reported, the rest is still checked
    assert [o.get("id") for o in out] == ["a", "b", None, "d", 5]
    assert out[0]["verdict"] != "pass" and out[1]["verdict"] == "pass"
    assert "invalid JSON" in out[2]["error"] and out[2]["line"] == 3
    assert out[4]["profile"] == "food" and out[4]["hits"]


def test_batch_of_good_lines_exits_1_when_any_is_flagged(tmp_path):
    lines = [
        json.dumps({"id": i, "text": t}, ensure_ascii=False)
        for i, t in enumerate([CLEAN, VIOLATION])
    ]
    result = run("check", "--batch", write(tmp_path, "in.jsonl", "\n".join(lines).encode()))
    assert result.returncode == 1


def test_lexicon_stats_counts_every_category():
    result = run("lexicon", "stats")
    out = result.stdout.decode()
    assert result.returncode == 0
    assert "absolute_terms" in out and "quality_origin_claims" in out
    assert "total" in out


def test_lexicon_check_accepts_a_good_user_file_and_rejects_a_bad_one(tmp_path):
    good = tmp_path / "mine.yaml"
    good.write_text(
        "category: absolute_terms\nentries:\n  - id: my-dianzhang\n    term: 店长推荐第一\n"
        "    severity: medium\n    basis: ['《广告法》第九条第三项']\n    explanation: 绝对化\n"
        "    suggestion: 店长推荐\nwhitelist:\n  - {phrase: 第一名粉丝团}\n",
        encoding="utf-8",
    )
    result = run("lexicon", "check", str(good))
    assert result.returncode == 0, result.stderr.decode()
    assert "1 entries" in result.stdout.decode()
    bad = tmp_path / "bad.yaml"
    bad.write_text("entries:\n  - id: x\n    term: 好\n", encoding="utf-8")
    result = run("lexicon", "check", str(bad))
    err = result.stderr.decode()
    assert result.returncode == 2
    assert "missing 'basis'" in err and "Traceback" not in err


def test_a_user_lexicon_adds_terms_and_whitelists_without_touching_the_package(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        "category: quality_origin_claims\nentries:\n  - id: my-xianju\n    term: 仙居原产\n"
        "    severity: medium\n    basis: ['《反不正当竞争法》第九条']\n    explanation: 需核实产地\n"
        "    suggestion: 说明具体产地与证明\nwhitelist:\n  - {phrase: 全网最低价格监测}\n",
        encoding="utf-8",
    )
    result = run(
        "check",
        "-",
        "--json",
        "--no-classifier",
        "--lexicon",
        str(mine),
        stdin="仙居原产的杨梅，全网最低价格监测".encode(),
    )
    rules = [h["rule"] for h in json.loads(result.stdout)["hits"]]
    assert rules == ["my-xianju"]
    env_result = run(
        "check",
        "-",
        "--json",
        stdin="仙居原产".encode(),
        env={"QINGLANG_LEXICONS": str(mine), "QINGLANG_CLASSIFIER": "false"},
    )
    assert [h["rule"] for h in json.loads(env_result.stdout)["hits"]] == ["my-xianju"]


def test_the_demo_runs():
    result = run("demo", "--color", "never")
    assert result.returncode == 0
    assert "全網最低價" in result.stdout.decode()


def test_check_captions_reports_stream_times(tmp_path):
    captions = tmp_path / "room.srt"
    captions.write_text(
        "1\n00:00:01,000 --> 00:00:04,000\n家人们晚上好\n\n"
        "2\n00:01:05,000 --> 00:01:09,000\n这款杨梅是全网最低价\n",
        encoding="utf-8",
    )
    result = run("check", str(captions), "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    hit = report["hits"][0]
    assert hit["text"] == "全网最低价" and 65 <= hit["time_start"] < hit["time_end"] <= 69
    assert [s["offset"] for s in report["segments"]] == [0, 7]
    assert report["sentences"][-1]["time_end"] <= 69
    human = run("check", str(captions), "--color", "never").stdout.decode()
    assert re.search(r"01:0\d\.\d–01:0\d\.\d 「全网最低价」", human)
    lines = tmp_path / "live.jsonl"
    lines.write_text(
        '{"t": 3, "text": "欢迎"}\n{"t": 7.5, "d": 2, "text": "加我微信"}\n', encoding="utf-8"
    )
    flagged = json.loads(run("check", str(lines), "--json").stdout)
    assert flagged["hits"][0]["time_start"] >= 7.5
    broken = tmp_path / "broken.srt"
    broken.write_text(
        "1\n00:00:01,000 --> 00:00:04,000\n好\n\n2\n00:00:05,000 --> 00:00:0x,000\n最\n"
    )
    bad = run("check", str(broken))
    message = bad.stderr.decode()
    assert bad.returncode == 2 and "line 6" in message and "Traceback" not in message
