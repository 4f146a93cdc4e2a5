"""Airflow DAG: Re-run the build and validation for a range of months (manual trigger with params)."""

from dlxh.orchestration.dags import backfill_dag

DOC = """
### Backfill
Trigger by hand with params `start_month`, `end_month` (YYYY-MM) and `full_refresh`:
rebuilds the marts (dbt, full refresh of incremental models if asked) and re-validates every
month in the range. Example:
`dlxh airflow dags trigger dlxh_backfill -c '{"start_month": "2025-01", "end_month": "2025-06"}'`.
"""

dag = backfill_dag(DOC)
