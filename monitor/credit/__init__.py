"""Anchor credit: the policy, the pure rules and ledger, the service that applies them in the
store, eligibility (may this anchor go live?), public disclosure, workshop statistics.
"""
