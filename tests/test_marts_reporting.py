"""Reporting marts on the demo registry and reports: real ingest, real dbt build, independent checks.

Statuses and days late are recomputed in Python with dlxh.calendar from the raw tables and must
agree with marts.fct_report_submission; compliance rates are recomputed with SQL over raw.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from dlxh.calendar import LOCAL, add_months, days_late, monthly_due_at, status

AS_OF = date(2026, 11, 26)
AS_OF_TS = datetime(2026, 11, 26, 23, 59, 59, tzinfo=LOCAL)
REPORTING_TYPES = ("district", "sector", "civil_servants")


@pytest.fixture(scope="module")
def conn(module_warehouse):
    return module_warehouse


@pytest.fixture(scope="module")
def built(conn, dlxh_home: Path):
    """Demo inputs ingested, one register entry added, one dbt build (full refresh)."""
    from dlxh.build import build
    from dlxh.db import copy_rows
    from dlxh.demo import write_demo
    from ingestion.framework import run_ingest
    from ingestion.sources import get_source

    written = write_demo(dlxh_home / "demo-reporting", AS_OF, months=6)
    run_ingest(get_source("units"), written["units"], conn, progress=None)
    run_ingest(get_source("reports"), written["reports"], conn, progress=None)
    with conn, conn.cursor() as cur:
        # The register records LDLD-TP's latest report as received two days after the deadline,
        # whatever its form said: the register wins, so the report is late.
        cur.execute(
            """select source_file, period_month from raw.reports
               where unit_code = 'LDLD-TP' order by period_month desc limit 1"""
        )
        source_file, period_month = cur.fetchone()
        copy_rows(
            cur, "raw.document_register",
            ["load_id", "source_file", "file_hash", "row_number", "received_at", "sender", "unit_code", "doc_number", "attachment_name"],
            [(0, "so_cong_van_den.xlsx", "test-register", 1, monthly_due_at(period_month) + timedelta(days=2), "LĐLĐ thành phố", "LDLD-TP", None,
              Path(source_file).name)],
        )
    summary = build(as_of=AS_OF, full_refresh=True)
    return summary


def _rows(conn, sql: str, params=()) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def test_build_succeeds_with_unit_tests(built):
    assert built.ok
    assert built.counts.get("pass", 0) >= 3  # the dbt unit tests and data tests ran


def test_statuses_match_the_python_calendar(built, conn):
    units = _rows(conn, "select unit_code, unit_type, valid_from, valid_to from raw.units")
    reports = _rows(
        conn,
        """select r.unit_code, r.period_month, min(coalesce(d.received_at, r.form_received_at, r.inbox_received_at))
           from raw.reports r
           left join raw.document_register d on lower(d.attachment_name) = lower(regexp_replace(r.source_file, '^.*/', ''))
           where r.report_type = 'monthly' group by 1, 2""",
    )
    received = {(u, m): t for u, m, t in reports}
    first_month = min(vf for _, t, vf, _ in units if t in REPORTING_TYPES)
    months = []
    m = date(first_month.year, first_month.month, 1)
    while m <= date(AS_OF.year, AS_OF.month, 1):
        months.append(m)
        m = add_months(m, 1)
    expected = {}
    codes = {u for u, t, _, _ in units if t in REPORTING_TYPES}
    for code in codes:
        spans = [(vf, vt) for u, t, vf, vt in units if u == code]
        for month in months:
            due = monthly_due_at(month)
            last_needed = (due - timedelta(seconds=1)).date()
            opens = any(vf <= month and (vt is None or vt >= month) for vf, vt in spans)
            closes = any(vf <= last_needed and (vt is None or vt >= last_needed) for vf, vt in spans)
            if opens and closes:
                got = received.get((code, month))
                expected[(code, month)] = (status(got, due, AS_OF_TS), days_late(got, due, AS_OF_TS))
    actual = {
        (u, m): (s, d)
        for u, m, s, d in _rows(
            conn, "select unit_code, period_month, status, days_late from marts.fct_report_submission where report_type = 'monthly'"
        )
    }
    assert actual == expected
    assert {s for s, _ in actual.values()} >= {"on_time", "late", "missing"}


def test_dissolved_unit_owes_nothing_after_valid_to(built, conn):
    (valid_to,) = _rows(conn, "select valid_to from raw.units where unit_code = 'LDLD-NN'")[0]
    assert valid_to is not None
    months = [m for (m,) in _rows(conn, "select period_month from marts.fct_report_submission where unit_code = 'LDLD-NN'")]
    assert months, "LDLD-NN owed reports before it was dissolved"
    assert all(monthly_due_at(m).date() - timedelta(days=1) <= valid_to for m in months)
    assert max(months) < date(valid_to.year, valid_to.month, 1) + timedelta(days=32)


def test_rename_gives_two_dim_unit_versions(built, conn):
    rows = _rows(conn, "select unit_name, valid_from, valid_to, is_current from marts.dim_unit where unit_code = 'CDN-GD' order by valid_from")
    assert len(rows) == 2
    assert rows[0][2] is not None and rows[0][3] is False
    assert rows[1][2] is None and rows[1][3] is True
    assert rows[0][0] != rows[1][0]


def test_register_time_wins_over_the_form(built, conn):
    rows = _rows(
        conn,
        """select f.received_at_source, f.received_at = d.received_at, f.status
           from marts.fct_report_submission f
           join raw.document_register d on d.unit_code = f.unit_code
           where f.unit_code = 'LDLD-TP' and f.current_report_key is not null
             and f.received_at_source = 'register'""",
    )
    assert rows == [("register", True, "late")]


def test_compliance_rates_match_raw_sql(built, conn):
    mart = {
        m: (e, o, rate)
        for m, e, o, rate in _rows(
            conn,
            """select period_start, expected, on_time, on_time_rate from marts.mart_report_compliance
               where grain = 'province_month' and report_type = 'monthly'""",
        )
    }
    independent = {
        m: (e, o)
        for m, e, o in _rows(
            conn,
            """select period_month, count(*), count(*) filter (where status = 'on_time')
               from marts.fct_report_submission where report_type = 'monthly' group by 1""",
        )
    }
    assert {m: (e, o) for m, (e, o, _) in mart.items()} == independent
    for m, (e, o, rate) in mart.items():
        pending = _rows(conn, "select count(*) from marts.fct_report_submission where period_month = %s and status = 'pending'", (m,))[0][0]
        assert float(rate) == pytest.approx(round(o / (e - pending), 4))
    year = _rows(conn, "select expected, on_time from marts.mart_report_compliance where grain = 'province_year' and year = 2026")
    assert year == [(sum(e for e, _ in independent.values()), sum(o for _, o in independent.values()))]


def test_bi_reader_reads_marts_only(built, dlxh_home: Path, warehouse_target):
    import psycopg2

    from dlxh.build import bi_password
    from dlxh.settings import load_settings

    target = warehouse_target
    conn = psycopg2.connect(host=target.host, port=target.port, dbname=target.dbname, user="bi_reader", password=bi_password(load_settings()))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("select count(*) from marts.fct_report_submission")
            assert cur.fetchone()[0] > 0
            for table in ("raw.reports", "restricted.survey_free_text", "ops.loads", "staging.stg_raw__reports", "intermediate.int_report_versions"):
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    cur.execute(f"select 1 from {table} limit 1")
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute("insert into marts.dim_month (period_month) values (date '2030-01-01')")
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute("create table marts.bi_scratch (x int)")
    finally:
        conn.close()


def test_dbt_docs_generate(built):
    from dlxh.build import docs_generate

    catalog = json.loads((docs_generate() / "catalog.json").read_text(encoding="utf-8"))
    assert "model.dlxh_warehouse.fct_report_submission" in catalog["nodes"]
