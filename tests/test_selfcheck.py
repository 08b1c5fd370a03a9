"""The corrected copy of a self-checked script (复制修改后版本) reads as a script: a rewording
fits where the words stood, overlapping hits are replaced once, advice is a marked comment on a
line of its own after its sentence, and no rewording claims what the anchor did not say."""

from __future__ import annotations

import shutil

import pytest

from monitor import LexiconError, load_lexicon
from monitor.corrected_copy import corrected_copy
from monitor.data_files import data_dir
from monitor.lexicon import CONFIG_FILES

ADVICE_LINE = "【建议 / advice："


def _corrected(checker, text: str, **how) -> str:
    return corrected_copy(text, checker.check(text, **how).to_dict()["hits"])


@pytest.mark.parametrize(
    "script, expected",
    [
        # two hits in one sentence, both with a rewording
        ("这款黄酒口感最醇，是我喝过最好喝的。", "这款黄酒口感很醇，是我喝过很好喝的。"),
        # 全网最 and 最甜 overlap: one replacement, not two run together
        ("全网最甜的杨梅，今天就在直播间。", "很甜的杨梅，今天就在直播间。"),
        # an origin claim loses its place name, and nothing is added in its stead
        ("这是正宗的西湖龙井，欢迎品尝。", "这是正宗的龙井，欢迎品尝。"),
        # English: the rewording takes the capital of the words it replaces
        ("Best in the world, this tea.", "Really good, this tea."),
        # nothing found: the script comes back as it was
        ("欢迎来到直播间，今天给大家介绍杨梅。", "欢迎来到直播间，今天给大家介绍杨梅。"),
    ],
)
def test_rewordings_replace_the_words_where_they_stand(checker, script, expected):
    assert _corrected(checker, script) == expected


def test_advice_follows_its_sentence_on_a_line_of_its_own(checker):
    script = "吃了能降血压，老人小孩都适合。接下来看看杨梅。"
    copy = _corrected(checker, script)
    first, advice, rest = copy.split("\n")
    assert first == "吃了能降血压，老人小孩都适合。"
    assert advice.startswith(f"{ADVICE_LINE}“降血压”——") and advice.endswith("】")
    assert rest == "接下来看看杨梅。"


def test_words_that_run_across_a_rewording_get_one_piece_of_advice(checker):
    """加我微信 has a rewording, 微信私聊 has none and overlaps it: the place is advised once."""
    copy = _corrected(checker, "有问题加我微信私聊。")
    assert copy.split("\n") == [
        "有问题加我微信私聊。",
        f"{ADVICE_LINE}“加我微信私聊”——有问题在平台内私信客服】",
    ]


def test_a_script_of_several_lines_keeps_its_lines_and_puts_advice_under_each(checker):
    script = "这款珍珠是天然珍珠，颜色最亮。\n喝了这个酒能治病，还能降血压！\n想要的加我微信。"
    lines = _corrected(checker, script).split("\n")
    assert lines[0] == "这款珍珠是珍珠，颜色很亮。"
    assert lines[1] == "喝了这个酒能治病，还能降血压！"
    assert [line.split("——")[0] for line in lines[2:4]] == [
        f"{ADVICE_LINE}“治病”",
        f"{ADVICE_LINE}“降血压”",
    ]
    assert lines[4] == "想要的联系平台客服。"
    assert len(lines) == 5


SCRIPTS = [
    "这款黄酒是全网最好喝的，口感最醇，喝了能降血压。原价199今天只要59！有问题加我微信。",
    "家人们，我们的杨梅是最好吃的，纯天然无添加，老人小孩都能吃，吃了还能降血糖。",
    "这款面霜是医用面膜同款配方，零刺激，美白祛斑，一抹就白，全网最低价。",
    "珍珠是天然海水珍珠，开过光的，戴上能转运招财，越放越值钱，只剩最后三单！",
]


@pytest.mark.parametrize("script", SCRIPTS)
def test_no_advice_is_pasted_into_a_sentence(checker, script):
    report = checker.check(script).to_dict()
    copy = corrected_copy(script, report["hits"])
    advice = {h["suggestion"] for h in report["hits"] if not h["rewording"]}
    for line in copy.split("\n"):
        if line.startswith(ADVICE_LINE):
            assert line.endswith("】") and line.count(ADVICE_LINE) == 1
        else:
            assert ADVICE_LINE not in line
            assert not any(text in line for text in advice), line


@pytest.mark.parametrize("script", SCRIPTS)
def test_checked_again_the_corrected_copy_holds_only_the_problems_it_advises_on(checker, script):
    copy = _corrected(checker, script)
    said = "\n".join(line for line in copy.split("\n") if not line.startswith(ADVICE_LINE))
    quoted = "".join(line for line in copy.split("\n") if line.startswith(ADVICE_LINE))
    for hit in checker.check(said, profile="default").hits:
        if hit.source == "lexicon":
            assert hit.text in quoted, (hit.text, copy)


# --- the rewordings in the lexicon data ---------------------------------------------------------


def test_no_shipped_rewording_is_itself_a_claim_the_checker_finds(checker):
    for entry in checker.lexicon.entries:
        if not entry.rewording:
            continue
        for product_class in [None, *(c for c in entry.applies_to if c != "all")]:
            report = checker.check(entry.rewording, product_class=product_class)
            assert not report.hits, (entry.id, entry.rewording, product_class)


def test_the_lexicon_says_which_suggestions_are_drop_in_rewordings(checker):
    entries = checker.lexicon.entries
    reworded = [e for e in entries if e.rewording]
    assert len(reworded) >= 150
    assert len(entries) - len(reworded) >= 800  # the rest is advice only


@pytest.fixture()
def lexicon_folder(tmp_path):
    for name in CONFIG_FILES:
        shutil.copy(data_dir("lexicons") / f"{name}.yaml", tmp_path / f"{name}.yaml")
    return tmp_path


ENTRY = """
category: medical_claims
entries:
  - id: t-jiangxueya
    term: 降血压
    severity: high
    basis: ["《广告法》第十七条"]
    explanation: 宣称降血压
    suggestion: 不谈血压
    rewording: {rewording}
"""


@pytest.mark.parametrize(
    "rewording, problem",
    [
        ("低钠配方", "asserts what the anchor did not say (配方, 低钠)"),
        ("很多老顾客回购", "asserts what the anchor did not say (回购, 老顾客)"),
        ("糖度18度", "holds a figure"),
        ("口感好（如实描述）", "holds a note"),
        ("每天××克", "holds a note, a placeholder"),
        ("轻松降血压", "repeats the term '降血压'"),
        ("清淡的口感让一家老小都吃得开心", "longer than 12 characters"),
    ],
)
def test_a_rewording_that_says_more_than_the_anchor_is_rejected(lexicon_folder, rewording, problem):
    (lexicon_folder / "user.yaml").write_text(ENTRY.format(rewording=rewording), encoding="utf-8")
    with pytest.raises(LexiconError) as caught:
        load_lexicon(folder=lexicon_folder)
    assert any(
        "t-jiangxueya" in p and f"rewording '{rewording}'" in p and problem in p
        for p in caught.value.problems
    ), caught.value.problems


def test_a_plain_rewording_loads(lexicon_folder):
    text = ENTRY.replace("降血压", "最好吃").format(rewording="很好吃")
    (lexicon_folder / "user.yaml").write_text(text, encoding="utf-8")
    assert [e.rewording for e in load_lexicon(folder=lexicon_folder).entries] == ["很好吃"]
