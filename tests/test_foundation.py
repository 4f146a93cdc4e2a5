"""The embedded PostgreSQL, settings, schemas, text decoding and the CLI's contract."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dlxh.core.parsing import parse_local_datetime, parse_month
from dlxh.core.tabular import decode_bytes
from dlxh.core.text import fold, nfc

ROOT = Path(__file__).resolve().parent.parent


def dlxh(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dlxh.cli", *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, cwd=ROOT
    )


def test_embedded_server_is_idempotent_and_reports_status(warehouse_target):
    from dlxh.core.pg_embedded import EmbeddedPostgres
    from dlxh.core.settings import load_settings

    server = EmbeddedPostgres(load_settings())
    server.start()  # already running: no-op
    assert server.running()
    st = server.status()
    assert st.running and st.port == warehouse_target.port
    out = dlxh("db", "status")
    assert out.returncode == 0 and "running" in out.stdout


def test_db_url_is_accepted_by_psql(warehouse_target):
    url = dlxh("db", "url").stdout.strip()
    assert url.startswith("postgresql://") and url.endswith("/warehouse")
    psql = subprocess.run(["psql", url, "-At", "-c", "select current_database()"], capture_output=True, text=True)
    assert psql.returncode == 0, psql.stderr
    assert psql.stdout.strip() == "warehouse"


def test_schemas_exist_and_apply_twice(warehouse):
    from dlxh.core.schema import apply_schema

    apply_schema(warehouse)
    apply_schema(warehouse)
    with warehouse.cursor() as cur:
        cur.execute("select nspname from pg_namespace")
        names = {r[0] for r in cur.fetchall()}
    assert {"raw", "staging", "intermediate", "marts", "quality", "ops", "restricted"} <= names


def test_airflow_database_exists(warehouse_target):
    from dlxh.core.db import airflow_target, connect

    conn = connect(airflow_target())
    conn.close()


def test_a_second_instance_runs_side_by_side(warehouse_target, tmp_path):
    other = tmp_path / "second"
    other.mkdir()
    os.chmod(tmp_path, 0o755)
    env = {"DLXH_HOME": str(other)}
    try:
        up = dlxh("db", "up", env=env)
        assert up.returncode == 0, up.stderr
        url = dlxh("db", "url", env=env).stdout.strip()
        assert f":{warehouse_target.port}/" not in url
    finally:
        down = dlxh("db", "down", env=env)
    assert down.returncode == 0 and "stopped" in down.stdout
    assert dlxh("db", "status", env=env).returncode == 1


def test_unreachable_external_database_is_a_clear_error():
    out = dlxh("ingest", "units", str(ROOT / "README.md"), env={"DLXH_DATABASE_URL": "postgresql://x:y@127.0.0.1:1/warehouse"})
    assert out.returncode == 3
    assert "cannot connect to PostgreSQL" in out.stderr and "Traceback" not in out.stderr


def test_missing_path_is_exit_code_4(warehouse_target, tmp_path):
    out = dlxh("ingest", "reports", str(tmp_path / "nope"))
    assert out.returncode == 4
    assert "no such file" in out.stderr


def test_bad_usage_is_exit_code_2():
    out = dlxh("validate", "--month", "March")
    assert out.returncode == 2 and "YYYY-MM" in out.stderr


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("Tam Đường".encode(), "utf-8"),
        (b"\xef\xbb\xbf" + "Tam Đường".encode(), "utf-8-sig"),
        ("Tam Đường".encode("utf-16"), "utf-16"),
        ("Tam Đường".replace("ờ", "ơ\u0300").encode("cp1258"), "cp1258"),  # Windows-1258: base letter + combining tone
        (__import__("unicodedata").normalize("NFD", "Tam Đường").encode(), "utf-8"),
    ],
    ids=["utf8", "utf8-bom", "utf16", "windows-1258", "nfd"],
)
def test_text_is_decoded_and_stored_as_nfc(data, encoding):
    text, used = decode_bytes(data)
    assert text == "Tam Đường" and used == encoding


def test_accent_insensitive_keys():
    assert fold("LIÊN ĐOÀN Lao động huyện Tam Đường") == "lien doan lao dong huyen tam duong"
    assert nfc(" Tam\u0300 ") == "Tam\u0300".replace("m\u0300", "m\u0300")  # trimmed, normalised


@pytest.mark.parametrize("text", ["2025-03", "03/2025", "3/2025", "tháng 3 năm 2025", "Tháng 03/2025", "T3/2025", "thang 3 nam 2025"])
def test_report_months(text):
    assert parse_month(text).isoformat() == "2025-03-01"


def test_naive_times_are_local():
    assert parse_local_datetime("18/03/2025 14:30").utcoffset().total_seconds() == 7 * 3600


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("Mã đơn vị;Kỳ báo cáo;Đề xuất, kiến nghị\nLDLD-TD;2025-03;Đề nghị A, B\n", ";"),  # Excel on Vietnamese Windows
        ("a,b,c\n1,2,3\n", ","),
        ("a\tb\tc\n1\t2, 3\t4\n", "\t"),
        ('"Đơn vị (huyện, thành phố)",Tháng\n"LĐLĐ huyện Tam Đường, Lai Châu",2025-03\n', ","),
        ("a|b\n1|2\n", "|"),
    ],
    ids=["semicolon-with-comma-header", "comma", "tab", "quoted-commas", "pipe"],
)
def test_delimiter_sniffing(sample, expected):
    from dlxh.core.tabular import sniff_delimiter

    assert sniff_delimiter(sample) == expected


def test_excel_vietnamese_csv_form_loads(warehouse, tmp_path):
    """Windows-1258, `;`, CRLF and a comma inside a header: how Excel on Vietnamese Windows saves the form."""
    from ingestion.framework import run_ingest
    from ingestion.reports.source import ReportsSource
    from ingestion.units.source import UnitsSource
    from tests.fixtures_reports import to_cp1258

    units = tmp_path / "dm.csv"
    units.write_text("Mã đơn vị,Tên đơn vị,Loại đơn vị,Hiệu lực từ\nLDLD-PT,Liên đoàn Lao động huyện Phong Thổ,district,2025-01-01\n")
    run_ingest(UnitsSource(), [units], warehouse, progress=None)
    form = tmp_path / "PT_T10.csv"
    form.write_bytes(
        to_cp1258(
            "Tên đơn vị;Kỳ báo cáo;Thời gian nhận;Chủ đề;Tình hình;Sắc thái;Điểm nóng;Đề xuất, kiến nghị\r\n"
            "LĐLĐ huyện Phong Thổ;tháng 10/2026;15/10/2026 09:30;T11;Công nhân lo mất việc, chậm lương.;tiêu cực;có;Hỗ trợ chuyển đổi nghề.\r\n"
        )
    )
    summary = run_ingest(ReportsSource(), [form], warehouse, progress=None)
    assert summary.totals()["rows_loaded"] == 1, summary.render()
    with warehouse.cursor() as cur:
        cur.execute("select unit_code, period_month, situation, proposals from raw.reports")
        unit, month, situation, proposals = cur.fetchone()
    assert (unit, month.isoformat()) == ("LDLD-PT", "2026-10-01")
    assert situation == "Công nhân lo mất việc, chậm lương." and proposals == "Hỗ trợ chuyển đổi nghề."
