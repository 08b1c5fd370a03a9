"""Normalisation folds evasive spellings and keeps an exact map back to the text as given."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor import load_normalizer

NOISE = [" ", "*", "·", "、", "😀", "\u200b", "-", "~", "♥", "　", "_", "/", "#"]


@pytest.fixture(scope="module")
def normalizer():
    return load_normalizer()


@pytest.mark.parametrize(
    "given_text, expected",
    [
        ("全網最低價", "全网最低价"),  # traditional -> simplified
        ("ＶＸ１００％", "vx100%"),  # full width -> half width, case
        ("最 低 价", "最低价"),  # spaces inserted between characters
        ("最*低·价、", "最低价"),  # symbols inserted
        ("最😀低😀价", "最低价"),  # emoji inserted
        ("最\u200b低\u200b价", "最低价"),  # zero-width spaces
        ("蕞低价", "最低价"),  # look-alike character from the char map
        ("百分百有效", "100%有效"),  # number forms
        ("百 分 之 百有效", "100%有效"),
        ("⼀流", "一流"),  # Kangxi radical look-alike (NFKC)
        ("zui  di   jia", "zui di jia"),  # latin words keep one space
        ("Best in the World!", "best in the world!"),
        ("39.9元。", "39.9元。"),  # a decimal point is not noise
        ("ⓥ信", "v信"),
    ],
)
def test_evasive_spellings_fold_to_one_form(normalizer, given_text, expected):
    assert normalizer.normalize(given_text).text == expected


def test_sentence_punctuation_is_kept_as_a_boundary(normalizer):
    assert normalizer.normalize("最低，价！").text == "最低,价!"


def test_a_span_maps_back_to_exactly_the_original_characters(normalizer):
    original = "今天 全*網*最·低·價 哦"
    result = normalizer.normalize(original)
    start = result.text.index("全网最低价")
    o_start, o_end = result.to_original(start, start + 5)
    assert original[o_start:o_end] == "全*網*最·低·價"


def test_expanded_characters_map_back_whole(normalizer):
    original = "重量5㎏装"  # ㎏ expands to "kg"
    result = normalizer.normalize(original)
    assert result.text == "重量5kg装"
    assert result.to_original(3, 5) == (3, 4)


cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x4E80)


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.text(alphabet=cjk, min_size=1, max_size=6), min_size=1, max_size=8),
    noise=st.lists(st.sampled_from(NOISE), min_size=0, max_size=8),
    pick=st.integers(min_value=0, max_value=7),
)
def test_every_normalised_span_slices_the_original_to_the_same_text(normalizer, words, noise, pick):
    # Interleave noise with CJK words, then take any word: its mapped span normalises back to it.
    pieces = []
    for i, word in enumerate(words):
        pieces.append(word)
        if i < len(noise):
            pieces.append(noise[i])
    original = "".join(pieces)
    result = normalizer.normalize(original)
    word = normalizer.normalize(words[pick % len(words)]).text
    start = result.text.find(word)
    assert start >= 0
    o_start, o_end = result.to_original(start, start + len(word))
    assert normalizer.normalize(original[o_start:o_end]).text == word
    assert original[o_start] not in NOISE and original[o_end - 1] not in NOISE


@settings(max_examples=100, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from([*"最低价全網 *😀·、百分百ab1.", "\u200b"]), max_size=40)
)
def test_many_spans_map_back_exactly_as_one_at_a_time(normalizer, text):
    result = normalizer.normalize(text)
    n = len(result.text)
    spans = [(s, e) for s in range(n) for e in range(s + 1, n + 1)][:200]
    assert result.spans_to_original(spans) == [result.to_original(s, e) for s, e in spans]
