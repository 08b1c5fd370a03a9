"""Administration: reload lexicons and policy (issue 6)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
