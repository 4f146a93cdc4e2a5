"""Monthly notices of the collaborator network (mạng lưới cộng tác viên dư luận xã hội), through the outbox.

Once a month, for the **last complete month** (the month before the as-of day's month):

* each unit in the registry whose network has a gap gets a notice: its quota and vacancies, the
  required areas and sectors no collaborator covers, and, by name, its own collaborators to review
  or replace (inactive, ineffective) and the active ones without a phone or e-mail;
* the office gets the province digest: one line of counts per unit, no names.

The notices are due from the **notice day** of the as-of month (DLXH_NETWORK_NOTICE_DAY, default:
the first day at or after the monthly report's deadline, the day late notices start) to the end of
that month, so a day the scheduler missed is caught up; the outbox key (unit, month, type
`network`, rule, recipient, channel) sends each once. Counts come from
marts.mart_collaborator_network; who is inactive or ineffective from
intermediate.int_collaborator_status; names are read from restricted.collaborator_people when the
notice is planned and go only into that unit's notice (ops.alert_log, which BI cannot read).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from alerts.config import AlertConfig
from alerts.model import ALL_UNITS, PlannedAlert, Recipient, UnitVersion
from alerts.rules import late_day, office_recipient, version_on
from alerts.vi import day_label, period_label
from dlxh.core.calendar import add_months, month_start, monthly_due_at
from ingestion.collaborators.source import ROSTER_IN_FORCE_SQL

TYPE_KEY = "network"  # ops.alert_log.report_type of these alerts
NOTICE, DIGEST = "network_notice", "network_digest"

MART_SQL = """
select unit_code, required_collaborators, appointed, active, inactive, ineffective, vacancies, quota_met,
       required_areas, areas_uncovered, areas_uncovered_list, required_sectors, sectors_uncovered, sectors_uncovered_list,
       active_without_contact
from marts.mart_collaborator_network
where period_month = %s
order by unit_code
"""
# The unit's own collaborators to follow up in the month, with their names (restricted, owner only).
PEOPLE_SQL = f"""
with in_force as ({ROSTER_IN_FORCE_SQL})
select s.unit_code, s.collaborator_code, p.full_name, s.area, s.sector, s.is_inactive, s.is_ineffective,
       s.is_active and not s.has_contact as no_contact, s.inactive_months, s.ineffective_min_contributions,
       s.ineffective_window_months, s.contributions_in_ineffective_window
from intermediate.int_collaborator_status as s
inner join in_force as p
    on p.collaborator_code = s.collaborator_code and p.unit_code = s.unit_code and p.appointed_on = s.appointed_on
where s.period_month = %s and (s.is_inactive or s.is_ineffective or (s.is_active and not s.has_contact))
order by s.unit_code, p.full_name, s.collaborator_code
"""
MART_COLUMNS = (
    "unit_code",
    "required",
    "appointed",
    "active",
    "inactive",
    "ineffective",
    "vacancies",
    "quota_met",
    "required_areas",
    "areas_uncovered",
    "areas_uncovered_list",
    "required_sectors",
    "sectors_uncovered",
    "sectors_uncovered_list",
    "active_without_contact",
)


def _month_end(month: date) -> date:
    return add_months(month, 1) - timedelta(days=1)


def _month_label(month: date) -> str:
    return f"{month.month:02d}/{month.year}"


def monthly_deadline(cur: Any, month: date, default_due_day: int) -> datetime:
    """The monthly report's deadline in `month` as the marts have it (config report_types.csv), else the default day."""
    cur.execute("select min(due_at) from marts.fct_report_submission where report_type = 'monthly' and period_month = %s", (month,))
    row = cur.fetchone()
    return row[0] if row and row[0] is not None else monthly_due_at(month, default_due_day)


def notice_day(cur: Any, as_of: date, cfg: AlertConfig) -> date:
    """The day of the as-of month from which the notices for the previous month go out."""
    month = month_start(as_of)
    if cfg.network_notice_day:
        return month.replace(day=cfg.network_notice_day)
    return late_day(monthly_deadline(cur, month, cfg.default_due_day))


def _ready(cur: Any) -> bool:
    cur.execute(
        "select to_regclass('marts.mart_collaborator_network') is not null"
        " and to_regclass('intermediate.int_collaborator_status') is not null"
        " and to_regclass('intermediate.int_network_months') is not null"
        " and to_regclass('raw.collaborator_rosters') is not null"
    )
    if not cur.fetchone()[0]:
        return False
    cur.execute("select exists (select 1 from raw.collaborator_rosters)")
    return bool(cur.fetchone()[0])


def _items(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(";") if t.strip()]


def _why(p: dict, month: date) -> str:
    if p["is_inactive"]:
        first = add_months(month, 1 - p["inactive_months"])
        return (
            f"không hoạt động: không có ý kiến, phiếu khảo sát nào trong {p['inactive_months']} tháng "
            f"({_month_label(first)}–{_month_label(month)})"
        )
    first = add_months(month, 1 - p["ineffective_window_months"])
    return (
        f"hoạt động chưa hiệu quả: {p['contributions_in_ineffective_window']} ý kiến trong {p['ineffective_window_months']} tháng "
        f"({_month_label(first)}–{_month_label(month)}), dưới mức {p['ineffective_min_contributions']}"
    )


def plan_network(
    cur: Any, as_of: date, cfg: AlertConfig, units: dict[str, list[UnitVersion]], findings: list[str] | None = None
) -> list[PlannedAlert]:
    """The network notices and the office digest due on `as_of` (none before the notice day)."""
    if not _ready(cur) or as_of < notice_day(cur, as_of, cfg):
        return []
    month = add_months(month_start(as_of), -1)
    end = _month_end(month)
    cur.execute("select evaluated_on from intermediate.int_network_months where period_month = %s", (month,))
    row = cur.fetchone()
    if row is None or row[0] < end:
        if findings is not None:
            findings.append(
                f"Chưa gửi thông báo mạng lưới cộng tác viên {period_label(month)}: dữ liệu chưa được dựng đến hết tháng "
                f"(chạy dlxh build với ngày tính đến từ {day_label(end)} trở đi)."
            )
        return []
    cur.execute(MART_SQL, (month,))
    network = [dict(zip(MART_COLUMNS, r, strict=True)) for r in cur.fetchall()]
    if not network:
        return []
    cur.execute(PEOPLE_SQL, (month,))
    names = [d[0] for d in cur.description]
    people: dict[str, list[dict]] = {}
    for r in cur.fetchall():
        p = dict(zip(names, r, strict=True))
        people.setdefault(p["unit_code"], []).append(p)
    office = office_recipient(cfg)
    base = {"as_of": day_label(as_of), "period": period_label(month), "office_name": cfg.office_name, "month_end": day_label(end)}
    alerts: list[PlannedAlert] = []
    digest_rows = []
    for n in network:
        code = n["unit_code"]
        versions = units.get(code, [])
        in_registry = any(v.covers(end) for v in versions)
        unit = version_on(versions, end)
        unit_name = unit.unit_name if unit else code
        own = people.get(code, [])
        review = [
            {
                "name": p["full_name"],
                "code": p["collaborator_code"],
                "area": p["area"] or "",
                "sector": p["sector"] or "",
                "why": _why(p, month),
            }
            for p in own
            if p["is_inactive"] or p["is_ineffective"]
        ]
        no_contact = [{"name": p["full_name"], "code": p["collaborator_code"]} for p in own if p["no_contact"]]
        areas, sectors = _items(n["areas_uncovered_list"]), _items(n["sectors_uncovered_list"])
        stats = {k: n[k] for k in ("required", "appointed", "active", "inactive", "ineffective", "vacancies", "active_without_contact")}
        has_gap = bool(n["vacancies"] or areas or sectors or review or no_contact)
        digest_rows.append(
            {
                "unit_code": code,
                "unit_name": unit_name,
                **stats,
                "areas_uncovered": len(areas),
                "sectors_uncovered": len(sectors),
                "in_registry": in_registry,
                "has_gap": has_gap or not in_registry,
            }
        )
        if not (has_gap and in_registry):
            continue  # a complete network gets no notice; a unit gone from the registry is the office's to settle
        current = version_on(versions, as_of) or unit
        recipient = Recipient(
            key=f"unit:{code}",
            name=current.unit_name if current else unit_name,
            email=(current.contact_email if current else None) or None,
            webhook=(current.contact_webhook if current else None) or None,
        )
        gaps = []
        if n["vacancies"]:
            gaps.append(f"thiếu {n['vacancies']}/{n['required']} cộng tác viên theo chỉ tiêu")
        if areas:
            gaps.append(f"{len(areas)} địa bàn chưa có cộng tác viên")
        if sectors:
            gaps.append(f"{len(sectors)} lĩnh vực chưa có cộng tác viên")
        if review:
            gaps.append(f"{len(review)} cộng tác viên cần rà soát, thay thế")
        if no_contact:
            gaps.append(f"{len(no_contact)} cộng tác viên thiếu thông tin liên hệ")
        alerts.append(
            PlannedAlert(
                NOTICE,
                NOTICE,
                code,
                month,
                TYPE_KEY,
                recipient,
                f"mạng lưới cộng tác viên {period_label(month)}: " + "; ".join(gaps),
                {
                    **base,
                    "recipient_name": recipient.name,
                    "unit_code": code,
                    "unit_name": unit_name,
                    **stats,
                    "areas": areas,
                    "sectors": sectors,
                    "review": review,
                    "no_contact": no_contact,
                },
            )
        )
    flagged = [r for r in digest_rows if r["has_gap"]]
    totals = {k: sum(r[k] for r in digest_rows) for k in ("required", "appointed", "active", "inactive", "ineffective", "vacancies")}
    gone = [r for r in digest_rows if not r["in_registry"]]
    reason = (
        f"mạng lưới cộng tác viên {period_label(month)}: {len(flagged)}/{len(digest_rows)} đơn vị còn thiếu sót, "
        f"{totals['vacancies']} chỉ tiêu còn thiếu, {totals['inactive']} cộng tác viên không hoạt động"
    )
    alerts.append(
        PlannedAlert(
            DIGEST,
            DIGEST,
            ALL_UNITS,
            month,
            TYPE_KEY,
            office,
            reason,
            {
                **base,
                "recipient_name": office.name,
                "units": digest_rows,
                "flagged": len(flagged),
                "totals": totals,
                "gone": gone,
                "notices": len(alerts),
            },
        )
    )
    return alerts
