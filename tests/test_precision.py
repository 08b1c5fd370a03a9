"""Precision on real speech (issue 11): each mechanism that made the checker cry wolf, with lines
written for this project that show it, and the claims that must still be found.

Mechanisms: the classifier alone needs the claim's shape in the sentence and never blocks;
denial, reported speech and advice have a scope; lexicon terms that are lawful when true need the
product's class or record; guarantees and body-function claims said in many words are rules.
"""

from __future__ import annotations

import pytest

from monitor import Checker
from monitor.checking.detectors.fact_rules import FactRules, ProductFacts
from monitor.lexicon.entries import load_lexicon

# Compliant livestream talk of the kinds that fired on real speech, written for this test.
COMPLIANT = [
    # buying and asking inside the platform
    "家人们直接拍二号链接就可以了 有什么问题直接在评论区问我们客服",
    "认准我们官方直播间下单 点左下角小黄车 拍下备注口味",
    # plain prices
    "券后价格是一百三十九 两件再减二十 到手一百一十九一件",
    "今天这个价格是八十九一盒 拍三盒送一个杯子",
    # comparisons that rank nothing, 没有任何 as an ingredient fact
    "这款里面没有任何乳糖 乳糖不耐的可以喝 口感比上一款稍微甜一点",
    "这一代比上一代轻了差不多五十克 充电也快一点",
    # dosage, duration and usage
    "一天两次一次两粒 饭后半小时温水吃 一瓶差不多吃一个半月",
    "早晚各用一次 洗完脸取黄豆大小 在脸上轻轻打圈",
    # stock and closing time, said plainly or with a pause
    "这一轮最后三单了哈 拍完这一波我们就准备下播了",
    "还剩最后，两单 抢不到别怪我",
    "还有最后五分钟 八点整我们换下一个品",
    # the anchor's own recommendation
    "我个人更推荐大家按一个周期来吃 三盒是一个周期",
    # a symptom or disease named with no claim for the product
    "家里老人有高血压的 吃之前先问一下医生 该吃的药照常吃",
    "胃不太好的姐妹 冰的少喝 这个可以温一下再喝",
    # honest nutrition and process facts
    "我们配料表里就是生牛乳 零蔗糖 你们可以放大看包装",
    "这个大豆是非转基因的 包装背面写着呢",
    # a gift with the purchase, said openly
    "拍两盒我再白送你一个保温杯",
    # how a product is used, not a promise that every stain goes
    "卸完妆再用洗面奶 一冲一洗就干净了",
]


@pytest.mark.parametrize("text", COMPLIANT)
def test_compliant_livestream_talk_is_not_flagged(checker, text):
    report = checker.check(text)
    assert report.hits == (), [(h.rule, h.text) for h in report.hits]


# Denial, refusal, reported-and-rejected speech and advice to see a doctor.
NOT_CLAIMS = [
    "有人说吃这个能降血糖 那是骗人的 我们从来不这么说",
    "别的直播间说喝了能治失眠 大家别信",
    "别信那些说一个月瘦二十斤的 都是智商税",
    "它就是个普通食品 不能治疗任何疾病",
    "我们这个不是药 不能代替药物 也不能根治什么",
    "身体不舒服一定要去医院治疗 别拖着",
    "评论区有宝宝问能不能祛斑 不能啊 它就是保湿的",
    "我们不能保证一定有效果 每个人体质不一样",
    # a claim or a question answered no in the next clause
    "戴这个手串能降血压，没有的事，它就是个饰品。",
    "喝这个能治失眠吗？不能的，睡不好要去看医生。",
    "有姐妹问吃这个能降血糖吗 我不知道 也不敢乱说",
    "喝蜂蜜能治咳嗽？不能这么说的，咳嗽久了去医院。",
    "说这个坐垫能治腰椎病，能缓解坐骨神经痛的，都是假的，它就是个坐垫。",
    # the anchor refusing to make the claim
    "我不会跟你说它能祛斑 它备案的功效就是保湿",
]


@pytest.mark.parametrize("text", NOT_CLAIMS)
def test_denied_rejected_or_advised_claims_are_not_flagged(checker, text):
    report = checker.check(text)
    assert report.hits == (), [(h.rule, h.text) for h in report.hits]


# The same claims made by the anchor, and claims said in many words: still found.
CLAIMS = [
    ("吃这个能降血糖 我自己吃了三个月", "medical_claims"),
    ("喝了就能治失眠 一觉睡到天亮", "medical_claims"),
    ("它能根治你的老胃病", "medical_claims"),
    ("有个宝妈跟我说 孩子吃了以后降血糖了", "medical_claims"),
    ("这个一定有效果的 你放心拍", "false_efficacy"),
    # an answer that affirms is no rejection
    ("喝了能降血糖吗？能！我妈喝了三个月", "medical_claims"),
    ("这个能治失眠，不可能没效果", "medical_claims"),
    ("我们家茶叶能降血糖，降血压，不是假的", "medical_claims"),
    ("用完一瓶没效果你来找我", "false_efficacy"),
    ("贴上去几分钟之后就不疼了", "false_efficacy"),
    ("一喝就睡着 真的", "false_efficacy"),
    ("这个蜂蜜管免疫的 家里老人小孩都能吃", "medical_claims"),
    ("坚持喝 血管会更有弹力", "medical_claims"),
    ("我妈吃了两个月 血压就降下来了", "medical_claims"),
    ("吃了它 降压药都可以停了", "medical_claims"),
    ("想便宜的加我微信 私下转账", "off_platform_trading"),
    ("专柜卖一千二 我们今天九十九", "price_fraud"),
    # stock talk spelled to get past a filter: the disguise is the evidence
    ("最/后/两/单 抢不到别怪我", "fake_urgency_data"),
    ("zui hou liang dan 手慢无", "fake_urgency_data"),
    # the model's claims with their shapes: a channel in pinyin, a gift's inflated value,
    # illness kept away, performance beyond belief
    ("有事 wei xin 上找我 便宜二十", "off_platform_trading"),
    ("价值两百九十九的礼盒免费送 拍一单就送", "price_fraud"),
    ("吃了以后孩子不容易感冒 抵抗力好", "medical_claims"),
]


@pytest.mark.parametrize("text, category", CLAIMS)
def test_claims_are_still_found(checker, text, category):
    assert category in {h.category for h in checker.check(text).hits}


def test_a_pattern_hit_explains_itself_and_cites_the_law(checker):
    (hit,) = [h for h in checker.check("这个一定有效果的").hits if h.match == "pattern"]
    assert hit.rule == "pat-guarantee-effect"
    assert hit.text == "一定有效果"
    assert any("第二十八条" in b for b in hit.basis)
    assert hit.suggestion


# --- the classifier: evidence and no block ------------------------------------------------------


def test_a_model_only_hit_needs_the_claims_shape_and_names_it(checker):
    """Every classifier-only hit on a claim names its evidence; a sentence with the topic but
    without the shape (a plain price, a dosage) gets none."""
    report = checker.check("外面超市卖三百多一箱 我们直播间今天只要六十九 闭眼入")
    model_only = [h for h in report.hits if h.source == "classifier"]
    for hit in model_only:
        assert "证据：" in hit.reasons[0].detail
    for text in ("今天六十九一箱 拍两箱送一盒", "一天两包 饭后半小时吃"):
        assert not [h for h in checker.check(text).hits if h.source == "classifier"]


def test_the_model_alone_never_blocks():
    """Whatever the model says, a block needs a rule or the product's facts."""
    full = Checker.from_files()
    lines = [
        "外面超市卖三百多一箱 我们直播间今天只要六十九",
        "你别在平台拍了 下了播直接转给我 我给你便宜",
        "我们村有个大姐戴了这串珍珠 老公的厂子订单就来了",
        "吃了我们的带鱼 孩子视力五点二 一直都不近视",
    ]
    for line in lines:
        for hit in full.check(line).hits:
            if hit.source == "classifier":
                assert not hit.blocking


def test_evidence_inside_a_denial_does_not_count(checker):
    from monitor.checking.detectors.claim_evidence import ClaimEvidence
    from monitor.data_files import data_dir

    evidence = ClaimEvidence.load(
        data_dir("lexicons") / "claim_evidence.yaml", checker.lexicon.categories
    )
    detector = checker._lexicon_detector
    for text, expected in (("加我微信私聊", True), ("千万别加什么微信私聊", False)):
        normalized = checker._normalizer.normalize(text)
        findings = detector.find(normalized, checker.profiles["default"], None)
        found = evidence.find(
            "off_platform_trading", normalized.text, 0, len(normalized.text), findings.scopes
        )
        assert (found is not None) is expected, text


def test_evidence_file_errors_name_the_file_and_field(tmp_path, checker):
    from monitor.checking.detectors.claim_evidence import ClaimEvidence
    from monitor.errors import LexiconError

    bad = tmp_path / "claim_evidence.yaml"
    bad.write_text("categories:\n  price_fraud:\n    why: x\n    any: ['(unclosed']\n")
    with pytest.raises(LexiconError, match=r"claim_evidence.yaml: categories.price_fraud.any"):
        ClaimEvidence.load(bad, checker.lexicon.categories)
    bad.write_text("categories:\n  no_such_category:\n    why: x\n    any: [a]\n")
    with pytest.raises(LexiconError, match="no_such_category: unknown category"):
        ClaimEvidence.load(bad, checker.lexicon.categories)


# --- terms judged by the product ----------------------------------------------------------------


def test_a_claim_that_depends_on_the_product_needs_its_class(checker):
    text = "这款防晒效果很好 出门前涂一层"
    assert not checker.check(text).hits
    assert not checker.check(text, product_class="clothing").hits
    assert not checker.check(text, product_class="special_cosmetics").hits
    assert "cos-fangshai" in {h.rule for h in checker.check(text, product_class="cosmetics").hits}


def _facts(*certifications: str) -> ProductFacts:
    return ProductFacts(
        name="纯牛奶", origin="浙江省杭州市", certifications=frozenset(certifications)
    )


def test_a_statement_lawful_when_true_is_checked_against_the_record(checker):
    text = "我们这款牛奶零糖零脂"
    assert not checker.check(text).hits  # no record: nothing to check it against
    unsupported = checker.check(text, facts=_facts())
    hits = [h for h in unsupported.hits if h.source == "facts"]
    assert {h.rule for h in hits} == {"facts-certification-nutrition_claim"}
    assert all(not h.blocking and h.severity == "medium" for h in hits)
    assert "营养成分表" in hits[0].explanation
    assert unsupported.verdict == "review"
    assert not checker.check(text, facts=_facts("nutrition_claim")).hits


def test_an_unregistered_certification_still_blocks(checker):
    report = checker.check("我们的杨梅是有机的", facts=_facts())
    assert report.verdict == "block"


def test_every_entry_that_needs_the_record_is_checked_by_a_certification():
    lexicon = load_lexicon()
    rules = {r for cert in FactRules.load().certifications for r in cert.rules}
    needing = {e.id for e in lexicon.entries if e.needs == "facts"}
    assert needing and needing <= rules


def test_an_entry_with_needs_must_say_why(tmp_path):
    from monitor.errors import LexiconError

    extra = tmp_path / "mine.yaml"
    extra.write_text(
        "category: price_fraud\nentries:\n- {id: my-x, term: 特价王, severity: low, basis: [x],"
        " explanation: x, suggestion: x, needs: facts}\n",
        encoding="utf-8",
    )
    with pytest.raises(LexiconError, match="must say why in 'note'"):
        load_lexicon([extra])


def test_stock_talk_fires_only_with_scarcity_beyond_a_count(checker):
    assert not checker.check("一号链接最后两单 抓紧拍").hits
    assert {h.category for h in checker.check("最后两单 以后再也没有了").hits} == {
        "fake_urgency_data"
    }


def test_a_free_gift_is_price_fraud_only_with_a_hidden_cost(checker):
    assert not checker.check("拍三瓶 我直接免费送一瓶").hits
    assert "price_fraud" in {h.category for h in checker.check("免费送 只要付个邮费").hits}


@pytest.mark.parametrize(
    "text, prices",
    [
        ("原价一百九十八 今天三十九块九", [198, 39.9]),
        ("原价398今天只要39一折都不到", [398, 39]),  # 39一折 is not 391
        ("原价三十九九块九", [39, 9.9]),  # a tens numeral takes no further digit
        ("商场卖一千二我们一百二十九一模一样", [1200, 129]),
        ("yuan jia八百九十九 今天九十九", [899, 99]),
        ("一天两包 饭后半小时吃", []),
    ],
)
def test_prices_said_in_speech_are_read(text, prices):
    from monitor.text.prices import prices_in

    assert prices_in(text) == pytest.approx(prices)
