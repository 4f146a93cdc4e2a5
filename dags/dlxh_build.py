"""Airflow DAG: Build the marts with dbt (one Airflow task per model, via astronomer-cosmos) when raw data lands."""

from dlxh.orchestration.dags import build_dag

DOC = """
### Build
Scheduled on the raw assets (units, reports, surveys, scans): any new load triggers it.
Renders every dbt model as Airflow tasks with astronomer-cosmos from the precompiled
`dbt_project/target/manifest.json` (`dlxh build --manifest-only`), so parsing this file never
runs dbt. Emits `warehouse.marts` carrying the months the new data touched, which triggers
`dlxh_validate`.
"""

dag = build_dag(DOC)
