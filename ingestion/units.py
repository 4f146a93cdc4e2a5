"""Source `units`: the effective-dated unit registry (CSV or XLSX).

Primary key: (unit_code, valid_from). Cursor: the file (each file is a complete snapshot; the
latest load wins in staging). Columns, matched accent-insensitively (Vietnamese or English):

| field          | Vietnamese header   | required | notes                                      |
|----------------|---------------------|----------|--------------------------------------------|
| unit_code      | Mã đơn vị           | yes      | stable code, e.g. LDLD-TD                  |
| unit_name      | Tên đơn vị          | yes      | full Vietnamese name                       |
| unit_type      | Loại đơn vị         | yes      | district / sector / civil_servants / province |
| parent_code    | Đơn vị cấp trên     | no       |                                            |
| valid_from     | Hiệu lực từ         | yes      | first day the unit (version) exists        |
| valid_to       | Hiệu lực đến        | no       | last day it exists; empty = still exists   |
| successor_code | Đơn vị kế thừa      | no       | unit that took over after a merge          |
| contact_name   | Người liên hệ       | no       |                                            |
| contact_email  | Email liên hệ       | no       |                                            |
| contact_webhook| Webhook             | no       |                                            |
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from dlxh.db import copy_rows
from dlxh.parsing import parse_date, plausible_date
from dlxh.tabular import TableError, iter_cells, read_table
from dlxh.text import fold, nfc
from ingestion.framework import FileContext, FileOutcome, Quarantined
from ingestion.sources import SOURCE_SUFFIXES

ALIASES: dict[str, set[str]] = {
    "unit_code": {"ma_don_vi", "ma_dv", "ma", "code", "unit_code"},
    "unit_name": {"ten_don_vi", "ten_dv", "ten", "name", "unit_name"},
    "unit_type": {"loai_don_vi", "loai", "type", "unit_type"},
    "parent_code": {"don_vi_cap_tren", "ma_don_vi_cap_tren", "cap_tren", "parent", "parent_code"},
    "valid_from": {"hieu_luc_tu", "tu_ngay", "valid_from"},
    "valid_to": {"hieu_luc_den", "den_ngay", "valid_to"},
    "successor_code": {"don_vi_ke_thua", "ke_thua", "successor", "successor_code"},
    "contact_name": {"nguoi_lien_he", "lien_he", "contact_name"},
    "contact_email": {"email_lien_he", "email", "contact_email"},
    "contact_webhook": {"webhook", "contact_webhook"},
}
REQUIRED = ("unit_code", "unit_name", "unit_type", "valid_from")
UNIT_TYPES = {
    "district": "district", "huyen": "district", "thanh pho": "district", "ldld huyen": "district",
    "sector": "sector", "nganh": "sector", "cong doan nganh": "sector",
    "civil_servants": "civil_servants", "vien chuc": "civil_servants", "cong doan vien chuc": "civil_servants",
    "province": "province", "tinh": "province",
    "grassroots": "grassroots", "co so": "grassroots", "cong doan co so": "grassroots",
    "enterprise": "enterprise", "doanh nghiep": "enterprise",
}
COLUMNS = (
    "load_id", "source_file", "file_hash", "row_number", "unit_code", "unit_name", "unit_type", "parent_code",
    "valid_from", "valid_to", "successor_code", "contact_name", "contact_email", "contact_webhook",
)
FIELD_LABELS = {"unit_code": "Mã đơn vị", "unit_name": "Tên đơn vị", "unit_type": "Loại đơn vị", "valid_from": "Hiệu lực từ"}


class UnitsSource:
    name: ClassVar[str] = "units"
    table: ClassVar[str] = "raw.units"
    primary_key: ClassVar[tuple[str, ...]] = ("unit_code", "valid_from")
    cursor: ClassVar[str] = "file"
    suffixes: ClassVar[frozenset[str]] = SOURCE_SUFFIXES["units"]

    def load_file(self, cur: Any, ctx: FileContext, outcome: FileOutcome) -> None:
        try:
            table = read_table(ctx.path, ctx.data)
        except TableError as exc:
            outcome.quarantine(Quarantined(exc.reason_code, str(exc)))
            return
        index = table.header_index(ALIASES)
        missing = [FIELD_LABELS.get(f, f) for f in REQUIRED if f not in index]
        if missing:
            outcome.rows_read = len(table.rows)
            outcome.rows_quarantined = len(table.rows)
            outcome.quarantine(
                Quarantined("missing_columns", f"Thiếu cột bắt buộc: {', '.join(missing)}. Cột có trong tệp: {', '.join(table.headers)}.")
            )
            return
        rows: list[tuple] = []
        versions: dict[str, list[tuple[date, date | None, int]]] = {}
        for row_number, rec in iter_cells(table, index):
            outcome.rows_read += 1
            problem = None
            for f in REQUIRED:
                if not rec.get(f):
                    problem = Quarantined("missing_value", f"Thiếu giá trị «{FIELD_LABELS[f]}».", row_number, f, rec)
                    break
            valid_from = valid_to = None
            unit_type = None
            if problem is None:
                date_field = "valid_from"
                try:
                    valid_from = plausible_date(parse_date(rec["valid_from"]), "Hiệu lực từ", rec["valid_from"])
                    date_field = "valid_to"
                    valid_to = plausible_date(parse_date(rec["valid_to"]), "Hiệu lực đến", rec["valid_to"]) if rec.get("valid_to") else None
                except ValueError as exc:
                    problem = Quarantined("bad_date", f"Ngày hiệu lực sai: {exc}.", row_number, date_field, rec)
            if problem is None and valid_to is not None and valid_from is not None and valid_to < valid_from:
                problem = Quarantined("bad_date", f"«Hiệu lực đến» ({valid_to}) trước «Hiệu lực từ» ({valid_from}).", row_number, "valid_to", rec)
            if problem is None:
                unit_type = UNIT_TYPES.get(fold(rec["unit_type"]).replace("_", " ")) or UNIT_TYPES.get(fold(rec["unit_type"]))
                if unit_type is None:
                    problem = Quarantined(
                        "unknown_unit_type",
                        f"Loại đơn vị «{rec['unit_type']}» không hợp lệ (dùng: huyện, ngành, viên chức, tỉnh, cơ sở).",
                        row_number, "unit_type", rec,
                    )
            if problem is None:
                code = rec["unit_code"].strip().upper()
                for other_from, other_to, other_row in versions.get(code, []):
                    if (valid_to is None or valid_to >= other_from) and (other_to is None or other_to >= valid_from):
                        problem = Quarantined(
                            "overlapping_versions",
                            f"Đơn vị {code} có hai phiên bản chồng thời gian hiệu lực (dòng {other_row} và dòng {row_number}).",
                            row_number, "valid_from", rec,
                        )
                        break
            if problem:
                outcome.quarantine(problem)
                continue
            versions.setdefault(code, []).append((valid_from, valid_to, row_number))
            rows.append(
                (
                    ctx.load_id, str(ctx.path), ctx.file_hash, row_number, code, nfc(rec["unit_name"]), unit_type,
                    (rec.get("parent_code") or "").strip().upper() or None, valid_from, valid_to,
                    (rec.get("successor_code") or "").strip().upper() or None, nfc(rec.get("contact_name")) or None,
                    (rec.get("contact_email") or "").strip() or None, (rec.get("contact_webhook") or "").strip() or None,
                )
            )
        cur.execute("select 1 from raw.units where file_hash = %s limit 1", (ctx.file_hash,))
        if cur.fetchone():
            outcome.rows_unchanged = len(rows)
        else:
            outcome.rows_loaded = copy_rows(cur, self.table, COLUMNS, rows)
        outcome.rows_quarantined = len({q.row_number for q in outcome.quarantined})
