"""Operators' commands on the store: the registry (workshops, anchors, products, CSV import) here,
review, due process and credit in `cli_review`, `cli_due_process` and `cli_credit`; `COMMANDS`
gathers them all for the CLI."""

from __future__ import annotations

import click

from monitor.cli.credit import COMMANDS as CREDIT_COMMANDS
from monitor.cli.due_process import COMMANDS as DUE_PROCESS_COMMANDS
from monitor.cli.group import _clear_errors
from monitor.cli.inputs import acting, db_option, open_store
from monitor.cli.review import COMMANDS as REVIEW_COMMANDS
from monitor.sources.text_input import check_readable
from monitor.vocabulary import CERTIFICATION_TYPES

# --- registry -------------------------------------------------------------------------------


@click.group("workshops")
def workshops_group() -> None:
    """共富工坊 / workshops."""


@workshops_group.command("add")
@click.option("--id", "workshop_id", required=True, help="工坊编号 / workshop id.")
@click.option("--name", required=True, help="名称 / name.")
@click.option("--region", default="", help="县或镇，如 余姚市梁弄镇 / county or town.")
@db_option
@_clear_errors
def workshops_add(workshop_id, name, region, db_path, actor) -> None:
    """添加工坊 / add a workshop."""
    from monitor.store.registry import add_workshop

    db, settings = open_store(db_path)
    add_workshop(db, workshop_id, name, region, acting(actor, settings))
    click.echo(f"已添加工坊 added workshop {workshop_id}")


@click.group("anchors")
def anchors_group() -> None:
    """主播及其平台账号 / anchors and their platform accounts."""


@anchors_group.command("add")
@click.option("--id", "anchor_id", required=True, help="主播编号 / anchor id.")
@click.option("--name", required=True, help="姓名 / name.")
@click.option("--workshop", help="所属工坊编号 / the anchor's workshop id.")
@click.option(
    "--platform-account",
    "accounts",
    multiple=True,
    help="平台:账号，可重复 / PLATFORM:ACCOUNT; repeatable.",
)
@db_option
@_clear_errors
def anchors_add(anchor_id, name, workshop, accounts, db_path, actor) -> None:
    """添加主播 / add an anchor."""
    from monitor.store.registry import add_anchor

    db, settings = open_store(db_path)
    add_anchor(db, anchor_id, name, workshop, list(accounts), acting(actor, settings))
    click.echo(f"已添加主播 added anchor {anchor_id}")


@click.group("products")
def products_group() -> None:
    """产品及其登记的产地和认证 / products with their registered origin and certifications."""


@products_group.command("add")
@click.option("--id", "product_id", required=True, help="产品编号 / product id.")
@click.option("--name", required=True, help="名称 / name.")
@click.option("--workshop", help="所属工坊编号 / the product's workshop id.")
@click.option(
    "--class",
    "product_class",
    default="food",
    show_default=True,
    help="商品类别 / product class.",
)
@click.option(
    "--origin", default="", help="登记产地，如 浙江省宁波市余姚市 / registered place of origin."
)
@click.option("--producer", default="", help="生产者 / producer.")
@click.option(
    "--certification",
    "certifications",
    multiple=True,
    help=f"认证 类型:编号，可重复 / TYPE:NUMBER; repeatable. TYPE: {', '.join(CERTIFICATION_TYPES)}.",
)
@click.option(
    "--registration",
    "registrations",
    multiple=True,
    help="注册或备案号，可重复 / registration number; repeatable.",
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
    """添加产品 / add a product."""
    from monitor.store.registry import add_product

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
    help="导入什么（默认：由文件名判断）/ what to import (default: from the file name).",
)
@db_option
@_clear_errors
def import_command(path, kind, db_path, actor) -> None:
    """从 UTF-8 CSV 导入工坊、主播或产品（全部导入或都不导入）/ import workshops, anchors or
    products from a UTF-8 CSV (all rows or none)."""
    check_readable(path)  # before the store opens
    from monitor.store.registry import import_csv

    db, settings = open_store(db_path)
    kind, count = import_csv(db, path, kind, acting(actor, settings))
    click.echo(f"已导入 imported {count} {kind}")


COMMANDS = (
    workshops_group,
    anchors_group,
    products_group,
    import_command,
    *REVIEW_COMMANDS,
    *DUE_PROCESS_COMMANDS,
    *CREDIT_COMMANDS,
)
