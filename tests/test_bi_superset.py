"""`dlxh bi up`: a real Apache Superset in its own virtualenv imports bi/superset/bundle, reads the
marts as bi_reader, and a headless Chromium renders the dashboard with the warehouse's figures.

Slow (installs Superset once into $DLXH_HOME/superset/venv, a few minutes): marked `bi`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from datetime import date
from pathlib import Path

import pytest

pytestmark = pytest.mark.bi
AS_OF = date(2026, 11, 26)
TITLES = {
    "Tỷ lệ nộp báo cáo tháng đúng hạn",
    "Báo cáo tháng chưa nộp",
    "Báo cáo tháng: đúng hạn, trễ hạn, chưa nộp",
    "Đơn vị trễ hạn hoặc chưa nộp",
    "Tín hiệu tiêu cực theo chủ đề",
    "Điểm nóng phát hiện",
}


@pytest.fixture(scope="module")
def superset(module_warehouse, dlxh_home: Path):
    from dlxh import bi
    from dlxh.build import build
    from dlxh.core.settings import load_settings
    from dlxh.demo import write_demo
    from ingestion.framework import run_ingest
    from ingestion.sources import get_source

    written = write_demo(dlxh_home / "demo-bi", AS_OF, months=6)
    run_ingest(get_source("units"), written["units"], module_warehouse, progress=None)
    run_ingest(get_source("reports"), written["reports"], module_warehouse, progress=None)
    assert build(as_of=AS_OF, full_refresh=True).ok
    settings = load_settings()
    url = bi.up(settings)
    yield settings, url
    bi.down(settings)


def _get(url: str):
    with urllib.request.urlopen(url, timeout=60) as resp:
        return json.loads(resp.read().decode("utf-8"))


def test_bundle_imported_on_loopback(superset):
    from dlxh import bi

    settings, url = superset
    assert url.startswith("http://127.0.0.1:")
    base = url.split("/superset/")[0]
    charts = _get(f"{base}/api/v1/dashboard/{bi.DASHBOARD_SLUG}/charts")["result"]
    assert {c["slice_name"] for c in charts} == TITLES
    (dashboard,) = [d for d in _get(f"{base}/api/v1/dashboard/?q=(page_size:100)")["result"] if d["slug"] == bi.DASHBOARD_SLUG]
    assert dashboard["dashboard_title"] == "Tình hình báo cáo và dư luận xã hội"
    databases = _get(f"{base}/api/v1/database/")["result"]
    (database,) = [d for d in databases if d["database_name"] == "DLXH Warehouse"]
    detail = _get(f"{base}/api/v1/database/{database['id']}/connection")["result"]
    assert detail["sqlalchemy_uri"].startswith("postgresql+psycopg2://bi_reader:")  # read-only role, password masked
    assert bi.running_pid(settings)


def test_dashboard_renders_the_warehouse_figures(superset, module_warehouse, tmp_path: Path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium (apt-get install chromium)")
    settings, url = superset
    with module_warehouse, module_warehouse.cursor() as cur:
        cur.execute("""select distinct unit_name from marts.fct_report_submission
                       where report_type = 'monthly' and status in ('late', 'missing')""")
        late_units = {r[0] for r in cur.fetchall()}
        cur.execute("""select sum(on_time) * 1.0 / nullif(sum(expected) - sum(pending), 0)
                       from marts.mart_report_compliance_month where report_type = 'monthly'""")
        (rate,) = cur.fetchone()
    assert late_units
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium'}",
        "--window-size=1600,1500",
        "--virtual-time-budget=90000",
    ]
    page = url + "?standalone=1"
    dom = subprocess.run([chromium, *flags, "--dump-dom", page], capture_output=True, text=True, timeout=300).stdout
    assert "Unexpected error" not in dom
    assert all(title in dom for title in TITLES)
    assert all(name in dom for name in late_units), late_units - {n for n in late_units if n in dom}
    assert f"{float(rate) * 100:.1f}%" in dom
    shot = tmp_path / "dashboard.png"
    subprocess.run([chromium, *flags, f"--screenshot={shot}", page], capture_output=True, timeout=300)
    assert shot.is_file() and shot.stat().st_size > 20000
    target = settings.get("DLXH_BI_SCREENSHOT")
    if target:
        shutil.copy(shot, target)
