"""The Lâm Cao corpus (tests/corpus_reports.py) through the real pipeline: `dlxh ingest units`,
`dlxh ingest reports` on the register and the inbox folder, `dlxh build`, GX validation.

Scores every report file against its truth (unit, month, type, number, received time from the
register, parts, topics), prints the score table (pytest -s) and checks March's statuses.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from dlxh.core.parsing import LOCAL
from tests.corpus_reports import MARCH, write_corpus

PARTS = ("situation", "causes", "forecast", "proposals")


@pytest.fixture(scope="module")
def pipeline(warehouse_target, tmp_path_factory):
    from dlxh.build import build
    from dlxh.core.db import connect
    from ingestion.framework import run_ingest
    from ingestion.sources import get_source
    from tests.conftest import truncate_all

    conn = connect(warehouse_target)
    truncate_all(conn)
    written = write_corpus(tmp_path_factory.mktemp("corpus"))
    units = run_ingest(get_source("units"), [written["registry"]], conn, progress=None)
    assert units.totals()["rows_quarantined"] == 0, units.render()
    summary = run_ingest(get_source("reports"), [written["register"], written["folder"]], conn, progress=None)
    build_summary = build(as_of=datetime(2025, 3, 31, 23, 0, tzinfo=LOCAL), full_refresh=True)
    yield conn, written, summary, build_summary
    conn.close()


def _rows(conn, sql: str, params=()) -> list[tuple]:
    with conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def test_import_summary_reconciles_and_strays_are_not_reports(pipeline):
    conn, written, summary, build_summary = pipeline
    assert build_summary.ok
    assert summary.reconciles(), summary.render()
    by_name = {Path(f.path).name: f for f in summary.files}
    assert len(written["reports"]) >= 24
    for r in written["reports"]:
        assert by_name[r.file_name].status == "loaded", (r.file_name, by_name[r.file_name].quarantined)
    for stray in written["strays"]:
        outcome = by_name[stray.name]
        assert outcome.status == "quarantined" and outcome.rows_loaded == 0
        assert [q.reason_code for q in outcome.quarantined] == ["not_a_report"], outcome.quarantined
        assert "không phải báo cáo" in outcome.quarantined[0].reason or "không được coi là báo cáo" in outcome.quarantined[0].reason
    # Nothing from a stray file reached raw.reports.
    landed = {Path(p).name for (p,) in _rows(conn, "select source_file from raw.reports")}
    assert landed == {r.file_name for r in written["reports"]}


def test_register_rows_are_all_kept_with_meaning(pipeline):
    conn, written, summary, _ = pipeline
    reg = next(f for f in summary.files if Path(f.path).name.startswith("so_cong_van_den"))
    n_reports = len(written["reports"])
    assert reg.rows_read == n_reports + 5 and reg.rows_loaded == reg.rows_read and not reg.quarantined
    assert reg.detail["rows_without_unit"] == 3  # Tỉnh ủy, Sở Nội vụ, a grassroots union (CĐCS)
    rows = _rows(
        conn,
        """select sender, unit_code, row_kind, report_type, replaces_doc_number, received_time_raw, doc_number
                          from raw.document_register""",
    )
    kinds = {s: (u, k) for s, u, k, *_ in rows}
    assert kinds["Tỉnh ủy LC"] == (None, "other") and kinds["CĐCS Cty CP Thủy điện Suối Mây"] == (None, "other")
    assert sum(1 for _, _, k, *_ in rows if k == "unit_report") == n_reports
    assert {r[4] for r in rows if r[4]} == {"21/BC-LĐLĐ"}
    assert sum(1 for r in rows if r[3] == "ad_hoc") == 2
    # Nậm Lư's Tờ trình and its paper report on another subject are kept, and are not its monthly report.
    assert {r[6]: (r[1], r[2]) for r in rows if r[6] in ("05/TTR-LĐLĐ", "06/BC-LĐLĐ")} == {
        "05/TTR-LĐLĐ": ("NAM_LU", "other"),
        "06/BC-LĐLĐ": ("NAM_LU", "other"),
    }
    assert {r[5] for r in rows} >= {"8h15", "16h48", "10 giờ 05", "08:47"}  # typed times kept as written
    # Re-ingesting the same register changes nothing.
    from ingestion.framework import run_ingest
    from ingestion.sources import get_source

    again = run_ingest(get_source("reports"), [written["register"]], conn, progress=None)
    assert again.files[0].status == "duplicate"


def test_corpus_score(pipeline):
    conn, written, _, _ = pipeline
    got = {
        Path(r[0]).name: r
        for r in _rows(
            conn,
            """select v.source_file, v.unit_code, v.period_month, v.report_type, v.doc_number, v.received_at,
                      v.received_at_source, v.has_situation, v.has_causes, v.has_forecast, v.has_proposals, v.report_key,
                      v.requested_due_at, v.replaces_doc_number, v.attribution
               from intermediate.int_report_versions v""",
        )
    }
    topics: dict[str, set[str]] = {}
    for key, code in _rows(conn, "select report_key, topic_code from raw.report_topics"):
        topics.setdefault(key, set()).add(code)
    table = [f"{'file':58} {'fmt':16} unit mon type num recv due  parts topics(+/-)"]
    score = {"unit": 0, "month": 0, "type": 0, "number": 0, "received": 0, "due": 0, "replaces": 0}
    parts_right = parts_total = tp = fp = fn = 0
    for r in written["reports"]:
        g = got[r.file_name]
        ok = {
            "unit": g[1] == r.unit,
            "month": g[2] == r.month,
            "type": g[3] == r.report_type,
            "number": g[4] == r.doc_number,
            "received": g[5] == r.received and g[6] == "register",
            "due": g[12] == r.due_at,
            "replaces": g[13] == r.replaces,
        }
        for k, v in ok.items():
            score[k] += v
        have = {p for p, h in zip(PARTS, g[7:11], strict=True) if h}
        parts_total += 4
        parts_right += sum((p in have) == (p in r.parts) for p in PARTS)
        found, expected = topics.get(g[11], set()), set(r.topics)
        tp, fp, fn = tp + len(found & expected), fp + len(found - expected), fn + len(expected - found)
        mark = lambda b: "ok " if b else "XX "  # noqa: E731
        table.append(
            f"{r.file_name[:58]:58} {r.fmt:16} "
            + "".join(mark(ok[k]) for k in ("unit", "month", "type", "number", "received", "due"))
            + f"{len(have & set(r.parts))}/{len(r.parts)}{'' if have == set(r.parts) else '!'}   "
            + f"+{sorted(found - expected)} -{sorted(expected - found)}"
        )
    n = len(written["reports"])
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    table.append(
        f"{n} reports: "
        + ", ".join(f"{k} {v}/{n}" for k, v in score.items())
        + f"; parts {parts_right}/{parts_total} ({parts_right / parts_total:.1%}); topics precision {precision:.2f} recall {recall:.2f}"
    )
    print("\n" + "\n".join(table))
    assert n >= 24
    assert score["unit"] == score["month"] == score["type"] == score["received"] == n, table
    assert score["number"] == n and score["due"] == n and score["replaces"] == n, table
    assert parts_right / parts_total >= 0.95, table
    assert precision >= 0.9 and recall >= 0.9, table


def test_march_statuses_in_the_marts(pipeline):
    conn, _, _, _ = pipeline
    rows = _rows(
        conn,
        """select unit_code, report_type, status, is_complete, received_at, due_at, version_count, current_doc_number, attribution
           from marts.fct_report_submission where period_month = %s""",
        (MARCH,),
    )
    monthly = {r[0]: r for r in rows if r[1] == "monthly"}
    adhoc = {r[0]: r for r in rows if r[1] == "ad_hoc"}
    assert len(monthly) == 10  # every district, sector and civil-servants' union owes March
    assert monthly["DONG_XUAN"][2:5] == ("on_time", True, datetime(2025, 3, 19, 23, 50, tzinfo=LOCAL))  # 23:50 on the 19th
    assert monthly["KHE_LIM"][2:5] == ("late", True, datetime(2025, 3, 20, 8, 15, tzinfo=LOCAL))  # 08:15 on the 20th
    assert monthly["PAC_RAO"][2:4] == ("on_time", False)  # no forecast part
    assert monthly["NAM_LU"][2] == "missing"  # its Tờ trình and paper report are not the monthly report
    # The correction is current; the first version counts for timeliness.
    assert monthly["TP_LAMCAO"][2] == "on_time" and monthly["TP_LAMCAO"][6:8] == (2, "21a/BC-LĐLĐ")
    assert monthly["TP_LAMCAO"][4] == datetime(2025, 3, 11, 16, 20, tzinfo=LOCAL)
    others = {u for u, r in monthly.items() if r[2] == "on_time" and r[3]} - {"DONG_XUAN", "TP_LAMCAO"}
    assert others == {"THAN_SON", "TAN_SON", "CDN_GD", "CDN_YT", "CDVC_LC"}
    # Ad-hoc reports: their own rows with their own deadlines, never the monthly report.
    assert set(adhoc) == {"THAN_SON", "CDN_YT"}
    assert adhoc["THAN_SON"][2] == "on_time" and adhoc["THAN_SON"][5] == datetime(2025, 3, 28, tzinfo=LOCAL)
    assert adhoc["CDN_YT"][2] == "late" and adhoc["CDN_YT"][5] == datetime(2025, 3, 25, tzinfo=LOCAL)
    assert monthly["THAN_SON"][7] == "17/BC-LĐLĐ" and monthly["CDN_YT"][7] == "07/BC-CĐN"
    assert {r[8] for r in rows if r[8]} == {"header"}
    hot = _rows(conn, "select unit_code, topic_code, rules from marts.mart_hot_spots where period_month = %s", (MARCH,))
    assert ("THAN_SON", "T11", ["unit_flagged"]) in hot  # the work stoppage the ad-hoc report is about


def test_march_gx_results_name_the_units(pipeline):
    from expectations.runner import validate_month

    conn, _, _, _ = pipeline
    result = validate_month(MARCH)
    assert not result.success
    rows = _rows(
        conn, "select suite, expectation, success, offending_keys from quality.validation_results where run_id = %s", (result.run_id,)
    )
    by_suite: dict[str, set[str]] = {}
    for suite, _, _, keys in rows:
        by_suite.setdefault(suite, set()).update(keys)
    assert by_suite["dlxh_timeliness"] == {"KHE_LIM", "CDN_YT"}  # late monthly report, late ad-hoc report
    failed = {(s, e): keys for s, e, ok, keys in rows if not ok}
    assert failed[("dlxh_completeness", "every_unit_reported")] == ["NAM_LU"]
    # The four-part rule is for monthly reports: PAC_RAO's has no forecast. THAN_SON's ad-hoc report has no forecast
    # either, but an ad-hoc report needs only the situation and the proposals.
    assert set(failed[("dlxh_completeness", "received_report_has_four_parts")]) == {"PAC_RAO"}


def test_february_is_clean(pipeline):
    conn, _, _, _ = pipeline
    rows = _rows(
        conn, "select unit_code, status, is_complete from marts.fct_report_submission where period_month = %s", (date(2025, 2, 1),)
    )
    assert len(rows) == 10 and all(s == "on_time" and c for _, s, c in rows), rows
