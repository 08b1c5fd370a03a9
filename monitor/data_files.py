"""Where the packaged data folders (lexicons/, models/) are, in a source checkout and when installed."""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The folder `name` ("lexicons" or "models"): inside the wheel, else beside the package."""
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name
