"""Ingesting overlapping exports of two tools into a real warehouse."""

from __future__ import annotations

from pathlib import Path

from ingestion.framework import run_ingest
from ingestion.scans.source import ScansSource
from tests.test_scans_fixtures import FB_TEXT, REPUTA_ROWS, newsmon_jsonl, reputa_csv, scan_reference


def ingest(conn, tool: str, *paths: Path):
    return run_ingest(ScansSource(tool=tool), list(paths), conn, progress=None)


def items(conn) -> dict[str, dict]:
    with conn, conn.cursor() as cur:
        cur.execute("select * from raw.scan_items order by item_key")
        names = [d.name for d in cur.description]
        return {r[names.index("canonical_url")] or r[names.index("item_key")]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def test_overlapping_exports_of_two_tools_keep_unique_items(warehouse, tmp_path: Path, monkeypatch) -> None:
    scan_reference(warehouse, tmp_path, monkeypatch)
    s1 = ingest(warehouse, "reputa", reputa_csv(tmp_path / "reputa.csv"))
    t1 = s1.totals()
    assert (t1["rows_read"], t1["rows_loaded"], t1["rows_updated"], t1["rows_unchanged"], t1["rows_quarantined"]) == (8, 3, 1, 1, 3)
    assert s1.reconciles()
    s2 = ingest(warehouse, "newsmon", newsmon_jsonl(tmp_path / "newsmon.jsonl"))
    t2 = s2.totals()
    # FB post, video and text-only post already known (updated: new tool); article new; 2 bad rows.
    assert (t2["rows_read"], t2["rows_loaded"], t2["rows_updated"], t2["rows_unchanged"], t2["rows_quarantined"]) == (6, 1, 3, 0, 2)
    assert s2.reconciles()
    got = items(warehouse)
    assert len(got) == 4
    fb = got["https://facebook.com/groups/123/posts/456"]
    assert fb["tools"] == ["newsmon", "reputa"]
    # latest capture is newsmon's (2025-03-08 02:00Z = 09:00 local, later than reputa's 07/03 09:00)
    assert (fb["likes"], fb["shares"], fb["comments"], fb["views"]) == (40, 9, 11, 2500)
    assert float(fb["sentiment"]) == -0.6 and fb["sentiment_raw"] == "20"
    assert fb["unit_code"] == "LDLD.TD" and fb["unit_source"] == "gazetteer"
    assert fb["topic_codes"] == ["T11"] and fb["topic_source"] == "keywords"
    yt = got["https://youtube.com/watch?v=abc123XYZ"]
    # newsmon's capture of the video is older: reputa's engagement stays
    assert (yt["likes"], yt["views"]) == (50, 3000)
    assert yt["unit_code"] == "LDLD.MT" and yt["unit_source"] == "tool" and yt["topic_codes"] == ["T06"] and yt["topic_source"] == "tool"
    text_items = [v for k, v in got.items() if v["canonical_url"] is None]
    assert len(text_items) == 1 and text_items[0]["item_key"].startswith("t") and text_items[0]["tools"] == ["newsmon", "reputa"]
    assert text_items[0]["unit_code"] == "LDLD.PT" and text_items[0]["topic_codes"] == ["T10"]
    news = got["https://baolaichau.vn/xa-hoi/chuyen-doi-so.html"]
    assert news["unit_code"] == "LDLD.TU" and news["topic_codes"] == ["T04"] and float(news["sentiment"]) == 0.5
    assert str(news["period_month"]) == "2025-04-01" and news["platform"] == "news"
    with warehouse, warehouse.cursor() as cur:
        cur.execute("select count(*) from raw.scan_captures")
        assert cur.fetchone()[0] == 5 + 4
        cur.execute("select count(*) from restricted.scan_item_text")
        assert cur.fetchone()[0] == 4
        cur.execute("select text from restricted.scan_item_text where item_key = %s", (fb["item_key"],))
        assert cur.fetchone()[0] == FB_TEXT


def test_order_of_tools_does_not_change_the_items(warehouse, tmp_path: Path) -> None:
    ingest(warehouse, "newsmon", newsmon_jsonl(tmp_path / "newsmon.jsonl"))
    ingest(warehouse, "reputa", reputa_csv(tmp_path / "reputa.csv"))
    got = items(warehouse)
    assert len(got) == 4
    fb = got["https://facebook.com/groups/123/posts/456"]
    assert (fb["likes"], fb["views"]) == (40, 2500)
    assert str(fb["first_captured_at"].date()) == "2025-03-06"


def test_reingest_changes_nothing(warehouse, tmp_path: Path) -> None:
    reputa = reputa_csv(tmp_path / "reputa.csv")
    ingest(warehouse, "reputa", reputa)
    before = items(warehouse)
    with warehouse, warehouse.cursor() as cur:
        cur.execute("select count(*) from raw.scan_captures")
        captures = cur.fetchone()[0]
    # the file was partly loaded (3 bad rows), so the framework reads it again: every row unchanged
    again = ingest(warehouse, "reputa", reputa).totals()
    assert (again["rows_loaded"], again["rows_updated"], again["rows_unchanged"], again["rows_quarantined"]) == (0, 0, 5, 3)
    assert items(warehouse) == before
    with warehouse, warehouse.cursor() as cur:
        cur.execute("select count(*) from raw.scan_captures")
        assert cur.fetchone()[0] == captures
    # a clean file loaded in full is skipped as a duplicate the second time
    clean = reputa_csv(tmp_path / "clean.csv", [REPUTA_ROWS[0], REPUTA_ROWS[2]])
    ingest(warehouse, "reputa", clean)
    before = items(warehouse)
    again_clean = ingest(warehouse, "reputa", clean)
    assert again_clean.files[0].status == "duplicate"
    assert items(warehouse) == before


def test_same_captures_in_another_file_are_unchanged(warehouse, tmp_path: Path) -> None:
    reputa = reputa_csv(tmp_path / "reputa.csv")
    ingest(warehouse, "reputa", reputa)
    before = items(warehouse)
    other = tmp_path / "reputa-resent.csv"
    other.write_bytes(reputa.read_bytes() + b"\r\n")  # different hash, same rows
    t = ingest(warehouse, "reputa", other).totals()
    assert (t["rows_loaded"], t["rows_updated"], t["rows_unchanged"], t["rows_quarantined"]) == (0, 0, 5, 3)
    assert items(warehouse) == before


def test_handles_are_hashed_and_never_stored_raw(warehouse, tmp_path: Path) -> None:
    ingest(warehouse, "reputa", reputa_csv(tmp_path / "reputa.csv"))
    ingest(warehouse, "newsmon", newsmon_jsonl(tmp_path / "newsmon.jsonl"))
    with warehouse, warehouse.cursor() as cur:
        cur.execute(
            """select format('select count(*) from %I.%I t where t::text ilike %L', schemaname, tablename, '%%' || h || '%%')
               from pg_tables, unnest(array['CongNhanTD', 'kenh_tin_vung_cao']) h
               where schemaname in ('raw', 'ops')"""
        )
        for (sql,) in cur.fetchall():
            cur.execute(sql)
            assert cur.fetchone()[0] == 0, sql
        cur.execute("select author_hash from raw.scan_items where canonical_url = 'https://facebook.com/groups/123/posts/456'")
        (h,) = cur.fetchone()
    from dlxh.core.privacy import pseudonymise

    # '@CongNhanTD' (reputa) and 'congnhantd' (newsmon) are one person
    assert h == pseudonymise("congnhantd") and len(h) == 64


def test_quarantine_reasons_are_vietnamese_and_specific(warehouse, tmp_path: Path) -> None:
    ingest(warehouse, "reputa", reputa_csv(tmp_path / "reputa.csv"))
    ingest(warehouse, "newsmon", newsmon_jsonl(tmp_path / "newsmon.jsonl"))
    with warehouse, warehouse.cursor() as cur:
        cur.execute(
            "select reason_code, row_number, field, reason from ops.quarantine where source = 'scans' order by file_path, row_number"
        )
        rows = cur.fetchall()
    codes = {(r[0], r[1]) for r in rows}
    assert codes == {("no_url_no_text", 5), ("bad_date", 6), ("unknown_sentiment", 7), ("sentiment_out_of_scale", 5), ("bad_json", 6)}
    reasons = {r[0]: r[3] for r in rows}
    assert "Không có đường dẫn" in reasons["no_url_no_text"]
    assert "thời gian đăng" in reasons["bad_date"] and "32/13/2025" in reasons["bad_date"]
    assert "ngoài thang điểm khai báo [0, 100]" in reasons["sentiment_out_of_scale"]
    assert "Rất tốt" in reasons["unknown_sentiment"]


def test_file_without_url_or_text_column_is_quarantined(warehouse, tmp_path: Path) -> None:
    bad = tmp_path / "wrong.csv"
    bad.write_text("Cột A,Cột B\n1,2\n", encoding="utf-8")
    s = ingest(warehouse, "reputa", bad)
    assert s.files[0].status == "quarantined"
    assert "không có cột đường dẫn hay nội dung" in s.files[0].quarantined[0].reason


def test_text_with_tabs_newlines_and_backslashes_is_stored_verbatim(warehouse, tmp_path: Path) -> None:
    """COPY lines are built by hand (records.copy_line): special characters must survive."""
    text = "Dòng 1\tcột\\n thật\r\nDòng 2 \\ gạch \\N"
    row = [
        "https://baolaichau.vn/a\\b",
        "Báo điện tử",
        "05/03/2025 08:15",
        "06/03/2025 09:00",
        "Tiêu đề\tcó tab",
        text,
        "",
        "1",
        "",
        "",
        "",
        "Trung tính",
        "",
        "",
    ]
    s = ingest(warehouse, "reputa", reputa_csv(tmp_path / "special.csv", [row]))
    assert s.totals()["rows_loaded"] == 1, s.render()
    with warehouse, warehouse.cursor() as cur:
        cur.execute("select i.title, i.url, t.text from raw.scan_items i join restricted.scan_item_text t using (item_key)")
        assert cur.fetchone() == ("Tiêu đề\tcó tab", "https://baolaichau.vn/a\\b", text.strip())


def _snapshot(conn) -> tuple:
    """Everything the scans source stores, minus load ids and timestamps of the run."""
    with conn, conn.cursor() as cur:
        cur.execute(
            """select item_key, canonical_url, url, text_hash, platform, published_at, first_captured_at,
                      last_captured_at, period_month, title, author_hash, likes, shares, comments, views, sentiment,
                      sentiment_raw, topic_codes, topic_source, place_raw, unit_code, unit_source, tools
               from raw.scan_items order by item_key"""
        )
        stored = cur.fetchall()
        cur.execute(
            "select item_key, tool, captured_at, likes, shares, comments, views, row_number from raw.scan_captures "
            "order by item_key, tool, captured_at, row_number"
        )
        captures = cur.fetchall()
        cur.execute("select item_key, text from restricted.scan_item_text order by item_key")
        return stored, captures, cur.fetchall()


def test_merging_in_parts_equals_merging_whole_files(warehouse, tmp_path: Path) -> None:
    """Files are merged in parts while the next part is parsed; one-row parts give the same result."""
    from tests.conftest import truncate_all

    reputa, newsmon = reputa_csv(tmp_path / "reputa.csv"), newsmon_jsonl(tmp_path / "newsmon.jsonl")
    results = []
    for part_rows in (100_000, 1, 2):
        truncate_all(warehouse)
        counts = []
        for tool, path in (("reputa", reputa), ("newsmon", newsmon)):
            s = run_ingest(ScansSource(tool=tool, part_rows=part_rows), [path], warehouse, progress=None)
            assert s.reconciles()
            counts.append(s.totals())
        results.append((part_rows, counts, _snapshot(warehouse)))
    whole = results[0][1:]
    assert whole[0][0]["rows_loaded"] == 3 and len(whole[1][0]) == 4  # same figures as the first test
    url_col = 2
    for part_rows, counts, (stored, captures, texts) in results[1:]:
        assert counts == whole[0] and captures == whole[1][1] and texts == whole[1][2]
        # Fields that keep the first stored value (here the raw url) come from the item's first
        # part: the reputa file names the FB post twice, the mobile share link first (rows 1 and 2:
        # split by one-row parts, in one part of two rows).
        for got, want in zip(stored, whole[1][0], strict=True):
            assert got[:url_col] + got[url_col + 1 :] == want[:url_col] + want[url_col + 1 :]
        urls = {r[1]: (r[url_col], w[url_col]) for r, w in zip(stored, whole[1][0], strict=True) if r[url_col] != w[url_col]}
        split = {
            "https://facebook.com/groups/123/posts/456": (
                "https://m.facebook.com/groups/123/posts/456/?fbclid=IwAR0abc",
                "https://www.facebook.com/groups/123/posts/456",
            )
        }
        assert urls == (split if part_rows == 1 else {})


def test_json_document_export_stores_what_the_jsonl_export_stores(warehouse, tmp_path: Path) -> None:
    """A whole JSON document ({"results": [...]}, records of different shapes) = the same JSONL lines."""
    import json

    from tests.test_scans_fixtures import newsmon_records

    def stored() -> set[tuple]:
        with warehouse, warehouse.cursor() as cur:
            cur.execute(
                "select item_key, canonical_url, title, likes, shares, comments, views, sentiment, unit_code, topic_codes,"
                " period_month, author_hash, tools from raw.scan_items order by item_key"
            )
            return set(map(tuple, (tuple(tuple(v) if isinstance(v, list) else v for v in r) for r in cur.fetchall())))

    records = [r for r in newsmon_records() if isinstance(r, dict)]
    s_lines = ingest(warehouse, "newsmon", newsmon_jsonl(tmp_path / "newsmon.jsonl", records))
    from_lines = stored()
    with warehouse, warehouse.cursor() as cur:
        cur.execute("truncate raw.scan_items, raw.scan_captures, restricted.scan_item_text, ops.files, ops.quarantine")
    doc = tmp_path / "newsmon.json"
    doc.write_text(json.dumps({"total": len(records), "results": records}, ensure_ascii=False, indent=2), encoding="utf-8")
    s_doc = ingest(warehouse, "newsmon", doc)
    assert s_doc.totals() == s_lines.totals() and s_doc.reconciles()
    assert s_doc.totals()["rows_read"] == 5 and s_doc.totals()["rows_quarantined"] == 1  # sentiment 150 on a 0..100 scale
    assert stored() == from_lines and len(from_lines) == 4


def _reltuples(conn, table: str) -> float:
    with conn, conn.cursor() as cur:
        cur.execute("select reltuples from pg_class where oid = %s::regclass", (table,))
        return cur.fetchone()[0]


def test_a_load_refreshes_the_statistics_of_its_tables(warehouse, tmp_path: Path) -> None:
    """The planner sees the rows a load wrote (a new month lies past the old statistics)."""
    assert _reltuples(warehouse, "raw.scan_items") <= 0  # emptied: never analyzed since
    ingest(warehouse, "newsmon", newsmon_jsonl(tmp_path / "newsmon.jsonl"))
    with warehouse, warehouse.cursor() as cur:
        cur.execute("select count(*) from raw.scan_items")
        items_loaded = cur.fetchone()[0]
        cur.execute("select count(*) from raw.scan_captures")
        captures = cur.fetchone()[0]
    assert items_loaded > 0
    assert _reltuples(warehouse, "raw.scan_items") == items_loaded
    assert _reltuples(warehouse, "raw.scan_captures") == captures


def test_a_busy_table_keeps_its_statistics_and_the_load_stands(warehouse, warehouse_target, tmp_path: Path, monkeypatch, caplog) -> None:
    """Another session holds a lock ANALYZE needs (e.g. a long VACUUM): the load waits the lock
    timeout, warns, and its rows stay loaded."""
    import logging

    from dlxh.core.db import connect
    from ingestion import framework

    monkeypatch.setattr(framework, "ANALYZE_LOCK_TIMEOUT", "300ms")
    holder = connect(warehouse_target)
    try:
        with holder.cursor() as cur:
            cur.execute("lock table raw.scan_items in share update exclusive mode")  # inserts still pass
        with caplog.at_level(logging.WARNING):
            summary = ingest(warehouse, "newsmon", newsmon_jsonl(tmp_path / "newsmon.jsonl"))
    finally:
        holder.rollback()
        holder.close()
    assert [f.status for f in summary.files] in (["loaded"], ["partial"])  # as without the lock
    assert summary.totals()["rows_loaded"] > 0
    with warehouse, warehouse.cursor() as cur:
        cur.execute("select count(*) from raw.scan_items")
        assert cur.fetchone()[0] > 0
    assert _reltuples(warehouse, "raw.scan_items") <= 0
    assert any("statistics of raw.scan_items" in r.getMessage() and "lock timeout" in r.getMessage() for r in caplog.records)
