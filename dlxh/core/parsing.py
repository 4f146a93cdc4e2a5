"""Parsing of dates, local times and report months as Vietnamese offices write them."""

from __future__ import annotations

import os
import re
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dlxh.core.text import fold

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_TIME = r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
_ISO_DT = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME + r"\s*(Z|[+-]\d{2}:?\d{2})?$")
_DMY_DT = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})" + _TIME + r"$")
_VI_DATE = re.compile(r"ngay\s+(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(\d{4})")

_MONTH_PATTERNS = [
    re.compile(r"^(\d{4})-(\d{1,2})(?:-01)?$"),  # 2025-03
    re.compile(r"^(\d{4})(\d{2})$"),  # 202503
]
_MONTH_REVERSED = [
    re.compile(r"^(\d{1,2})[/.\-](\d{4})$"),  # 03/2025
    re.compile(r"thang\s*(\d{1,2})\s*(?:nam|/|-|\.)\s*(\d{4})"),  # thang 3 nam 2025, thang 03/2025
    re.compile(r"\bt\s*(\d{1,2})\s*[/.\-]\s*(\d{4})"),  # T3/2025
]


# -- plausibility window ---------------------------------------------------------------------------
# Every date that enters the warehouse (received, submission and publication times, report
# months, registry validity dates) must fall within [DLXH_PLAUSIBLE_FROM, today + DLXH_PLAUSIBLE_AHEAD_DAYS]:
# a row dated 0001-01-01 or 9999-12-31 is quarantined, never stored (downstream date arithmetic
# would overflow on it). Defaults: 2000-01-01 and 366 days.
DEFAULT_PLAUSIBLE_FROM = date(2000, 1, 1)
DEFAULT_PLAUSIBLE_AHEAD_DAYS = 366


@lru_cache(maxsize=1)
def _dotenv_window() -> tuple[str, str]:
    """The window settings from `.env` (read once per process; the process environment wins)."""
    from pathlib import Path

    from dlxh.core.settings import PROJECT_ROOT, _read_dotenv

    env = {**_read_dotenv(PROJECT_ROOT / ".env"), **_read_dotenv(Path.cwd() / ".env")}
    return env.get("DLXH_PLAUSIBLE_FROM", ""), env.get("DLXH_PLAUSIBLE_AHEAD_DAYS", "")


def plausible_window(today: date | None = None) -> tuple[date, date]:
    """(first, last) plausible day, from DLXH_PLAUSIBLE_FROM and DLXH_PLAUSIBLE_AHEAD_DAYS."""
    raw_from = (os.environ.get("DLXH_PLAUSIBLE_FROM") or _dotenv_window()[0] or "").strip()
    raw_ahead = (os.environ.get("DLXH_PLAUSIBLE_AHEAD_DAYS") or _dotenv_window()[1] or "").strip()
    try:
        first = date.fromisoformat(raw_from) if raw_from else DEFAULT_PLAUSIBLE_FROM
        ahead = int(raw_ahead) if raw_ahead else DEFAULT_PLAUSIBLE_AHEAD_DAYS
    except ValueError:
        from dlxh.core.errors import ConfigError

        raise ConfigError(
            f"DLXH_PLAUSIBLE_FROM must be YYYY-MM-DD and DLXH_PLAUSIBLE_AHEAD_DAYS a number of days (got {raw_from!r}, {raw_ahead!r})"
        ) from None
    today = today or datetime.now(LOCAL).date()
    return first, today + timedelta(days=ahead)


class ImplausibleDate(ValueError):
    """A date outside the plausibility window (the message is Vietnamese, for the quarantine)."""


def check_plausible(value: date | datetime, label: str, raw: str | None = None) -> None:
    """Raise ImplausibleDate when `value` is outside `plausible_window()`; `label` names the field."""
    first, last = plausible_window()
    try:
        day = (
            value.astimezone(LOCAL).date()
            if isinstance(value, datetime) and value.tzinfo
            else (value.date() if isinstance(value, datetime) else value)
        )
    except OverflowError:  # 9999-12-31 23:00 UTC is already year 10000 in Hanoi
        day = date.max
    if not first <= day <= last:
        shown = raw if raw is not None else value.isoformat()
        raise ImplausibleDate(
            f"{label} «{shown}» nằm ngoài khoảng hợp lý {first.strftime('%d/%m/%Y')}–{last.strftime('%d/%m/%Y')} "
            "(đặt DLXH_PLAUSIBLE_FROM / DLXH_PLAUSIBLE_AHEAD_DAYS nếu đúng là như vậy)"
        )


def plausible_date(value: date, label: str, raw: str | None = None) -> date:
    check_plausible(value, label, raw)
    return value


def plausible_moment(value: datetime, label: str = "thời gian", raw: str | None = None) -> datetime:
    check_plausible(value, label, raw)
    return value


def parse_date(value: str) -> date:
    text = value.strip()
    if m := _ISO_DATE.match(text.split(" ")[0].split("T")[0]):
        return date(int(m[1]), int(m[2]), int(m[3]))
    if m := _DMY.match(text.split(" ")[0]):
        return date(int(m[3]), int(m[2]), int(m[1]))
    if m := _VI_DATE.search(fold(text)):
        return date(int(m[3]), int(m[2]), int(m[1]))
    raise ValueError(f"không hiểu ngày «{value}» (dùng dạng 2025-03-18 hoặc 18/03/2025)")


def parse_local_datetime(value: str, label: str = "Thời gian") -> datetime:
    """A time as written by the office: naive times are Asia/Ho_Chi_Minh; a bare date is 00:00 local.

    Raises ValueError (Vietnamese) when unreadable or outside the plausibility window.
    """
    try:
        moment = _parse_local_datetime(value)
    except OverflowError:
        raise ValueError(f"không hiểu thời gian «{value}»") from None
    return plausible_moment(moment, label, value.strip())


def _parse_local_datetime(value: str) -> datetime:
    text = value.strip()
    if m := _ISO_DT.match(text):
        y, mo, d, hh, mm, ss, tz = m.groups()
        if tz:
            return datetime.fromisoformat(text.replace(" ", "T").replace("Z", "+00:00"))
        return datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0), tzinfo=LOCAL)
    if m := _DMY_DT.match(text):
        d, mo, y, hh, mm, ss = m.groups()
        return datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0), tzinfo=LOCAL)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"không hiểu thời gian «{value}» (dùng dạng 2025-03-18 14:30 hoặc 18/03/2025 14:30)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=LOCAL)


def parse_month(value: str) -> date:
    """'2025-03', '03/2025', 'tháng 3 năm 2025', 'tháng 03/2025', 'T3/2025' -> date(2025, 3, 1)."""
    text = fold(value)
    for pattern in _MONTH_PATTERNS:
        if m := pattern.match(text):
            year, month = int(m[1]), int(m[2])
            break
    else:
        for pattern in _MONTH_REVERSED:
            if m := pattern.search(text):
                month, year = int(m[1]), int(m[2])
                break
        else:
            raise ValueError(f"không hiểu kỳ báo cáo «{value}» (dùng dạng 2025-03, 03/2025 hoặc «tháng 3 năm 2025»)")
    if not 1 <= month <= 12 or not 1 <= year <= 9999:
        raise ValueError(f"kỳ báo cáo «{value}» không hợp lệ (tháng {month}, năm {year})")
    first, last = plausible_window()
    if not date(first.year, first.month, 1) <= date(year, month, 1) <= last:
        raise ImplausibleDate(
            f"kỳ báo cáo «{value}» nằm ngoài khoảng hợp lý {first.month:02d}/{first.year}–{last.month:02d}/{last.year} "
            "(đặt DLXH_PLAUSIBLE_FROM / DLXH_PLAUSIBLE_AHEAD_DAYS nếu đúng là như vậy)"
        )
    return date(year, month, 1)


def parse_bool_vi(value: str) -> bool:
    text = fold(value)
    if text in ("", "0", "khong", "no", "false", "f", "n", "k"):
        return False
    if text in ("1", "co", "yes", "true", "t", "y", "x", "diem nong"):
        return True
    raise ValueError(f"không hiểu giá trị có/không «{value}» (dùng «có» hoặc «không»)")
