"""End to end on a real PostgreSQL: a folder of mixed-format reports from several units and months,
a register, bad files, a corrected version, re-ingesting, and the import summary."""

from __future__ import annotations

import shutil
from datetime import date, datetime

from dlxh.core.parsing import LOCAL
from ingestion.framework import run_ingest
from ingestion.reports.source import ReportsSource
from ingestion.units.source import UnitsSource
from tests import fixtures_reports as fx


def build_inbox(root):
    inbox = root / "inbox"
    fx.write_docx(fx.ReportSpec(), inbox / "2025-03" / "BC_TamDuong_T3.docx")
    fx.write_pdf_text(
        fx.ReportSpec(issuer="LĐLĐ HUYỆN PHONG THỔ", place="Phong Thổ", doc_number="8/BC-LĐLĐ", title_period="tháng 03/2025"),
        inbox / "2025-03" / "phongtho.pdf",
    )
    fx.write_image(
        fx.ReportSpec(
            issuer="CÔNG ĐOÀN VIÊN CHỨC TỈNH", place="Lai Châu", doc_number="3/BC-CĐVC", issued=(15, 2, 2025), title_period="T2/2025"
        ),
        inbox / "2025-02" / "cdvc_anh_chup.jpg",
    )
    fx.write_text(
        fx.ReportSpec(issuer="LĐLĐ HUYỆN THAN UYÊN", place="Than Uyên", doc_number="11/BC-LĐLĐ"),
        inbox / "2025-03" / "thanuyen.txt",
        "cp1258",
    )
    fx.write_text(
        fx.ReportSpec(issuer="LĐLĐ HUYỆN TÂN UYÊN", place="Tân Uyên", doc_number="9/BC-LĐLĐ", title_period="tháng 2 năm 2025"),
        inbox / "2025-02" / "tanuyen_ocr.txt",
        damage=True,
    )
    fx.write_form_csv(
        inbox / "2025-03" / "gd_form.csv",
        fx.form_rows("CDN-GD", "Công đoàn ngành Giáo dục tỉnh Lai Châu", "2025-03", "2025-03-12 09:30", "5/BC-CĐN"),
        header=fx.FORM_HEADER_ASCII,
    )
    fx.write_form_xlsx(
        inbox / "2025-02" / "gd_form.xlsx",
        fx.form_rows("CDN-GD", "Công đoàn ngành Giáo dục tỉnh Lai Châu", "tháng 2 năm 2025", "2025-02-21 08:00"),
    )
    fx.write_form_json(inbox / "2025-02" / "td_online.json", fx.form_rows("LDLD-TD", "", "02/2025", "2025-02-10 10:00", "4/BC-LĐLĐ"))
    # bad inputs: each quarantined with a reason, the batch goes on
    (inbox / "bad").mkdir()
    (inbox / "bad" / "matkhau.docx").write_bytes(fx.encrypted_office_bytes())
    (inbox / "bad" / "rong.pdf").write_bytes(b"")
    (inbox / "bad" / "hong.xlsx").write_bytes(b"PK\x03\x04" + b"not really a workbook" * 20)
    fx.write_docx(fx.ReportSpec(issuer="LĐLĐ HUYỆN ĐIỆN BIÊN ĐÔNG", place="Điện Biên Đông"), inbox / "bad" / "donvi_la.docx")
    fx.write_docx(fx.ReportSpec(title_period="năm 2025"), inbox / "bad" / "khong_thang.docx")
    register = fx.write_csv(
        root / "register" / "so_cong_van_den.csv",
        fx.REGISTER_HEADER,
        [
            ["17/03/2025 15:20", "LĐLĐ huyện Tam Đường", "Số: 15/BC-LĐLĐ", "BC_TamDuong_T3.docx"],
            ["2025-03-21 08:05", "LDLD huyen Phong Tho", "8 / BC-LDLD", ""],
        ],
    )
    return inbox, register


def ingest(conn, *paths):
    return run_ingest(ReportsSource(), list(paths), conn, progress=None)


def test_mixed_folder_register_bad_files_and_reingest(warehouse, tmp_path):
    registry = fx.write_registry(tmp_path / "units.csv")
    assert run_ingest(UnitsSource(), [registry], warehouse, progress=None).totals()["rows_loaded"] == len(fx.REGISTRY)
    inbox, register = build_inbox(tmp_path)

    # The register may arrive before the reports: it is landed on its own and joined in dbt.
    reg_summary = ingest(warehouse, register)
    assert reg_summary.totals()["rows_loaded"] == 2

    summary = ingest(warehouse, inbox)
    t = summary.totals()
    assert summary.reconciles()
    assert t["files_read"] == 13
    assert t["files_quarantined"] == 5
    with warehouse.cursor() as cur:
        cur.execute("select unit_code, period_month, report_type, source_format, doc_number from raw.reports order by 1, 2")
        got = cur.fetchall()
    assert got == [
        ("CDN-GD", date(2025, 2, 1), "monthly", "xlsx_form", "20/BC-LĐLĐ"),
        ("CDN-GD", date(2025, 3, 1), "monthly", "csv_form", "5/BC-CĐN"),
        ("CDVC", date(2025, 2, 1), "monthly", "image_ocr", "3/BC-CĐVC"),
        ("LDLD-PT", date(2025, 3, 1), "monthly", "pdf_text", "8/BC-LĐLĐ"),
        ("LDLD-TD", date(2025, 2, 1), "monthly", "json_form", "4/BC-LĐLĐ"),
        ("LDLD-TD", date(2025, 3, 1), "monthly", "docx", "15/BC-LĐLĐ"),
        ("LDLD-TNU", date(2025, 2, 1), "monthly", "text", "9/BC-LĐLĐ"),
        ("LDLD-TU", date(2025, 3, 1), "monthly", "text", "11/BC-LĐLĐ"),
    ]
    # rows = opinion items of the forms (2 per form) + one per document
    assert t["rows_loaded"] == 5 + 3 * 2 and t["rows_quarantined"] == 5
    assert sum(f.detail.get("reports", 0) for f in summary.files) == 8

    with warehouse.cursor() as cur:
        # parts and topics of a document report
        cur.execute("""select situation is not null, causes is not null, forecast is not null, proposals is not null,
                              place_date_line, issued_on from raw.reports where unit_code = 'LDLD-TD' and source_format = 'docx'""")
        assert cur.fetchone() == (True, True, True, True, "Tam Đường, ngày 18 tháng 3 năm 2025", date(2025, 3, 18))
        cur.execute("""select t.topic_code, t.is_hot_spot from raw.report_topics t join raw.reports r using (report_key)
                       where r.unit_code = 'LDLD-TNU' order by 1""")
        assert cur.fetchall() == [("T07", False), ("T11", True)]
        # received-time candidates: the form's own field, and the register rows keyed the same way as the reports
        cur.execute("select form_received_at from raw.reports where unit_code = 'CDN-GD' and period_month = '2025-03-01'")
        assert cur.fetchone()[0] == datetime(2025, 3, 12, 9, 30, tzinfo=LOCAL)
        cur.execute("""select r.unit_code, g.received_at from raw.reports r join raw.document_register g
                         on g.attachment_name = regexp_replace(r.source_file, '^.*/', '')
                         or (g.unit_code = r.unit_code and g.doc_number = r.doc_number) order by 1""")
        assert cur.fetchall() == [
            ("LDLD-PT", datetime(2025, 3, 21, 8, 5, tzinfo=LOCAL)),
            ("LDLD-TD", datetime(2025, 3, 17, 15, 20, tzinfo=LOCAL)),
        ]
        cur.execute("select reason_code, reason from ops.quarantine where resolved_at is null order by file_path")
        reasons = dict(cur.fetchall())
    assert set(reasons) == {"password_protected", "empty_file", "corrupt_xlsx", "unknown_unit", "missing_month"}
    assert "mật khẩu" in reasons["password_protected"] and "tháng báo cáo" in reasons["missing_month"]
    rendered = summary.render()
    assert "cách ly: 5" in rendered and "matkhau.docx" in rendered and "ĐIỆN BIÊN ĐÔNG" in rendered

    # Ingesting the same folder again changes nothing; a renamed copy is recognised by content.
    shutil.copy(inbox / "2025-03" / "phongtho.pdf", inbox / "2025-03" / "phongtho (1).pdf")
    again = ingest(warehouse, inbox)
    assert again.reconciles()
    assert again.totals()["rows_loaded"] == 0 and again.totals()["files_duplicate"] == 9
    with warehouse.cursor() as cur:
        cur.execute("select count(*) from raw.reports")
        assert cur.fetchone()[0] == 8
        cur.execute("select count(*) from ops.quarantine")
        assert cur.fetchone()[0] == 5


def test_corrected_version_is_a_new_row_and_counts_as_update(warehouse, tmp_path):
    run_ingest(UnitsSource(), [fx.write_registry(tmp_path / "units.csv")], warehouse, progress=None)
    first = fx.write_docx(fx.ReportSpec(), tmp_path / "v1" / "bc.docx")
    assert ingest(warehouse, first).totals()["rows_loaded"] == 1
    fixed = fx.ReportSpec(forecast=["Dự báo đã sửa: tình hình ổn định."])
    second = ingest(warehouse, fx.write_docx(fixed, tmp_path / "v2" / "bc_sua.docx"))
    assert second.totals()["rows_updated"] == 1 and second.reconciles()
    with warehouse.cursor() as cur:
        cur.execute("select count(distinct report_key), count(*) from raw.reports where unit_code = 'LDLD-TD'")
        assert cur.fetchone() == (2, 2)


def test_marts_show_statuses_and_completeness_of_ingested_reports(warehouse, tmp_path):
    """After `dlxh build`, fct_report_submission reflects the fixtures: register > form > inbox, on time/late/missing."""
    from dlxh.build import build

    run_ingest(UnitsSource(), [fx.write_registry(tmp_path / "units.csv")], warehouse, progress=None)
    inbox, register = build_inbox(tmp_path)
    ingest(warehouse, inbox)
    ingest(warehouse, register)  # the register arriving after the reports changes their received time
    result = build(as_of=date(2025, 3, 31))
    assert result.ok, result.render()
    with warehouse.cursor() as cur:
        cur.execute(
            """select unit_code, period_month, status, received_at_source, is_complete from marts.fct_report_submission
               where report_type = 'monthly' and period_month in ('2025-02-01', '2025-03-01') order by 1, 2"""
        )
        got = {(r[0], r[1]): r[2:] for r in cur.fetchall()}
    assert got[("LDLD-TD", date(2025, 3, 1))] == ("on_time", "register", True)  # register 17/03 15:20
    assert got[("LDLD-PT", date(2025, 3, 1))] == ("late", "register", True)  # register 21/03, matched by unit + number
    assert got[("CDN-GD", date(2025, 2, 1))][:2] == ("late", "form")  # form says 21/02 08:00
    assert got[("CDN-GD", date(2025, 3, 1))][:2] == ("on_time", "form")
    assert got[("LDLD-TNU", date(2025, 3, 1))][:2] == ("missing", None)
