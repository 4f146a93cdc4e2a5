"""Airflow DAG: late-report alerts and hot-spot cases, daily at 08:00 Asia/Ho_Chi_Minh and after each validation."""

from __future__ import annotations

from typing import Any

from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, Param, dag, get_current_context, task

from dlxh.orchestration.assets import QUALITY
from dlxh.orchestration.defaults import COMMON


@dag(
    # Daily at 08:00 local time, and after every validation so acknowledgements go out promptly.
    schedule=AssetOrTimeSchedule(timetable=CronTriggerTimetable("0 8 * * *", timezone="Asia/Ho_Chi_Minh"), assets=[QUALITY]),
    **COMMON,
    tags=["dlxh", "alerts"],
    params={"as_of": Param(None, type=["null", "string"], description="YYYY-MM-DD day to evaluate; empty = the run's day")},
    doc_md="""
### Alerts
Reminders before the deadline, late notices, escalations, the office's daily digest and
acknowledgements, via the channels in `DLXH_ALERT_CHANNELS`; then the hot-spot cases (open, join,
reopen, escalate overdue steps). Idempotent through `ops.alert_log`: re-running a day or retrying
sends nothing twice. Param `as_of` replays a day (same code path as `dlxh alerts --as-of`).
""",
)
def dlxh_alerts():
    @task
    def send_alerts() -> dict[str, Any]:
        from dlxh.orchestration import tasks

        return tasks.send_alerts(tasks.as_of_day(get_current_context()))

    @task
    def sync_hot_spot_cases() -> dict[str, Any]:
        """Open/join/reopen hot-spot cases, escalate overdue steps (hotspots/cases.py)."""
        from dlxh.orchestration import tasks
        from hotspots.cases import sync_cases

        as_of = tasks.as_of_day(get_current_context())
        return {"as_of": as_of.isoformat(), "summary": sync_cases(as_of).render()}

    send_alerts()
    sync_hot_spot_cases()


dlxh_alerts()
