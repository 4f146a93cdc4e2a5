"""Reporting marts on the demo registry and reports: real ingest, real dbt build, independent checks.

Statuses and days late are recomputed in Python with dlxh.core.calendar from the raw tables and must
agree with marts.fct_report_submission; compliance rates are recomputed with SQL over raw.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from dlxh.core.calendar import LOCAL, add_months, days_late, monthly_due_at, status

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
    from dlxh.core.db import copy_rows
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
            cur,
            "raw.document_register",
            ["load_id", "source_file", "file_hash", "row_number", "received_at", "sender", "unit_code", "doc_number", "attachment_name"],
            [
                (
                    0,
                    "so_cong_van_den.xlsx",
                    "test-register",
                    1,
                    monthly_due_at(period_month) + timedelta(days=2),
                    "LĐLĐ thành phố",
                    "LDLD-TP",
                    None,
                    Path(source_file).name,
                )
            ],
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
    rows = _rows(
        conn, "select unit_name, valid_from, valid_to, is_current from marts.dim_unit where unit_code = 'CDN-GD' order by valid_from"
    )
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
    from dlxh.core.settings import load_settings

    target = warehouse_target
    conn = psycopg2.connect(
        host=target.host, port=target.port, dbname=target.dbname, user="bi_reader", password=bi_password(load_settings())
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("select count(*) from marts.fct_report_submission")
            assert cur.fetchone()[0] > 0
            for table in (
                "raw.reports",
                "restricted.survey_free_text",
                "ops.loads",
                "staging.stg_raw__reports",
                "intermediate.int_report_versions",
            ):
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


def test_every_marts_column_has_a_comment(built, conn):
    """persist_docs: BI tools (Superset, Metabase) show the descriptions PostgreSQL holds, and analysts read
    Vietnamese: every relation and column of schema marts has a comment with Vietnamese in it ("English. · Tiếng Việt.")."""

    def vietnamese(comment: str | None) -> bool:
        return bool(comment and comment.strip()) and not comment.isascii()

    relations = _rows(
        conn,
        """select c.relname, obj_description(c.oid, 'pg_class')
           from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = 'marts' and c.relkind in ('r', 'v', 'm', 'p')""",
    )
    assert {"fct_report_submission", "dim_unit_current", "dim_label", "mart_report_compliance_unit_month", "fct_hot_spot_case"} <= {
        r for r, _ in relations
    }
    assert [(r, comment) for r, comment in relations if not vietnamese(comment)] == []
    # Every column information_schema lists for schema marts, with the comment of the attribute of that name.
    columns = _rows(
        conn,
        """select c.table_name, c.column_name, col_description(a.attrelid, a.attnum)
           from information_schema.columns c
           join pg_attribute a on a.attrelid = format('%%I.%%I', c.table_schema, c.table_name)::regclass
                              and a.attname = c.column_name
           where c.table_schema = 'marts'
           order by 1, 2""",
    )
    assert len(columns) > 200  # the demo's marts: about 270 columns over 18 relations
    assert [(r, col, comment) for r, col, comment in columns if not vietnamese(comment)] == []
    (comment,) = _rows(
        conn,
        "select col_description('marts.fct_report_submission'::regclass, "
        "(select attnum from pg_attribute where attrelid = 'marts.fct_report_submission'::regclass and attname = 'status_vi'))",
    )[0]
    assert "Đúng hạn" in comment and " · Tình trạng" in comment
    (comment,) = _rows(conn, "select obj_description('marts.mart_report_compliance_unit_month'::regclass, 'pg_class')")[0]
    assert comment.startswith("Reporting compliance per unit") and "· Tình hình báo cáo theo đơn vị và tháng" in comment


def test_compliance_grains_split_into_one_grain_each(built, conn):
    whole = _rows(
        conn,
        """select grain, sum(expected), sum(on_time), sum(missing) from marts.mart_report_compliance
                           where report_type = 'monthly' group by 1 order by 1""",
    )
    submissions = _rows(
        conn,
        """select count(*), count(*) filter (where status = 'on_time'), count(*) filter (where status = 'missing')
                                 from marts.fct_report_submission where report_type = 'monthly'""",
    )[0]
    # Each grain alone adds up to the facts; the table as a whole counts every report three times.
    assert [tuple(v) for _, *v in whole] == [submissions] * 3
    for view in ("mart_report_compliance_unit_month", "mart_report_compliance_month", "mart_report_compliance_year"):
        assert _rows(conn, f"select sum(expected), sum(on_time), sum(missing) from marts.{view} where report_type = 'monthly'") == [
            submissions
        ], view
    labels = _rows(conn, "select distinct grain, grain_vi from marts.mart_report_compliance order by 1")
    assert labels == [
        ("province_month", "Toàn tỉnh theo tháng"),
        ("province_year", "Toàn tỉnh theo năm"),
        ("unit_month", "Đơn vị theo tháng"),
    ]


def test_dim_unit_current_one_row_per_unit_dissolved_kept(built, conn):
    codes = _rows(conn, "select unit_code from marts.dim_unit_current")
    assert sorted(codes) == sorted(_rows(conn, "select distinct unit_code from marts.dim_unit"))
    # A naive join of the facts with dim_unit multiplies rows of renamed units; with dim_unit_current it cannot.
    (facts,) = _rows(conn, "select count(*) from marts.fct_report_submission")[0]
    (joined,) = _rows(conn, "select count(*) from marts.fct_report_submission f join marts.dim_unit_current u using (unit_code)")[0]
    (naive,) = _rows(conn, "select count(*) from marts.fct_report_submission f join marts.dim_unit u using (unit_code)")[0]
    assert joined == facts < naive
    renamed = _rows(conn, "select unit_code, max(valid_from) from marts.dim_unit group by 1 having count(*) > 1")
    assert renamed
    for code, latest in renamed:
        assert _rows(conn, "select valid_from, version_count > 1 from marts.dim_unit_current where unit_code = %s", (code,)) == [
            (latest, True)
        ]
    dissolved = _rows(
        conn,
        """select unit_code, max(valid_to) from raw.units group by 1
                               having bool_and(valid_to is not null) and max(valid_to) < date %s""",
        (AS_OF,),
    )
    assert dissolved
    for code, ended in dissolved:
        assert _rows(
            conn, "select ended_on, unit_state, unit_state_vi, is_active from marts.dim_unit_current where unit_code = %s", (code,)
        ) == [(ended, "ended", "Đã giải thể hoặc sáp nhập", False)]


def test_every_status_and_code_has_a_vietnamese_label(built, conn):
    expected = {"on_time": "Đúng hạn", "late": "Trễ hạn", "missing": "Chưa nộp", "pending": "Chưa đến hạn"}
    seen = dict(_rows(conn, "select distinct status, status_vi from marts.fct_report_submission"))
    assert seen and all(expected[s] == v for s, v in seen.items())
    labels = dict(_rows(conn, "select code, label_vi from marts.dim_label where domain = 'report_status'"))
    assert labels == expected
    for domain, sql in (
        ("report_type", "select distinct report_type from marts.fct_report_submission"),
        ("received_at_source", "select distinct received_at_source from marts.fct_report_submission where received_at_source is not null"),
        ("attribution", "select distinct attribution from marts.fct_report_submission where attribution is not null"),
        ("signal_source", "select source_code from marts.dim_source"),
        ("compliance_grain", "select distinct grain from marts.mart_report_compliance"),
    ):
        codes = {c for (c,) in _rows(conn, sql)}
        labelled = {c for (c,) in _rows(conn, "select code from marts.dim_label where domain = %s and label_vi <> ''", (domain,))}
        assert codes and codes <= labelled, (domain, codes - labelled)
    assert _rows(conn, "select count(*) from marts.fct_report_submission where status_vi is null or report_type_vi is null") == [(0,)]
