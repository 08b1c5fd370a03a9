"""Claims against a product's registered facts: certifications and place of origin."""

from __future__ import annotations

from monitor.checking.detectors.fact_rules import ProductFacts

CLAIMS = "我们家的杨梅是有机杨梅，产自仙居，还有绿色食品认证"


def test_without_facts_the_lexicon_asks_for_evidence(checker):
    report = checker.check(CLAIMS)
    assert {h.source for h in report.hits} == {"lexicon"}
    assert report.verdict == "review"


def test_claims_the_record_does_not_support_are_facts_hits(checker):
    facts = ProductFacts("慈溪杨梅", "浙江省宁波市慈溪市", frozenset())
    report = checker.check(CLAIMS, facts=facts)
    by_rule = {h.rule: h for h in report.hits}
    assert set(by_rule) == {
        "facts-certification-organic",
        "facts-origin",
        "facts-certification-green_food",
    }
    origin = by_rule["facts-origin"]
    assert CLAIMS[origin.start : origin.end] == "产自仙居" and origin.source == "facts"
    assert "浙江省宁波市慈溪市" in origin.explanation and "慈溪" in origin.suggestion
    organic = by_rule["facts-certification-organic"]
    assert organic.reasons and organic.reasons[0].rule == "origin-youjishipin"  # the lexicon agreed
    assert organic.basis[0].startswith("《广告法》第二十八条")
    assert report.verdict == "block"


def test_claims_the_record_supports_pass(checker):
    facts = ProductFacts("仙居杨梅", "浙江省台州市仙居县", frozenset({"organic", "green_food"}))
    assert checker.check(CLAIMS, facts=facts).hits == ()


def test_denials_and_other_words_are_not_claims(checker):
    facts = ProductFacts("慈溪杨梅", "浙江省宁波市慈溪市", frozenset())
    text = "我们不是有机的，没有绿色食品认证，杨梅产自慈溪，有机会来果园玩"
    assert checker.check(text, facts=facts).hits == ()
