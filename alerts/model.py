"""Typed records of the alert engine: what is owed, who to tell, what to send."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# Rules, in the order a unit meets them. The digest's rule key is 'digest:YYYY-MM-DD'.
REMINDER, LATE, ESCALATION, ACK, DIGEST = "reminder", "late", "escalation", "ack", "digest"
RULE_LABELS_VI = {
    REMINDER: "nhắc hạn",
    LATE: "thông báo quá hạn",
    ESCALATION: "báo cáo cấp trên",
    ACK: "xác nhận đã nhận (muộn)",
    DIGEST: "tổng hợp hằng ngày",
    # hotspots/cases.py: hot-spot cases through the same outbox
    "hotspot_opened": "điểm nóng: vụ việc mới",
    "hotspot_escalation": "điểm nóng: bước quá hạn",
    "hotspot_digest": "điểm nóng: tổng hợp vụ việc đang mở",
    # alerts/network.py: the collaborator network, once a month
    "network_notice": "mạng lưới CTV: thông báo đơn vị",
    "network_digest": "mạng lưới CTV: tổng hợp toàn tỉnh",
}
# Digest and other alerts that are not about one unit/period use these key parts.
ALL_UNITS = "*"
ALL_TYPES = "*"


@dataclass(frozen=True)
class UnitVersion:
    """One row of marts.dim_unit."""

    unit_code: str
    unit_name: str
    unit_type: str
    parent_code: str | None
    valid_from: date
    valid_to: date | None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_webhook: str | None = None

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or self.valid_to >= day)


@dataclass(frozen=True)
class ExpectedReport:
    """One row of marts.fct_report_submission (only what the rules need)."""

    unit_code: str
    unit_name: str
    unit_type: str
    parent_code: str | None
    period_month: date
    report_type: str  # monthly | ad_hoc
    request_code: str | None
    due_at: datetime
    received_at: datetime | None

    @property
    def type_key(self) -> str:
        """report_type as stored in ops.alert_log: ad-hoc requests are told apart by their code."""
        if self.report_type == "ad_hoc" and self.request_code:
            return f"ad_hoc:{self.request_code}"
        return self.report_type


@dataclass(frozen=True)
class Recipient:
    """A person or office to tell, with the addresses each channel can use."""

    key: str  # 'office' or 'unit:<code>': the address of the log channel
    name: str
    email: str | None = None
    webhook: str | None = None


@dataclass
class PlannedAlert:
    """One logical alert for one recipient; the outbox expands it into one row per channel."""

    rule: str  # REMINDER | LATE | ESCALATION | ACK | DIGEST
    rule_key: str  # rule, or 'digest:YYYY-MM-DD'
    unit_code: str
    period_month: date
    type_key: str
    recipient: Recipient
    reason: str  # Vietnamese: why this alert is due today
    context: dict[str, Any] = field(default_factory=dict)


@dataclass
class Delivery:
    """One row of ops.alert_log: a planned alert on one channel to one address."""

    alert: PlannedAlert
    channel: str  # log | email | webhook
    address: str  # email address, webhook URL, or the recipient key for `log`
    subject: str
    body_text: str
    body_html: str | None
    payload: dict[str, Any]
    note: str | None = None  # e.g. why it fell back to the log channel

    @property
    def key(self) -> tuple[str, date, str, str, str, str]:
        a = self.alert
        return (a.unit_code, a.period_month, a.type_key, a.rule_key, self.address, self.channel)
