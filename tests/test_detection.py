"""What the checker finds, and what it leaves alone: tables per category and per evasion kind."""

from __future__ import annotations

import threading

import pytest

from monitor import check


def categories_of(text: str, **options) -> set[str]:
    return {hit.category for hit in check(text, **options).hits}


@pytest.mark.parametrize(
    "text, category",
    [
        ("家人们这是全网最低价，错过就没了", "price_fraud"),
        ("我们家的杨梅是全国最好的杨梅", "absolute_terms"),
        ("这款龙井是国家级品质", "absolute_terms"),
        ("销量第一的红糖，闭眼入", "absolute_terms"),
        ("这个石斛能降血压降血糖", "medical_claims"),
        ("燕窝吃了能提高免疫力", "medical_claims"),
        ("这个杨梅酒能治疗失眠", "medical_claims"),
        ("这款面霜美白祛斑，一抹就白", "cosmetics_claims"),
        ("七天瘦十斤，永不反弹", "false_efficacy"),
        ("原价398，今天只要39.9", "price_fraud"),
        ("最后三单，马上下架！", "fake_urgency_data"),
        ("这是国宴特供的黄酒", "authority_endorsement"),
        ("这串珍珠是大师开光的，戴上转运", "superstition"),
        ("想便宜的加我微信私聊", "off_platform_trading"),
        ("私下转账再便宜二十", "off_platform_trading"),
        ("这款普洱收藏必涨，稳赚不赔", "investment_return"),
        ("纯天然无添加的红糖", "quality_origin_claims"),
        ("This cream is the best in the world", "absolute_terms"),
        ("DM me to pay outside the app", "off_platform_trading"),
        ("It cures diabetes, guaranteed results", "medical_claims"),
    ],
)
def test_each_category_is_found_in_plain_speech(text, category):
    assert category in categories_of(text)


@pytest.mark.parametrize(
    "kind, text, category",
    [
        ("traditional", "全網最低價，家人們衝", "price_fraud"),
        ("full width", "１００％有效，今天就下单", "false_efficacy"),
        ("spaced out", "全 网 最 低 价", "price_fraud"),
        ("symbols between", "全*网*最*低*价", "price_fraud"),
        ("emoji between", "全😀网😀最😀低😀价", "price_fraud"),
        ("look-alike", "蕞低价就在今天", "absolute_terms"),
        ("homophone spelling", "加我薇信，私聊发货", "off_platform_trading"),
        ("latin abbreviation", "有需要的加vx", "off_platform_trading"),
        ("plus sign", "有需要的+vx", "off_platform_trading"),
        ("whole pinyin", "zui di jia jiu zai jin tian", "absolute_terms"),
        ("mixed pinyin", "这个能jiang xue ya", "medical_claims"),
        ("pinyin initials", "全网zdj，你们去比", "absolute_terms"),
        ("filler syllable", "吃了提高免某力", "medical_claims"),
        ("homophone characters", "这个能降血鸭", "medical_claims"),
        ("euphemism", "对降红色压特别好", "medical_claims"),
        ("number form", "百分百有效，无效退款", "false_efficacy"),
    ],
)
def test_evasive_spellings_are_found(kind, text, category):
    assert category in categories_of(text), kind


@pytest.mark.parametrize(
    "text",
    [
        "这是我第一次来直播间",
        "第一个链接是杨梅，第二个链接是蜜梨",
        "最近天气热，杨梅要冷链发",
        "最后一步，把贻贝放进锅里",
        "有机会抽到免单哦",
        "杨梅最好冷藏保存，尽快吃完",
        "绍兴黄酒酿制技艺是国家级非物质文化遗产",
        "我爸治疗期间请遵医嘱，我先替他播",
        "有问题私信客服，都在平台上处理",
        "我们不说全网最低价，只说性价比高",
        "不敢说是最好的，但是是我们村自己种的",
        "这个不能治病，就是普通食品",
        "没有美白功效，就是保湿",
        "全网最低价这种话我们不说",
        "葡萄最好吃的时候就是刚摘下来那两天",
        "提高效率，我们打包更快了",
        "精神药物不能乱吃",
        "字幕由Amara.org社群提供",
        "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目",
        "别听别人说这个能降血糖，它就是食品",
        "当天现摘，顺丰冷链，坏果包赔",
    ],
)
def test_ordinary_and_negated_speech_is_not_flagged(text):
    report = check(text)
    assert report.verdict == "pass", [(h.text, h.rule) for h in report.hits]


@pytest.mark.parametrize(
    "text",
    [
        "今天 全*網*最·低·價 哦",
        "家人们😀加我 V 信😀私聊",
        "百 分 百 有效",
        "zui di jia，降xue ya",
        "１００％纯天然",
    ],
)
def test_hit_offsets_slice_the_original_text_exactly(text):
    report = check(text)
    assert report.hits
    for hit in report.hits:
        assert text[hit.start : hit.end] == hit.text
        assert hit.text.strip() == hit.text


def test_every_hit_explains_itself():
    for hit in check("全网最低价，吃了降血压，加我微信").hits:
        assert hit.basis and hit.basis[0].startswith("《")
        assert hit.suggestion and hit.explanation
        assert hit.rule and hit.source == "lexicon"
        assert 0 < hit.score <= 1


def test_verdict_is_pass_review_or_block_as_the_contract_says():
    assert check("今天杨梅很新鲜").verdict == "pass"
    blocked = check("这个石斛能降血压")
    assert blocked.verdict == "block"
    assert any(h.severity == "high" and h.score >= 0.9 for h in blocked.hits)
    reviewed = check("纯天然的红糖")  # a medium-severity origin claim: a person should look
    assert reviewed.hits and {h.severity for h in reviewed.hits} <= {"low", "medium"}
    assert reviewed.verdict == "review"


def test_a_drug_may_say_treatment_but_food_may_not():
    text = "这个能治疗失眠"
    assert "medical_claims" in categories_of(text, product_class="food")
    assert "medical_claims" not in categories_of(text, product_class="drug")


def test_a_registered_special_cosmetic_may_claim_whitening():
    text = "这款精华美白淡斑"
    assert "cosmetics_claims" in categories_of(text, product_class="cosmetics")
    assert "cosmetics_claims" not in categories_of(text, product_class="special_cosmetics")


def test_a_profile_selects_severities():
    text = "纯天然无添加，全网最低价"
    everything = check(text)
    only_high = check(text, profile="strict_only_high")
    assert {h.severity for h in only_high.hits} <= {"high"}
    assert len(only_high.hits) <= len(everything.hits)


def test_sentences_carry_their_own_verdicts():
    report = check("今天杨梅很新鲜。这是全网最低价！")
    assert len(report.sentences) == 2
    assert report.sentences[0].verdict == "pass"
    assert report.sentences[1].verdict != "pass"
    assert "price_fraud" in report.sentences[1].categories


def test_checks_from_many_threads_agree():
    texts = ["全网最低价，加我薇信", "这是我第一次来直播间", "降血压 提高免疫力"] * 20
    expected = [check(t).to_dict() for t in texts]
    results: list = [None] * len(texts)

    def work(i: int) -> None:
        results[i] = check(texts[i]).to_dict()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == expected


def test_a_claim_is_reported_once_with_the_law_of_its_longest_match():
    hits = check("这是全網最低價").hits
    assert [h.text for h in hits] == ["全網最低價"]
    assert any("第九条第三项" in b for b in hits[0].basis)


def test_claims_of_different_laws_on_one_span_are_all_kept():
    categories = categories_of("吃了降血压，永不反弹")
    assert {"medical_claims", "false_efficacy"} <= categories
