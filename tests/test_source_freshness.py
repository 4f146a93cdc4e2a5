"""`dbt source freshness` over the raw tables: a stale scan source is a stored, Vietnamese finding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def test_stale_scan_source_is_reported_in_vietnamese(warehouse) -> None:
    from dlxh.core.db import copy_rows
    from dlxh.freshness import check_freshness

    old = datetime.now(UTC) - timedelta(days=40)
    with warehouse, warehouse.cursor() as cur:
        copy_rows(
            cur,
            "raw.scan_items",
            [
                "item_key",
                "text_hash",
                "first_captured_at",
                "last_captured_at",
                "period_month",
                "load_id",
                "source_file",
                "file_hash",
                "updated_at",
            ],
            [("u1", "h1", old, old, old.date().replace(day=1), 1, "reputa.csv", "f1", old)],
        )
    report = check_freshness()
    by_table = {s.table: s for s in report.sources}
    scans = by_table["raw.scan_items"]
    assert scans.status == "warn" and scans.warn_after == "35 day" and 39.9 * 86400 < scans.age_seconds < 40.1 * 86400
    text = report.render()
    assert "raw.scan_items: cũ (cảnh báo) — nạp lần cuối" in text and "(40 ngày trước; ngưỡng cảnh báo 35 ngày)" in text
    # empty tables are checked too and say so
    assert "raw.survey_responses: chưa có dữ liệu" in text
    assert not any(s.status == "runtime error" for s in report.sources), text
    with warehouse, warehouse.cursor() as cur:
        cur.execute("select source_table, status from quality.source_freshness where source_table = 'raw.scan_items'")
        assert cur.fetchall() == [("raw.scan_items", "warn")]
