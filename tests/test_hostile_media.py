"""A long recording cannot exhaust the service: its duration is read from the container's header
and refused past QINGLANG_MEDIA_MAX_SECONDS before anything is decoded; an allowed one is decoded
and recognised one bounded window at a time; a job that keeps failing is failed, not resumed at
every restart. The recordings are hours of silence made here with ffmpeg: long, yet small."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from speech_audio import silent_flac

from monitor.errors import InputTooLarge
from monitor.sources.audio_windows import WindowRules, quiet_cut, recording_windows, windows
from monitor.sources.media import SAMPLE_RATE, check_recording
from monitor.store.api_keys import create_key
from monitor.store.db import open_db
from monitor.store.jobs import (
    claim_next,
    enqueue,
    get_job,
    release,
    requeue_interrupted,
    retry_or_fail,
)
from monitor.store.registry import add_anchor, add_workshop

HOUR = 3600


@pytest.fixture(scope="module")
def hour_of_silence(tmp_path_factory):
    return silent_flac(tmp_path_factory.mktemp("long") / "hour.flac", HOUR)


# --- windows --------------------------------------------------------------------------------------


def test_a_window_ends_at_the_quietest_moment_of_its_last_seconds():
    tone = 0.5 * np.sin(np.arange(10 * SAMPLE_RATE) * 2 * np.pi * 440 / SAMPLE_RATE)
    tone[int(7.5 * SAMPLE_RATE) : int(8.0 * SAMPLE_RATE)] = 0  # a pause from 7.5 s to 8 s
    cut = quiet_cut(tone.astype(np.float32), WindowRules(search_s=4, quiet_s=0.25))
    assert 7.5 * SAMPLE_RATE < cut <= 8.0 * SAMPLE_RATE


def test_windows_cover_the_recording_in_order_and_none_is_longer_than_the_rule():
    rng = np.random.default_rng(7)
    audio = rng.standard_normal(95 * SAMPLE_RATE).astype(np.float32)
    blocks = np.array_split(audio, 400)
    rules = WindowRules(window_s=20, search_s=5)
    cut = list(windows(blocks, rules))
    assert all(len(w.samples) <= 20 * SAMPLE_RATE for w in cut)
    assert [round(w.start * SAMPLE_RATE) for w in cut] == list(
        np.cumsum([0] + [len(w.samples) for w in cut[:-1]])
    )
    assert np.array_equal(np.concatenate([w.samples for w in cut]), audio)


# --- the duration limit -------------------------------------------------------------------------


def test_a_recording_longer_than_the_limit_is_refused_from_its_header(hour_of_silence):
    with pytest.raises(InputTooLarge, match="1:00:00 超过 0:30:00 上限") as caught:
        check_recording(hour_of_silence, 10**9, max_seconds=1800)
    assert caught.value.detail["duration_s"] == HOUR
    assert check_recording(hour_of_silence, 10**9, max_seconds=2 * HOUR) == HOUR


def test_decoding_stops_at_the_limit_when_the_header_is_not_believed(hour_of_silence):
    """The header's duration is checked first; the decoded length is counted as well."""
    decoded = []
    with pytest.raises(InputTooLarge, match="QINGLANG_MEDIA_MAX_SECONDS"):
        for window in recording_windows(hour_of_silence, 600, WindowRules(window_s=300)):
            decoded.append(len(window.samples) / SAMPLE_RATE)
    assert sum(decoded) <= 600


def test_the_cli_refuses_a_recording_over_the_limit_in_one_line(hour_of_silence):
    for command in ("transcribe", "check"):
        result = subprocess.run(
            [sys.executable, "-m", "monitor.cli.main", command, str(hour_of_silence)],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "QINGLANG_MEDIA_MAX_SECONDS": "1800"},
        )  # fmt: skip
        assert result.returncode == 2, result.stderr
        assert "1:00:00" in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


# VmHWM, the peak of this process's own memory map (new at exec); not getrusage's ru_maxrss, which
# Linux carries over from the process that forked it (a test worker of 1.7 GB with the models).
PEAK_RSS = """
import json, re, sys
from monitor.store.api_keys import create_key
from monitor.sources.audio_windows import recording_windows
seconds = sum(len(w.samples) for w in recording_windows(sys.argv[1], 10**6)) / 16000
with open("/proc/self/status") as status:
    peak_kb = int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1))
print(json.dumps({"seconds": seconds, "peak_mb": peak_kb / 1024}))
"""


def test_an_hour_is_decoded_in_bounded_memory(hour_of_silence):
    """An hour of 16 kHz float32 is 230 MB, held whole (and copied once) it was about 500 MB at
    peak. In windows of 300 s (19 MB) the decoding process stays near its start-up size, whatever
    the length: 250 MB is a generous bound for Python, NumPy and PyAV plus one window."""
    result = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, str(hour_of_silence)],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    measured = json.loads(result.stdout)
    print(f"decoded {measured['seconds']:.0f} s at a peak RSS of {measured['peak_mb']:.0f} MB")
    assert measured["seconds"] == HOUR
    assert measured["peak_mb"] < 250


# --- speech recognised window by window ---------------------------------------------------------


def test_claims_are_found_at_their_second_when_read_in_short_windows(
    transcriber_en, checker, claims_audio
):
    from monitor.checking.timed_check import check_segments

    path, spans = claims_audio
    rules = WindowRules(window_s=6, search_s=3)
    transcript = transcriber_en.transcribe_file(path, 10**9, rules=rules)
    assert transcript.duration == pytest.approx(spans[-1][1] + 1.0, abs=0.1)
    report = check_segments(checker, transcript.segments).report
    pressure = next(hit for hit in report.hits if hit.rule == "en-lowersbloodpressure")
    assert spans[3][0] - 0.3 <= pressure.time_start < pressure.time_end <= spans[3][1] + 0.5
    starts = [segment.start for segment in transcript.segments]
    assert starts == sorted(starts)


# --- jobs that keep failing ---------------------------------------------------------------------


@pytest.fixture
def job_store(tmp_path):
    db = open_db(tmp_path / "q.db")
    add_workshop(db, "W1", "工坊", "余姚市")
    add_anchor(db, "A1", "主播", "W1")
    key_id = create_key(db, "platform", actor="test")[0]
    job, _ = enqueue(
        db, owner_key_id=key_id, file_path="/nowhere.flac", file_name="a.flac", size_bytes=1
    )
    return db, job["id"]


def test_a_job_interrupted_twice_is_failed_at_restart_not_queued_again(job_store):
    db, job_id = job_store
    claim_next(db)  # first attempt: the process is killed
    assert requeue_interrupted(db) == ([job_id], [])
    claim_next(db)  # second attempt: killed again
    assert requeue_interrupted(db) == ([], [job_id])
    job = get_job(db, job_id)
    assert job["status"] == "failed" and job["attempts"] == 2
    assert "处理中断 2 次" in job["error"] and "not tried again" in job["error"]
    assert claim_next(db) is None


def test_a_clean_stop_is_not_counted_as_an_attempt(job_store):
    db, job_id = job_store
    claim_next(db)
    release(db, job_id)  # the service stopped cleanly mid-job
    claim_next(db)
    assert requeue_interrupted(db) == ([job_id], [])


def test_an_internal_error_is_tried_once_more_then_fails_with_the_count(job_store):
    db, job_id = job_store
    assert retry_or_fail(db, claim_next(db), "内部错误 / internal error") is True
    assert get_job(db, job_id)["status"] == "queued"
    assert retry_or_fail(db, claim_next(db), "内部错误 / internal error") is False
    job = get_job(db, job_id)
    assert job["status"] == "failed" and "after 2 attempts" in job["error"]
