"""When reminders may go out: the working week and the public holidays of the policy's country."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from ..config import PolicyConfig

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def send_days(policy: PolicyConfig) -> tuple[int, ...]:
    """ISO weekdays on which reminders go out: configured, else the country's working week."""
    if policy.send_days is not None:
        return policy.send_days
    return (7, 1, 2, 3, 4) if policy.country == "IL" else (1, 2, 3, 4, 5)


@lru_cache(maxsize=64)
def holidays_of(country: str, year: int) -> dict[date, str]:
    """The country's public holidays in `year`, from the `holidays` library (imported here:
    with its Hebrew calendar it costs 75 ms, which a run with a cached table never pays)."""
    import holidays as holidays_lib

    try:
        return dict(holidays_lib.country_holidays(country, years=[year]))
    except NotImplementedError:
        return {}


def why_not_send_day(day: date, policy: PolicyConfig) -> str | None:
    """None on a send day; otherwise why not ("Saturday", "Yom Kippur")."""
    if day.isoweekday() not in send_days(policy):
        return _DAY_NAMES[day.weekday()]
    name = holiday_of(day, policy)
    return f"public holiday ({name})" if name else None


def holiday_of(day: date, policy: PolicyConfig) -> str | None:
    """The public holiday `day` is, when holidays are days off; else None."""
    if not policy.skip_holidays:
        return None
    table = policy.holidays.get(day.year)
    if table is None:
        table = holidays_of(policy.country, day.year)
    return table.get(day) or None


def next_send_day(day: date, policy: PolicyConfig) -> date:
    """The first send day on or after `day`."""
    for offset in range(0, 30):
        candidate = day + timedelta(days=offset)
        if why_not_send_day(candidate, policy) is None:
            return candidate
    return day
