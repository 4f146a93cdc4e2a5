"""Typed records a report parser produces, whatever the input format."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from ingestion.reference.topics import TopicMention  # noqa: F401 (re-exported: a report's topics)


@dataclass
class ReportItem:
    """One opinion item (a row of the structured form)."""

    item_no: int
    topic_raw: str | None = None
    topic_code: str | None = None
    summary: str | None = None
    sentiment: str | None = None  # tich_cuc | trung_lap | tieu_cuc
    is_hot_spot: bool = False
    cause: str | None = None
    forecast: str | None = None
    proposal: str | None = None


@dataclass
class ReportRecord:
    """One report version as extracted from a file, before unit matching and received-time rules."""

    source_format: str
    unit_code: str | None
    unit_name_raw: str | None
    period_month: date | None
    report_type: str = "monthly"  # monthly | ad_hoc
    due_at: datetime | None = None  # ad-hoc reports carry their own deadline
    doc_number: str | None = None
    place_date_line: str | None = None
    issued_on: date | None = None
    title: str | None = None
    form_received_at: datetime | None = None
    situation: str | None = None
    causes: str | None = None
    forecast: str | None = None
    proposals: str | None = None
    items: list[ReportItem] = field(default_factory=list)
    topics: list[TopicMention] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)  # rows of the file this report came from
    extraction: dict = field(default_factory=dict)

    def content_key(self, unit_code: str) -> str:
        """Hash of the normalised content: the same report delivered twice has the same key."""
        payload = {
            "unit": unit_code,
            "month": self.period_month.isoformat() if self.period_month else None,
            "type": self.report_type,
            "due": self.due_at.isoformat() if self.due_at else None,
            "doc": self.doc_number,
            "received": self.form_received_at.isoformat() if self.form_received_at else None,
            # Whitespace does not make a new version (the same text re-exported wraps differently).
            "parts": [" ".join(p.split()) if p else None for p in (self.situation, self.causes, self.forecast, self.proposals)],
            "items": [asdict(i) for i in self.items],
        }
        return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()
