"""Delivery channels: email over SMTP, JSON webhooks (Slack, Mattermost, Telegram bot), and log.

A send returns only once the server accepted the message (SMTP: the reply to DATA; HTTP: a 2xx
status, and `"ok": true` for Telegram); anything else raises :class:`DeliveryError`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from alerts.config import AlertConfig, SmtpConfig

log = logging.getLogger("dlxh.alerts")


class DeliveryError(Exception):
    """A send that did not go through. `channel_down`: the server could not be reached at all,
    so the rest of this run's messages for the same server are deferred without trying."""

    def __init__(self, message: str, channel_down: bool = False):
        super().__init__(message)
        self.channel_down = channel_down


# -- webhooks -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class WebhookTarget:
    url: str  # what is POSTed to (style prefix and chat_id query removed)
    style: str  # slack | mattermost | telegram
    chat_id: str | None = None

    def body(self, subject: str, text: str) -> dict[str, Any]:
        if self.style == "telegram":
            return {"chat_id": self.chat_id, "text": f"{subject}\n\n{text}".strip(), "disable_web_page_preview": True}
        return {"text": f"*{subject}*\n\n{text}".strip()}


def webhook_target(url: str, cfg: AlertConfig) -> WebhookTarget:
    """Style per URL (`telegram+https://...`, `slack+...`, `mattermost+...`, or a Telegram bot URL), else DLXH_WEBHOOK_STYLE."""
    style = cfg.webhook_style
    for prefix in ("telegram", "slack", "mattermost"):
        if url.startswith(prefix + "+"):
            style, url = prefix, url[len(prefix) + 1 :]
    parts = urlsplit(url)
    if style == "auto":
        style = "telegram" if parts.hostname == "api.telegram.org" or parts.path.endswith("/sendMessage") else "slack"
    if style != "telegram":
        return WebhookTarget(url, style)
    query = parse_qsl(parts.query, keep_blank_values=True)
    chat_id = next((v for k, v in query if k == "chat_id"), None) or cfg.telegram_chat_id
    rest = urlencode([(k, v) for k, v in query if k != "chat_id"])
    return WebhookTarget(urlunsplit((parts.scheme, parts.netloc, parts.path, rest, parts.fragment)), style, chat_id)


def mask_url(url: str) -> str:
    """What people see of a webhook URL: scheme and host, plus a short hash telling URLs apart (tokens hidden)."""
    parts = urlsplit(url.split("+", 1)[1] if url.split("+", 1)[0] in ("telegram", "slack", "mattermost") else url)
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:6]
    return f"{parts.scheme}://{parts.netloc}/…#{digest}"


def post_webhook(url: str, body: dict[str, Any], style: str, timeout: float) -> None:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:200].decode("utf-8", "replace")
        raise DeliveryError(f"webhook {mask_url(url)} trả về HTTP {exc.code}: {detail}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"không kết nối được webhook {mask_url(url)}: {reason}", channel_down=True) from exc
    if not 200 <= status < 300:
        raise DeliveryError(f"webhook {mask_url(url)} trả về HTTP {status}")
    if style == "telegram":
        try:
            ok = json.loads(raw or b"{}").get("ok", True)
        except ValueError:
            ok = True
        if ok is False:
            raise DeliveryError(f"Telegram từ chối tin nhắn: {raw[:200].decode('utf-8', 'replace')}")


# -- email --------------------------------------------------------------------------------------
def build_email(
    sender: str,
    to_name: str,
    to_addr: str,
    subject: str,
    text: str,
    html: str | None,
    message_id: str,
    alert_tag: str | None = None,
    attachments: list[str] | None = None,
) -> Message:
    """A multipart/alternative UTF-8 message; non-ASCII headers are RFC 2047 encoded. With
    `attachments` (file paths) the message is multipart/mixed: the body, then each file.

    Built with the legacy `email.mime` API: the modern header folder drops the space between
    encoded words in long Vietnamese subjects (CPython's folding of mixed encoded words).
    """
    msg: Message = MIMEMultipart("alternative") if html else MIMEText(text, "plain", "utf-8")
    if html:
        msg.attach(MIMEText(text, "plain", "utf-8"))
        msg.attach(MIMEText(html, "html", "utf-8"))
    if attachments:
        msg = _with_attachments(msg, attachments)
    from_name, from_addr = parseaddr(sender)
    msg["From"] = formataddr((from_name, from_addr), "utf-8")
    msg["To"] = formataddr((to_name, to_addr), "utf-8")
    msg["Subject"] = Header(subject, "utf-8")
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    if alert_tag:
        msg["X-DLXH-Alert"] = alert_tag  # e.g. "rule=late; unit=CDVC; period=2026-11; type=monthly" (for mail filters)
    return msg


def _with_attachments(body: Message, paths: list[str]) -> Message:
    import mimetypes
    from email import encoders
    from email.mime.base import MIMEBase
    from pathlib import Path

    mixed = MIMEMultipart("mixed")
    mixed.attach(body)
    for name in paths:
        path = Path(name)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise DeliveryError(f"không đọc được tệp đính kèm {path}: {exc.strerror or exc}") from exc
        main, _, sub = (mimetypes.guess_type(path.name)[0] or "application/octet-stream").partition("/")
        part = MIMEBase(main, sub)
        part.set_payload(content)
        encoders.encode_base64(part)
        part.add_header("Content-Disposition", "attachment", filename=path.name)
        mixed.attach(part)
    return mixed


def _login(conn: smtplib.SMTP, user: str, password: str) -> None:
    """SMTP AUTH. smtplib only sends ASCII credentials; a Vietnamese password goes as AUTH PLAIN
    in UTF-8 (RFC 4616)."""
    if (user + password).isascii():
        conn.login(user, password)
        return
    import base64

    conn.ehlo_or_helo_if_needed()
    if not conn.has_extn("auth") or "PLAIN" not in conn.esmtp_features.get("auth", "").upper().split():
        raise smtplib.SMTPException("máy chủ SMTP không hỗ trợ AUTH PLAIN, cần cho mật khẩu có ký tự ngoài ASCII")
    token = base64.b64encode(b"\0" + user.encode("utf-8") + b"\0" + password.encode("utf-8")).decode("ascii")
    code, reply = conn.docmd("AUTH", "PLAIN " + token)
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


class SmtpSender:
    """One SMTP session per run, opened on first use and reopened after an error."""

    def __init__(self, cfg: SmtpConfig):
        self.cfg = cfg
        self._conn: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        c = self.cfg
        try:
            # Certificates are always verified; a private CA is trusted through DLXH_SMTP_CA_FILE.
            context = ssl.create_default_context(cafile=c.ca_file)
            if c.security == "ssl":
                conn: smtplib.SMTP = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=context)
            else:
                conn = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
                if c.security == "starttls":
                    conn.starttls(context=context)
            if c.user:
                _login(conn, c.user, c.password or "")
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"không kết nối được máy chủ SMTP {c.host}:{c.port}: {exc}", channel_down=True) from exc
        return conn

    def send(self, msg: Message) -> None:
        if self._conn is None:
            self._conn = self._open()
        try:
            refused = self._conn.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            down = isinstance(exc, OSError | smtplib.SMTPServerDisconnected)
            raise DeliveryError(f"máy chủ SMTP không nhận thư: {exc}", channel_down=down) from exc
        if refused:
            raise DeliveryError(f"máy chủ SMTP từ chối người nhận: {refused}")

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.quit()
            except (OSError, smtplib.SMTPException):
                self._conn.close()
            self._conn = None


# -- log ----------------------------------------------------------------------------------------
def write_log(address: str, subject: str) -> None:
    log.info("alert to %s: %s", address, subject)
