"""The office's incoming-documents register (sổ công văn đến), CSV or XLSX.

Columns (accent-insensitive): Thời gian nhận / Ngày đến (required), Nơi gửi / Đơn vị gửi,
Số, ký hiệu văn bản, Tên tệp đính kèm. Either the attachment name or the sender plus the
document number must identify the report. The document number is normalised exactly like
raw.reports.doc_number (`matching.normalize_doc_number`: "Số: 15/BC-LĐLĐ" -> "15/BC-LĐLĐ"),
the sender is matched to a registry unit code, the attachment name is reduced to its base name.
"""

from __future__ import annotations

from typing import Any

from dlxh.db import copy_rows
from dlxh.parsing import parse_local_datetime
from dlxh.tabular import Table, iter_cells
from dlxh.text import nfc
from ingestion.framework import FileContext, FileOutcome, Quarantined
from ingestion.reports.matching import normalize_doc_number
from ingestion.reports.registry_lookup import UnitRegistry

ALIASES: dict[str, set[str]] = {
    "received_at": {"thoi_gian_nhan", "ngay_den", "ngay_nhan", "thoi_gian_den", "received_at"},
    "sender": {"noi_gui", "don_vi_gui", "co_quan_gui", "sender"},
    "doc_number": {"so_ky_hieu", "so_ky_hieu_van_ban", "so_van_ban", "so_hieu", "doc_number"},
    "attachment_name": {"ten_tep", "tep_dinh_kem", "ten_tep_dinh_kem", "attachment", "attachment_name", "file_name"},
}
COLUMNS = ("load_id", "source_file", "file_hash", "row_number", "received_at", "sender", "unit_code", "doc_number", "attachment_name")


def is_register(table: Table) -> bool:
    index = table.header_index(ALIASES)
    return "received_at" in index and ("attachment_name" in index or ("doc_number" in index and "sender" in index))


def load_register(cur: Any, ctx: FileContext, outcome: FileOutcome, table: Table) -> None:
    index = table.header_index(ALIASES)
    registry = UnitRegistry.from_db(cur)
    rows = []
    for row_number, rec in iter_cells(table, index):
        outcome.rows_read += 1
        try:
            received = parse_local_datetime(rec["received_at"], "Thời gian nhận")
        except ValueError as exc:
            outcome.quarantine(Quarantined("bad_datetime", f"{exc}.", row_number, "received_at", rec))
            continue
        if not rec.get("attachment_name") and not (rec.get("doc_number") and rec.get("sender")):
            outcome.quarantine(
                Quarantined("unmatchable_register_row", "Dòng sổ công văn thiếu tên tệp đính kèm và thiếu số văn bản/nơi gửi.", row_number, None, rec)
            )
            continue
        unit_code = None
        if rec.get("sender"):
            unit_code = registry.by_code(rec["sender"]) or registry.match_name(rec["sender"], received.date())[0]
        rows.append(
            (ctx.load_id, str(ctx.path), ctx.file_hash, row_number, received, nfc(rec.get("sender")) or None, unit_code,
             normalize_doc_number(rec.get("doc_number")), _basename(rec.get("attachment_name")))
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


def _basename(name: str | None) -> str | None:
    """The attachment's file name as raw.reports.source_file ends with it (no folder, NFC)."""
    text = nfc(name)
    if not text:
        return None
    return text.replace("\\", "/").rsplit("/", 1)[-1]
