"""The HTTP service from the command line: `qinglang serve`, and API keys (`qinglang keys`).

A new key is printed once, alone on standard output, so that it can be captured
(`KEY=$(qinglang keys create --role platform)`); the store keeps only its hash.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import click

from monitor.cli.group import _clear_errors, _fail, echo_json
from monitor.cli.inputs import acting, db_option, open_store
from monitor.vocabulary import KEY_ROLES

if TYPE_CHECKING:
    from monitor.settings import Settings


@click.group("keys")
def keys_group() -> None:
    """网页服务的接口密钥（角色：regulator 监管、platform 平台、anchor 主播、worker 工作节点）/
    API keys for the HTTP service (roles: regulator, platform, anchor, worker)."""


@keys_group.command("create")
@click.option("--role", type=click.Choice(KEY_ROLES), required=True, help="角色 / role.")
@click.option(
    "--anchor",
    help="主播密钥绑定的主播（编号或 平台:账号）/ "
    "the anchor an anchor key is bound to (id or PLATFORM:ACCOUNT).",
)
@click.option(
    "--label",
    default="",
    help="密钥用途，显示在 `keys list` 中 / what the key is for, shown in `keys list`.",
)
@db_option
@_clear_errors
def keys_create(role, anchor, label, db_path, actor) -> None:
    """创建密钥并只打印这一次 / create a key and print it once."""
    from monitor.store.api_keys import create_key

    db, settings = open_store(db_path)
    key_id, key = create_key(db, role, anchor, label, acting(actor, settings))
    click.echo(key)
    click.echo(
        f"密钥 {key_id} ({role}) 只显示这一次，请妥善保存 / "
        f"key {key_id} ({role}) is shown only this once: store it now",
        err=True,
    )


@keys_group.command("revoke")
@click.argument("key_id", type=int)
@db_option
@_clear_errors
def keys_revoke(key_id, db_path, actor) -> None:
    """吊销密钥 KEY_ID，此后拒绝使用 / revoke key KEY_ID: it is refused from now on."""
    from monitor.store.api_keys import revoke_key

    db, settings = open_store(db_path)
    row = revoke_key(db, key_id, acting(actor, settings))
    click.echo(f"已吊销 revoked key {key_id} ({row['prefix']}…) at {row['revoked_at']}")


@keys_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / print JSON.")
@db_option
@_clear_errors
def keys_list(as_json, db_path, actor) -> None:
    """所有密钥：编号、前缀、角色、主播、用途、创建和吊销时间（从不显示密钥本身）/ every key:
    id, prefix, role, anchor, label, when created and revoked (never the key)."""
    from monitor.store.api_keys import list_keys

    db, _ = open_store(db_path)
    keys = list_keys(db)
    if as_json:
        echo_json(keys)
        return
    for row in keys:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        click.echo(
            f"{row['id']:>4}  {row['prefix']}…  {row['role']:<10} {row['anchor_id'] or '-':<12}"
            f"{row['created_at']}  {state}  {row['label']}"
        )


@click.command("serve")
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    help="数据库文件（默认 QINGLANG_DB）/ database file (default QINGLANG_DB).",
)
@click.option(
    "--host",
    help="监听地址（默认 QINGLANG_API_HOST，127.0.0.1）/ "
    "address to listen on (default QINGLANG_API_HOST, 127.0.0.1).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help="端口（默认 QINGLANG_API_PORT，8000）/ port (default QINGLANG_API_PORT, 8000).",
)
@click.option(
    "--demo",
    is_flag=True,
    help="在空库中写入演示数据（工坊、主播、待审标记）并打印各角色的演示密钥 / "
    "fill an empty database with the demo (workshops, anchors, flags waiting for review) "
    "and print demo keys for each role.",
)
@_clear_errors
def serve_command(db_path, host, port, demo) -> None:
    """运行 HTTP API 和网页界面（界面 /，API 文档 /docs，模式 /openapi.json）/ run the HTTP API
    and web UI (UI at /, API docs at /docs, schema at /openapi.json)."""
    import uvicorn  # the web stack is imported only for this command (start-up time)

    from api import create_app
    from api.core.server import server_config
    from monitor.settings import Settings

    settings = Settings()
    if settings.local_workers > 0 and not settings.broker_url:
        _fail(
            "QINGLANG_LOCAL_WORKERS 需要任务代理：请同时设置 QINGLANG_BROKER_URL / "
            "QINGLANG_LOCAL_WORKERS needs a broker: set QINGLANG_BROKER_URL too"
        )
    if db_path:  # uploads and job files go beside the database actually served
        settings = settings.model_copy(update={"db": db_path})
    path = settings.db
    host = host or settings.api_host
    port = settings.api_port if port is None else port
    app = create_app(path, settings)
    if demo:
        _start_demo(app, path, settings, f"http://{host}:{port}")
    # forwarded headers are read by the app, from QINGLANG_TRUSTED_PROXIES only (api/core/trusted_proxies.py);
    # at shutdown, requests in flight have api_shutdown_seconds to finish; then they are cancelled
    config = server_config(app, host=host, port=port)
    if settings.local_workers > 0:
        from monitor.cli.local_workers import LocalWorkers, serve_with_workers

        workers = LocalWorkers(path, settings.broker_url, settings.local_workers)
        serve_with_workers(config, host, workers)
    else:
        uvicorn.Server(config).run()


def _start_demo(app, path, settings: Settings, base_url: str) -> None:
    """Seed the demo (once), replace the demo keys, printing them, and replay the demo's live
    room once the service runs."""
    from monitor.demo.data import DEMO_ACTOR, demo_replay, seed_demo
    from monitor.store.api_keys import create_key, list_keys, revoke_key
    from monitor.store.db import open_db

    db = open_db(path)
    services = app.state.services
    summary = seed_demo(db, services.checker, services.policy, settings.files_dir())
    if summary.seeded:
        click.echo(
            f"演示数据已写入 / demo data written: {summary.workshops} 工坊 workshops, "
            f"{summary.anchors} 主播 anchors, {summary.flags} 条待审标记 flags to review, "
            f"{summary.pending} 件待决事项 pending decisions, "
            f"{summary.recordings} 段录音 recordings",
            err=True,
        )
    else:
        click.echo(
            f"沿用已有的演示数据库 {path}（保留上次运行的所有更改；要重新开始：make demo-reset，"
            f"或删除该文件及 {settings.files_dir()}）/ reusing the demo database {path} with every "
            "change made in earlier runs (start afresh with `make demo-reset`, or delete it and "
            f"{settings.files_dir()})",
            err=True,
        )
    for row in list_keys(db):
        if row["label"].startswith("demo") and not row["revoked_at"]:
            revoke_key(db, row["id"], DEMO_ACTOR)
    key_ids, keys = {}, {}
    for role, anchor in (("regulator", None), ("platform", None), ("anchor", "A-SX1")):
        key_ids[role], keys[role] = create_key(db, role, anchor, f"demo {role}", DEMO_ACTOR)
    replay = demo_replay(db, settings.files_dir())
    if replay is not None:
        _replay_when_started(app, replay, key_ids["regulator"])
    click.echo(
        f"""
清朗 qinglang 演示 / demo — {base_url}/
  登录 log in: {base_url}/ui/login   API 文档 docs: {base_url}/docs
  监管 regulator key: {keys["regulator"]}
  平台 platform key:  {keys["platform"]}
  主播 anchor key (A-SX1 孙师傅): {keys["anchor"]}
  (演示密钥每次启动重新生成 / demo keys are made anew at each start)
"""
    )


def _replay_when_started(app, replay, owner_key_id: int, wait_s: float = 120.0) -> None:
    """Open the demo's live room, replaying its recording, once the service's live rooms run
    (the lifespan sets `app.state.background` when its workers have started)."""

    from monitor.errors import QinglangError

    def start() -> None:
        deadline = time.monotonic() + wait_s
        while not hasattr(app.state, "background"):
            if time.monotonic() > deadline:
                return
            time.sleep(0.2)
        try:
            app.state.live_rooms.create(
                owner_key_id=owner_key_id, owner_role="regulator", anchor_id=replay.anchor_id, stream_id=replay.stream_id,
                product_id=replay.product_id, profile=replay.profile,
                replay_file=replay.recording,
            )  # fmt: skip
        except QinglangError as exc:  # no speech model: the rest of the demo still runs
            click.echo(f"演示直播间未能开始 / the demo live room did not start: {exc}", err=True)

    threading.Thread(target=start, name="qinglang-demo-replay", daemon=True).start()


COMMANDS = (keys_group, serve_command)
