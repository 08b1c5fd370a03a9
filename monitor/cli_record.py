"""`--db/--anchor/--stream/--product` for `check` and `watch`: name the product so its registered
facts are checked, and name the anchor so the hits are stored as flags for review."""

from __future__ import annotations

import click

from .db import open_db
from .facts import ProductFacts
from .recording import record_check
from .registry import find_anchor, get_product
from .report import Report
from .settings import Settings


def record_options(command):
    options = [
        click.option(
            "--db",
            "db_path",
            type=click.Path(dir_okay=False),
            help="Database (default QINGLANG_DB).",
        ),
        click.option(
            "--anchor", help="Store hits as flags of this anchor (id or PLATFORM:ACCOUNT)."
        ),
        click.option("--stream", help="Stream id for the stored flags (default: the source name)."),
        click.option("--product", help="Product id: check claims against its registered facts."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


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
        db = open_db(db_path or settings.db)
        anchor_id = find_anchor(db, anchor)["id"] if anchor else None
        record = get_product(db, product) if product else None
        return cls(db, anchor_id, stream or f"{anchor_id}:{default_stream}", record)

    def facts(self, product_class: str | None) -> tuple[ProductFacts | None, str | None]:
        if self.product is None:
            return None, product_class
        return ProductFacts.from_record(self.product), product_class or self.product[
            "product_class"
        ]

    def record(self, report: Report, text: str, source: str, segments=()) -> None:
        if self.anchor_id is None:
            return
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
