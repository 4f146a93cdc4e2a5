"""The collaborator network end to end: rosters as district offices keep them in Excel (title rows,
merged headers, «STT», dd/mm/yyyy dates, Nữ/Nam, Kinh/Thái/H'Mông), a roster in English, a
contribution form, survey collectors; figures checked against counts computed here from the same
rows, independently of the code under test."""

from __future__ import annotations

import csv
import os
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from dlxh.core.calendar import LOCAL

MONTHS = [date(2026, m, 1) for m in range(3, 8)]  # March .. July 2026
AS_OF = date(2026, 7, 31)

REGISTRY = [
    ["Mã đơn vị", "Tên đơn vị", "Loại đơn vị", "Đơn vị cấp trên", "Hiệu lực từ"],
    ["T-TINH", "Liên đoàn Lao động tỉnh Lai Châu", "province", "", "01/01/2000"],
    ["H-TD", "Liên đoàn Lao động huyện Tam Đường", "district", "T-TINH", "01/01/2020"],
    ["H-PT", "Liên đoàn Lao động huyện Phong Thổ", "district", "T-TINH", "01/01/2020"],
]

# (code, name, gender, ethnicity, position, area, sector, phone, email, decision, appointed, ended, reason)
TD_ROWS = [
    (
        "CTV-TD-01",
        "Nguyễn Thị Hoa",
        "Nữ",
        "Kinh",
        "Giáo viên",
        "Bình Lư",
        "CĐ Giáo dục",
        "0912 345 678",
        "hoa.nt@example.vn",
        "12/QĐ-LĐLĐ",
        "15/03/2024",
        "",
        "",
    ),
    (
        "CTV-TD-02",
        "Lò Văn Pành",
        "Nam",
        "Thái",
        "Công nhân",
        "Bản Bo",
        "Doanh nghiệp",
        "0987 111 222",
        "",
        "12/QĐ-LĐLĐ",
        "15/03/2024",
        "10/04/2026",
        "Thay thế",
    ),
    (
        "CTV-TD-03",
        "Giàng A Sử",
        "Nam",
        "H'Mông",
        "Cán bộ CĐCS",
        "Sơn Bình",
        "Y tế",
        "0977 000 111",
        "",
        "12/QĐ-LĐLĐ",
        "15/03/2024",
        "14/06/2026",
        "Chuyển công tác",
    ),
    ("CTV-TD-04", "Tẩn Thị Mai", "Nữ", "Dao", "Công nhân", "Bình Lư", "Doanh nghiệp", "", "", "21/QĐ-LĐLĐ", "20/04/2026", "", ""),
    ("CTV-TD-05", "Hoàng Văn Minh", "X", "Kinh", "", "Bình Lư", "Y tế", "", "", "", "15/03/2024", "", ""),  # bad gender
    ("CTV-TD-06", "Lê Thị Thu", "Nữ", "Kinh", "", "Bình Lư", "Y tế", "", "", "", "31/02/2025", "", ""),  # no such day
]
PT_ROWS = [  # English headers, scope column
    ("CTV-TD-03", "Giàng A Sử", "H-PT", "Male", "H'Mông", "Mường So", "Health", "0977 000 111", "", "2026-06-15", "", ""),
    (
        "CTV-PT-01",
        "Vàng Thị Dung",
        "LĐLĐ Phong Thổ",
        "Female",
        "Thái",
        "Mường So",
        "Education",
        "",
        "dung.vt@example.vn",
        "2025-01-05",
        "",
        "",
    ),
    ("CTV-SH-01", "Lò Văn Hải", "LĐLĐ huyện Sìn Hồ", "Male", "Thái", "", "", "", "", "2025-01-05", "", ""),  # unknown unit
    ("CTV-TD-09", "Đặng Văn Tú", "H-TD", "Male", "Kinh", "", "", "", "", "2025-01-05", "", ""),  # not this roster's unit
]
# Contribution form of Tam Đường: (who as written, day, topic, summary)
FORM_ROWS = [
    ("Nguyễn Thị Hoa", "12/04/2026", "Tiền lương", "Giáo viên hợp đồng phản ánh chậm lương tháng 3."),
    ("nguyen thi hoa", "10/05/2026", "Sắp xếp bộ máy", "Đoàn viên lo lắng về chế độ khi sáp nhập."),
    ("CTV-TD-04", "05/06/2026", "Việc làm", "Công nhân lo mất việc khi doanh nghiệp giảm đơn hàng."),
    ("Người lạ", "06/06/2026", "Giao thông", "Người dân đồng tình xử phạt nồng độ cồn."),
    ("Lò Văn Pành", "", "Tiền lương", "Thiếu ngày."),  # quarantined: no date
]
# Survey submissions: (uuid, unit, day, {question: collector as recorded})
SURVEYS = [
    ("s1", "H-TD", date(2026, 3, 5), {"_submitted_by": "ctv_td_03"}),
    ("s2", "H-TD", date(2026, 3, 20), {"_submitted_by": "ctv_td_02"}),
    ("s3", "H-PT", date(2026, 7, 2), {"SubmitterID": "7", "SubmitterName": "Giàng A Sử"}),
    ("s4", "H-PT", date(2026, 7, 9), {"SubmitterID": "7", "SubmitterName": "Vàng Thị Dung"}),
    ("s5", "H-PT", date(2026, 7, 9), {"SubmitterID": "8", "SubmitterName": "Điều tra viên"}),  # unmatched
]
RULES = (
    "unit_type,unit_code,min_collaborators,required_areas,required_sectors,inactive_months,ineffective_min_contributions,"
    "ineffective_window_months,note\n"
    "district,,4,,Giáo dục;Y tế;Doanh nghiệp,3,2,6,\n"
    "province,,0,,,3,,,\n"
    "district,H-TD,,Bình Lư;Bản Bo;Sơn Bình,,,,,Tam Đường's areas\n"
)


def _xlsx_roster(path: Path) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["LIÊN ĐOÀN LAO ĐỘNG TỈNH LAI CHÂU"])
    ws.append(["DANH SÁCH CỘNG TÁC VIÊN DƯ LUẬN XÃ HỘI"])
    ws.append(["Đơn vị: LĐLĐ huyện Tam Đường"])
    ws.append(["(Tính đến ngày 30/06/2026)"])
    ws.append(
        [
            "STT",
            "Mã CTV",
            "Họ và tên",
            "Giới tính",
            "Dân tộc",
            "Chức vụ",
            "Địa bàn",
            "Lĩnh vực/Đoàn thể",
            "Số điện thoại",
            "Email",
            "Quyết định công nhận",
            None,
            "Ngày thôi",
            "Lý do thôi",
        ]
    )
    ws.append([None] * 10 + ["Số", "Ngày", None, None])
    ws.append([f"({i})" for i in range(1, 15)])
    for col in ("A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "M", "N"):
        ws.merge_cells(f"{col}5:{col}6")
    ws.merge_cells("K5:L5")
    for i, r in enumerate(TD_ROWS, start=1):
        ws.append([i, *r])
    ws.append(["7"])  # a numbered empty line under the table
    wb.save(path)
    return path


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _pt_roster(path: Path) -> Path:
    header = [
        "Code",
        "Full name",
        "Unit",
        "Gender",
        "Ethnicity",
        "Area",
        "Sector",
        "Phone",
        "Email",
        "Appointment date",
        "End date",
        "End reason",
        "Scope",
    ]
    return _csv(path, [header, *[[*r, "H-PT"] for r in PT_ROWS]])


def _form(path: Path) -> Path:
    return _csv(
        path,
        [
            ["PHIẾU TỔNG HỢP Ý KIẾN CỦA CỘNG TÁC VIÊN"],
            ["Đơn vị: LĐLĐ huyện Tam Đường"],
            ["STT", "Họ và tên CTV", "Ngày", "Chủ đề", "Tóm tắt ý kiến"],
            *[[str(i), *r] for i, r in enumerate(FORM_ROWS, start=1)],
        ],
    )


# -- the independent computation -------------------------------------------------------------------
def _d(text: str) -> date | None:
    if not text:
        return None
    if "/" in text:
        d, m, y = text.split("/")
        return date(int(y), int(m), int(d))
    return date.fromisoformat(text)


def _month_end(m: date) -> date:
    return (m.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _versions() -> list[tuple[str, str, date, date | None, bool]]:
    """(code, unit, from, to, has_contact) of the valid roster rows, read from the fixture lists."""
    out = []
    for code, _, gender, _, _, _, _, phone, email, _, appointed, ended, _ in TD_ROWS:
        try:
            start = _d(appointed)
        except ValueError:
            continue
        if gender not in ("Nam", "Nữ"):
            continue
        out.append((code, "H-TD", start, _d(ended), bool(phone or email)))
    for code, _, unit, _, _, _, _, phone, email, appointed, ended, _ in PT_ROWS:
        if unit not in ("H-PT", "LĐLĐ Phong Thổ"):
            continue
        out.append((code, "H-PT", _d(appointed), _d(ended), bool(phone or email)))
    return out


def _plain(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if not unicodedata.combining(c))


def _expected_activity() -> dict[tuple[str, date], int]:
    """Contributions per collaborator code and month, matched by hand from the fixture lists."""
    by_name = {"nguyen thi hoa": "CTV-TD-01", "giang a su": "CTV-TD-03", "vang thi dung": "CTV-PT-01"}
    counts: dict[tuple[str, date], int] = {}
    for who, day, *_ in FORM_ROWS:
        if not day:
            continue
        code = who if who.startswith("CTV-") else by_name.get(_plain(who))
        if code:
            m = _d(day).replace(day=1)  # type: ignore[union-attr]
            counts[(code, m)] = counts.get((code, m), 0) + 1
    for _, _, day, recorded in SURVEYS:
        code = None
        for value in recorded.values():
            code = code or (value.upper().replace("_", "-") if value.lower().startswith("ctv") else by_name.get(_plain(value)))
        if code:
            counts[(code, day.replace(day=1))] = counts.get((code, day.replace(day=1)), 0) + 1
    return counts


def _expected_network() -> dict[tuple[str, date], dict[str, int]]:
    activity = _expected_activity()
    out: dict[tuple[str, date], dict[str, int]] = {}
    for m in MONTHS:
        end = min(_month_end(m), AS_OF)
        for unit in ("H-TD", "H-PT"):
            members = [v for v in _versions() if v[1] == unit and v[2] <= end and (v[3] is None or v[3] >= end)]
            window = [m.replace(month=m.month - k) for k in range(3)]
            active = [v for v in members if sum(activity.get((v[0], w), 0) for w in window) > 0]
            out[(unit, m)] = {
                "appointed": len(members),
                "active": len(active),
                "inactive": len(members) - len(active),
                "vacancies": max(4 - len(members), 0),
            }
    return out


# -- the warehouse ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def built(module_warehouse, tmp_path_factory):
    from dlxh.build import build
    from dlxh.core.config import config_dir
    from ingestion.framework import run_ingest
    from ingestion.sources import get_source

    conn = module_warehouse
    conn.autocommit = False
    folder = tmp_path_factory.mktemp("collab-inbox")
    cfg = config_dir()
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "collaborator_rules.csv").write_text(RULES, encoding="utf-8")
    old_start = os.environ.get("DLXH_REPORTING_START_MONTH")
    os.environ["DLXH_REPORTING_START_MONTH"] = "2026-03"
    try:
        run_ingest(get_source("units"), [_csv(folder / "danh_muc.csv", REGISTRY)], conn, progress=None)
        summaries = {
            "td": run_ingest(get_source("collaborators"), [_xlsx_roster(folder / "Danh sach CTV Tam Duong.xlsx")], conn, progress=None),
            "pt": run_ingest(get_source("collaborators"), [_pt_roster(folder / "ctv_phong_tho.csv")], conn, progress=None),
            "form": run_ingest(get_source("collaborators"), [_form(folder / "phieu_y_kien_CTV_T6.csv")], conn, progress=None),
        }
        with conn, conn.cursor() as cur:
            for uuid, unit, day, recorded in SURVEYS:
                at = datetime(day.year, day.month, day.day, 9, tzinfo=LOCAL)
                cur.execute(
                    "insert into raw.survey_responses (submission_uuid, form_id, unit_code, submitted_at, period_month, content_hash,"
                    " load_id, source_file, file_hash) values (%s, 'F1', %s, %s, %s, %s, 1, 'kobo.csv', 'k')",
                    (uuid, unit, at, day.replace(day=1), f"c-{uuid}"),
                )
                for question, value in recorded.items():
                    cur.execute("insert into restricted.survey_free_text values (%s, %s, %s)", (uuid, question, value))
            # the respondent's own name is never a collector, even when it is a collaborator's
            cur.execute("insert into restricted.survey_free_text values ('s5', 'thong_tin/ho_ten', 'Nguyễn Thị Hoa')")
        conn.autocommit = True
        build(as_of=AS_OF)
        conn.autocommit = False
        summaries["form_again"] = run_ingest(
            get_source("collaborators"), [_form(folder / "phieu_y_kien_CTV_T6 (1).csv")], conn, progress=None
        )
        summaries["td_again"] = run_ingest(get_source("collaborators"), [folder / "Danh sach CTV Tam Duong.xlsx"], conn, progress=None)
        conn.autocommit = True
        build(as_of=AS_OF)
    finally:
        (cfg / "collaborator_rules.csv").unlink()
        if old_start is None:
            os.environ.pop("DLXH_REPORTING_START_MONTH", None)
        else:
            os.environ["DLXH_REPORTING_START_MONTH"] = old_start
    conn.autocommit = True
    return conn, summaries


def _q(conn, sql: str, params=()) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def test_roster_rows_loaded_or_quarantined_with_file_row_field(built):
    _, s = built
    td = s["td"].files[0]
    assert (td.rows_read, td.rows_loaded, td.rows_quarantined) == (6, 4, 2)
    reasons = {(q.row_number, q.field, q.reason_code) for q in td.quarantined}
    assert reasons == {(12, "gender", "bad_value"), (13, "appointed_on", "bad_date")}
    for q in td.quarantined:
        assert "Danh sach CTV Tam Duong.xlsx" in q.reason and f"dòng {q.row_number}" in q.reason
    pt = s["pt"].files[0]
    assert (pt.rows_read, pt.rows_loaded, pt.rows_quarantined) == (4, 2, 2)
    assert {(q.row_number, q.field, q.reason_code) for q in pt.quarantined} == {(4, "unit", "unknown_unit"), (5, "unit", "outside_scope")}
    assert s["td"].reconciles() and s["pt"].reconciles()
    assert td.detail["scope"] == "H-TD" and td.detail["scope_stated_by"] == "title"
    assert pt.detail["scope"] == "H-PT" and pt.detail["scope_stated_by"] == "column"


def test_merged_header_and_vietnamese_values_are_read(built):
    conn, _ = built
    rows = _q(
        conn,
        """select collaborator_code, gender, ethnicity, decision_no, appointed_on, ended_on, end_reason
                       from raw.collaborator_roster_rows where unit_code = 'H-TD' order by 1""",
    )
    assert rows[1] == ("CTV-TD-02", "male", "Thái", "12/QĐ-LĐLĐ", date(2024, 3, 15), date(2026, 4, 10), "replaced")
    assert rows[2][2] == "H'Mông" and rows[2][6] == "moved"
    assert rows[0][1] == "female"


def test_contribution_form_quarantine_and_no_duplicates(built):
    conn, s = built
    form = s["form"].files[0]
    assert (form.rows_read, form.rows_loaded, form.rows_quarantined) == (5, 4, 1)
    (q,) = form.quarantined
    assert (q.row_number, q.field, q.reason_code) == (8, "contributed_on", "missing_value")
    assert "phieu_y_kien_CTV_T6.csv" in q.reason
    assert any("Người lạ" in note for note in form.detail["notes"])
    again = s["form_again"].files[0]  # the same form saved again under another name: counts nothing twice
    assert (again.rows_loaded, again.rows_unchanged) == (0, 4)
    td_again = s["td_again"].files[0]  # read again (it has quarantined rows): nothing new
    assert (td_again.rows_loaded, td_again.rows_unchanged, td_again.rows_quarantined) == (0, 4, 2)
    assert _q(conn, "select count(*) from raw.collaborator_contributions") == [(4,)]
    assert _q(conn, "select count(*) from raw.collaborator_roster_rows") == [(6,)]


def test_network_counts_month_by_month(built):
    conn, _ = built
    got = {
        (u, m): {"appointed": a, "active": ac, "inactive": i, "vacancies": v}
        for u, m, a, ac, i, v in _q(
            conn,
            """select unit_code, period_month, appointed, active, inactive, vacancies
                                           from marts.mart_collaborator_network where unit_code in ('H-TD', 'H-PT')""",
        )
    }
    assert got == _expected_network()
    # the mover: Tam Đường to May, Phong Thổ from June; the replaced one counted to March only
    assert got[("H-TD", date(2026, 5, 1))]["appointed"] == 3 and got[("H-TD", date(2026, 6, 1))]["appointed"] == 2
    assert got[("H-PT", date(2026, 6, 1))]["appointed"] == 2
    assert got[("H-TD", date(2026, 3, 1))]["appointed"] == 3 and got[("H-TD", date(2026, 4, 1))]["appointed"] == 3


def test_coverage_gaps_and_mix(built):
    conn, _ = built
    rows = dict(
        ((u, m), rest)
        for u, m, *rest in _q(
            conn,
            """
        select unit_code, period_month, areas_uncovered_list, sectors_uncovered_list, female, male, ethnicity_minority,
               unmatched_contributions, active_without_contact
        from marts.mart_collaborator_network""",
        )
    )
    # June, Tam Đường: Hoa (Bình Lư, Giáo dục) and Mai (Bình Lư, Doanh nghiệp) are left
    assert rows[("H-TD", date(2026, 6, 1))][:2] == ["Bản Bo; Sơn Bình", "Y tế"]
    # two women, no man, one minority: cells under min_cell_size (5) could name someone, so both mixes are suppressed
    assert rows[("H-TD", date(2026, 6, 1))][2:5] == [None, None, None]
    assert _q(
        conn,
        """select gender_is_suppressed, ethnicity_is_suppressed from marts.mart_collaborator_network
                       where unit_code = 'H-TD' and period_month = '2026-06-01'""",
    ) == [(True, True)]
    # Phong Thổ: sectors written in English match nothing of the Vietnamese list (no silent translation)
    assert rows[("H-PT", date(2026, 7, 1))][1] == "Doanh nghiệp; Giáo dục; Y tế"
    assert rows[("H-PT", date(2026, 7, 1))][5] == 1  # s5's collector «Điều tra viên»
    # Mai (no phone, no e-mail) is active in June (a form row)
    assert rows[("H-TD", date(2026, 6, 1))][6] == 1


def test_activity_fact_matches_independent_counts(built):
    conn, _ = built
    got = {}
    for code, m, n in _q(
        conn,
        """select r.collaborator_code, f.period_month, sum(f.contributions)
                                  from marts.fct_collaborator_activity f
                                  join (select distinct collaborator_code, md5(concat_ws('|', collaborator_code)) as k
                                        from raw.collaborator_roster_rows) r on r.k = f.collaborator_key
                                  group by 1, 2""",
    ):
        got[(code, m)] = int(n)
    assert got == _expected_activity()
    assert _q(conn, "select count(*) from marts.fct_collaborator_activity where not is_matched") == [(2,)]


def test_dim_collaborator_scd2_without_names(built):
    conn, _ = built
    versions = _q(
        conn,
        """select unit_code, valid_from, valid_to, version_no, is_current from marts.dim_collaborator
                           where collaborator_key = md5('CTV-TD-03') order by version_no""",
    )
    assert versions == [("H-TD", date(2024, 3, 15), date(2026, 6, 14), 1, False), ("H-PT", date(2026, 6, 15), None, 2, True)]
    columns = {
        c
        for (c,) in _q(
            conn,
            "select column_name from information_schema.columns where table_schema = 'marts' "
            "and table_name in ('dim_collaborator', 'fct_collaborator_activity', 'mart_collaborator_network')",
        )
    }
    assert not columns & {"full_name", "phone", "email", "collaborator_code"}


def test_bi_reader_cannot_read_names(built, warehouse_target):
    import psycopg2

    from dlxh.build import bi_password
    from dlxh.core.settings import load_settings

    t = warehouse_target
    conn = psycopg2.connect(host=t.host, port=t.port, dbname="warehouse", user="bi_reader", password=bi_password(load_settings()))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("select sum(appointed) from marts.mart_collaborator_network")
            assert cur.fetchone()[0] > 0
            for table in (
                "restricted.collaborator_people",
                "restricted.collaborator_contribution_text",
                "raw.collaborator_roster_rows",
                "intermediate.int_collaborator_status",
                "staging.stg_collaborators__people",
            ):
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    cur.execute(f"select * from {table} limit 1")
            cur.execute("select string_agg(t::text, ' ') from marts.dim_collaborator t")
            everything = cur.fetchone()[0]
            for name, *_ in [(r[1],) for r in TD_ROWS] + [(r[1],) for r in PT_ROWS]:
                assert name not in everything
            assert "0912" not in everything and "@example.vn" not in everything
    finally:
        conn.close()


def test_source_added_without_orchestration_edits():
    import subprocess
    import sys

    from ingestion.sources import spec_of

    spec = spec_of("collaborators")
    assert spec.dag_id == "dlxh_ingest_collaborators" and spec.asset == "warehouse.raw.collaborators"
    out = subprocess.run(
        [sys.executable, "-m", "dlxh.cli", "ingest", "collaborators", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "--scope" in out
