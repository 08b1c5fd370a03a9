"""Workshops, anchors and products: CRUD for regulators, read for others (issue 6, store API)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
