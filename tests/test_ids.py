"""Registry and stream ids: look-alike characters (controls, bidi overrides, zero-width and other
invisible characters) are refused naming the code point, ids are kept in NFC, stream ids follow
one pattern at every entry, and every id of the demo still passes."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from monitor.demo.schema import load_demo
from monitor.errors import InputError
from monitor.ids import STREAM_ID_PATTERN, id_pattern, registry_id, stream_id, stream_id_from
from monitor.store.db import open_db
from monitor.store.flag_store import start_stream
from monitor.store.registry import add_anchor, add_workshop, parse_account

DEMO = load_demo()
LOOK_ALIKES = [
    ("A1\x00", "U+0000"),
    ("A1\u202e", "U+202E"),
    ("\u202aA1", "U+202A"),
    ("A\u20661", "U+2066"),
    ("A1\u200b", "U+200B"),
    ("A\u200d1", "U+200D"),
    ("\ufeffA1", "U+FEFF"),
    ("A1\u2060", "U+2060"),
    ("A1\u00ad", "U+00AD"),
    ("A1\ufe0f", "U+FE0F"),
]


@pytest.mark.parametrize("value, code", LOOK_ALIKES)
def test_a_look_alike_registry_id_is_refused_naming_the_character(value, code):
    with pytest.raises(InputError, match=re.escape(code)):
        registry_id(value, "anchor")
    assert not re.match(id_pattern(), value)  # the API's schema says the same


def test_a_registry_id_is_kept_in_nfc():
    assert registry_id("Cafe\u0301", "workshop") == "Caf\u00e9"


def test_an_account_with_an_invisible_character_is_refused():
    with pytest.raises(InputError, match=re.escape("U+200B")):
        parse_account("douyin:wang\u200b")


@pytest.mark.parametrize("value", ["a/b", "a b", "a?b", "a#b", "a%2Fb", "王-1", "x" * 101, ""])
def test_a_stream_id_outside_the_pattern_is_refused(value):
    with pytest.raises(InputError):
        stream_id(value)


def test_every_demo_id_passes():
    for group in (DEMO.workshops, DEMO.anchors, DEMO.products):
        for entry in group:
            assert registry_id(entry.id, "demo") == entry.id and re.match(id_pattern(), entry.id)
    assert DEMO.streams and all(stream_id(entry.id) == entry.id for entry in DEMO.streams)


@pytest.mark.parametrize(
    "text", ["A1:script.txt", "A1:/tmp/直播 稿.txt", "王阿姨:live-3", "A1:" + "长" * 200]
)
def test_a_default_stream_id_made_from_names_is_valid_and_distinct(text):
    made = stream_id_from(text)
    assert re.match(STREAM_ID_PATTERN, made)
    assert stream_id_from(text + "x") != made


def test_the_store_refuses_a_stream_id_with_a_slash(tmp_path):
    db = open_db(tmp_path / "q.db")
    add_workshop(db, "W1", "工坊")
    add_anchor(db, "A1", "主播", "W1")
    with pytest.raises(InputError, match="stream"):
        start_stream(db, "S/1", "A1")
    assert start_stream(db, "S-1", "A1")["id"] == "S-1"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_cli_refuses_a_look_alike_workshop_id_with_exit_2(tmp_path):
    result = _cli(
        "workshops", "add", "--id", "W1\u202e", "--name", "工坊", "--db", str(tmp_path / "q.db")
    )
    assert result.returncode == 2 and "U+202E" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_cli_refuses_a_stream_id_with_a_slash_before_checking(tmp_path):
    script = tmp_path / "script.txt"
    script.write_text("欢迎来到直播间", encoding="utf-8")
    result = _cli("check", str(script), "--anchor", "A1", "--stream", "S/1")
    assert result.returncode == 2 and "stream" in result.stderr
    assert "Traceback" not in result.stderr
