"""Past one machine (issue 15): the measures docs/scaling.md's capacity model for 10,000 rooms is
built from, each printed with how it was measured, then what 10,000 rooms need against them.

- the store's write rate (benchmarks/scale_store.py): segments and flags per second through
  `record_check` on a real SQLite file, one writer and WRITERS writers;
- the check's cost per sentence and per posted result on the API node (scale_store.py);
- Redis Streams through the broker's functions and broker overhead per segment against an
  in-process call (benchmarks/scale_broker.py);
- per-stream real-time factor at 1–4 streams, and rooms per worker process (scale_speech.py).

Every figure is from this run on this machine; the text is written for the benchmark.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from monitor import default_checker
from monitor.broker import room_input

from . import scale_broker, scale_speech, scale_store
from .live_streams import CORES
from .scale_text import RESULT_SEGMENTS, SENTENCES

ROOMS = 10_000
PCM_BYTES_PER_S = 32_000  # 16 kHz s16le mono, per room pushing audio
REPEATS = 3  # the quick measures are the best of this many (the machine is shared and noisy)


@dataclass(frozen=True)
class Needs:
    """What ROOMS rooms produce per second, from one stream's measured segment rate."""

    segments_per_s: float
    flags_per_s: float
    pcm_bytes_per_s: float


def _header() -> None:
    print(
        f"run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.uname().nodename}: {CORES} CPU cores "
        f"shared with other work (load average {os.getloadavg()[0]:.1f} at the start), Python "
        f"{sys.version.split()[0]}"
    )


def _store(checker, folder: Path) -> tuple[scale_store.StoreRate, list[scale_store.StoreRate]]:
    results = scale_store.posted_results(checker)
    flagged = sum(1 for sentence in SENTENCES if checker.check(sentence).hits)
    print(
        f"\n[store] record_check on a new SQLite file (WAL, synchronous=FULL, one transaction a "
        f"result), {len(results)} results of {RESULT_SEGMENTS} segments round-robin "
        f"over {scale_store.ROOMS} rooms, reports computed beforehand; text written for the "
        f"benchmark ({flagged} sentences in {len(SENTENCES)} flagged)"
    )
    rates = [
        min(
            (
                scale_store.store_rate(folder / f"scale-{w}-{n}.db", results, w)
                for n in range(REPEATS)
            ),
            key=lambda rate: rate.seconds,
        )
        for w in (1, scale_store.WRITERS)
    ]
    print(f"best of {REPEATS}, each into a new file")
    print(f"{'writers':>8}{'results/s':>11}{'segments/s':>12}{'flags/s':>9}{'same rows':>11}")
    for rate in rates:
        same = (rate.segments, rate.flags) == (rates[0].segments, rates[0].flags)
        print(
            f"{rate.writers:>8}{rate.results_per_s:>11,.0f}{rate.segments_per_s:>12,.0f}"
            f"{rate.flags_per_s:>9,.0f}{'yes' if same else 'NO':>11}"
        )
    print(
        f"{scale_store.WRITERS} writers / 1 writer: "
        f"{rates[1].segments_per_s / rates[0].segments_per_s:.2f}x (SQLite commits one write "
        f"transaction at a time; only work outside the write lock overlaps)"
    )
    return rates[0], rates


def _check(checker) -> scale_store.CheckCost:
    cost = scale_store.check_cost(checker)
    print(
        f"\n[check] check_segments with the service's checker (lexicon + classifier), best of "
        f"{scale_store.CHECK_REPEATS}: {cost.per_sentence_s * 1000:.2f} ms a sentence alone "
        f"({cost.sentences} sentences), {cost.per_result_s * 1000:.2f} ms a result of "
        f"{cost.result_segments} segments"
    )
    return cost


def _broker(
    folder: Path,
) -> tuple[dict[str, scale_broker.Rate], scale_broker.Overhead, dict[str, float | None]]:
    print(
        "\n[redis] redis-server on loopback started for the run (no persistence), one Python "
        f"client, the broker's functions (each call a round trip), best of {REPEATS}"
    )
    with scale_broker.redis_on_loopback(folder) as redis_server:
        client = room_input.raw_client(redis_server.url)
        tries = [
            scale_broker.input_rates(client) + scale_broker.queue_rates(client)
            for _ in range(REPEATS)
        ]
        rates = [min(same, key=lambda rate: rate.seconds) for same in zip(*tries, strict=True)]
        overhead = min(
            (scale_broker.overhead(client) for _ in range(REPEATS)), key=lambda o: o.broker_s
        )
        caption_bytes = len(scale_broker.caption_lines(1)[0])
        server = {
            "caption": scale_broker.server_xadd_rate(redis_server.port, caption_bytes, 200_000),
            "pcm": scale_broker.server_xadd_rate(
                redis_server.port, len(scale_broker.PCM_BLOCK), 10_000
            ),
        }
        client.close()
    print(f"{'operation':<42}{'items/s':>10}{'MB/s':>9}")
    for rate in rates:
        mb = f"{rate.mb_per_s:.1f}" if rate.item_bytes else "-"
        print(f"{rate.what:<42}{rate.per_s:>10,.0f}{mb:>9}")
    if None in server.values():
        print("redis-benchmark missing: the server's own XADD rate was not measured")
    else:
        print(
            f"redis-server alone (redis-benchmark, 50 clients, pipeline 16): XADD of "
            f"{caption_bytes} bytes {server['caption']:,.0f}/s, of {len(scale_broker.PCM_BLOCK):,} "
            f"bytes {server['pcm']:,.0f}/s ({server['pcm'] * len(scale_broker.PCM_BLOCK) / 1e6:,.0f} MB/s)"
        )
    print(
        f"\n[overhead] a caption line pushed to a room's input stream, read back (count=1) and "
        f"parsed, best of {REPEATS}: {overhead.broker_s * 1e6:.0f} µs a segment; handed over by an in-process call: "
        f"{overhead.in_process_s * 1e9:.0f} ns; ratio {overhead.ratio:,.0f}x ({overhead.segments:,} "
        f"segments)"
    )
    return {r.what: r for r in rates}, overhead, server


def _speech(checker, folder: Path) -> list:
    runs, method = scale_speech.stream_rtfs(checker)
    print(f"\n[speech] {method}")
    print(f"{'K':>3}{'wall s':>9}{'RTF':>8}{'keeps up':>10}{'segments/stream':>17}{'runs':>6}")
    for run in runs:
        print(
            f"{run.streams:>3}{run.wall_s:>9.1f}{run.rtf:>8.3f}{'yes' if run.rtf < 1 else 'no':>10}"
            f"{run.segments / run.streams:>17.1f}{run.runs:>6}"
        )
    print("\n[workers]")
    print(scale_speech.worker_capacity(folder))
    return runs


def _needs(runs, store: scale_store.StoreRate) -> Needs:
    one = runs[0]
    per_room = one.segments / one.audio_s
    flag_share = store.flags / store.segments
    return Needs(ROOMS * per_room, ROOMS * per_room * flag_share, ROOMS * PCM_BYTES_PER_S)


def _summary(needs: Needs, store, cost, rates, server, runs) -> None:
    kept = 0  # the most streams such that every count up to it kept up
    for run in runs:
        if run.rtf >= 1:
            break
        kept = run.streams
    push = rates["room_input.push (pcm)"]
    captions = rates["room_input.push (caption)"]
    check_cores = needs.segments_per_s * cost.per_result_s / RESULT_SEGMENTS
    print(f"\n[{ROOMS:,} rooms] what they produce against what was measured here")
    print(
        f"segments: {needs.segments_per_s:,.0f}/s needed (speech rate of the test audio); "
        f"SQLite one writer {store.segments_per_s:,.0f}/s "
        f"({store.segments_per_s / needs.segments_per_s:.2f}x the need)"
    )
    print(
        f"flags: {needs.flags_per_s:,.0f}/s needed at the benchmark text's flag share; "
        f"SQLite {store.flags_per_s:,.0f}/s"
    )
    print(
        f"check on the API node: {check_cores:.2f} cores busy for {needs.segments_per_s:,.0f} "
        f"segments/s"
    )
    pcm_server = server["pcm"] and server["pcm"] * len(scale_broker.PCM_BLOCK)
    alone = f", redis-server alone takes {pcm_server / 1e6:,.0f} MB/s" if pcm_server else ""
    print(
        f"pushed audio: {needs.pcm_bytes_per_s / 1e6:,.0f} MB/s if every room pushed PCM; one "
        f"client pushes {push.mb_per_s:,.0f} MB/s{alone}"
    )
    alone = f", redis-server alone {server['caption']:,.0f}/s" if server["caption"] else ""
    print(
        f"caption entries: {needs.segments_per_s:,.0f}/s if every room pushed captions; one "
        f"client {captions.per_s:,.0f}/s{alone}"
    )
    print(
        f"CPU workers: {kept} rooms on {CORES} cores (RTF < 1): about "
        f"{ROOMS / max(kept, 1):,.0f} such machines for {ROOMS:,} rooms"
    )


def run() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # each section shows as it is measured
    _header()
    checker = default_checker()
    with tempfile.TemporaryDirectory(prefix="qinglang-scale-") as folder:
        store, _ = _store(checker, Path(folder))
        cost = _check(checker)
        rates, _, server = _broker(Path(folder))
        runs = _speech(checker, Path(folder))
    _summary(_needs(runs, store), store, cost, rates, server, runs)
