"""`run_alerts(as_of, dry_run)`: the one code path of `dlxh alerts` and the Airflow DAG.

1. read the expected reports and unit contacts from the marts;
2. plan the alerts due on the as-of day (alerts/rules.py), render them (alerts/templates);
3. claim them in ops.alert_log (once per key, whatever ran before or runs beside us);
4. deliver every due pending row, this day's and earlier days' retries alike.

A dry run does 1-2, reads the log to tell new alerts from ones already logged, prints what
would be sent, to whom and why, and writes nothing (its connection is read-only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from alerts.channels import mask_url
from alerts.config import AlertConfig, load_alert_config
from alerts.model import RULE_LABELS_VI, Delivery
from alerts.network import plan_network
from alerts.outbox import Attempt, Deliverer, claim, due_pending, existing, expand, waiting
from alerts.rules import plan
from alerts.source import load_expected, load_units
from alerts.vi import day_label, moment_label
from dlxh.core.calendar import LOCAL
from dlxh.core.settings import PgTarget


def _rule_label(rule_key: str) -> str:
    return RULE_LABELS_VI.get(rule_key.split(":", 1)[0], rule_key)


def _who(channel: str, address: str, name: str) -> str:
    shown = mask_url(address) if channel == "webhook" else address
    return f"{shown} ({name})" if name and name != address else shown


def _indent(text: str, prefix: str = "      | ") -> list[str]:
    return [prefix + line if line else prefix.rstrip() for line in text.rstrip("\n").splitlines()]


@dataclass
class AlertRun:
    """What one run planned, sent, deferred and skipped; `render()` is the Vietnamese report."""

    as_of: date
    dry_run: bool
    channels: tuple[str, ...]
    planned: list[Delivery] = field(default_factory=list)
    new: list[Delivery] = field(default_factory=list)
    skipped: list[Delivery] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    would_retry: list[tuple] = field(default_factory=list)  # dry run: pending rows due now
    waiting: list[tuple] = field(default_factory=list)  # pending with later next_attempt_at, or failed
    findings: list[str] = field(default_factory=list)  # stored values skipped as absurd (Vietnamese)

    @property
    def sent(self) -> list[Attempt]:
        return [a for a in self.attempts if a.ok]

    @property
    def failed(self) -> list[Attempt]:
        return [a for a in self.attempts if not a.ok]

    @property
    def ok(self) -> bool:
        """True when nothing is left undelivered (a dry run is ok when it could plan)."""
        return self.dry_run or (not self.failed and not self.waiting)

    def render(self) -> str:
        head = f"Cảnh báo nộp báo cáo ngày {day_label(self.as_of)} — kênh: {', '.join(self.channels)}"
        lines = [head, "=" * len(head)]
        if self.findings:
            lines.append(f"Cảnh báo dữ liệu ({len(self.findings)}):")
            lines.extend(f"  ! {f}" for f in self.findings)
        if self.dry_run:
            lines.append("CHẠY THỬ (--dry-run): không gửi, không ghi gì vào cơ sở dữ liệu.")
            lines.append(
                f"Sẽ gửi {len(self.new)} cảnh báo mới; bỏ qua {len(self.skipped)} cảnh báo đã ghi nhận trước đó; "
                f"sẽ gửi lại {len(self.would_retry)} cảnh báo đang chờ."
            )
            for d in self.new:
                lines.append(f"  • [{d.channel}] {_rule_label(d.alert.rule_key)} → {_who(d.channel, d.address, d.alert.recipient.name)}")
                lines.append(f"      Lý do: {d.alert.reason}")
                if d.note:
                    lines.append(f"      Lưu ý: {d.note}")
                lines.append(f"      Tiêu đề: {d.subject}")
                lines.extend(_indent(d.body_text))
            for row in self.would_retry:
                _id, rule, unit, _period, channel, recipient, subject, reason, attempts, error = row
                lines.append(f"  ↻ [{channel}] {_rule_label(rule)} → {_who(channel, recipient, '')} — {subject}")
                lines.append(f"      Lý do: {reason}; đã thử {attempts} lần, lỗi gần nhất: {error}")
            return "\n".join(lines) + "\n"
        lines.append(
            f"Theo quy tắc, hôm nay có {len(self.planned)} cảnh báo: {len(self.new)} mới, {len(self.skipped)} đã ghi nhận trước đó (không gửi lại)."
        )
        lines.append(
            f"Đã gửi: {len(self.sent)} · Lỗi, sẽ gửi lại: {sum(1 for a in self.failed if not a.gave_up)} · "
            f"Ngừng thử: {sum(1 for a in self.failed if a.gave_up)} · Đang chờ đến lượt thử lại: {len(self.waiting)}"
        )
        if self.sent:
            lines.append("Đã gửi:")
            for a in self.sent:
                late = "" if a.as_of == self.as_of else f" (cảnh báo ngày {day_label(a.as_of)}, gửi bù)"
                lines.append(f"  ✓ [{a.channel}] {_rule_label(a.rule)} → {_who(a.channel, a.recipient, a.recipient_name)}{late}")
                lines.append(f"      {a.subject}")
                lines.append(f"      Lý do: {a.reason}")
                if a.note:
                    lines.append(f"      Lưu ý: {a.note}")
        if self.failed:
            lines.append("Chưa gửi được:")
            for a in self.failed:
                then = (
                    "đã ngừng thử, cần xử lý"
                    if a.gave_up
                    else f"thử lại lúc {moment_label(a.next_attempt_at)}"
                    if a.next_attempt_at
                    else ""
                )
                lines.append(
                    f"  ✗ [{a.channel}] {_rule_label(a.rule)} → {_who(a.channel, a.recipient, a.recipient_name)} "
                    f"(lần thử {a.attempts}; {then})"
                )
                lines.append(f"      Lỗi: {a.error}")
        if self.waiting:
            lines.append("Đang chờ thử lại hoặc đã ngừng thử (từ các lần chạy trước):")
            for _id, rule, unit, channel, recipient, status, attempts, error, next_at in self.waiting:
                then = f"thử lại lúc {moment_label(next_at)}" if status == "pending" and next_at else "đã ngừng thử, cần xử lý"
                lines.append(
                    f"  … [{channel}] {_rule_label(rule)} {unit} → {_who(channel, recipient, '')} (đã thử {attempts} lần; {then}): {error}"
                )
        return "\n".join(lines) + "\n"


def plan_deliveries(cur, as_of: date, cfg: AlertConfig, findings: list[str] | None = None) -> list[Delivery]:
    expected, units = load_expected(cur, findings), load_units(cur, findings)
    alerts = plan(expected, units, as_of, cfg) + plan_network(cur, as_of, cfg, units, findings)
    return [d for alert in alerts for d in expand(alert, cfg)]


def run_alerts(as_of: date | datetime, dry_run: bool = False, *, target: PgTarget | None = None) -> AlertRun:
    from dlxh.core.db import connection, ensure_up, warehouse_target

    if isinstance(as_of, datetime):  # e.g. an Airflow logical date (UTC): the local day it falls on
        as_of = (as_of.astimezone(LOCAL) if as_of.tzinfo else as_of).date()
    cfg = load_alert_config()
    if target is None:
        target = warehouse_target() if dry_run else ensure_up()
    result = AlertRun(as_of=as_of, dry_run=dry_run, channels=cfg.channels)
    with connection(target) as conn:
        if dry_run:
            conn.set_session(readonly=True)
        with conn, conn.cursor() as cur:
            cur.execute("set transaction isolation level repeatable read")
            result.planned = plan_deliveries(cur, as_of, cfg, result.findings)
        if dry_run:
            with conn, conn.cursor() as cur:
                logged = existing(cur, result.planned)
                result.new = [d for d in result.planned if d.key not in logged]
                result.skipped = [d for d in result.planned if d.key in logged]
                result.would_retry = due_pending(cur)
            return result
        _, result.skipped = claim(conn, result.planned, as_of)
        claimed = {d.key for d in result.skipped}
        result.new = [d for d in result.planned if d.key not in claimed]
        result.attempts = Deliverer(conn, cfg).run()
        with conn, conn.cursor() as cur:
            tried = {a.alert_id for a in result.attempts}
            result.waiting = [row for row in waiting(cur) if row[0] not in tried]
        return result
