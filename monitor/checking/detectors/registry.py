"""The detector registry: which detectors a checker runs, by name, in order. The shipped ones are
listed in `SHIPPED` as "module:factory" (imported when a checker is built, so scikit-learn loads
only with the classifier); `register` adds another without touching the checker.

A factory takes a `DetectorSetup` and returns the detector, or None when it has nothing to do in
that setup (the classifier without a model folder).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import replace

from monitor.checking.detectors.interface import Detector, DetectorSetup

Factory = Callable[[DetectorSetup], "Detector | None"]

SHIPPED: tuple[tuple[str, str], ...] = (
    ("lexicon", "monitor.checking.detectors.lexicon:build"),
    ("classifier", "monitor.checking.detectors.classifier:build"),
    ("facts", "monitor.checking.detectors.facts:build"),
)

_registry: dict[str, Factory | str] = dict(SHIPPED)


def register(name: str, factory: Factory) -> None:
    """Run the detector `factory` builds in every checker built from now on, after the others."""
    if name in _registry:
        raise ValueError(f"a detector named {name!r} is already registered")
    _registry[name] = factory


def unregister(name: str) -> None:
    """Stop building the detector `name` (checkers built before keep it)."""
    del _registry[name]


def names() -> list[str]:
    """The registered detectors, in the order they run."""
    return list(_registry)


def build_detectors(
    setup: DetectorSetup, existing: Mapping[str, Detector] | None = None
) -> dict[str, Detector]:
    """Every registered detector, by name in run order: those in `existing` reused, the others
    built from `setup` (with the ones built so far); a factory that returns None is left out."""
    existing = existing or {}
    built: dict[str, Detector] = {}
    for name, factory in _registry.items():
        detector = existing.get(name) or _factory(factory)(replace(setup, built=dict(built)))
        if detector is not None:
            built[name] = detector
    return built


def _factory(factory: Factory | str) -> Factory:
    if callable(factory):
        return factory
    module, _, attribute = factory.partition(":")
    return getattr(importlib.import_module(module), attribute)
