"""Alert texts: Vietnamese from the Jinja templates, UTF-8 MIME email, webhook bodies per style."""

from __future__ import annotations

import email
import email.policy
import unicodedata
from datetime import date

import pytest

from alerts.channels import build_email, mask_url, webhook_target
from alerts.config import load_alert_config
from alerts.templating import render
from dlxh.core.settings import load_settings

BASE = {
    "unit_code": "LDLD-TD",
    "unit_name": "Liên đoàn Lao động huyện Tam Đường <Lai Châu>",
    "report_type": "monthly",
    "request_code": None,
    "period": "tháng 11/2026",
    "report_title": "Báo cáo tình hình tư tưởng, dư luận xã hội tháng 11/2026",
    "deadline": "00:00 ngày 20/11/2026",
    "days_left": 3,
    "days_late": 4,
    "received": "14:00 ngày 23/11/2026",
    "as_of": "17/11/2026",
    "submit_to": "Ban Tuyên giáo Liên đoàn Lao động tỉnh (bantuyengiao@example.vn)",
    "office_name": "Ban Tuyên giáo Liên đoàn Lao động tỉnh",
    "escalate_days": 5,
    "recipient_name": "Văn phòng LĐLĐ huyện Tam Đường",
}


@pytest.mark.parametrize(
    "rule, must",
    [
        ("reminder", ["[Nhắc hạn]", "còn 3 ngày", "00:00 ngày 20/11/2026", "tháng 11/2026", "gửi báo cáo về Ban Tuyên giáo"]),
        ("late", ["[Quá hạn]", "4 ngày", "00:00 ngày 20/11/2026", "khẩn trương gửi báo cáo về"]),
        ("escalation", ["[Báo cáo cấp trên]", "quá hạn 4 ngày", "(LDLD-TD)"]),
        ("ack", ["[Đã nhận]", "14:00 ngày 23/11/2026", "nộp muộn 4 ngày", "không nhắc thêm"]),
    ],
)
def test_unit_templates_are_vietnamese_plain_and_html(rule, must):
    out = render(rule, BASE)
    whole = out.subject + "\n" + out.text
    for phrase in must:
        assert phrase in whole, (rule, phrase, whole)
    assert "\n" not in out.subject
    assert unicodedata.is_normalized("NFC", out.text) and "Kính gửi: Văn phòng LĐLĐ huyện Tam Đường" in out.text
    assert "Liên đoàn Lao động huyện Tam Đường <Lai Châu>" in out.text  # plain text is not escaped
    assert "Tam Đường &lt;Lai Châu&gt;" in out.html and "<Lai Châu>" not in out.html  # HTML is
    assert out.html.startswith("<!DOCTYPE html>") and 'lang="vi"' in out.html and 'charset="utf-8"' in out.html


def test_digest_template_lists_groups():
    ctx = {
        "as_of": "24/11/2026",
        "n_missing": 1,
        "n_late": 1,
        "n_pending": 1,
        "escalate_days": 5,
        "office_name": "Ban Tuyên giáo",
        "recipient_name": "Ban Tuyên giáo",
        "periods": [
            {
                "title": "Báo cáo tình hình tư tưởng, dư luận xã hội tháng 11/2026",
                "period": "tháng 11/2026",
                "deadline": "00:00 ngày 20/11/2026",
                "overdue": True,
                "expected": 4,
                "on_time": 1,
                "missing": [
                    {
                        "unit_code": "CDVC",
                        "unit_name": "Công đoàn Viên chức tỉnh",
                        "days_late": 5,
                        "received": None,
                        "received_today": False,
                        "escalated": True,
                    }
                ],
                "late": [
                    {
                        "unit_code": "LDLD-SH",
                        "unit_name": "LĐLĐ huyện Sìn Hồ",
                        "days_late": 3,
                        "received": "14:00 ngày 22/11/2026",
                        "received_today": False,
                        "escalated": False,
                    }
                ],
                "pending": [
                    {
                        "unit_code": "CDN-YT",
                        "unit_name": "Công đoàn ngành Y tế",
                        "days_late": 0,
                        "received": None,
                        "received_today": False,
                        "escalated": False,
                    }
                ],
            }
        ],
    }
    out = render("digest", ctx)
    assert out.subject == "[Tổng hợp 24/11/2026] 1 đơn vị chưa nộp quá hạn, 1 nộp muộn, 1 chưa đến hạn"
    assert "Đã nộp đúng hạn: 1/4 đơn vị." in out.text
    assert "  - Công đoàn Viên chức tỉnh (CDVC): quá hạn 5 ngày — đã báo cáo cấp trên\n" in out.text
    assert "  - LĐLĐ huyện Sìn Hồ (LDLD-SH): nhận lúc 14:00 ngày 22/11/2026, muộn 3 ngày\n" in out.text
    assert "Chưa nộp, chưa đến hạn (1):\n  - Công đoàn ngành Y tế (CDN-YT)" in out.text
    assert "<li>Công đoàn Viên chức tỉnh (CDVC): quá hạn 5 ngày" in out.html


def test_email_is_utf8_mime_with_encoded_subject():
    out = render("reminder", BASE)
    msg = build_email(
        "LĐLĐ tỉnh Lai Châu <noreply@ldld.example.vn>",
        "Văn phòng Tam Đường",
        "tamduong@example.vn",
        out.subject,
        out.text,
        out.html,
        "<dlxh-alert-7@ldld.example.vn>",
    )
    raw = msg.as_bytes()  # what smtplib.send_message transmits (with CRLF line ends)
    head = raw.split(b"\n\n", 1)[0]
    head.decode("ascii")  # every header is 7-bit: non-ASCII words are RFC 2047 encoded
    assert b"Subject: =?utf-8?" in head
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == out.subject
    assert parsed["To"].addresses[0].display_name == "Văn phòng Tam Đường"
    assert parsed["From"].addresses[0].display_name == "LĐLĐ tỉnh Lai Châu"
    assert parsed.get_content_type() == "multipart/alternative"
    plain, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert plain.get_content_charset() == "utf-8" and plain.get_content() == out.text
    assert html.get_content() == out.html


def test_webhook_styles(monkeypatch):
    monkeypatch.setenv("DLXH_TELEGRAM_CHAT_ID", "-1001")
    monkeypatch.delenv("DLXH_WEBHOOK_STYLE", raising=False)
    cfg = load_alert_config(load_settings())
    slack = webhook_target("https://hooks.slack.com/services/T0/B0/SECRET", cfg)
    assert slack.style == "slack" and slack.body("Tiêu đề", "Nội dung") == {"text": "*Tiêu đề*\n\nNội dung"}
    tg = webhook_target("https://api.telegram.org/bot123:ABC/sendMessage?chat_id=42", cfg)
    assert (tg.style, tg.url, tg.chat_id) == ("telegram", "https://api.telegram.org/bot123:ABC/sendMessage", "42")
    assert tg.body("Tiêu đề", "Nội dung")["chat_id"] == "42"
    forced = webhook_target("telegram+http://127.0.0.1:9/relay", cfg)
    assert (forced.style, forced.url, forced.chat_id) == ("telegram", "http://127.0.0.1:9/relay", "-1001")
    mm = webhook_target("mattermost+https://chat.example.vn/hooks/abc", cfg)
    assert mm.style == "mattermost" and "text" in mm.body("a", "b")
    assert "SECRET" not in mask_url("https://hooks.slack.com/services/T0/B0/SECRET")
    assert "ABC" not in mask_url("https://api.telegram.org/bot123:ABC/sendMessage")


def test_period_and_deadline_wording():
    from datetime import UTC, datetime

    from alerts.vi import moment_label, period_label, report_title
    from dlxh.core.calendar import LOCAL

    assert period_label(date(2026, 1, 1)) == "tháng 1/2026"
    assert moment_label(datetime(2026, 11, 19, 17, 0, tzinfo=LOCAL).astimezone(UTC)) == "17:00 ngày 19/11/2026"
    assert report_title("ad_hoc", "DX-01", date(2026, 11, 1)) == "Báo cáo đột xuất (yêu cầu DX-01) tháng 11/2026"
