"""Vietnamese wording of dates, periods and report titles used in alert texts."""

from __future__ import annotations

from datetime import date, datetime

from dlxh.core.calendar import LOCAL

MONTHLY_TITLE = "Báo cáo tình hình tư tưởng, dư luận xã hội"
AD_HOC_TITLE = "Báo cáo đột xuất"


def period_label(period_month: date) -> str:
    """'tháng 11/2026'."""
    return f"tháng {period_month.month}/{period_month.year}"


def day_label(day: date) -> str:
    """'20/11/2026'."""
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def moment_label(moment: datetime) -> str:
    """'00:00 ngày 20/11/2026' (local time)."""
    local = moment.astimezone(LOCAL)
    return f"{local:%H:%M} ngày {day_label(local.date())}"


def report_title(report_type: str, request_code: str | None, period_month: date) -> str:
    if report_type == "ad_hoc":
        code = f" (yêu cầu {request_code})" if request_code else ""
        return f"{AD_HOC_TITLE}{code} {period_label(period_month)}"
    return f"{MONTHLY_TITLE} {period_label(period_month)}"
