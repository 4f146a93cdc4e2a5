"""Airflow DAG: Ingest survey exports (KoboToolbox, ODK Central, Google Forms) from `$DLXH_INBOX/surveys`."""

from dlxh.orchestration.dags import ingest_dag

DOC = """
### Ingest: surveys
Each survey has its own folder `$DLXH_INBOX/surveys/<survey>/` holding its questionnaire
(`form.xlsx` = the XLSForm with the `dlxh_*` columns, or `form.yaml` = a Google Forms mapping)
and its exports (CSV/XLSX). New exports are upserted by submission uuid into `raw.survey_*`
(a re-export updates, never duplicates); free text goes to `restricted`. Emits
`warehouse.raw.survey_answers` with the months touched, which triggers `dlxh_build`.
See docs/surveys.md.
"""

dag = ingest_dag("surveys", DOC)
