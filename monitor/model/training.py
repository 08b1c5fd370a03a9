"""Training the 虚假宣传 / exaggeration classifier: compare pipelines by cross-validation, fit the
best on the training split, measure it on the fixed test split, and write the artefact.

Deterministic: the same corpus gives the same predictions (fixed seeds, no timestamps).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sklearn
import skops
import skops.io as sio
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    brier_score_loss,
    f1_score,
    precision_recall_fscore_support,
    precision_score,
)
from sklearn.model_selection import KFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.svm import LinearSVC

from monitor.model.corpus import Example, distinct_bigram_ratio, near_duplicate_rate
from monitor.model.tokeniser import jieba_words

ARTEFACT = "claims_classifier.skops"
METADATA = "claims_classifier.json"
FOLDS = 5
SEED = 20261123
TARGET_PRECISION = 0.85  # per category, on cross-validated predictions of the training split


def _char_tfidf() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)


def _word_tfidf() -> TfidfVectorizer:
    return TfidfVectorizer(
        tokenizer=jieba_words,
        token_pattern=None,
        lowercase=False,
        ngram_range=(1, 2),
        sublinear_tf=True,
        min_df=2,
    )


def candidate_pipelines() -> dict[str, Pipeline]:
    """The pipelines compared by cross-validation, each a TF-IDF front and a one-vs-rest linear model."""
    return {
        "char_tfidf_logreg": Pipeline(
            [
                ("features", _char_tfidf()),
                (
                    "model",
                    OneVsRestClassifier(
                        LogisticRegression(C=10, class_weight="balanced", max_iter=3000)
                    ),
                ),
            ]
        ),
        "word_tfidf_logreg": Pipeline(
            [
                ("features", _word_tfidf()),
                (
                    "model",
                    OneVsRestClassifier(
                        LogisticRegression(C=10, class_weight="balanced", max_iter=3000)
                    ),
                ),
            ]
        ),
        "char_word_tfidf_svm_calibrated": Pipeline(
            [
                ("features", FeatureUnion([("char", _char_tfidf()), ("word", _word_tfidf())])),
                (
                    "model",
                    OneVsRestClassifier(
                        CalibratedClassifierCV(
                            LinearSVC(C=0.5, class_weight="balanced"), cv=3, method="sigmoid"
                        )
                    ),
                ),
            ]
        ),
        "char_tfidf_complement_nb": Pipeline(
            [
                ("features", _char_tfidf()),
                ("model", OneVsRestClassifier(ComplementNB(alpha=0.3))),
            ]
        ),
    }


@dataclass(frozen=True)
class TrainingResult:
    chosen: str
    cv_macro_f1: dict[str, float]
    test_report: dict
    thresholds: dict[str, float]
    metadata: dict


def _labels(examples: Sequence[Example], categories: Sequence[str]) -> np.ndarray:
    return MultiLabelBinarizer(classes=list(categories)).fit_transform(
        [e.categories for e in examples]
    )


def _out_of_fold(pipeline: Pipeline, texts: list[str], y: np.ndarray) -> np.ndarray:
    """Cross-validated probabilities for every training text."""
    probabilities = np.zeros(y.shape, dtype=float)
    for train, held in KFold(FOLDS, shuffle=True, random_state=SEED).split(texts):
        fitted = sklearn.base.clone(pipeline).fit([texts[i] for i in train], y[train])
        probabilities[held] = fitted.predict_proba([texts[i] for i in held])
    return probabilities


def _evidence_matrix(
    examples: Sequence[Example], categories: Sequence[str], evidence
) -> np.ndarray:
    """1 where the example shows evidence of the category's claim (all ones without a gate)."""
    if evidence is None:
        return np.ones((len(examples), len(categories)))
    shown = [evidence(e.text) for e in examples]
    return np.array([[c in found for c in categories] for found in shown], dtype=float)


def _best_thresholds(
    probabilities: np.ndarray, y: np.ndarray, categories: Sequence[str]
) -> dict[str, float]:
    """Per category, the lowest threshold whose out-of-fold precision reaches TARGET_PRECISION
    (every hit costs a reviewer's time, so precision comes first); where none does, the most
    precise threshold on the grid. `probabilities` are already zeroed where the sentence has no
    evidence of the category's claim, as the checker decides (checking/detectors/classifier.py)."""
    grid = np.round(np.arange(0.30, 0.96, 0.05), 2)
    chosen = {}
    for k, category in enumerate(categories):
        precision = [
            precision_score(y[:, k], probabilities[:, k] >= t, zero_division=0) for t in grid
        ]
        reaching = [t for t, p in zip(grid, precision, strict=True) if p >= TARGET_PRECISION]
        chosen[category] = float(reaching[0] if reaching else grid[int(np.argmax(precision))])
    return chosen


def _report(
    probabilities: np.ndarray, y: np.ndarray, categories: Sequence[str], thresholds: dict
) -> dict:
    predicted = np.column_stack(
        [probabilities[:, k] >= thresholds[c] for k, c in enumerate(categories)]
    )
    precision, recall, f1, support = precision_recall_fscore_support(y, predicted, zero_division=0)
    truth_any, predicted_any = y.any(axis=1), predicted.any(axis=1)
    p_any, r_any, f_any, _ = precision_recall_fscore_support(
        truth_any, predicted_any, average="binary", zero_division=0
    )
    return {
        "per_category": {
            c: {
                "precision": round(float(precision[k]), 3),
                "recall": round(float(recall[k]), 3),
                "f1": round(float(f1[k]), 3),
                "support": int(support[k]),
            }
            for k, c in enumerate(categories)
        },
        "macro_f1": round(float(f1_score(y, predicted, average="macro", zero_division=0)), 3),
        "micro_f1": round(float(f1_score(y, predicted, average="micro", zero_division=0)), 3),
        "violation": {
            "precision": round(float(p_any), 3),
            "recall": round(float(r_any), 3),
            "f1": round(float(f_any), 3),
        },
        "brier_max_probability": round(
            float(brier_score_loss(truth_any, probabilities.max(axis=1))), 4
        ),
        "calibration": _calibration_table(probabilities.max(axis=1), truth_any),
    }


def _calibration_table(scores: np.ndarray, truth: np.ndarray) -> list[dict]:
    """Observed violation rate per band of the highest category probability."""
    table = []
    for low in np.arange(0.0, 1.0, 0.2):
        inside = (scores >= low) & (scores < low + 0.2 + (1e-9 if low >= 0.8 else 0))
        if inside.any():
            table.append(
                {
                    "band": f"{low:.1f}-{low + 0.2:.1f}",
                    "count": int(inside.sum()),
                    "observed": round(float(truth[inside].mean()), 3),
                }
            )
    return table


def corpus_digest(examples: Sequence[Example]) -> str:
    digest = hashlib.sha256()
    for example in sorted(examples, key=lambda e: e.text):
        digest.update(
            json.dumps(
                [e for e in (example.text, list(example.categories))], ensure_ascii=False
            ).encode()
        )
    return digest.hexdigest()


def train(
    examples: Sequence[Example],
    categories: Sequence[str],
    normalize,
    out_dir: Path,
    pipelines: dict[str, Pipeline] | None = None,
    evidence: Callable[[str], set[str]] | None = None,
) -> TrainingResult:
    """Compare pipelines on the training split, fit the best, measure on the test split, save.
    With `evidence` (text -> categories whose claim shape the text shows), thresholds are chosen
    for the decision the checker makes: the model's probability AND the evidence."""
    pipelines = pipelines or candidate_pipelines()
    train_set = [e for e in examples if not e.in_test_split]
    test_set = [e for e in examples if e.in_test_split]
    train_texts = [normalize(e.text) for e in train_set]
    test_texts = [normalize(e.text) for e in test_set]
    y_train, y_test = _labels(train_set, categories), _labels(test_set, categories)
    cv_macro_f1, out_of_fold = {}, {}
    for name, pipeline in pipelines.items():
        out_of_fold[name] = _out_of_fold(pipeline, train_texts, y_train)
        cv_macro_f1[name] = round(
            float(f1_score(y_train, out_of_fold[name] >= 0.5, average="macro", zero_division=0)), 4
        )
    chosen = max(cv_macro_f1, key=lambda n: (cv_macro_f1[n], n))
    gate = _evidence_matrix(train_set, categories, evidence)
    thresholds = _best_thresholds(out_of_fold[chosen] * gate, y_train, categories)
    model = sklearn.base.clone(pipelines[chosen]).fit(train_texts, y_train)
    test_report = _report(model.predict_proba(test_texts), y_test, categories, thresholds)
    out_dir.mkdir(parents=True, exist_ok=True)
    sio.dump(model, out_dir / ARTEFACT, compression=zipfile.ZIP_DEFLATED)
    texts = [e.text for e in examples]
    metadata = {
        "pipeline": chosen,
        "categories": list(categories),
        "thresholds": thresholds,
        "sklearn_version": sklearn.__version__,
        "skops_version": skops.__version__,
        "corpus_sha256": corpus_digest(examples),
        "corpus": {
            "examples": len(examples),
            "train": len(train_set),
            "test": len(test_set),
            "violations": sum(e.violation for e in examples),
            "hard_negatives": sum(e.hard_negative for e in examples),
            "distinct_bigram_ratio": round(distinct_bigram_ratio(texts), 4),
            "near_duplicate_rate": round(near_duplicate_rate(texts), 4),
        },
        "cv_macro_f1": cv_macro_f1,
        "test": test_report,
    }
    (out_dir / METADATA).write_text(
        json.dumps(metadata, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return TrainingResult(chosen, cv_macro_f1, test_report, thresholds, metadata)
