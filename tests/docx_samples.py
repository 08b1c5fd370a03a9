"""Word documents for tests, made here: a real one, a zip bomb (small on disk, past the limit
expanded), one whose directory lies about sizes, and a damaged one."""

from __future__ import annotations

import io
import struct
import zipfile

from docx import Document

SCRIPT = "家人们，这是全网最低价，加我微信私聊下单！"
MIB = 1024 * 1024


def docx_document() -> bytes:
    document = Document()
    document.add_paragraph(SCRIPT)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def with_padding(expanded_mib: int, files: int = 1) -> bytes:
    """A real .docx with `files` extra files of zeros, `expanded_mib` MiB each once expanded."""
    out = io.BytesIO(docx_document())
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
        for number in range(files):
            with archive.open(f"word/media/pad{number}.bin", "w", force_zip64=True) as entry:
                for _ in range(expanded_mib):
                    entry.write(bytes(MIB))
    return out.getvalue()


def lying_about_size(data: bytes, name: str, declared: int) -> bytes:
    """`data` with the central directory declaring `declared` bytes for `name` expanded."""
    position = data.find(b"PK\x01\x02")
    while data[position + 46 : position + 46 + len(name)] != name.encode():
        position = data.find(b"PK\x01\x02", position + 4)
        assert position != -1, f"{name} is not in the archive"
    patched = bytearray(data)
    struct.pack_into("<I", patched, position + 24, declared)
    return bytes(patched)


def docx_bomb() -> bytes:
    """64 KiB on disk, 64 MiB expanded: twice the default limit of 32 MiB."""
    data = with_padding(64)
    assert len(data) < 200 * 1024
    return data


def damaged_docx() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(docx_document()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry in source.infolist():
            body = source.read(entry)
            if entry.filename == "word/document.xml":
                body = body[: len(body) // 2]  # cut off mid-element
            archive.writestr(entry.filename, body)
    return out.getvalue()
