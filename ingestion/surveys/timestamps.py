"""Submission times as the platforms write them.

* KoboToolbox ``_submission_time``: ISO 8601 in UTC *without* an offset (``2025-03-18T07:30:00``);
  ``start``/``end`` carry the device offset (``2025-03-18T14:25:03.120+07:00``).
* ODK Central ``SubmissionDate``: ISO 8601 with ``Z`` (``2025-03-18T07:30:00.000Z``).
* Google Forms ``Timestamp``: the form's locale, e.g. ``2025/03/18 2:30:00 PM GMT+7``,
  ``18/03/2025 14:30:00`` (Vietnamese locale: ``SA``/``CH`` for AM/PM) or ``3/18/2025 14:30:00``;
  without an offset the time is the spreadsheet's zone, taken as Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

from dlxh.core.parsing import LOCAL

_GOOGLE = re.compile(
    r"^(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
    r"\s*(AM|PM|SA|CH|SÁNG|CHIỀU)?\s*(?:(?:GMT|UTC)\s*([+-]\d{1,2})(?::?(\d{2}))?)?$",
    re.IGNORECASE,
)


def parse_iso(value: str, naive_tz=UTC) -> datetime:
    """ISO 8601 as Kobo/ODK write it; a naive value is in `naive_tz` (UTC for Kobo's _submission_time)."""
    text = value.strip().replace(" ", "T", 1)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=naive_tz)


def infer_date_order(values: Iterable[str]) -> str:
    """dmy unless some value can only be month-first (second number above 12)."""
    first_big = second_big = False
    for v in values:
        m = _GOOGLE.match(v.strip())
        if not m or len(m[1]) == 4:
            continue
        first_big |= int(m[1]) > 12
        second_big |= int(m[2]) > 12
    return "mdy" if second_big and not first_big else "dmy"


def parse_google(value: str, order: str = "dmy") -> datetime:
    m = _GOOGLE.match(value.strip())
    if not m:
        try:
            return parse_iso(value, naive_tz=LOCAL)
        except ValueError:
            raise ValueError(f"không hiểu dấu thời gian «{value}»") from None
    a, b, c, hh, mm, ss, ampm, off_h, off_m = m.groups()
    if len(a) == 4:
        y, mo, d = int(a), int(b), int(c)
    elif order == "mdy":
        mo, d, y = int(a), int(b), int(c)
    else:
        d, mo, y = int(a), int(b), int(c)
    hour = int(hh)
    if ampm:
        pm = ampm.upper() in ("PM", "CH", "CHIỀU")
        if not 1 <= hour <= 12:
            raise ValueError(f"giờ «{hh}» không hợp lệ với {ampm} trong «{value}»")
        hour = hour % 12 + (12 if pm else 0)
    tz: tzinfo
    if off_h is not None:
        sign = -1 if off_h.startswith("-") else 1
        tz = timezone(sign * timedelta(hours=abs(int(off_h)), minutes=int(off_m or 0)))
    else:
        tz = LOCAL
    try:
        return datetime(y, mo, d, hour, int(mm), int(ss or 0), tzinfo=tz)
    except ValueError as exc:
        raise ValueError(f"ngày giờ «{value}» không hợp lệ ({exc})") from None


def local_month(moment: datetime) -> date:
    """First day of the month of `moment` in Asia/Ho_Chi_Minh."""
    local = moment.astimezone(LOCAL)
    return date(local.year, local.month, 1)
