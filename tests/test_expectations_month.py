"""A validation run reads one month of each monthly asset (expectations/context.py, month_bounded)."""

from __future__ import annotations

from datetime import date

from expectations.context import month_bounded
from expectations.definitions import ASSET_BY_NAME, MONTHLY, AssetSpec


def test_a_table_asset_becomes_its_months_rows():
    query = month_bounded(AssetSpec("scan_items", MONTHLY, table="raw.scan_items"), date(2026, 11, 17))
    assert query == (
        "select * from (select * from raw.scan_items) as asset_rows "
        "where period_month >= date '2026-11-01' and period_month < date '2026-12-01'"
    )


def test_december_ends_at_the_next_january():
    query = month_bounded(AssetSpec("scan_items", MONTHLY, table="raw.scan_items"), date(2025, 12, 1))
    assert query.endswith("period_month >= date '2025-12-01' and period_month < date '2026-01-01'")


def test_a_query_asset_is_bounded_outside_its_own_query():
    spec = ASSET_BY_NAME["survey_scores"]
    query = month_bounded(spec, date(2026, 1, 1))
    assert query.startswith(f"select * from ({spec.query}) as asset_rows where ")
    assert query.endswith("period_month >= date '2026-01-01' and period_month < date '2026-02-01'")
