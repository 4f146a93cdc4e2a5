"""Hot-spot cases end to end: a spike of negative scanned items (real registry and scan ingest, real
dbt build) opens one case with its scenario and severity; the owner is told with signed links; an
overdue step escalates once however often the day is replayed; ack and resolve work through the
CLI and through the real local endpoint; forged or reused links are refused; a recurrence after
resolution reopens the case; replays change nothing; BI sees it all in marts.fct_hot_spot_case."""

from __future__ import annotations

import csv
import io
import os
import re
import socket
import stat
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from ingestion.framework import run_ingest
from ingestion.scans.source import ScansSource
from ingestion.units.source import UnitsSource
from tests.test_scans_fixtures import REPUTA_HEADERS

ROOT = Path(__file__).resolve().parent.parent
DLXH = ROOT / ".venv" / "bin" / "dlxh"
DEFAULT_TOML = ROOT / "dlxh" / "core" / "config" / "defaults" / "hot_spot_scenarios.toml"
SEPT, OCT = date(2025, 9, 1), date(2025, 10, 1)
LIKES, SHARES, COMMENTS = 100, 20, 30
SPIKE = 8


def _item(n: str, month: date, day: int = 10) -> list[str]:
    text = f"Công nhân công ty may ở huyện Tam Đường phản ánh bị nợ lương, chậm lương nhiều tháng (bài {n})."
    stamp = f"{day:02d}/{month.month:02d}/{month.year} 09:00"
    return [
        f"https://facebook.com/groups/cn/posts/{n}",
        "Facebook",
        stamp,
        stamp,
        "",
        text,
        f"@tk{n}",
        str(LIKES),
        str(SHARES),
        str(COMMENTS),
        "500",
        "Tiêu cực",
        "",
        "Tam Đường",
    ]


def _scans_csv(path: Path, rows: list[list[str]]) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(REPUTA_HEADERS)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))
    return path


def _q(conn, sql: str, params=()) -> list[tuple]:
    with conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(DLXH), *args], capture_output=True, text=True, env=os.environ.copy(), timeout=300)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _expected_severity(negative: int, baseline: float, engagement: int, mean_sentiment: float, units: int, flagged: bool) -> str:
    """Independent reading of the shipped rules (tomllib, not the code under test)."""
    doc = tomllib.loads(DEFAULT_TOML.read_text(encoding="utf-8"))
    sev = doc["severity"]
    values = {
        "flagged_by_unit": 1 if flagged else 0,
        "spike_ratio": negative / max(baseline, sev["baseline_floor"]),
        "negative_signals": negative,
        "units_on_topic": units,
        "engagement": engagement,
        "negative_sentiment": -mean_sentiment,
    }
    points = sum(r["points"] for r in sev["rules"] if values[r["factor"]] >= r["at_least"])
    return [lv["code"] for lv in sev["levels"] if points >= lv["min_points"]][-1]


@pytest.fixture(scope="module")
def conn(module_warehouse):
    return module_warehouse


@pytest.fixture(scope="module")
def port():
    value = str(_free_port())
    old = os.environ.get("DLXH_HOTSPOT_PORT")
    os.environ["DLXH_HOTSPOT_PORT"] = value  # links in alerts point at the endpoint the tests start
    yield int(value)
    if old is None:
        os.environ.pop("DLXH_HOTSPOT_PORT", None)
    else:
        os.environ["DLXH_HOTSPOT_PORT"] = old


@pytest.fixture(scope="module")
def built(conn, port, warehouse_target, tmp_path_factory):
    from dlxh.build import build

    folder = tmp_path_factory.mktemp("hotspot-inputs")
    units = folder / "units.csv"
    units.write_text(
        "Mã đơn vị,Tên đơn vị,Loại đơn vị,Đơn vị cấp trên,Hiệu lực từ,Email\n"
        "LDLD-TINH,Liên đoàn Lao động tỉnh Lai Châu,tỉnh,,2000-01-01,\n"
        "LDLD-TD,Liên đoàn Lao động huyện Tam Đường,huyện,LDLD-TINH,2000-01-01,ldld.tamduong@example.vn\n"
        "LDLD-PT,Liên đoàn Lao động huyện Phong Thổ,huyện,LDLD-TINH,2000-01-01,\n",
        encoding="utf-8",
    )
    run_ingest(UnitsSource(), [units], conn, progress=None)
    quiet = [_item(f"q{m}", date(2025, m, 1)) for m in range(3, 9)]  # one negative item a month, March..August
    spike = [_item(f"s{j}", SEPT, 10 + j) for j in range(SPIKE)]
    run_ingest(ScansSource(tool="reputa"), [_scans_csv(folder / "scan-sept.csv", quiet + spike)], conn, progress=None)
    build(as_of=date(2025, 9, 30), full_refresh=True)
    return folder


def _cases(conn) -> list[tuple]:
    return _q(
        conn,
        "select case_id, unit_code, topic_code, status, severity, scenario_code, scenario_version, owner_kind, owner_email, cycle "
        "from ops.hot_spot_cases order by case_id",
    )


def _alerts(conn, rule_prefix: str) -> list[tuple]:
    return _q(
        conn, "select rule, recipient, channel, body_text from ops.alert_log where rule like %s order by alert_id", (rule_prefix + "%",)
    )


def _snapshot(conn) -> tuple:
    return (
        _q(conn, "select * from ops.hot_spot_cases order by case_id"),
        _q(conn, "select hot_spot_key, case_id, period_month, severity from ops.hot_spot_case_hot_spots order by 1"),
        _q(conn, "select case_id, cycle, step_code, due_at, escalated_at from ops.hot_spot_case_steps order by 1, 2, 3"),
        _q(
            conn, "select case_id, event_key, kind, from_status, to_status, actor, note, at from ops.hot_spot_case_events order by event_id"
        ),
        _q(
            conn,
            "select unit_code, period_month, report_type, rule, recipient, channel, status, subject from ops.alert_log order by alert_id",
        ),
    )


def test_spike_opens_one_case_with_its_scenario_and_severity(built, conn, warehouse_target):
    from hotspots.cases import sync_cases

    hot = _q(
        conn,
        "select unit_code, topic_code, period_month, negative_signals, baseline_negative_signals, mean_sentiment from marts.mart_hot_spots",
    )
    assert [(u, t, m, n) for u, t, m, n, _b, _s in hot] == [("LDLD-TD", "T11", SEPT, SPIKE)]
    _u, _t, _m, negative, baseline, mean = hot[0]
    expected_level = _expected_severity(negative, float(baseline), SPIKE * (LIKES + SHARES + COMMENTS), float(mean), 1, False)

    result = sync_cases(date(2025, 9, 30), target=warehouse_target)
    assert len(result.opened) == 1 and not result.joined and not result.reopened
    doc = tomllib.loads(DEFAULT_TOML.read_text(encoding="utf-8"))
    t11 = [s["code"] for s in doc["scenarios"] if "T11" in s["topics"]]
    [(case_id, unit, topic, status, level, scenario, version, owner_kind, owner_email, cycle)] = _cases(conn)
    assert (unit, topic, status, level, cycle) == ("LDLD-TD", "T11", "new", expected_level, 0)
    assert [scenario] == t11 and version == doc["version"]
    assert (owner_kind, owner_email) == ("unit", "ldld.tamduong@example.vn")
    steps = [
        s
        for s in next(s for s in doc["scenarios"] if s["code"] == scenario)["steps"]
        if "min_severity" not in s
        or [lv["code"] for lv in doc["severity"]["levels"]].index(s["min_severity"])
        <= [lv["code"] for lv in doc["severity"]["levels"]].index(expected_level)
    ]
    assert _q(conn, "select step_code from ops.hot_spot_case_steps where case_id = %s order by step_no", (case_id,)) == [
        (s["code"],) for s in steps
    ]
    opened = _alerts(conn, "hotspot_opened")
    assert [(r, rcpt, ch) for r, rcpt, ch, _ in opened] == [(f"hotspot_opened:{case_id}:0", "unit:LDLD-TD", "log")]
    body = opened[0][3]
    assert "Tâm tư, bức xúc của đoàn viên, người lao động" in body and "Xác nhận đã tiếp nhận" in body
    assert f"http://127.0.0.1:{os.environ['DLXH_HOTSPOT_PORT']}/hotspots/{case_id}/ack?exp=" in body
    secret = Path(os.environ["DLXH_HOME"]) / "hotspot-link-secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600


def test_replaying_everything_twice_changes_nothing(built, conn, warehouse_target):
    from dlxh.build import build
    from hotspots.cases import sync_cases

    before = _snapshot(conn)
    for _ in range(2):
        build(as_of=date(2025, 9, 30))
        again = sync_cases(date(2025, 9, 30), target=warehouse_target)
        assert not (again.opened or again.joined or again.reopened or again.escalated) and again.alerts_new == 0
    assert _snapshot(conn) == before


def test_an_overdue_step_escalates_once_across_replays(built, conn, warehouse_target):
    from hotspots.cases import sync_cases

    [(case_id, *_)] = _cases(conn)
    first_due = _q(conn, "select step_code, due_at from ops.hot_spot_case_steps where case_id = %s order by step_no", (case_id,))
    # 2 October: the first step (24 hours) is overdue, the second (3 days) not yet.
    for _ in range(3):
        sync_cases(date(2025, 10, 2), target=warehouse_target)
    escalations = _alerts(conn, "hotspot_escalation")
    assert [r for r, *_ in escalations] == [f"hotspot_escalation:{case_id}:0:{first_due[0][0]}"]
    assert "quá hạn" in escalations[0][3] and escalations[0][1] == "office"
    for _ in range(2):
        sync_cases(date(2025, 10, 4), target=warehouse_target)
    assert sorted(r for r, *_ in _alerts(conn, "hotspot_escalation")) == sorted(
        f"hotspot_escalation:{case_id}:0:{code}" for code, _ in first_due
    )
    kinds = _q(conn, "select kind, count(*) from ops.hot_spot_case_events where case_id = %s group by 1 order by 1", (case_id,))
    assert dict(kinds)["escalated"] == len(first_due)
    digests = _alerts(conn, "hotspot_digest")
    assert [r for r, *_ in digests] == ["hotspot_digest:2025-09-30", "hotspot_digest:2025-10-02", "hotspot_digest:2025-10-04"]
    assert f"#{case_id} Liên đoàn Lao động huyện Tam Đường" in digests[-1][3] and "mở 4 ngày" in digests[-1][3]


@pytest.fixture(scope="module")
def server(built, port):
    import psutil

    env = os.environ.copy()
    env.pop("DLXH_HOTSPOT_BIND", None)  # the default
    proc = subprocess.Popen(
        [sys.executable, "-m", "dlxh.cli", "hotspots", "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    listening = []
    while time.monotonic() < deadline and not listening:
        if proc.poll() is not None:
            pytest.fail(f"dlxh hotspots serve exited: {proc.stderr.read()}")
        listening = [c for c in psutil.Process(proc.pid).net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
        time.sleep(0.2)
    assert listening, "the endpoint never listened"
    yield proc, listening
    proc.terminate()
    proc.wait(timeout=20)


def _link(conn, rule: str, action: str) -> str:
    body = next(b for r, _rc, _ch, b in _alerts(conn, rule))
    return re.search(rf"http://\S+/hotspots/\d+/{action}\?exp=\d+(?:&cyc=\d+)?&sig=[0-9a-f]+", body).group(0)


def _request(url: str, method: str = "POST") -> tuple[int, str]:
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_endpoint_listens_on_loopback_by_default(server, port):
    _proc, listening = server
    assert {(c.laddr.ip, c.laddr.port) for c in listening} == {("127.0.0.1", port)}


def test_ack_through_the_cli_and_resolve_through_the_link(server, conn):
    [(case_id, *_)] = _cases(conn)
    done = _cli("hotspots", "ack", str(case_id), "--by", "Nguyễn Văn An", "--note", "Đã cử cán bộ xuống doanh nghiệp")
    assert done.returncode == 0, done.stderr
    assert "mới → đang xử lý" in done.stdout
    again = _cli("hotspots", "ack", str(case_id))
    assert again.returncode == 1 and "đang xử lý" in again.stderr

    resolve = _link(conn, f"hotspot_opened:{case_id}:0", "resolve")
    assert _request(resolve, "GET")[0] == 200  # a confirmation page: changes nothing
    assert _cases(conn)[0][3] == "in_progress"
    status, page = _request(resolve)
    assert status == 200 and "đã xử lý" in page
    assert _cases(conn)[0][3] == "resolved"
    shown = _cli("hotspots", "show", str(case_id))
    assert shown.returncode == 0 and "Trạng thái: đã xử lý" in shown.stdout
    assert "Nguyễn Văn An" in shown.stdout and "qua liên kết" in shown.stdout
    listed = _cli("hotspots", "list")
    assert f"#{case_id}" in listed.stdout and "[đã xử lý]" in listed.stdout


def test_links_cannot_be_forged_or_reused(server, conn):
    [(case_id, *_)] = _cases(conn)
    resolve = _link(conn, f"hotspot_opened:{case_id}:0", "resolve")
    ack = _link(conn, f"hotspot_opened:{case_id}:0", "ack")
    exp = int(re.search(r"exp=(\d+)", resolve).group(1))
    sig = re.search(r"sig=([0-9a-f]+)", resolve).group(1)
    forged = [
        resolve.replace(f"/hotspots/{case_id}/", f"/hotspots/{case_id + 1}/"),
        resolve.replace("/resolve?", "/ack?"),
        resolve.replace(f"exp={exp}", f"exp={exp + 3600}"),
        resolve.replace(sig, ("0" if sig[0] != "0" else "1") + sig[1:]),
        resolve.split("&sig=")[0],
    ]
    for url in forged:
        assert _request(url)[0] == 403, url
        assert _request(url, "GET")[0] == 403, url
    assert _request(resolve)[0] == 410  # used by the previous test
    assert _request(ack)[0] == 409  # valid and unused, but the case is resolved already
    assert _q(conn, "select status from ops.hot_spot_cases where case_id = %s", (case_id,)) == [("resolved",)]


def test_a_recurrence_reopens_the_case(server, conn, warehouse_target, built):
    from dlxh.build import build
    from hotspots.cases import sync_cases

    [(case_id, *_)] = _cases(conn)
    october = [_item(f"o{j}", OCT, 5 + j) for j in range(SPIKE)]
    run_ingest(ScansSource(tool="reputa"), [_scans_csv(built / "scan-oct.csv", october)], conn, progress=None)
    build(as_of=date(2025, 10, 31))
    assert _q(conn, "select count(*) from marts.mart_hot_spots where period_month = %s", (OCT,)) == [(1,)]
    result = sync_cases(date(2025, 10, 31), target=warehouse_target)
    assert result.reopened == [case_id] and not result.opened
    [(_id, _u, _t, status, *_rest, cycle)] = _cases(conn)
    assert (status, cycle) == ("new", 1)
    assert _q(conn, "select count(*) from ops.hot_spot_case_events where case_id = %s and kind = 'reopened'", (case_id,)) == [(1,)]
    assert "mở lại" in _alerts(conn, f"hotspot_opened:{case_id}:1")[0][3]

    status, _page = _request(_link(conn, f"hotspot_opened:{case_id}:1", "ack"))
    assert status == 200 and _cases(conn)[0][3] == "in_progress"
    done = _cli("hotspots", "resolve", str(case_id), "--note", "Doanh nghiệp đã trả đủ lương")
    assert done.returncode == 0 and "đang xử lý → đã xử lý" in done.stdout

    before = _snapshot(conn)
    for _ in range(2):
        sync_cases(date(2025, 10, 31), target=warehouse_target)
    assert _snapshot(conn) == before


def test_bi_sees_the_case(server, conn):
    from dlxh.build import build

    build(as_of=date(2025, 10, 31), select="fct_hot_spot_case")
    [(case_id, *_)] = _cases(conn)
    rows = _q(
        conn,
        """select case_id, unit_code, topic_code, opened_month, status, status_vi, times_reopened, hot_spots,
                              hours_to_acknowledge is not null, hours_to_resolve is not null, scenario_version
                       from marts.fct_hot_spot_case""",
    )
    version = tomllib.loads(DEFAULT_TOML.read_text(encoding="utf-8"))["version"]
    assert rows == [(case_id, "LDLD-TD", "T11", SEPT, "resolved", "đã xử lý", 1, 2, True, True, version)]
    assert _q(conn, "select has_table_privilege('bi_reader', 'marts.fct_hot_spot_case', 'select')") == [(True,)]


def test_a_scenario_with_an_unknown_topic_is_a_config_error(tmp_path):
    folder = tmp_path / "config"
    folder.mkdir()
    text = DEFAULT_TOML.read_text(encoding="utf-8").replace('topics = ["T07"]', 'topics = ["T07", "T99"]')
    (folder / "hot_spot_scenarios.toml").write_text(text, encoding="utf-8")
    env = {**os.environ, "DLXH_CONFIG_DIR": str(folder)}
    proc = subprocess.run([str(DLXH), "config", "check"], capture_output=True, text=True, env=env, timeout=120)
    line = text[: text.index('"T99"')].count("\n") + 1
    assert proc.returncode == 2
    assert f"hot_spot_scenarios.toml, line {line}, field scenarios[" in proc.stderr and "'T99'" in proc.stderr


# -- follow-through after the first case's story: join, GET-only confirmation, expiry, close, the office ----------
NOV, DEC, JAN = date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1)


def _spike(built, conn, name: str, rows: list[list[str]], as_of: date) -> None:
    from dlxh.build import build

    run_ingest(ScansSource(tool="reputa"), [_scans_csv(built / name, rows)], conn, progress=None)
    assert build(as_of=as_of).ok


def _place(row: list[str], place: str) -> list[str]:
    """The item placed in `place` (its text names the place too), or nowhere (place "")."""
    text = row[5].replace(" ở huyện Tam Đường", f" ở huyện {place}" if place else "")
    return row[:5] + [text] + row[6:-1] + [place]


def test_ack_link_get_only_confirms_then_a_hot_spot_joins_the_open_case(server, conn, warehouse_target, built):
    from hotspots.cases import sync_cases

    [(case_id, *_)] = _cases(conn)
    _spike(built, conn, "scan-nov.csv", [_item(f"n{j}", NOV, 3 + j) for j in range(SPIKE)], date(2025, 11, 30))
    from datetime import datetime, timedelta

    from dlxh.core.calendar import LOCAL
    from hotspots.links import make_link

    assert sync_cases(date(2025, 11, 30), target=warehouse_target).reopened == [case_id]
    # The reopened cycle's notice carries a link of its own (the cycle is signed), though its expiry
    # hour is the one of cycle 1's link, used by the previous test.
    ack = _link(conn, f"hotspot_opened:{case_id}:2", "ack")
    assert ack and "cyc=" in ack
    assert ack != make_link(case_id, "ack", datetime.now(LOCAL).replace(microsecond=0) + timedelta(days=2))
    uses = _q(conn, "select count(*) from ops.hot_spot_link_uses")
    for _ in range(2):  # a link scanner opening the link changes nothing
        status, page = _request(ack, "GET")
        assert status == 200 and 'method="post"' in page and "Đồng ý" in page
    assert _cases(conn)[0][3] == "new" and _q(conn, "select count(*) from ops.hot_spot_link_uses") == uses
    assert _request(ack)[0] == 200 and _cases(conn)[0][3] == "in_progress"

    # December: the same unit x topic again while the case is open: the hot spot joins it (no new cycle, no new case).
    # (three spikes in the six-month baseline: December needs a bigger one to stand out)
    _spike(built, conn, "scan-dec.csv", [_item(f"d{j}", DEC, 1 + j % 28) for j in range(4 * SPIKE)], date(2025, 12, 31))
    assert _q(conn, "select unit_code, topic_code from marts.mart_hot_spots where period_month = %s", (DEC,)) == [("LDLD-TD", "T11")]
    result = sync_cases(date(2025, 12, 31), target=warehouse_target)
    assert result.joined == [case_id] and not result.opened and not result.reopened
    [(_id, _u, _t, status, *_rest, cycle)] = _cases(conn)
    assert (status, cycle) == ("in_progress", 2)
    assert _q(conn, "select last_month from ops.hot_spot_cases where case_id = %s", (case_id,)) == [(DEC,)]
    assert _q(conn, "select period_month from ops.hot_spot_case_hot_spots where case_id = %s order by 1", (case_id,)) == [
        (SEPT,),
        (OCT,),
        (NOV,),
        (DEC,),
    ]
    assert not _alerts(conn, f"hotspot_opened:{case_id}:3")  # joining sends no new notice


def test_an_expired_link_is_gone_and_close_ends_the_case(server, conn):
    from datetime import UTC, datetime, timedelta

    from hotspots.links import make_link

    [(case_id, *_)] = _cases(conn)
    expired = make_link(case_id, "resolve", datetime.now(UTC) - timedelta(minutes=5))
    assert _request(expired)[0] == 410 and _request(expired, "GET")[0] == 410
    assert _cases(conn)[0][3] == "in_progress"

    done = _cli("hotspots", "close", str(case_id), "--by", "Trần Thị Bình", "--note", "Chuyển cơ quan chức năng giải quyết")
    assert done.returncode == 0, done.stderr
    assert "đang xử lý → đóng" in done.stdout
    again = _cli("hotspots", "close", str(case_id))
    assert again.returncode == 1 and "đóng" in again.stderr
    assert _q(
        conn,
        """select kind, from_status, to_status, actor, note from ops.hot_spot_case_events
                       where case_id = %s order by event_id desc limit 1""",
        (case_id,),
    ) == [("close", "in_progress", "closed", "Trần Thị Bình", "Chuyển cơ quan chức năng giải quyết")]
    assert f"#{case_id} " not in _cli("hotspots", "list").stdout
    assert f"#{case_id} " in _cli("hotspots", "list", "--all").stdout and "[đóng]" in _cli("hotspots", "list", "--all").stdout


def test_hot_spots_without_a_unit_or_its_contact_go_to_the_office_and_sync_sends_only_its_own(conn, warehouse_target, built):
    from hotspots.cases import SyncDeliveryError, sync_cases

    # January: unplaced items (no unit) and Phong Thổ's (a unit without e-mail or webhook), both spikes on T11.
    unplaced = [_place(_item(f"x{j}", JAN, 3 + j), "") for j in range(SPIKE)]
    phong_tho = [_place(_item(f"p{j}", JAN, 3 + j), "Phong Thổ") for j in range(SPIKE)]
    _spike(built, conn, "scan-jan.csv", unplaced + phong_tho, date(2026, 1, 31))
    hot = _q(conn, "select unit_code from marts.mart_hot_spots where period_month = %s order by 1 nulls last", (JAN,))
    assert hot == [("LDLD-PT",), (None,)]
    # Another alert already due in the outbox (a report reminder): sync_cases must not send it.
    other = _q(
        conn,
        """insert into ops.alert_log (unit_code, period_month, report_type, rule, recipient, channel, as_of, subject,
                                                 status, next_attempt_at)
                        values ('LDLD-PT', %s, 'monthly', 'reminder_before_due', 'unit:LDLD-PT', 'log', %s, 'Nhắc hạn',
                                'pending', now() - interval '1 hour') returning alert_id""",
        (JAN, date(2026, 1, 31)),
    )[0][0]
    smtp_port = _free_port()  # nothing listens there: every e-mail fails
    saved = {
        k: os.environ.get(k)
        for k in (
            "DLXH_ALERT_CHANNELS",
            "DLXH_SMTP_HOST",
            "DLXH_SMTP_PORT",
            "DLXH_SMTP_FROM",
            "DLXH_SMTP_SECURITY",
            "DLXH_SMTP_TIMEOUT",
            "DLXH_OFFICE_EMAIL",
        )
    }
    os.environ.update(
        {
            "DLXH_ALERT_CHANNELS": "email",
            "DLXH_SMTP_HOST": "127.0.0.1",
            "DLXH_SMTP_PORT": str(smtp_port),
            "DLXH_SMTP_FROM": "noreply@ldld.example.vn",
            "DLXH_SMTP_SECURITY": "none",
            "DLXH_SMTP_TIMEOUT": "3",
            "DLXH_OFFICE_EMAIL": "bantuyengiao@ldld.example.vn",
        }
    )
    try:
        with pytest.raises(SyncDeliveryError) as err:
            sync_cases(date(2026, 1, 31), target=warehouse_target)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    result = err.value.result
    assert len(result.opened) == 2 and result.alerts_failed > 0 and result.alerts_sent == 0
    opened = _q(
        conn,
        """select unit_code, owner_kind, owner_email from ops.hot_spot_cases
                         where opened_month = %s order by unit_code nulls last""",
        (JAN,),
    )
    assert opened == [("LDLD-PT", "office", "bantuyengiao@ldld.example.vn"), (None, "office", "bantuyengiao@ldld.example.vn")]
    for case_id in result.opened:
        assert _q(conn, "select recipient, channel, status from ops.alert_log where rule = %s", (f"hotspot_opened:{case_id}:0",)) == [
            ("bantuyengiao@ldld.example.vn", "email", "pending")
        ]
    assert _q(conn, "select status, attempts from ops.alert_log where alert_id = %s", (other,)) == [("pending", 0)]
    _q(conn, "delete from ops.alert_log where alert_id = %s returning alert_id", (other,))


def test_run_summary_counts_the_cases(conn):
    from dlxh.pipeline import summary_text

    open_, handled = _q(
        conn,
        """select count(*) filter (where status in ('new', 'in_progress')),
                                        count(*) filter (where status in ('resolved', 'closed')) from ops.hot_spot_cases""",
    )[0]
    assert (open_, handled) == (2, 1)  # January's two new cases; Tam Đường's closed one
    assert "  Vụ việc điểm nóng:     2 đang mở, 1 đã xử lý" in summary_text(date(2026, 1, 31)).splitlines()
