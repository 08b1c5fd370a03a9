"""The compiled lexicon kept between commands: a checker loaded from the cache reports exactly what
a built one reports, and a changed or damaged input is never served from the cache."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from monitor.checking.checker import Checker
from monitor.checking.checker_cache import cached_lexicon_checker, shipped_inputs

DATA = Path(__file__).parent / "data"
# evasions each step of the pipeline undoes, beside the hand-written livestream utterances
TRAPS = [
    "全網最低價！加我 V 信",
    "zui di jia，专家tui jian",
    "最*后*五*单，醉低价",
    "免某力，降那个血糖，关关节节",
    "第一次来直播间的家人们，国家级非物质文化遗产",
    "这款茶能治失眠吗？不能的",
    "原价 999 现价 9.9",
]
MINE = (
    "category: quality_origin_claims\nentries:\n  - id: {id}\n    term: {term}\n"
    "    severity: medium\n    basis: ['《反不正当竞争法》第九条']\n    explanation: 需核实产地\n"
    "    suggestion: 说明具体产地与证明\n"
)


def _texts() -> list[str]:
    lines = []
    for name in ("eval", "holdout"):
        path = DATA / name / "utterances.jsonl"
        lines += [json.loads(line)["text"] for line in path.read_text("utf-8").splitlines() if line]
    return TRAPS + lines


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("checkers")


@pytest.fixture(scope="module")
def built(cache):
    return cached_lexicon_checker([], cache)  # the folder is empty: built, then stored


def test_the_build_is_stored_once_and_loaded_after(cache, built):
    [stored] = cache.glob("lexicon-*.pickle")
    before = stored.stat()
    loaded = cached_lexicon_checker([], cache)
    after = stored.stat()
    assert loaded is not built
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_loaded_checker_reports_exactly_what_the_built_one_does(cache, built):
    loaded = cached_lexicon_checker([], cache)
    texts = _texts()
    differ = [t for t in texts if loaded.check(t).to_dict() != built.check(t).to_dict()]
    assert differ == []
    assert sum(1 for t in texts if built.check(t).hits) > 300  # the texts do exercise the rules


def test_a_damaged_cache_file_is_rebuilt(cache, built, tmp_path):
    [stored] = cache.glob("lexicon-*.pickle")
    damaged = tmp_path / stored.name
    damaged.write_bytes(stored.read_bytes()[:4096])
    checker = cached_lexicon_checker([], tmp_path)
    assert checker.check(TRAPS[0]).to_dict() == built.check(TRAPS[0]).to_dict()
    assert isinstance(pickle.loads(damaged.read_bytes()), Checker)  # replaced by a whole one


def test_a_changed_user_lexicon_is_not_served_from_an_old_cache(tmp_path):
    mine = tmp_path / "mine.yaml"
    text = "仙居原产的杨梅，黄岩原产的蜜橘"
    mine.write_text(MINE.format(id="my-xianju", term="仙居原产"), encoding="utf-8")
    first = cached_lexicon_checker([mine], tmp_path / "cache")
    mine.write_text(MINE.format(id="my-huangyan", term="黄岩原产"), encoding="utf-8")
    second = cached_lexicon_checker([mine], tmp_path / "cache")
    assert [h.rule for h in first.check(text).hits] == ["my-xianju"]
    assert [h.rule for h in second.check(text).hits] == ["my-huangyan"]
    assert len(list((tmp_path / "cache").glob("lexicon-*.pickle"))) == 2


def test_every_shipped_lexicon_file_is_part_of_the_key():
    # a product class's own terms live in a subfolder (lexicons/products/alcohol.yaml): a change
    # there must not be served from a cache built before it
    inputs = set(shipped_inputs())
    lexicon_files = [p for p in (Path(__file__).parents[1] / "lexicons").rglob("*.yaml")]
    assert any(p.parent.name == "products" for p in lexicon_files)
    assert {p.resolve() for p in lexicon_files} <= {p.resolve() for p in inputs}
