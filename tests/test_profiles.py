"""Profiles bring their product's laws: a check that knows the goods are alcohol, health food, a
medical device, cosmetics, produce or food finds that class's own terms and cites its articles
first, and no law that governs other goods; lawful look-alikes stay silent."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from monitor import LexiconError
from monitor.checking.product_laws import ProductLaws
from monitor.data_files import data_dir

ALCOHOL_AD = "《广告法》第二十三条"


def _hits(checker, text: str, profile: str) -> dict[str, tuple[str, ...]]:
    """rule -> basis of every hit."""
    return {h.rule: h.basis for h in checker.check(text, profile=profile).hits}


@pytest.mark.parametrize(
    "profile, text, rule, first_basis",
    [
        (
            "alcohol",
            "家人们一口干了，今晚不醉不归！",
            "alc-buzuibugui",
            "《广告法》第二十三条第一项",
        ),
        ("alcohol", "家人们一口干了，今晚不醉不归！", "alc-yikougan", "《广告法》第二十三条第一项"),
        ("alcohol", "这黄酒下班喝一杯解乏。", "alc-jiefa", "《广告法》第二十三条第四项"),
        ("alcohol", "何以解忧，唯有这坛老酒。", "alc-jieya", "《广告法》第二十三条第四项"),
        (
            "alcohol",
            "喝完照样开车，一点事没有。",
            "alc-hewanyenengkaiche",
            "《广告法》第二十三条第一项",
        ),
        ("alcohol", "这酒还能治病。", "med-zhibing", "《广告法》第二十三条第四项"),
        ("alcohol", "千杯不醉，放心喝。", "eff-qianbeibuzui", "《广告法》第二十三条第一项"),
        (
            "health_food",
            "这款胶囊是健康必需的。",
            "hf-jiankangbixu",
            "《广告法》第十八条第一款第三项",
        ),
        ("health_food", "吃它比吃药强。", "hf-bichiyaoqiang", "《广告法》第十八条第一款第四项"),
        ("health_food", "还能预防感冒。", "med-yufangganmao", "《广告法》第十八条第一款第二项"),
        ("health_food", "吃了保证有效。", "eff-baozhengyouxiao", "《广告法》第十八条第一款第一项"),
        (
            "medical_device",
            "这款理疗仪治愈率高达九成。",
            "md-zhiyulv",
            "《广告法》第十六条第一款第二项",
        ),
        ("medical_device", "用了保证治好。", "md-baozhengzhihao", "《广告法》第十六条第一款第一项"),
        (
            "medical_device",
            "在家用比去医院强。",
            "md-biqiyiyuanqiang",
            "《广告法》第十六条第一款第三项",
        ),
        (
            "medical_device",
            "好多医生推荐的。",
            "auth-yishengtuijian",
            "《广告法》第十六条第一款第四项",
        ),
        (
            "cosmetics",
            "这款面霜所有肤质都能用。",
            "cosp-suoyoufuzhidouneng",
            "《化妆品监督管理条例》第四十三条第二款",
        ),
        (
            "cosmetics",
            "这款面霜还能消炎。",
            "med-xiaoyan",
            "《化妆品监督管理条例》第四十三条第二款",
        ),
        (
            "agricultural",
            "这种杨梅只有我们这里产。",
            "agr-zhiyouzhelichan",
            "《广告法》第八条第一款",
        ),
        ("agricultural", "这个种子保证高产。", "agr-baozhenggaochan", "《广告法》第二十七条第二项"),
        ("food", "这款红糖有保健作用。", "food-baojianzuoyong", "《食品安全法》第七十三条第一款"),
        ("food", "红糖是食疗佳品。", "food-shiliao", "《食品安全法》第七十三条第一款"),
        ("food", "这红糖能治病。", "med-zhibing", "《食品安全法》第七十三条第一款"),
    ],
)
def test_a_profile_finds_its_own_terms_and_cites_its_own_law_first(
    checker, profile, text, rule, first_basis
):
    hits = _hits(checker, text, profile)
    assert rule in hits, hits
    assert hits[rule][0] == first_basis


@pytest.mark.parametrize(
    "profile, text",
    [
        ("alcohol", "酒后不开车，饮酒请适量。"),
        ("alcohol", "这是干型黄酒，口感清爽，喝完记得找代驾。"),
        ("alcohol", "天热多喝水，黄酒温一温口感更柔。"),
        ("health_food", "本品不能代替药物，适宜人群请看标签。"),
        ("health_food", "保健品要看批准文号，和药品不一样。"),
        ("medical_device", "请按说明书使用，适用范围以注册证为准。"),
        ("cosmetics", "敏感肌请先局部试用，适用人群以标签为准。"),
        ("agricultural", "我们的杨梅产自余姚市梁弄镇。"),
        ("agricultural", "产量受天气和管理影响，按技术要点种植。"),
        ("food", "这不是保健品，没有保健作用，就是日常吃的红糖。"),
        ("food", "红糖姜茶，冬天喝暖暖的。"),
    ],
)
def test_lawful_look_alikes_are_not_found(checker, profile, text):
    assert _hits(checker, text, profile) == {}


@pytest.mark.parametrize(
    "text", ["家人们一口干了，今晚不醉不归！", "这款胶囊是健康必需的。", "在家用比去医院强。"]
)
def test_terms_of_one_kind_of_goods_stay_silent_when_the_goods_are_unknown(checker, text):
    assert not [h for h in checker.check(text).hits if h.source == "lexicon"]


@pytest.mark.parametrize(
    "profile, absent",
    [
        ("alcohol", "《化妆品监督管理条例》"),
        ("food", "《化妆品监督管理条例》"),
        ("cosmetics", "《食品安全法》"),
    ],
)
def test_a_profile_leaves_out_laws_that_govern_other_goods(checker, profile, absent):
    basis = _hits(checker, "吃了能治病。", profile)["med-zhibing"]
    assert not any(b.startswith(absent) for b in basis), basis


def test_medical_device_hits_do_not_cite_the_article_that_excludes_devices(checker):
    basis = _hits(checker, "好多医生推荐的。", "medical_device")["auth-yishengtuijian"]
    assert "《广告法》第十七条" not in basis


def test_alcohol_law_is_cited_only_for_alcohol(checker):
    basis = _hits(checker, "千杯不醉，放心喝。", "food")["eff-qianbeibuzui"]
    assert not any(b.startswith(ALCOHOL_AD) for b in basis)


def test_without_a_product_class_the_entry_is_cited_as_written(checker):
    entry = next(e for e in checker.lexicon.entries if e.id == "med-zhibing")
    assert _hits(checker, "吃了能治病。", "default")["med-zhibing"] == entry.basis


def test_the_command_with_the_alcohol_profile_cites_the_alcohol_article():
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli.main", "check", "-", "--profile", "alcohol", "--json"],
        input="一口干了，不醉不归".encode(),
        capture_output=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert done.returncode == 1, done.stderr.decode()
    hits = json.loads(done.stdout)["hits"]
    assert {h["text"] for h in hits} == {"一口干", "不醉不归"}
    assert all(h["basis"][0] == "《广告法》第二十三条第一项" for h in hits)


def test_a_product_class_given_with_the_check_brings_its_laws_too(checker):
    hits = checker.check("一口干了，不醉不归", product_class="alcohol").hits
    assert {h.rule for h in hits} >= {"alc-yikougan", "alc-buzuibugui"}
    assert all(h.basis[0].startswith(ALCOHOL_AD) for h in hits)


@pytest.mark.parametrize(
    "product_class",
    ["alcohol", "food", "cosmetics", "health_food", "medical_device", "agricultural"],
)
def test_each_kind_of_goods_has_a_profile_its_own_terms_and_its_own_articles(
    checker, product_class
):
    assert any(p.product_class == product_class for p in checker.profiles.values())
    own = [e for e in checker.lexicon.entries if e.source == f"{product_class}.yaml"]
    assert own and all(e.needs == "product_class" for e in own)
    assert checker.product_laws.cites[product_class]


@pytest.fixture()
def laws_file(tmp_path):
    path = tmp_path / "laws.yaml"
    shutil.copy(data_dir("lexicons") / "laws.yaml", path)
    return path


def test_the_laws_file_rejects_an_unknown_class_and_category(checker, laws_file):
    laws_file.write_text(
        laws_file.read_text(encoding="utf-8")
        + "  spaceships:\n    made_up: [《广告法》第九条]\n    medical_claims: [第九条]\n",
        encoding="utf-8",
    )
    with pytest.raises(LexiconError) as caught:
        ProductLaws.load(laws_file, checker.lexicon.categories, checker.lexicon.product_classes)
    problems = "\n".join(caught.value.problems)
    assert "cites.spaceships: unknown product class" in problems
    assert "cites.spaceships.made_up: unknown category" in problems
    assert "'第九条' is not 《law》article" in problems


def test_a_profile_problem_names_file_profile_and_field_in_chinese_then_english(tmp_path):
    from monitor.lexicon.profiles import load_profiles

    path = tmp_path / "profiles.yaml"
    path.write_text("profiles:\n  night:\n    min_severity: severe\n    colour: red\n")
    with pytest.raises(LexiconError) as caught:
        load_profiles([path])
    assert caught.value.problems == [
        f"{path}: profile 'night': min_severity: 须为 'low'、'medium'、'high' 之一 / "
        "'min_severity' must be one of 'low', 'medium' or 'high', not 'severe'",
        f"{path}: profile 'night': colour: 未知键 / unknown key 'colour'",
    ]
