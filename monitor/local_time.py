"""Times as people read them: stored in UTC (ISO 8601 with Z), shown in the service's time zone
(Asia/Shanghai unless QINGLANG_TIMEZONE says otherwise), so a day starts at local midnight. Pure."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from monitor.errors import InputError

DEFAULT_ZONE = "Asia/Shanghai"
_ZONE_NAMES = {"Asia/Shanghai": "北京时间 Beijing time"}


@lru_cache(maxsize=8)
def zone(name: str = DEFAULT_ZONE) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(
            f"未知时区 {name} / unknown time zone {name!r} (an IANA name such as Asia/Shanghai)"
        ) from exc


def zone_label(name: str = DEFAULT_ZONE) -> str:
    return _ZONE_NAMES.get(name, name)


def to_local(value: str | datetime | None, zone_name: str = DEFAULT_ZONE) -> datetime | None:
    """`value` (a stored ISO time, naive meaning UTC, or a datetime) in the local zone."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone(zone_name))


def local_time(value: str | datetime | None, zone_name: str = DEFAULT_ZONE) -> str:
    """ "2026-12-03 00:17" for 2026-12-02T16:17:00Z in Beijing; "—" for none; text left as is."""
    local = to_local(value, zone_name)
    if local is None:
        return "—" if not value else str(value)
    return local.strftime("%Y-%m-%d %H:%M")


def local_date(value: str | datetime | None, zone_name: str = DEFAULT_ZONE) -> str:
    """The local calendar date: 2026-12-02T16:17:00Z is 2026-12-03 in Beijing."""
    local = to_local(value, zone_name)
    if local is None:
        return "—" if not value else str(value)[:10]
    return local.date().isoformat()


def local_seconds(value: str | datetime | None, zone_name: str = DEFAULT_ZONE) -> str:
    """ "2026-12-03 00:17:05" (to the second, for exports); "" for none."""
    local = to_local(value, zone_name)
    return local.strftime("%Y-%m-%d %H:%M:%S") if local is not None else ""


def parse_day(text: str) -> date:
    """A calendar date written YYYY-MM-DD (as a date input sends it)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"日期格式应为 YYYY-MM-DD / a date is YYYY-MM-DD, not {text!r}") from None


def day_bounds(
    first: str | date | None, last: str | date | None, zone_name: str = DEFAULT_ZONE
) -> tuple[str | None, str | None]:
    """The stored-time (UTC) bounds [since, until) of the local calendar days `first` to `last`,
    both included: in Beijing, 2026-12-03 runs from 2026-12-02T16:00:00Z. None leaves a side open."""
    first = parse_day(first) if isinstance(first, str) and first.strip() else first or None
    last = parse_day(last) if isinstance(last, str) and last.strip() else last or None
    if first and last and first > last:
        raise InputError(
            f"起始日期晚于结束日期 / the first day {first} is after the last day {last}"
        )

    def utc_midnight(day: date) -> str:
        moment = datetime.combine(day, time(0), zone(zone_name)).astimezone(UTC)
        return moment.isoformat(timespec="seconds").replace("+00:00", "Z")

    try:
        return (
            utc_midnight(first) if first else None,
            utc_midnight(last + timedelta(days=1)) if last else None,
        )
    except (OverflowError, ValueError):
        raise InputError(f"日期超出范围 / date out of range: {first} – {last}") from None


def local_today(zone_name: str = DEFAULT_ZONE, now: datetime | None = None) -> date:
    """Today's date in the local zone."""
    return (now or datetime.now(UTC)).astimezone(zone(zone_name)).date()


def day_start(day: date, zone_name: str = DEFAULT_ZONE) -> datetime:
    """When local `day` begins, in UTC: 2026-12-03 in Beijing begins at 2026-12-02T16:00:00Z."""
    return datetime.combine(day, time(), tzinfo=zone(zone_name)).astimezone(UTC)
