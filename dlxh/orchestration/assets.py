"""The warehouse's Airflow assets, defined once: one per source (from its spec), the marts and the
validation results. Imported by the DAG files only (it imports the Airflow SDK)."""

from __future__ import annotations

from airflow.sdk import Asset

from ingestion.sources import specs

RAW: dict[str, Asset] = {spec.name: Asset(spec.asset) for spec in specs()}
MARTS = Asset("warehouse.marts")
QUALITY = Asset("warehouse.quality.validation_results")


def any_raw_asset():
    """The build's schedule: any source's new load (an asset expression `a | b | …`)."""
    assets = list(RAW.values())
    schedule = assets[0]
    for asset in assets[1:]:
        schedule = schedule | asset
    return schedule
