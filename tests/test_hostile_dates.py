"""Absurd dates: refused at ingest with a Vietnamese reason, and harmless when already stored.

Ingest side: a received time of 0001-01-01 in a structured form or in one register row, a
registry date of 0001-01-01, a report month of 1899 are row quarantines naming the field and
value; the file's other rows load. Storage side: the same values written straight into the raw
tables (as an old version or a manual fix could) must not crash `dlxh build`, `dlxh alerts`
(dry run or not) or `dlxh validate`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

AS_OF = date(2026, 11, 26)


def _ingest(conn, source: str, path: Path):
    from ingestion.framework import run_ingest
    from ingestion.sources import get_source

    return run_ingest(get_source(source), [path], conn, progress=None)


def _quarantine(conn, file_hash: str) -> list[tuple]:
    with conn, conn.cursor() as cur:
        cur.execute(
            "select row_number, field, reason_code, reason from ops.quarantine where file_hash = %s and resolved_at is null order by 1",
            (file_hash,),
        )
        return cur.fetchall()


UNITS_CSV = """Mã đơn vị,Tên đơn vị,Loại đơn vị,Hiệu lực từ,Hiệu lực đến
LDLD-TD,Liên đoàn Lao động huyện Tam Đường,huyện,2024-01-01,
LDLD-PT,Liên đoàn Lao động huyện Phong Thổ,huyện,0001-01-01,
LDLD-SH,Liên đoàn Lao động huyện Sìn Hồ,huyện,2024-01-01,9999-12-31
LDLD-MT,Liên đoàn Lao động huyện Mường Tè,huyện,2024-01-01,0001-01-01
"""


def test_absurd_dates_are_row_quarantines(warehouse, tmp_path: Path):
    units = tmp_path / "units.csv"
    units.write_text(UNITS_CSV, encoding="utf-8")
    s = _ingest(warehouse, "units", units)
    f = s.files[0]
    # 31/12/9999 is the registry's "still exists" (open-ended); year 1 is no date at all.
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined, f.status) == (4, 2, 2, "partial")
    rows = _quarantine(warehouse, f.file_hash)
    assert [(r[0], r[1], r[2]) for r in rows] == [(3, "valid_from", "bad_date"), (5, "valid_to", "bad_date")]
    assert "«0001-01-01»" in rows[0][3] and "Hiệu lực từ" in rows[0][3]
    assert "«0001-01-01»" in rows[1][3] and "Hiệu lực đến" in rows[1][3]
    with warehouse.cursor() as cur:
        cur.execute("select valid_to from raw.units where unit_code = 'LDLD-SH'")
        assert cur.fetchone() == (None,)

    form = tmp_path / "bieu_mau.csv"
    form.write_text(
        "Mã đơn vị,Kỳ báo cáo,Thời gian nhận,Chủ đề,Tình hình\n"
        "LDLD-TD,2026-10,0001-01-01 00:00,T11,Công nhân lo lắng về tiền lương\n"
        "LDLD-TD,1899-10,2026-10-15 08:00,T11,Công nhân lo lắng về tiền lương\n"
        "LDLD-TD,2026-09,2026-09-15 08:00,T11,Công nhân lo lắng về việc làm\n",
        encoding="utf-8",
    )
    s = _ingest(warehouse, "reports", form)
    f = s.files[0]
    assert (f.rows_read, f.rows_loaded + f.rows_updated, f.rows_quarantined) == (3, 1, 2)
    rows = _quarantine(warehouse, f.file_hash)
    assert [(r[0], r[1]) for r in rows] == [(2, "received_at"), (3, "period")]
    assert "Thời gian nhận «0001-01-01 00:00»" in rows[0][3]
    assert "1899-10" in rows[1][3]

    register = tmp_path / "so_cong_van_den.csv"
    register.write_text(
        "Thời gian nhận,Nơi gửi,Số ký hiệu,Tên tệp đính kèm\n"
        "0001-01-01 00:00,LĐLĐ huyện Tam Đường,12/BC-LĐLĐ,bc_td_10.docx\n"
        "9999-12-31 23:59,LĐLĐ huyện Tam Đường,13/BC-LĐLĐ,bc_td_11.docx\n"
        "2026-10-18 09:00,LĐLĐ huyện Tam Đường,14/BC-LĐLĐ,bc_td_12.docx\n",
        encoding="utf-8",
    )
    s = _ingest(warehouse, "reports", register)
    f = s.files[0]
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (3, 1, 2)
    assert [(r[0], r[1], r[2]) for r in _quarantine(warehouse, f.file_hash)] == [
        (2, "received_at", "bad_datetime"),
        (3, "received_at", "bad_datetime"),
    ]
    # A later register file is not affected by the earlier absurd row (it never landed).
    later = tmp_path / "so_cong_van_den_2.csv"
    later.write_text(
        register.read_text(encoding="utf-8") + "2026-11-18 09:00,LĐLĐ huyện Tam Đường,15/BC-LĐLĐ,bc_td_13.docx\n", encoding="utf-8"
    )
    s = _ingest(warehouse, "reports", later)
    f = s.files[0]
    assert (f.rows_read, f.rows_loaded, f.rows_unchanged, f.rows_quarantined) == (4, 1, 1, 2)


def test_window_is_configurable(monkeypatch):
    from dlxh.core.parsing import parse_local_datetime, parse_month

    with pytest.raises(ValueError, match="ngoài khoảng hợp lý"):
        parse_month("1995-03")
    monkeypatch.setenv("DLXH_PLAUSIBLE_FROM", "1990-01-01")
    assert parse_month("1995-03") == date(1995, 3, 1)
    assert parse_local_datetime("1995-03-18 14:30").year == 1995
    with pytest.raises(ValueError, match="ngoài khoảng hợp lý"):
        parse_local_datetime("9999-12-31 23:59")


@pytest.fixture(scope="module")
def stored_absurd(module_warehouse, dlxh_home: Path):
    """Demo data ingested, then absurd values written straight into raw (bypassing ingest)."""
    from dlxh.core.db import copy_rows
    from dlxh.demo import write_demo
    from ingestion.framework import run_ingest
    from ingestion.sources import get_source

    conn = module_warehouse
    written = write_demo(dlxh_home / "demo-absurd", AS_OF, months=2)
    run_ingest(get_source("units"), written["units"], conn, progress=None)
    run_ingest(get_source("reports"), written["reports"], conn, progress=None)
    with conn.cursor() as cur:
        cur.execute("select report_key, unit_code from raw.reports order by period_month desc, unit_code limit 2")
        (key1, unit1), (key2, unit2) = cur.fetchall()
        cur.execute("update raw.reports set form_received_at = '0001-01-01 00:00:00+07' where report_key = %s", (key1,))
        cur.execute("update raw.reports set form_received_at = '9999-12-31 23:59:00+00' where report_key = %s", (key2,))
        copy_rows(
            cur,
            "raw.document_register",
            ["load_id", "source_file", "file_hash", "row_number", "received_at", "sender", "unit_code", "doc_number", "attachment_name"],
            [(0, "so.xlsx", "absurd-register", 1, "0001-01-01 00:00:00+07", "LĐLĐ", unit1, None, "khong_co.docx")],
        )
    return unit1, unit2


def test_build_alerts_validate_survive_absurd_stored_values(stored_absurd, module_warehouse):
    from alerts.engine import run_alerts
    from dlxh.build import build
    from expectations.runner import validate_month

    unit1, unit2 = stored_absurd
    summary = build(as_of=AS_OF, full_refresh=True)
    assert summary.ok
    dry = run_alerts(AS_OF, dry_run=True)
    assert dry.ok
    text = dry.render()
    assert "Traceback" not in text
    assert any(unit1 in f for f in dry.findings), dry.findings
    real = run_alerts(AS_OF)
    assert real.findings == dry.findings
    assert real.planned, "the other units' alerts are still planned"
    result = validate_month(date(2026, 10, 1))
    assert "Traceback" not in result.render()
