"""Webhook subscriptions for platforms and their delivery log (issue 6)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
