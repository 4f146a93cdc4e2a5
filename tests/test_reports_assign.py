"""A person settles what the machine cannot: quarantined -> `dlxh reports assign` -> re-ingest -> build.

Two files of the Lâm Cao corpus's units: one whose header is unreadable (OCR garbage, no register
row, a file name naming nobody) is quarantined; one that loads under the wrong unit (the office
forwarded another unit's report on its own letterhead) is corrected. Both go through the CLI and
end in marts.fct_report_submission with attribution 'manual'.
"""

from __future__ import annotations

import getpass
from datetime import date, datetime

import pytest

from dlxh.core.parsing import LOCAL
from tests.corpus_reports import CorpusReport, write_ocr_txt, write_registry
from tests.fixtures_reports import set_mtime

FEB = date(2025, 2, 1)


def _unreadable(path):
    spec = CorpusReport(
        "x.txt", "ocr_txt", "NAM_LU", FEB, "04/BC-LĐLĐ", date(2025, 2, 14), datetime(2025, 2, 15, 9, 0, tzinfo=LOCAL), ("T10",)
    )
    write_ocr_txt(spec, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    # The scan's top was torn: the issuer lines are unreadable marks.
    lines[0] = "~~ .,:; ~~   CONG HOA XA HOI CHU NGHIA VIET NAM"
    lines[1] = "'' ¦¦ ..   Doc lap - Tu do - Hanh phuc"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def setup(warehouse_target, tmp_path_factory):
    from dlxh.core.db import connect
    from ingestion.framework import run_ingest
    from ingestion.sources import get_source
    from tests.conftest import truncate_all

    conn = connect(warehouse_target)
    truncate_all(conn)
    root = tmp_path_factory.mktemp("assign")
    run_ingest(get_source("units"), [write_registry(root / "units.csv")], conn, progress=None)
    unreadable = _unreadable(root / "scan_0231.txt")
    forwarded = root / "BC T2-2025 chuyen tiep.txt"
    spec = CorpusReport(
        "f.txt", "ocr_txt", "KHE_LIM", FEB, "05/BC-LĐLĐ", date(2025, 2, 13), datetime(2025, 2, 14, 10, 0, tzinfo=LOCAL), ("T11",)
    )
    write_ocr_txt(spec, forwarded)
    # No register row: the inbox time (the file's modification time as it arrived) is the received time.
    set_mtime(unreadable, datetime(2025, 2, 15, 9, 0, tzinfo=LOCAL))
    set_mtime(forwarded, datetime(2025, 2, 21, 8, 0, tzinfo=LOCAL))
    first = run_ingest(get_source("reports"), [unreadable, forwarded], conn, progress=None)
    yield conn, root, unreadable, forwarded, first
    conn.close()


def test_round_trip_through_the_marts(setup, capsys):
    from dlxh.build import build
    from dlxh.cli import main
    from ingestion.framework import run_ingest
    from ingestion.sources import get_source

    conn, root, unreadable, forwarded, first = setup
    by = {f.path: f for f in first.files}
    q = by[str(unreadable)].quarantined
    assert by[str(unreadable)].status == "quarantined" and [x.reason_code for x in q] == ["unknown_unit"]
    # The reason says which witness failed (no issuer line read), and does not send the user to the registry.
    assert "không tìm thấy dòng cơ quan ban hành" in q[0].reason and "Danh mục đơn vị không cần sửa" in q[0].reason
    assert by[str(forwarded)].status == "loaded"

    assert main(["reports", "pending"]) == 0
    listing = capsys.readouterr().out
    assert str(unreadable) in listing and "unknown_unit" in listing and "(không đọc được)" in listing

    assert (
        main(["reports", "assign", str(unreadable), "--unit", "NAM_LU", "--month", "2025-02", "--why", "Văn thư xác nhận qua điện thoại"])
        == 0
    )
    assert (
        main(["reports", "assign", str(forwarded), "--unit", "pac_rao", "--month", "2025-02", "--why", "Báo cáo của Pác Rào gửi nhờ"]) == 0
    )
    out = capsys.readouterr().out
    assert "Đã ghi quyết định" in out and "NAM_LU" in out and "PAC_RAO" in out
    with conn, conn.cursor() as cur:
        cur.execute("select unit_code, assigned_by, why from ops.report_assignments order by assignment_id")
        assert cur.fetchall() == [
            ("NAM_LU", getpass.getuser(), "Văn thư xác nhận qua điện thoại"),
            ("PAC_RAO", getpass.getuser(), "Báo cáo của Pác Rào gửi nhờ"),
        ]
    assert main(["reports", "assign", str(forwarded), "--unit", "NO_SUCH", "--month", "2025-02"]) == 2

    again = run_ingest(get_source("reports"), [unreadable, forwarded], conn, progress=None)
    assert [f.status for f in again.files] == ["loaded", "loaded"]  # the loaded file is read again, not a duplicate
    assert again.reconciles()
    with conn, conn.cursor() as cur:
        cur.execute("select unit_code, extraction ->> 'attribution' from raw.reports order by unit_code")
        assert cur.fetchall() == [("NAM_LU", "manual"), ("PAC_RAO", "manual")]  # KHE_LIM's wrong version is gone
        cur.execute("select count(*) from ops.quarantine where source = 'reports' and resolved_at is null")
        assert cur.fetchone()[0] == 0
    # Once more: nothing changes, nothing is duplicated.
    third = run_ingest(get_source("reports"), [unreadable, forwarded], conn, progress=None)
    assert [f.status for f in third.files] == ["duplicate", "duplicate"]

    assert build(as_of=datetime(2025, 3, 31, 12, 0, tzinfo=LOCAL), full_refresh=True).ok
    with conn, conn.cursor() as cur:
        cur.execute(
            """select unit_code, status, received_at_source, attribution from marts.fct_report_submission
               where period_month = %s and report_type = 'monthly' and unit_code in ('NAM_LU', 'PAC_RAO', 'KHE_LIM') order by 1""",
            (FEB,),
        )
        rows = cur.fetchall()
    # KHE_LIM never sent February (the machine's wrong attribution is gone); NAM_LU's arrived on the 15th, PAC_RAO's on the 21st.
    assert rows == [("KHE_LIM", "missing", None, None), ("NAM_LU", "on_time", "inbox", "manual"), ("PAC_RAO", "late", "inbox", "manual")]
    assert main(["reports", "pending"]) == 0
    assert "Không có báo cáo nào chờ người xử lý." in capsys.readouterr().out
