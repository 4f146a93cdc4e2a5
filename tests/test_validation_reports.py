"""Report completeness and timeliness through the real pipeline: ingest -> dbt build -> GX checkpoint.

March 2025 has two late units and one missing unit; February 2025 is clean. The stored results
must name exactly those three units (timeliness: the two late ones; completeness: the missing one).
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from dlxh.calendar import LOCAL, monthly_due_at
from dlxh.demo import FORM_HEADER, REGISTRY_HEADER, _write_csv

UNITS = [
    ("LDLD-TD", "Liên đoàn Lao động huyện Tam Đường", "district"),
    ("LDLD-PT", "Liên đoàn Lao động huyện Phong Thổ", "district"),
    ("LDLD-SH", "Liên đoàn Lao động huyện Sìn Hồ", "district"),
    ("CDN-YT", "Công đoàn ngành Y tế tỉnh Lai Châu", "sector"),
    ("CDVC", "Công đoàn Viên chức tỉnh Lai Châu", "civil_servants"),
]
MARCH, FEBRUARY = date(2025, 3, 1), date(2025, 2, 1)
LATE = {"LDLD-SH": timedelta(days=2, hours=9), "CDN-YT": timedelta(days=5, hours=14)}
MISSING = {"CDVC"}


def _write_inputs(root: Path) -> tuple[Path, Path]:
    registry = [["LDLD-TINH", "Liên đoàn Lao động tỉnh Lai Châu", "province", "", "2000-01-01", "", "", "", "", ""]]
    registry += [[c, n, t, "LDLD-TINH", "2024-01-01", "", "", "Văn phòng", f"{c.lower()}@example.vn", ""] for c, n, t in UNITS]
    units = _write_csv(root / "units" / "danh_muc.csv", REGISTRY_HEADER, registry)
    for month in (FEBRUARY, MARCH):
        due = monthly_due_at(month)
        for code, name, _ in UNITS:
            if month == MARCH and code in MISSING:
                continue
            received = due + LATE[code] if month == MARCH and code in LATE else due - timedelta(days=3, hours=2)
            row = [code, name, f"{month:%Y-%m}", "Tháng", "12/BC", received.strftime("%Y-%m-%d %H:%M"), "T11",
                   "Người lao động phản ánh chậm lương.", "Tiêu cực", "Không", "Doanh nghiệp khó khăn.",
                   "Có nguy cơ ngừng việc.", "Đề nghị kiểm tra, đôn đốc."]
            _write_csv(root / "reports" / f"{month:%Y-%m}" / f"BC_{code}.csv", FORM_HEADER, [row], mtime=received)
    return units, root / "reports"


@pytest.fixture(scope="module")
def pipeline(warehouse_target, tmp_path_factory):
    """Ingest units and reports, build the marts as of 30 April 2025 (once for the module)."""
    from dlxh.build import build
    from dlxh.db import connect
    from ingestion.framework import run_ingest
    from ingestion.sources import get_source
    from tests.conftest import truncate_all

    conn = connect(warehouse_target)
    truncate_all(conn)
    units, reports = _write_inputs(tmp_path_factory.mktemp("validation-inputs"))
    run_ingest(get_source("units"), [units], conn, progress=None)
    summary = run_ingest(get_source("reports"), [reports], conn, progress=None)
    assert summary.totals()["rows_quarantined"] == 0, summary.render()
    build(as_of=datetime(2025, 4, 30, 12, 0, tzinfo=LOCAL))
    yield conn
    conn.close()


def _stored(conn, run_id: int) -> list[tuple[str, str, bool, list[str]]]:
    with conn, conn.cursor() as cur:
        cur.execute(
            "select suite, expectation, success, offending_keys from quality.validation_results where run_id = %s order by suite, expectation",
            (run_id,),
        )
        return cur.fetchall()


def test_late_and_missing_units_are_named_exactly(pipeline):
    from expectations.runner import validate_month

    t0 = time.monotonic()
    result = validate_month(MARCH)
    elapsed = time.monotonic() - t0
    print(f"validate_month(2025-03) took {elapsed:.2f}s")  # reported figure (pytest -s)

    assert not result.success
    rows = _stored(pipeline, result.run_id)
    named = {k for _, _, _, keys in rows for k in keys}
    assert named == {"LDLD-SH", "CDN-YT", "CDVC"}
    by_suite: dict[str, set[str]] = {}
    for suite, _, _, keys in rows:
        by_suite.setdefault(suite, set()).update(keys)
    assert by_suite["dlxh_timeliness"] == {"LDLD-SH", "CDN-YT"}
    assert by_suite["dlxh_completeness"] == {"CDVC"}
    failed = {(s, e) for s, e, ok, _ in rows if not ok}
    assert failed == {
        ("dlxh_completeness", "every_unit_reported"),
        ("dlxh_timeliness", "received_on_time"),
        ("dlxh_timeliness", "received_by_due_time"),
        ("dlxh_timeliness", "no_days_late"),
    }
    # the missing unit came from GX's unexpected index list, and the summary names everyone
    text = result.render()
    assert "CDVC" in text and "LDLD-SH" in text and "CDN-YT" in text
    assert "phát hiện nghiệp vụ" in text


def test_clean_month_passes_every_expectation(pipeline):
    from expectations.runner import validate_month

    result = validate_month(FEBRUARY)
    rows = _stored(pipeline, result.run_id)
    assert rows and all(ok for _, _, ok, _ in rows), [r for r in rows if not r[2]]
    assert {s for s, *_ in rows} >= {"dlxh_completeness", "dlxh_timeliness"}
    assert all(keys == [] for *_, keys in rows)
    assert result.success


def test_revalidating_adds_a_run_and_latest_view_picks_it(pipeline):
    from expectations.runner import validate_month

    first = validate_month(MARCH)
    second = validate_month(MARCH)
    assert second.run_id > first.run_id
    with pipeline, pipeline.cursor() as cur:
        cur.execute("select count(*) from quality.validation_runs where period_month = %s", (MARCH,))
        assert cur.fetchone()[0] >= 2
        cur.execute(
            "select suite, run_id, success, offending_keys from quality.v_latest_validation where period_month = %s order by suite",
            (MARCH,),
        )
        latest = {s: (rid, ok, keys) for s, rid, ok, keys in cur.fetchall()}
    assert latest["dlxh_timeliness"] == (second.run_id, False, ["CDN-YT", "LDLD-SH"])
    assert latest["dlxh_completeness"] == (second.run_id, False, ["CDVC"])


def test_cli_exit_codes_and_docs(pipeline, dlxh_home):
    """A late unit is a finding (exit 0); --strict turns it into exit 5. Data Docs live under DLXH_HOME."""
    cmd = [sys.executable, "-m", "dlxh.cli"]
    plain = subprocess.run([*cmd, "validate", "--month", "2025-03"], capture_output=True, text=True)
    assert plain.returncode == 0, plain.stderr
    assert "LDLD-SH" in plain.stdout
    strict = subprocess.run([*cmd, "validate", "--month", "2025-03", "--strict"], capture_output=True, text=True)
    assert strict.returncode == 5, strict.stderr
    clean = subprocess.run([*cmd, "validate", "--month", "2025-02", "--strict"], capture_output=True, text=True)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    docs = subprocess.run([*cmd, "docs"], capture_output=True, text=True)
    index = dlxh_home / "gx" / "data_docs" / "index.html"
    assert docs.returncode == 0 and index.as_uri() in docs.stdout
    assert index.is_file()
    html = index.read_text(encoding="utf-8")
    assert "dlxh_timeliness" in html
