"""The classifier's labelled corpus: reading and validating JSON lines, the fixed train/test split,
and diversity measures (so a template explosion is visible). No model code here."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from monitor.errors import InputError

TEST_SHARE_IN_TWENTIETHS = (
    4  # 20 % of the corpus, chosen by a hash of the text, is never trained on
)


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    categories: tuple[str, ...]
    hard_negative: bool = False
    source: str = ""

    @property
    def violation(self) -> bool:
        return bool(self.categories)

    @property
    def in_test_split(self) -> bool:
        """Fixed by the text itself, so adding lines never moves an old line between splits."""
        digest = hashlib.sha256(self.text.strip().encode("utf-8")).digest()
        return digest[0] % 20 < TEST_SHARE_IN_TWENTIETHS


def read_examples(path: Path, categories: Iterable[str]) -> list[Example]:
    """Labelled lines {"id", "text", "violation", "categories", "hard_negative"}; InputError names
    the file and line of the first problem."""
    known = set(categories)
    examples = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{where}: invalid JSON ({exc.msg})") from exc
            if (
                not isinstance(row, dict)
                or not isinstance(row.get("text"), str)
                or not row["text"].strip()
            ):
                raise InputError(f'{where}: each line needs a non-empty "text"')
            labels = tuple(row.get("categories") or ())
            unknown = [c for c in labels if c not in known]
            if unknown:
                raise InputError(f"{where}: unknown categories {unknown}")
            if "violation" in row and bool(row["violation"]) != bool(labels):
                raise InputError(f'{where}: "violation" disagrees with "categories"')
            examples.append(
                Example(
                    id=str(row.get("id", f"{path.stem}-{number}")),
                    text=row["text"].strip(),
                    categories=labels,
                    hard_negative=bool(row.get("hard_negative", False)),
                    source=path.name,
                )
            )
    return examples


def without_repeats(examples: Iterable[Example]) -> list[Example]:
    """The first of every set of examples with the same text."""
    seen, unique = set(), []
    for example in examples:
        if example.text not in seen:
            seen.add(example.text)
            unique.append(example)
    return unique


def distinct_bigram_ratio(texts: Sequence[str]) -> float:
    """Distinct character bigrams over all bigrams: low values mean the same phrases again and again."""
    total, distinct = 0, set()
    for text in texts:
        pairs = [text[i : i + 2] for i in range(len(text) - 1)]
        total += len(pairs)
        distinct.update(pairs)
    return len(distinct) / total if total else 0.0


def near_duplicate_rate(texts: Sequence[str], threshold: float = 0.8) -> float:
    """Share of texts whose character-trigram TF-IDF cosine with another text is >= threshold."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if len(texts) < 2:
        return 0.0
    matrix = TfidfVectorizer(analyzer="char", ngram_range=(3, 3)).fit_transform(texts)
    similarity = (matrix @ matrix.T).tocsr()
    similarity.setdiag(0)
    similarity.eliminate_zeros()
    close = (similarity >= threshold).sum(axis=1)
    return float((close > 0).sum()) / len(texts)


def corpus_files(folder: Path) -> list[Path]:
    """Every labelled file of a corpus folder (and its subfolders), in a stable order."""
    return sorted(folder.rglob("*.jsonl"))


def load_corpus(folder: Path, categories: Iterable[str]) -> list[Example]:
    categories = list(categories)
    examples = [e for path in corpus_files(folder) for e in read_examples(path, categories)]
    return without_repeats(examples)


def add_reviewed_examples(
    reviewed: Path, corpus_folder: Path, categories: Iterable[str], name: str = "reviewed.jsonl"
) -> int:
    """Append reviewers' labelled segments (same line format as the corpus) to the corpus file
    `name`, skipping texts the corpus already has; return how many were added.

    This is how decisions made in review become training data: export confirmed and dismissed
    flags as JSON lines, then `qinglang train --extra FILE.jsonl`.
    """
    categories = list(categories)
    known = {e.text for e in load_corpus(corpus_folder, categories)}
    fresh = [e for e in without_repeats(read_examples(reviewed, categories)) if e.text not in known]
    target = corpus_folder / name
    with target.open("a", encoding="utf-8") as handle:
        for example in fresh:
            row = {
                "id": example.id,
                "text": example.text,
                "violation": example.violation,
                "categories": list(example.categories),
                "hard_negative": example.hard_negative,
            }
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(fresh)
