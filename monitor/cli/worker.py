"""`qinglang worker`: a speech worker past one machine (issue 15). It takes live rooms and media
jobs from the broker, turns their audio into timed text and posts it to the API node, which
checks and records it (monitor/worker/).

At start it checks that the broker answers and that the API node knows its key as a worker key
and has a broker; if not, it says why and exits 2 (a supervisor restarts it later). After the
start, an API node or broker that goes away is waited for: results are kept and retried."""

from __future__ import annotations

import logging
import secrets
import signal
from urllib.parse import urlsplit

import click

from monitor.cli.asr import asr_options, make_transcriber
from monitor.cli.group import _clear_errors, _fail


@click.command("worker")
@click.option(
    "--broker",
    "broker_url",
    envvar="QINGLANG_BROKER_URL",
    help="任务代理 Redis 地址（默认 QINGLANG_BROKER_URL）/ the broker's Redis URL, e.g. "
    "redis://10.0.0.5:6379/0 (default QINGLANG_BROKER_URL).",
)
@click.option(
    "--api", "api_url", help="接口节点地址 / the API node's URL, e.g. http://10.0.0.4:8000."
)
@click.option(
    "--key",
    envvar="QINGLANG_WORKER_KEY",
    help="工作节点密钥（最好用 QINGLANG_WORKER_KEY，不在进程列表中显示）/ the worker key "
    "(better from QINGLANG_WORKER_KEY, so that it is not shown in the process list).",
)
@click.option(
    "--max-rooms",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="最多同时处理的直播间 / most live rooms held at once.",
)
@asr_options
@_clear_errors
def worker_command(broker_url, api_url, key, max_rooms, **asr) -> None:
    """从任务代理领取直播间和音视频任务，转写后把文字交给 API 节点检测（SIGTERM：交回后退出）/
    take live rooms and media jobs from the broker, transcribe them and post the text to the API
    node, which checks it (SIGTERM: give the work back, then exit)."""
    if not broker_url or urlsplit(broker_url).scheme not in ("redis", "rediss", "unix"):
        _fail("请用 --broker 给出 redis:// 地址 / give the broker as --broker redis://HOST:PORT/DB")
    if not api_url or urlsplit(api_url).scheme not in ("http", "https"):
        _fail("请用 --api 给出 http(s):// 地址 / give the API node as --api http(s)://HOST:PORT")
    if not key:
        _fail(
            "缺少密钥：用 QINGLANG_WORKER_KEY 或 --key / missing key: QINGLANG_WORKER_KEY or --key"
        )
    import redis

    from monitor.broker.connect import client_for, shown
    from monitor.settings import Settings
    from monitor.worker.api_client import ApiRefused, ApiUnavailable, WorkerApi
    from monitor.worker.lease_loop import Worker, WorkerOptions, consumer_name

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request
    settings = Settings()
    broker = client_for(broker_url)
    try:
        broker.ping()
    except redis.RedisError as exc:
        _fail(f"无法连接任务代理 / cannot reach the broker at {shown(broker_url)}: {exc}")
    api = WorkerApi(api_url, key, attempts=2)
    try:
        identity = api.identity()
    except ApiUnavailable:
        _fail(f"无法连接 API 节点 / cannot reach the API node at {api_url}")
    except ApiRefused as exc:
        _fail(f"API 节点拒绝 / the API node refused this worker: {exc.status} {exc.message}")
    api.consumer = consumer_name(identity["consumer_prefix"], secrets.token_hex(2))
    api.attempts = 6
    transcriber = make_transcriber(settings, workers=max_rooms + 1, **asr)
    device = asr.get("device") or settings.asr_device
    if device == "cuda":  # one GPU, many rooms: their chunks are decoded in batches
        from monitor.worker.batched_speech import BatchedRooms

        transcriber = BatchedRooms(transcriber, max_batch=max_rooms)
    options = WorkerOptions(
        max_rooms=max_rooms, device=device,
        allow=settings.watch_allow, max_media_bytes=settings.max_media_bytes,
        media_max_seconds=settings.media_max_seconds,
    )  # fmt: skip
    worker = Worker(
        broker, client_for(broker_url, decode=False), api, identity["key_id"], transcriber, options
    )

    def stop(*_) -> None:
        worker.stop()
        api.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(
        f"qinglang worker {api.consumer}: broker {shown(broker_url)}, API {api_url}", err=True
    )
    worker.run()
    api.close()
