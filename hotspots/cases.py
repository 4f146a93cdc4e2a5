"""Cases of hot spots: open, join, reopen, act on, escalate. One code path for the DAG, the CLI and links.

`sync_cases(as_of)` (after every build, `dlxh_alerts` DAG):
1. reads the hot spots of months up to the as-of month from marts.mart_hot_spots with the figures
   severity needs (marts.mart_unit_topic_month for the scanned items' engagement);
2. for each hot spot not linked to a case yet (ops.hot_spot_case_hot_spots is keyed by
   hot_spot_key: a hot spot never opens a second case): joins the open case of the same
   unit x topic, else reopens its resolved case (if the hot spot comes within
   reopen_within_months of the case's last one), else opens a new case with the scenario of its
   topic and severity, the scenario version and the owner;
3. plans, through the alerts outbox (ops.alert_log, claimed once per key), the notice of every
   new or reopened case to its owner (with signed acknowledge/resolve links), one escalation per
   overdue step per cycle to the office, and the office's daily list of open cases by age.

Replays are idempotent: links and events are keyed, alerts are keyed in the outbox.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from alerts.model import ALL_UNITS, PlannedAlert, Recipient
from alerts.vi import day_label, moment_label, period_label
from dlxh.core.calendar import LOCAL, month_start
from dlxh.core.config.hot_spots import ScenarioLibrary, load_library
from dlxh.core.errors import DlxhError
from dlxh.core.settings import PgTarget

STATUSES = ("new", "in_progress", "resolved", "closed")
STATUS_VI = {"new": "mới", "in_progress": "đang xử lý", "resolved": "đã xử lý", "closed": "đóng"}
OPEN = ("new", "in_progress")
ACTION_VI = {"ack": "xác nhận tiếp nhận", "resolve": "xác nhận đã xử lý", "close": "đóng vụ việc"}
# action -> (statuses it applies to, status it leads to)
TRANSITIONS = {
    "ack": (("new",), "in_progress"),
    "resolve": (("new", "in_progress"), "resolved"),
    "close": (("new", "in_progress", "resolved"), "closed"),
}
# Outbox rule names (templates alerts/templates/<rule>.*.j2); the report type of their rows.
OPENED, ESCALATION, DIGEST = "hotspot_opened", "hotspot_escalation", "hotspot_digest"
TYPE_KEY = "hot_spot"
SYSTEM = "hệ thống"
_LOCK = 8_420_519  # advisory lock: one sync at a time

HOT_SPOTS_SQL = """
select h.hot_spot_key, h.unit_code, h.topic_code, h.period_month, h.is_flagged_by_unit, h.negative_signals,
       h.baseline_negative_signals, h.mean_sentiment, coalesce(m.scan_engagement, 0) as engagement,
       count(*) over (partition by h.topic_code, h.period_month) as units_on_topic
from marts.mart_hot_spots as h
left join marts.mart_unit_topic_month as m
    on m.unit_code is not distinct from h.unit_code and m.topic_code is not distinct from h.topic_code
       and m.period_month = h.period_month
where h.period_month <= %s
order by h.period_month, h.unit_code nulls last, h.topic_code nulls last
"""


class CaseError(DlxhError):
    """An action that does not apply (unknown case, wrong status); `http_status` for the link endpoint."""

    def __init__(self, message: str, http_status: int = 409):
        super().__init__(message)
        self.http_status = http_status


def end_of_day(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL) + timedelta(days=1, microseconds=-1)


def factors(row: dict[str, Any], library: ScenarioLibrary) -> dict[str, float]:
    """The severity factors of one hot spot (docs/hot-spots.md)."""
    negative = float(row["negative_signals"] or 0)
    baseline = max(float(row["baseline_negative_signals"] or 0), library.baseline_floor)
    mean = row["mean_sentiment"]
    return {
        "flagged_by_unit": 1.0 if row["is_flagged_by_unit"] else 0.0,
        "spike_ratio": negative / baseline,
        "negative_signals": negative,
        "units_on_topic": float(row["units_on_topic"] or 0),
        "engagement": float(row["engagement"] or 0),
        "negative_sentiment": -float(mean) if mean is not None else 0.0,
    }


@dataclass
class SyncResult:
    as_of: date
    opened: list[int] = field(default_factory=list)
    joined: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    escalated: list[tuple[int, str]] = field(default_factory=list)  # newly escalated (case, step)
    alerts_new: int = 0
    alerts_sent: int = 0
    alerts_failed: int = 0

    def render(self) -> str:
        return (
            f"Điểm nóng — đồng bộ vụ việc ngày {day_label(self.as_of)}: mở mới {len(self.opened)}, gộp vào vụ việc đang mở "
            f"{len(self.joined)}, mở lại {len(self.reopened)}, bước quá hạn báo cáo cấp trên {len(self.escalated)}; "
            f"cảnh báo mới {self.alerts_new}, đã gửi {self.alerts_sent}, lỗi {self.alerts_failed}."
        )


class SyncDeliveryError(RuntimeError):
    """Some hot-spot alerts could not be sent: they stay pending in ops.alert_log and are retried."""

    def __init__(self, result: SyncResult):
        super().__init__(
            f"{result.alerts_failed} hot-spot alert(s) could not be sent; they stay pending and are retried. " + result.render()
        )
        self.result = result


def _units(cur) -> dict[str, Any]:
    from alerts.source import load_units

    return load_units(cur)


def _owner(
    scenario_owner: str, unit_code: str | None, units: dict, as_of: date, office: Recipient
) -> tuple[str, str, str | None, str | None]:
    from alerts.rules import version_on

    if scenario_owner == "unit" and unit_code:
        v = version_on(units.get(unit_code, []), as_of)
        if v is not None and (v.contact_email or v.contact_webhook):
            name = f"{v.unit_name} ({v.contact_name})" if v.contact_name else v.unit_name
            return "unit", name, v.contact_email or None, v.contact_webhook or None
    return "office", office.name, office.email, office.webhook


def _months_between(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def _event(
    cur, case_id: int, key: str, kind: str, from_status: str | None, to_status: str | None, actor: str, note: str | None, at: datetime
) -> bool:
    cur.execute(
        """insert into ops.hot_spot_case_events (case_id, event_key, kind, from_status, to_status, actor, note, at)
           values (%s, %s, %s, %s, %s, %s, %s, %s) on conflict (event_key) do nothing returning event_id""",
        (case_id, key, kind, from_status, to_status, actor, note, at),
    )
    return cur.fetchone() is not None


def _insert_steps(cur, library: ScenarioLibrary, case_id: int, cycle: int, scenario_code: str, severity: str, start: datetime) -> None:
    scenario = next(s for s in library.scenarios if s.code == scenario_code)
    for no, step in enumerate(library.steps_for(scenario, severity), start=1):
        cur.execute(
            """insert into ops.hot_spot_case_steps (case_id, cycle, step_no, step_code, what, lead_body, coordinating, until_status, due_at)
               values (%s, %s, %s, %s, %s, %s, %s, %s, %s) on conflict do nothing""",
            (
                case_id,
                cycle,
                no,
                step.code,
                step.what,
                step.lead,
                list(step.coordinating),
                step.until,
                start + timedelta(hours=step.within_hours),
            ),
        )


def _link_case(cur, library: ScenarioLibrary, row: dict, units: dict, office: Recipient, now: datetime, result: SyncResult) -> None:
    level, points = library.severity(factors(row, library))
    cur.execute(
        """select case_id, status, last_month, severity, cycle from ops.hot_spot_cases
           where unit_code is not distinct from %s and topic_code is not distinct from %s
           order by case_id desc limit 1 for update""",
        (row["unit_code"], row["topic_code"]),
    )
    latest = cur.fetchone()
    key, month = row["hot_spot_key"], row["period_month"]
    label = f"{period_label(month)}, mức độ {library.level(level).name_vi.lower()} ({points} điểm)"
    if latest and latest[1] in OPEN:
        case_id, status, last_month, old_level, _cycle = latest
        worse = library.rank(level) > library.rank(old_level)
        cur.execute(
            """update ops.hot_spot_cases set last_month = greatest(last_month, %s),
                      severity = case when %s then %s else severity end,
                      severity_points = case when %s then %s else severity_points end, updated_at = now()
               where case_id = %s""",
            (month, worse, level, worse, points, case_id),
        )
        _event(cur, case_id, f"joined:{key}", "joined", status, status, SYSTEM, f"điểm nóng mới cùng đơn vị, chủ đề: {label}", now)
        result.joined.append(case_id)
    elif latest and latest[1] == "resolved" and 0 <= _months_between(latest[2], month) <= library.reopen_within_months:
        case_id, status, _last, old_level, cycle = latest
        level = max(level, old_level, key=library.rank)
        scenario = library.scenario_for(row["topic_code"], level)
        cur.execute(
            """update ops.hot_spot_cases set status = 'new', cycle = cycle + 1, cycle_started_at = %s, last_month = greatest(last_month, %s),
                      severity = %s, severity_points = greatest(severity_points, %s), scenario_code = %s, scenario_version = %s,
                      acknowledged_at = null, resolved_at = null, updated_at = now()
               where case_id = %s""",
            (now, month, level, points, scenario.code, library.version, case_id),
        )
        _insert_steps(cur, library, case_id, cycle + 1, scenario.code, level, now)
        _event(cur, case_id, f"reopened:{key}", "reopened", status, "new", SYSTEM, f"điểm nóng tái diễn sau khi đã xử lý: {label}", now)
        result.reopened.append(case_id)
    else:
        scenario = library.scenario_for(row["topic_code"], level)
        kind, name, email, webhook = _owner(scenario.owner, row["unit_code"], units, month, office)
        cur.execute(
            """insert into ops.hot_spot_cases (unit_code, topic_code, opened_month, last_month, severity, severity_points,
                      scenario_code, scenario_version, owner_kind, owner_name, owner_email, owner_webhook, opened_at, cycle_started_at)
               values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) returning case_id""",
            (
                row["unit_code"],
                row["topic_code"],
                month,
                month,
                level,
                points,
                scenario.code,
                library.version,
                kind,
                name,
                email,
                webhook,
                now,
                now,
            ),
        )
        case_id = cur.fetchone()[0]
        _insert_steps(cur, library, case_id, 0, scenario.code, level, now)
        _event(
            cur,
            case_id,
            f"opened:{key}",
            "opened",
            None,
            "new",
            SYSTEM,
            f"mở vụ việc theo kịch bản «{scenario.name_vi}» (phiên bản {library.version}): {label}",
            now,
        )
        result.opened.append(case_id)
    cur.execute(
        """insert into ops.hot_spot_case_hot_spots (hot_spot_key, case_id, period_month, severity, severity_points)
           values (%s, %s, %s, %s, %s)""",
        (key, case_id, month, level, points),
    )


def sync_cases(
    as_of: date | datetime,
    *,
    now: datetime | None = None,
    target: PgTarget | None = None,
    deliver: bool = True,
    raise_on_failure: bool = True,
) -> SyncResult:
    """Open, join or reopen the cases of the hot spots up to `as_of`'s month, escalate overdue steps,
    list open cases for the office; everything through the alerts outbox (sent once).

    `now` (default: the clock, or the end of the as-of day when that is earlier) stamps new cases
    and decides which steps are overdue, so replaying a past day gives that day's answer.
    Raises SyncDeliveryError (carrying the result) when some of its own sends failed, so the
    Airflow task fails like send_alerts does; `raise_on_failure=False` returns the result instead.
    """
    from alerts.config import load_alert_config
    from alerts.outbox import Deliverer, claim, expand
    from alerts.rules import office_recipient
    from dlxh.core.db import connection, ensure_up

    if isinstance(as_of, datetime):
        as_of = (as_of.astimezone(LOCAL) if as_of.tzinfo else as_of).date()
    now = now or min(datetime.now(LOCAL), end_of_day(as_of))
    library = load_library()
    cfg = load_alert_config()
    office = office_recipient(cfg)
    result = SyncResult(as_of)
    with connection(target or ensure_up()) as conn:
        with conn, conn.cursor() as cur:
            cur.execute("select pg_advisory_xact_lock(%s)", (_LOCK,))
            cur.execute("select to_regclass('marts.mart_hot_spots') is not null and to_regclass('marts.mart_unit_topic_month') is not null")
            if not cur.fetchone()[0]:
                return result  # nothing built yet
            units = _units(cur)
            cur.execute(HOT_SPOTS_SQL, (month_start(as_of),))
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
            for row in rows:
                # The advisory lock serialises syncs; the primary key on hot_spot_key is the backstop.
                cur.execute("select 1 from ops.hot_spot_case_hot_spots where hot_spot_key = %s", (row["hot_spot_key"],))
                if cur.fetchone():
                    continue  # already part of a case: replays change nothing
                _link_case(cur, library, row, units, office, now, result)
            planned = _plan_alerts(cur, library, as_of, now, office, result)
        deliveries = [d for alert in planned for d in expand(alert, cfg)]
        new_ids, _skipped = claim(conn, deliveries, as_of)
        result.alerts_new = len(new_ids)
        if deliver:
            # Only the hot-spot rows of the outbox: report-deadline alerts and the monthly report's mail are sent by their own tasks.
            attempts = Deliverer(conn, cfg, report_types=(TYPE_KEY,)).run()
            result.alerts_sent = sum(1 for a in attempts if a.ok)
            result.alerts_failed = sum(1 for a in attempts if not a.ok)
            if result.alerts_failed and raise_on_failure:
                # The cases and the claimed alerts are committed; failed sends stay pending and a retry re-sends only them.
                raise SyncDeliveryError(result)
        return result


CASE_COLUMNS = (
    "case_id",
    "unit_code",
    "topic_code",
    "opened_month",
    "last_month",
    "status",
    "severity",
    "severity_points",
    "scenario_code",
    "scenario_version",
    "owner_kind",
    "owner_name",
    "owner_email",
    "owner_webhook",
    "cycle",
    "opened_at",
    "cycle_started_at",
    "acknowledged_at",
    "resolved_at",
    "closed_at",
)


def _cases(cur, where: str = "true", params: tuple = ()) -> list[dict]:
    cur.execute(f"select {', '.join(CASE_COLUMNS)} from ops.hot_spot_cases where {where} order by case_id", params)
    return [dict(zip(CASE_COLUMNS, r, strict=True)) for r in cur.fetchall()]


def _unit_name(cur, unit_code: str | None) -> str:
    if not unit_code:
        return "chưa xác định đơn vị"
    cur.execute("select unit_name from marts.dim_unit where unit_code = %s order by valid_from desc limit 1", (unit_code,))
    row = cur.fetchone()
    return row[0] if row else unit_code


def _case_context(cur, library: ScenarioLibrary, case: dict, office_name: str) -> dict:
    topic = case["topic_code"]
    return {
        "case_id": case["case_id"],
        "unit_code": case["unit_code"] or "",
        "unit_name": _unit_name(cur, case["unit_code"]),
        "topic_code": topic or "",
        "topic_name": library.topic_names.get(topic or "", topic or "chưa xác định chủ đề"),
        "period": period_label(case["opened_month"]),
        "severity": library.level(case["severity"]).name_vi if case["severity"] in [lv.code for lv in library.levels] else case["severity"],
        "scenario_name": next((s.name_vi for s in library.scenarios if s.code == case["scenario_code"]), case["scenario_code"]),
        "owner_name": case["owner_name"],
        "office_name": office_name,
    }


def _render_message(source: str, context: dict) -> str:
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(undefined=jinja2.StrictUndefined).from_string(source).render(context)


def _steps(cur, case_id: int, cycle: int) -> list[dict]:
    cur.execute(
        """select step_no, step_code, what, lead_body, coordinating, until_status, due_at, escalated_at
           from ops.hot_spot_case_steps where case_id = %s and cycle = %s order by step_no""",
        (case_id, cycle),
    )
    cols = ("step_no", "code", "what", "lead", "coordinating", "until", "due_at", "escalated_at")
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _step_view(step: dict) -> dict:
    return {
        "code": step["code"],
        "what": step["what"],
        "lead": step["lead"],
        "coordinating": ", ".join(step["coordinating"]),
        "due": moment_label(step["due_at"]),
    }


def _plan_alerts(cur, library: ScenarioLibrary, as_of: date, now: datetime, office: Recipient, result: SyncResult) -> list[PlannedAlert]:
    from hotspots.links import make_link

    alerts: list[PlannedAlert] = []
    scenarios = {s.code: s for s in library.scenarios}
    link_expiry = datetime.now(LOCAL).replace(minute=0, second=0, microsecond=0) + timedelta(days=library.link_valid_days)
    open_cases = _cases(cur, "status in ('new', 'in_progress')")
    for case in open_cases:
        ctx = _case_context(cur, library, case, office.name)
        steps = _steps(cur, case["case_id"], case["cycle"])
        scenario = scenarios.get(case["scenario_code"])
        unit_key = case["unit_code"] or ALL_UNITS
        if case["owner_kind"] == "unit" and case["unit_code"]:
            owner = Recipient(f"unit:{case['unit_code']}", case["owner_name"], case["owner_email"], case["owner_webhook"])
        else:
            owner = office
        if case["status"] == "new":
            message = _render_message(scenario.message_opened, {**ctx, "step": _step_view(steps[0])}) if scenario and steps else ""
            alerts.append(
                PlannedAlert(
                    OPENED,
                    f"{OPENED}:{case['case_id']}:{case['cycle']}",
                    unit_key,
                    case["opened_month"],
                    TYPE_KEY,
                    owner,
                    f"vụ việc điểm nóng #{case['case_id']} {'mở lại' if case['cycle'] else 'mới mở'}, chờ xác nhận tiếp nhận",
                    {
                        **ctx,
                        "recipient_name": owner.name,
                        "reopened": case["cycle"] > 0,
                        "message": message,
                        "as_of": day_label(as_of),
                        "steps": [_step_view(s) for s in steps],
                        "ack_url": make_link(case["case_id"], "ack", link_expiry, cycle=case["cycle"]),
                        "resolve_url": make_link(case["case_id"], "resolve", link_expiry, cycle=case["cycle"]),
                        "link_expires": moment_label(link_expiry),
                    },
                )
            )
        for step in steps:
            satisfied = case["status"] != "new" if step["until"] == "acknowledged" else case["status"] not in OPEN
            if satisfied or step["due_at"] > now:
                continue
            cur.execute(
                "update ops.hot_spot_case_steps set escalated_at = %s where case_id = %s and cycle = %s and step_code = %s and escalated_at is null",
                (now, case["case_id"], case["cycle"], step["code"]),
            )
            if cur.rowcount:
                result.escalated.append((case["case_id"], step["code"]))
            overdue = int((now - step["due_at"]) // timedelta(hours=1))
            _event(
                cur,
                case["case_id"],
                f"escalated:{case['case_id']}:{case['cycle']}:{step['code']}",
                "escalated",
                case["status"],
                case["status"],
                SYSTEM,
                f"bước «{step['what']}» quá hạn (hạn {moment_label(step['due_at'])})",
                step["escalated_at"] or now,
            )
            view = _step_view(step)
            message = _render_message(scenario.message_escalation, {**ctx, "step": view}) if scenario else ""
            alerts.append(
                PlannedAlert(
                    ESCALATION,
                    f"{ESCALATION}:{case['case_id']}:{case['cycle']}:{step['code']}",
                    unit_key,
                    case["opened_month"],
                    TYPE_KEY,
                    office,
                    f"vụ việc #{case['case_id']}: bước «{step['what']}» quá hạn {overdue} giờ (hạn {view['due']})",
                    {
                        **ctx,
                        "recipient_name": office.name,
                        "step": view,
                        "overdue_hours": overdue,
                        "status": STATUS_VI[case["status"]],
                        "message": message,
                        "as_of": day_label(as_of),
                    },
                )
            )
    if open_cases:
        rows = []
        for case in open_cases:
            ctx = _case_context(cur, library, case, office.name)
            age = max(0, (end_of_day(as_of) - case["opened_at"]) // timedelta(days=1))
            overdue = [
                s["what"]
                for s in _steps(cur, case["case_id"], case["cycle"])
                if s["due_at"] <= now and (case["status"] == "new" if s["until"] == "acknowledged" else True)
            ]
            rows.append(
                {**ctx, "age_days": int(age), "status": STATUS_VI[case["status"]], "overdue_steps": overdue, "reopened": case["cycle"] > 0}
            )
        rows.sort(key=lambda r: (-r["age_days"], r["case_id"]))
        alerts.append(
            PlannedAlert(
                DIGEST,
                f"{DIGEST}:{as_of.isoformat()}",
                ALL_UNITS,
                month_start(as_of),
                TYPE_KEY,
                office,
                f"{len(rows)} vụ việc điểm nóng đang mở",
                {"recipient_name": office.name, "office_name": office.name, "as_of": day_label(as_of), "cases": rows},
            )
        )
    return alerts


# -- actions (CLI and links) ------------------------------------------------------------------------
def act(
    conn,
    case_id: int,
    action: str,
    *,
    by: str | None = None,
    note: str | None = None,
    via: str = "cli",
    link_signature_hash: str | None = None,
    at: datetime | None = None,
) -> dict:
    """Apply ack / resolve / close to a case (one transaction); raises CaseError when it does not apply.

    With `link_signature_hash` the link is marked used in the same transaction (a second use: 410).
    """
    if action not in TRANSITIONS:
        raise CaseError(f"thao tác không hợp lệ: {action}", 400)
    by = (by or "").strip() or (getpass.getuser() if via == "cli" else "liên kết xác nhận")
    allowed, target_status = TRANSITIONS[action]
    with conn, conn.cursor() as cur:
        cur.execute("select status, cycle from ops.hot_spot_cases where case_id = %s for update", (case_id,))
        row = cur.fetchone()
        if row is None:
            raise CaseError(f"không có vụ việc #{case_id}", 404)
        status, cycle = row
        if link_signature_hash is not None:
            cur.execute(
                """insert into ops.hot_spot_link_uses (signature_hash, case_id, action) values (%s, %s, %s)
                   on conflict do nothing returning signature_hash""",
                (link_signature_hash, case_id, action),
            )
            if cur.fetchone() is None:
                raise CaseError("liên kết này đã được sử dụng", 410)
        if status not in allowed:
            raise CaseError(f"vụ việc #{case_id} đang ở trạng thái «{STATUS_VI[status]}»: không thể {ACTION_VI[action]}", 409)
        cur.execute("select clock_timestamp()")
        moment = at or cur.fetchone()[0]
        stamp = {
            "ack": "acknowledged_at = %(t)s",
            "resolve": "acknowledged_at = coalesce(acknowledged_at, %(t)s), resolved_at = %(t)s",
            "close": "closed_at = %(t)s",
        }[action]
        cur.execute(
            f"update ops.hot_spot_cases set status = %(s)s, {stamp}, updated_at = now() where case_id = %(id)s",
            {"s": target_status, "t": moment, "id": case_id},
        )
        key = f"{action}:{case_id}:{cycle}" if action != "close" else f"close:{case_id}"
        how = " (qua liên kết trong thư cảnh báo)" if via == "link" else ""
        _event(
            cur,
            case_id,
            key,
            action,
            status,
            target_status,
            by,
            ((note or "").strip() or None) if not how else (((note or "").strip() + how).strip()),
            moment,
        )
    return {"case_id": case_id, "from": status, "to": target_status, "by": by, "at": moment}


# -- reading (CLI) ------------------------------------------------------------------------------------
def _hours(a: datetime | None, b: datetime | None) -> str:
    if a is None or b is None:
        return "-"
    return f"{(b - a) / timedelta(hours=1):.1f} giờ"


def list_text(conn, include_closed: bool = False) -> str:
    library = load_library()
    with conn, conn.cursor() as cur:
        cases = _cases(cur, "true" if include_closed else "status <> 'closed'")
        lines = [f"Vụ việc điểm nóng ({'tất cả' if include_closed else 'chưa đóng'}): {len(cases)}"]
        now = datetime.now(LOCAL)
        for c in cases:
            ctx = _case_context(cur, library, c, "")
            age = (now - c["opened_at"]) // timedelta(days=1)
            lines.append(
                f"  #{c['case_id']:<5} [{STATUS_VI[c['status']]}] {ctx['unit_name']} — {ctx['topic_name']} — "
                f"từ {ctx['period']}, mức độ {ctx['severity'].lower()}, {age} ngày; phụ trách: {c['owner_name']}"
            )
    return "\n".join(lines)


def show_text(conn, case_id: int) -> str:
    library = load_library()
    with conn, conn.cursor() as cur:
        cases = _cases(cur, "case_id = %s", (case_id,))
        if not cases:
            raise CaseError(f"không có vụ việc #{case_id}", 404)
        c = cases[0]
        ctx = _case_context(cur, library, c, "")
        cur.execute(
            "select hot_spot_key, period_month, severity, severity_points from ops.hot_spot_case_hot_spots "
            "where case_id = %s order by period_month",
            (case_id,),
        )
        spots = cur.fetchall()
        steps = _steps(cur, case_id, c["cycle"])
        cur.execute(
            "select at, kind, from_status, to_status, actor, note from ops.hot_spot_case_events where case_id = %s order by at, event_id",
            (case_id,),
        )
        events = cur.fetchall()
    reopened = f" (đã mở lại {c['cycle']} lần)" if c["cycle"] else ""
    email = f" <{c['owner_email']}>" if c["owner_email"] else ""
    lines = [
        f"Vụ việc điểm nóng #{case_id}: {ctx['unit_name']} ({c['unit_code'] or '-'}) — {ctx['topic_name']} ({c['topic_code'] or '-'})",
        f"  Trạng thái: {STATUS_VI[c['status']]}{reopened}",
        f"  Mức độ: {ctx['severity']} ({c['severity_points']} điểm)",
        f"  Kịch bản: {ctx['scenario_name']} ({c['scenario_code']}, phiên bản {c['scenario_version']})",
        f"  Phụ trách: {c['owner_name']}{email}",
        f"  Mở lúc: {moment_label(c['opened_at'])}; tiếp nhận sau: {_hours(c['cycle_started_at'], c['acknowledged_at'])}; "
        f"xử lý sau: {_hours(c['cycle_started_at'], c['resolved_at'])}",
        "  Điểm nóng:",
    ]
    lines += [
        f"    - {period_label(m)}: mức độ {library.level(s).name_vi.lower() if s in [lv.code for lv in library.levels] else s} ({p} điểm)"
        for _k, m, s, p in spots
    ]
    lines.append("  Các bước (lần xử lý hiện tại):")
    for s in steps:
        state = f"đã báo cáo cấp trên lúc {moment_label(s['escalated_at'])}" if s["escalated_at"] else ""
        coord = f"; phối hợp: {', '.join(s['coordinating'])}" if s["coordinating"] else ""
        lines.append(
            f"    {s['step_no']}. {s['what']} — chủ trì: {s['lead']}{coord}; hạn {moment_label(s['due_at'])}"
            f"{f' ({state})' if state else ''}"
        )
    lines.append("  Diễn biến:")
    for at, kind, frm, to, actor, note in events:
        change = f"{STATUS_VI.get(frm, '-') if frm else '-'} → {STATUS_VI.get(to, '-')}" if frm != to else STATUS_VI.get(to or "", "")
        lines.append(f"    {moment_label(at)} · {kind} · {change} · {actor}{f' · {note}' if note else ''}")
    return "\n".join(lines)
