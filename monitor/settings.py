"""The one typed settings object: defaults, overridden by QINGLANG_* environment variables."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from monitor.live.room_quotas import RoomQuotas
from monitor.review.evidence_files import EvidenceLimits
from monitor.sources.docx_input import DocxLimits
from monitor.sources.text_input import MAX_TEXT_BYTES
from monitor.vocabulary import MEDIA_MAX_SECONDS


class Settings(BaseSettings):
    """Every setting is documented in README.md (a test fails when one is not)."""

    model_config = SettingsConfigDict(env_prefix="QINGLANG_")

    timezone: str = "Asia/Shanghai"
    """Time zone every page shows times in (stored times are UTC), an IANA name."""
    lexicons: str = ""
    """Extra lexicon files (entries, whitelist, profiles), separated by ':' (';' on Windows)."""
    profile: str = "default"
    """Lexicon profile used when a check names none."""
    max_text_bytes: int = MAX_TEXT_BYTES
    """Largest script or text accepted by `qinglang check`, in bytes."""
    docx_max_entries: int = DocxLimits.max_entries
    """Most files in a .docx script's zip (413 above it)."""
    docx_max_expanded_mib: float = DocxLimits.max_expanded_mib
    """A .docx script's files expanded together, in MiB (413 above it, before it is parsed)."""
    docx_max_ratio: float = DocxLimits.max_ratio
    """Largest compression ratio of one file of 1 MiB or more in a .docx (413 above it)."""
    classifier: bool = True
    """Run the 虚假宣传 classifier after the lexicon (false: lexicon only)."""
    model_dir: str = ""
    """Folder of the classifier artefact and policy (default: the shipped models/)."""
    checker_cache: bool = True
    """Keep the compiled lexicon between CLI commands, in $XDG_CACHE_HOME/qinglang/checkers."""

    asr_model: str = "base-offline"
    """Speech model: `base-offline` (shipped Whisper base), a folder, or a faster-whisper name."""
    asr_device: str = "cpu"
    """Where speech recognition runs: `cpu`, `cuda` or `auto`."""
    asr_compute_type: str = "int8"
    """CTranslate2 compute type: `int8` on CPU; `float16` or `int8_float16` on a GPU."""
    asr_threads: int = 0
    """CPU threads per recognition (0: CTranslate2's default)."""
    asr_language: str = "zh"
    """Spoken language (`auto` to detect)."""
    asr_cache_dir: str = ""
    """Where the offline model is assembled (default: $XDG_CACHE_HOME/qinglang or ~/.cache/qinglang)."""
    max_media_bytes: int = 2 * 1024**3
    """Largest audio/video file accepted by `check` and `transcribe`, in bytes."""
    media_max_seconds: float = MEDIA_MAX_SECONDS
    """Longest recording transcribed, in seconds: read from its header before decoding (413)."""
    watch_allow: str = ""
    """Non-public stream addresses `watch` and live rooms may reach at any hop: IPs, networks or
    host names, each optionally with one port (`10.0.0.5:8080`, `[fd00::5]:443`), comma-separated."""

    db: str = "qinglang.db"
    """The SQLite database (store of anchors, flags, decisions, credit, audit log)."""
    db_busy_timeout_seconds: float = 10.0
    """How long a write waits for another to finish before it is refused (503 / exit 2), in seconds."""
    actor: str = ""
    """Who is acting, written to the audit log (default: the login name)."""
    credit_policy: str = ""
    """Credit policy file (default: the shipped monitor/policies/credit.yaml)."""
    review_undo_minutes: float = 10.0
    """How long the reviewer who decided a flag may undo the decision, in minutes (0: never)."""

    def undo_window(self) -> timedelta:
        return timedelta(minutes=max(self.review_undo_minutes, 0.0))

    api_host: str = "127.0.0.1"
    """Address `qinglang serve` listens on (0.0.0.0: every interface)."""
    api_port: int = 8000
    """Port `qinglang serve` listens on."""
    api_header_timeout_s: float = 10.0
    """Seconds a client has to send a request's line and headers (408 and closed after them)."""
    api_max_body_bytes: int = 32 * 1024**2
    """Largest HTTP request body the API accepts, in bytes (413 above it); uploads excepted."""
    api_max_upload_bytes: int = 512 * 1024**2
    """Largest audio/video upload the API accepts, in bytes (413 above it)."""
    api_rate_per_minute: int = 600
    """Requests per minute allowed to one API key (429 above it; 0: no limit)."""
    api_max_concurrent_checks: int = 8
    """Checks the service runs at once; further requests wait their turn (503 after 30 s)."""
    api_max_batch: int = 100
    """Most texts in one batch check."""
    api_max_check_chars: int = 20_000
    """Longest text one check request checks, in characters (about 1 s of CPU; 413 above it)."""
    api_max_batch_chars: int = 100_000
    """All texts of one batch check together, in characters (about 5 s of CPU; 413 above it)."""
    api_shutdown_seconds: float = 10.0
    """How long `qinglang serve` lets requests in flight finish at shutdown before it stops them."""
    data_dir: str = ""
    """Where the service keeps uploads, job files and appeal evidence (default: `<db>.files`)."""
    appeal_max_files: int = EvidenceLimits.max_files
    """Most evidence files (PDF, JPEG, PNG) one appeal carries."""
    appeal_max_file_mib: float = EvidenceLimits.max_file_mib
    """Largest evidence file of an appeal, in MiB (413 above it)."""
    appeal_max_total_mib: float = EvidenceLimits.max_total_mib
    """All evidence files of one appeal together, in MiB (413 above it)."""
    appeal_max_links: int = EvidenceLimits.max_links
    """Most evidence links one appeal carries."""
    live_max_rooms: int = 4
    """Live rooms transcribing audio at once (each needs about one core at real time)."""
    live_regulator_rooms: int = 1
    """Of `live_max_rooms`, rooms only regulator keys may take (other roles never fill them)."""
    live_rooms_per_anchor_key: int = 1
    """Active rooms one anchor key may hold (0: only the other limits)."""
    live_rooms_per_platform_key: int = 2
    """Active rooms one platform key may hold (0: only the other limits)."""
    live_rooms_per_regulator_key: int = 0
    """Active rooms one regulator key may hold (0: only the other limits)."""
    room_idle_seconds: float = 300.0
    """A live room with no input (pushed audio or captions, or audio from its URL) for this long
    stops with an idle-timeout event, in seconds (0: never)."""
    broker_url: str = ""
    """Redis for speech workers on other machines, e.g. `redis://10.0.0.5:6379/0` (docs/scaling.md).
    Unset: this process transcribes live rooms and media jobs itself, as on one machine. Set: rooms
    and jobs are queued for `qinglang worker` processes, and this process transcribes nothing
    unless `local_workers` is set."""
    local_workers: int = 0
    """With `broker_url`: worker processes the service starts beside itself (0: none)."""
    room_placement_seconds: float = 30.0
    """With `broker_url`: when a room has waited this long for a worker, new rooms are refused
    (503 with Retry-After) until the waiting rooms are placed, in seconds."""
    webhook_allow: str = ""
    """Non-public webhook addresses allowed (as QINGLANG_WATCH_ALLOW), e.g. for a local receiver."""
    credit_recompute_hours: float = 24.0
    """How often the service recomputes every anchor's credit (0: never; `credit recompute` by hand)."""
    reload_watch: bool = True
    """Reload lexicons and the credit policy when their files change (also POST /v1/admin/reload)."""

    ui_session_hours: float = 12.0
    """How long a web UI login lasts, in hours (logout or revoking the key ends it sooner)."""
    trusted_proxies: str = ""
    """Reverse proxies (IPs or networks, comma-separated) whose X-Forwarded-Proto is believed."""
    secure_cookies: bool = False
    """Always mark the web UI's cookies Secure (true behind TLS whatever the request says)."""

    def room_quotas(self) -> RoomQuotas:
        return RoomQuotas(
            total=self.live_max_rooms,
            per_key={
                "anchor": self.live_rooms_per_anchor_key,
                "platform": self.live_rooms_per_platform_key,
                "regulator": self.live_rooms_per_regulator_key,
            },
            regulator_reserved=self.live_regulator_rooms,
        )

    def files_dir(self) -> Path:
        """Folder for uploads and job files: `data_dir`, or `<db>.files` beside the database."""
        return Path(self.data_dir) if self.data_dir else Path(f"{self.db}.files")

    def evidence_limits(self) -> EvidenceLimits:
        return EvidenceLimits(
            max_files=self.appeal_max_files,
            max_file_mib=self.appeal_max_file_mib,
            max_total_mib=self.appeal_max_total_mib,
            max_links=self.appeal_max_links,
        )

    def docx_limits(self) -> DocxLimits:
        return DocxLimits(
            max_entries=self.docx_max_entries,
            max_expanded_mib=self.docx_max_expanded_mib,
            max_ratio=self.docx_max_ratio,
        )

    def model_folder(self) -> Path | None:
        return Path(self.model_dir) if self.model_dir else None

    def extra_lexicon_files(self) -> list[Path]:
        return [Path(p) for p in self.lexicons.split(os.pathsep) if p.strip()]
