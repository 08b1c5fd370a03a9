"""A transcript the speech model was unsure of is never a silent pass (issue 12): each segment
gets its confidence and issues (low confidence, repetition, not Chinese, digit strings), the
report a warning per issue that concerns enough of the speech and `review` instead of `pass`, the
CLI exits 1 and says why, and the stream page marks the doubtful lines. Real speech: espeak-ng's
cmn voice, which the shipped Whisper base hears as digit strings, and a real Mandarin clip."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from api_server import running
from playwright.sync_api import expect
from speech_audio import speak
from ui_site import open_page, shot

from api import create_app
from monitor.checking.timed_check import check_segments
from monitor.cli.terminal_report import render_report
from monitor.data_files import data_dir
from monitor.errors import LexiconError
from monitor.live.stream_monitor import StreamMonitor
from monitor.report import ReportWarning
from monitor.settings import Settings
from monitor.sources.media import decode_file
from monitor.sources.segments import Segment
from monitor.speech.job_runner import run_job
from monitor.speech.transcriber import AsrPolicy
from monitor.speech.transcript_reliability import (
    ISSUES,
    WARNING_PREFIX,
    segment_issues,
    transcript_warnings,
)
from monitor.store.api_keys import create_key
from monitor.store.db import open_db
from monitor.store.flag_store import record_check
from monitor.store.jobs import claim_next, enqueue
from monitor.store.registry import add_anchor

AUDIO = Path(__file__).parent / "data" / "audio"
CLEAR_CLIP = "funasr_asr_example.wav"  # 欢迎大家来体验达摩院推出的语音识别模型
# Read by espeak-ng's cmn voice, this comes out of Whisper base as "I-1-2-2-5-1-3, Khan Hair-3 …"
GARBLED_SCRIPT = ["家人们晚上好，欢迎来到直播间。"]
CODES = {WARNING_PREFIX + code for code in (*ISSUES, "unrecognised_speech")}
POLICY = AsrPolicy.load().reliability


# --- one segment: values measured on the shipped model (models/asr.yaml says where) ------------


@pytest.mark.parametrize(
    "text, confidence, window_logprob, compression_ratio, language, expected",
    [
        ("欢迎大家来体验达摩院推出的语音识别模型", 0.83, -0.38, 0.84, "zh", ()),
        ("893条", 0.37, -0.38, 1.30, "zh", ()),  # a real clip's lowest, decoded live
        ("iPhone 15 Pro 今天特价九块九", 0.8, -0.3, 1.1, "zh", ()),
        ("价格是199元，电话13812345678，原价1,000", 0.8, -0.3, 1.1, "zh", ()),
        ("Good evening everyone, welcome to our tea farm", 0.65, -0.49, 1.16, "en", ()),
        (
            "Good evening everyone, welcome to our tea farm",
            0.65,
            -0.49,
            1.16,
            "zh",
            ("not_chinese",),
        ),
        ("I want one to man 5 1 3", 0.22, -0.69, 1.76, "zh", ("low_confidence", "not_chinese")),
        ("第1-2-5-13-5-3", 0.6, -0.52, 1.68, "zh", ("digit_string",)),
        ("1,2,3,4,5,1,2,1,4,5", 0.56, -0.6, 1.7, "zh", ("digit_string",)),
        ("看 hair-3", 0.15, -0.69, 1.76, "zh", ("low_confidence",)),
        ("今天的杨梅很新鲜", 0.9, -1.3, 1.2, "zh", ("low_confidence",)),  # the window was a guess
        ("快速快速快速快速快速快速快速快速", 0.9, -0.2, 3.1, "zh", ("repetition",)),
        # loops too short for the window's compression ratio (reversed Mandarin, espeak-ng cmn)
        ("那些西洋人也在互相互相互相互相互相互相互相", 0.54, -0.4, 1.5, "zh", ("repetition",)),
        (
            "Hu and 5 云2 黑2 黑4 鸟4 鸟4 鸟4 鸟4 鸟4 鸟4 鸟4 鸟4",
            0.47,
            -0.5,
            1.9,
            "zh",
            ("repetition",),
        ),
        ("哈哈哈哈哈哈哈哈，太好笑了", 0.9, -0.2, 1.3, "zh", ()),  # laughter
        ("好的好的，没问题，马上上链接", 0.9, -0.2, 1.2, "zh", ()),
    ],
)
def test_segment_issues(text, confidence, window_logprob, compression_ratio, language, expected):
    issues = segment_issues(
        text,
        confidence=confidence,
        window_logprob=window_logprob,
        compression_ratio=compression_ratio,
        language=language,
        policy=POLICY,
    )
    assert issues == expected


# --- a recording ---------------------------------------------------------------------------------


def _segments(*spans: tuple[float, float, tuple[str, ...]]) -> list[Segment]:
    return [
        Segment(start, end, "字", confidence=0.5, issues=issues) for start, end, issues in spans
    ]


def test_a_doubtful_second_in_a_long_recording_gives_no_warning():
    segments = _segments((0, 30, ()), (30, 31, ("low_confidence",)), (31, 60, ()))
    assert transcript_warnings(segments, POLICY, speech_s=60) == ()


def test_most_of_the_speech_doubtful_gives_a_warning_per_issue():
    segments = _segments(
        (0, 4, ("low_confidence", "not_chinese")), (4, 6, ("digit_string",)), (6, 10, ())
    )
    warnings = transcript_warnings(segments, POLICY, speech_s=10)
    assert [(w.code, w.segments, w.share) for w in warnings] == [
        ("asr_low_confidence", 1, 0.4),
        ("asr_not_chinese", 1, 0.4),
        ("asr_digit_string", 1, 0.2),
    ]
    assert warnings[0].message == POLICY.messages.low_confidence


def test_speech_heard_but_not_recognised_is_a_warning():
    """22 s of espeak-ng cmn speech once gave no segment at all: Whisper skipped every window."""
    (warning,) = transcript_warnings([], POLICY, speech_s=22.1)
    assert warning.code == "asr_unrecognised_speech" and warning.share == 1.0
    assert transcript_warnings([], POLICY, speech_s=0.0) == ()  # silence, noise, music
    assert transcript_warnings(_segments((0, 4.3, ())), POLICY, speech_s=4.8) == ()


def test_a_guessed_language_is_a_warning():
    (warning,) = transcript_warnings(_segments((0, 3, ())), POLICY, language_probability=0.56)
    assert warning.code == "asr_language_uncertain"
    assert transcript_warnings(_segments((0, 3, ())), POLICY, language_probability=0.98) == ()


def test_a_warning_makes_pass_review_and_leaves_block(checker):
    warning = ReportWarning("asr_digit_string", POLICY.messages.digit_string, 1, 1.0)
    harmless = [Segment(0, 2, "今天的杨梅很新鲜")]
    assert check_segments(checker, harmless).report.verdict == "pass"
    report = check_segments(checker, harmless, warnings=[warning]).report
    assert report.verdict == "review" and report.warnings == (warning,)
    assert report.to_dict()["warnings"] == [
        {"code": "asr_digit_string", "message": warning.message, "segments": 1, "share": 1.0}
    ]
    blocked = [Segment(0, 2, "我们的杨梅是全网最低价，加我微信下单")]
    assert check_segments(checker, blocked, warnings=[warning]).report.verdict == "block"
    human = render_report(harmless[0].text, report, "clip.wav", colour=False)
    assert "结论 verdict: 需复核 review" in human
    assert f"警告 warning [asr_digit_string]: {warning.message}（1 段，占语音 100%" in human
    assert "But the transcript is unreliable" in human


# --- the policy file -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda r: r["messages"].pop("digit_string"), "messages.digit_string"),
        (lambda r: r["messages"].update(low_confidence="置信度低"), "messages.low_confidence"),
        (lambda r: r.update(min_confidence=1.5), "min_confidence"),
        (lambda r: r.update(min_han_share=0), "min_han_share"),
        (lambda r: r.update(threshold=0.5), "threshold"),
    ],
)
def test_a_broken_reliability_policy_is_refused_naming_the_field(tmp_path, change, field):
    data = yaml.safe_load((data_dir("models") / "asr.yaml").read_text(encoding="utf-8"))
    change(data["reliability"])
    path = tmp_path / "asr.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(LexiconError, match=rf"asr\.yaml: reliability: {field}"):
        AsrPolicy.load(path)


def test_a_broken_decoding_option_is_refused_naming_file_and_field(tmp_path):
    data = yaml.safe_load((data_dir("models") / "asr.yaml").read_text(encoding="utf-8"))
    data["decode"]["live"]["beam_size"] = 0
    data["vad"]["threshold_db"] = -30
    path = tmp_path / "asr.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(LexiconError) as refused:
        AsrPolicy.load(path)
    assert refused.value.problems == [
        f"{path}: decode.live.beam_size: 须不小于 1 / "
        "'decode.live.beam_size' must be at least 1, not 0",
        f"{path}: vad.threshold_db: 未知键 / unknown key 'vad.threshold_db'",
    ]


# --- real speech through a media job, the stored stream and its page -------------------------------


@pytest.fixture(scope="module")
def garbled_clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("garbled") / "garbled.wav"
    speak(GARBLED_SCRIPT, path, voice="cmn")
    return path


@pytest.fixture(scope="module")
def store(tmp_path_factory, checker, transcriber, garbled_clip):
    """The garbled and the clear clip uploaded as media jobs, and the garbled one pushed to a live
    monitor, into a real store: one transcription each."""
    folder = tmp_path_factory.mktemp("reliability")
    path = folder / "q.db"
    db = open_db(path)
    add_anchor(db, "A-1", "王小明")
    key_id, _ = create_key(db, "platform", label="test")
    results = {}
    for stream, clip in (("S-garbled", garbled_clip), ("S-clear", AUDIO / CLEAR_CLIP)):
        enqueue(
            db,
            owner_key_id=key_id,
            file_path=str(clip),
            file_name=clip.name,
            size_bytes=clip.stat().st_size,
            anchor_id="A-1",
            stream_id=stream,
        )
        results[stream] = run_job(
            db,
            claim_next(db),
            checker=checker,
            transcriber=transcriber,
            max_media_bytes=10**9,
            default_profile="default",
        )
    live = StreamMonitor(checker, transcriber)
    results["S-live"] = [*live.push_audio(decode_file(garbled_clip, 10**9)), *live.flush()]
    for result in results["S-live"]:  # as `qinglang watch --stream S-live` records them
        record_check(
            db,
            result.report,
            result.text,
            anchor_id="A-1",
            stream_id="S-live",
            source="live",
            segments=result.segments,
        )
    yield {"path": path, "files": folder / "files", "db": db, "results": results}
    db.conn.close()


def _stored(db, stream: str) -> list[dict]:
    return list(
        db.query(
            "SELECT confidence, issues FROM segments WHERE stream_id = ? ORDER BY seq", [stream]
        )
    )


def test_garbled_upload_is_reported_unreliable_not_passed(store):
    result = store["results"]["S-garbled"]
    assert not result["hits"] and result["verdict"] == "review"
    assert result["warnings"], result["segments"]
    for warning in result["warnings"]:
        assert warning["code"] in CODES and " / " in warning["message"]
        assert warning["share"] >= POLICY.min_warning_share
    assert any(s["issues"] for s in result["segments"])
    stored = _stored(store["db"], "S-garbled")
    assert [json.loads(s["issues"]) for s in stored] == [s["issues"] for s in result["segments"]]
    assert [round(s["confidence"], 3) for s in stored] == [
        s["confidence"] for s in result["segments"]
    ]


def test_garbled_live_speech_is_marked_low_confidence(store):
    results = store["results"]["S-live"]
    assert results, "the live monitor recognised nothing"
    for result in results:
        assert result.report.verdict == "review" and result.report.warnings
    segments = [s for result in results for s in result.segments]
    assert any("low_confidence" in s.issues for s in segments), segments
    stored = _stored(store["db"], "S-live")
    assert [json.loads(s["issues"]) for s in stored] == [list(s.issues) for s in segments]


def test_clear_mandarin_stays_reliable(store):
    result = store["results"]["S-clear"]
    assert result["verdict"] == "pass" and result["warnings"] == []
    assert "体验" in "".join(s["text"] for s in result["segments"])
    for segment in _stored(store["db"], "S-clear"):
        assert segment["confidence"] >= POLICY.min_confidence and segment["issues"] == "[]"


def test_stream_page_marks_low_confidence_segments(browser, store):
    db = store["db"]
    _, key = create_key(db, "regulator", label="张科长")
    doubtful = [json.loads(s["issues"]) for s in _stored(db, "S-live")]
    assert any("low_confidence" in issues for issues in doubtful)
    settings = Settings(db=str(store["path"]), data_dir=str(store["files"]))
    app = create_app(store["path"], settings)
    with running(app) as base:
        page = open_page(browser, {"base": base}, key)
        page.goto("/ui/streams/S-live")
        expect(page.locator("#asr-warning")).to_contain_text("判断前请听录音")
        marked = page.locator("#transcript li.seg-doubtful")
        expect(marked).to_have_count(sum(1 for issues in doubtful if issues))
        low = page.locator("#transcript li.issue-low_confidence")
        expect(low).to_have_count(sum(1 for issues in doubtful if "low_confidence" in issues))
        expect(low.first.locator(".asr-issue").first).to_have_text("低置信度 low confidence")
        review = page.locator('#summary .verdict[data-verdict="review"]')
        expect(review).to_have_text(re.compile(rf"\s{sum(1 for issues in doubtful if issues)}$"))
        shot(page, "stream-low-confidence")
        page.goto("/ui/streams/S-clear")
        expect(page.locator("#transcript li.seg")).not_to_have_count(0)
        expect(page.locator("#transcript li.seg-doubtful")).to_have_count(0)
        expect(page.locator("#asr-warning")).to_have_count(0)


def test_check_cli_warns_and_exits_1_for_garbled_speech(garbled_clip):
    result = subprocess.run(
        [sys.executable, "-m", "monitor.cli.main", "check", str(garbled_clip), "--color", "never"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 1, result.stderr
    assert "结论 verdict: 需复核 review" in result.stdout
    assert "警告 warning [asr_" in result.stdout and "listen to the recording" in result.stdout
