"""qinglang (清朗) core library: check livestream text for banned advertising claims.

Usable without the CLI or the API: `monitor.check(text)` returns a `Report`.
The names below are imported on first use, so that `import monitor.x` (the CLI's `--help`, a bad
input) does not load jieba, pypinyin or the lexicons.
"""

import importlib
import logging

logger = logging.getLogger("qinglang")

_HOMES = {
    "Checker": "checker",
    "check": "checker",
    "default_checker": "checker",
    "CreditFold": "credit",
    "CreditState": "credit",
    "RepairRecord": "credit",
    "ViolationRecord": "credit",
    "credit_at": "credit",
    "corrected_copy": "corrected_copy",
    "Decided": "decisions",
    "Decision": "decisions",
    "decide": "decisions",
    "label": "messages",
    "CreditPolicy": "credit_policy",
    "PolicyError": "credit_policy",
    "load_policy": "credit_policy",
    "InputError": "errors",
    "LexiconError": "errors",
    "QinglangError": "errors",
    "UnknownProfileError": "errors",
    "ProductFacts": "facts",
    "Entry": "lexicon",
    "Lexicon": "lexicon",
    "load_lexicon": "lexicon",
    "NormalizedText": "normalization",
    "Normalizer": "normalization",
    "load_normalizer": "normalization",
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
