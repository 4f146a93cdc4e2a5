"""Airflow DAG: Draft the monthly consolidated report upward once a month's validation ran after its deadline."""

from dlxh.monthly_report.dag import monthly_report_dag

DOC = """
### Monthly report
Drafts the federation's monthly report on the situation of thought and public opinion
(DOCX, PDF, HTML; Decree 30/2020/NĐ-CP layout) from the marts, for every month in the
triggering validation's asset event whose deadline has passed (or the `months` param). Same
figures as the latest version: nothing new; changed figures (late reports): version N+1, files
never overwritten, registered in `ops.monthly_reports`, mailed once per version when recipients
are configured (`monthly_report.toml` [mail], `DLXH_REPORT_MAIL_TO`).
"""

dag = monthly_report_dag(DOC)
