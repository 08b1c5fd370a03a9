"""The web UI: review queue, anchor and workshop pages, self-check, public disclosure (issue 6)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
