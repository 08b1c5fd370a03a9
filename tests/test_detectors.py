"""The detector registry: a detector is one class and one registration; the checker runs it after
the shipped ones and its hits reach `monitor.check` with their law and explanation."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

import monitor
from monitor import Checker, Hit
from monitor.checking.checker_cache import cached_lexicon_checker
from monitor.checking.detectors.interface import CheckContext, DetectorSetup, in_text_order
from monitor.checking.detectors.registry import names, register, unregister

WORDS = {"扫码进群": "off_platform_trading", "拍一发二": "price_fraud"}
BASIS = ("《电子商务法》第三十八条",)


class WordListDetector:
    """Words given in a list, each of one category: the smallest real detector."""

    name = "word_list"

    def __init__(self, words: dict[str, str], setup: DetectorSetup):
        self._words = words
        self._categories = setup.lexicon.categories

    def detect(self, context: CheckContext, found: Sequence[Hit]) -> list[Hit]:
        normalized = context.normalized
        own = []
        for word, category in self._words.items():
            at = normalized.text.find(word)
            while at >= 0:
                start, end = normalized.to_original(at, at + len(word))
                own.append(
                    Hit(
                        start=start,
                        end=end,
                        text=context.text[start:end],
                        normalized=word,
                        category=category,
                        category_name=self._categories[category].zh,
                        severity="medium",
                        source=self.name,
                        rule=f"words-{word}",
                        score=0.9,
                        basis=BASIS,
                        explanation=f"“{word}”在名单中",
                        suggestion="换一种说法",
                        term=word,
                    )
                )
                at = normalized.text.find(word, at + 1)
        return in_text_order([*found, *own])


@pytest.fixture
def word_list():
    register("word_list", lambda setup: WordListDetector(WORDS, setup))
    yield
    unregister("word_list")


@pytest.fixture(scope="module")
def lexicon_checker() -> Checker:
    return Checker.from_files(use_classifier=False)


def test_the_shipped_detectors_run_lexicon_then_classifier_then_facts():
    assert names() == ["lexicon", "classifier", "facts"]


def test_a_registered_detector_reports_through_monitor_check(word_list):
    text = "家人们，今晚扫 码 进 群，私下转账更便宜"
    report = monitor.check(text, checker=Checker.from_files(use_classifier=False))
    ours = [h for h in report.hits if h.source == "word_list"]
    assert [(text[h.start : h.end], h.rule) for h in ours] == [("扫 码 进 群", "words-扫码进群")]
    (hit,) = ours
    assert hit.category_name == "诱导私下交易"
    assert hit.basis == BASIS and hit.explanation == "“扫码进群”在名单中" and hit.suggestion
    assert "offp-sixiazhuanzhang" in {h.rule for h in report.hits}  # the lexicon still runs
    assert [h.start for h in report.hits] == sorted(h.start for h in report.hits)
    assert report.verdict == "block" and report.to_dict()["hits"][0]["source"] == "word_list"


def test_a_registered_detector_alone_decides_the_verdict(word_list):
    report = Checker.from_files(use_classifier=False).check("拍一发二，只有今晚")
    assert [(h.source, h.category) for h in report.hits] == [("word_list", "price_fraud")]
    assert report.verdict != "pass"
    assert report.sentences[0].categories == ("price_fraud",)


def test_a_checker_built_before_the_registration_does_not_run_it(lexicon_checker, word_list):
    assert "word_list" not in lexicon_checker.detectors
    assert not lexicon_checker.check("扫码进群").hits


def test_the_classifier_joins_a_checker_without_rebuilding_its_detectors(lexicon_checker):
    full = lexicon_checker.with_classifier()
    assert list(full.detectors) == ["lexicon", "classifier", "facts"]
    assert all(full.detectors[n] is d for n, d in lexicon_checker.detectors.items())


def test_two_detectors_cannot_share_a_name(word_list):
    with pytest.raises(ValueError, match="word_list"):
        register("word_list", lambda setup: None)


def test_a_cached_checker_is_rebuilt_when_the_registered_detectors_change(tmp_path):
    before = cached_lexicon_checker([], tmp_path)
    register("word_list", lambda setup: WordListDetector(WORDS, setup))
    try:
        after = cached_lexicon_checker([], tmp_path)
    finally:
        unregister("word_list")
    assert "word_list" not in before.detectors and "word_list" in after.detectors
    assert len(list(tmp_path.glob("lexicon-*.pickle"))) == 2
    assert [h.source for h in after.check("扫码进群").hits] == ["word_list"]
