"""Reading scripts to check: UTF-8 or GB18030 text, Markdown, .docx; with explicit limits.

I/O edge: everything here raises InputError with a one-line, user-facing message.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

from monitor.errors import InputError
from monitor.sizes import readable_size
from monitor.sources.docx_input import DocxLimits, docx_text

MAX_TEXT_BYTES = 10 * 1024 * 1024  # a script or caption file larger than 10 MiB is refused
TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text", ""}


def decode_text(data: bytes, name: str = "input") -> str:
    """Decode UTF-8 (with or without BOM, or UTF-16 with BOM) or GB18030; refuse binary data."""
    if not data.strip():
        raise InputError(f"{name}: 文件为空 / the input is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}: 无法识别的编码 / unreadable UTF-16 text") from exc
    if b"\x00" in data:
        raise InputError(f"{name}: 这是二进制文件，不是文本 / binary data, not text")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_binary(text):
            raise InputError(f"{name}: 这是二进制文件，不是文本 / binary data, not text")
        return text
    raise InputError(
        f"{name}: 无法识别的编码（支持 UTF-8 和 GB18030）/ unreadable encoding (use UTF-8 or GB18030)"
    )


def _looks_binary(text: str) -> bool:
    controls = sum(1 for c in text[:4096] if ord(c) < 32 and c not in "\n\r\t\f")
    return controls > max(2, len(text[:4096]) // 100)


def check_size(size: int, name: str, limit: int = MAX_TEXT_BYTES) -> None:
    if size > limit:
        raise InputError(
            f"{name}: 文件超过 {readable_size(limit)} 上限 / larger than the limit of "
            f"{readable_size(limit)}"
        )


def open_file(path: str | Path) -> BinaryIO:
    """`path` opened for reading, or InputError saying why it cannot be."""
    name = str(path)
    try:
        return Path(path).open("rb")
    except FileNotFoundError as exc:
        raise InputError(f"{name}: 文件不存在 / no such file") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{name}: 是目录，不是文件 / is a directory") from exc
    except PermissionError as exc:
        raise InputError(f"{name}: 没有读取权限 / permission denied") from exc
    except OSError as exc:
        raise InputError(f"{name}: 无法读取 / cannot read ({exc.strerror})") from exc


def check_readable(path: str | Path) -> None:
    """InputError unless `path` is a file that can be read and holds something: the check a command
    makes before it loads anything, so that a wrong path fails at once."""
    with open_file(path) as stream:
        if not stream.read(1):
            raise InputError(f"{path}: 文件为空 / the input is empty")


def read_file_bytes(path: str | Path, limit: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of a file of at most `limit` bytes, or InputError saying why it cannot be read."""
    with open_file(path) as stream:
        try:
            data = stream.read(limit + 1)
        except OSError as exc:
            raise InputError(f"{path}: 无法读取 / cannot read ({exc.strerror})") from exc
    check_size(len(data), str(path), limit)
    return data


def read_script(
    path: str | Path, limit: int = MAX_TEXT_BYTES, docx_limits: DocxLimits | None = None
) -> str:
    """The text of a script file (.txt/.md/.docx), or InputError saying what is wrong with it."""
    path = Path(path)
    name = str(path)
    data = read_file_bytes(path, limit)
    if path.suffix.lower() == ".docx":
        return docx_text(data, name, docx_limits)
    if path.suffix.lower() not in TEXT_SUFFIXES and data.startswith(b"PK\x03\x04"):
        raise InputError(
            f"{name}: 不支持的文件类型 / unsupported file type (use .txt, .md or .docx)"
        )
    return decode_text(data, name)


def read_stream(stream: io.BufferedIOBase, name: str = "stdin", limit: int = MAX_TEXT_BYTES) -> str:
    data = stream.read(limit + 1)
    check_size(len(data), name, limit)
    return decode_text(data, name)
