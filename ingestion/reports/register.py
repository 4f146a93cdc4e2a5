"""The office's incoming-documents register (sổ công văn đến), CSV or XLSX, read by the meaning of its columns.

Columns (accent-insensitive, Vietnamese or English, title rows above the header skipped):
the arrival time either in one column ("Thời gian nhận") or as a date column ("Ngày đến",
day-first) plus a time column ("Giờ đến": a time cell, or typed text "16h48", "8 giờ 47",
"08:47"); "Số đến" (arrival number), "Nơi gửi" (sender, abbreviated as offices do), "Số, ký
hiệu VB", "Ngày VB", "Trích yếu" (summary), "File đính kèm", "Ghi chú".

Every row is kept in raw.document_register, whatever it is (a letter from the Tỉnh ủy, an
invitation, a grassroots union's report, a row without attachment): only a row without a
readable arrival time is quarantined. A row's sender is matched to a registry unit (unit_code
null when it names none; counted in the summary detail); its number and summary give the
report type (đột xuất = ad_hoc), the correction it replaces and the row kind
(unit_report = a unit's report on thought and public opinion; other). The document number is
normalised exactly like raw.reports.doc_number (`matching.normalize_doc_number`), the attachment
name is reduced to its base name.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any

from dlxh.core.db import copy_rows
from dlxh.core.parsing import LOCAL, parse_local_datetime, plausible_moment
from dlxh.core.tabular import Table, iter_cells
from dlxh.core.text import nfc
from ingestion.framework import FileContext, FileOutcome, Quarantined
from ingestion.reference.matching import fold_keep, normalize_doc_number, ocr_key
from ingestion.reference.units import UnitRegistry

ALIASES: dict[str, set[str]] = {
    "received_at": {"thoi_gian_nhan", "thoi_gian_den", "ngay_gio_den", "ngay_gio_nhan", "received_at", "received", "arrived_at"},
    "received_date": {"ngay_den", "ngay_nhan", "received_date", "date_received", "arrival_date", "ngay_vao_so"},
    "received_time": {"gio_den", "gio_nhan", "received_time", "time_received", "arrival_time"},
    "arrival_no": {"so_den", "so_vao_so", "arrival_no", "arrival_number", "stt_den"},
    "sender": {"noi_gui", "don_vi_gui", "co_quan_gui", "co_quan_ban_hanh", "noi_ban_hanh", "sender", "from"},
    "doc_number": {"so_ky_hieu", "so_ky_hieu_van_ban", "so_ky_hieu_vb", "so_van_ban", "so_vb", "so_hieu", "doc_number", "document_number"},
    "doc_date": {"ngay_vb", "ngay_van_ban", "ngay_ban_hanh", "doc_date", "document_date"},
    "summary": {"trich_yeu", "trich_yeu_noi_dung", "noi_dung", "summary", "subject"},
    "attachment_name": {
        "ten_tep",
        "tep_dinh_kem",
        "ten_tep_dinh_kem",
        "file_dinh_kem",
        "attachment",
        "attachment_name",
        "file_name",
        "file",
    },
    "note": {"ghi_chu", "note", "notes"},
}
COLUMNS = (
    "load_id",
    "source_file",
    "file_hash",
    "row_number",
    "received_at",
    "sender",
    "unit_code",
    "doc_number",
    "attachment_name",
    "arrival_no",
    "doc_date",
    "summary",
    "note",
    "report_type",
    "replaces_doc_number",
    "row_kind",
    "received_time_raw",
)

_TIME_TEXT = re.compile(r"^\s*(\d{1,2})\s*(?:h|g|gio|:|\.)\s*(\d{1,2})?\s*(?:p|ph|phut|')?(?::(\d{2}))?\s*$")
_REPLACES = re.compile(
    r"thay\s*the\s+(?:(?:bao\s*cao|bc|van\s*ban|vb)\s+)?(?:so\s*[:.]?\s*)?(\d{1,4}[a-z]?\s*/\s*[a-z0-9&]+(?:-[a-z0-9&]+)*)"
)


def is_register(table: Table) -> bool:
    index = table.header_index(ALIASES)
    has_time = "received_at" in index or "received_date" in index
    return has_time and ("attachment_name" in index or ("doc_number" in index and "sender" in index))


def parse_time_text(value: str | None) -> time | None:
    """'16:48', '16h48', '8h47', '8 giờ 47', '08:47:00', '8h' -> time; None when empty or unreadable."""
    text = ocr_key(value).replace("gio", "h") if value else ""
    if not text.strip():
        return None
    m = _TIME_TEXT.match(text.replace(" h", "h"))
    if not m:
        return None
    hh, mm, ss = int(m[1]), int(m[2] or 0), int(m[3] or 0)
    if hh > 23 or mm > 59 or ss > 59:
        return None
    return time(hh, mm, ss)


def arrival_time(rec: dict[str, str]) -> datetime:
    """The row's arrival time from one combined column or a date column plus a time column."""
    if rec.get("received_at"):
        received = parse_local_datetime(rec["received_at"])
        if rec.get("received_time") and received.time() == time(0):
            t = parse_time_text(rec["received_time"])
            if t is not None:
                received = datetime.combine(received.date(), t, tzinfo=LOCAL)
        return received
    if not rec.get("received_date"):
        raise ValueError("thiếu ngày đến")
    day = parse_local_datetime(rec["received_date"])
    raw_time = rec.get("received_time")
    if raw_time:
        t = parse_time_text(raw_time)
        if t is None:
            raise ValueError(f"không hiểu giờ đến «{raw_time}» (dùng dạng 16:48, 16h48 hoặc 16 giờ 48)")
        return datetime.combine(day.date(), t, tzinfo=LOCAL)
    return day


def expand_sender(sender: str) -> str:
    """The sender as written: the unit resolver writes out the offices' abbreviations itself."""
    return sender


def classify(rec: dict[str, str], unit_code: str | None) -> tuple[str, str | None, str | None]:
    """(row_kind, report_type, replaces_doc_number) from the number, summary and sender."""
    summary = ocr_key(rec.get("summary"))
    number = ocr_key(rec.get("doc_number"))
    sender = ocr_key(rec.get("sender"))
    replaces = None
    m = _REPLACES.search(fold_keep(nfc(rec.get("summary")) or "").replace("đ", "d"))
    if m:
        replaces = normalize_doc_number(nfc(rec["summary"])[m.start(1) : m.end(1)])
    is_report = bool(re.search(r"/bc\b", number)) or bool(re.match(r"^\s*(bc|bao\s*cao)\b", summary))
    report_type = None
    if re.search(r"\bdot\s*xuat\b", summary):
        report_type = "ad_hoc"
    elif re.search(r"tu\s*tuong|du\s*luan|\bdlxh\b", summary):
        report_type = "monthly"
    grassroots = bool(re.search(r"\bcdcs\b|cong\s*doan\s*co\s*so", sender)) or "/bc-cdcs" in number
    if is_report and unit_code and report_type and not grassroots:
        return "unit_report", report_type, replaces
    return "other", report_type if is_report else None, replaces


def load_register(cur: Any, ctx: FileContext, outcome: FileOutcome, table: Table) -> None:
    index = table.header_index(ALIASES)
    registry = UnitRegistry.from_db(cur)
    rows = []
    without_unit: list[dict[str, Any]] = []
    for row_number, rec in iter_cells(table, index):
        outcome.rows_read += 1
        try:
            received = plausible_moment(arrival_time(rec), "Thời gian nhận")
        except ValueError as exc:
            field = (
                "received_time"
                if rec.get("received_time") and "giờ" in str(exc)
                else ("received_at" if "received_at" in index else "received_date")
            )
            outcome.quarantine(Quarantined("bad_datetime", f"Thời gian đến không đọc được: {exc}.", row_number, field, rec))
            continue
        unit_code = None
        sender = nfc(rec.get("sender")) or None
        if sender:
            unit_code = registry.by_code(sender) or registry.match_name(expand_sender(sender), received.date())[0]
        if unit_code is None:
            without_unit.append({"row": row_number, "sender": sender, "doc_number": rec.get("doc_number")})
        kind, report_type, replaces = classify(rec, unit_code)
        doc_date = None
        if rec.get("doc_date"):
            try:
                doc_date = parse_local_datetime(rec["doc_date"]).date()
            except ValueError:
                outcome.detail.setdefault("unreadable_doc_dates", []).append({"row": row_number, "value": rec["doc_date"]})
        rows.append(
            (
                ctx.load_id,
                str(ctx.path),
                ctx.file_hash,
                row_number,
                received,
                sender,
                unit_code,
                normalize_doc_number(rec.get("doc_number")),
                _basename(rec.get("attachment_name")),
                nfc(rec.get("arrival_no")) or None,
                doc_date,
                nfc(rec.get("summary")) or None,
                nfc(rec.get("note")) or None,
                report_type,
                replaces,
                kind,
                nfc(rec.get("received_time")) or None,
            )
        )
    # A register is often re-exported whole, with more rows each time: rows already landed stay once.
    cur.execute("select received_at, sender, doc_number, attachment_name from raw.document_register")
    landed = {tuple(r) for r in cur.fetchall()}
    new_rows = []
    for row in rows:
        key = (row[4], row[5], row[7], row[8])
        if key in landed:
            outcome.rows_unchanged += 1
        else:
            landed.add(key)
            new_rows.append(row)
    outcome.rows_loaded += copy_rows(cur, "raw.document_register", COLUMNS, new_rows)
    outcome.detail["kind"] = "register"
    outcome.detail["header_row"] = table.header_row
    outcome.detail["columns"] = sorted(index)
    outcome.detail["unit_reports"] = sum(1 for r in rows if r[15] == "unit_report")
    outcome.detail["rows_without_unit"] = len(without_unit)
    if without_unit:
        outcome.detail["rows_without_unit_list"] = without_unit


def _basename(name: str | None) -> str | None:
    """The attachment's file name as raw.reports.source_file ends with it (no folder, NFC)."""
    text = nfc(name)
    if not text:
        return None
    return text.replace("\\", "/").rsplit("/", 1)[-1]


def register_sender_for(cur: Any, file_name: str) -> str | None:
    """The «Nơi gửi» of the register row whose attachment is `file_name` (a witness for the unit)."""
    cur.execute(
        "select sender from raw.document_register where lower(attachment_name) = lower(%s) and sender is not null "
        "order by received_at limit 1",
        (nfc(file_name),),
    )
    row = cur.fetchone()
    return row[0] if row else None


__all__ = ["ALIASES", "arrival_time", "classify", "expand_sender", "is_register", "load_register", "parse_time_text", "register_sender_for"]
