"""The inputs commands share, checked before anything heavy: the users' lexicon files, profile
and product class names, the checker built from them, and for store commands the `--db PATH`
(default `QINGLANG_DB`) and `--actor NAME` options (who is acting, for the audit log; default
`QINGLANG_ACTOR` or the login name), the credit policy and the category ids in use.

Start-up time: a command imports the library it needs inside its function, after its input has
been validated, so that `--help` and a bad input answer at once (no jieba, no pypinyin, no
scikit-learn, no speech model loaded for them).
"""

from __future__ import annotations

import getpass
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor.cli.group import _fail

if TYPE_CHECKING:
    from monitor.checking.checker import Checker
    from monitor.settings import Settings


def lexicon_files(extra: tuple[str, ...], settings: Settings) -> list[Path]:
    """The users' lexicon files (QINGLANG_LEXICONS, then --lexicon), each checked to be a file."""
    files = [*settings.extra_lexicon_files(), *map(Path, extra)]
    for path in files:
        if not path.is_file():
            _fail(f"{path}: 词库文件不存在 / no such lexicon file")
    return files


def known_profiles(extra_files: list[Path]) -> dict[str, str]:
    """Profile names and descriptions of the shipped and the users' lexicon files, read without
    the lexicon itself."""
    from monitor.data_files import data_dir
    from monitor.lexicon.profiles import load_profiles

    profiles = load_profiles([data_dir("lexicons") / "profiles.yaml", *extra_files])
    return {name: profile.description for name, profile in profiles.items()}


def known_product_classes() -> dict[str, str]:
    from monitor.lexicon.entries import load_product_classes

    return load_product_classes()


def valid_profile(name: str, profiles: Collection[str]) -> str:
    if name not in profiles:
        _fail(
            f"未知的词库配置 / unknown profile '{name}' "
            f"(可选 known: {', '.join(sorted(profiles))}; 见 see `qinglang lexicon profiles`)"
        )
    return name


def valid_product_class(name: str | None, classes: Collection[str]) -> str | None:
    if name is not None and name not in classes:
        _fail(f"未知的商品类别 / unknown product class '{name}' (可选 known: {', '.join(classes)})")
    return name


def _checker(extra_files: list[Path], settings: Settings, classifier: bool = True) -> Checker:
    """The lexicon checker (from its cache unless QINGLANG_CHECKER_CACHE=false), then the
    classifier unless --no-classifier or QINGLANG_CLASSIFIER=false."""
    if settings.checker_cache:
        from monitor.checking.checker_cache import cached_lexicon_checker

        checker = cached_lexicon_checker(extra_files)
    else:
        from monitor.checking.checker import Checker

        checker = Checker.from_files(extra_files, use_classifier=False)
    if classifier and settings.classifier:
        return checker.with_classifier(settings.model_folder())
    return checker


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
    from monitor.settings import Settings
    from monitor.store.db import open_db

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
    from monitor.credit.policy import load_policy

    return load_policy(Path(settings.credit_policy) if settings.credit_policy else None)


def category_ids() -> list[str]:
    from monitor.lexicon.entries import load_lexicon
    from monitor.settings import Settings

    return list(load_lexicon(Settings().extra_lexicon_files()).categories)


lexicon_option = click.option(
    "--lexicon",
    "extra",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="附加词库文件（词条、白名单、配置），可重复 / "
    "extra lexicon file (terms, whitelist, profiles); repeatable.",
)
