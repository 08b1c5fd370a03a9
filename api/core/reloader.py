"""Lexicons, classifier and credit policy reloaded without a restart.

A reload builds a whole new `Services` (checker compiled, policy validated) beside the one
serving; only when it has loaded does it replace `app.state.services`, in one assignment, so
requests in flight finish on the old version and a broken file never takes the service down.
Triggered by `POST /v1/admin/reload` or, with QINGLANG_RELOAD_WATCH, by a change of the files.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI

from api.core.context import Services
from monitor.checking.checker import Checker, default_checker
from monitor.credit.policy import default_policy_path, load_policy
from monitor.data_files import data_dir
from monitor.errors import QinglangError
from monitor.settings import Settings
from monitor.store import audit
from monitor.store.db import now_iso

logger = logging.getLogger("qinglang")


def build_services(db_path: Path, settings: Settings, fresh: bool = False) -> Services:
    """Checker and credit policy for `settings`; `fresh` compiles anew instead of reusing the
    process-wide default checker."""
    policy = load_policy(Path(settings.credit_policy) if settings.credit_policy else None)
    if not fresh and not (settings.lexicons or settings.model_dir) and settings.classifier:
        checker = default_checker()
    else:
        checker = Checker.from_files(
            settings.extra_lexicon_files(),
            model_folder=settings.model_folder(),
            use_classifier=settings.classifier,
        )
    return Services(Path(db_path), settings, checker, policy)


def watched_files(settings: Settings) -> list[Path]:
    """Every file a reload reads: the lexicon folder, extra lexicons, the classifier's folder
    (when the classifier is on) and the credit policy."""
    found = sorted(p for p in data_dir("lexicons").glob("*.yaml"))
    found += settings.extra_lexicon_files()
    if settings.classifier:
        models = settings.model_folder() or data_dir("models")
        found += sorted(p for p in models.iterdir() if p.is_file())
    found.append(Path(settings.credit_policy) if settings.credit_policy else default_policy_path())
    return found


def fingerprint(paths: list[Path]) -> str:
    """A digest of the files' contents (a missing file counts as such)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path).encode())
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<missing>")
    return digest.hexdigest()[:16]


def stat_signature(paths: list[Path]) -> tuple:
    """Size and modification time of each file: cheap enough to poll every few seconds."""
    signature = []
    for path in paths:
        try:
            info = path.stat()
            signature.append((str(path), info.st_size, info.st_mtime_ns))
        except OSError:
            signature.append((str(path), -1, -1))
    return tuple(signature)


class ReloadFailed(Exception):
    pass


@dataclass
class ReloadStatus:
    version: str
    loaded_at: str
    policy_version: str
    reloads: int = 0
    last_error: str = ""
    last_error_at: str = ""
    history: list[dict] = field(default_factory=list)


class Reloader:
    """Swaps the app's services for freshly loaded ones, one reload at a time."""

    def __init__(self, app: FastAPI):
        self.app = app
        self._lock = threading.Lock()
        services: Services = app.state.services
        self.status = ReloadStatus(
            version=fingerprint(watched_files(services.settings)),
            loaded_at=now_iso(),
            policy_version=services.policy.version,
        )

    def current_fingerprint(self) -> str:
        return fingerprint(watched_files(self.app.state.services.settings))

    def current_signature(self) -> tuple:
        return stat_signature(watched_files(self.app.state.services.settings))

    def reload(self, actor: str, trigger: str) -> ReloadStatus:
        """Load everything anew and swap it in; on failure keep serving the old version and
        raise ReloadFailed naming the problem."""
        with self._lock:
            old: Services = self.app.state.services
            version = self.current_fingerprint()
            try:
                new = build_services(old.db_path, old.settings, fresh=True)
            except (QinglangError, OSError, ValueError) as exc:
                self.status.last_error = str(exc)
                self.status.last_error_at = now_iso()
                logger.error(
                    "reload (%s) of %s failed, still serving %s: %s",
                    trigger,
                    version,
                    self.status.version,
                    exc,
                )
                raise ReloadFailed(str(exc)) from None
            self.app.state.services = new
            previous = self.status.version
            self.status.version = version
            self.status.loaded_at = now_iso()
            self.status.policy_version = new.policy.version
            self.status.reloads += 1
            self.status.last_error = ""
            entry = {
                "from": previous,
                "to": version,
                "policy_version": new.policy.version,
                "trigger": trigger,
            }
            self.status.history = [
                *self.status.history[-9:],
                {"at": self.status.loaded_at, **entry},
            ]
            db = old.connect()
            try:
                audit.append(db, actor, "service.reload", "service", entry)
            finally:
                db.conn.close()
            return self.status
