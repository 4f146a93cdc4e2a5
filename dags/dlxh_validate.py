"""Airflow DAG: Validate the months the new data touched with Great Expectations, after every build."""

from dlxh.orchestration.dags import validate_dag

DOC = """
### Validate
Runs the GX checkpoint (completeness, timeliness, source quality) for the months in the
triggering build's asset event (or the `months` param, or the current and previous month).
Late or missing units are business findings stored in `quality.validation_results`, not task
failures. Emits `warehouse.quality.validation_results`, which triggers `dlxh_alerts`.
"""

dag = validate_dag(DOC)
