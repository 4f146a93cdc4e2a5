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

from dlxh.core.calendar import LOCAL, monthly_due_at
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
            row = [
                code,
                name,
                f"{month:%Y-%m}",
                "Tháng",
                "12/BC",
                received.strftime("%Y-%m-%d %H:%M"),
                "T11",
                "Người lao động phản ánh chậm lương.",
                "Tiêu cực",
                "Không",
                "Doanh nghiệp khó khăn.",
                "Có nguy cơ ngừng việc.",
                "Đề nghị kiểm tra, đôn đốc.",
            ]
            _write_csv(root / "reports" / f"{month:%Y-%m}" / f"BC_{code}.csv", FORM_HEADER, [row], mtime=received)
    return units, root / "reports"


@pytest.fixture(scope="module")
def pipeline(warehouse_target, tmp_path_factory):
    """Ingest units and reports, build the marts as of 30 April 2025 (once for the module)."""
    from dlxh.build import build
    from dlxh.core.db import connect
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


def test_data_docs_render_offline_in_local_time_with_findings(pipeline, dlxh_home):
    """No page loads anything from the internet; times read in Asia/Ho_Chi_Minh; late units are findings."""
    import re

    from dlxh.core.settings import load_settings
    from expectations.docs_site import CDN_ASSETS
    from expectations.runner import validate_month

    result = validate_month(MARCH)
    site = dlxh_home / "gx" / "data_docs"
    pages = list(site.rglob("*.html"))
    assert len(pages) > 3
    for page in pages:
        html = page.read_text(encoding="utf-8")
        remote = re.findall(r'<(?:script|link|img)[^>]*(?:src|href)="(https?://[^"]+)"', html) + re.findall(
            r"url\('?(https?://[^)']+)", html
        )
        assert remote == [], (page, remote)
        for ref in re.findall(r'(?:src|href)="([^"#?:]+\.(?:js|css|png))"', html):
            assert (page.parent / ref).resolve().is_file(), (page, ref)
        assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z\b", html), page
    assert {(site / "static" / "vendor" / name).is_file() for name in CDN_ASSETS.values()} == {True}
    index = (site / "index.html").read_text(encoding="utf-8")
    run_time = _run_started_local(pipeline, result.run_id)
    assert f"'run_time': '{run_time:%Y-%m-%d %H:%M:%S} (UTC+7)'" in index
    timeliness = [
        p
        for p in pages
        if "dlxh_timeliness" in p.parts and p.parent.parent.parent.name == "dlxh_timeliness" and result.gx_run_name in str(p)
    ]
    assert len(timeliness) == 1
    page = timeliness[0].read_text(encoding="utf-8")
    assert "Phát hiện (findings)" in page and "> Failed\n" not in page
    # A data-quality suite keeps GX's wording.
    assert "Phát hiện" not in next(p for p in pages if "dlxh_import_reconciliation" in p.parts and result.gx_run_name in str(p)).read_text(
        encoding="utf-8"
    )
    with pipeline, pipeline.cursor() as cur:
        cur.execute("select distinct data_docs_path from quality.v_latest_validation where run_id = %s", (result.run_id,))
        assert cur.fetchall() == [("gx/index.html",)]
    assert load_settings().home == dlxh_home


def _run_started_local(conn, run_id: int) -> datetime:
    with conn, conn.cursor() as cur:
        cur.execute("select run_at from quality.validation_runs where run_id = %s", (run_id,))
        return cur.fetchone()[0].astimezone(LOCAL).replace(microsecond=0)


def test_dlxh_docs_serves_dbt_docs_and_data_docs_on_loopback(pipeline, dlxh_home):
    import threading
    import urllib.request

    from dlxh.docs import build_docs, make_server

    dirs = build_docs()
    server = make_server(dirs, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"

        def get(path: str) -> tuple[int, str]:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as resp:
                    return resp.status, resp.read().decode("utf-8", "replace")
            except urllib.error.HTTPError as exc:
                return exc.code, ""

        status, root = get("/")
        assert status == 200 and "dbt/index.html" in root and "gx/index.html" in root
        assert get("/gx/index.html")[0] == 200 and "dlxh_timeliness" in get("/gx/index.html")[1]
        assert get("/gx/static/vendor/jquery-3.7.1.min.js")[0] == 200
        assert get("/dbt/index.html")[0] == 200
        status, catalog = get("/dbt/catalog.json")
        assert status == 200 and "fct_report_submission" in catalog
        assert get("/../../etc/passwd")[0] == 404
        assert get("/gx/../../../etc/passwd")[0] == 404
    finally:
        server.shutdown()
        server.server_close()


def test_plain_dbt_with_dlxh_db_env(pipeline, dlxh_home):
    """The documented way to run plain dbt: eval "$(dlxh db env)"; dbt debug reaches the warehouse."""
    root = Path(__file__).resolve().parent.parent
    dbt = Path(sys.executable).with_name("dbt")
    script = f'set -e; eval "$({sys.executable} -m dlxh.cli db env)"; cd dbt_project; "{dbt}" --no-use-colors debug'
    proc = subprocess.run(["bash", "-c", script], cwd=root, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "Connection test: [OK connection ok]" in proc.stdout
