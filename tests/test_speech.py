"""Speech to checked text with the shipped offline Whisper base model: real Mandarin recordings,
English speech made by espeak-ng with claims at known times, and bad media."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jiwer
import numpy as np
import pytest
from speech_audio import ffmpeg

from monitor.checking.timed_check import check_segments
from monitor.errors import InputError
from monitor.sources.media import SAMPLE_RATE, decode_bytes, decode_file
from monitor.speech.asr_model import (
    OFFLINE_MODEL,
    ModelUnavailable,
    offline_model_folder,
    resolve_model,
)
from monitor.speech.transcriber import AsrPolicy

AUDIO = Path(__file__).parent / "data" / "audio"
REFERENCES = json.loads((AUDIO / "references.json").read_text(encoding="utf-8"))
_NOT_HANZI = re.compile(r"[^\u4e00-\u9fff]")


def cer(reference: str, hypothesis: str) -> float:
    return jiwer.cer(_NOT_HANZI.sub("", reference), _NOT_HANZI.sub("", hypothesis))


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )


# --- the offline model -------------------------------------------------------------------------


def test_offline_model_is_joined_once_and_verified(tmp_path):
    folder = offline_model_folder(tmp_path)
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "config.json",
        "model.bin",
        "tokenizer.json",
        "verified.sha256",
        "vocabulary.json",
    ]
    assert (folder / "model.bin").stat().st_size == 145_217_607
    stamp = (folder / "model.bin").stat().st_mtime_ns
    assert offline_model_folder(tmp_path) == folder
    assert (folder / "model.bin").stat().st_mtime_ns == stamp  # not joined again
    assert resolve_model(OFFLINE_MODEL, tmp_path) == str(folder)


def test_a_damaged_cache_is_assembled_again(tmp_path):
    folder = offline_model_folder(tmp_path)
    with (folder / "model.bin").open("r+b") as handle:
        handle.truncate(1000)
    offline_model_folder(tmp_path)
    assert (folder / "model.bin").stat().st_size == 145_217_607


def test_model_names_and_folders(tmp_path):
    assert resolve_model("small") == "small"  # faster-whisper's own name: it fetches it itself
    with pytest.raises(ModelUnavailable, match=r"model\.bin"):
        resolve_model(str(tmp_path))
    with pytest.raises(ModelUnavailable, match="no such model folder"):
        resolve_model(str(tmp_path / "missing"))


# --- real Mandarin speech ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def mandarin(transcriber):
    return {name: transcriber.transcribe_file(AUDIO / name, 10**9) for name in REFERENCES}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_mandarin_clips_transcribe_close_to_their_reference(transcriber, mandarin, name):
    transcript = mandarin[name]
    text = "".join(s.text for s in transcript.segments)
    assert transcript.language == "zh"
    assert text == transcriber._simplified(text), "output is converted to simplified characters"
    # Whisper base is a small model: measured 0.05–0.17 on these clips (near-homophones).
    assert cer(REFERENCES[name], text) <= 0.35, text
    assert transcript.warnings == (), "clear Mandarin is a reliable transcript"
    for segment in transcript.segments:
        assert 0 <= segment.start < segment.end <= transcript.duration + 0.05
        assert [segment.text[w.char_start : w.char_end] for w in segment.words]
        assert (
            "".join(segment.text[w.char_start : w.char_end] for w in segment.words) == segment.text
        )
        assert segment.issues == () and segment.confidence >= 0.5, segment


def test_mandarin_clips_on_average(mandarin):
    rates = [
        cer(reference, "".join(s.text for s in mandarin[name].segments))
        for name, reference in REFERENCES.items()
    ]
    assert float(np.mean(rates)) <= 0.2, rates


def test_spontaneous_speech_is_cut_into_timed_segments_and_checked(transcriber, checker):
    transcript = transcriber.transcribe_file(AUDIO / "rapidasr_0478_00017.wav", 10**9)
    assert len(transcript.segments) >= 5
    starts = [s.start for s in transcript.segments]
    assert starts == sorted(starts)
    assert transcript.segments[-1].end > 20
    assert "配合" in transcript.segments[0].text
    # a talk about delisted shares: no sales claim, so nothing to flag
    timed = check_segments(checker, transcript.segments)
    assert timed.report.verdict == "pass" and timed.report.hits == (), timed.report.hits


# --- English speech with claims at known times -------------------------------------------------


def test_claims_in_speech_are_flagged_at_the_second_they_are_spoken(
    transcriber_en, checker, claims_audio
):
    path, spans = claims_audio
    transcript = transcriber_en.transcribe_file(path, 10**9)
    report = check_segments(checker, transcript.segments, warnings=transcript.warnings).report
    assert report.warnings == ()  # English speech, English expected: nothing doubtful
    by_rule = {hit.rule: hit for hit in report.hits}
    best, pressure = by_rule["en-bestintheworld"], by_rule["en-lowersbloodpressure"]
    # sentence 2 ("This tea is the best in the world.") and sentence 4 ("It lowers blood pressure…")
    assert spans[1][0] - 0.3 <= best.time_start < best.time_end <= spans[1][1] + 0.5
    assert spans[3][0] - 0.3 <= pressure.time_start < pressure.time_end <= spans[3][1] + 0.5
    assert report.verdict == "block"
    # nothing is flagged in the harmless sentences
    for hit in report.hits:
        assert not spans[0][0] <= hit.time_start <= spans[0][1]
        assert not spans[2][0] <= hit.time_start <= spans[2][1]


def test_check_cli_reports_times_for_a_video_file(tmp_path, claims_audio):
    path, spans = claims_audio
    video = tmp_path / "stream.mp4"
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "color=c=green:s=160x120:r=10",
        "-i",
        str(path),
        "-shortest",
        "-c:v",
        "libx264",
        "-c:a",
        "aac",
        str(video),
    )
    result = run_cli("check", str(video), "--json", "--language", "en")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["language"] == "en" and report["verdict"] == "block"
    hit = next(h for h in report["hits"] if h["rule"] == "en-bestintheworld")
    assert spans[1][0] - 0.3 <= hit["time_start"] <= hit["time_end"] <= spans[1][1] + 0.5
    joined = "\n".join(s["text"] for s in report["segments"])
    assert joined[hit["start"] : hit["end"]].lower() == "the best in the world"
    for segment in report["segments"]:
        assert joined[segment["offset"] :].startswith(segment["text"])
    human = run_cli("check", str(video), "--language", "en", "--color", "never")
    assert "「the best in the world」" in human.stdout
    assert re.search(r"00:0\d\.\d–00:\d\d\.\d 「the best in the world」", human.stdout)


def test_transcribe_cli_json(tmp_path):
    result = run_cli("transcribe", str(AUDIO / "funasr_asr_example.mp3"), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"language", "duration", "segments", "warnings"}
    assert data["language"] == "zh" and 5.4 < data["duration"] < 5.7
    assert set(data["segments"][0]) == {"start", "end", "text", "confidence", "issues"}
    assert data["warnings"] == [] and data["segments"][0]["issues"] == []
    assert (
        cer(REFERENCES["funasr_asr_example.mp3"], "".join(s["text"] for s in data["segments"]))
        <= 0.35
    )
    plain = run_cli("transcribe", str(AUDIO / "funasr_asr_example.mp3"))
    assert re.search(r"\[00:00\.\d → 00:0\d\.\d\] 欢迎大家", plain.stdout)


def test_progress_bar_on_request(tmp_path):
    result = run_cli("transcribe", str(AUDIO / "masr_test.wav"), "--progress")
    assert result.returncode == 0
    assert "转写 transcribing" in result.stderr and "8.4/8.4" in result.stderr


# --- Whisper's failure modes -------------------------------------------------------------------


def test_silence_and_noise_give_no_text(transcriber, tmp_path):
    silence = np.zeros(SAMPLE_RATE * 20, dtype=np.float32)
    assert transcriber.transcribe(silence).segments == ()
    noise = np.random.default_rng(7).normal(0, 0.02, SAMPLE_RATE * 20).astype(np.float32)
    assert transcriber.transcribe(noise).segments == ()
    music = tmp_path / "music.wav"
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:duration=15",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=660:duration=15",
        "-filter_complex",
        "amix=inputs=2",
        str(music),
    )
    assert transcriber.transcribe_file(music, 10**9).segments == ()


def test_known_hallucinations_and_repeats_are_dropped(transcriber):
    from faster_whisper.transcribe import Segment as RawSegment
    from faster_whisper.transcribe import Word as RawWord

    def raw(start, text):
        words = [
            RawWord(start + i * 0.2, start + i * 0.2 + 0.2, ch, 0.9) for i, ch in enumerate(text)
        ]
        return RawSegment(
            0, 0, start, start + len(text) * 0.2, text, [], -0.2, 1.2, 0.1, words, 0.0
        )

    kept = transcriber.clean(
        [
            raw(0, "家人们晚上好"),
            raw(2, "家人们晚上好"),
            raw(4, "請不吝點贊訂閱轉發打賞支持明鏡與點點欄目"),
            raw(8, "字幕由Amara.org社区提供"),
            raw(10, "今天的杨梅很新鲜"),
            raw(12, "家人们晚上好"),
        ],
        offset=100.0,
        duration=20.0,
        progress=None,
    )
    assert [s.text for s in kept] == ["家人们晚上好", "今天的杨梅很新鲜", "家人们晚上好"]
    assert kept[1].start == 110.0 and kept[1].words[0].start == 110.0


def test_hallucination_policy_is_data():
    policy = AsrPolicy.load()
    assert policy.decode["live"]["condition_on_previous_text"] is False
    assert policy.is_hallucination("Thanks for watching!")
    assert policy.is_hallucination("  。 ")
    assert not policy.is_hallucination("谢谢大家的支持，今天的杨梅九块九")


# --- bad media ---------------------------------------------------------------------------------


def test_bad_media_gets_clear_errors(tmp_path, claims_audio):
    text = tmp_path / "notes.mp3"
    text.write_text("这不是音频 not audio")
    with pytest.raises(InputError, match="not a readable audio or video"):
        decode_file(text, 10**9)
    good = tmp_path / "good.mp4"
    ffmpeg("-i", str(claims_audio[0]), "-c:a", "aac", str(good))
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(InputError, match=r"truncated\.mp4"):
        decode_file(truncated, 10**9)
    silent_video = tmp_path / "silent.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=blue:s=64x64:d=1", str(silent_video))
    with pytest.raises(InputError, match="no audio track"):
        decode_file(silent_video, 10**9)
    with pytest.raises(InputError, match="more than the limit"):
        decode_file(good, 1000)
    with pytest.raises(InputError, match="no such file"):
        decode_file(tmp_path / "missing.wav", 10**9)
    assert decode_bytes((tmp_path / "good.mp4").read_bytes(), "chunk").size > SAMPLE_RATE


def test_cli_bad_media_exit_2_without_traceback(tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    for command in (
        ["transcribe", str(bad)],
        ["check", str(bad)],
        ["transcribe", str(tmp_path / "nope.wav")],
    ):
        result = run_cli(*command)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith("qinglang: 错误 error:")
    missing_model = run_cli(
        "transcribe", str(AUDIO / "masr_test.wav"), "--model", str(tmp_path / "none")
    )
    assert missing_model.returncode == 2 and "no such model folder" in missing_model.stderr
