"""What every store command shares: the `--db` and `--actor` options, opening the store, who is
acting (for the audit log), the credit policy and category ids in use, and JSON output.

Every command takes `--db PATH` (default `QINGLANG_DB`) and `--actor NAME` (who is acting, for
the audit log; default `QINGLANG_ACTOR` or the login name).
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from .settings import Settings


def db_option(command):
    command = click.option(
        "--actor",
        help="操作人（写入审计日志；默认 QINGLANG_ACTOR 或登录名）/ "
        "who is acting (audit log); default QINGLANG_ACTOR or login.",
    )(command)
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False),
        help="数据库文件（默认 QINGLANG_DB）/ database file (default QINGLANG_DB).",
    )(command)


def open_store(db_path: str | None):
    from .db import open_db
    from .settings import Settings

    settings = Settings()
    return open_db(
        db_path or settings.db, busy_timeout_s=settings.db_busy_timeout_seconds
    ), settings


def acting(actor: str | None, settings: Settings) -> str:
    if actor:
        return actor
    if settings.actor:
        return settings.actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


def credit_policy_of(settings: Settings):
    from .credit_policy import load_policy

    return load_policy(Path(settings.credit_policy) if settings.credit_policy else None)


def category_ids() -> list[str]:
    from .lexicon import load_lexicon
    from .settings import Settings

    return list(load_lexicon(Settings().extra_lexicon_files()).categories)


def echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
