"""Public disclosure and workshop statistics (issue 6, store API)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
