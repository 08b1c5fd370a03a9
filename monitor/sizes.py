"""Byte counts in units people read (10 MiB, not 10485760 字节), for limits shown to users."""

from __future__ import annotations

_UNITS = ("KiB", "MiB", "GiB", "TiB")


def readable_size(size: int) -> str:
    """`size` bytes in the largest binary unit it reaches: 10485760 → "10 MiB", 1536 → "1.5 KiB",
    2000 → "1.95 KiB", 900 → "900 B". At most two decimals, trailing zeros dropped."""
    value, unit = float(size), "B"
    for larger in _UNITS:
        if value < 1024:
            break
        value, unit = value / 1024, larger
    return f"{value:.2f}".rstrip("0").rstrip(".") + f" {unit}"
