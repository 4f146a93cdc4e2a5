"""The outbox in ops.alert_log: claim each alert once, deliver it, retry it with backoff.

* claim: `insert ... on conflict do nothing` on the key (unit, period, report type, rule,
  recipient, channel), so re-running a day or racing runs plans each alert once;
* deliver: `select ... for update skip locked`, one row per transaction; the row stays locked
  while it is sent and is marked `sent` only after the server accepted it, so two runs never
  send the same row; a failure records attempts, last_error and next_attempt_at (backoff).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from alerts.channels import DeliveryError, SmtpSender, build_email, mask_url, post_webhook, webhook_target, write_log
from alerts.config import AlertConfig
from alerts.model import Delivery, PlannedAlert
from alerts.templating import render

COLUMNS = (
    "unit_code",
    "period_month",
    "report_type",
    "rule",
    "recipient",
    "channel",
    "as_of",
    "subject",
    "body_text",
    "body_html",
    "payload",
    "reason",
)


def expand(alert: PlannedAlert, cfg: AlertConfig) -> list[Delivery]:
    """One delivery per configured channel the recipient can be reached on; none reachable -> log."""
    text = render(alert.rule, alert.context)
    tag = f"rule={alert.rule_key}; unit={alert.unit_code}; period={alert.period_month:%Y-%m}; type={alert.type_key}"
    base = {"reason": alert.reason, "recipient_name": alert.recipient.name, "recipient_key": alert.recipient.key, "tag": tag}
    out: list[Delivery] = []
    r = alert.recipient
    for channel in cfg.channels:
        if channel == "log":
            out.append(Delivery(alert, "log", r.key, text.subject, text.text, text.html, base))
        elif channel == "email" and r.email:
            out.append(Delivery(alert, "email", r.email.strip().lower(), text.subject, text.text, text.html, base))
        elif channel == "webhook":
            url = r.webhook or cfg.webhook_url
            if url:
                target = webhook_target(url, cfg)
                payload = {**base, "webhook": {"url": target.url, "style": target.style, "body": target.body(text.subject, text.text)}}
                out.append(Delivery(alert, "webhook", url, text.subject, text.text, None, payload))
    if not out:
        note = f"không có địa chỉ nhận qua kênh {', '.join(cfg.channels)}: chỉ ghi nhật ký"
        out.append(Delivery(alert, "log", r.key, text.subject, text.text, text.html, {**base, "note": note}, note=note))
    return out


def existing(cur: Any, deliveries: Iterable[Delivery]) -> dict[tuple, str]:
    """Status of the keys already in the log (read-only: used by dry runs and for reporting)."""
    keys = [d.key for d in deliveries]
    if not keys:
        return {}
    cur.execute(
        """select unit_code, period_month, report_type, rule, recipient, channel, status
           from ops.alert_log
           where (unit_code, period_month, report_type, rule, recipient, channel) in %s""",
        (tuple(keys),),
    )
    return {tuple(row[:6]): row[6] for row in cur.fetchall()}


def claim(conn: Any, deliveries: list[Delivery], as_of: date) -> tuple[list[int], list[Delivery]]:
    """Insert the deliveries not logged yet, in one transaction; returns (new alert ids, deliveries already logged)."""
    new_ids: list[int] = []
    skipped: list[Delivery] = []
    with conn, conn.cursor() as cur:
        for d in deliveries:
            a = d.alert
            cur.execute(
                f"""insert into ops.alert_log ({", ".join(COLUMNS)}, status, next_attempt_at)
                    values ({", ".join(["%s"] * len(COLUMNS))}, 'pending', now())
                    on conflict (unit_code, period_month, report_type, rule, recipient, channel) do nothing
                    returning alert_id""",
                (
                    a.unit_code,
                    a.period_month,
                    a.type_key,
                    a.rule_key,
                    d.address,
                    d.channel,
                    as_of,
                    d.subject,
                    d.body_text,
                    d.body_html,
                    json.dumps(d.payload, ensure_ascii=False),
                    a.reason,
                ),
            )
            row = cur.fetchone()
            if row:
                new_ids.append(row[0])
            else:
                skipped.append(d)
    return new_ids, skipped


@dataclass
class Attempt:
    """The outcome of one delivery attempt in this run."""

    alert_id: int
    rule: str
    unit_code: str
    period_month: date
    report_type: str
    channel: str
    recipient: str
    recipient_name: str
    subject: str
    reason: str
    as_of: date
    ok: bool
    attempts: int
    error: str | None = None
    next_attempt_at: datetime | None = None
    gave_up: bool = False
    note: str | None = None

    @property
    def shown_recipient(self) -> str:
        return mask_url(self.recipient) if self.channel == "webhook" else self.recipient


def _arr(values: tuple | None) -> list | None:
    return None if values is None else list(values)


@dataclass
class Deliverer:
    """Sends what is due in ops.alert_log, once per row, across runs and processes."""

    conn: Any
    cfg: AlertConfig
    smtp: SmtpSender | None = None
    down: dict[str, str] = field(default_factory=dict)  # server -> error, for this run
    on_send: Callable[[Attempt], None] | None = None
    # Only rows of these report types (e.g. ("hot_spot",)) / these alert ids; None = every due row.
    report_types: tuple[str, ...] | None = None
    alert_ids: tuple[int, ...] | None = None

    def _send(self, channel: str, recipient: str, alert_id: int, subject: str, text: str, html: str | None, payload: dict) -> None:
        if channel == "log":
            write_log(recipient, subject)
            return
        if channel == "email":
            if self.cfg.smtp is None:
                raise DeliveryError("kênh email chưa được cấu hình (DLXH_SMTP_HOST, DLXH_SMTP_FROM)")
            server = f"smtp://{self.cfg.smtp.host}:{self.cfg.smtp.port}"
            if server in self.down:
                raise DeliveryError(f"hoãn: {self.down[server]}", channel_down=True)
            if self.smtp is None:
                self.smtp = SmtpSender(self.cfg.smtp)
            domain = self.cfg.smtp.sender.rsplit("@", 1)[-1].strip(" >") or "dlxh.local"
            msg = build_email(
                self.cfg.smtp.sender,
                payload.get("recipient_name", ""),
                recipient,
                subject,
                text,
                html,
                f"<dlxh-alert-{alert_id}@{domain}>",
                payload.get("tag"),
                payload.get("attachments"),
            )
            try:
                self.smtp.send(msg)
            except DeliveryError as exc:
                if exc.channel_down:
                    self.down[server] = str(exc)
                raise
            return
        if channel == "webhook":
            hook = payload["webhook"]
            server = hook["url"].split("/", 3)[2] if "://" in hook["url"] else hook["url"]
            if server in self.down:
                raise DeliveryError(f"hoãn: {self.down[server]}", channel_down=True)
            if hook["style"] == "telegram" and not hook["body"].get("chat_id"):
                raise DeliveryError("webhook Telegram thiếu chat_id (thêm ?chat_id=... vào URL hoặc đặt DLXH_TELEGRAM_CHAT_ID)")
            try:
                post_webhook(hook["url"], hook["body"], hook["style"], self.cfg.webhook_timeout)
            except DeliveryError as exc:
                if exc.channel_down:
                    self.down[server] = str(exc)
                raise
            return
        raise DeliveryError(f"kênh không hỗ trợ: {channel}")

    def backoff_seconds(self, attempts: int) -> float:
        return min(self.cfg.retry_max_seconds, self.cfg.retry_base_seconds * (2 ** max(0, attempts - 1)))

    def run(self) -> list[Attempt]:
        """Deliver every due pending row once; rows tried in this run are not retried in it."""
        done: list[Attempt] = []
        # A cursor over alert_id (rows are tried in id order): each pick is one step of the pending
        # index. (Excluding the ids tried so far made every pick scan all pending rows against a
        # growing list: quadratic in the number of alerts of a run.)
        after = 0
        try:
            while True:
                attempt = self._one(after)
                if attempt is None:
                    break
                after = attempt.alert_id
                done.append(attempt)
                if self.on_send:
                    self.on_send(attempt)
        finally:
            if self.smtp is not None:
                self.smtp.close()
        return done

    def _one(self, after: int) -> Attempt | None:
        with self.conn, self.conn.cursor() as cur:
            cur.execute(
                """select alert_id, rule, unit_code, period_month, report_type, channel, recipient, subject, body_text,
                          body_html, payload, attempts, reason, as_of
                   from ops.alert_log
                   where status = 'pending' and coalesce(next_attempt_at, created_at) <= clock_timestamp()
                     and alert_id > %s
                     and (%s::text[] is null or report_type = any(%s::text[]))
                     and (%s::bigint[] is null or alert_id = any(%s::bigint[]))
                   order by alert_id
                   limit 1
                   for update skip locked""",
                (after, _arr(self.report_types), _arr(self.report_types), _arr(self.alert_ids), _arr(self.alert_ids)),
            )
            row = cur.fetchone()
            if row is None:
                return None
            (
                alert_id,
                rule,
                unit_code,
                period_month,
                report_type,
                channel,
                recipient,
                subject,
                text,
                html,
                payload,
                attempts,
                reason,
                as_of,
            ) = row
            payload = payload or {}
            attempt = Attempt(
                alert_id,
                rule,
                unit_code,
                period_month,
                report_type,
                channel,
                recipient,
                payload.get("recipient_name", ""),
                subject,
                reason or "",
                as_of,
                True,
                attempts + 1,
                note=payload.get("note"),
            )
            try:
                self._send(channel, recipient, alert_id, subject, text, html, payload)
            except DeliveryError as exc:
                attempt.ok, attempt.error = False, str(exc)
                attempt.gave_up = attempt.attempts >= self.cfg.max_attempts
                cur.execute(
                    """update ops.alert_log
                       set attempts = %s, last_error = %s, status = %s,
                           next_attempt_at = case when %s then null else clock_timestamp() + make_interval(secs => %s) end
                       where alert_id = %s
                       returning next_attempt_at""",
                    (
                        attempt.attempts,
                        attempt.error,
                        "failed" if attempt.gave_up else "pending",
                        attempt.gave_up,
                        self.backoff_seconds(attempt.attempts),
                        alert_id,
                    ),
                )
                attempt.next_attempt_at = cur.fetchone()[0]
                return attempt
            cur.execute(
                """update ops.alert_log
                   set status = 'sent', attempts = %s, sent_at = clock_timestamp(), next_attempt_at = null
                   where alert_id = %s""",
                (attempt.attempts, alert_id),
            )
        return attempt


def waiting(cur: Any) -> list[tuple]:
    """Pending rows whose next attempt is later (backoff), and rows given up on."""
    cur.execute(
        """select alert_id, rule, unit_code, channel, recipient, status, attempts, last_error, next_attempt_at
           from ops.alert_log
           where status = 'failed' or (status = 'pending' and next_attempt_at > clock_timestamp())
           order by alert_id"""
    )
    return cur.fetchall()


def due_pending(cur: Any) -> list[tuple]:
    """Pending rows a run would try now (dry run)."""
    cur.execute(
        """select alert_id, rule, unit_code, period_month, channel, recipient, subject, reason, attempts, last_error
           from ops.alert_log
           where status = 'pending' and coalesce(next_attempt_at, created_at) <= clock_timestamp()
           order by alert_id"""
    )
    return cur.fetchall()
