"""Spoken evasion (issue 11): each mechanism restores the word that was meant, and each has the
ordinary speech it must leave alone. Lines written for this project."""

from __future__ import annotations

import pytest

from monitor.text.evasion import doubled_forms, filler_forms
from monitor.text.normalization import load_normalizer


@pytest.fixture(scope="module")
def normalize():
    return load_normalizer().normalize


RESTORED = [
    # a filler inside the word
    ("吃了能提高免某力", "提高免疫力", "filler"),
    ("增强免母疫力的", "增强免疫力", "filler"),
    ("这个能降那个血糖", "降血糖", "filler"),
    ("预什么防高血压", "预防高血压", "filler"),
    # doubled characters
    ("关关节节疼的老人", "关节疼", "doubled"),
    ("能降降血血糖", "血糖", "doubled"),
    # sound-alikes next to a claim word
    ("喝了能降学压", "降血压", "homophone"),
    ("预抹房感冒", "预防感冒", "homophone"),
    ("吃了能治失棉", "治失眠", "homophone"),
    # euphemisms where the context shows the meaning
    ("白大褂都推荐这个", "医生都推荐", "euphemism"),
    ("糖字病的人吃了好", "糖尿病", "euphemism"),
]


@pytest.mark.parametrize("text, expected, kind", RESTORED)
def test_disguised_words_are_restored(normalize, text, expected, kind):
    result = normalize(text)
    assert expected in result.text
    assert kind in {k for _, _, k in result.restored}


UNTOUCHED = [
    "某些人说话不算数",  # 某 as an ordinary word
    "我母亲也爱喝这个茶",  # 母 in 母亲
    "你想要什么颜色 那个颜色也有",  # fillers between ordinary words
    "看看这个 试试那个 天天都有",  # ordinary doubled words
    "医院院长来我们村里买过",  # 医院 + 院长 is no doubled 医院
    "治疗哮喘要听医生的",  # 哮喘 is a word: 疗哮 is no 疗效
    "这个房子通风很好",  # 通风 is an ordinary word, never 痛风
    "带些回去给家里人尝尝",  # 带些 is ordinary, never 代谢
    "我们卖的就是白大褂工作服",  # 白大褂 as the product
    "雪糕今天第二件半价",  # 雪糕 is not 血糖
    "这种生活发给你们看 有效果就留",  # every sound of 生发 kept, one word between: no disguise
]


@pytest.mark.parametrize("text", UNTOUCHED)
def test_ordinary_speech_is_left_alone(normalize, text):
    result = normalize(text)
    assert result.restored == ()


def test_restored_words_are_found_and_say_how_they_were_disguised(checker):
    report = checker.check("家人们这个吃了能提高免某力")
    (hit,) = report.hits
    assert hit.category == "medical_claims"
    assert hit.match == "filler"
    assert hit.text == "提高免某力"  # the span as said, in the original text


def test_restoration_keeps_offsets_exact(checker):
    text = "宝宝们，关关节节疼的，喝了能降学压，一喝就好"
    for hit in checker.check(text).hits:
        assert text[hit.start : hit.end] == hit.text


def test_the_forms_are_bounded():
    assert filler_forms("血压", ["某"], []) == {"血某压"}
    assert filler_forms("免疫力", ["某"], ["某"]) == {"免某疫力", "免疫某力", "免某力"}
    assert doubled_forms("关节", 2) == {"关关节", "关节节", "关关节节"}


def test_a_sound_alike_needs_a_claim_word_next_to_it(normalize):
    assert normalize("喝了能降学压").restored
    assert not normalize("学压这个词我不认识").restored


def test_evasion_file_errors_name_the_file(tmp_path):
    import shutil

    from monitor.data_files import data_dir
    from monitor.errors import LexiconError

    shutil.copy(data_dir("lexicons") / "normalization.yaml", tmp_path / "normalization.yaml")
    (tmp_path / "evasion.yaml").write_text("stems: []\nfillers: {inside: [某]}\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"evasion.yaml: stems"):
        load_normalizer(tmp_path / "normalization.yaml")
