"""Fields of a Vietnamese administrative document's header, located accent- and OCR-tolerantly.

Patterns run on `fold_keep(text)` (one folded character per original character), so what
is stored is cut from the original NFC text at the same offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from dlxh.parsing import LOCAL, plausible_date, plausible_window
from ingestion.reports.matching import fold_keep, normalize_doc_number, ocr_key

# "tháng" OCR'd as "thang", "thảng", "thing"; "năm" as "nam", "ndm", "nim", "n&m".
_THANG = r"th[a-z]{2,4}"
_NAM = r"n[a-z&]{1,2}m?"
_NGAY = r"ng[a-z]{1,3}"
_DATE_VI = rf"{_NGAY}\s*(\d{{1,2}})\s*{_THANG}\s*(\d{{1,2}})\s*{_NAM}\s*(\d{{4}})"
_PLACE_DATE = re.compile(rf"^\s*([^\d,\n]{{2,60}}?)\s*,\s*{_DATE_VI}", re.MULTILINE)
_DOC_NUMBER = re.compile(r"^\s*s[o6e]\s*[:.;]?\s*(\d{1,4}\s*/\s*[a-z0-9&\-/ ]{2,30}?)\s*$", re.MULTILINE)
_MONTH_PATTERNS = (
    re.compile(rf"(?<![a-z]){_THANG}\s*(\d{{1,2}})\s*(?:{_NAM}|/|-|\.)\s*(\d{{4}})"),  # tháng 3 năm 2025, tháng 03/2025
    re.compile(r"(?<![a-z0-9])t\s*(\d{1,2})\s*[/.\-]\s*(\d{4})"),  # T3/2025
    re.compile(r"(?<![0-9/])(\d{1,2})\s*/\s*(\d{4})(?![0-9/])"),  # 03/2025 (title only)
)
_DATE_BEFORE = re.compile(rf"{_NGAY}\s*\d{{1,2}}\s*$")
_DEADLINE = re.compile(
    rf"(?:han\s*(?:nop|gui|bao\s*cao)?|truoc|cham\s*nhat)[^.\n]{{0,40}}?(?:{_NGAY}\s*)?"
    rf"(?:(\d{{1,2}})\s*[/.\-]\s*(\d{{1,2}})\s*[/.\-]\s*(\d{{4}})|(\d{{1,2}})\s*{_THANG}\s*(\d{{1,2}})\s*{_NAM}\s*(\d{{4}}))"
)
_TIME_BEFORE = re.compile(r"(\d{1,2})\s*(?:gio|h|:)\s*(\d{2})?\s*[^\d]{0,12}$")
_MOTTO = ("cong hoa xa hoi", "doc lap", "tu do", "hanh phuc")


@dataclass
class HeaderFields:
    doc_number: str | None = None
    place_date_line: str | None = None
    issued_on: date | None = None
    title: str | None = None
    title_line_no: int | None = None
    period_month: date | None = None
    month_evidence: str | None = None
    report_type: str = "monthly"
    stated_due_at: datetime | None = None
    issuer_lines: list[str] = field(default_factory=list)


def find_doc_number(lines: list[str]) -> str | None:
    for line in lines:
        m = _DOC_NUMBER.match(fold_keep(line))
        if m:
            return normalize_doc_number(line[m.start(1) : m.end(1)])
    return None


def find_place_date(lines: list[str]) -> tuple[str | None, date | None]:
    for line in lines:
        m = _PLACE_DATE.search(fold_keep(line))
        if m:
            try:
                issued = plausible_date(date(int(m[4]), int(m[3]), int(m[2])), "Ngày ban hành")
            except ValueError:  # 31/02, or a year outside the plausibility window (dlxh.parsing)
                issued = None
            return line.strip(), issued
    return None, None


def find_month(text: str, allow_bare: bool = False) -> tuple[date | None, str | None]:
    """The first report month in `text` that is not part of a day-month-year date."""
    key = fold_keep(text)
    first, last = plausible_window()
    patterns = _MONTH_PATTERNS if allow_bare else _MONTH_PATTERNS[:2]
    found: list[tuple[int, date, str]] = []
    for pattern in patterns:
        for m in pattern.finditer(key):
            if _DATE_BEFORE.search(key[max(0, m.start() - 12) : m.start()]):
                continue  # "ngày 18 tháng 3 năm 2025" is a date, not a report month
            month, year = int(m[1]), int(m[2])
            if 1 <= month <= 12 and first.year <= year <= last.year:
                found.append((m.start(), date(year, month, 1), text[m.start() : m.end()]))
    if not found:
        return None, None
    _, month, evidence = min(found, key=lambda f: f[0])
    return month, evidence


def find_title(lines: list[str]) -> int | None:
    """Index of the 'BÁO CÁO' title line (OCR-tolerant)."""
    for i, line in enumerate(lines):
        key = ocr_key(line)
        if re.match(r"^\s*bao\s*ca[o0]\b", key) and len(key) < 120 and not key.startswith("bao cao ket qua"):
            return i
    return None


def find_stated_deadline(text: str) -> datetime | None:
    """'hạn gửi trước 17 giờ ngày 25/3/2025', 'chậm nhất ngày 25 tháng 3 năm 2025' -> local datetime."""
    key = fold_keep(text)
    m = _DEADLINE.search(key)
    if not m:
        return None
    d, mo, y = (m[1], m[2], m[3]) if m[1] else (m[4], m[5], m[6])
    hour = minute = 0
    t = _TIME_BEFORE.search(key[m.start() : m.start(4) if m[4] else m.start(1)])
    if t and int(t[1]) < 24:
        hour, minute = int(t[1]), int(t[2] or 0)
    try:
        return datetime(int(y), int(mo), int(d), hour, minute, tzinfo=LOCAL)
    except ValueError:
        return None


def is_motto(line: str) -> bool:
    key = ocr_key(line)
    return any(m in key for m in _MOTTO)


def extract_header(lines: list[str], head_limit: int = 40) -> HeaderFields:
    head = lines[:head_limit]
    fields = HeaderFields()
    fields.doc_number = find_doc_number(head)
    fields.place_date_line, fields.issued_on = find_place_date(head)
    title_at = find_title(head)
    fields.title_line_no = title_at
    if title_at is not None:
        block = [ln for ln in lines[title_at : title_at + 4] if ln.strip()][:3]
        fields.title = " ".join(ln.strip() for ln in block)
        fields.period_month, fields.month_evidence = find_month("\n".join(block), allow_bare=True)
        title_key = ocr_key(fields.title)
        if re.search(r"dot\s*xu[a-z]{1,2}t", title_key):
            fields.report_type = "ad_hoc"
    if fields.period_month is None:
        fields.period_month, fields.month_evidence = find_month("\n".join(head))
    if fields.report_type == "monthly" and re.search(r"bao\s*cao\s*dot\s*xu[a-z]{1,2}t", ocr_key("\n".join(head))):
        fields.report_type = "ad_hoc"
    if fields.report_type == "ad_hoc":
        fields.stated_due_at = find_stated_deadline("\n".join(lines))
    end = title_at if title_at is not None else min(len(head), 12)
    fields.issuer_lines = [
        ln.strip() for ln in head[:end]
        if ln.strip() and not is_motto(ln) and not _DOC_NUMBER.match(fold_keep(ln)) and not _PLACE_DATE.search(fold_keep(ln))
    ]
    return fields
