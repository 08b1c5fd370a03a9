"""A malformed multipart body is a 400 naming the problem on every API route that reads a form
(the media upload, an appeal with evidence), never a 500: a boundary longer than python-multipart
accepts (256 characters) raised FormParserError before anything handled it."""

from __future__ import annotations

import pytest
from api_server import auth, served_client
from store_samples import anchor_with_violation

from api import create_app
from monitor.settings import Settings
from monitor.store.api_keys import create_key
from monitor.store.db import open_db


def _body(boundary: str) -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="reason"\r\n\r\nwhy\r\n'
        f"--{boundary}--\r\n"
    ).encode()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("multipart")
    path = folder / "store.db"
    db = open_db(path)
    violation = anchor_with_violation(db, "主播A1")
    key = create_key(db, "anchor", "A1", actor="test")[1]
    with served_client(create_app(path, Settings(db=str(path)))) as client:
        yield client, key, violation
    db.conn.close()


@pytest.mark.parametrize("route", ["media", "appeal"])
@pytest.mark.parametrize("length", [257, 1000])
def test_a_boundary_longer_than_the_parser_takes_is_a_400(server, route, length):
    client, key, violation = server
    boundary = "b" * length
    path = "/v1/media" if route == "media" else f"/v1/violations/{violation}/appeals"
    answer = client.post(
        path,
        content=_body(boundary),
        headers={**auth(key), "content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_input"
    assert "boundary" in answer.json()["message"]
