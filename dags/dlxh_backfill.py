"""Airflow DAG: re-run the build and validation for a range of months (manual trigger with params)."""

from __future__ import annotations

from typing import Any

from airflow.sdk import Param, dag, get_current_context, task

from dlxh.orchestration.assets import QUALITY
from dlxh.orchestration.defaults import COMMON


@dag(
    schedule=None,
    **COMMON,
    tags=["dlxh", "backfill"],
    params={
        "start_month": Param("2025-01", type="string", pattern=r"^\d{4}-\d{2}$"),
        "end_month": Param("2025-12", type="string", pattern=r"^\d{4}-\d{2}$"),
        "full_refresh": Param(False, type="boolean"),
    },
    doc_md="""
### Backfill
Trigger by hand with params `start_month`, `end_month` (YYYY-MM) and `full_refresh`:
rebuilds the marts (dbt, full refresh of incremental models if asked) and re-validates every
month in the range. Example:
`dlxh airflow dags trigger dlxh_backfill -c '{"start_month": "2025-01", "end_month": "2025-06"}'`.
""",
)
def dlxh_backfill():
    @task
    def rebuild() -> list[str]:
        from dlxh.build import build
        from dlxh.orchestration import tasks

        params = get_current_context()["params"]
        build(full_refresh=bool(params["full_refresh"]))
        return tasks.month_range(params["start_month"], params["end_month"])

    @task(outlets=[QUALITY])
    def revalidate(months: list[str]) -> dict[str, Any]:
        from dlxh.orchestration import tasks

        return tasks.validate(months)

    revalidate(rebuild())


dlxh_backfill()
