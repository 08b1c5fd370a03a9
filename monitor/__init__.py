"""qinglang (清朗) core library: check livestream text for banned advertising claims.

Usable without the CLI or the API: `monitor.check(text)` returns a `Report`.
The names below are imported on first use, so that `import monitor.x` (the CLI's `--help`, a bad
input) does not load jieba, pypinyin or the lexicons.
"""

import importlib
import logging

logger = logging.getLogger("qinglang")

_HOMES = {
    "Checker": "checking.checker",
    "check": "checking.checker",
    "default_checker": "checking.checker",
    "CreditFold": "credit.rules",
    "CreditState": "credit.rules",
    "RepairRecord": "credit.rules",
    "ViolationRecord": "credit.rules",
    "credit_at": "credit.rules",
    "corrected_copy": "checking.corrected_copy",
    "Decided": "review.decisions",
    "Decision": "review.decisions",
    "decide": "review.decisions",
    "label": "messages",
    "CreditPolicy": "credit.policy",
    "PolicyError": "credit.policy",
    "load_policy": "credit.policy",
    "InputError": "errors",
    "LexiconError": "errors",
    "QinglangError": "errors",
    "UnknownProfileError": "errors",
    "ProductFacts": "checking.detectors.fact_rules",
    "Entry": "lexicon.entries",
    "Lexicon": "lexicon.entries",
    "load_lexicon": "lexicon.entries",
    "NormalizedText": "text.normalization",
    "Normalizer": "text.normalization",
    "load_normalizer": "text.normalization",
    "Hit": "report",
    "Report": "report",
    "SentenceVerdict": "report",
    "ReportWarning": "report",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'monitor' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
