"""Tokenisers the classifier's pipelines may use; module-level so a saved pipeline names them."""

from __future__ import annotations

import jieba


def jieba_words(text: str) -> list[str]:
    """jieba words without spaces and punctuation, for word n-gram features."""
    return [w for w in jieba.lcut(text, HMM=False) if w.strip() and not _is_punctuation(w)]


def _is_punctuation(word: str) -> bool:
    return all(not c.isalnum() for c in word)
