"""Airflow DAG: Late-report alerts: daily at 08:00 Asia/Ho_Chi_Minh and after each validation."""

from dlxh.orchestration.dags import alerts_dag

DOC = """
### Alerts
Reminders before the deadline, late notices, escalations, the office's daily digest and
acknowledgements, via the channels in `DLXH_ALERT_CHANNELS`. Idempotent through
`ops.alert_log`: re-running a day or retrying sends nothing twice. Param `as_of` replays a day
(same code path as `dlxh alerts --as-of`).
"""

dag = alerts_dag(DOC)
