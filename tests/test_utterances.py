"""Utterances for the classifier: ASR text without punctuation is cut at pauses and cue words."""

from __future__ import annotations

import pytest

from monitor.text.utterances import UtteranceRules, split_utterances


def pieces(text: str) -> list[str]:
    return [text[s:e] for s, e in split_utterances(text)]


def test_sentence_marks_end_utterances():
    assert pieces("今天杨梅很新鲜。这是全网最低价！") == ["今天杨梅很新鲜。", "这是全网最低价！"]


def test_unpunctuated_speech_is_cut_before_discourse_markers():
    text = "家人们晚上好欢迎来到直播间今天给大家带来的是仙居杨梅然后这个杨梅啊当天现摘的对吧顺丰冷链发货"
    result = pieces(text)
    assert len(result) >= 2
    assert result[1].startswith("然后")


def test_pauses_written_as_spaces_end_long_enough_utterances():
    result = pieces("三二一上链接了家人们 一号链接今天只要三十九块九 吃了一个礼拜血糖就下来了")
    assert result[-1].strip() == "吃了一个礼拜血糖就下来了"


@pytest.mark.parametrize("length", [10, 100, 1000])
def test_no_utterance_is_longer_than_the_maximum_and_nothing_is_lost(length):
    text = "杨" * length
    spans = split_utterances(text, UtteranceRules(max_length=48))
    assert all(e - s <= 48 for s, e in spans)
    assert "".join(text[s:e] for s, e in spans) == text


def test_blank_text_has_no_utterances():
    assert split_utterances("  。！ \n") == []
