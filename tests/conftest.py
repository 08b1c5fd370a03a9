"""Shared fixtures: one compiled checker over the shipped lexicon for the whole run."""

from __future__ import annotations

import pytest

from monitor import Checker, default_checker


@pytest.fixture(scope="session")
def checker() -> Checker:
    return default_checker()
