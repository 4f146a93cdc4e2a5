"""Source quality: survey/scan rows and the import reconciliation (quality.v_import_reconciliation)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

APRIL = date(2025, 4, 1)


@pytest.fixture(scope="module")
def marts_built(warehouse_target):
    """validate_month needs the marts to exist; build them once on an emptied warehouse (an empty
    registry is fine here; rows another module left would put months after as_of in the facts)."""
    from dlxh.build import build
    from dlxh.core.db import connect
    from tests.conftest import truncate_all

    conn = connect(warehouse_target)
    try:
        truncate_all(conn)
    finally:
        conn.close()
    build(as_of=date(2025, 5, 31))


def _results(conn, run_id: int, suite: str) -> dict[str, tuple[bool, list[str]]]:
    with conn, conn.cursor() as cur:
        cur.execute(
            "select expectation, success, offending_keys from quality.validation_results where run_id = %s and suite = %s",
            (run_id, suite),
        )
        return {e: (ok, keys) for e, ok, keys in cur.fetchall()}


def test_import_that_does_not_reconcile_fails(warehouse, marts_built):
    """An import summary whose counts do not add up (simulated by SQL), and one whose quarantined
    rows have no reason in ops.quarantine, both fail and are named by file."""
    from expectations.runner import validate_month

    files = [
        {
            "path": "/inbox/surveys/kobo_lech.csv",
            "file_hash": "h-unaccounted",
            "status": "loaded",
            "rows_read": 10,
            "rows_loaded": 7,
            "rows_updated": 0,
            "rows_unchanged": 0,
            "rows_quarantined": 0,
        },
        {
            "path": "/inbox/surveys/kobo_khong_ly_do.csv",
            "file_hash": "h-no-reason",
            "status": "partial",
            "rows_read": 5,
            "rows_loaded": 3,
            "rows_updated": 0,
            "rows_unchanged": 0,
            "rows_quarantined": 2,
        },
    ]
    with warehouse, warehouse.cursor() as cur:
        cur.execute(
            "insert into ops.loads (source, status, finished_at, summary) values ('surveys', 'succeeded', now(), %s) returning load_id",
            (json.dumps({"files": files}),),
        )
        load_id = cur.fetchone()[0]
        for f in files:
            cur.execute(
                """insert into ops.files (source, file_hash, first_path, last_path, status, load_id, rows_read, rows_loaded, rows_quarantined)
                   values ('surveys', %s, %s, %s, %s, %s, %s, %s, %s)""",
                (f["file_hash"], f["path"], f["path"], f["status"], load_id, f["rows_read"], f["rows_loaded"], f["rows_quarantined"]),
            )
    result = validate_month(APRIL)
    rec = _results(warehouse, result.run_id, "dlxh_import_reconciliation")
    assert rec["rows_accounted_for"] == (False, [f"surveys#{load_id}:kobo_lech.csv"])
    assert rec["quarantine_has_reasons"] == (False, [f"surveys#{load_id}:kobo_khong_ly_do.csv"])
    assert rec["file_reconciles"][0] is False
    assert set(rec["file_reconciles"][1]) == {f"surveys#{load_id}:kobo_lech.csv", f"surveys#{load_id}:kobo_khong_ly_do.csv"}
    assert "dlxh_survey_quality" in result.skipped_suites  # no survey rows for the month: nothing to check


def test_broken_survey_rows_reconcile_through_the_quarantine(warehouse, marts_built, tmp_path: Path):
    from expectations.runner import validate_month
    from ingestion.framework import run_ingest
    from ingestion.sources import get_source
    from ingestion.surveys import sample

    ex = sample.write_examples(tmp_path / "examples")
    run_ingest(get_source("units"), [ex["units"]], warehouse, progress=None)
    surveys = get_source("surveys", form=str(ex["form"]))
    run_ingest(surveys, [ex["kobo_march"]], warehouse, progress=None)
    april = run_ingest(surveys, [ex["kobo_april"]], warehouse, progress=None)
    assert april.totals()["rows_quarantined"] == 3  # missing uuid, score 7 on a 1–5 scale, unknown unit

    result = validate_month(APRIL)
    for suite in ("dlxh_import_reconciliation", "dlxh_survey_quality", "dlxh_survey_scores"):
        res = _results(warehouse, result.run_id, suite)
        assert res and all(ok for ok, _ in res.values()), (suite, res)
    with warehouse, warehouse.cursor() as cur:
        cur.execute(
            "select rows_read, rows_quarantined, quarantine_rows_logged, reconciles from quality.v_import_reconciliation "
            "where file_name like %s",
            ("%kobo_2025-04_reexport.csv",),
        )
        assert cur.fetchone() == (21, 3, 3, True)


def test_bad_survey_and_scan_rows_are_named(warehouse, marts_built):
    """Rows that slipped into raw with impossible values are named by their ids."""
    from expectations.runner import validate_month

    with warehouse, warehouse.cursor() as cur:
        cur.execute(
            """insert into raw.survey_forms (form_id, source_file, file_hash, load_id) values ('f1', 'form.xlsx', 'hf', 1);
               insert into raw.survey_responses (submission_uuid, form_id, unit_code, submitted_at, period_month, content_hash,
                                                 load_id, source_file, file_hash)
               values ('uuid-ok', 'f1', 'LDLD-TD', '2025-04-03 09:00+07', '2025-04-01', 'c1', 1, 'a.csv', 'ha'),
                      ('uuid-old', 'f1', 'LDLD-TD', '2010-04-03 09:00+07', '2025-04-01', 'c2', 1, 'a.csv', 'ha'),
                      ('uuid-noform', 'f9', 'LDLD-PT', '2025-04-04 09:00+07', '2025-04-01', 'c3', 1, 'a.csv', 'ha'),
                      ('uuid-march-old', 'f1', 'LDLD-TD', '2010-03-03 09:00+07', '2025-03-01', 'c4', 1, 'a.csv', 'ha');
               insert into raw.scan_items (item_key, text_hash, first_captured_at, last_captured_at, published_at, period_month,
                                           likes, sentiment, load_id, source_file, file_hash)
               values ('item-ok', 't1', '2025-04-05 10:00+07', '2025-04-06 10:00+07', '2025-04-05 08:00+07', '2025-04-01', 3, 0.5, 1, 's.csv', 'hs'),
                      ('item-neg', 't2', '2025-04-05 10:00+07', '2025-04-06 10:00+07', '2025-04-05 08:00+07', '2025-04-01', -4, 0, 1, 's.csv', 'hs'),
                      ('item-future', 't3', '2025-04-05 10:00+07', '2025-04-04 10:00+07', '2025-04-09 08:00+07', '2025-04-01', 0, 0, 1, 's.csv', 'hs'),
                      ('item-may-neg', 't4', '2025-05-02 10:00+07', '2025-05-03 10:00+07', '2025-05-02 08:00+07', '2025-05-01', -1, 0, 1, 's.csv', 'hs');"""
        )
    result = validate_month(APRIL)
    surveys = _results(warehouse, result.run_id, "dlxh_survey_quality")
    assert surveys["submitted_at_valid"] == (False, ["uuid-old"])
    assert surveys["form_is_known"] == (False, ["uuid-noform"])
    assert surveys["submission_uuid_unique"] == (True, [])
    scans = _results(warehouse, result.run_id, "dlxh_scan_quality")
    assert scans["likes_not_negative"] == (False, ["item-neg"])
    assert scans["captures_in_order"] == (False, ["item-future"])
    assert scans["published_at_valid"] == (False, ["item-future"])
    assert scans["sentiment_in_range"] == (True, [])
    # Each month is checked on its own rows: March's and May's bad rows are not April's findings,
    # and May's is May's.
    may = _results(warehouse, validate_month(date(2025, 5, 1)).run_id, "dlxh_scan_quality")
    assert may["likes_not_negative"] == (False, ["item-may-neg"])
    assert may["captures_in_order"] == (True, [])
