"""Using the trained 虚假宣传 / exaggeration classifier: safe loading, probabilities per category,
and the n-grams that pushed a score up (the explanation a reviewer sees).

Loading never unpickles arbitrary objects: skops.io with an explicit list of trusted types, and a
check that the artefact was made by the installed scikit-learn (major.minor).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
import skops.io as sio
from scipy.special import expit
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from monitor.errors import QinglangError
from monitor.model.training import ARTEFACT, METADATA

# Every type a shipped pipeline may contain; anything else in an artefact is refused.
TRUSTED_TYPES = [
    "monitor.model.tokeniser.jieba_words",
    "numpy.dtype",
    "numpy.float64",
    "numpy.int64",
    "numpy.ndarray",
    "scipy.sparse._csr.csr_matrix",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.multiclass.OneVsRestClassifier",
    "sklearn.multiclass._ConstantPredictor",
    "sklearn.naive_bayes.ComplementNB",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._label.LabelBinarizer",
    "sklearn.svm._classes.LinearSVC",
    "builtins.slice",
]


class ModelError(QinglangError):
    """The classifier artefact is missing, untrusted, or made by another scikit-learn."""


def _major_minor(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])


@dataclass(frozen=True)
class CategoryScores:
    """Probabilities per category for one utterance, and where its feature vector is (the
    batch's sparse matrix and the row), for explanations."""

    probabilities: dict[str, float]
    features: Any = field(default=None, compare=False, repr=False)

    def best(self) -> tuple[str, float]:
        category = max(self.probabilities, key=self.probabilities.get)
        return category, self.probabilities[category]


class ClaimClassifier:
    def __init__(self, model, metadata: dict):
        self._model = model
        self.metadata = metadata
        self.categories: list[str] = metadata["categories"]
        self.thresholds: dict[str, float] = metadata["thresholds"]
        self._features = model.named_steps["features"]
        self._names = np.asarray(self._features.get_feature_names_out())
        self._weights = _category_weights(model.named_steps["model"], len(self._names))
        self._logistic = _logistic_parameters(model.named_steps["model"])

    @classmethod
    def load(cls, folder: Path) -> ClaimClassifier:
        artefact, metadata_path = folder / ARTEFACT, folder / METADATA
        if not artefact.is_file() or not metadata_path.is_file():
            raise ModelError(f"no classifier in {folder}: run `qinglang train`")
        metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
        if _major_minor(metadata.get("sklearn_version", "")) != _major_minor(sklearn.__version__):
            raise ModelError(
                f"{artefact} was made with scikit-learn {metadata.get('sklearn_version')}, "
                f"installed is {sklearn.__version__}: run `qinglang train` to rebuild it"
            )
        untrusted = [t for t in sio.get_untrusted_types(file=artefact) if t not in TRUSTED_TYPES]
        if untrusted:
            raise ModelError(f"{artefact} contains types that are not trusted: {untrusted}")
        return cls(sio.load(artefact, trusted=TRUSTED_TYPES), metadata)

    def scores(self, texts: Sequence[str]) -> list[CategoryScores]:
        """Category probabilities for each (normalised) text."""
        if not texts:
            return []
        features = self._vectorize(list(texts))
        if self._logistic is not None:
            weights_t, intercepts = self._logistic
            probabilities = expit(features @ weights_t + intercepts)
        else:
            probabilities = self._model.named_steps["model"].predict_proba(features)
        return [
            CategoryScores({c: float(row[k]) for k, c in enumerate(self.categories)}, (features, i))
            for i, row in enumerate(probabilities)
        ]

    def _vectorize(self, texts: list[str]):
        """TF-IDF rows for `texts`. For a plain TfidfVectorizer, the counts come from scikit-learn
        and the weighting (sublinear tf, idf, l2) is applied here: TfidfTransformer's per-call
        input validation costs ~1 ms, five times the counting, on every short caption."""
        vectorizer = self._features
        if not isinstance(vectorizer, TfidfVectorizer) or vectorizer.norm != "l2":
            return vectorizer.transform(texts).tocsr()
        counts = CountVectorizer.transform(vectorizer, texts).tocsr().astype(np.float64)
        if vectorizer.sublinear_tf:
            np.log(counts.data, out=counts.data)
            counts.data += 1.0
        if vectorizer.use_idf:
            counts.data *= vectorizer.idf_[counts.indices]
        squares = np.zeros(counts.shape[0])
        np.add.at(
            squares, np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr)), counts.data**2
        )
        norms = np.sqrt(squares)
        norms[norms == 0] = 1.0
        counts.data /= np.repeat(norms, np.diff(counts.indptr))
        return counts

    def top_ngrams(self, scores: CategoryScores, category: str, count: int = 4) -> list[str]:
        """The features of an utterance that raised `category`'s score the most."""
        if self._weights is None or scores.features is None:
            return []
        matrix, row = scores.features
        span = slice(matrix.indptr[row], matrix.indptr[row + 1])
        indices, values = matrix.indices[span], matrix.data[span]
        k = self.categories.index(category)
        contributions = values * self._weights[k, indices]
        order = np.argsort(-contributions)
        names = (str(self._names[indices[i]]).strip() for i in order if contributions[i] > 0)
        return [name for name in names if len(name) >= 2][
            :count
        ]  # single characters explain nothing


def _logistic_parameters(model) -> tuple[np.ndarray, np.ndarray] | None:
    """Stacked coefficients and intercepts when every one-vs-rest estimator is a logistic
    regression: then probabilities are one matrix product, without scikit-learn's per-call input
    validation (about 1 ms a call, which dominated short captions). Same numbers as predict_proba."""
    estimators = getattr(model, "estimators_", [])
    if not estimators or not all(isinstance(e, LogisticRegression) for e in estimators):
        return None
    weights = np.vstack([np.ravel(e.coef_) for e in estimators])
    intercepts = np.array([float(np.ravel(e.intercept_)[0]) for e in estimators])
    return np.ascontiguousarray(weights.T), intercepts


def _category_weights(model, feature_count: int) -> np.ndarray | None:
    """Per category, a weight per feature: linear coefficients (averaged over calibration folds)
    or, for naive Bayes, the log-probability difference between the class and the rest."""
    rows = []
    for estimator in model.estimators_:
        if hasattr(estimator, "coef_"):
            rows.append(np.ravel(estimator.coef_))
        elif hasattr(estimator, "calibrated_classifiers_"):
            rows.append(
                np.mean(
                    [np.ravel(c.estimator.coef_) for c in estimator.calibrated_classifiers_], axis=0
                )
            )
        elif hasattr(estimator, "feature_log_prob_"):
            rows.append(estimator.feature_log_prob_[1] - estimator.feature_log_prob_[0])
        else:
            rows.append(np.zeros(feature_count))  # a constant predictor (category never seen)
    return np.vstack(rows) if rows else None
