"""The registry of sources the CLI and DAGs can ingest, by name."""

from __future__ import annotations

from ingestion.framework import Source


def get_source(name: str) -> Source:
    if name == "units":
        from ingestion.units import UnitsSource

        return UnitsSource()
    if name == "reports":
        from ingestion.reports.source import ReportsSource

        return ReportsSource()
    raise KeyError(name)


SOURCE_NAMES = ("units", "reports")
