"""The alert rules: which alerts are due on an as-of day. Pure: no database, no network.

Statuses are recomputed for the as-of day from `due_at` and `received_at` (dlxh/core/calendar.py),
so a replayed day gives the same alerts whenever dbt last ran, as long as the marts were built
as of that day or later. The day is evaluated at its end (24:00 local): a report received any
time on the day counts as received that day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from alerts.config import AlertConfig
from alerts.model import (
    ACK,
    ALL_TYPES,
    ALL_UNITS,
    DIGEST,
    ESCALATION,
    LATE,
    REMINDER,
    ExpectedReport,
    PlannedAlert,
    Recipient,
    UnitVersion,
)
from alerts.vi import day_label, moment_label, period_label, report_title
from dlxh.core import calendar
from dlxh.core.calendar import LOCAL


def end_of_day(day: date) -> datetime:
    """The instant a day is evaluated at: the last microsecond of the day, local time."""
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL) + timedelta(days=1, microseconds=-1)


def reminder_day(due_at: datetime, remind_days: int) -> date:
    return (due_at.astimezone(LOCAL) - timedelta(days=remind_days)).date()


def late_day(due_at: datetime) -> date:
    """The first local day that starts at or after the deadline: the day of the late notice."""
    return (due_at.astimezone(LOCAL) - timedelta(microseconds=1)).date() + timedelta(days=1)


@dataclass(frozen=True)
class Situation:
    """One expected report as of the as-of day."""

    report: ExpectedReport
    unit: UnitVersion | None
    status: str  # on_time | late | missing | pending (dlxh.core.calendar.status)
    days_late: int
    days_left: int  # whole days from the start of the as-of day to the deadline (pending only)
    received_at: datetime | None  # known on the as-of day


def version_on(versions: list[UnitVersion], day: date) -> UnitVersion | None:
    """The unit version in effect on `day`, else the latest one before it, else the first."""
    if not versions:
        return None
    for v in versions:
        if v.covers(day):
            return v
    earlier = [v for v in versions if v.valid_from <= day]
    return earlier[-1] if earlier else versions[0]


def owes(report: ExpectedReport, versions: list[UnitVersion], owing_unit_types: tuple[str, ...]) -> bool:
    """Guard on top of the mart: unit types that owe reports only, and the unit existed for the period."""
    if report.unit_type not in owing_unit_types:
        return False
    if not versions:
        return True  # the mart's word stands when the registry has no history for the code
    first = min(v.valid_from for v in versions)
    last = None if any(v.valid_to is None for v in versions) else max(v.valid_to for v in versions if v.valid_to)
    return calendar.owes_report(report.period_month, first, last, report.due_at.astimezone(LOCAL))


def is_open(report: ExpectedReport, as_of: date, cfg: AlertConfig) -> bool:
    """A report is chased (and listed in digests) from its reminder day until DLXH_ALERT_OPEN_DAYS after the deadline."""
    return reminder_day(report.due_at, cfg.remind_days) <= as_of < late_day(report.due_at) + timedelta(days=cfg.open_days)


def situations(expected: list[ExpectedReport], units: dict[str, list[UnitVersion]], as_of: date, cfg: AlertConfig) -> list[Situation]:
    moment = end_of_day(as_of)
    start = datetime(as_of.year, as_of.month, as_of.day, tzinfo=LOCAL)
    out = []
    for rep in expected:
        versions = units.get(rep.unit_code, [])
        if not owes(rep, versions, cfg.owing_unit_types) or not is_open(rep, as_of, cfg):
            continue
        received = rep.received_at if rep.received_at is not None and rep.received_at <= moment else None
        due = rep.due_at
        st = calendar.status(received, due, moment)
        if st == "missing" and as_of < late_day(due):
            st = "pending"  # due later on the as-of day: a morning run must not call it late yet
        left = max(0, -(-(due - start) // timedelta(days=1))) if st == "pending" else 0
        out.append(Situation(rep, version_on(versions, as_of), st, calendar.days_late(received, due, moment), left, received))
    return out


def _unit_recipient(code: str, versions: list[UnitVersion], fallback_name: str, as_of: date) -> Recipient:
    v = version_on(versions, as_of)
    if v is None:
        return Recipient(key=f"unit:{code}", name=fallback_name)
    return Recipient(key=f"unit:{code}", name=v.unit_name, email=v.contact_email or None, webhook=v.contact_webhook or None)


def office_recipient(cfg: AlertConfig) -> Recipient:
    return Recipient(key="office", name=cfg.office_name, email=cfg.office_email, webhook=cfg.office_webhook)


def _report_context(s: Situation, as_of: date, cfg: AlertConfig) -> dict:
    r = s.report
    return {
        "unit_code": r.unit_code,
        "unit_name": s.unit.unit_name if s.unit else r.unit_name,
        "report_type": r.report_type,
        "request_code": r.request_code,
        "period": period_label(r.period_month),
        "report_title": report_title(r.report_type, r.request_code, r.period_month),
        "deadline": moment_label(r.due_at),
        "days_left": s.days_left,
        "days_late": s.days_late,
        "received": moment_label(s.received_at) if s.received_at else None,
        "as_of": day_label(as_of),
        "submit_to": cfg.submit_to,
        "office_name": cfg.office_name,
        "escalate_days": cfg.escalate_days,
    }


def plan(expected: list[ExpectedReport], units: dict[str, list[UnitVersion]], as_of: date, cfg: AlertConfig) -> list[PlannedAlert]:
    """Every alert due on `as_of` (before idempotency: the outbox drops what was already claimed)."""
    alerts: list[PlannedAlert] = []
    sits = situations(expected, units, as_of, cfg)
    for s in sits:
        r = s.report
        unit_to = _unit_recipient(r.unit_code, units.get(r.unit_code, []), r.unit_name, as_of)
        ctx = _report_context(s, as_of, cfg)

        def add(rule: str, recipient: Recipient, reason: str, ctx: dict = ctx, r: ExpectedReport = r) -> None:
            alerts.append(
                PlannedAlert(
                    rule, rule, r.unit_code, r.period_month, r.type_key, recipient, reason, {**ctx, "recipient_name": recipient.name}
                )
            )

        if s.status == "pending":
            add(REMINDER, unit_to, f"còn {s.days_left} ngày đến hạn {ctx['deadline']}, đơn vị chưa nộp")
        elif s.status == "missing":
            add(LATE, unit_to, f"quá hạn {s.days_late} ngày (hạn {ctx['deadline']}), đơn vị chưa nộp")
            if s.days_late >= cfg.escalate_days:
                reason = f"quá hạn {s.days_late} ngày (ngưỡng báo cáo cấp trên: {cfg.escalate_days} ngày), đơn vị chưa nộp"
                add(ESCALATION, office_recipient(cfg), reason)
                parent = (s.unit.parent_code if s.unit else None) or r.parent_code
                if parent:
                    add(ESCALATION, _unit_recipient(parent, units.get(parent, []), parent, as_of), reason)
        elif s.status == "late":
            add(ACK, unit_to, f"đã nhận báo cáo lúc {ctx['received']}, muộn {s.days_late} ngày so với hạn {ctx['deadline']}")
    digest = plan_digest(sits, as_of, cfg)
    if digest is not None:
        alerts.append(digest)
    return alerts


def plan_digest(sits: list[Situation], as_of: date, cfg: AlertConfig) -> PlannedAlert | None:
    """One message a day to the office: for each open period, units missing, late, or not yet sent."""
    groups: dict[tuple, list[Situation]] = defaultdict(list)
    for s in sits:
        r = s.report
        groups[(r.period_month, r.report_type, r.request_code or "", r.due_at)].append(s)
    periods = []
    for (period_month, report_type, request_code, due_at), members in sorted(groups.items(), key=lambda kv: (kv[0][3], kv[0][1], kv[0][2])):

        def rows(status: str, members: list[Situation] = members) -> list[dict]:
            chosen = [s for s in members if s.status == status]
            chosen.sort(key=lambda s: (-s.days_late, s.report.unit_code))
            return [
                {
                    "unit_code": s.report.unit_code,
                    "unit_name": s.unit.unit_name if s.unit else s.report.unit_name,
                    "days_late": s.days_late,
                    "received": moment_label(s.received_at) if s.received_at else None,
                    "received_today": bool(s.received_at and s.received_at.astimezone(LOCAL).date() == as_of),
                    "escalated": s.status == "missing" and s.days_late >= cfg.escalate_days,
                }
                for s in chosen
            ]

        missing, late, pending = rows("missing"), rows("late"), rows("pending")
        if not (missing or late or pending):
            continue
        periods.append(
            {
                "title": report_title(report_type, request_code or None, period_month),
                "period": period_label(period_month),
                "deadline": moment_label(due_at),
                "overdue": due_at <= end_of_day(as_of),
                "expected": len(members),
                "on_time": sum(1 for s in members if s.status == "on_time"),
                "missing": missing,
                "late": late,
                "pending": pending,
            }
        )
    if not periods:
        return None
    office = office_recipient(cfg)
    n_missing = sum(len(p["missing"]) for p in periods)
    n_late = sum(len(p["late"]) for p in periods)
    n_pending = sum(len(p["pending"]) for p in periods)
    reason = f"{len(periods)} kỳ đang mở: {n_missing} đơn vị chưa nộp quá hạn, {n_late} nộp muộn, {n_pending} chưa đến hạn chưa nộp"
    ctx = {
        "as_of": day_label(as_of),
        "periods": periods,
        "n_missing": n_missing,
        "n_late": n_late,
        "n_pending": n_pending,
        "escalate_days": cfg.escalate_days,
        "office_name": cfg.office_name,
        "recipient_name": office.name,
    }
    return PlannedAlert(DIGEST, f"{DIGEST}:{as_of.isoformat()}", ALL_UNITS, calendar.month_start(as_of), ALL_TYPES, office, reason, ctx)
