"""Airflow DAG: Ingest the effective-dated unit registry from `$DLXH_INBOX/units`."""

from dlxh.orchestration.dags import ingest_dag

DOC = """
### Ingest: unit registry
Polls `$DLXH_INBOX/units` for registry files (CSV/XLSX) it has not seen (by content hash) and
loads them into `raw.units`; emits the asset `warehouse.raw.units`, which triggers `dlxh_build`.
Bad rows are quarantined in `ops.quarantine`; the import summary is in the task log and `ops.loads`.
"""

dag = ingest_dag("units", DOC)
