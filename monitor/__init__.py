"""qinglang (清朗) core library: check livestream text for banned advertising claims.

Usable without the CLI or the API: `monitor.check(text)` returns a `Report`.
"""

import logging

from .checker import Checker, check, default_checker
from .corrected_copy import corrected_copy
from .credit import CreditFold, CreditState, RepairRecord, ViolationRecord, credit_at
from .credit_policy import CreditPolicy, PolicyError, load_policy
from .errors import InputError, LexiconError, QinglangError, UnknownProfileError
from .facts import ProductFacts
from .lexicon import Entry, Lexicon, load_lexicon
from .messages import label
from .normalization import NormalizedText, Normalizer, load_normalizer
from .report import Hit, Report, ReportWarning, SentenceVerdict

logger = logging.getLogger("qinglang")

__all__ = [
    "Checker",
    "CreditFold",
    "CreditPolicy",
    "CreditState",
    "Entry",
    "Hit",
    "InputError",
    "Lexicon",
    "LexiconError",
    "NormalizedText",
    "Normalizer",
    "PolicyError",
    "ProductFacts",
    "QinglangError",
    "RepairRecord",
    "Report",
    "ReportWarning",
    "SentenceVerdict",
    "UnknownProfileError",
    "ViolationRecord",
    "check",
    "corrected_copy",
    "credit_at",
    "default_checker",
    "label",
    "load_lexicon",
    "load_normalizer",
    "load_policy",
]
