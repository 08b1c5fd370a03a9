"""Operators' commands on the store: the registry (workshops, anchors, products, CSV import) here,
review and credit in `cli_review` and `cli_credit`; `COMMANDS` gathers them all for the CLI."""

from __future__ import annotations

import click

from .cli_credit import COMMANDS as CREDIT_COMMANDS
from .cli_review import COMMANDS as REVIEW_COMMANDS
from .cli_store_common import (
    acting,
    db_option,
    open_store,
)
from .cli_support import _clear_errors
from .registry import CERTIFICATION_TYPES, add_anchor, add_product, add_workshop, import_csv

# --- registry -------------------------------------------------------------------------------


@click.group("workshops")
def workshops_group() -> None:
    """共富工坊 workshops."""


@workshops_group.command("add")
@click.option("--id", "workshop_id", required=True)
@click.option("--name", required=True)
@click.option("--region", default="", help="County or town, e.g. 余姚市梁弄镇.")
@db_option
@_clear_errors
def workshops_add(workshop_id, name, region, db_path, actor) -> None:
    db, settings = open_store(db_path)
    add_workshop(db, workshop_id, name, region, acting(actor, settings))
    click.echo(f"已添加工坊 added workshop {workshop_id}")


@click.group("anchors")
def anchors_group() -> None:
    """Anchors (主播) and their platform accounts."""


@anchors_group.command("add")
@click.option("--id", "anchor_id", required=True)
@click.option("--name", required=True)
@click.option("--workshop")
@click.option("--platform-account", "accounts", multiple=True, help="PLATFORM:ACCOUNT; repeatable.")
@db_option
@_clear_errors
def anchors_add(anchor_id, name, workshop, accounts, db_path, actor) -> None:
    db, settings = open_store(db_path)
    add_anchor(db, anchor_id, name, workshop, list(accounts), acting(actor, settings))
    click.echo(f"已添加主播 added anchor {anchor_id}")


@click.group("products")
def products_group() -> None:
    """Products with their registered origin and certifications."""


@products_group.command("add")
@click.option("--id", "product_id", required=True)
@click.option("--name", required=True)
@click.option("--workshop")
@click.option("--class", "product_class", default="food", show_default=True)
@click.option("--origin", default="", help="Registered place of origin, e.g. 浙江省宁波市余姚市.")
@click.option("--producer", default="")
@click.option(
    "--certification",
    "certifications",
    multiple=True,
    help=f"TYPE:NUMBER; TYPE one of {', '.join(CERTIFICATION_TYPES)}.",
)
@click.option(
    "--registration", "registrations", multiple=True, help="Registration number; repeatable."
)
@db_option
@_clear_errors
def products_add(
    product_id,
    name,
    workshop,
    product_class,
    origin,
    producer,
    certifications,
    registrations,
    db_path,
    actor,
) -> None:
    db, settings = open_store(db_path)
    certs = []
    for item in certifications:
        kind, _, number = item.partition(":")
        certs.append({"type": kind.strip(), "number": number.strip()})
    add_product(
        db, product_id, name, workshop_id=workshop, product_class=product_class, origin=origin,
        producer=producer, certifications=certs, registration_numbers=list(registrations),
        actor=acting(actor, settings),
    )  # fmt: skip
    click.echo(f"已添加产品 added product {product_id}")


@click.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option(
    "--kind",
    type=click.Choice(["workshops", "anchors", "products"]),
    help="Default: from the file name.",
)
@db_option
@_clear_errors
def import_command(path, kind, db_path, actor) -> None:
    """Import workshops, anchors or products from a UTF-8 CSV (all rows or none)."""
    db, settings = open_store(db_path)
    kind, count = import_csv(db, path, kind, acting(actor, settings))
    click.echo(f"已导入 imported {count} {kind}")


COMMANDS = (
    workshops_group,
    anchors_group,
    products_group,
    import_command,
    *REVIEW_COMMANDS,
    *CREDIT_COMMANDS,
)
