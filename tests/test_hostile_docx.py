"""A .docx is a zip: a zip bomb or a damaged document is refused before python-docx parses it,
with 413 (too big expanded) or 422 (not a valid .docx) on the self-check page and one line and
exit 2 from the CLI. The bombs are made here, small on disk and past the limit expanded."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile

import pytest
from docx_samples import (
    MIB,
    SCRIPT,
    damaged_docx,
    docx_bomb,
    docx_document,
    lying_about_size,
    with_padding,
)

from monitor.errors import InputTooLarge, InvalidDocument
from monitor.sources.docx_input import DocxLimits, docx_text


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return docx_bomb()


def test_a_real_document_is_read():
    assert docx_text(docx_document(), "script.docx") == SCRIPT


def test_a_bomb_past_the_expanded_limit_is_refused_before_parsing(bomb):
    with pytest.raises(InputTooLarge, match="32 MiB") as caught:
        docx_text(bomb, "bomb.docx")
    assert caught.value.detail == {"limit": "max_expanded_bytes", "value": 32 * MIB}


def test_a_file_compressed_far_past_the_ratio_limit_is_refused():
    data = with_padding(4)  # 4 MiB of zeros in a few KiB: within 32 MiB, not within 200 times
    with pytest.raises(InputTooLarge, match="压缩比"):
        docx_text(data, "ratio.docx")
    assert docx_text(data, "ratio.docx", DocxLimits(max_ratio=10_000)) == SCRIPT


def test_a_document_of_too_many_files_is_refused():
    with pytest.raises(InputTooLarge, match="文件过多"):
        docx_text(docx_document(), "many.docx", DocxLimits(max_entries=3))


def test_a_bomb_whose_zip_lies_about_its_size_is_stopped_by_the_capped_read(bomb):
    lying = lying_about_size(bomb, "word/media/pad0.bin", 1000)
    declared = zipfile.ZipFile(io.BytesIO(lying)).getinfo("word/media/pad0.bin").file_size
    assert declared == 1000
    with pytest.raises((InputTooLarge, InvalidDocument)):
        docx_text(lying, "lying.docx")


@pytest.mark.parametrize(
    "data, problem",
    [
        (b"PK\x03\x04 not really a zip", "not a valid .docx"),
        (docx_document()[:-200], "not a valid .docx"),  # central directory cut off
    ],
)
def test_a_damaged_zip_is_an_invalid_document(data, problem):
    with pytest.raises(InvalidDocument, match=re.escape(problem)):
        docx_text(data, "damaged.docx")


def test_damaged_xml_inside_the_zip_is_an_invaliddocx_document():
    with pytest.raises(InvalidDocument, match="malformed XML"):
        docx_text(damaged_docx(), "damaged.docx")


# --- the CLI ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind, message", [("bomb", "expands to more than 32 MiB"),
                                           ("xml", "not a valid .docx")])  # fmt: skip
def test_the_cli_refuses_a_bomb_or_a_damaged_document_in_one_line(tmp_path, bomb, kind, message):
    path = tmp_path / f"{kind}.docx"
    path.write_bytes(bomb if kind == "bomb" else damaged_docx())
    result = subprocess.run(
        [sys.executable, "-m", "monitor.cli.main", "check", str(path)],
        capture_output=True,
        timeout=120,
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path)},
    )
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
