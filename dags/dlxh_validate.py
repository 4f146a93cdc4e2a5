"""Airflow DAG: validate the months the new data touched with Great Expectations, after every build."""

from __future__ import annotations

from typing import Any

from airflow.sdk import Metadata, Param, dag, get_current_context, task

from dlxh.orchestration.assets import MARTS, QUALITY
from dlxh.orchestration.defaults import COMMON


@dag(
    schedule=[MARTS],
    **COMMON,
    tags=["dlxh", "validate", "great-expectations"],
    params={"months": Param([], type="array", description="YYYY-MM months to validate; empty = the months the new data touched")},
    doc_md="""
### Validate
Runs the GX checkpoint (completeness, timeliness, source quality) for the months in the
triggering build's asset event (or the `months` param, or the current and previous month).
Late or missing units are business findings stored in `quality.validation_results`, not task
failures. Emits `warehouse.quality.validation_results`, which triggers `dlxh_alerts`.
""",
)
def dlxh_validate():
    @task(outlets=[QUALITY])
    def validate_months():
        from dlxh.orchestration import tasks

        context = get_current_context()
        months = (
            list(context["params"].get("months") or [])
            or tasks.months_from_events(context.get("triggering_asset_events"))
            or tasks.default_months()
        )
        result = tasks.validate(months)
        yield Metadata(QUALITY, {"months": months})
        return result

    @task
    def check_source_freshness() -> dict[str, Any]:
        """`dbt source freshness` on the raw tables; stale sources are findings, not failures."""
        from dlxh.orchestration import tasks

        return tasks.source_freshness()

    validate_months()
    check_source_freshness()


dlxh_validate()
