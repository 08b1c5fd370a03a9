"""Live rooms: monitor a stream URL, pushed caption lines, audio over WebSocket (issue 6)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
