"""Flags: list and filter, one flag with its context, review decisions (issue 6, store API)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
