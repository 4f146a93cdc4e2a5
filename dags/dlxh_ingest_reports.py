"""Airflow DAG: Ingest unit reports (structured forms, register, documents) from `$DLXH_INBOX/reports`."""

from dlxh.orchestration.dags import ingest_dag

DOC = """
### Ingest: unit reports
Polls `$DLXH_INBOX/reports` for new files (structured forms CSV/XLSX/JSON, the incoming-documents
register, DOCX/PDF/scans/photos/OCR text) and lands report versions in `raw.reports`
(+ items, topics). Same code as `dlxh ingest reports`. Emits `warehouse.raw.reports` with the
months touched in the event extra, which triggers `dlxh_build`.
"""

dag = ingest_dag("reports", DOC)
