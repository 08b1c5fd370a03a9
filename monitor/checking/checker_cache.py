"""The compiled lexicon checker kept on disk between commands, so that `qinglang check` of one
script loads it in a fraction of a second instead of rebuilding the normalisation tables, automata
and pinyin forms (seconds) on every start.

A cache file is named by a hash of everything the build reads: qinglang's own source, every file
of the lexicon folder, the users' lexicon files, and the Python and libraries that make the tables.
A missing, stale or unreadable file is rebuilt, so the cache never changes what a check finds.
The CLI uses it; the service builds its checker once per process and needs none.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from monitor.checking.checker import Checker
from monitor.checking.detectors.registry import names
from monitor.data_files import data_dir, user_cache_dir

FORMAT = 1  # raised when what is pickled changes in a way the source hash would not show
KEEP = 8  # cache files kept in the folder; older ones (other versions, other lexicons) go
# Libraries whose data ends up in the compiled checker (character tables, pinyin, automata).
_LIBRARIES = ("ahocorasick_rs", "jieba", "numpy", "opencc", "pydantic", "pypinyin", "yaml")
_PACKAGE = Path(__file__).resolve().parents[1]  # the whole monitor package

logger = logging.getLogger("qinglang")


def cache_folder() -> Path:
    return user_cache_dir() / "checkers"


def cached_lexicon_checker(
    extra_lexicons: Sequence[Path] = (), folder: Path | None = None
) -> Checker:
    """The lexicon-only checker of `Checker.from_files(extra_lexicons, use_classifier=False)`,
    loaded from the cache `folder` when it holds one built from the same files, else built and
    stored there."""
    folder = folder or cache_folder()
    path = folder / f"lexicon-{build_key(extra_lexicons)}.pickle"
    checker = _load(path)
    if checker is None:
        checker = Checker.from_files(extra_lexicons, use_classifier=False)
        _store(checker, path)
    return checker


def build_key(extra_lexicons: Sequence[Path]) -> str:
    """A hash of the inputs of the build: the format, Python, the libraries, the registered
    detectors, qinglang's source, the shipped lexicon folder and the users' lexicon files."""
    digest = hashlib.sha256(f"{FORMAT}\n{sys.version}\n{' '.join(names())}\n".encode())
    for name in _LIBRARIES:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec and spec.origin else ""
        stamp = os.stat(origin) if origin else None
        digest.update(
            f"{name} {origin} {stamp and stamp.st_mtime_ns} {stamp and stamp.st_size}\n".encode()
        )
    for path in [*shipped_inputs(), *map(Path, extra_lexicons)]:
        digest.update(f"{path.resolve()}\n".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def shipped_inputs() -> list[Path]:
    """Every shipped file a build reads: qinglang's source and the whole lexicon folder, its
    subfolders included (products/*.yaml)."""
    lexicons = data_dir("lexicons")
    files = sorted(p for p in lexicons.rglob("*") if p.is_file())
    return sorted(_PACKAGE.rglob("*.py")) + files


def _load(path: Path) -> Checker | None:
    try:
        with path.open("rb") as stream:
            checker = pickle.load(stream)
    except FileNotFoundError:
        return None
    except Exception as exc:  # a truncated or foreign file: unpickling can fail in many ways
        logger.warning("rebuilding the lexicon cache %s (%s)", path, exc)
        return None
    return checker if isinstance(checker, Checker) else None


def _store(checker: Checker, path: Path) -> None:
    """Write the file atomically (another command may be reading the folder) and keep the newest
    `KEEP` files; a folder that cannot be written only costs the next command the build."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, staging = tempfile.mkstemp(dir=path.parent, prefix=".lexicon-", suffix=".tmp")
    except OSError as exc:
        logger.warning("cannot keep the lexicon cache in %s (%s)", path.parent, exc)
        return
    try:
        with os.fdopen(handle, "wb") as stream:
            pickle.dump(checker, stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(staging, path)
        for stale in sorted(path.parent.glob("lexicon-*.pickle"), key=_mtime, reverse=True)[KEEP:]:
            stale.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError) as exc:
        logger.warning("cannot keep the lexicon cache in %s (%s)", path.parent, exc)
    finally:
        Path(staging).unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
