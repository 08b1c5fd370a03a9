"""qinglang (清朗) core library: check livestream text for banned advertising claims.

Usable without the CLI or the API: `monitor.check(text)` returns a `Report`.
"""

import logging

from .checker import Checker, check, default_checker
from .errors import InputError, LexiconError, QinglangError, UnknownProfileError
from .lexicon import Entry, Lexicon, load_lexicon
from .normalization import NormalizedText, Normalizer, load_normalizer
from .report import Hit, Report, SentenceVerdict

logger = logging.getLogger("qinglang")

__all__ = [
    "Checker",
    "Entry",
    "Hit",
    "InputError",
    "Lexicon",
    "LexiconError",
    "NormalizedText",
    "Normalizer",
    "QinglangError",
    "Report",
    "SentenceVerdict",
    "UnknownProfileError",
    "check",
    "default_checker",
    "load_lexicon",
    "load_normalizer",
]
