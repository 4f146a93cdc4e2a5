"""The reporting calendar: due times, on-time status and days late, all in Asia/Ho_Chi_Minh.

The marts compute the same rules in SQL (dbt_project/macros/deadlines.sql); tests check both agree.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_DUE_DAY = 20


def month_start(value: date | datetime) -> date:
    return date(value.year, value.month, 1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def monthly_due_at(period_month: date, due_day: int = DEFAULT_DUE_DAY) -> datetime:
    """A monthly report is due *before* the `due_day`: at 00:00 local time on that day of the report month."""
    return datetime(period_month.year, period_month.month, due_day, tzinfo=LOCAL)


def status(received_at: datetime | None, due_at: datetime, as_of: datetime) -> str:
    """on_time | late | missing | pending (not received and not yet due)."""
    if received_at is not None and received_at <= as_of:
        return "on_time" if received_at <= due_at else "late"
    return "missing" if as_of > due_at else "pending"


def days_late(received_at: datetime | None, due_at: datetime, as_of: datetime) -> int:
    """Whole days past the deadline, rounded up: one second late is one day late."""
    end = received_at if received_at is not None and received_at <= as_of else as_of
    if end <= due_at:
        return 0
    return math.ceil((end - due_at) / timedelta(days=1))


def owes_report(period_month: date, valid_from: date, valid_to: date | None, due_at: datetime | None = None) -> bool:
    """A unit owes a month's report if it existed on the month's first day and still existed
    on the last day before the deadline (valid_to is the last day the unit existed, inclusive).

    A unit created mid-month starts owing the next month; one dissolved before the deadline
    owes nothing for that month.
    """
    due = due_at or monthly_due_at(period_month)
    last_day_needed = (due - timedelta(seconds=1)).date()
    return valid_from <= period_month and (valid_to is None or valid_to >= last_day_needed)
