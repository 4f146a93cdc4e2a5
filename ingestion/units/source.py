"""Source `units`: the effective-dated unit registry (CSV, XLSX or JSON), as the federation keeps it.

Primary key: (unit_code, valid_from). Cursor: the file (each file is a complete snapshot; the
latest load wins in staging). The header row is found below any title rows; columns are matched
accent-insensitively (Vietnamese or English):

| field          | headers (any of)                                   | required | notes                                   |
|----------------|----------------------------------------------------|----------|-----------------------------------------|
| unit_code      | Mã đơn vị, Mã ĐV, Mã, code                          | yes      | the office's own code, kept as written  |
| unit_name      | Tên đơn vị, Tên ĐV, name                            | yes      | full Vietnamese name                    |
| short_name     | Tên viết tắt, Viết tắt, short name                  | no       | «LĐLĐ Tam Đường»: the resolver knows it |
| unit_type      | Loại đơn vị, Loại, type                             | yes      | any spelling of unit_types.csv (config) |
| parent_code    | Đơn vị cấp trên, Trực thuộc, parent                 | no       | a code or a name of a registry unit     |
| valid_from     | Hiệu lực từ, Ngày thành lập, Từ ngày, valid_from    | yes      | first day the unit (version) exists     |
| valid_to       | Hiệu lực đến, Đến ngày, valid_to                    | no       | last day it exists (inclusive)          |
| dissolved_on   | Ngày giải thể, Ngày sáp nhập, dissolved_on          | no       | the day it ceased: valid_to = the day before |
| successor_code | Đơn vị kế thừa, successor                           | no       |                                         |
| contact_name   | Người liên hệ                                       | no       |                                         |
| contact_email  | Email liên hệ, Email                                | no       |                                         |
| contact_webhook| Webhook                                             | no       |                                         |

A registry file is a **snapshot** of the whole registry by default: one that leaves out units the
registry in force has is refused (`registry_shrinks`, nothing changes) unless loaded with
`replace=True` (`dlxh ingest units --replace`); a dissolved unit stays in the snapshot with its end
date. A **change** file (`changes=True`, `--changes`) lists only the units it adds or changes: each
unit it names gets the file's versions, every other unit is carried over. `reapply=True`
(`--reapply`) applies a file loaded before again, e.g. to restore an earlier registry.

A parent written as a name («LĐLĐ tỉnh») is resolved against the file's own units with the unit
resolver; one that names no unit of the file («Tổng LĐLĐ Việt Nam») is kept empty and listed in
the import summary (`unresolved_parents`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, ClassVar

from dlxh.core.config.unit_types import describe_unit_types, resolve_unit_type
from dlxh.core.db import copy_rows
from dlxh.core.errors import ConfigError
from dlxh.core.parsing import parse_date
from dlxh.core.tabular import TableError, iter_cells, read_table
from dlxh.core.text import nfc
from ingestion.framework import FileContext, FileOutcome, Quarantined
from ingestion.reference.units import UnitRegistry, UnitVersion
from ingestion.spec import SourceSpec
from ingestion.units.spec import SPEC

ALIASES: dict[str, set[str]] = {
    "unit_code": {"ma_don_vi", "ma_dv", "ma", "code", "unit_code", "ma_so"},
    "unit_name": {"ten_don_vi", "ten_dv", "ten", "name", "unit_name", "ten_day_du"},
    "short_name": {"ten_viet_tat", "viet_tat", "ten_goi_tat", "short_name", "abbreviation"},
    "unit_type": {"loai_don_vi", "loai", "loai_dv", "type", "unit_type", "cap"},
    "parent_code": {"don_vi_cap_tren", "ma_don_vi_cap_tren", "cap_tren", "truc_thuoc", "parent", "parent_code"},
    "valid_from": {"hieu_luc_tu", "tu_ngay", "ngay_thanh_lap", "thanh_lap", "ngay_hieu_luc", "valid_from"},
    "valid_to": {"hieu_luc_den", "den_ngay", "valid_to"},
    "dissolved_on": {"ngay_giai_the", "giai_the", "ngay_sap_nhap", "ngay_ket_thuc", "dissolved_on"},
    "successor_code": {"don_vi_ke_thua", "ke_thua", "successor", "successor_code"},
    "contact_name": {"nguoi_lien_he", "lien_he", "contact_name"},
    "contact_email": {"email_lien_he", "email", "e_mail", "thu_dien_tu", "contact_email"},
    "contact_webhook": {"webhook", "contact_webhook"},
}
REQUIRED = ("unit_code", "unit_name", "unit_type", "valid_from")
# Registry dates have their own plausibility window: unions were founded long before 2000 (the
# window of received times), and an end date in year 9000+ means "still exists".
REGISTRY_EARLIEST = date(1900, 1, 1)
REGISTRY_AHEAD = timedelta(days=3660)
OPEN_ENDED_FROM_YEAR = 9000
COLUMNS = (
    "load_id",
    "source_file",
    "file_hash",
    "row_number",
    "unit_code",
    "unit_name",
    "unit_type",
    "parent_code",
    "valid_from",
    "valid_to",
    "successor_code",
    "contact_name",
    "contact_email",
    "contact_webhook",
    "short_name",
)
FIELD_LABELS = {
    "unit_code": "Mã đơn vị",
    "unit_name": "Tên đơn vị",
    "unit_type": "Loại đơn vị",
    "valid_from": "Hiệu lực từ",
    "valid_to": "Hiệu lực đến",
    "dissolved_on": "Ngày giải thể",
}


class UnitsSource:
    spec: ClassVar[SourceSpec] = SPEC
    name: ClassVar[str] = SPEC.name
    suffixes: ClassVar[frozenset[str]] = SPEC.suffixes

    def __init__(self, replace: bool = False, changes: bool = False, reapply: bool = False) -> None:
        if replace and changes:
            raise ConfigError("a registry file is either a full snapshot (--replace) or a list of changes (--changes), not both")
        self.replace = replace
        self.changes = changes
        self.reprocess_loaded = reapply  # read by the ingestion loop: files loaded before are applied again

    def load_file(self, cur: Any, ctx: FileContext, outcome: FileOutcome) -> None:
        try:
            table = read_table(ctx.path, ctx.data, header_aliases=ALIASES)
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
        parsed: list[tuple[int, dict[str, str], str, str, date, date | None]] = []
        versions: dict[str, list[tuple[date, date | None, int]]] = {}
        for row_number, rec in iter_cells(table, index):
            outcome.rows_read += 1
            problem, values = self._check_row(row_number, rec, versions)
            if problem:
                outcome.quarantine(problem)
                continue
            code, unit_type, valid_from, valid_to = values  # type: ignore[misc]
            versions.setdefault(code, []).append((valid_from, valid_to, row_number))
            parsed.append((row_number, rec, code, unit_type, valid_from, valid_to))

        # Parents and successors may be written as names or abbreviations of the file's own units.
        own = UnitRegistry(
            [
                UnitVersion(code, nfc(rec["unit_name"]) or code, vf, vt, ut, None, nfc(rec.get("short_name")) or None)
                for _, rec, code, ut, vf, vt in parsed
            ]
        )
        unresolved: dict[str, list[int]] = {}

        def reference(value: str | None, row_number: int, on: date) -> str | None:
            text = (value or "").strip()
            if not text:
                return None
            code = own.by_code(text) or own.resolve(text, on).code
            if code is None:
                unresolved.setdefault(text, []).append(row_number)
            return code

        rows: list[tuple] = []
        for row_number, rec, code, unit_type, valid_from, valid_to in parsed:
            parent = reference(rec.get("parent_code"), row_number, valid_from)
            rows.append(
                (
                    ctx.load_id,
                    str(ctx.path),
                    ctx.file_hash,
                    row_number,
                    code,
                    nfc(rec["unit_name"]),
                    unit_type,
                    parent if parent != code else None,
                    valid_from,
                    valid_to,
                    reference(rec.get("successor_code"), row_number, valid_from),
                    nfc(rec.get("contact_name")) or None,
                    (rec.get("contact_email") or "").strip() or None,
                    (rec.get("contact_webhook") or "").strip() or None,
                    nfc(rec.get("short_name")) or None,
                )
            )
        if unresolved:
            # Kept empty, never guessed: «Tổng LĐLĐ Việt Nam» above the province is not a unit of the registry.
            outcome.detail["unresolved_parents"] = {name: rows_ for name, rows_ in sorted(unresolved.items())}
            outcome.detail["notes"] = [
                "Đơn vị cấp trên / kế thừa không có trong danh mục nên để trống: "
                + "; ".join(f"«{name}» (dòng {', '.join(map(str, rows_))})" for name, rows_ in sorted(unresolved.items()))
                + "."
            ]
        cur.execute("select max(load_id) from raw.units")
        current_load = cur.fetchone()[0]
        cur.execute("select distinct load_id from raw.units where file_hash = %s", (ctx.file_hash,))
        loads_of_file = {r[0] for r in cur.fetchall()}
        if current_load is not None and current_load in loads_of_file:
            outcome.rows_unchanged = len(rows)  # this very file is the registry in force
        elif loads_of_file and not self.reprocess_loaded:
            outcome.rows_unchanged = len(rows)  # loaded before and since replaced: `--reapply` brings it back
            outcome.detail["note"] = "Danh mục này đã được nạp trước đây; dùng --reapply để áp dụng lại."
        else:
            new_codes = {r[4] for r in rows}
            carried = self._carry_over(cur, current_load, new_codes, ctx.load_id) if self.changes else []
            if not self.changes and not self.replace and current_load is not None and rows:
                dropped = self._dropped_units(cur, current_load, new_codes)
                if dropped:
                    shown = ", ".join(dropped[:10]) + (f" và {len(dropped) - 10} đơn vị khác" if len(dropped) > 10 else "")
                    outcome.quarantine(
                        Quarantined(
                            "registry_shrinks",
                            f"Danh mục này thiếu {len(dropped)} đơn vị có trong danh mục đang áp dụng ({shown}): nạp nó sẽ xóa các "
                            "đơn vị đó. Nếu đây là danh mục đầy đủ mới, nạp lại với --replace; nếu chỉ là các đơn vị thay đổi, "
                            "nạp với --changes. Đơn vị đã giải thể vẫn giữ trong danh mục, ghi ngày giải thể.",
                            record={"dropped_units": dropped},
                        )
                    )
                    outcome.rows_quarantined = outcome.rows_read
                    return
            written = copy_rows(cur, SPEC.tables[0].name, COLUMNS, rows + carried)
            if self.reprocess_loaded and loads_of_file:
                outcome.rows_updated = len(rows)
            else:
                outcome.rows_loaded = written - len(carried)
            if carried:
                outcome.detail["carried_over_units"] = len({r[4] for r in carried})
        outcome.rows_quarantined = len({q.row_number for q in outcome.quarantined})

    @staticmethod
    def _dropped_units(cur: Any, current_load: int, new_codes: set[str]) -> list[str]:
        cur.execute("select distinct unit_code from raw.units where load_id = %s order by 1", (current_load,))
        return [code for (code,) in cur.fetchall() if code not in new_codes]

    @staticmethod
    def _carry_over(cur: Any, current_load: int | None, changed: set[str], load_id: int) -> list[tuple]:
        """Rows of the registry in force for units a change file does not name, copied into its load."""
        if current_load is None:
            return []
        cols = ", ".join(COLUMNS[1:])
        cur.execute(f"select {cols} from raw.units where load_id = %s and not (unit_code = any(%s))", (current_load, sorted(changed)))
        return [(load_id, *r) for r in cur.fetchall()]

    @staticmethod
    def _check_row(
        row_number: int, rec: dict[str, str], versions: dict[str, list[tuple[date, date | None, int]]]
    ) -> tuple[Quarantined | None, tuple[str, str, date, date | None] | None]:
        for f in REQUIRED:
            if not rec.get(f):
                return Quarantined("missing_value", f"Thiếu giá trị «{FIELD_LABELS[f]}».", row_number, f, rec), None
        dates: dict[str, date | None] = {}
        for f in ("valid_from", "valid_to", "dissolved_on"):
            try:
                dates[f] = parse_date(rec[f]) if rec.get(f) else None
            except ValueError as exc:
                return Quarantined("bad_date", f"«{FIELD_LABELS[f]}» sai: {exc}.", row_number, f, rec), None
        if dates["valid_to"] is not None and dates["valid_to"].year >= OPEN_ENDED_FROM_YEAR:
            dates["valid_to"] = None  # «31/12/9999»: the registry's way of writing "still exists"
        for f, day in dates.items():
            if day is not None and not REGISTRY_EARLIEST <= day <= date.today() + REGISTRY_AHEAD:
                hint = "" if f == "valid_from" else "; để trống nếu đơn vị vẫn còn"
                return Quarantined(
                    "bad_date",
                    f"«{FIELD_LABELS[f]}» «{rec[f]}» nằm ngoài khoảng hợp lý của danh mục đơn vị "
                    f"({REGISTRY_EARLIEST:%d/%m/%Y} – {date.today() + REGISTRY_AHEAD:%d/%m/%Y}){hint}.",
                    row_number,
                    f,
                    rec,
                ), None
        valid_from = dates["valid_from"]
        assert valid_from is not None
        valid_to = dates["valid_to"]
        if dates["dissolved_on"] is not None:
            last_day = dates["dissolved_on"] - timedelta(days=1)  # dissolved on that day: it existed until the day before
            valid_to = min(valid_to, last_day) if valid_to else last_day
        if valid_to is not None and valid_to < valid_from:
            field = "dissolved_on" if dates["dissolved_on"] is not None else "valid_to"
            return Quarantined(
                "bad_date", f"«{FIELD_LABELS[field]}» ({rec[field]}) không sau «Hiệu lực từ» ({rec['valid_from']}).", row_number, field, rec
            ), None
        unit_type = resolve_unit_type(rec["unit_type"])
        if unit_type is None:
            return Quarantined(
                "unknown_unit_type",
                f"Loại đơn vị «{rec['unit_type']}» không có trong danh mục loại đơn vị (unit_types.csv). Dùng một trong: "
                f"{describe_unit_types()}.",
                row_number,
                "unit_type",
                rec,
            ), None
        code = " ".join(rec["unit_code"].split()).upper()
        for other_from, other_to, other_row in versions.get(code, []):
            if (valid_to is None or valid_to >= other_from) and (other_to is None or other_to >= valid_from):
                return Quarantined(
                    "overlapping_versions",
                    f"Đơn vị {code} có hai phiên bản chồng thời gian hiệu lực (dòng {other_row} và dòng {row_number}).",
                    row_number,
                    "valid_from",
                    rec,
                ), None
        return None, (code, unit_type, valid_from, valid_to)
