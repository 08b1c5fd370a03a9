"""Running one media job: transcribe the stored recording (reporting progress and an ETA into the
job row), check the timed transcript, and, when the job names an anchor and a stream, record the
stream's segments and flags and point the stream at the recording so that a reviewer can play
it from the flagged second.

The second half, `complete_job` (check, record, done), is also where a transcript posted by a
worker on another machine ends (issue 15): the API node checks whoever transcribed.

What the job recorded is stored in bounded batches (`recording.record_check`), then the stream's
recording and the job's being done are committed together; recording is idempotent, so a job run
again after a crash between the two adds nothing twice, and a long transcript never holds the
writer for seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import sqlite_utils

from monitor.checking.checker import Checker
from monitor.checking.detectors.fact_rules import ProductFacts
from monitor.checking.timed_check import check_segments
from monitor.errors import InputError
from monitor.sources.segments import Transcript
from monitor.speech.transcriber import Transcriber
from monitor.store.db import transaction
from monitor.store.flag_store import record_check, set_media_path
from monitor.store.jobs import files_in_use, finish, report_progress
from monitor.store.registry import get_product
from monitor.vocabulary import MEDIA_MAX_SECONDS

PROGRESS_EVERY_S = 0.5  # the job row is written at most this often while transcribing
# Demuxers of recordings. Playlists and other formats that open further files or addresses
# (hls, concat, …) are not among them: an upload must not make the service read anything else.
RECORDING_FORMATS = frozenset(
    [
        "wav",
        "w64",
        "mp3",
        "mov",
        "mp4",
        "m4a",
        "3gp",
        "3g2",
        "mj2",
        "ogg",
        "matroska",
        "webm",
        "flac",
        "aac",
        "asf",
        "avi",
        "amr",
        "amrnb",
        "amrwb",
        "flv",
        "mpegts",
        "mpeg",
        "aiff",
        "caf",
        "au",
    ]
)
_PLAYLIST_HEADS = (b"#EXTM3U", b"ffconcat", b"#EXT")


class UnsupportedMedia(InputError):
    """Not a recording the service reads (an audio or video file)."""


class JobStopped(Exception):
    """The service is stopping: the job is put back in the queue, not failed."""


def probe_recording(path: str | Path) -> float | None:
    """The duration (seconds, None if the container does not say) of an audio or video file;
    UnsupportedMedia if it is not one. Whether it has an audio track is the job's to find."""
    with open(path, "rb") as handle:
        head = handle.read(16).lstrip(b"\xef\xbb\xbf")
    if head.startswith(_PLAYLIST_HEADS):
        raise UnsupportedMedia("播放列表不能上传 / a playlist is not a recording; upload the media")
    try:
        with av.open(str(path), options={"protocol_whitelist": "file"}) as container:
            names = set(container.format.name.split(","))
            if not names & RECORDING_FORMATS or not (
                container.streams.audio or container.streams.video
            ):
                raise UnsupportedMedia(
                    f"不是音视频文件 / not an audio or video recording ({container.format.name})"
                )
            return container.duration / 1_000_000 if container.duration else None
    except av.FFmpegError:
        raise UnsupportedMedia("不是音视频文件 / not an audio or video file") from None


def run_job(
    db: sqlite_utils.Database,
    job: dict[str, Any],
    *,
    checker: Checker,
    transcriber: Transcriber,
    max_media_bytes: int,
    default_profile: str,
    max_media_seconds: float = MEDIA_MAX_SECONDS,
    should_stop: Callable[[], bool] = lambda: False,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """The job's result (timed report, language, duration, flag ids), stored as done. Raises
    InputError for a recording that cannot be decoded (the caller fails the job)."""
    began = clock()
    written = [began]

    def progress(done: float, total: float) -> None:
        if should_stop():
            raise JobStopped
        now = clock()
        if total <= 0 or now - written[0] < PROGRESS_EVERY_S:
            return
        written[0] = now
        fraction = min(1.0, done / total)
        eta = (now - began) * (1 - fraction) / fraction if fraction > 0 else None
        report_progress(db, job["id"], fraction, eta)

    transcript = transcriber.transcribe_file(
        job["file_path"], max_media_bytes, progress, max_seconds=max_media_seconds
    )
    return complete_job(db, job, transcript, checker=checker, default_profile=default_profile)


def complete_job(
    db: sqlite_utils.Database,
    job: dict[str, Any],
    transcript: Transcript,
    *,
    checker: Checker,
    default_profile: str,
) -> dict[str, Any]:
    """Check a running job's timed transcript with its profile, product class and product facts,
    record its segments and flags when it names an anchor and a stream (pointing the stream at the
    recording), and mark it done; its result. The in-process job and a worker's posted transcript
    (issue 15) both end here, so the check is the API node's whoever transcribed."""
    facts, product_class = None, job["product_class"]
    if job["product_id"]:
        product = get_product(db, job["product_id"])
        facts = ProductFacts.from_record(product)
        product_class = product_class or product["product_class"]
    timed = check_segments(
        checker,
        transcript.segments,
        profile=job["profile"] or default_profile,
        product_class=product_class,
        facts=facts,
        warnings=transcript.warnings,
    )
    result = {
        **timed.to_dict(),
        "language": transcript.language,
        "duration": round(transcript.duration, 3),
        "flag_ids": [],
    }
    recorded = bool(job["anchor_id"] and job["stream_id"])
    if recorded:  # in bounded batches, idempotent: a rerun after a crash adds nothing twice
        result["flag_ids"] = record_check(
            db,
            timed.report,
            timed.timed.text,
            anchor_id=job["anchor_id"],
            stream_id=job["stream_id"],
            product_id=job["product_id"],
            source=f"upload:{job['file_name']}",
            segments=transcript.segments,
        )
    with transaction(db):
        if recorded:
            set_media_path(db, job["stream_id"], job["file_path"])
        finish(db, job["id"], result)
    return result


def failure_message(message: str, job: dict[str, Any]) -> str:
    """A failure names the upload by the name its client gave, never by the server's path."""
    return message.replace(job["file_path"], job.get("file_name") or "上传文件 upload")


def discard_upload(db: sqlite_utils.Database, job: dict[str, Any]) -> None:
    """Delete a finished job's stored upload unless a stream plays it (the review UI does)."""
    if job["file_path"] not in files_in_use(db):
        Path(job["file_path"]).unlink(missing_ok=True)
