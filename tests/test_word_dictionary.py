"""The word dictionary cuts text exactly as jieba does (HMM off): built from jieba, loaded from its
pickled form, and after many lookups have turned it back into a dict."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import jieba
import pytest

from monitor.text.word_dictionary import WordDictionary

DATA = Path(__file__).parent / "data"
CORPUS = Path(__file__).parent.parent / "models" / "data" / "parts"
# lexicon terms jieba does not know as words, added as the word-boundary judge adds them
TERMS = ("全网最低价", "最低价", "加我微信", "第一", "国家级")
TRAPS = [
    "",
    "x",
    "\n\n",
    "abc 123 ok\r\nhello  世界",
    "iPhone15 Pro 最低价!!",
    "A-B_C.d%e#f&g+h 全网最低价",
    "　全角　空格，第一次来直播间",
    "零糖 0糖 100%有效，加我微信vx123",
    "①②③ 第一名 第1 No.1",
    "国家级非物质文化遗产，国家级品质",
]


def _lines(paths) -> list[str]:
    return [
        json.loads(line)["text"]
        for path in paths
        for line in path.read_text("utf-8").splitlines()
        if line.strip()
    ]


def _texts() -> list[str]:
    lines = _lines(DATA / name / "utterances.jsonl" for name in ("eval", "holdout"))
    windows = [text[i : i + 17] for text in lines for i in range(0, max(1, len(text) - 16), 5)]
    return TRAPS + lines + windows


@pytest.fixture(scope="module")
def tokenizer() -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for term in TERMS:
        tokenizer.add_word(term)
    return tokenizer


def _jieba_ends(tokenizer: jieba.Tokenizer, text: str) -> tuple[int, ...]:
    ends, position = [], 0
    for token in tokenizer.cut(text, HMM=False):
        position += len(token)
        ends.append(position)
    return tuple(ends)


def test_token_ends_are_jiebas_on_livestream_text(tokenizer):
    dictionary = WordDictionary(dict(tokenizer.FREQ), tokenizer.total)
    texts = _texts()
    assert len(texts) > 3000
    differ = [t for t in texts if dictionary.token_ends(t) != _jieba_ends(tokenizer, t)]
    assert differ == []


def test_a_pickled_dictionary_cuts_the_same_by_bisection_and_once_it_is_a_dict(tokenizer):
    built = WordDictionary(dict(tokenizer.FREQ), tokenizer.total)
    loaded = pickle.loads(pickle.dumps(built, protocol=pickle.HIGHEST_PROTOCOL))
    texts = _texts()
    first = [t for t in texts[:200] if loaded.token_ends(t) != _jieba_ends(tokenizer, t)]
    assert first == [] and loaded._dict is None  # still bisecting the sorted words
    texts += _lines(sorted(CORPUS.glob("*.jsonl")))  # the classifier's corpus: a long run
    rest = [t for t in texts if loaded.token_ends(t) != _jieba_ends(tokenizer, t)]
    assert rest == []
    assert loaded._dict is not None  # the long run turned the words into a dict


def test_a_prefix_is_no_word_and_an_unknown_string_is_nothing(tokenizer):
    loaded = pickle.loads(pickle.dumps(WordDictionary(dict(tokenizer.FREQ), tokenizer.total)))
    assert loaded.get("全网最低价") and loaded.get("全网最低") == 0
    assert loaded.get("qinglang-no-such-word") is None
