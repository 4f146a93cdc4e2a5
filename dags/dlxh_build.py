"""Airflow DAG: Build the marts with dbt (one `dbt build`, then one Airflow task per model) when raw data lands."""

from dlxh.orchestration.dags import build_dag

DOC = """
### Build
Scheduled on the raw assets (units, reports, surveys, scans): any new load triggers it.
`dbt.build` runs the whole project in one `dbt build` (dbt's threads); then one task per dbt
model (`dbt.<model>`, rendered from the precompiled `dbt_project/target/manifest.json`, so
parsing this file never runs dbt) shows the model's and its tests' outcome, and on retry builds
that model alone. `DLXH_BUILD_TASKS=cosmos_watcher` renders it with astronomer-cosmos'
ExecutionMode.WATCHER instead (docs/orchestration.md). Emits `warehouse.marts` carrying the
months the new data touched, which triggers `dlxh_validate`.
"""

dag = build_dag(DOC)
