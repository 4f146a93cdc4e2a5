"""End to end: registry + report forms -> run_ingest -> dbt build -> run_alerts, delivered to a real
local SMTP server (aiosmtpd) and a real local HTTP server (pytest-httpserver).

Scenario, November 2026 (monthly report due 00:00 on the 20th), dbt built once as of the 27th:
  LDLD-TD  sends on the 15th (on time, never chased)
  LDLD-PT  sends on the 18th (reminded on the 17th)
  LDLD-SH  sends on the 22nd (reminder 17th, late notice 20th, acknowledgement 22nd)
  CDVC     never sends       (reminder 17th, late notice 20th, escalation 24th)
  CDN-YT   sends on the 26th (reminder, late notice, escalation 24th, acknowledgement 26th;
           it also has a Telegram-style webhook)
  LDLD-MT  created on the 10th, LDLD-NN dissolved on the 15th, CDCS-A grassroots: owe nothing.
The office gets a digest every day from the 17th (first reminder day) to the 27th.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest

from dlxh.core.calendar import LOCAL
from dlxh.demo import FORM_HEADER, REGISTRY_HEADER, _write_csv

OFFICE = "bantuyengiao@ldld.example.vn"
PARENT = "lanhdao@ldld.example.vn"
EMAIL = {code: f"{code.lower()}@ldld.example.vn" for code in ("LDLD-TD", "LDLD-PT", "LDLD-SH", "CDVC", "CDN-YT", "LDLD-MT", "LDLD-NN")}
TG_PATH = "/bot123:SECRET/sendMessage"
OFFICE_PATH = "/hooks/office"
DAYS = [date(2026, 11, d) for d in range(14, 28)]
RECEIVED = {
    "LDLD-TD": datetime(2026, 11, 15, 10, 0, tzinfo=LOCAL),
    "LDLD-PT": datetime(2026, 11, 18, 9, 30, tzinfo=LOCAL),
    "LDLD-SH": datetime(2026, 11, 22, 14, 0, tzinfo=LOCAL),
    "CDN-YT": datetime(2026, 11, 26, 9, 0, tzinfo=LOCAL),
}

# (rule, unit, recipient) -> day: every email that must arrive, exactly once.
EXPECTED_EMAIL = {
    **{("reminder", u, EMAIL[u]): 17 for u in ("LDLD-PT", "LDLD-SH", "CDVC", "CDN-YT")},
    **{("late", u, EMAIL[u]): 20 for u in ("LDLD-SH", "CDVC", "CDN-YT")},
    **{("escalation", u, to): 24 for u in ("CDVC", "CDN-YT") for to in (OFFICE, PARENT)},
    ("ack", "LDLD-SH", EMAIL["LDLD-SH"]): 22,
    ("ack", "CDN-YT", EMAIL["CDN-YT"]): 26,
    **{(f"digest:{d:%Y-%m-%d}", "*", OFFICE): d.day for d in DAYS if d.day >= 17},
}
# (rule, unit, webhook path) -> day
EXPECTED_HOOK = {
    ("reminder", "CDN-YT", TG_PATH): 17,
    ("late", "CDN-YT", TG_PATH): 20,
    ("ack", "CDN-YT", TG_PATH): 26,
    **{("escalation", u, OFFICE_PATH): 24 for u in ("CDVC", "CDN-YT")},
    **{(f"digest:{d:%Y-%m-%d}", "*", OFFICE_PATH): d.day for d in DAYS if d.day >= 17},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailSink:
    """aiosmtpd handler keeping every accepted message."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"

    def keys(self) -> Counter:
        out = Counter()
        for rcpts, msg in self.messages:
            tag = dict(part.strip().split("=", 1) for part in msg["X-DLXH-Alert"].split(";"))
            for rcpt in rcpts:
                out[(tag["rule"], tag["unit"], rcpt)] += 1
        return out


class SmtpServer:
    def __init__(self, sink: MailSink):
        self.sink, self.port, self.controller = sink, free_port(), None

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def hook_keys(httpserver) -> Counter:
    out = Counter()
    for request, _response in httpserver.log:
        body = json.loads(request.get_data(as_text=True))
        path = request.path
        if path == TG_PATH:
            assert request.args.get("chat_id") is None and body["chat_id"] == "-100123"
        subject = body["text"].split("\n", 1)[0].strip("*")
        out[(path, subject)] += 1
    return out


@pytest.fixture(scope="module")
def marts(warehouse_target, make_httpserver, tmp_path_factory):
    """Registry and forms through the real ingestion, then `dbt build` as of the 27th."""
    from dlxh.build import build
    from dlxh.core.db import connect
    from ingestion.framework import run_ingest
    from ingestion.sources import get_source
    from tests.conftest import truncate_all

    root: Path = tmp_path_factory.mktemp("alerts-inbox")
    tg = make_httpserver.url_for(TG_PATH) + "?chat_id=-100123"

    def row(code, name, utype, parent="LDLD-TINH", vfrom="2026-11-01", vto="", succ="", mail=None, hook=""):
        return [code, name, utype, parent, vfrom, vto, succ, "Văn phòng", mail if mail is not None else EMAIL.get(code, ""), hook]

    registry = [
        row("LDLD-TINH", "Liên đoàn Lao động tỉnh Lai Châu", "province", parent="", mail=PARENT),
        row("LDLD-TD", "Liên đoàn Lao động huyện Tam Đường", "district"),
        row("LDLD-PT", "Liên đoàn Lao động huyện Phong Thổ", "district"),
        row("LDLD-SH", "Liên đoàn Lao động huyện Sìn Hồ", "district"),
        row("CDVC", "Công đoàn Viên chức tỉnh Lai Châu", "civil_servants"),
        row("CDN-YT", "Công đoàn ngành Y tế tỉnh Lai Châu", "sector", hook=tg),
        row("LDLD-MT", "Liên đoàn Lao động huyện Mường Tè", "district", vfrom="2026-11-10"),
        row("LDLD-NN", "Liên đoàn Lao động huyện Nậm Nhùn", "district", vto="2026-11-15", succ="LDLD-MT"),
        row("CDCS-A", "Công đoàn cơ sở Trường THPT Tam Đường", "grassroots", parent="LDLD-TD", mail="cdcs@ldld.example.vn"),
    ]
    units = _write_csv(root / "units" / "danh_muc.csv", REGISTRY_HEADER, registry)
    forms = []
    for code, received in RECEIVED.items():
        name = next(r[1] for r in registry if r[0] == code)
        forms.append(
            _write_csv(
                root / "reports" / f"BC_{code}_2026-11.csv",
                FORM_HEADER,
                [
                    [
                        code,
                        name,
                        "2026-11",
                        "Tháng",
                        "12/BC-LĐLĐ",
                        received.strftime("%Y-%m-%d %H:%M"),
                        "T11",
                        "Người lao động phản ánh chậm lương.",
                        "Tiêu cực",
                        "Không",
                        "Doanh nghiệp khó khăn.",
                        "Có thể phát sinh tranh chấp.",
                        "Đề nghị kiểm tra, đôn đốc.",
                    ]
                ],
                mtime=received,
            )
        )
    conn = connect(warehouse_target)
    try:
        truncate_all(conn)
        for source, paths in (("units", [units]), ("reports", forms)):
            summary = run_ingest(get_source(source), paths, conn, progress=None)
            assert summary.to_json() and all(f.status == "loaded" for f in summary.files), summary.render()
    finally:
        conn.close()
    build(as_of=date(2026, 11, 27))
    return warehouse_target


@pytest.fixture()
def alert_env(marts, monkeypatch, httpserver):
    from dlxh.core.db import connect

    conn = connect(marts)
    with conn, conn.cursor() as cur:
        cur.execute("truncate ops.alert_log restart identity")
    httpserver.expect_request(TG_PATH, method="POST").respond_with_json({"ok": True, "result": {}})
    httpserver.expect_request(OFFICE_PATH, method="POST").respond_with_data("ok")
    sink = MailSink()
    smtp = SmtpServer(sink)
    smtp.start()
    for name, value in {
        "DLXH_ALERT_CHANNELS": "email,webhook",
        "DLXH_SMTP_HOST": "127.0.0.1",
        "DLXH_SMTP_PORT": str(smtp.port),
        "DLXH_SMTP_SECURITY": "none",
        "DLXH_SMTP_FROM": "LĐLĐ tỉnh Lai Châu <noreply@ldld.example.vn>",
        "DLXH_SMTP_TIMEOUT": "2",
        "DLXH_WEBHOOK_TIMEOUT": "2",
        "DLXH_OFFICE_EMAIL": OFFICE,
        "DLXH_OFFICE_WEBHOOK": httpserver.url_for(OFFICE_PATH),
        "DLXH_ALERT_RETRY_BASE_SECONDS": "0",
    }.items():
        monkeypatch.setenv(name, value)
    for name in (
        "DLXH_WEBHOOK_URL",
        "DLXH_ALERT_REMIND_DAYS",
        "DLXH_ALERT_ESCALATE_DAYS",
        "DLXH_ALERT_OPEN_DAYS",
        "DLXH_ALERT_MAX_ATTEMPTS",
    ):
        monkeypatch.delenv(name, raising=False)
    yield conn, sink, smtp
    smtp.stop()
    conn.close()


def log_rows(conn) -> list[tuple]:
    with conn, conn.cursor() as cur:
        cur.execute("select alert_id, rule, unit_code, channel, recipient, status, attempts from ops.alert_log order by alert_id")
        return cur.fetchall()


def test_replay_with_outage_then_replay_again_sends_each_alert_once(alert_env, httpserver):
    from alerts.engine import run_alerts

    conn, sink, smtp = alert_env
    outage = {date(2026, 11, 20), date(2026, 11, 21)}
    for day in DAYS:
        if day in outage:
            smtp.stop()
        elif smtp.controller is None:
            smtp.start()
        run = run_alerts(day)
        text = run.render()
        if day in outage:
            assert not run.ok and "Chưa gửi được:" in text and "không kết nối được máy chủ SMTP" in text
            assert all(a.ok for a in run.attempts if a.channel == "webhook")  # webhooks are not held up by SMTP
        else:
            assert run.ok, text
            assert not run.failed
    assert sink.keys() == Counter(EXPECTED_EMAIL.keys()), "every email arrives once, outage or not"
    hooks = hook_keys(httpserver)
    assert sum(hooks.values()) == len(EXPECTED_HOOK) and set(hooks.values()) == {1}
    # emails planned during the outage were retried and went out on the 22nd
    with conn, conn.cursor() as cur:
        cur.execute("""select rule, unit_code, as_of, attempts, sent_at is not null, last_error is not null
                       from ops.alert_log where channel = 'email' and as_of in ('2026-11-20', '2026-11-21') order by alert_id""")
        late_rows = cur.fetchall()
    assert {(r[0], r[1]) for r in late_rows} == {
        ("late", "LDLD-SH"),
        ("late", "CDVC"),
        ("late", "CDN-YT"),
        ("digest:2026-11-20", "*"),
        ("digest:2026-11-21", "*"),
    }
    assert all(r[4] and r[5] and r[3] >= 2 for r in late_rows)
    # the day each alert was first planned is the day the rules say
    with conn, conn.cursor() as cur:
        cur.execute("select rule, unit_code, recipient, channel, as_of from ops.alert_log")
        planned = {(r, u, to): d.day for r, u, to, ch, d in cur.fetchall() if ch == "email"}
    assert planned == EXPECTED_EMAIL

    before = log_rows(conn)
    sent_mail, sent_hooks = len(sink.messages), len(httpserver.log)
    for day in DAYS:  # replay every day again: nothing new
        run = run_alerts(day)
        assert run.ok and not run.new and not run.attempts, run.render()
    assert log_rows(conn) == before and all(r[5] == "sent" for r in before)
    assert len(sink.messages) == sent_mail and len(httpserver.log) == sent_hooks


def test_email_content_vietnamese_mime(alert_env):
    from alerts.engine import run_alerts

    conn, sink, _ = alert_env
    assert run_alerts(date(2026, 11, 24)).ok
    by_key = {(dict(p.strip().split("=", 1) for p in m["X-DLXH-Alert"].split(";"))["rule"], r[0]): m for r, m in sink.messages}
    late = by_key[("late", EMAIL["CDVC"])]
    assert (
        late["Subject"] == "[Quá hạn] Công đoàn Viên chức tỉnh Lai Châu chưa nộp Báo cáo tình hình tư tưởng, dư luận xã hội tháng 11/2026"
    )
    body = late.get_body(("plain",)).get_content()
    assert "00:00 ngày 20/11/2026" in body and "5 ngày" in body and OFFICE in body
    assert late.get_body(("html",)).get_content_charset() == "utf-8"
    esc = by_key[("escalation", PARENT)]
    assert esc["To"].addresses[0].display_name == "Liên đoàn Lao động tỉnh Lai Châu"
    digest = by_key[("digest:2026-11-24", OFFICE)].get_body(("plain",)).get_content()
    assert "Công đoàn Viên chức tỉnh Lai Châu (CDVC): quá hạn 5 ngày — đã báo cáo cấp trên" in digest
    assert "Liên đoàn Lao động huyện Sìn Hồ (LDLD-SH): nhận lúc 14:00 ngày 22/11/2026, muộn 3 ngày" in digest
    assert "Mường Tè" not in digest and "Nậm Nhùn" not in digest and "CDCS-A" not in digest


def test_dry_run_prints_what_and_why_and_writes_nothing(alert_env, httpserver):
    from alerts.engine import run_alerts

    conn, sink, _ = alert_env
    run = run_alerts(date(2026, 11, 24), dry_run=True)
    text = run.render()
    assert run.ok and "CHẠY THỬ" in text
    assert f"[email] báo cáo cấp trên → {PARENT} (Liên đoàn Lao động tỉnh Lai Châu)" in text
    assert "Lý do: quá hạn 5 ngày (ngưỡng báo cáo cấp trên: 5 ngày), đơn vị chưa nộp" in text
    assert "Tiêu đề: [Tổng hợp 24/11/2026]" in text and "SECRET" not in text
    assert log_rows(conn) == [] and sink.messages == [] and len(httpserver.log) == 0
    # after a real run the dry run has nothing new to send
    assert run_alerts(date(2026, 11, 24)).ok
    again = run_alerts(date(2026, 11, 24), dry_run=True)
    assert again.new == [] and len(again.skipped) == len(run.new)


def test_concurrent_runs_send_once(alert_env, httpserver):
    from alerts.engine import run_alerts

    conn, sink, _ = alert_env
    results, errors = [], []

    def go():
        try:
            results.append(run_alerts(date(2026, 11, 24)))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and all(r.ok for r in results)
    keys = sink.keys()
    assert keys and set(keys.values()) == {1}
    assert sum(len(r.sent) for r in results) == len(log_rows(conn)) == len(keys) + len(httpserver.log)


def test_backoff_and_give_up(alert_env, monkeypatch):
    import time

    from alerts.engine import run_alerts

    conn, sink, smtp = alert_env
    monkeypatch.setenv("DLXH_ALERT_RETRY_BASE_SECONDS", "1")
    smtp.stop()
    first = run_alerts(date(2026, 11, 17))
    assert not first.ok and all(not a.ok for a in first.attempts if a.channel == "email")
    smtp.start()
    second = run_alerts(date(2026, 11, 17))  # the retry is not due yet: nothing sent, still not ok
    assert not second.ok and not [a for a in second.attempts if a.channel == "email"] and second.waiting
    time.sleep(1.2)
    third = run_alerts(date(2026, 11, 17))
    assert third.ok and sum(1 for a in third.sent if a.channel == "email") == len(sink.messages) > 0
    assert all(a.attempts == 2 and a.as_of == date(2026, 11, 17) for a in third.sent)

    monkeypatch.setenv("DLXH_ALERT_MAX_ATTEMPTS", "1")
    smtp.stop()
    gave_up = run_alerts(date(2026, 11, 20))
    assert not gave_up.ok and all(a.gave_up for a in gave_up.failed) and "cần xử lý" in gave_up.render()
    with conn, conn.cursor() as cur:
        cur.execute("select count(*) from ops.alert_log where status = 'failed' and next_attempt_at is null and last_error <> ''")
        assert cur.fetchone()[0] == len(gave_up.failed) > 0


def test_webhook_server_error_is_retried_and_delivered_once(alert_env, httpserver):
    from alerts.engine import run_alerts

    conn, _sink, _ = alert_env
    # The office's chat server answers 503 once (a one-shot handler wins over the permanent one).
    httpserver.expect_oneshot_request(OFFICE_PATH, method="POST").respond_with_data("maintenance", status=503)
    first = run_alerts(date(2026, 11, 24))
    assert not first.ok
    failed = [a for a in first.failed if a.channel == "webhook"]
    assert len(failed) == 1
    with conn, conn.cursor() as cur:
        cur.execute("select status, attempts, last_error from ops.alert_log where channel = 'webhook' and status <> 'sent'")
        pending = cur.fetchall()
    assert len(pending) == 1 and pending[0][0] == "pending" and pending[0][1] == 1 and "503" in pending[0][2]
    second = run_alerts(date(2026, 11, 24))  # retry delay is 0 in this fixture: due now
    assert second.ok and [a.channel for a in second.sent] == ["webhook"]
    delivered = Counter()
    for request, response in httpserver.log:
        if response.status_code == 200:
            body = json.loads(request.get_data(as_text=True))
            delivered[(request.path, body["text"])] += 1
    assert delivered and set(delivered.values()) == {1}
    assert run_alerts(date(2026, 11, 24)).ok and not run_alerts(date(2026, 11, 24)).sent


def _private_ca_and_server_cert(folder: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate for 127.0.0.1 signed by it (openssl CLI)."""
    import subprocess

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=DLXH test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (folder / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    run(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    )
    return folder / "ca.pem", folder / "server.pem", folder / "server.key"


class _TlsMailServer:
    """A real aiosmtpd server with a certificate from a throw-away CA and LOGIN/PLAIN auth:
    implicit TLS (SMTPS, port 465 style) or STARTTLS required before AUTH."""

    USER, PASSWORD = "vanphong", "mật-khẩu"

    def __init__(self, folder: Path, *, implicit: bool):
        import ssl

        from aiosmtpd.controller import Controller

        self.ca, cert, key = _private_ca_and_server_cert(folder)
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(cert, key)
        self.logins: list[bytes] = []
        self.sink = MailSink()
        self.port = free_port()
        if implicit:  # the listening socket itself is TLS; AUTH is inside the encrypted session
            tls_options = {"ssl_context": tls, "auth_require_tls": False}
        else:
            tls_options = {"tls_context": tls, "require_starttls": True, "auth_require_tls": True}
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port, authenticator=self._authenticate, **tls_options)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (self.USER.encode(), self.PASSWORD.encode())
        if ok:
            self.logins.append(auth_data.login)
        return AuthResult(success=ok)

    def env(self, security: str) -> dict[str, str]:
        return {
            "DLXH_SMTP_PORT": str(self.port),
            "DLXH_SMTP_SECURITY": security,
            "DLXH_SMTP_USER": self.USER,
            "DLXH_SMTP_PASSWORD": self.PASSWORD,
            "DLXH_ALERT_CHANNELS": "email",
        }


def _tls_delivery(alert_env, monkeypatch, tmp_path, *, implicit: bool) -> _TlsMailServer:
    """Untrusted certificate: refused, nothing marked sent; trusted private CA: delivered once."""
    from alerts.engine import run_alerts

    conn, _sink, plain = alert_env
    plain.stop()
    server = _TlsMailServer(tmp_path, implicit=implicit)
    server.controller.start()
    try:
        for name, value in server.env("ssl" if implicit else "starttls").items():
            monkeypatch.setenv(name, value)
        refused = run_alerts(date(2026, 11, 17))
        assert not refused.ok and not refused.sent and not server.sink.messages and not server.logins
        assert any("CERTIFICATE_VERIFY_FAILED" in (a.error or "") or "certificate" in (a.error or "").lower() for a in refused.failed)
        monkeypatch.setenv("DLXH_SMTP_CA_FILE", str(server.ca))
        delivered = run_alerts(date(2026, 11, 17))
        assert delivered.ok and len(delivered.sent) == len(server.sink.messages) > 0 and server.logins
    finally:
        server.controller.stop()
    with conn, conn.cursor() as cur:
        cur.execute("select count(*) from ops.alert_log where channel = 'email' and status <> 'sent'")
        assert cur.fetchone()[0] == 0
    return server


def test_starttls_with_login_against_a_real_tls_server(alert_env, monkeypatch, tmp_path):
    _tls_delivery(alert_env, monkeypatch, tmp_path, implicit=False)


def test_implicit_tls_smtps_against_a_real_tls_server(alert_env, monkeypatch, tmp_path):
    """DLXH_SMTP_SECURITY=ssl (port 465 style): TLS from the first byte, then AUTH inside it."""
    server = _tls_delivery(alert_env, monkeypatch, tmp_path, implicit=True)
    subjects = {m["Subject"] for _, m in server.sink.messages}
    assert any(s.startswith("[Nhắc hạn] Báo cáo tình hình tư tưởng") for s in subjects), subjects  # Vietnamese survives TLS
