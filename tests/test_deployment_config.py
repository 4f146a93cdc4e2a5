"""A federation's own registry and config folder, written as an office keeps them, end to end.

The fixture federation is invented (tỉnh Lâm Viên): its registry is an XLSX the office keeps by
hand — a title and an "updated" line above the table, its own codes (`LĐ.NH`, `ld_suoitien`,
`CDN-CT`), unit types as the office abbreviates them (`LĐLĐ cấp huyện`, `LĐLĐ TP`, `CĐ ngành`,
`Công đoàn Viên chức`, `ldld_tinh`, `doanh nghiệp`), parents written as short names, one founding
date typed as text, one unit dissolved. Nothing here uses the demo's codes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from dlxh.core.calendar import LOCAL, monthly_due_at, status

REGISTRY_ROWS = [
    # STT, Mã ĐV, Tên đơn vị, Tên viết tắt, Loại, Trực thuộc, Ngày thành lập, Ngày giải thể, Email
    (
        1,
        "LĐ.TINH",
        "Liên đoàn Lao động tỉnh Lâm Viên",
        "LĐLĐ tỉnh",
        "ldld_tinh",
        "Tổng LĐLĐ Việt Nam",
        datetime(2004, 1, 1),
        None,
        "vp@ldld.lamvien.vn",
    ),
    (2, "LĐ.TP", "Liên đoàn Lao động thành phố Lâm Viên", "LĐLĐ TP", "LĐLĐ TP", "LĐLĐ tỉnh", datetime(2010, 5, 1), None, None),
    (3, "LĐ.NH", "Liên đoàn Lao động huyện Ngọc Hà", "LĐLĐ Ngọc Hà", "LĐLĐ cấp huyện", "LĐLĐ tỉnh", datetime(2004, 1, 1), None, None),
    (4, "ld_suoitien", "Liên đoàn Lao động huyện Suối Tiên", "LĐLĐ Suối Tiên", "LĐLĐ huyện", "LĐLĐ tỉnh", "15/04/2013", None, None),
    (5, "LĐ.BM", "Liên đoàn Lao động thị xã Bình Minh", "LĐLĐ TX Bình Minh", "LĐLĐ thị xã", "LĐLĐ tỉnh", datetime(2008, 9, 1), None, None),
    (
        6,
        "CDN-CT",
        "Công đoàn ngành Công Thương tỉnh Lâm Viên",
        "CĐN Công Thương",
        "CĐ ngành",
        "LĐLĐ tỉnh",
        datetime(2006, 3, 1),
        None,
        None,
    ),
    (
        7,
        "CDN-XD",
        "Công đoàn ngành Xây dựng tỉnh Lâm Viên",
        "CĐN Xây dựng",
        "CĐ ngành",
        "LĐLĐ tỉnh",
        datetime(2006, 3, 1),
        datetime(2025, 2, 1),
        None,
    ),
    (8, "CĐVC", "Công đoàn Viên chức tỉnh Lâm Viên", "CĐVC tỉnh", "Công đoàn Viên chức", "LĐLĐ tỉnh", datetime(2008, 9, 5), None, None),
    (
        9,
        "CĐDN-HP",
        "Công đoàn Công ty Cổ phần Hưng Phát",
        "CĐ Cty Hưng Phát",
        "doanh nghiệp",
        "LĐLĐ Ngọc Hà",
        datetime(2019, 6, 1),
        None,
        None,
    ),
]
OWING = ["LĐ.TP", "LĐ.NH", "LD_SUOITIEN", "LĐ.BM", "CDN-CT", "CĐVC"]  # CDN-XD dissolved before March; province and company owe nothing


def write_registry(path: Path, rows=REGISTRY_ROWS) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "DS don vi"
    ws.append(["DANH SÁCH ĐƠN VỊ TRỰC THUỘC LĐLĐ TỈNH LÂM VIÊN"])
    ws.merge_cells("A1:I1")
    ws.append(["(Cập nhật tháng 2/2025 — Văn phòng)"])
    ws.append([])
    ws.append(["STT", "Mã ĐV", "Tên đơn vị", "Tên viết tắt", "Loại", "Trực thuộc", "Ngày thành lập", "Ngày giải thể", "Email"])
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


def _ingest(source_name: str, paths, conn, **options):
    from ingestion.framework import run_ingest
    from ingestion.sources import get_source

    return run_ingest(get_source(source_name, **options), paths, conn, progress=None)


def _rows(conn, sql: str, params=()) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


# -- the registry as the office keeps it -------------------------------------------------------
def test_registry_in_the_federations_own_codes_loads_every_row(warehouse, tmp_path):
    summary = _ingest("units", [write_registry(tmp_path / "DS don vi LĐLĐ tinh.xlsx")], warehouse)
    t = summary.totals()
    assert (t["rows_read"], t["rows_loaded"], t["rows_quarantined"]) == (9, 9, 0), summary.render()
    got = {
        r[0]: r[1:] for r in _rows(warehouse, "select unit_code, unit_type, parent_code, valid_from, valid_to, short_name from raw.units")
    }
    assert got["LĐ.TINH"][:2] == ("province", None)  # «Tổng LĐLĐ Việt Nam» is not a unit of this registry
    assert got["LĐ.TP"][:2] == ("district", "LĐ.TINH")  # parent written as the short name «LĐLĐ tỉnh»
    assert got["LD_SUOITIEN"][0] == "district" and got["LD_SUOITIEN"][2] == date(2013, 4, 15)  # founding date typed as text
    assert got["CDN-CT"][0] == "sector" and got["CĐVC"][0] == "civil_servants"
    assert got["CĐDN-HP"][:2] == ("enterprise", "LĐ.NH")
    assert got["CDN-XD"][3] == date(2025, 1, 31)  # dissolved on 01/02/2025: it existed until the day before
    assert got["LĐ.NH"][4] == "LĐLĐ Ngọc Hà"
    assert summary.files[0].detail["unresolved_parents"] == {"Tổng LĐLĐ Việt Nam": [5]}


def test_resolver_reads_every_way_the_office_writes_a_unit(warehouse, tmp_path):
    from ingestion.reference.units import UnitRegistry

    _ingest("units", [write_registry(tmp_path / "dm.xlsx")], warehouse)
    with warehouse.cursor() as cur:
        registry = UnitRegistry.from_db(cur)
    on = date(2025, 3, 1)
    cases = {
        "ld_suoitien": ("LD_SUOITIEN", "code"),
        "LD-SUOITIEN": ("LD_SUOITIEN", "code"),
        "LĐLĐ h. Ngọc Hà": ("LĐ.NH", "name"),
        "LDLD huyen Ngoc Ha": ("LĐ.NH", "name"),
        "LĐLĐ Suối Tiên": ("LD_SUOITIEN", "short_name"),
        "CĐ ngành CT": ("CDN-CT", "initials"),
        "CĐVC tỉnh": ("CĐVC", "short_name"),
        "LPLD THI XA BINH MINH": ("LĐ.BM", "short_name"),  # OCR read Đ as P
        "Ngọc Hà": ("LĐ.NH", "name_core"),
    }
    for text, (code, rule) in cases.items():
        res = registry.resolve(text, on)
        assert (res.code, res.rule) == (code, rule), (text, res)
    for not_a_unit in ("UBND tỉnh", "BHXH tỉnh", "Sở Nội vụ", "Tỉnh ủy LV"):
        assert registry.resolve(not_a_unit, on).code is None, not_a_unit
    ambiguous = registry.resolve("Lâm Viên", on)
    assert ambiguous.code is None and {"CDN-CT", "CĐVC", "LĐ.TP"} <= set(ambiguous.candidates)


def test_a_snapshot_that_drops_units_is_refused_unless_replace(warehouse, tmp_path):
    _ingest("units", [write_registry(tmp_path / "full.xlsx")], warehouse)
    partial = write_registry(tmp_path / "partial.xlsx", REGISTRY_ROWS[:3])
    refused = _ingest("units", [partial], warehouse)
    f = refused.files[0]
    assert f.status == "quarantined" and f.quarantined[0].reason_code == "registry_shrinks"
    assert refused.reconciles() and refused.totals()["rows_quarantined"] == 3
    assert "LD_SUOITIEN" in f.quarantined[0].reason and "--replace" in f.quarantined[0].reason
    assert _rows(warehouse, "select count(distinct unit_code) from raw.units where load_id = (select max(load_id) from raw.units)") == [
        (9,)
    ]

    # A change file touches only the units it names.
    renamed = [
        (3, "LĐ.NH", "Liên đoàn Lao động huyện Ngọc Hà mới", "LĐLĐ Ngọc Hà", "LĐLĐ huyện", "LĐLĐ tỉnh", datetime(2004, 1, 1), None, None)
    ]
    changes = _ingest("units", [write_registry(tmp_path / "changes.xlsx", renamed)], warehouse, changes=True)
    assert changes.totals()["rows_loaded"] == 1 and changes.files[0].detail["carried_over_units"] == 8
    latest = dict(_rows(warehouse, "select unit_code, unit_name from raw.units where load_id = (select max(load_id) from raw.units)"))
    assert len(latest) == 9 and latest["LĐ.NH"].endswith("mới")

    # --replace accepts the smaller registry; --reapply restores the earlier full file.
    replaced = _ingest("units", [partial], warehouse, replace=True)
    assert replaced.totals()["rows_loaded"] == 3
    restored = _ingest("units", [tmp_path / "full.xlsx"], warehouse, reapply=True)
    assert restored.totals()["rows_updated"] == 9 and restored.reconciles()
    assert _rows(warehouse, "select count(*) from raw.units where load_id = (select max(load_id) from raw.units)") == [(9,)]


# -- the config folder ----------------------------------------------------------------------------
BAD_CONFIGS = [
    (
        "unit_types.csv",
        "unit_type,name_vi,level,owes_reports,is_territorial,aliases\nx,X,district,maybe,true,\n",
        "line 2, field owes_reports",
    ),
    ("unit_types.csv", "unit_type,name_vi,level,owes_reports\nx,X,district,true\n", "line 1: missing column(s) is_territorial"),
    (
        "unit_types.csv",
        "unit_type,name_vi,level,owes_reports,is_territorial,colour\nx,X,district,true,true,red\n",
        "line 1: unknown column(s) colour",
    ),
    ("unit_types.csv", "unit_type,name_vi,level,owes_reports,is_territorial,aliases\nx,X,galaxy,true,true,\n", "line 2, field level"),
    (
        "unit_types.csv",
        "unit_type,name_vi,level,owes_reports,is_territorial,aliases\nx,X,district,true,true,\nx,Y,district,true,true,\n",
        "line 3, field unit_type",
    ),
    (
        "unit_types.csv",
        "unit_type,name_vi,level,owes_reports,is_territorial,aliases\nx,X,district,true,true,huyện\ny,Y,sector,true,false,huyen\n",
        "line 3, field aliases",
    ),
    (
        "unit_types.csv",
        "unit_type,name_vi,level,owes_reports,is_territorial,aliases\nx,X,district,false,true,\n",
        "no unit type owes reports",
    ),
    ("topic_aliases.csv", "alias,topic_code,scope,note\nVIEC_LAM,T99,,\n", "line 2, field topic_code"),
    ("topics.csv", "topic_code,parent_code,sort_order,name_vi,name_en,keywords\nA,,first,Một,,\n", "line 2, field sort_order"),
    ("topics.csv", "topic_code,parent_code,sort_order,name_vi,name_en,keywords\nA,Z,1,Một,,\n", "line 2, field parent_code"),
    ("places.csv", "place_name,place_type,unit_code,district_name\nXã Một,village,U1,\n", "line 2, field place_type"),
    (
        "report_types.csv",
        "report_type,name_vi,is_periodic,due_day,due_time_local,description\nmonthly,Tháng,true,,00:00,\nad_hoc,Đột xuất,false,,,\n",
        "line 2, field due_day",
    ),
    (
        "report_types.csv",
        "report_type,name_vi,is_periodic,due_day,due_time_local,description\nmonthly,Tháng,true,20,00:00,\n",
        "'ad_hoc' is required",
    ),
    (
        "adhoc_requests.csv",
        "request_code,title_vi,period_month,due_at,owed_by_unit_types\nDX1,Vụ việc,2025-03,2025-03-25 17:00,phuong\n",
        "line 2, field owed_by_unit_types",
    ),
    (
        "adhoc_requests.csv",
        "request_code,title_vi,period_month,due_at,owed_by_unit_types\nDX1,Vụ việc,2025-03,ngày mai,\n",
        "line 2, field due_at",
    ),
    (
        "adhoc_requests.csv",
        "request_code,title_vi,period_month,due_at,owed_by_unit_types\nDX1,Vụ việc, có dấu phẩy,2025-03,2025-03-25 17:00,\n",
        "line 2: more cells than columns",
    ),
    ("topics.csv", b"topic_code,parent_code,sort_order,name_vi,name_en,keywords\nA,,1,M\xe9t,,\n", "not UTF-8"),
]


@pytest.mark.parametrize("file_name,content,expected", BAD_CONFIGS, ids=[f"{c[0]}:{c[2][:28]}" for c in BAD_CONFIGS])
def test_every_config_error_names_file_and_field(tmp_path, monkeypatch, file_name, content, expected):
    from dlxh.core.config import check
    from dlxh.core.errors import ConfigError

    folder = tmp_path / "config"
    folder.mkdir()
    target = folder / file_name
    target.write_bytes(content) if isinstance(content, bytes) else target.write_text(content, encoding="utf-8")
    monkeypatch.setenv("DLXH_CONFIG_DIR", str(folder))
    with pytest.raises(ConfigError) as err:
        check()
    assert str(target) in str(err.value) and expected in str(err.value)
    assert err.value.exit_code == 2


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dlxh.cli", *args], capture_output=True, text=True, env={**os.environ, **env}, timeout=120)


def test_config_check_cli_exit_2_one_line_no_traceback(tmp_path):
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "topic_aliases.csv").write_text("alias,topic_code,scope,note\nXUYEN_TAC,T404,,\n", encoding="utf-8")
    bad = _cli(["config", "check"], {"DLXH_CONFIG_DIR": str(folder), "DLXH_HOME": str(tmp_path / "home")})
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    assert "topic_aliases.csv, line 2, field topic_code" in bad.stderr

    (folder / "topic_aliases.csv").write_text("alias,topic_code,scope,note\nXUYEN_TAC,T12,,\n", encoding="utf-8")
    good = _cli(["config", "check"], {"DLXH_CONFIG_DIR": str(folder), "DLXH_HOME": str(tmp_path / "home")})
    assert good.returncode == 0, good.stderr
    line = next(ln for ln in good.stdout.splitlines() if "topic_aliases.csv" in ln)
    assert "1 rows" in line and "deployment" in line and str(folder) in line
    assert "unit_types.csv" in good.stdout and "default" in good.stdout

    start = _cli(["config", "check"], {"DLXH_REPORTING_START_MONTH": "March", "DLXH_HOME": str(tmp_path / "home")})
    assert start.returncode == 2 and "DLXH_REPORTING_START_MONTH" in start.stderr and "Traceback" not in start.stderr


def test_config_init_copies_the_defaults_once(tmp_path):
    env = {"DLXH_CONFIG_DIR": str(tmp_path / "cfg"), "DLXH_HOME": str(tmp_path / "home")}
    first = _cli(["config", "init"], env)
    assert first.returncode == 0 and (tmp_path / "cfg" / "unit_types.csv").is_file()
    (tmp_path / "cfg" / "topics.csv").write_text(
        "topic_code,parent_code,sort_order,name_vi,name_en,keywords\nA,,1,Một,,\n", encoding="utf-8"
    )
    again = _cli(["config", "init"], env)
    assert again.returncode == 0 and "nothing written" in again.stdout
    assert (tmp_path / "cfg" / "topics.csv").read_text(encoding="utf-8").count("\n") == 2  # the deployment's file stays


def test_topic_aliases_resolve_the_owners_codes(tmp_path, monkeypatch):
    from ingestion.reference.topics import resolve_topic

    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "topic_aliases.csv").write_text(
        "alias,topic_code,scope,note\nNGUOI_LAO_DONG,T11,,\nXUYEN_TAC,T12,,\nAN_NINH,T08,tool_a,tool A's own code\nAN_NINH,T07,,\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("DLXH_CONFIG_DIR", str(folder))
    assert resolve_topic("NGUOI_LAO_DONG") == "T11"
    assert resolve_topic("nguoi lao dong") == "T11"  # accent-, case- and separator-insensitive
    assert resolve_topic("Xuyên tạc") == "T12"
    assert resolve_topic("AN_NINH", scope="tool_a") == "T08" and resolve_topic("AN_NINH") == "T07"
    assert resolve_topic("T03") == "T03" and resolve_topic("3") == "T03"  # taxonomy codes and sort numbers still work
    assert resolve_topic("KHONG_CO") is None


# -- reports, statuses and the calendar on that registry -------------------------------------------
FORM_HEADER = "Đơn vị,Kỳ báo cáo,Số văn bản,Thời gian nhận,Chủ đề,Tình hình,Nguyên nhân,Dự báo,Đề xuất, kiến nghị\n"


def _form_row(unit: str, month: str, number: str, received: str, parts: int = 4) -> str:
    texts = ['"Đoàn viên quan tâm việc làm, tiền lương"', '"Doanh nghiệp khó khăn"', '"Tình hình ổn định"', '"Đề nghị hỗ trợ"'][:parts]
    texts += [""] * (4 - parts)
    return ",".join([unit, month, number, received, "Việc làm", *texts]) + "\n"


@pytest.fixture(scope="module")
def lam_vien(module_warehouse, tmp_path_factory):
    """The Lâm Viên registry and a March 2025 of structured forms with the unit written the office's way."""
    from dlxh.build import build

    tmp = tmp_path_factory.mktemp("lamvien")
    _ingest("units", [write_registry(tmp / "registry.xlsx")], module_warehouse)
    forms = tmp / "bao_cao_T3.csv"
    forms.write_text(
        FORM_HEADER.replace("Đề xuất, kiến nghị", '"Đề xuất, kiến nghị"')
        + _form_row("LĐLĐ h. Ngọc Hà", "03/2025", "11/BC-LĐLĐ", "19/03/2025 23:50")  # on time, ten minutes to spare
        + _form_row("ld_suoitien", "tháng 3 năm 2025", "07/BC-LĐLĐ", "20/03/2025 08:15")  # late by 8 h 15
        + _form_row("CĐ ngành CT", "T3/2025", "05/BC-CĐN", "2025-03-12 10:00", parts=2)  # on time, incomplete
        + _form_row("CĐVC tỉnh", "2025-03", "04/BC-CĐVC", "2025-03-14 15:30")
        + _form_row("LĐLĐ TP", "2025-03", "12/BC-LĐLĐ", "2025-03-18 09:00"),
        # LĐ.BM (thị xã Bình Minh) sends nothing: missing
        encoding="utf-8",
    )
    summary = _ingest("reports", [forms], module_warehouse)
    assert summary.totals()["rows_quarantined"] == 0, summary.render()
    build(as_of=date(2025, 3, 31), full_refresh=True)
    return summary


def test_march_statuses_on_the_federations_registry(lam_vien, module_warehouse):
    got = {
        r[0]: r[1:]
        for r in _rows(
            module_warehouse,
            "select unit_code, status, is_complete, received_at from marts.fct_report_submission where report_type = 'monthly'",
        )
    }
    # The calendar starts at the first month with a received report (March), not at 2004.
    assert _rows(module_warehouse, "select distinct period_month from marts.fct_report_submission") == [(date(2025, 3, 1),)]
    assert sorted(got) == sorted(OWING)
    due = monthly_due_at(date(2025, 3, 1))
    received = {
        "LĐ.NH": datetime(2025, 3, 19, 23, 50, tzinfo=LOCAL),
        "LD_SUOITIEN": datetime(2025, 3, 20, 8, 15, tzinfo=LOCAL),
        "CDN-CT": datetime(2025, 3, 12, 10, 0, tzinfo=LOCAL),
        "CĐVC": datetime(2025, 3, 14, 15, 30, tzinfo=LOCAL),
        "LĐ.TP": datetime(2025, 3, 18, 9, 0, tzinfo=LOCAL),
        "LĐ.BM": None,
    }
    as_of = datetime(2025, 3, 31, 23, 59, 59, tzinfo=LOCAL)
    for code, when in received.items():
        assert got[code][0] == status(when, due, as_of), code
        assert got[code][2] == when
    assert got["LĐ.NH"][0] == "on_time" and got["LD_SUOITIEN"][0] == "late" and got["LĐ.BM"][0] == "missing"
    assert got["CDN-CT"][1] is False and got["LĐ.TP"][1] is True


def test_reporting_start_month_accepts_month_or_day_one_row_per_unit_month(lam_vien, module_warehouse, monkeypatch):
    from dlxh.build import build

    for value in ("2025-01", "2025-01-01"):
        monkeypatch.setenv("DLXH_REPORTING_START_MONTH", value)
        build(as_of=date(2025, 3, 31))
        counts = _rows(
            module_warehouse,
            "select period_month, count(*), count(distinct unit_code) from marts.fct_report_submission "
            "where report_type = 'monthly' group by 1 order by 1",
        )
        # January: CDN-XD (dissolved 01/02) still owed; February: it is gone before the deadline.
        assert counts == [(date(2025, 1, 1), 7, 7), (date(2025, 2, 1), 6, 6), (date(2025, 3, 1), 6, 6)], (value, counts)
    monkeypatch.delenv("DLXH_REPORTING_START_MONTH")
    build(as_of=date(2025, 3, 31))


def test_alerts_follow_the_configured_owing_types(lam_vien, module_warehouse):
    from alerts.engine import run_alerts

    run = run_alerts(date(2025, 3, 21), dry_run=True)
    chased = {d.alert.unit_code for d in run.new if d.alert.rule == "late"}
    # The day after the deadline: the missing unit is chased; the company union and the province owe nothing.
    assert chased == {"LĐ.BM"}, run.render()
