"""Appeals, credit repair, the blacklist and violations found outside the queue (issue 6, store API)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
