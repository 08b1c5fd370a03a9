"""A time given to the API is ISO-8601 text: any number-like text (-2.88e-15, 1e9, inf, nan, 17)
is a 422 naming the field, not a time near 1970 (pydantic reads numbers as Unix seconds)."""

from __future__ import annotations

import pytest
from api_server import auth, served_client

from api import create_app
from monitor.settings import Settings
from monitor.store.api_keys import create_key
from monitor.store.db import open_db


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("times") / "store.db"
    db = open_db(path)
    key = create_key(db, "regulator", actor="test")[1]
    with served_client(create_app(path, Settings(db=str(path)))) as client:
        yield client, key
    db.conn.close()


@pytest.mark.parametrize("since", ["-2.88e-15", "1e9", "inf", "nan", "17", " 2.5 "])
def test_number_like_text_is_not_a_time(server, since):
    client, key = server
    answer = client.get("/v1/flags", params={"since": since}, headers=auth(key))
    assert answer.status_code == 422, answer.text
    assert any(p["field"].endswith("since") for p in answer.json()["detail"])


def test_iso_text_is_a_time(server):
    client, key = server
    answer = client.get("/v1/flags", params={"since": "2026-05-01T08:00:00Z"}, headers=auth(key))
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    "path, field",
    [("/v1/flags", "date_to"), ("/v1/streams", "date_from"), ("/v1/exports/flags.csv", "date_to")],
)
@pytest.mark.parametrize("value", ["0", "1e9", "-2.88e-15"])
def test_number_like_text_is_not_a_day(server, path, field, value):
    client, key = server
    answer = client.get(path, params={field: value}, headers=auth(key))
    assert answer.status_code == 422, answer.text
    assert any(p["field"].endswith(field) for p in answer.json()["detail"])


@pytest.mark.parametrize("at", ["", "17", "yesterday"])
def test_a_credit_time_that_is_not_iso_text_is_a_422_naming_at(server, at):
    client, key = server
    answer = client.get("/v1/credit", params={"anchor": "A1", "at": at}, headers=auth(key))
    assert answer.status_code == 422, answer.text
    assert any(p["field"].endswith("at") for p in answer.json()["detail"])
