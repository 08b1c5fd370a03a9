"""Using the trained 虚假宣传 / exaggeration classifier: safe loading, probabilities per category,
and the n-grams that pushed a score up (the explanation a reviewer sees).

Loading never unpickles arbitrary objects: skops.io with an explicit list of trusted types, and a
check that the artefact was made by the installed scikit-learn (major.minor).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sklearn
import skops.io as sio

from .errors import QinglangError
from .training import ARTEFACT, METADATA

# Every type a shipped pipeline may contain; anything else in an artefact is refused.
TRUSTED_TYPES = [
    "monitor.features.jieba_words",
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
    """Probabilities per category for one utterance."""

    probabilities: dict[str, float]

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
        probabilities = self._model.predict_proba(list(texts))
        return [
            CategoryScores({c: float(row[k]) for k, c in enumerate(self.categories)})
            for row in probabilities
        ]

    def top_ngrams(self, text: str, category: str, count: int = 4) -> list[str]:
        """The features of `text` that raised `category`'s score the most."""
        if self._weights is None:
            return []
        vector = self._features.transform([text]).tocsr()
        k = self.categories.index(category)
        contributions = vector.data * self._weights[k, vector.indices]
        order = np.argsort(-contributions)
        names = (str(self._names[vector.indices[i]]).strip() for i in order if contributions[i] > 0)
        return [name for name in names if len(name) >= 2][
            :count
        ]  # single characters explain nothing


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
