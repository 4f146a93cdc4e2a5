"""Asset names shared by the DAGs: one per landed raw table group, one for the marts, one for quality."""

from __future__ import annotations

RAW_ASSETS = {
    "units": "warehouse.raw.units",
    "reports": "warehouse.raw.reports",
    "surveys": "warehouse.raw.survey_answers",
    "scans": "warehouse.raw.scan_items",
}
MARTS_ASSET = "warehouse.marts"
QUALITY_ASSET = "warehouse.quality.validation_results"
