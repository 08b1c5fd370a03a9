"""`--db/--anchor/--stream/--product` for `check` and `watch`: name the product so its registered
facts are checked, and name the anchor so the hits are stored as flags for review."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from monitor.checking.detectors.fact_rules import ProductFacts
    from monitor.report import Report
    from monitor.settings import Settings


def record_options(command):
    options = [
        click.option(
            "--db",
            "db_path",
            type=click.Path(dir_okay=False),
            help="数据库（默认 QINGLANG_DB）/ database (default QINGLANG_DB).",
        ),
        click.option(
            "--anchor",
            help="把命中存为该主播的待审标记（编号或 平台:账号）/ "
            "store hits as flags of this anchor (id or PLATFORM:ACCOUNT).",
        ),
        click.option(
            "--stream",
            callback=_stream_id,
            help="所存标记的直播编号（默认：来源名）/ "
            "stream id for the stored flags (default: the source name).",
        ),
        click.option(
            "--product",
            help="产品编号：按其登记信息核对声称 / "
            "product id: check claims against its registered facts.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _stream_id(ctx, param, value: str | None) -> str | None:
    """A stream id is refused before any work is done (exit 2)."""
    from monitor.ids import stream_id_problem

    if value is not None and (problem := stream_id_problem(value)) is not None:
        raise click.BadParameter(problem)
    return value


class RecordTarget:
    def __init__(self, db, anchor_id: str | None, stream_id: str, product: dict | None):
        self.db, self.anchor_id, self.stream_id, self.product = db, anchor_id, stream_id, product
        self.recorded = 0

    @classmethod
    def open(
        cls, settings: Settings, db_path, anchor, stream, product, default_stream
    ) -> RecordTarget:
        if not (anchor or product):
            return cls(None, None, "", None)
        from monitor.ids import stream_id_from
        from monitor.store.db import open_db
        from monitor.store.registry import find_anchor, get_product

        db = open_db(db_path or settings.db, busy_timeout_s=settings.db_busy_timeout_seconds)
        anchor_id = find_anchor(db, anchor)["id"] if anchor else None
        record = get_product(db, product) if product else None
        default = stream_id_from(f"{anchor_id}:{Path(default_stream).name or default_stream}")
        return cls(db, anchor_id, stream or default, record)

    def facts(self, product_class: str | None) -> tuple[ProductFacts | None, str | None]:
        if self.product is None:
            return None, product_class
        from monitor.checking.detectors.fact_rules import ProductFacts

        return ProductFacts.from_record(self.product), product_class or self.product[
            "product_class"
        ]

    def record(self, report: Report, text: str, source: str, segments=()) -> None:
        if self.anchor_id is None:
            return
        from monitor.store.flag_store import record_check

        ids = record_check(
            self.db, report, text, anchor_id=self.anchor_id, stream_id=self.stream_id,
            product_id=self.product["id"] if self.product else None, source=source, segments=segments,
        )  # fmt: skip
        self.recorded += len(ids)
        if ids:
            click.echo(
                f"已记录 {len(ids)} 条标记待审 / stored {len(ids)} flags for review (stream {self.stream_id})",
                err=True,
            )
