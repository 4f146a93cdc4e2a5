"""Ad-hoc reports and the requests of adhoc_requests.csv (docs/report-form.md §2):

* a report is the answer to a request only when it names the request (its code in the document);
  an unrequested ad-hoc report in a month that has a request stays its own obligation;
* two unrequested ad-hoc reports of one unit in one month are two obligations, and both are
  current in fct_opinion_signal;
* an ad-hoc report needs the situation and the proposals (no causes/forecast) to be complete.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from dlxh.core.parsing import LOCAL
from tests import fixtures_reports as fx

MARCH = date(2025, 3, 1)


@pytest.fixture(scope="module")
def built(module_warehouse, tmp_path_factory):
    from dlxh.build import build
    from ingestion.framework import run_ingest
    from ingestion.sources import get_source

    root = tmp_path_factory.mktemp("adhoc")
    config = root / "config"
    config.mkdir()
    (config / "adhoc_requests.csv").write_text(
        "request_code,title_vi,period_month,due_at,owed_by_unit_types\n"
        "DX-2025-03,Dư luận về sắp xếp tổ chức bộ máy,2025-03,2025-03-25 17:00,district\n",
        encoding="utf-8",
    )
    mp = pytest.MonkeyPatch()
    mp.setenv("DLXH_CONFIG_DIR", str(config))
    conn = module_warehouse
    run_ingest(get_source("units"), [fx.write_registry(root / "units.csv")], conn, progress=None)
    # Two unrequested ad-hoc reports on a form, each with its own deadline (one a day from the request's),
    # with situation and proposals only.
    row = ["LDLD-TD", "Liên đoàn Lao động huyện Tam Đường", "2025-03", "Đột xuất"]
    form = fx.write_form_csv(
        root / "dot_xuat_TD.csv",
        [
            row
            + [
                "2025-03-26 17:00",
                "21/BC-LĐLĐ",
                "2025-03-26 09:00",
                "T11",
                "Công nhân Công ty may Tam Đường ngừng việc tập thể.",
                "Tiêu cực",
                "Có",
                "",
                "",
                "Đề nghị LĐLĐ tỉnh chỉ đạo đối thoại.",
            ],
            row
            + [
                "2025-03-30 17:00",
                "22/BC-LĐLĐ",
                "2025-03-29 10:00",
                "T06",
                "Mưa đá làm hư hỏng nhà của đoàn viên.",
                "Tiêu cực",
                "Không",
                "",
                "",
                "Đề nghị hỗ trợ đoàn viên bị thiệt hại.",
            ],
        ],
    )
    # A document that names the request: the request's answer.
    spec = fx.ReportSpec(
        ad_hoc=True,
        doc_number="23/BC-LĐLĐ",
        issued=(24, 3, 2025),
        deadline_line="Thực hiện yêu cầu DX-2025-03 của Ban Thường vụ LĐLĐ tỉnh.",
    )
    doc = fx.set_mtime(fx.write_docx(spec, root / "bao_cao_dot_xuat_DX.docx"), datetime(2025, 3, 24, 15, 0, tzinfo=LOCAL))
    summary = run_ingest(get_source("reports"), [form, doc], conn, progress=None)
    assert summary.reconciles() and summary.totals()["rows_quarantined"] == 0, summary.render()
    assert build(as_of=datetime(2025, 3, 31, 23, 0, tzinfo=LOCAL), full_refresh=True).ok
    yield conn
    mp.undo()


def _rows(conn, sql, params=()):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def test_only_a_named_request_matches_and_unrequested_reports_are_their_own(built):
    rows = _rows(
        built,
        """select request_code, request_code is null, due_at, status, current_doc_number, is_complete,
                                  has_causes, has_forecast
                           from marts.fct_report_submission
                           where unit_code = 'LDLD-TD' and period_month = %s and report_type = 'ad_hoc'
                           order by due_at, request_code""",
        (MARCH,),
    )
    assert rows == [
        ("DX-2025-03", False, datetime(2025, 3, 25, 17, 0, tzinfo=LOCAL), "on_time", "23/BC-LĐLĐ", True, True, True),
        (None, True, datetime(2025, 3, 26, 17, 0, tzinfo=LOCAL), "on_time", "21/BC-LĐLĐ", True, False, False),
        (None, True, datetime(2025, 3, 30, 17, 0, tzinfo=LOCAL), "on_time", "22/BC-LĐLĐ", True, False, False),
    ]
    # Each version is the first and current of its own obligation.
    versions = _rows(
        built,
        """select doc_number, request_code, version_no, version_count from intermediate.int_report_versions
                               where unit_code = 'LDLD-TD' and report_type = 'ad_hoc' order by doc_number""",
    )
    assert versions == [("21/BC-LĐLĐ", None, 1, 1), ("22/BC-LĐLĐ", None, 1, 1), ("23/BC-LĐLĐ", "DX-2025-03", 1, 1)]


def test_two_unrequested_reports_of_a_month_both_count_as_current(built):
    topics = _rows(
        built,
        """select topic_code, count(distinct signal_group_key) from marts.fct_opinion_signal
                             where source = 'report' and unit_code = 'LDLD-TD' and period_month = %s and topic_code in ('T06', 'T11')
                               and signal_group_key like '%%|ad_hoc|due:%%'
                             group by 1 order by 1""",
        (MARCH,),
    )
    assert topics == [("T06", 1), ("T11", 1)]


def test_gx_completeness_does_not_flag_an_ad_hoc_report_without_forecast(built):
    from expectations.runner import validate_month

    result = validate_month(MARCH)
    rows = _rows(
        built,
        """select success, offending_keys from quality.validation_results
                           where run_id = %s and expectation = 'received_report_has_four_parts'""",
        (result.run_id,),
    )
    assert rows and "LDLD-TD" not in (rows[0][1] or []), rows
