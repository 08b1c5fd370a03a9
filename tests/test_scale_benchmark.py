"""The scale benchmark (benchmarks/scale*.py) measures what it says: every result it times is
stored, every caption line it sends through Redis comes back unchanged, every queued room is
claimed and finished. Correctness of the measurement only; no speed is asserted."""

from __future__ import annotations

import pytest

from benchmarks import scale_broker, scale_store
from benchmarks.scale_text import RESULT_SEGMENTS, SENTENCES, room_results
from monitor.broker import queue, room_input


@pytest.fixture(scope="module")
def results(checker):
    return scale_store.posted_results(checker, rooms=3, per_room=4)


def test_results_run_on_in_stream_time_and_take_the_sentences_in_turn():
    first, second = room_results(2, first=1)
    assert [s.text for s in first + second] == list(SENTENCES[1 : 1 + 2 * RESULT_SEGMENTS])
    assert second[0].start == first[-1].start + (first[1].start - first[0].start)


def test_store_rate_counts_the_rows_the_results_stored(results, tmp_path):
    rate = scale_store.store_rate(tmp_path / "scale.db", results)
    # one flag per sentence with hits: each segment is one line, and an utterance never crosses one
    flagged_lines = sum(
        len({result.timed.text.count("\n", 0, hit.start) for hit in result.report.hits})
        for _, result in results
    )
    assert rate.results == 12
    assert rate.segments == 12 * RESULT_SEGMENTS
    assert rate.flags == flagged_lines > 0


def test_two_writers_store_the_same_rows_as_one(results, tmp_path):
    one = scale_store.store_rate(tmp_path / "one.db", results, writers=1)
    two = scale_store.store_rate(tmp_path / "two.db", results, writers=2)
    assert (two.segments, two.flags) == (one.segments, one.flags)


def test_check_cost_covers_every_sentence(checker):
    cost = scale_store.check_cost(checker, repeats=1)
    assert cost.sentences == len(SENTENCES)
    assert cost.result_segments == RESULT_SEGMENTS


def test_caption_lines_come_back_unchanged_through_a_rooms_input_stream(redis_server):
    client = room_input.raw_client(redis_server.url)
    overhead = scale_broker.overhead(client, count=20)
    assert overhead.segments == 20
    assert room_input.pending(client, "bench-overhead") == 0


def test_every_queued_room_is_claimed_and_finished(redis_server):
    client = room_input.raw_client(redis_server.url)
    rates = scale_broker.queue_rates(client, items=25)
    assert [rate.items for rate in rates] == [25, 25]
    assert [(d.waiting, d.held) for d in queue.depths(client) if d.kind == "room"] == [(0, 0)]
