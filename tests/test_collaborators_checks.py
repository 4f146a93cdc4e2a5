"""The collaborator network's checks end to end: the GX suite "network complete" (real GX, real
PostgreSQL) and the monthly unit notices and office digest (real aiosmtpd server), against figures
computed here from the roster and contribution lists below, independently of the code under test.

April 2026, counted on 30/04 (rules: districts need 3 collaborators and the sectors Giáo dục, Y tế;
H-A also the areas Phường 1, Xã Hai; inactive = nothing in 3 months; ineffective = under 2 in 6):
  H-A  quota met and covered; Bình active without contact and ineffective; Cường inactive;
       Đức appointed in April, nothing yet (within the grace period: not inactive)
  H-B  one left of two (Em replaced in March): 2 vacancies, Y tế uncovered
  H-C  dissolved on 31/03, its collaborator still active in April: counted in a unit gone
The notices go out on 20/05 (the monthly report is due 00:00 on the 20th) for April.
"""

from __future__ import annotations

import csv
import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from dlxh.demo import REGISTRY_HEADER, _write_csv
from tests.test_alerts_delivery import MailSink, SmtpServer

MONTH = date(2026, 4, 1)
AS_OF = date(2026, 5, 20)
OFFICE = "bantuyengiao@ldld.example.vn"
EMAIL = {"H-A": "h-a@ldld.example.vn", "H-B": "h-b@ldld.example.vn", "H-C": "h-c@ldld.example.vn", "T": "tinh@ldld.example.vn"}
# code, name, type, valid_from, valid_to
UNITS = [
    ("T", "Liên đoàn Lao động tỉnh Lai Châu", "province", "2000-01-01", ""),
    ("H-A", "Liên đoàn Lao động huyện Tam Đường", "district", "2020-01-01", ""),
    ("H-B", "Liên đoàn Lao động huyện Phong Thổ", "district", "2020-01-01", ""),
    ("H-C", "Liên đoàn Lao động huyện Nậm Nhùn", "district", "2020-01-01", "2026-03-31"),
]
QUOTA, SECTORS, AREAS = 3, ["Giáo dục", "Y tế"], {"H-A": ["Phường 1", "Xã Hai"]}
INACTIVE_MONTHS, MIN_CONTRIBUTIONS, WINDOW, GRACE = 3, 2, 6, 2
RULES = (
    "unit_type,unit_code,min_collaborators,required_areas,required_sectors,inactive_months,ineffective_min_contributions,"
    "ineffective_window_months,grace_months,note\n"
    f"district,,{QUOTA},,{';'.join(SECTORS)},{INACTIVE_MONTHS},{MIN_CONTRIBUTIONS},{WINDOW},{GRACE},\n"
    "province,,0,,,3,,,,\n"
    f"district,H-A,,{';'.join(AREAS['H-A'])},,,,,,\n"
)
# code, name, unit, area, sector, phone, email, appointed, ended, end reason
ROSTER = [
    ("CTV-A01", "Nguyễn Văn An", "H-A", "Phường 1", "Giáo dục", "0912 000 001", "", "10/01/2025", "", ""),
    ("CTV-A02", "Trần Thị Bình", "H-A", "Phường 1", "Y tế", "", "", "10/01/2025", "", ""),
    ("CTV-A03", "Lê Văn Cường", "H-A", "Xã Hai", "Giáo dục", "", "cuong@example.vn", "10/01/2025", "", ""),
    ("CTV-A04", "Đỗ Minh Đức", "H-A", "Xã Hai", "Y tế", "0912 000 004", "", "06/04/2026", "", ""),
    ("CTV-B01", "Phạm Thị Dung", "H-B", "", "Giáo dục", "0912 000 011", "", "01/06/2025", "", ""),
    ("CTV-B02", "Hoàng Văn Em", "H-B", "", "Y tế", "0912 000 012", "", "01/06/2025", "15/03/2026", "Thay thế"),
    ("CTV-C01", "Vũ Thị Giang", "H-C", "", "Giáo dục", "0912 000 021", "", "01/02/2025", "", ""),
]
# unit of the form, who as written, day
CONTRIBUTIONS = [
    ("H-A", "CTV-A01", "05/03/2026"),
    ("H-A", "Nguyễn Văn An", "10/04/2026"),
    ("H-A", "Trần Thị Bình", "12/04/2026"),
    ("H-A", "CTV-C01", "03/04/2026"),
    ("H-A", "CTV-C01", "20/04/2026"),
    ("H-A", "Lê Văn Cường", "02/12/2025"),
    ("H-B", "CTV-B01", "02/03/2026"),
    ("H-B", "Phạm Thị Dung", "15/04/2026"),
]


# -- the independent computation -------------------------------------------------------------------
def _d(text: str) -> date | None:
    if not text:
        return None
    d, m, y = text.split("/")
    return date(int(y), int(m), int(d))


def _months_back(month: date, n: int) -> list[date]:
    out, m = [], month
    for _ in range(n):
        out.append(m)
        m = (m - timedelta(days=1)).replace(day=1)
    return out


def _month_end(m: date) -> date:
    return (m.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _unit_in_registry(code: str, month: date) -> bool:
    return any(
        c == code and date.fromisoformat(f) <= _month_end(month) and (not t or date.fromisoformat(t) >= month) for c, _, _, f, t in UNITS
    )


def expected(month: date = MONTH) -> dict[str, dict]:
    """Per unit: figures, gaps and who to review, from the lists above."""
    by_name = {r[1]: r[0] for r in ROSTER}
    counts: dict[tuple[str, date], int] = {}
    for _, who, day in CONTRIBUTIONS:
        code = by_name.get(who, who)
        key = (code, _d(day).replace(day=1))  # type: ignore[union-attr]
        counts[key] = counts.get(key, 0) + 1
    end = _month_end(month)
    grace_from = _months_back(month, GRACE)[-1]
    out: dict[str, dict] = {}
    for unit, _, utype, _, _ in UNITS:
        members = [r for r in ROSTER if r[2] == unit and _d(r[7]) <= end and (not r[8] or _d(r[8]) >= end)]  # type: ignore[operator]
        quota = QUOTA if utype == "district" and _unit_in_registry(unit, month) else 0
        rows = []
        for r in members:
            recent = sum(counts.get((r[0], m), 0) for m in _months_back(month, INACTIVE_MONTHS))
            window = sum(counts.get((r[0], m), 0) for m in _months_back(month, WINDOW))
            new = _d(r[7]) >= grace_from  # type: ignore[operator]
            rows.append(
                {
                    "code": r[0],
                    "name": r[1],
                    "active": recent > 0,
                    "inactive": recent == 0 and not new,
                    "ineffective": recent > 0 and window < MIN_CONTRIBUTIONS and not new,
                    "contact": bool(r[5] or r[6]),
                    "area": r[3],
                    "sector": r[4],
                }
            )
        if not members and not quota:
            continue
        required_sectors = SECTORS if quota else []
        out[unit] = {
            "required": quota,
            "appointed": len(rows),
            "active": sum(r["active"] for r in rows),
            "inactive": sum(r["inactive"] for r in rows),
            "ineffective": sum(r["ineffective"] for r in rows),
            "vacancies": max(quota - len(rows), 0),
            "areas": [a for a in AREAS.get(unit, []) if quota and a not in {r["area"] for r in rows}],
            "sectors": [s for s in required_sectors if s not in {r["sector"] for r in rows}],
            "no_contact": [r["name"] for r in rows if r["active"] and not r["contact"]],
            "review": sorted(r["name"] for r in rows if r["inactive"] or r["ineffective"]),
            "without_unit": sum(r["active"] for r in rows) if not _unit_in_registry(unit, month) else 0,
        }
    return out


# -- the warehouse ---------------------------------------------------------------------------------
def _write_inputs(root: Path) -> list[Path]:
    registry = [[c, n, t, "" if c == "T" else "T", f, to, "", "Văn phòng", EMAIL[c], ""] for c, n, t, f, to in UNITS]
    units = _write_csv(root / "units" / "danh_muc.csv", REGISTRY_HEADER, registry)
    roster = root / "ctv" / "danh_sach_ctv_toan_tinh.csv"
    roster.parent.mkdir(parents=True, exist_ok=True)
    with roster.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["DANH SÁCH CỘNG TÁC VIÊN DƯ LUẬN XÃ HỘI"])
        w.writerow(["Phạm vi: toàn tỉnh"])
        w.writerow(
            ["Mã CTV", "Họ và tên", "Đơn vị", "Địa bàn", "Lĩnh vực", "Số điện thoại", "Email", "Ngày quyết định", "Ngày thôi", "Lý do thôi"]
        )
        w.writerows(ROSTER)
    forms = []
    for unit in sorted({u for u, *_ in CONTRIBUTIONS}):
        form = root / "ctv" / f"phieu_y_kien_{unit}.csv"
        with form.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["PHIẾU TỔNG HỢP Ý KIẾN CỦA CỘNG TÁC VIÊN"])
            w.writerow([f"Đơn vị: {unit}"])
            w.writerow(["STT", "Họ và tên CTV", "Ngày", "Chủ đề", "Tóm tắt ý kiến"])
            for i, (_, who, day) in enumerate([c for c in CONTRIBUTIONS if c[0] == unit], start=1):
                w.writerow([i, who, day, "Việc làm", f"Ý kiến số {i} của đoàn viên về việc làm và thu nhập."])
        forms.append(form)
    return [units, roster, *forms]


@pytest.fixture(scope="module")
def built(module_warehouse, tmp_path_factory):
    from dlxh.build import build
    from dlxh.core.config import config_dir
    from ingestion.framework import run_ingest
    from ingestion.sources import get_source

    conn = module_warehouse
    units, roster, *forms = _write_inputs(tmp_path_factory.mktemp("collab-checks"))
    cfg = config_dir()
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "collaborator_rules.csv").write_text(RULES, encoding="utf-8")
    old_start = os.environ.get("DLXH_REPORTING_START_MONTH")
    os.environ["DLXH_REPORTING_START_MONTH"] = "2026-01"
    try:
        conn.autocommit = False
        run_ingest(get_source("units"), [units], conn, progress=None)
        for path in (roster, *forms):
            summary = run_ingest(get_source("collaborators"), [path], conn, progress=None)
            assert summary.totals()["rows_quarantined"] == 0, summary.render()
        conn.autocommit = True
        build(as_of=AS_OF)
    finally:
        (cfg / "collaborator_rules.csv").unlink()
        if old_start is None:
            os.environ.pop("DLXH_REPORTING_START_MONTH", None)
        else:
            os.environ["DLXH_REPORTING_START_MONTH"] = old_start
    conn.autocommit = True
    return conn


def _q(conn, sql: str, params=()) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def test_mart_matches_the_independent_figures(built):
    got = {
        u: {"appointed": a, "active": ac, "inactive": i, "ineffective": ie, "vacancies": v}
        for u, a, ac, i, ie, v in _q(
            built,
            """select unit_code, appointed, active, inactive, ineffective, vacancies
                                                 from marts.mart_collaborator_network where period_month = %s""",
            (MONTH,),
        )
    }
    want = {u: {k: e[k] for k in ("appointed", "active", "inactive", "ineffective", "vacancies")} for u, e in expected().items()}
    assert {u: g for u, g in got.items() if u in want} == want
    assert all(not any(g.values()) for u, g in got.items() if u not in want)
    # the grace period: Đức (appointed in April, nothing yet) is neither active nor inactive
    assert want["H-A"]["appointed"] == 4 and want["H-A"]["active"] + want["H-A"]["inactive"] == 3


# -- the GX suite ----------------------------------------------------------------------------------
def test_network_suite_names_the_units_with_gaps(built):
    from expectations.runner import validate_month

    result = validate_month(MONTH)
    rows = _q(
        built,
        """select expectation, success, offending_keys from quality.validation_results
                        where run_id = %s and suite = 'dlxh_network_complete'""",
        (result.run_id,),
    )
    got = {e: (ok, keys) for e, ok, keys in rows}
    exp = expected()

    def units(test) -> list[str]:
        return sorted(u for u, e in exp.items() if test(e))

    want = {
        "network_quota_met": units(lambda e: e["vacancies"] > 0),
        "network_areas_covered": units(lambda e: bool(e["areas"])),
        "network_sectors_covered": units(lambda e: bool(e["sectors"])),
        "active_collaborators_have_contact": units(lambda e: bool(e["no_contact"])),
        "active_collaborators_have_unit": units(lambda e: e["without_unit"] > 0),
    }
    assert got == {name: (not keys, keys) for name, keys in want.items()}
    assert want["network_quota_met"] == ["H-B"] and want["active_collaborators_have_unit"] == ["H-C"]
    assert "dlxh_network_complete" not in result.skipped_suites
    text = result.render()
    assert "Mạng lưới cộng tác viên đầy đủ (dlxh_network_complete): đạt" in text
    assert (
        f"Đơn vị chưa đủ mạng lưới cộng tác viên (chỉ tiêu, địa bàn, lĩnh vực, liên hệ): {', '.join(sorted(set(sum(want.values(), []))))}"
        in text
    )
    assert "phát hiện nghiệp vụ" in text
    # the Data Docs page of the suite says findings, not failures
    from expectations.context import data_docs_dir

    pages = list((data_docs_dir() / "validations" / "dlxh_network_complete").rglob("*.html"))
    assert pages and "Phát hiện (findings)" in pages[-1].read_text(encoding="utf-8")


# -- the monthly notices ---------------------------------------------------------------------------
@pytest.fixture()
def mail(built, monkeypatch):
    with built.cursor() as cur:
        cur.execute("truncate ops.alert_log restart identity")
    sink = MailSink()
    smtp = SmtpServer(sink)
    smtp.start()
    for name, value in {
        "DLXH_ALERT_CHANNELS": "email",
        "DLXH_SMTP_HOST": "127.0.0.1",
        "DLXH_SMTP_PORT": str(smtp.port),
        "DLXH_SMTP_SECURITY": "none",
        "DLXH_SMTP_FROM": "LĐLĐ tỉnh Lai Châu <noreply@ldld.example.vn>",
        "DLXH_SMTP_TIMEOUT": "5",
        "DLXH_OFFICE_EMAIL": OFFICE,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DLXH_NETWORK_NOTICE_DAY", raising=False)
    yield sink
    smtp.stop()


def _network_mail(sink: MailSink) -> dict[tuple[str, str], object]:
    out = {}
    for rcpts, msg in sink.messages:
        tag = dict(p.strip().split("=", 1) for p in msg["X-DLXH-Alert"].split(";"))
        if tag["type"] == "network":
            for r in rcpts:
                assert (tag["rule"], r) not in out, f"{tag['rule']} to {r} twice"
                out[(tag["rule"], r)] = msg
    return out


def test_notices_once_with_own_names_and_independent_figures(built, mail):
    from alerts.engine import run_alerts

    assert run_alerts(AS_OF - timedelta(days=1)).ok  # the 19th: before the notice day
    assert _network_mail(mail) == {}
    run = run_alerts(AS_OF)
    assert run.ok, run.render()
    got = _network_mail(mail)
    exp = expected()
    notified = {
        u
        for u, e in exp.items()
        if _unit_in_registry(u, MONTH) and (e["vacancies"] or e["areas"] or e["sectors"] or e["review"] or e["no_contact"])
    }
    assert set(got) == {("network_notice", EMAIL[u]) for u in notified} | {("network_digest", OFFICE)}
    everyone = {r[1] for r in ROSTER}
    for unit in notified:
        e = exp[unit]
        body = got[("network_notice", EMAIL[unit])].get_body(("plain",)).get_content()
        assert (
            f"Chỉ tiêu: {e['required']} · Đã công nhận: {e['appointed']} · Đang hoạt động: {e['active']} · "
            f"Không hoạt động: {e['inactive']} · Hoạt động chưa hiệu quả: {e['ineffective']} · Còn thiếu: {e['vacancies']}"
        ) in body
        listed = {n for n in everyone if n in body}
        assert listed == set(e["review"]) | set(e["no_contact"])  # its own collaborators only, those to follow up
        review = re.findall(r"^  - (.+?) \(CTV-", body, flags=re.M)
        assert sorted(review) == e["review"]
        for item in e["areas"] + e["sectors"]:
            assert item in body
        assert "tháng 4/2026" in body and "30/04/2026" in body
    assert exp["H-A"]["review"] == ["Lê Văn Cường", "Trần Thị Bình"] and exp["H-A"]["no_contact"] == ["Trần Thị Bình"]
    digest = got[("network_digest", OFFICE)].get_body(("plain",)).get_content()
    assert not {n for n in everyone if n in digest}  # counts only
    for unit, e in exp.items():
        assert (
            f"({unit}): {e['required']} / {e['appointed']} / {e['active']} / {e['inactive']} / {e['ineffective']} / "
            f"{e['vacancies']} / {len(e['areas'])} địa bàn, {len(e['sectors'])} lĩnh vực / {len(e['no_contact'])}"
        ) in digest
    assert "(H-C)" in digest and "không còn trong danh mục" in digest

    sent = len(_network_mail(mail))
    for day in (AS_OF, AS_OF + timedelta(days=1), date(2026, 5, 31)):  # re-run the day, the days after: nothing twice
        again = run_alerts(day)
        assert again.ok and not [d for d in again.new if d.alert.type_key == "network"], again.render()
    assert len(_network_mail(mail)) == sent  # (the late-report rules send their own daily digests meanwhile)
    assert _q(built, "select count(*) from ops.alert_log where report_type = 'network'") == [(len(got),)]


def test_notice_day_is_configurable_and_dry_run_writes_nothing(built, mail, monkeypatch):
    from alerts.engine import run_alerts

    monkeypatch.setenv("DLXH_NETWORK_NOTICE_DAY", "5")
    dry = run_alerts(date(2026, 5, 5), dry_run=True)
    assert {d.alert.rule for d in dry.new if d.alert.type_key == "network"} == {"network_notice", "network_digest"}
    assert "CHẠY THỬ" in dry.render()
    assert _q(built, "select count(*) from ops.alert_log") == [(0,)]
    assert not [d for d in run_alerts(date(2026, 5, 4), dry_run=True).new if d.alert.type_key == "network"]
