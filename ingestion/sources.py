"""The registry of sources the CLI and DAGs can ingest, by name."""

from __future__ import annotations

from typing import Any

from ingestion.framework import Source

SOURCE_NAMES = ("units", "reports", "surveys", "scans")

# The file endings each source reads from its inbox (declared here so the DAGs' sensors can
# list new files without building a source, which may need options such as a form).
SOURCE_SUFFIXES: dict[str, frozenset[str]] = {
    "units": frozenset({".csv", ".xlsx", ".tsv", ".txt", ".json"}),
    "reports": frozenset({".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".json", ".jsonl", ".ndjson",
                          ".docx", ".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".doc"}),
    "surveys": frozenset({".csv", ".tsv", ".txt", ".xlsx", ".xlsm"}),
    "scans": frozenset({".csv", ".tsv", ".txt", ".json", ".jsonl", ".ndjson"}),
}


def get_source(name: str, **options: Any) -> Source:
    """Instantiate a source; options are source-specific (surveys: form=PATH; scans: tool=NAME)."""
    if name == "units":
        from ingestion.units.source import UnitsSource

        return UnitsSource(**options)
    if name == "reports":
        from ingestion.reports.source import ReportsSource

        return ReportsSource()
    if name == "surveys":
        from ingestion.surveys.source import SurveysSource

        return SurveysSource(**options)
    if name == "scans":
        from ingestion.scans.source import ScansSource

        return ScansSource(**options)
    raise KeyError(f"unknown source {name!r}; known: {', '.join(SOURCE_NAMES)}")
