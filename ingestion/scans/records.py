"""One export row -> one staged scan record (or a quarantine reason in Vietnamese)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime

from dlxh.core.parsing import LOCAL, plausible_moment
from dlxh.core.tabular import cell_problem
from dlxh.core.text import nfc
from ingestion.framework import Quarantined
from ingestion.reference.places import Gazetteer
from ingestion.scans.canonical import canonical_url, digest, item_key, url_host
from ingestion.scans.mapping import ENGAGEMENT, FIELD_LABELS_VI, ToolMapping
from ingestion.scans.matching import ToolTopics, TopicMatcher, fast_fold
from ingestion.scans.sentiment import SentimentError

STAGE_COLUMNS = (
    "row_number",
    "item_key",
    "canonical_url",
    "url",
    "text_hash",
    "platform",
    "published_at",
    "captured_at",
    "period_month",
    "title",
    "author_hash",
    "likes",
    "shares",
    "comments",
    "views",
    "sentiment",
    "sentiment_raw",
    "topic_codes",
    "topic_source",
    "topic_raw",
    "place_raw",
    "unit_code",
    "unit_source",
    "text",
)
HOST_PLATFORMS = {
    "facebook.com": "facebook",
    "youtube.com": "youtube",
    "tiktok.com": "tiktok",
    "twitter.com": "twitter",
    "instagram.com": "instagram",
    "zalo.me": "zalo",
    "threads.net": "threads",
}
_NUMBER = re.compile(r"^(\d+(?:[.,]\d+)*)\s*(k|n|nghin|m|tr|trieu|b|ty)?$")
_MULTIPLIER = {
    None: 1,
    "k": 1_000,
    "n": 1_000,
    "nghin": 1_000,
    "m": 1_000_000,
    "tr": 1_000_000,
    "trieu": 1_000_000,
    "b": 10**9,
    "ty": 10**9,
}
_GROUPED = re.compile(r"^\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*$")


BIGINT_MAX = 2**63 - 1


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


_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
_CACHE_LIMIT = 65536


def copy_text(value: str | None) -> str:
    """One text value in COPY text format (\\N for NULL, backslash escapes)."""
    if value is None:
        return "\\N"
    if _COPY_SPECIAL.search(value) is None:
        return value
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy_value(value: object) -> str:
    return "\\N" if value is None else str(value)


class RowParser:
    """Parses rows of one tool's export; built once per file (compiled matchers, salt).

    Values that recur across rows (author handles, platform labels, sentiment labels, tool
    topics, place values) are cached per parser. Tool topic parts and place values that resolve
    to nothing are counted in `unmatched_topics` / `unmatched_places` (the item still loads).
    """

    def __init__(
        self,
        mapping: ToolMapping,
        gazetteer: Gazetteer,
        topics: TopicMatcher,
        pseudonymise: Callable[[str], str],
        default_captured_at: datetime,
    ):
        self.mapping = mapping
        self.gazetteer = gazetteer
        self.topics = topics
        self.pseudonymise = pseudonymise
        self.default_captured_at = default_captured_at
        self._authors: dict[str, str] = {}
        self._platforms: dict[str, str] = {}
        self._months: dict[tuple[int, int], str] = {}
        self._sentiments: dict[str, float] = {}
        self.tool_topics = ToolTopics(mapping.tool)
        self.keyword_topics = mapping.keyword_topics
        self.unmatched_topics: Counter[str] = Counter()
        self.unmatched_places: Counter[str] = Counter()

    def parse(self, row_number: int, rec: dict[str, str]) -> tuple:
        """The stage tuple (STAGE_COLUMNS order); raises RowProblem with a Vietnamese reason."""
        if "__error__" in rec:
            raise RowProblem("bad_json", rec["__error__"])
        if (problem := cell_problem(list(rec.values()), list(rec))) is not None:
            raise RowProblem(problem[0], problem[1], problem[2])
        m = self.mapping
        get = rec.get
        url = get("url") or ""
        text = nfc(get("text")) or None
        title = nfc(get("title")) or None
        try:
            canonical = canonical_url(url)
        except ValueError as exc:
            raise RowProblem("bad_url", f"Đường dẫn «{url}» không hợp lệ: {exc}.", "url") from None
        body = text or title or ""
        if canonical is None and not body:
            raise RowProblem("no_url_no_text", "Không có đường dẫn (URL) và không có nội dung: không nhận diện được tin/bài.", "url")
        published = self._time(get("published_at"), "published_at")
        captured = self._time(get("captured_at"), "captured_at") or self.default_captured_at
        counts = [self._count(get(f), f) for f in ENGAGEMENT]
        sentiment_raw = get("sentiment") or None
        sentiment = None
        if sentiment_raw and m.sentiment is not None:
            sentiment = self._sentiments.get(sentiment_raw)
            if sentiment is None:
                sentiment = self._sentiment(sentiment_raw)
        folded_body = fast_fold(body)
        folded = fast_fold(f"{title}\n{text}") if (title and text) else folded_body
        text_hash = digest(folded_body)
        platform = self._platform(get("platform") or "", canonical)
        topic_raw = nfc(get("topic")) or None
        topic_codes, topic_source = self._topics(topic_raw or "", folded, f"{title}\n{text}" if (title and text) else body)
        place_raw, unit_code, unit_source = self._place(get("place") or "", folded, self._day(published or captured))
        author = get("author")
        author_hash = self._author(author) if author else None
        return (
            row_number,
            item_key(canonical, text_hash),
            canonical,
            url.strip() or None,
            text_hash,
            platform,
            published,
            captured,
            self._month(published or captured),
            title,
            author_hash,
            *counts,
            sentiment,
            sentiment_raw,
            "{" + ",".join(topic_codes) + "}",
            topic_source,
            topic_raw,
            place_raw,
            unit_code,
            unit_source,
            text,
        )

    def copy_line(self, row_number: int, rec: dict[str, str]) -> str:
        """The stage row as one line of COPY text format (what `load.land_parts` COPYs)."""
        r = self.parse(row_number, rec)
        t = copy_text
        return (
            f"{r[0]}\t{r[1]}\t{t(r[2])}\t{t(r[3])}\t{r[4]}\t{t(r[5])}\t{_copy_value(r[6])}\t{r[7]}\t{r[8]}\t{t(r[9])}\t"
            f"{t(r[10])}\t{_copy_value(r[11])}\t{_copy_value(r[12])}\t{_copy_value(r[13])}\t{_copy_value(r[14])}\t"
            f"{_copy_value(r[15])}\t{t(r[16])}\t{t(r[17])}\t{t(r[18])}\t{t(r[19])}\t{t(r[20])}\t{t(r[21])}\t{t(r[22])}\t"
            f"{t(r[23])}\n"
        )

    def _sentiment(self, raw: str) -> float:
        try:
            value = self.mapping.sentiment.normalise(raw)  # type: ignore[union-attr]
        except SentimentError as exc:
            raise RowProblem(exc.reason_code, f"Sắc thái không hợp lệ: {exc}.", "sentiment") from None
        if len(self._sentiments) >= _CACHE_LIMIT:
            self._sentiments.clear()
        self._sentiments[raw] = value
        return value

    def _time(self, raw: str | None, f: str) -> datetime | None:
        if not raw:
            return None
        try:
            return plausible_moment(self.mapping.dates.parse(raw), FIELD_LABELS_VI[f].capitalize(), raw)
        except OverflowError:  # epoch 1e20
            raise RowProblem("bad_date", f"Không đọc được {FIELD_LABELS_VI[f]}: «{raw[:40]}» vượt quá mọi ngày hợp lệ.", f) from None
        except ValueError as exc:
            raise RowProblem("bad_date", f"Không đọc được {FIELD_LABELS_VI[f]}: {exc}.", f) from None

    @staticmethod
    def _count(raw: str | None, f: str) -> int | None:
        if not raw:
            return None
        if raw.isdigit() and raw.isascii() and len(raw) < 19:
            return int(raw)
        try:
            n = parse_count(raw)
        except ValueError:
            raise RowProblem("bad_number", f"{FIELD_LABELS_VI[f].capitalize()} «{raw}» không phải là số.", f) from None
        if n is not None and n < 0:
            raise RowProblem("bad_number", f"{FIELD_LABELS_VI[f].capitalize()} không được âm ({raw}).", f)
        if n is not None and n > BIGINT_MAX:
            raise RowProblem("bad_number", f"{FIELD_LABELS_VI[f].capitalize()} «{raw[:40]}» lớn quá mức lưu được.", f)
        return n

    def _author(self, raw: str) -> str | None:
        hit = self._authors.get(raw)
        if hit is None:
            handle = raw.strip().lstrip("@")
            if not handle:
                return None
            hit = self.pseudonymise(handle)
            if len(self._authors) >= _CACHE_LIMIT:
                self._authors.clear()
            self._authors[raw] = hit
        return hit

    def _month(self, moment: datetime) -> str:
        local = moment if moment.tzinfo is LOCAL else moment.astimezone(LOCAL)
        key = (local.year, local.month)
        hit = self._months.get(key)
        if hit is None:
            hit = self._months[key] = str(date(local.year, local.month, 1))
        return hit

    def _platform(self, value: str, canonical: str | None) -> str | None:
        """The tool's platform label (folded, mapped), else the mapping's constant, else the URL host's."""
        if value:
            hit = self._platforms.get(value)
            if hit is None:
                key = fast_fold(value)
                hit = self._platforms[value] = self.mapping.platforms.get(key, key.replace(" ", "_"))
            return hit
        if self.mapping.platform:
            return self.mapping.platform
        if canonical:
            return HOST_PLATFORMS.get(url_host(canonical), "web")
        return None

    def _day(self, moment: datetime) -> date:
        """The local day of a moment (effective-dated attribution)."""
        local = moment if moment.tzinfo is LOCAL else moment.astimezone(LOCAL)
        return local.date()

    def _topics(self, value: str, folded: str, text: str) -> tuple[list[str], str | None]:
        """The tool's topics (through the topic aliases scoped to the tool); keywords of the taxonomy
        when the tool gives none and the mapping falls back on them (or has no topic column)."""
        if value:
            codes, unresolved = self.tool_topics(value)
            for part in unresolved:
                self.unmatched_topics[part] += 1
            if codes:
                return list(codes), "tool"
        if not self.keyword_topics:
            return [], None
        found = self.topics.find(folded, text)
        return found, ("keywords" if found else None)

    def _place(self, value: str, folded: str, on: date) -> tuple[str | None, str | None, str | None]:
        value = nfc(value) or ""
        if value:
            unit_code = self.gazetteer.resolve_field(value, on)
            if unit_code is not None:
                return value, unit_code, "tool"
            self.unmatched_places[value] += 1
        place = self.gazetteer.find(folded, on)
        if place is not None:
            return value or place.name, place.unit_code, "gazetteer"
        return value or None, None, None


def to_quarantine(problem: RowProblem, row_number: int, rec: dict[str, str]) -> Quarantined:
    """Quarantine entry; the raw author handle and text never leave the export file."""
    safe = {k: v for k, v in rec.items() if k not in ("author", "text")}
    return Quarantined(problem.reason_code, problem.reason, row_number, problem.field, safe)
