"""The alert rules on their own (no database): which alert is due on which day, for whom."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from alerts.config import load_alert_config
from alerts.model import ExpectedReport, UnitVersion
from alerts.rules import late_day, plan, reminder_day
from dlxh.core.calendar import LOCAL
from dlxh.core.settings import load_settings

NOV = date(2026, 11, 1)
DUE = datetime(2026, 11, 20, tzinfo=LOCAL)
ADHOC_DUE = datetime(2026, 11, 25, 17, 0, tzinfo=LOCAL)


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=LOCAL)


def unit(
    code: str,
    utype: str = "district",
    parent: str | None = "LDLD-TINH",
    valid_from: date = date(2025, 1, 1),
    valid_to: date | None = None,
    email: str | None = None,
    name: str | None = None,
) -> UnitVersion:
    return UnitVersion(
        code,
        name or f"Liên đoàn Lao động {code}",
        utype,
        parent,
        valid_from,
        valid_to,
        "Văn phòng",
        email or f"{code.lower()}@example.vn",
        None,
    )


UNITS = {
    "LDLD-TINH": [unit("LDLD-TINH", "province", None, email="lanhdao@example.vn", name="Liên đoàn Lao động tỉnh Lai Châu")],
    "LDLD-TD": [unit("LDLD-TD")],
    "LDLD-PT": [unit("LDLD-PT")],
    "LDLD-SH": [unit("LDLD-SH")],
    "CDVC": [unit("CDVC", "civil_servants")],
    "LDLD-MT": [unit("LDLD-MT", valid_from=date(2026, 11, 10))],  # created mid-month: owes from December
    "LDLD-NN": [unit("LDLD-NN", valid_to=date(2026, 11, 15))],  # dissolved before the deadline
    "CDCS-X": [unit("CDCS-X", "grassroots", "LDLD-TD")],  # grassroots unions do not report
    # renamed on Nov 18: messages use the name in effect on the as-of day
    "CDN-GD": [
        unit("CDN-GD", "sector", valid_to=date(2026, 11, 17), name="Công đoàn ngành Giáo dục"),
        unit("CDN-GD", "sector", valid_from=date(2026, 11, 18), name="Công đoàn ngành Giáo dục và Đào tạo"),
    ],
}


def expected(
    code: str, received: datetime | None, report_type: str = "monthly", request: str | None = None, due: datetime = DUE
) -> ExpectedReport:
    u = UNITS[code][0]
    return ExpectedReport(code, u.unit_name, u.unit_type, u.parent_code, NOV, report_type, request, due, received)


# What the mart holds after a build as of Nov 30 (the guard drops units that owe nothing even if listed).
MART = [
    expected("LDLD-TD", at(15)),  # on time before the reminder day: never chased
    expected("LDLD-PT", at(18)),  # reminded on the 17th, then sent on time
    expected("LDLD-SH", at(22, 14)),  # late: reminder, late notice, acknowledgement on the 22nd
    expected("CDVC", None),  # never sent: reminder, late notice, escalation on the 24th
    expected("CDN-GD", None),
    expected("LDLD-MT", None),
    expected("LDLD-NN", None),
    expected("CDCS-X", None),
    expected("LDLD-SH", None, "ad_hoc", "DX-01", ADHOC_DUE),  # ad-hoc with its own deadline
]


@pytest.fixture()
def cfg(monkeypatch):
    for name in ("DLXH_ALERT_REMIND_DAYS", "DLXH_ALERT_ESCALATE_DAYS", "DLXH_ALERT_OPEN_DAYS", "DLXH_ALERT_CHANNELS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DLXH_OFFICE_EMAIL", "bantuyengiao@example.vn")
    return load_alert_config(load_settings())


def replay(cfg, first: int, last: int, mart=MART) -> dict[tuple, int]:
    """Day on which each (rule, unit, type, recipient) alert is first due, as an idempotent log would keep it."""
    first_day: dict[tuple, int] = {}
    for day in range(first, last + 1):
        for a in plan(mart, UNITS, date(2026, 11, day), cfg):
            first_day.setdefault((a.rule_key, a.unit_code, a.type_key, a.recipient.key), day)
    return first_day


def test_calendar_days_of_the_rules():
    assert reminder_day(DUE, 3) == date(2026, 11, 17)
    assert late_day(DUE) == date(2026, 11, 20)  # due 00:00 on the 20th: late from the 20th
    assert reminder_day(ADHOC_DUE, 3) == date(2026, 11, 22)
    assert late_day(ADHOC_DUE) == date(2026, 11, 26)  # due 17:00 on the 25th: late notice on the 26th


def test_replay_14_to_27_plans_each_alert_on_its_day(cfg):
    got = {k: v for k, v in replay(cfg, 14, 27).items() if not k[0].startswith("digest")}
    assert got == {
        ("reminder", "LDLD-PT", "monthly", "unit:LDLD-PT"): 17,
        ("reminder", "LDLD-SH", "monthly", "unit:LDLD-SH"): 17,
        ("reminder", "CDVC", "monthly", "unit:CDVC"): 17,
        ("reminder", "CDN-GD", "monthly", "unit:CDN-GD"): 17,
        ("late", "LDLD-SH", "monthly", "unit:LDLD-SH"): 20,
        ("late", "CDVC", "monthly", "unit:CDVC"): 20,
        ("late", "CDN-GD", "monthly", "unit:CDN-GD"): 20,
        ("ack", "LDLD-SH", "monthly", "unit:LDLD-SH"): 22,
        ("escalation", "CDVC", "monthly", "office"): 24,
        ("escalation", "CDVC", "monthly", "unit:LDLD-TINH"): 24,
        ("escalation", "CDN-GD", "monthly", "office"): 24,
        ("escalation", "CDN-GD", "monthly", "unit:LDLD-TINH"): 24,
        ("reminder", "LDLD-SH", "ad_hoc:DX-01", "unit:LDLD-SH"): 22,
        ("late", "LDLD-SH", "ad_hoc:DX-01", "unit:LDLD-SH"): 26,
    }
    digests = {k[0] for k in replay(cfg, 14, 27) if k[0].startswith("digest")}
    assert digests == {f"digest:2026-11-{d}" for d in range(17, 28)}  # one a day while a period is open


def test_status_depends_on_the_as_of_day_not_on_the_build(cfg):
    """A report received on the 22nd does not exist yet on the 17th, 20th or 21st."""
    day21 = plan(MART, UNITS, date(2026, 11, 21), cfg)
    assert {(a.rule, a.unit_code) for a in day21 if a.type_key == "monthly" and a.rule == "late"} == {
        ("late", "LDLD-SH"),
        ("late", "CDVC"),
        ("late", "CDN-GD"),
    }
    day22 = plan(MART, UNITS, date(2026, 11, 22), cfg)
    assert ("ack", "LDLD-SH") in {(a.rule, a.unit_code) for a in day22}
    assert ("late", "LDLD-SH") not in {(a.rule, a.unit_code) for a in day22 if a.type_key == "monthly"}


def test_missed_days_are_caught_up(cfg):
    """If the scheduler did not run on the 17th, the reminder goes out on the next run before the deadline."""
    got = replay(cfg, 18, 19)
    assert got[("reminder", "CDVC", "monthly", "unit:CDVC")] == 18
    assert ("reminder", "LDLD-PT", "monthly", "unit:LDLD-PT") not in got  # it had reported on the 18th


def test_digest_groups_missing_late_and_pending(cfg):
    digest = next(a for a in plan(MART, UNITS, date(2026, 11, 24), cfg) if a.rule == "digest")
    assert digest.unit_code == "*" and digest.rule_key == "digest:2026-11-24" and digest.recipient.key == "office"
    monthly, adhoc = digest.context["periods"]
    assert monthly["period"] == "tháng 11/2026" and monthly["deadline"] == "00:00 ngày 20/11/2026"
    assert [u["unit_code"] for u in monthly["missing"]] == ["CDN-GD", "CDVC"]
    assert all(u["escalated"] and u["days_late"] == 5 for u in monthly["missing"])
    assert [(u["unit_code"], u["days_late"]) for u in monthly["late"]] == [("LDLD-SH", 3)]
    assert monthly["expected"] == 5 and monthly["on_time"] == 2
    assert [u["unit_code"] for u in adhoc["pending"]] == ["LDLD-SH"] and adhoc["deadline"] == "17:00 ngày 25/11/2026"


def test_renamed_unit_is_named_as_on_the_as_of_day(cfg):
    def name_on(day: int) -> str:
        a = next(a for a in plan(MART, UNITS, date(2026, 11, day), cfg) if a.unit_code == "CDN-GD")
        return a.context["unit_name"]

    assert name_on(17) == "Công đoàn ngành Giáo dục"
    assert name_on(20) == "Công đoàn ngành Giáo dục và Đào tạo"


def test_settings_change_the_rules(monkeypatch):
    monkeypatch.setenv("DLXH_ALERT_REMIND_DAYS", "5")
    monkeypatch.setenv("DLXH_ALERT_ESCALATE_DAYS", "2")
    monkeypatch.setenv("DLXH_ALERT_OPEN_DAYS", "3")
    cfg = load_alert_config(load_settings())
    got = replay(cfg, 10, 27)
    assert got[("reminder", "CDVC", "monthly", "unit:CDVC")] == 15
    assert got[("escalation", "CDVC", "monthly", "office")] == 21
    # the monthly period closes 3 days after its deadline: nothing about it from the 23rd on
    assert all(v < 23 for k, v in got.items() if k[2] == "monthly")
    digest23 = next(a for a in plan(MART, UNITS, date(2026, 11, 23), cfg) if a.rule == "digest")
    assert [p["title"] for p in digest23.context["periods"]] == ["Báo cáo đột xuất (yêu cầu DX-01) tháng 11/2026"]
