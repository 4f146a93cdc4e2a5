"""DAG factory of `dlxh_monthly_report` (dags/dlxh_monthly_report.py): scheduled on the quality
asset the validation DAG emits; heavy imports happen inside the task only."""

from __future__ import annotations

from typing import Any

from airflow.sdk import Asset, Param, dag, get_current_context, task

from dlxh.orchestration.assets import QUALITY_ASSET
from dlxh.orchestration.dags import _common, _in_caller_file


def monthly_report_dag(doc: str):
    @dag(
        dag_id="dlxh_monthly_report",
        schedule=[Asset(QUALITY_ASSET)],
        **_common(),
        tags=["dlxh", "report"],
        doc_md=doc,
        params={"months": Param([], type="array", description="YYYY-MM months to report; empty = the validated months past their deadline")},
    )
    def _report():
        @task(task_id="draft_reports")
        def draft_reports() -> dict[str, Any]:
            from dlxh.monthly_report.tasks import draft_due_reports
            from dlxh.orchestration import tasks

            context = get_current_context()
            months = list(context["params"].get("months") or []) or tasks.months_from_events(context.get("triggering_asset_events"))
            return draft_due_reports(months)

        draft_reports()

    return _in_caller_file(_report())
