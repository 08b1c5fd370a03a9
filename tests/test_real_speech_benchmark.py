"""The real-speech benchmark (benchmarks/real_speech.py) on a snapshot written here: the real
transcripts are never in the repository, so the script is tested on a folder of the same shape
with lines written for this test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import real_speech

ROOT = Path(__file__).resolve().parent.parent

VIDEOS = [
    {
        "plat_name": "抖音直播",
        "asr_result_para": "家人们晚上好。这个茶喝了能降血糖！今天九十九一盒",
    },
    {"plat_name": "快手直播", "asr_result_para": "点左下角小黄车。有问题评论区问客服？"},
    {"plat_name": "快手直播", "asr_result_para": None},
]


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    root = tmp_path / "snapshot"
    asr = root / real_speech.ASR_PATH
    asr.parent.mkdir(parents=True)
    asr.write_text(json.dumps(VIDEOS, ensure_ascii=False), encoding="utf-8")
    morphs = root / "dataset" / "tea" / "plm" / "pairs.tsv"
    morphs.parent.mkdir(parents=True)
    morphs.write_text("能降血某糖\t能降血糖\n一样的\t一样的\n", encoding="utf-8")
    return root


def test_extraction_splits_sentences_and_keeps_only_id_platform_text_and_hash(snapshot, tmp_path):
    cache = tmp_path / "cache"
    assert real_speech.extract(snapshot, cache) == (5, 1)  # the pair without a disguise is skipped
    rows = [json.loads(line) for line in (cache / "sentences.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["v0000.s000", "v0000.s001", "v0000.s002", "v0001.s000",
                                       "v0001.s001"]  # fmt: skip
    assert rows[1]["text"] == "这个茶喝了能降血糖！" and rows[1]["platform"] == "抖音直播"
    assert rows[1]["sha1"] == real_speech.sha1("这个茶喝了能降血糖！")
    (pair,) = [json.loads(line) for line in (cache / "morphs.jsonl").read_text().splitlines()]
    assert pair == {"id": "tea/pairs:0", "morph": "能降血某糖", "plain": "能降血糖"}


def test_a_run_counts_flags_and_writes_the_sample_outside_the_repository(snapshot, tmp_path):
    cache = tmp_path / "cache"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.real_speech", "--source", str(snapshot),
         "--cache", str(cache), "--no-classifier", "--sample", "5"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "sentences: 5   flagged: 1 (20.00 %)" in done.stdout
    assert "medical_claims" in done.stdout
    assert "disguised also flagged 1 (100.00 %)" in done.stdout
    sample = (cache / "audit_sample.tsv").read_text(encoding="utf-8").splitlines()
    assert sample[0].split("\t")[:3] == ["id", "sha1", "label"] and len(sample) == 2
    assert list(cache.glob("run-*.json"))


def test_without_a_cache_the_script_says_how_to_make_one(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.real_speech", "--cache", str(tmp_path / "none")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2 and "--source" in done.stderr and "Traceback" not in done.stderr


def test_the_committed_audit_holds_labels_and_hashes_only():
    rows = real_speech.read_audit()
    assert {r["round"] for r in rows} >= {"before", "after"}
    assert all(set(r) == {"id", "sha1", "label", "round"} for r in rows)
    rounds = real_speech.audit_rounds(rows)
    assert all(sum(c.values()) == 100 for c in rounds.values())


def test_a_bad_audit_label_is_named(tmp_path):
    path = tmp_path / "audit.tsv"
    path.write_text("# comment\nid\tsha1\tlabel\tround\nv1.s1\t" + "a" * 40 + "\tmaybe\tx\n")
    with pytest.raises(ValueError, match=r"row 1 .*v1.s1"):
        real_speech.read_audit(path)
