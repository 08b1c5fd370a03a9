"""Telling platforms: webhook subscriptions, the outbox and its delivery worker."""
