"""The message catalogue (monitor/messages.yaml): every label has Chinese and English, every
machine value the code can show has a label, every label the code and templates ask for exists,
and a broken catalogue is refused naming the file, the entry and the field."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest

from api.v1.schemas.jobs import RoomState
from monitor import messages
from monitor.credit.records import EVENT_KINDS, REPAIR_KINDS
from monitor.errors import LexiconError
from monitor.lexicon.entries import SEVERITIES, load_lexicon
from monitor.messages import catalogue, label, message, words
from monitor.review.flags import VIOLATION_ORIGINS
from monitor.store.credit_causes import decision_cause, describe, violation_cause
from monitor.store.flag_queries import FLAG_STATUSES
from monitor.store.store_lists import APPEAL_STATUSES, REPAIR_STATUSES, VIOLATION_STATUSES
from monitor.vocabulary import KEY_ROLES

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")
# Each kind the catalogue words, and the machine values the code defines for it.
ENUMS = {
    "role": KEY_ROLES,
    "violation_origin": ("flag", *VIOLATION_ORIGINS),
    "violation_status": VIOLATION_STATUSES,
    "credit_event": EVENT_KINDS,
    "severity": SEVERITIES,
    "verdict": ("pass", "review", "block"),
    "script_verdict": ("pass", "review", "block"),
    "detector": ("lexicon", "classifier", "facts"),
    "flag_status": FLAG_STATUSES,
    "appeal_status": APPEAL_STATUSES,
    "repair_kind": REPAIR_KINDS,
    "repair_status": REPAIR_STATUSES,
    "room_state": typing.get_args(RoomState),
}


def test_every_label_has_chinese_first_and_english():
    for kind, entries in catalogue().items():
        assert entries, kind
        for key, found in entries.items():
            assert CJK.search(found.zh), f"{kind}.{key}: zh has no Chinese: {found.zh!r}"
            assert found.en.strip() and not CJK.search(found.en), f"{kind}.{key}: en {found.en!r}"
            assert str(found) == f"{found.zh} / {found.en}"


@pytest.mark.parametrize("kind", sorted(ENUMS))
def test_every_machine_value_the_code_defines_has_a_label(kind):
    missing = [value for value in ENUMS[kind] if messages.name(kind, value) is None]
    assert not missing, f"{kind}: no label for {missing}"


def test_category_names_are_the_lexicons_not_a_copy():
    categories = load_lexicon().categories
    for cid, category in categories.items():
        assert words("category", cid) == messages.Label(category.zh, category.en)


def _used_in_code() -> set[tuple[str, str]]:
    """(kind, key) pairs named literally in calls of the catalogue in api/ and monitor/."""
    call = re.compile(r"\b(?:label|message|words|name)\(\s*\"(\w+)\",\s*\"(\w+)\"")
    pairs = set()
    for path in [*ROOT.glob("api/**/*.py"), *ROOT.glob("monitor/**/*.py")]:
        pairs |= set(call.findall(path.read_text(encoding="utf-8")))
    return pairs


def _kinds_in_templates() -> set[str]:
    used = re.compile(r"\|\s*label\(\s*\"(\w+)\"\s*\)")
    kinds = set()
    for path in ROOT.glob("api/ui/templates/*.html"):
        kinds |= set(used.findall(path.read_text(encoding="utf-8")))
    return kinds


def test_every_label_the_code_and_templates_ask_for_exists():
    pairs, kinds = _used_in_code(), _kinds_in_templates()
    assert ("request_error", "unknown_profile") in pairs and "credit_event" in kinds
    missing = [f"{kind}.{key}" for kind, key in pairs if messages.name(kind, key) is None]
    assert not missing, f"asked for but not in the catalogue: {missing}"
    unknown = kinds - set(catalogue())
    assert not unknown, f"templates use kinds the catalogue lacks: {unknown}"


def test_a_message_fills_each_language_with_that_languages_words():
    said = message("request_error", "forbidden_role", role=words("role", "anchor"),
                   allowed=[words("role", "regulator"), words("role", "platform")])  # fmt: skip
    assert said.zh == "主播密钥无权使用此功能（仅限监管人员、平台）"
    assert said.en == "anchor keys may not use this (allowed: regulator, platform)"


def test_an_unknown_value_is_shown_as_it_is():
    assert label("violation_origin", "carrier_pigeon") == "carrier_pigeon / carrier_pigeon"
    assert messages.name("violation_origin", "carrier_pigeon") is None


@pytest.mark.parametrize(
    "cause, violation, expected",
    [
        (violation_cause(7, "complaint"), {"category": "medical_claims", "severity": "high"},
         "违规 #7（投诉举报）：医疗功效（非药品），严重 / violation #7 (complaint): "
         "Medical claims for non-drugs, high"),
        (violation_cause(8, "flag", 9), {"category": "price_fraud", "severity": "medium"},
         "违规 #8（监测标记 #9）：价格欺诈/虚构原价，一般 / violation #8 (monitoring flag #9): "
         "Price fraud, medium"),
        ("violation 7 (inspection)", None, "违规 #7（监督检查） / violation #7 (inspection)"),
        (decision_cause("appeal", 3, "upheld"), None, "申诉 #3 成立 / appeal #3 upheld"),
        (decision_cause("early_removal", 2, "granted"), None,
         "提前移出黑名单申请 #2：准予 / application #2 for early removal from the blacklist: granted"),
        ("recompute", None, "定期重算（恢复或到期） / scheduled recompute (recovery or expiry)"),
        ("set by hand", None, "set by hand"),
    ],
)  # fmt: skip
def test_a_credit_cause_is_worded_chinese_first_naming_the_category(cause, violation, expected):
    assert describe(cause, violation) == expected


@pytest.mark.parametrize(
    "text, problem",
    [
        ("role:\n  anchor: {zh: 主播}\n", "role.anchor.en"),
        ("role:\n  anchor: {zh: 主播, en: anchor, fr: ancre}\n", "role.anchor.fr"),
        ("role:\n  anchor: {zh: '', en: anchor}\n", "role.anchor.zh"),
        ("x:\n  y: {zh: '违规 #{id}', en: 'violation'}\n", "x.y"),
        ("category:\n  price_fraud: {zh: 价格, en: price}\n", "lexicons/categories.yaml"),
    ],
)
def test_a_broken_catalogue_is_refused_naming_file_entry_and_field(
    tmp_path, monkeypatch, text, problem
):
    broken = tmp_path / "messages.yaml"
    broken.write_text(text, encoding="utf-8")
    monkeypatch.setattr(messages, "CATALOGUE_PATH", broken)
    messages.catalogue.cache_clear()
    try:
        with pytest.raises(LexiconError) as refused:
            catalogue()
    finally:
        monkeypatch.undo()
        messages.catalogue.cache_clear()
    assert str(broken) in str(refused.value) and problem in str(refused.value)
