"""Source `reports`: unit reports as they arrive (structured forms, the incoming-documents register,
DOCX/PDF/scanned documents and photos, OCR text)."""

from pathlib import Path

from dlxh.core.queues import OCR
from ingestion.spec import RawTable, SourceSpec

SPEC = SourceSpec(
    name="reports",
    title="unit reports: structured forms, register, documents",
    factory="ingestion.reports.source:ReportsSource",
    suffixes=frozenset(
        {
            ".csv",
            ".tsv",
            ".txt",
            ".xlsx",
            ".xlsm",
            ".json",
            ".jsonl",
            ".ndjson",
            ".docx",
            ".pdf",
            ".png",
            ".jpg",
            ".jpeg",
            ".tif",
            ".tiff",
            ".doc",
        }
    ),
    tables=(
        RawTable("raw.reports", ("report_key",), "one row per report version (unit, month, type, received time)"),
        RawTable("raw.report_items", ("report_key", "item_no"), "the report's numbered opinion items"),
        RawTable("raw.report_topics", ("report_key", "topic_code"), "topics a report raises"),
        RawTable("raw.document_register", ("file_hash", "row_number"), "rows of the incoming-documents register"),
    ),
    months_from=("raw.reports", "period_month"),
    # Scanned documents and photos are OCR'd while loading: their own workers on Celery.
    queue=OCR,
    order=20,
    batch_size=20,
    package_dir=Path(__file__).parent,
)
