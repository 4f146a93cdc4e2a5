"""Airflow DAG: draft the monthly consolidated report upward once a month's validation ran after its deadline."""

from __future__ import annotations

from typing import Any

from airflow.sdk import Param, dag, get_current_context, task

from dlxh.orchestration.assets import QUALITY
from dlxh.orchestration.defaults import COMMON


@dag(
    schedule=[QUALITY],
    **COMMON,
    tags=["dlxh", "report"],
    params={"months": Param([], type="array", description="YYYY-MM months to report; empty = the validated months past their deadline")},
    doc_md="""
### Monthly report
Drafts the federation's monthly report on the situation of thought and public opinion
(DOCX, PDF, HTML; Decree 30/2020/NĐ-CP layout) from the marts, for every month in the
triggering validation's asset event whose deadline has passed (or the `months` param). Same
figures as the latest version: nothing new; changed figures (late reports): version N+1, files
never overwritten, registered in `ops.monthly_reports`, mailed once per version when recipients
are configured (`monthly_report.toml` [mail], `DLXH_REPORT_MAIL_TO`).
""",
)
def dlxh_monthly_report():
    @task
    def draft_reports() -> dict[str, Any]:
        from dlxh.monthly_report.tasks import draft_due_reports
        from dlxh.orchestration import tasks

        context = get_current_context()
        months = list(context["params"].get("months") or []) or tasks.months_from_events(context.get("triggering_asset_events"))
        return draft_due_reports(months)

    draft_reports()


dlxh_monthly_report()
