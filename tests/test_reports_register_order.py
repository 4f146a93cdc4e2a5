"""The register's sender is a unit witness whatever the order: register before the documents, after
them in the same batch, or in a later run give the same attribution (docs/report-form.md §2).

Two documents of the Lâm Cao corpus: a scan whose header is unreadable (no issuer line; only the
register names its sender) and a report whose header names its unit (the register agrees).
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from dlxh.core.parsing import LOCAL
from tests.corpus_reports import CorpusReport, write_ocr_txt, write_register, write_registry
from tests.fixtures_reports import set_mtime

FEB = date(2025, 2, 1)


def _write(root):
    torn = CorpusReport(
        "scan_0231.txt", "ocr_txt", "NAM_LU", FEB, "04/BC-LĐLĐ", date(2025, 2, 14), datetime(2025, 2, 15, 9, 0, tzinfo=LOCAL), ("T10",)
    )
    whole = CorpusReport(
        "BC thang 2.txt", "ocr_txt", "KHE_LIM", FEB, "05/BC-LĐLĐ", date(2025, 2, 13), datetime(2025, 2, 14, 10, 0, tzinfo=LOCAL), ("T11",)
    )
    paths = {}
    for spec in (torn, whole):
        path = root / spec.file_name
        write_ocr_txt(spec, path)
        set_mtime(path, datetime(2025, 2, 25, 8, 0, tzinfo=LOCAL))
        paths[spec.unit] = path
    lines = paths["NAM_LU"].read_text(encoding="utf-8").splitlines()
    lines[0] = "~~ .,:; ~~   CONG HOA XA HOI CHU NGHIA VIET NAM"  # the scan's top was torn: issuer lines unreadable
    lines[1] = "'' ¦¦ ..   Doc lap - Tu do - Hanh phuc"
    paths["NAM_LU"].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths["NAM_LU"], paths["KHE_LIM"], write_register(root / "so_cong_van_den.xlsx", [torn, whole])


def _attribution(conn):
    with conn, conn.cursor() as cur:
        cur.execute(
            """select unit_code, extraction ->> 'attribution', extraction ->> 'confidence',
                      extraction -> 'witnesses' -> 'register' ->> 'unit_code'
               from raw.reports order by unit_code"""
        )
        rows = cur.fetchall()
        cur.execute("select count(*) from ops.quarantine where source = 'reports' and resolved_at is null")
        return rows, cur.fetchone()[0]


EXPECTED = ([("KHE_LIM", "header", "high", "KHE_LIM"), ("NAM_LU", "register", "medium", "NAM_LU")], 0)


@pytest.mark.parametrize("order", ["register_first", "register_last", "register_next_run"])
def test_register_witness_does_not_depend_on_order(warehouse, tmp_path, order):
    from ingestion.framework import run_ingest
    from ingestion.sources import get_source

    run_ingest(get_source("units"), [write_registry(tmp_path / "units.csv")], warehouse, progress=None)
    torn, whole, reg = _write(tmp_path)
    if order == "register_first":
        batches = [[reg, torn, whole]]
    elif order == "register_last":
        batches = [[torn, whole, reg]]
    else:
        batches = [[torn, whole], [reg]]
    summaries = [run_ingest(get_source("reports"), batch, warehouse, progress=None) for batch in batches]
    assert all(s.reconciles() for s in summaries)
    assert _attribution(warehouse) == EXPECTED
    if order != "register_first":
        # The documents read before the register were read again with its witness; the register's summary says so.
        reg_outcome = next(f for f in summaries[-1].files if f.path == str(reg))
        assert sorted(d["file"] for d in reg_outcome.detail["documents_rewitnessed"]) == sorted([str(torn), str(whole)])
        with warehouse, warehouse.cursor() as cur:
            cur.execute("select status from ops.files where source = 'reports'")
            assert [r[0] for r in cur.fetchall()] == ["loaded"] * 3
    # Ingesting everything again changes nothing.
    again = run_ingest(get_source("reports"), [torn, whole, reg], warehouse, progress=None)
    assert [f.status for f in again.files] == ["duplicate"] * 3
    assert _attribution(warehouse) == EXPECTED


def test_pending_lists_files_that_are_not_reports_in_their_own_section(warehouse, tmp_path, capsys):
    from dlxh.cli import main
    from ingestion.framework import run_ingest
    from ingestion.sources import get_source

    run_ingest(get_source("units"), [write_registry(tmp_path / "units.csv")], warehouse, progress=None)
    torn, _whole, _reg = _write(tmp_path)
    note = tmp_path / "ghi chu van thu.txt"
    note.write_text("Nhắc chị Hoa gọi lại cho văn phòng chiều thứ Sáu về lịch họp.\n", encoding="utf-8")
    summary = run_ingest(get_source("reports"), [torn, note], warehouse, progress=None)
    assert [q.reason_code for f in summary.files for q in f.quarantined] == ["unknown_unit", "not_a_report"]

    assert main(["reports", "pending"]) == 0
    out = capsys.readouterr().out
    reports_part, strays_part = out.split("Tệp không phải báo cáo: 1")
    assert "Báo cáo chờ người xử lý: 1" in reports_part and str(torn) in reports_part and str(note) not in reports_part
    assert str(note) in strays_part and str(torn) not in strays_part and "not_a_report" not in out
    assert "dlxh reports assign" in strays_part  # a stray that really is a report can still be assigned
