"""Who may open another live room: a limit for every room together, a limit per key by the key's
role, and slots kept for regulators that no other role can take, so one key (an anchor's, say)
never fills every slot and a regulator can always watch.

Pure: takes the active rooms' owners and returns the quota a new room would break, if any.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class QuotaExceeded:
    """The quota a new room would break: `total`, `key` or `role`, its limit and the rooms that
    count against it now."""

    quota: str
    limit: int
    active: int


@dataclass(frozen=True)
class RoomQuotas:
    """`total` rooms at once; `per_key[role]` rooms per key of that role (0 or missing: only the
    other limits); `regulator_reserved` of the total only regulators may take."""

    total: int = 4
    per_key: Mapping[str, int] = field(default_factory=dict)
    regulator_reserved: int = 1

    def refusal(
        self, key_id: int, role: str, active: Iterable[tuple[int, str]]
    ) -> QuotaExceeded | None:
        """The quota a new room of key `key_id` (of `role`) breaks, given the (key id, role) of
        every active room; None when it may open."""
        owners = list(active)
        if len(owners) >= self.total:
            return QuotaExceeded("total", self.total, len(owners))
        own_limit = self.per_key.get(role, 0)
        own = sum(1 for owner, _ in owners if owner == key_id)
        if own_limit > 0 and own >= own_limit:
            return QuotaExceeded("key", own_limit, own)
        if role != "regulator":
            shared = max(self.total - self.regulator_reserved, 0)
            others = sum(1 for _, owner_role in owners if owner_role != "regulator")
            if others >= shared:
                return QuotaExceeded("role", shared, others)
        return None
