"""The shipped lexicon meets the schema, and the loader rejects what breaks it."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from monitor import LexiconError, load_lexicon
from monitor.data_files import data_dir
from monitor.lexicon.entries import CONFIG_FILES

CATEGORY_IDS = {
    "absolute_terms",
    "medical_claims",
    "cosmetics_claims",
    "false_efficacy",
    "price_fraud",
    "fake_urgency_data",
    "authority_endorsement",
    "superstition",
    "off_platform_trading",
    "investment_return",
    "quality_origin_claims",
}


@pytest.fixture(scope="module")
def shipped():
    return load_lexicon()


def test_the_shipped_lexicon_has_at_least_800_entries_over_all_eleven_categories(shipped):
    assert len(shipped.entries) >= 800
    assert set(shipped.categories) == CATEGORY_IDS
    per_category = Counter(e.category for e in shipped.entries)
    assert set(per_category) == CATEGORY_IDS
    assert min(per_category.values()) >= 40


def test_every_shipped_entry_cites_a_law_and_suggests_a_rewording(shipped):
    for entry in shipped.entries:
        assert entry.basis and all(b.startswith("《") and "》" in b for b in entry.basis), entry.id
        assert len(entry.suggestion) >= 2, entry.id
        assert entry.suggestion != entry.term, entry.id
        assert len(entry.explanation) >= 4, entry.id


def test_every_cited_law_is_listed_in_the_lexicon_readme(shipped):
    readme = (data_dir("lexicons") / "README.md").read_text(encoding="utf-8")
    laws = {b[: b.index("》") + 1] for e in shipped.entries for b in e.basis}
    assert laws, "no law cited"
    missing = sorted(law for law in laws if law not in readme)
    assert not missing, f"laws cited but not listed in lexicons/README.md: {missing}"


def test_the_english_lexicon_is_matched_as_english(shipped):
    english = [e for e in shipped.entries if e.lang == "en"]
    assert len(english) >= 50
    assert all(e.term.isascii() for e in english)


@pytest.fixture()
def lexicon_folder(tmp_path) -> Path:
    """A lexicon folder with the shipped configuration files and no entries yet."""
    for name in CONFIG_FILES:
        shutil.copy(data_dir("lexicons") / f"{name}.yaml", tmp_path / f"{name}.yaml")
    return tmp_path


GOOD = """
category: absolute_terms
entries:
  - id: t-zuijia
    term: 最佳
    severity: high
    basis: ["《广告法》第九条第三项"]
    explanation: 绝对化用语
    suggestion: 很受欢迎
"""


def _problems(folder: Path, text: str) -> list[str]:
    (folder / "user.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(LexiconError) as caught:
        load_lexicon(folder=folder)
    return caught.value.problems


def test_a_valid_file_loads(lexicon_folder):
    (lexicon_folder / "user.yaml").write_text(GOOD, encoding="utf-8")
    lexicon = load_lexicon(folder=lexicon_folder)
    assert [e.id for e in lexicon.entries] == ["t-zuijia"]


def test_an_entry_without_basis_is_rejected(lexicon_folder):
    problems = _problems(
        lexicon_folder, GOOD.replace('    basis: ["《广告法》第九条第三项"]\n', "")
    )
    assert any("missing 'basis'" in p and "t-zuijia" in p for p in problems)


def test_a_duplicate_id_is_rejected(lexicon_folder):
    second = GOOD.split("entries:\n")[1].replace("term: 最佳", "term: 最好")
    problems = _problems(lexicon_folder, GOOD + second)
    assert any("duplicate id 't-zuijia'" in p for p in problems)


def test_an_unknown_category_is_rejected(lexicon_folder):
    problems = _problems(lexicon_folder, GOOD.replace("absolute_terms", "made_up"))
    assert any("unknown category 'made_up'" in p for p in problems)


def test_an_exception_equal_to_the_term_is_rejected_as_swallowing_it(lexicon_folder):
    problems = _problems(lexicon_folder, GOOD + "    exceptions: [最佳]\n")
    assert any("would swallow every hit" in p for p in problems)


def test_a_regex_exception_matching_the_bare_term_is_rejected(lexicon_folder):
    problems = _problems(lexicon_folder, GOOD + '    exceptions: [{regex: "最.*"}]\n')
    assert any("swallows it" in p for p in problems)


def test_an_exception_that_never_contains_the_term_is_rejected(lexicon_folder):
    problems = _problems(lexicon_folder, GOOD + "    exceptions: [赏味期]\n")
    assert any("does not contain the term" in p for p in problems)


def test_a_bad_severity_and_product_class_are_both_reported(lexicon_folder):
    text = GOOD.replace("severity: high", "severity: huge") + "    applies_to: [spaceships]\n"
    problems = _problems(lexicon_folder, text)
    assert any("severity must be one of" in p for p in problems)
    assert any("unknown product class 'spaceships'" in p for p in problems)


def test_invalid_yaml_names_the_line(lexicon_folder):
    problems = _problems(lexicon_folder, "entries:\n  - id: [unclosed\n")
    assert any("line" in p and "invalid YAML" in p for p in problems)


def test_an_entry_problem_names_file_entry_and_field_in_chinese_then_english(lexicon_folder):
    problems = _problems(lexicon_folder, GOOD + "    lang: fr\n    negatable: 1\n")
    assert problems == [
        "user.yaml: entry #1 (t-zuijia): negatable: 须为 true 或 false / "
        "'negatable' must be true or false, not 1",
        "user.yaml: entry #1 (t-zuijia): lang: 须为 'zh'、'en' 之一 / "
        "'lang' must be one of 'zh' or 'en', not 'fr'",
    ]


def test_a_category_name_split_by_an_unquoted_comma_is_refused(lexicon_folder):
    categories = lexicon_folder / "categories.yaml"
    categories.write_text(
        categories.read_text(encoding="utf-8").replace(
            "{zh: 绝对化用语, en: Absolute terms}", "{zh: 绝对化用语, en: Absolute, final terms}"
        ),
        encoding="utf-8",
    )
    with pytest.raises(LexiconError) as caught:
        load_lexicon(folder=lexicon_folder)
    assert caught.value.problems == [
        f"{categories}: categories.absolute_terms.final terms: 未知键 / "
        "unknown key 'categories.absolute_terms.final terms'"
    ]
