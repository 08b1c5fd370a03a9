"""Batch checks, caption uploads and audio/video uploads as background jobs (issue 6)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
