"""The unit registry source: snapshots, effective dates, quarantine, exactly once."""

from __future__ import annotations

from pathlib import Path

from ingestion.framework import run_ingest
from ingestion.units.source import UnitsSource

HEADER = "Mã đơn vị,Tên đơn vị,Loại đơn vị,Đơn vị cấp trên,Hiệu lực từ,Hiệu lực đến\n"


def write(path: Path, body: str, encoding: str = "utf-8") -> Path:
    if encoding == "cp1258":
        from tests.fixtures_reports import to_cp1258

        path.write_bytes(to_cp1258(HEADER + body))
    else:
        path.write_text(HEADER + body, encoding=encoding)
    return path


def test_registry_loads_and_bad_rows_are_quarantined(warehouse, tmp_path):
    f = write(
        tmp_path / "dm.csv",
        "LDLD-TD,Liên đoàn Lao động huyện Tam Đường,huyện,LDLD-TINH,2025-01-01,\n"
        "LDLD-NN,Liên đoàn Lao động huyện Nậm Nhùn,huyện,LDLD-TINH,01/01/2025,30/06/2025\n"
        ",Thiếu mã,huyện,,2025-01-01,\n"
        "LDLD-X,Ngày sai,huyện,,2025-13-45,\n"
        "LDLD-Y,Loại sai,phường,,2025-01-01,\n"
        "LDLD-TD,Trùng thời gian,huyện,,2025-06-01,\n",
    )
    summary = run_ingest(UnitsSource(), [f], warehouse, progress=None)
    t = summary.totals()
    assert (t["rows_read"], t["rows_loaded"], t["rows_quarantined"]) == (6, 2, 4)
    assert summary.reconciles()
    with warehouse.cursor() as cur:
        cur.execute("select unit_code, unit_type, valid_to from raw.units order by 1")
        rows = cur.fetchall()
        cur.execute("select reason_code, row_number from ops.quarantine order by row_number")
        reasons = cur.fetchall()
    assert [r[0] for r in rows] == ["LDLD-NN", "LDLD-TD"]
    assert rows[0][2].isoformat() == "2025-06-30"
    # Row numbers are the lines a person sees in the file (the header is line 1).
    assert reasons == [("missing_value", 4), ("bad_date", 5), ("unknown_unit_type", 6), ("overlapping_versions", 7)]
    rendered = summary.render()
    assert "Thiếu giá trị «Mã đơn vị»" in rendered and "chồng thời gian" in rendered


def test_same_file_renamed_loads_once(warehouse, tmp_path):
    body = "LDLD-TD,Liên đoàn Lao động huyện Tam Đường,district,,2025-01-01,\n"
    a = write(tmp_path / "a.csv", body)
    b = write(tmp_path / "b-renamed.csv", body)
    first = run_ingest(UnitsSource(), [a], warehouse, progress=None)
    second = run_ingest(UnitsSource(), [a, b], warehouse, progress=None)
    assert first.totals()["rows_loaded"] == 1
    assert second.totals()["files_duplicate"] == 2 and second.totals()["rows_loaded"] == 0
    with warehouse.cursor() as cur:
        cur.execute("select count(*) from raw.units")
        assert cur.fetchone()[0] == 1
        cur.execute("select last_path from ops.files")
        assert cur.fetchone()[0].endswith("b-renamed.csv")


def test_windows_1258_registry(warehouse, tmp_path):
    f = write(tmp_path / "cp1258.csv", "LDLD-SH,Liên đoàn Lao động huyện Sìn Hồ,district,,2025-01-01,\n", encoding="cp1258")
    run_ingest(UnitsSource(), [f], warehouse, progress=None)
    with warehouse.cursor() as cur:
        cur.execute("select unit_name from raw.units")
        assert cur.fetchone()[0] == "Liên đoàn Lao động huyện Sìn Hồ"


def test_corrupt_xlsx_is_quarantined_not_a_crash(warehouse, tmp_path):
    bad = tmp_path / "hong.xlsx"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    good = write(tmp_path / "ok.csv", "LDLD-TD,Liên đoàn Lao động huyện Tam Đường,district,,2025-01-01,\n")
    summary = run_ingest(UnitsSource(), [bad, good], warehouse, progress=None)
    statuses = {Path(f.path).name: f.status for f in summary.files}
    assert statuses == {"hong.xlsx": "quarantined", "ok.csv": "loaded"}
    with warehouse.cursor() as cur:
        cur.execute("select reason_code from ops.quarantine")
        assert cur.fetchone()[0] == "corrupt_xlsx"
