"""Deadline logic: due at 00:00 on the 20th, Asia/Ho_Chi_Minh; who owes a report for a month."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from dlxh.core.calendar import LOCAL, add_months, days_late, monthly_due_at, owes_report, status

DUE = monthly_due_at(date(2025, 3, 1))
LATER = DUE + timedelta(days=30)


def test_due_time_is_the_20th_midnight_in_ho_chi_minh():
    assert DUE == datetime(2025, 3, 20, 0, 0, tzinfo=LOCAL)
    assert DUE.astimezone(UTC) == datetime(2025, 3, 19, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("received", "expected_status", "expected_days"),
    [
        (DUE, "on_time", 0),
        (DUE - timedelta(seconds=1), "on_time", 0),
        (DUE + timedelta(seconds=1), "late", 1),
        (DUE + timedelta(days=1), "late", 1),
        (DUE + timedelta(days=1, seconds=1), "late", 2),
    ],
    ids=["exactly-at-deadline", "one-second-before", "one-second-after", "exactly-one-day", "a-day-and-a-second"],
)
def test_received_around_the_deadline(received, expected_status, expected_days):
    assert status(received, DUE, LATER) == expected_status
    assert days_late(received, DUE, LATER) == expected_days


def test_not_received_is_pending_before_and_missing_after_the_deadline():
    assert status(None, DUE, DUE - timedelta(seconds=1)) == "pending"
    assert status(None, DUE, DUE) == "pending"
    assert status(None, DUE, DUE + timedelta(seconds=1)) == "missing"
    assert days_late(None, DUE, DUE + timedelta(days=3)) == 3


def test_a_report_received_after_the_as_of_moment_does_not_count_yet():
    received = DUE + timedelta(days=2)
    assert status(received, DUE, DUE + timedelta(days=1)) == "missing"
    assert status(received, DUE, DUE + timedelta(days=3)) == "late"


def test_time_zone_of_the_received_time_does_not_matter():
    # 16:59:59 UTC on the 19th is 23:59:59 local: on time; 17:00:01 UTC is late.
    assert status(datetime(2025, 3, 19, 16, 59, 59, tzinfo=UTC), DUE, LATER) == "on_time"
    assert status(datetime(2025, 3, 19, 17, 0, 1, tzinfo=UTC), DUE, LATER) == "late"


@pytest.mark.parametrize(
    ("month", "valid_from", "valid_to", "owes"),
    [
        (date(2025, 2, 1), date(2025, 3, 1), None, False),  # before the unit existed
        (date(2025, 3, 1), date(2025, 3, 1), None, True),  # its first month
        (date(2025, 3, 1), date(2025, 3, 15), None, False),  # created mid-month: starts next month
        (date(2025, 4, 1), date(2025, 3, 15), None, True),
        (date(2025, 6, 1), date(2025, 1, 1), date(2025, 5, 31), False),  # after dissolution
        (date(2025, 5, 1), date(2025, 1, 1), date(2025, 5, 31), True),  # dissolved end of month: owes it
        (date(2025, 5, 1), date(2025, 1, 1), date(2025, 5, 10), False),  # dissolved before the deadline
        (date(2025, 5, 1), date(2025, 1, 1), date(2025, 5, 19), True),  # existed the day before the deadline
    ],
)
def test_who_owes_a_report(month, valid_from, valid_to, owes):
    assert owes_report(month, valid_from, valid_to) is owes


def test_add_months_crosses_years():
    assert add_months(date(2025, 12, 1), 1) == date(2026, 1, 1)
    assert add_months(date(2025, 1, 1), -1) == date(2024, 12, 1)
