"""Airflow DAG: Ingest media-monitoring exports ("rà quét thông tin") from `$DLXH_INBOX/scans`."""

from dlxh.orchestration.dags import ingest_dag

DOC = """
### Ingest: scan results
Each monitoring tool has its own folder `$DLXH_INBOX/scans/<tool>/`, named after its mapping in
`$DLXH_CONFIG_DIR/scan_tools/<tool>.toml` (or the folder's own `mapping.toml`, or a shipped mapping). New exports (CSV, JSON, JSONL) are deduplicated across
exports and tools into `raw.scan_items` (latest engagement kept, every capture in
`raw.scan_captures`); post text goes to `restricted`. Emits `warehouse.raw.scan_items` with the
months touched, which triggers `dlxh_build`. See docs/scans.md.
"""

dag = ingest_dag("scans", DOC)
