"""Where the packaged data folders (lexicons/, models/) are, in a source checkout and when installed,
and the user's cache folder."""

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The folder `name` ("lexicons" or "models"): inside the wheel, else beside the package."""
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


def user_cache_dir() -> Path:
    """$XDG_CACHE_HOME/qinglang, or ~/.cache/qinglang: the speech model, the compiled lexicon."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "qinglang"
