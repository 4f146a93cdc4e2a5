"""Fields of a Vietnamese administrative document's header, located accent- and OCR-tolerantly.

Patterns run on `fold_keep(text)` (one folded character per original character), so what
is stored is cut from the original NFC text at the same offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from dlxh.core.parsing import LOCAL, plausible_date, plausible_window
from ingestion.reference.matching import fold_keep, normalize_doc_number, ocr_key

# "tháng" OCR'd as "thang", "thảng", "thing"; "năm" as "nam", "ndm", "nim", "n&m".
_THANG = r"th[a-z]{2,4}"
_NAM = r"n[a-z&]{1,2}m?"
_NGAY = r"ng[a-z]{1,3}"
_DATE_VI = rf"{_NGAY}\s*(\d{{1,2}})\s*{_THANG}\s*(\d{{1,2}})\s*{_NAM}\s*(\d{{4}})"
_PLACE_DATE = re.compile(rf"^\s*([^\d,\n]{{2,60}}?)\s*,\s*{_DATE_VI}", re.MULTILINE)
_DOC_NUMBER = re.compile(r"^\s*s[o6e]\s*[:.;]?\s*(\d{1,4}[a-z]?\s*/\s*[a-z0-9&\-/ ]{2,30}?)\s*$", re.MULTILINE)
# A number at the start of a fragment, followed by anything (the place-date of the right column).
_DOC_NUMBER_LEAD = re.compile(r"^\s*s[o6e]\s*[:.;]?\s*(\d{1,4}[a-z]?\s*/\s*[a-z0-9&]+(?:\s*[-/]\s*[a-z0-9&]+)*)")
# "Số:" in the middle of a flattened line ("Phong Thổ, ngày ... năm 2025   Số: 12/BC-LĐLĐ").
_DOC_NUMBER_INNER = re.compile(r"(?<=\s)s[o6e]\s*[:.;]\s*\d{1,4}[a-z]?\s*/")
# "(thay thế Báo cáo số 21/BC-LĐLĐ ngày 12/5/2025)": what a correction replaces.
_REPLACES = re.compile(
    r"thay\s*th[a-z\u00c0-\u1ef9]{0,2}\s+(?:(?:bao\s*cao|bc|van\s*ban)\s+)?(?:s[o6e]\s*[:.]?\s*)?"
    r"(\d{1,4}[a-z]?\s*/\s*[a-z0-9&]+(?:\s*-\s*[a-z0-9&]+)*)"
)
# The national motto as it survives OCR (folded by fold_keep; Đ may be read as P, m as rn).
_MOTTO_RE = re.compile(
    r"c\w{1,3}ng\s*h\w{1,2}a\s*x\w{1,2}\s*h\w{1,2}i\s*ch\w{1,2}\s*ngh\w{1,2}a\s*vi\w{1,2}t\s*n\w{1,3}"
    r"|[dp]\w{1,2}c\s*l\w{1,2}[pd]\W{0,4}t\w{1,2}\s*d\w{1,2}\W{0,4}h\w{1,2}nh\s*[pd]h\w{1,2}c"
)
_COLUMN_GAP = re.compile(r"\t+|\s{3,}")
_STAMP = re.compile(r"^\s*(?:k[yi]\s*b[oa]i|th[a-z]{1,3}i\s*gian\s*k[yi])\s*:")
_MONTH_PATTERNS = (
    re.compile(rf"(?<![a-z]){_THANG}\s*(\d{{1,2}})\s*(?:{_NAM}|/|-|\.)\s*(\d{{4}})"),  # tháng 3 năm 2025, tháng 03/2025
    re.compile(r"(?<![a-z0-9])t\s*(\d{1,2})\s*[/.\-]\s*(\d{4})"),  # T3/2025
    re.compile(r"(?<![0-9/])(\d{1,2})\s*/\s*(\d{4})(?![0-9/])"),  # 03/2025 (title only)
)
_DATE_BEFORE = re.compile(rf"{_NGAY}\s*\d{{1,2}}\s*$")
# Deadline phrases, as whole words ("hạn" inside "Than Uyên" is not one), and the date after them.
_DEADLINE_PHRASE = re.compile(r"(?<![a-z0-9])(thoi\s*han(?:\s*bao\s*cao)?|han\s*(?:bao\s*cao|gui|nop)|cham\s*nhat|truoc\s*ngay)(?![a-z])")
_DEADLINE_DATE = re.compile(
    rf"(?:(\d{{1,2}})\s*[/.\-]\s*(\d{{1,2}})\s*[/.\-]\s*(\d{{4}})|(\d{{1,2}})\s*{_THANG}\s*(\d{{1,2}})\s*{_NAM}\s*(\d{{4}}))"
)
_SENTENCE_STOP = re.compile(r"[.;!?](?=\s|$)")
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
    replaces_doc_number: str | None = None
    motto_seen: bool = False
    signer_lines: list[str] = field(default_factory=list)  # "Ký bởi: ..." digital-signature stamp
    layout: dict = field(default_factory=dict)  # how the header was read (fragments per line)


def split_columns(line: str) -> list[str]:
    """The fragments of a header line whose two columns were flattened onto it.

    Splits on column gaps (tabs, runs of 3+ spaces), cuts out the national motto's phrases
    (OCR-damaged too) wherever they sit, and separates "Số: 12/BC-LĐLĐ" from a place-date line
    on the same line (in either order). A single space is enough when the motto or the number
    marks the boundary, as in OCR output or PDF text extraction.
    """
    out: list[str] = []
    for piece in _COLUMN_GAP.split(line):
        for frag in _cut_motto(piece):
            out += _cut_number(frag)
    return [f.strip() for f in out if f.strip()]


def _cut_motto(piece: str) -> list[str]:
    key = fold_keep(piece)
    frags, at = [], 0
    for m in _MOTTO_RE.finditer(key):
        frags += [piece[at : m.start()], piece[m.start() : m.end()]]
        at = m.end()
    frags.append(piece[at:])
    return [f for f in frags if f.strip(" -–—_\t")]


def _cut_number(frag: str) -> list[str]:
    key = fold_keep(frag)
    inner = _DOC_NUMBER_INNER.search(key)
    if inner and key[: inner.start()].strip():
        return [frag[: inner.start()], *_cut_number(frag[inner.start() :])]
    m = _DOC_NUMBER_LEAD.match(key)
    if m and key[m.end() :].strip():
        rest = frag[m.end() :]
        # "15/BC-LĐLĐ Phong Thổ, ngày ..." -> number | place-date; a bare trailing word stays with the number.
        if _PLACE_DATE.search(fold_keep(rest)) or len(rest.strip()) > 12:
            return [frag[: m.end()], rest]
    return [frag]


def find_doc_number(lines: list[str]) -> str | None:
    for line in lines:
        for frag in split_columns(line):
            m = _DOC_NUMBER.match(fold_keep(frag)) or _DOC_NUMBER_LEAD.match(fold_keep(frag))
            if m:
                return normalize_doc_number(frag[m.start(1) : m.end(1)])
    return None


def find_replaces(text: str) -> str | None:
    """The number of the report a correction replaces ("thay thế Báo cáo số 21/BC-LĐLĐ")."""
    m = _REPLACES.search(fold_keep(text))
    return normalize_doc_number(text[m.start(1) : m.end(1)]) if m else None


def find_place_date(lines: list[str]) -> tuple[str | None, date | None]:
    for line in lines:
        for frag in split_columns(line):
            m = _PLACE_DATE.search(fold_keep(frag))
            if m:
                try:
                    issued = plausible_date(date(int(m[4]), int(m[3]), int(m[2])), "Ngày ban hành")
                except ValueError:  # 31/02, or a year outside the plausibility window (dlxh.core.parsing)
                    issued = None
                return frag.strip(), issued
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
    _, first_month, evidence = min(found, key=lambda f: f[0])
    return first_month, evidence


def find_title(lines: list[str]) -> int | None:
    """Index of the 'BÁO CÁO' title line (OCR-tolerant)."""
    for i, line in enumerate(lines):
        key = ocr_key(line)
        if re.match(r"^\s*bao\s*ca[o0]\b", key) and len(key) < 120 and not key.startswith("bao cao ket qua"):
            return i
    return None


def find_stated_deadline(text: str) -> datetime | None:
    """An ad-hoc report's own deadline: 'hạn gửi trước 17 giờ ngày 25/3/2025', 'chậm nhất ngày 25
    tháng 3 năm 2025', 'Hạn báo cáo kết quả ... trước ngày 16/6/2025' -> local datetime.

    Each deadline phrase is read with the first date after it in the same sentence. The
    report-back deadline wins over other dates of the text (a company paying "trước ngày 30/5"):
    rank 0 for "hạn báo cáo / hạn gửi / hạn nộp / thời hạn" or "trước ngày" right after a
    mention of reporting ("báo cáo ... trước ngày"), 1 for "chậm nhất", 2 for any other "trước ngày";
    the first of the best rank is taken.
    """
    key = fold_keep(text)
    best: tuple[int, int, datetime] | None = None
    for p in _DEADLINE_PHRASE.finditer(key):
        stop = _SENTENCE_STOP.search(key, p.end())
        window_end = min(stop.start() if stop else len(key), p.end() + 240)
        d = _DEADLINE_DATE.search(key, p.end(), window_end)
        if d is None:
            continue
        phrase = " ".join(p[1].split())
        sentence_start = max(
            (m.end() for m in _SENTENCE_STOP.finditer(key, max(0, p.start() - 200), p.start())), default=max(0, p.start() - 200)
        )
        reporting_before = re.search(r"bao\s*cao", key[sentence_start : p.start()])
        if phrase.startswith(("han", "thoi")) or (phrase.startswith("truoc") and reporting_before):
            rank = 0
        elif phrase.startswith("cham"):
            rank = 1 if not reporting_before else 0
        else:
            rank = 2
        day, mo, y = (d[1], d[2], d[3]) if d[1] else (d[4], d[5], d[6])
        hour = minute = 0
        t = _TIME_BEFORE.search(key[p.end() : d.start()])
        if t and int(t[1]) < 24:
            hour, minute = int(t[1]), int(t[2] or 0)
        try:
            when = datetime(int(y), int(mo), int(day), hour, minute, tzinfo=LOCAL)
        except ValueError:
            continue
        if best is None or rank < best[0]:
            best = (rank, p.start(), when)
    return best[2] if best else None


def is_motto(line: str) -> bool:
    """A fragment that is (what is left of) the national motto. Run on fragments from
    `split_columns`, never on a whole flattened line (it would drop the issuer beside it)."""
    if _MOTTO_RE.search(fold_keep(line)):
        return True
    key = ocr_key(line)
    return any(m in key for m in _MOTTO) and len(key) <= 40


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
    if fields.period_month is None and fields.report_type == "ad_hoc" and fields.issued_on is not None:
        # An ad-hoc report's title names an event, not a month: it belongs to the month it was issued.
        fields.period_month = fields.issued_on.replace(day=1)
        fields.month_evidence = fields.place_date_line
    if fields.period_month is None:
        fields.period_month, fields.month_evidence = find_month("\n".join(head))
    if fields.report_type == "monthly" and re.search(r"bao\s*cao\s*dot\s*xu[a-z]{1,2}t", ocr_key("\n".join(head))):
        fields.report_type = "ad_hoc"
    if fields.report_type == "ad_hoc":
        fields.stated_due_at = find_stated_deadline("\n".join(lines))
    fields.replaces_doc_number = find_replaces("\n".join(lines[: (title_at or 0) + 12]))
    end = title_at if title_at is not None else min(len(head), 12)
    fields.issuer_lines, fields.signer_lines = [], []
    for n, ln in enumerate(head[:end]):
        frags = split_columns(ln)
        if frags and len(frags) > 1:
            fields.layout.setdefault("split_lines", []).append({"line": n, "fragments": frags})
        for frag in frags:
            key = fold_keep(frag)
            if _STAMP.match(key):
                if re.match(r"^\s*k[yi]\s*b[oa]i", key):
                    fields.signer_lines.append(frag.split(":", 1)[1].strip())
                continue
            if is_motto(frag):
                fields.motto_seen = True
                continue
            if _DOC_NUMBER.match(key) or _DOC_NUMBER_LEAD.match(key) or _PLACE_DATE.search(key):
                continue
            if not re.search(r"[A-Za-zÀ-ỹĐđ]{2}", frag) or set(frag.strip()) <= set("_-–—=*. "):
                continue  # rules under the header ("_______") and stray marks
            fields.issuer_lines.append(frag.strip())
    return fields
