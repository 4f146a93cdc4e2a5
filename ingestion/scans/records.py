"""One export row -> one staged scan record (or a quarantine reason in Vietnamese)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

from dlxh.parsing import LOCAL
from dlxh.text import nfc
from ingestion.framework import Quarantined
from ingestion.scans.canonical import canonical_url, digest, item_key, url_host
from ingestion.scans.mapping import DATE_FIELDS, ENGAGEMENT, FIELD_LABELS_VI, ToolMapping
from ingestion.scans.matching import Gazetteer, TopicMatcher, fast_fold, tool_topics
from ingestion.scans.sentiment import SentimentError

STAGE_COLUMNS = (
    "row_number", "item_key", "canonical_url", "url", "text_hash", "platform", "published_at", "captured_at",
    "period_month", "title", "author_hash", "likes", "shares", "comments", "views", "sentiment", "sentiment_raw",
    "topic_codes", "topic_source", "place_raw", "unit_code", "unit_source", "text",
)
HOST_PLATFORMS = {
    "facebook.com": "facebook", "youtube.com": "youtube", "tiktok.com": "tiktok", "twitter.com": "twitter",
    "instagram.com": "instagram", "zalo.me": "zalo", "threads.net": "threads",
}
_NUMBER = re.compile(r"^(\d+(?:[.,]\d+)*)\s*(k|n|nghin|m|tr|trieu|b|ty)?$")
_MULTIPLIER = {None: 1, "k": 1_000, "n": 1_000, "nghin": 1_000, "m": 1_000_000, "tr": 1_000_000, "trieu": 1_000_000, "b": 10**9, "ty": 10**9}
_GROUPED = re.compile(r"^\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*$")


class RowProblem(Exception):
    def __init__(self, reason_code: str, reason: str, field: str | None = None):
        super().__init__(reason)
        self.reason_code, self.reason, self.field = reason_code, reason, field


def parse_count(value: str) -> int | None:
    """Engagement counts as tools print them: 1234, 1.234, 1,234, 1,2K, 3 nghìn, 1.5M."""
    text = fast_fold(value).replace(" ", "") if not value.isdigit() else value
    if text == "":
        return None
    if text.isdigit():
        return int(text)
    m = _NUMBER.match(text)
    if not m:
        raise ValueError(value)
    digits, unit = m.groups()
    if unit is None and _GROUPED.match(digits):
        return int(re.sub(r"[.,]", "", digits))
    number = float(digits.replace(",", ".")) if digits.count(",") + digits.count(".") <= 1 else None
    if number is None:
        raise ValueError(value)
    return round(number * _MULTIPLIER[unit])


class RowParser:
    """Parses rows of one tool's export; built once per file (compiled matchers, salt)."""

    def __init__(self, mapping: ToolMapping, gazetteer: Gazetteer, topics: TopicMatcher,
                 pseudonymise: Callable[[str], str], default_captured_at: datetime):
        self.mapping = mapping
        self.gazetteer = gazetteer
        self.topics = topics
        self.pseudonymise = pseudonymise
        self.default_captured_at = default_captured_at

    def parse(self, row_number: int, rec: dict[str, str]) -> tuple:
        """The stage tuple (STAGE_COLUMNS order); raises RowProblem with a Vietnamese reason."""
        if "__error__" in rec:
            raise RowProblem("bad_json", rec["__error__"])
        m = self.mapping
        url = rec.get("url") or ""
        text = nfc(rec.get("text")) or None
        title = nfc(rec.get("title")) or None
        try:
            canonical = canonical_url(url)
        except ValueError as exc:
            raise RowProblem("bad_url", f"Đường dẫn «{url}» không hợp lệ: {exc}.", "url") from None
        body = text or title or ""
        if canonical is None and not body:
            raise RowProblem("no_url_no_text", "Không có đường dẫn (URL) và không có nội dung: không nhận diện được tin/bài.", "url")
        times: dict[str, datetime | None] = {}
        for f in DATE_FIELDS:
            raw = rec.get(f) or ""
            try:
                times[f] = m.dates.parse(raw) if raw else None
            except ValueError as exc:
                raise RowProblem("bad_date", f"Không đọc được {FIELD_LABELS_VI[f]}: {exc}.", f) from None
        published, captured = times["published_at"], times["captured_at"] or self.default_captured_at
        counts = []
        for f in ENGAGEMENT:
            raw = rec.get(f) or ""
            try:
                n = parse_count(raw) if raw else None
            except ValueError:
                raise RowProblem("bad_number", f"{FIELD_LABELS_VI[f].capitalize()} «{raw}» không phải là số.", f) from None
            if n is not None and n < 0:
                raise RowProblem("bad_number", f"{FIELD_LABELS_VI[f].capitalize()} không được âm ({raw}).", f)
            counts.append(n)
        sentiment_raw = rec.get("sentiment") or None
        sentiment = None
        if sentiment_raw and m.sentiment is not None:
            try:
                sentiment = m.sentiment.normalise(sentiment_raw)
            except SentimentError as exc:
                raise RowProblem(exc.reason_code, f"Sắc thái không hợp lệ: {exc}.", "sentiment") from None
        folded = fast_fold(f"{title or ''}\n{text or ''}") if (title and text) else fast_fold(body)
        text_hash = digest(fast_fold(body))
        platform = self._platform(rec.get("platform") or "", canonical)
        topic_codes, topic_source = self._topics(rec.get("topic") or "", folded, f"{title or ''}\n{text or ''}")
        place_raw, unit_code, unit_source = self._place(rec.get("place") or "", folded)
        author = (rec.get("author") or "").strip().lstrip("@")
        month_of = (published or captured).astimezone(LOCAL)
        return (
            row_number, item_key(canonical, text_hash), canonical, url.strip() or None, text_hash, platform,
            published, captured, date(month_of.year, month_of.month, 1), title,
            self.pseudonymise(author) if author else None, *counts, sentiment, sentiment_raw,
            "{" + ",".join(topic_codes) + "}", topic_source, place_raw, unit_code, unit_source, text,
        )

    def _platform(self, value: str, canonical: str | None) -> str | None:
        if value:
            key = fast_fold(value)
            return self.mapping.platforms.get(key, key.replace(" ", "_"))
        if self.mapping.platform:
            return self.mapping.platform
        if canonical:
            host = url_host(canonical)
            return HOST_PLATFORMS.get(host, "web")
        return None

    def _topics(self, value: str, folded: str, text: str) -> tuple[list[str], str | None]:
        if value:
            codes = tool_topics(value)
            if codes:
                return list(codes), "tool"
        codes = self.topics.find(folded, text)
        return codes, ("keywords" if codes else None)

    def _place(self, value: str, folded: str) -> tuple[str | None, str | None, str | None]:
        value = nfc(value) or ""
        if value:
            place = self.gazetteer.resolve_field(value)
            if place is not None:
                return value, place.unit_code, "tool"
        place = self.gazetteer.find(folded)
        if place is not None:
            return value or place.name, place.unit_code, "gazetteer"
        return value or None, None, None


def to_quarantine(problem: RowProblem, row_number: int, rec: dict[str, str]) -> Quarantined:
    """Quarantine entry; the raw author handle and text never leave the export file."""
    safe = {k: v for k, v in rec.items() if k not in ("author", "text")}
    return Quarantined(problem.reason_code, problem.reason, row_number, problem.field, safe)
