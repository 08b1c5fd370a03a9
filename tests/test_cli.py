"""The `qinglang` command: reports, JSON, batch, exit codes, clear errors on bad input before
anything heavy loads, and help in Chinese with English beside it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from docx import Document

QINGLANG = [sys.executable, "-m", "monitor.cli.main"]
VIOLATION = "家人们，这是全网最低价，加我微信私聊下单！"
CLEAN = "家人们，今天的杨梅是当天现摘的，顺丰冷链发货，坏果包赔。"
# What a bad input or --help must not wait for: the checker's, the classifier's, the speech
# model's and the web service's libraries.
HEAVY = {"jieba", "pypinyin", "opencc", "numpy", "sklearn", "skops", "faster_whisper"}
HEAVY |= {"ctranslate2", "av", "fastapi", "uvicorn", "docx"}
# Runs the CLI like `python -m monitor.cli.main`, then prints the top-level modules it had imported.
LOADED = (
    "import atexit, json, runpy, sys\n"
    "atexit.register(lambda: print('LOADED', json.dumps(sorted({m.split('.')[0] for m in "
    "sys.modules})), file=sys.stderr))\n"
    "sys.argv = ['qinglang', *sys.argv[1:]]\n"
    "runpy.run_module('monitor.cli.main', run_name='__main__')\n"
)
ENV: dict[str, str] = {}
BROKEN_SRT = (
    b"1\n00:00:01,000 --> 00:00:04,000\n\xe5\xa5\xbd\n\n2\n00:00:05,000 --> 00:00:0x,000\nx\n"
)


@pytest.fixture(scope="module", autouse=True)
def _cache_home(tmp_path_factory):
    """The commands of this file share one cache folder: the first check builds the lexicon."""
    ENV["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))


def run(*args: str, stdin: bytes | None = None, env: dict | None = None, command=QINGLANG):
    return subprocess.run(
        [*command, *args],
        input=stdin,
        capture_output=True,
        timeout=120,
        env={**os.environ, **ENV, **(env or {})},
    )


def run_watched(*args: str) -> tuple[subprocess.CompletedProcess, set[str], str]:
    """Run the CLI; returns the result, the modules it imported and its stderr without them."""
    result = run(*args, command=[sys.executable, "-c", LOADED])
    err = result.stderr.decode()
    *rest, loaded = err.rstrip("\n").split("\n")
    assert loaded.startswith("LOADED "), err
    return result, set(json.loads(loaded.removeprefix("LOADED "))), "\n".join(rest)


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
        json.dumps({"id": "f", "text": "好", "profile": "nope"}),
        json.dumps({"id": "g", "text": "好", "product_class": "rocket"}),
    ]
    path = write(tmp_path, "in.jsonl", "\n".join(lines).encode())
    result = run("check", "--batch", path)
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert result.returncode == 2  # bad lines are reported, the rest is still checked
    assert [o.get("id") for o in out] == ["a", "b", None, "d", 5, "f", "g"]
    assert out[0]["verdict"] != "pass" and out[1]["verdict"] == "pass"
    assert out[2]["error"].startswith("第 3 行") and "line 3: invalid JSON" in out[2]["error"]
    assert out[2]["line"] == 3
    assert out[3]["error"].startswith("第 4 行") and '"text"' in out[3]["error"]
    assert out[4]["profile"] == "food" and out[4]["hits"]
    assert out[5]["error"].startswith("第 6 行的词库配置不存在 / line 6: unknown profile 'nope'")
    assert out[6]["error"].startswith("第 7 行的商品类别不存在 / line 7: unknown product class")


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


@pytest.mark.parametrize(
    "args, files, message",
    [
        (["check", "{tmp}/nope.txt"], {}, "文件不存在 / no such file"),
        (["check", "{tmp}/empty.txt"], {"empty.txt": b""}, "文件为空 / the input is empty"),
        (["check", "{tmp}/blank.txt"], {"blank.txt": b" \n "}, "文件为空 / the input is empty"),
        (["check", "{tmp}"], {}, "是目录，不是文件 / is a directory"),
        (["check", "{tmp}/a.png"], {"a.png": b"\x89PNG\r\n\x00\x00\x01"}, "二进制"),
        (["check"], {}, "请给出 FILE"),
        (["check", "{tmp}/s.txt", "--batch", "{tmp}/s.txt"], {"s.txt": b"x"}, "请给出 FILE"),
        (["check", "--batch", "{tmp}/empty.jsonl"], {"empty.jsonl": b"\n\n"}, "文件为空"),
        (["check", "--batch", "{tmp}/gbk.jsonl"], {"gbk.jsonl": "全网".encode("gb18030")}, "UTF-8"),
        (["check", "{tmp}/s.txt", "--profile", "nope"], {"s.txt": b"x"}, "未知的词库配置"),
        (["check", "{tmp}/s.txt", "--product-class", "nope"], {"s.txt": b"x"}, "未知的商品类别"),
        (["check", "{tmp}/s.txt", "--lexicon", "{tmp}/no.yaml"], {"s.txt": b"x"}, "词库文件不存在"),
        (["check", "{tmp}/s.txt", "--color", "sometimes"], {"s.txt": b"x"}, "用法有误 / bad usage"),
        (["check", "--no-such-flag"], {}, "用法有误 / bad usage"),
        (["check", "{tmp}/talk.mp3"], {}, "文件不存在"),
        (["check", "{tmp}/room.srt"], {"room.srt": BROKEN_SRT}, "line 6"),
        (["transcribe", "{tmp}/talk.mp3"], {}, "文件不存在"),
        (["watch", "file:///etc/hostname"], {}, "不允许的地址协议"),
        (["watch", "{tmp}/room.flv"], {}, "文件不存在"),
        (["lexicon", "check", "{tmp}/no.yaml"], {}, "文件不存在"),
        (["import", "{tmp}/anchors.csv", "--db", "{tmp}/q.db"], {}, "文件不存在"),
        (
            ["scripts", "submit", "--anchor", "A1", "--file", "{tmp}/s.txt", "--db", "{tmp}/q.db"],
            {},
            "文件不存在",
        ),
    ],
)
def test_bad_input_fails_with_exit_2_before_anything_heavy_loads(tmp_path, args, files, message):
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    result, loaded, err = run_watched(*(a.format(tmp=tmp_path) for a in args))
    assert result.returncode == 2, err
    assert err.startswith("qinglang: 错误 error: ") and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert loaded & HEAVY == set()
    assert not (tmp_path / "q.db").exists()  # nothing was written for a bad input


@pytest.mark.parametrize("args", [["--help"], ["check", "--help"], ["flags", "list", "-h"]])
def test_help_loads_nothing_heavy(args):
    result, loaded, _ = run_watched(*args)
    assert result.returncode == 0
    assert re.search(r"[\u4e00-\u9fff]", result.stdout.decode())
    assert loaded & HEAVY == set()


def test_a_recording_that_is_no_audio_fails_before_the_checker_and_the_speech_model(tmp_path):
    fake = write(tmp_path, "fake.mp3", b"not audio at all" * 100)
    result, loaded, err = run_watched("check", fake)
    assert result.returncode == 2
    assert err.startswith("qinglang: 错误 error: 无法读取音视频 / not a readable audio")
    assert loaded & {"jieba", "pypinyin", "sklearn", "faster_whisper", "ctranslate2"} == set()


def test_a_lexicon_only_check_from_the_cache_needs_no_jieba_pypinyin_or_classifier(tmp_path):
    script = write(tmp_path, "s.txt", VIOLATION.encode())
    run("check", script, "--no-classifier")  # builds the cache if no test did yet
    result, loaded, _ = run_watched("check", script, "--no-classifier", "--json")
    assert result.returncode == 1
    assert {h["text"] for h in json.loads(result.stdout)["hits"]} >= {"全网最低价", "加我微信"}
    assert loaded & {"jieba", "pypinyin", "opencc", "sklearn", "faster_whisper"} == set()


def test_a_check_from_the_cache_reports_what_a_fresh_build_does(tmp_path):
    text = "全網最低價！加我 V 信，zui di jia，第一次来的家人们，免某力"
    script = write(tmp_path, "s.txt", text.encode())
    run("check", script, "--no-classifier")
    cached = run("check", script, "--json", "--no-classifier")
    fresh = run("check", script, "--json", "--no-classifier", env={"QINGLANG_CHECKER_CACHE": "0"})
    assert cached.returncode == fresh.returncode == 1
    assert json.loads(cached.stdout) == json.loads(fresh.stdout)


def _commands(command, path=("qinglang",)):
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def _chinese_first(text: str | None) -> bool:
    """Chinese comes before the first English word, and English follows."""
    text = text or ""
    chinese = re.search(r"[\u4e00-\u9fff]", text)
    english = re.search(r"[A-Za-z]{3,}", text)
    return bool(chinese and english and chinese.start() < english.start())


def test_every_help_text_is_chinese_first_with_english_beside_it():
    import click

    from monitor.cli.main import main

    missing = []
    for path, command in _commands(main):
        context = click.Context(command, info_name=path[-1])
        if not _chinese_first(command.help):
            missing.append(" ".join(path))
        for param in command.get_params(context):
            if isinstance(param, click.Option) and not _chinese_first(param.help):
                missing.append(f"{' '.join(path)} {param.opts[-1]}")
    assert missing == []


def test_a_usage_error_is_one_line_in_chinese_and_english_with_exit_2():
    result = run("check", "--color", "sometimes", "-")
    err = result.stderr.decode()
    assert result.returncode == 2
    assert err.startswith("qinglang: 错误 error: 用法有误 / bad usage: ")
    assert "'sometimes' is not one of" in err and "check --help" in err
    assert len(err.strip().splitlines()) == 1
