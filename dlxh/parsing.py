"""Parsing of dates, local times and report months as Vietnamese offices write them."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from dlxh.text import fold

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


def parse_date(value: str) -> date:
    text = value.strip()
    if m := _ISO_DATE.match(text.split(" ")[0].split("T")[0]):
        return date(int(m[1]), int(m[2]), int(m[3]))
    if m := _DMY.match(text.split(" ")[0]):
        return date(int(m[3]), int(m[2]), int(m[1]))
    if m := _VI_DATE.search(fold(text)):
        return date(int(m[3]), int(m[2]), int(m[1]))
    raise ValueError(f"không hiểu ngày «{value}» (dùng dạng 2025-03-18 hoặc 18/03/2025)")


def parse_local_datetime(value: str) -> datetime:
    """A time as written by the office: naive times are Asia/Ho_Chi_Minh; a bare date is 00:00 local."""
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
    if not 1 <= month <= 12 or not 1990 <= year <= 2100:
        raise ValueError(f"kỳ báo cáo «{value}» không hợp lệ (tháng {month}, năm {year})")
    return date(year, month, 1)


def parse_bool_vi(value: str) -> bool:
    text = fold(value)
    if text in ("", "0", "khong", "no", "false", "f", "n", "k"):
        return False
    if text in ("1", "co", "yes", "true", "t", "y", "x", "diem nong"):
        return True
    raise ValueError(f"không hiểu giá trị có/không «{value}» (dùng «có» hoặc «không»)")
