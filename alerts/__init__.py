"""Late-report alerts: reminders before the deadline, late notices, escalations, daily digest,
acknowledgements. Entry point: :func:`alerts.engine.run_alerts` (CLI `dlxh alerts`, Airflow DAG).
"""
