"""Source `collaborators`: rosters of the collaborator network and contribution forms.

A file is one of two kinds, told apart by its headers (found below any title rows, matched
accent-insensitively, Vietnamese or English):

**Roster** (danh sách cộng tác viên dư luận xã hội), one row per collaborator version:

| field          | headers (any of)                                        | required |
|----------------|---------------------------------------------------------|----------|
| code           | Mã CTV, Mã cộng tác viên, Mã số, code                   | no (a pseudonymous code is derived from unit + name) |
| full_name      | Họ và tên, Họ tên, full name                             | yes (restricted) |
| unit           | Đơn vị, Đơn vị quản lý, Đơn vị công tác, unit            | yes (the unit resolver) |
| level          | Cấp, level (tỉnh / huyện / cơ sở)                       | no       |
| area           | Địa bàn, Địa bàn phụ trách, area                         | no       |
| sector         | Lĩnh vực, Đoàn thể, Lĩnh vực/Đoàn thể, sector            | no       |
| position       | Chức vụ, Chức danh, position                             | no       |
| gender         | Giới tính (Nam / Nữ), gender                            | no       |
| ethnicity      | Dân tộc, ethnicity                                       | no       |
| phone, email   | Số điện thoại, SĐT, Email                                | no (restricted) |
| decision_no    | Số quyết định, Số QĐ (or «Số» under a merged «Quyết định») | no   |
| appointed_on   | Ngày quyết định, Ngày QĐ, Ngày công nhận (or «Ngày» under «Quyết định») | yes |
| ended_on       | Ngày thôi, Ngày kết thúc, end date                       | no (last day, inclusive) |
| end_reason     | Lý do thôi (thay thế / chuyển công tác / xin thôi), end reason | no |

A roster is a snapshot of one unit's network or of all units, said explicitly: the `scope` option
(`dlxh ingest collaborators --scope "LĐLĐ Tam Đường"` or `--scope all`), a title line
(«Đơn vị: LĐLĐ huyện Tam Đường», «Phạm vi: toàn tỉnh») or a column «Phạm vi». For each unit the
latest roster covering it is in force (dbt `stg_collaborators__roster`); a unit roster with a row
of another unit quarantines that row.

**Contribution form** (phiếu tổng hợp ý kiến của cộng tác viên): collaborator (code or name),
date, topic, opinion summary, and the unit (a column or a title line «Đơn vị: …»). Each
contribution is keyed by its content, so a form sent twice counts once.

Every row is loaded or quarantined with a reason naming the file, the row and the field.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from dlxh.core.calendar import add_months
from dlxh.core.db import copy_rows
from dlxh.core.parsing import parse_date
from dlxh.core.tabular import Table, TableError, iter_cells, read_table
from dlxh.core.text import fold, nfc, slug
from ingestion.collaborators.spec import SPEC
from ingestion.framework import FileContext, FileOutcome, Quarantined
from ingestion.reference.units import UnitRegistry
from ingestion.spec import SourceSpec

ROSTER_ALIASES: dict[str, set[str]] = {
    "stt": {"stt", "so_thu_tu", "tt", "no"},
    "code": {"ma_ctv", "ma_cong_tac_vien", "ma_so_ctv", "ma_so", "ma", "code", "collaborator_code"},
    "full_name": {"ho_va_ten", "ho_ten", "ho_ten_ctv", "ho_va_ten_ctv", "ten_cong_tac_vien", "full_name", "name"},
    "unit": {"don_vi", "don_vi_quan_ly", "don_vi_cong_tac", "don_vi_truc_thuoc", "ma_don_vi", "unit", "unit_code"},
    "level": {"cap", "cap_quan_ly", "cap_ctv", "level"},
    "area": {"dia_ban", "dia_ban_phu_trach", "dia_ban_hoat_dong", "area"},
    "sector": {
        "linh_vuc",
        "doan_the",
        "linh_vuc_doan_the",
        "nganh_linh_vuc",
        "linh_vuc_phu_trach",
        "sector",
        "organisation",
        "organization",
    },
    "position": {"chuc_vu", "chuc_danh", "chuc_vu_don_vi_cong_tac", "position"},
    "gender": {"gioi_tinh", "gender", "sex"},
    "ethnicity": {"dan_toc", "ethnicity"},
    "phone": {"so_dien_thoai", "dien_thoai", "sdt", "so_dt", "phone"},
    "email": {"email", "e_mail", "thu_dien_tu", "dia_chi_email"},
    "decision_no": {"so_quyet_dinh", "so_qd", "quyet_dinh_so", "decision_no"},
    "appointed_on": {"ngay_quyet_dinh", "ngay_qd", "ngay_cong_nhan", "ngay_bat_dau", "ngay_bo_nhiem", "appointed_on", "appointment_date"},
    "ended_on": {"ngay_thoi", "ngay_ket_thuc", "ngay_thoi_lam_ctv", "ngay_thoi_cong_nhan", "ended_on", "end_date"},
    "end_reason": {"ly_do_thoi", "ly_do", "ly_do_ket_thuc", "end_reason"},
    "scope": {"pham_vi", "pham_vi_danh_sach", "scope"},
}
FORM_ALIASES: dict[str, set[str]] = {
    "stt": {"stt", "tt"},
    "collaborator": {"cong_tac_vien", "ctv", "ho_ten_ctv", "ho_va_ten_ctv", "ho_va_ten", "ho_ten", "ma_ctv", "collaborator"},
    "contributed_on": {"ngay", "ngay_phan_anh", "ngay_ghi_nhan", "thoi_gian", "ngay_thang", "date"},
    "topic": {"chu_de", "van_de", "linh_vuc", "noi_dung_chu_de", "topic"},
    "summary": {
        "tom_tat_y_kien",
        "noi_dung_y_kien",
        "y_kien",
        "tom_tat_noi_dung",
        "noi_dung",
        "tom_tat_y_kien_du_luan",
        "opinion_summary",
        "summary",
    },
    "unit": {"don_vi", "ma_don_vi", "unit"},
}
# A merged header («Quyết định công nhận» over «Số» | «Ngày») names its sub-columns this way.
MERGED_PARENTS = {"quyet_dinh": {"so": "decision_no", "ngay": "appointed_on"}, "thoi_lam_ctv": {"ngay": "ended_on", "ly_do": "end_reason"}}
LABELS = {
    "code": "Mã CTV",
    "full_name": "Họ và tên",
    "unit": "Đơn vị",
    "level": "Cấp",
    "gender": "Giới tính",
    "email": "Email",
    "appointed_on": "Ngày quyết định",
    "ended_on": "Ngày thôi",
    "end_reason": "Lý do thôi",
    "collaborator": "Cộng tác viên",
    "contributed_on": "Ngày",
    "summary": "Tóm tắt ý kiến",
    "phone": "Số điện thoại",
    "scope": "Phạm vi",
    "decision_no": "Số quyết định",
}
GENDERS = {"nu": "female", "n": "female", "female": "female", "f": "female", "nam": "male", "male": "male", "m": "male"}
LEVELS = (
    ("co so", "grassroots"),
    ("cs", "grassroots"),
    ("grassroots", "grassroots"),
    ("tinh", "province"),
    ("province", "province"),
    ("huyen", "district"),
    ("thanh pho", "district"),
    ("thi xa", "district"),
    ("tp", "district"),
    ("district", "district"),
    ("nganh", "sector"),
    ("sector", "sector"),
)
END_REASONS = (
    ("thay the", "replaced"),
    ("replaced", "replaced"),
    ("chuyen", "moved"),
    ("moved", "moved"),
    ("xin thoi", "resigned"),
    ("nghi", "resigned"),
    ("thoi", "resigned"),
    ("resigned", "resigned"),
)
ALL_WORDS = {"all", "tat ca", "toan tinh", "tat ca don vi", "toan bo", "*"}
_SCOPE_LINE = re.compile(r"^\s*(don vi|pham vi|unit|scope)\s*[:：]\s*(.+)$")
_COLUMN_NUMBERS = re.compile(r"^\(?\d{1,2}\)?$")
_PHONE = re.compile(r"^\+?[\d .\-()]{8,20}$")
_DATE_IN_TITLE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
EARLIEST = date(1990, 1, 1)


def match_key(text: str | None) -> str:
    """The key collectors and contributions are matched on (dbt macro `collaborator_match_key`):
    folded, letters and digits only («Nguyễn Văn An» -> «nguyenvanan», «CTV-TD-01» -> «ctvtd01»)."""
    return re.sub(r"[^0-9a-z]+", "", fold(text))


def derived_code(unit_code: str, full_name: str) -> str:
    """A roster without codes: a stable pseudonymous code from the unit and the name (no name in it)."""
    return "CTV#" + hashlib.sha256(f"{unit_code}|{match_key(full_name)}".encode()).hexdigest()[:10].upper()


@dataclass
class _Scope:
    all_units: bool
    unit_code: str | None
    stated_by: str


def _merge_subheaders(table: Table, aliases: dict[str, set[str]]) -> Table:
    """Two header rows (a merged «Quyết định công nhận» over «Số» | «Ngày») into one; a row of
    column numbers «(1) (2) (3)» under the header is dropped (not data)."""
    if not table.rows:
        return table
    first_row, cells = table.rows[0]
    filled = [c for c in cells if c.strip()]
    if filled and all(_COLUMN_NUMBERS.match(c.strip()) for c in filled):
        table.rows = table.rows[1:]
        return _merge_subheaders(table, aliases)
    sub = [slug(c) for c in cells]
    known = {n for names in aliases.values() for n in names} | {"so", "ngay", "ly_do"}
    if not filled or not all(s in known for s in sub if s):
        return table
    if not any(not h.strip() or slug(h) in MERGED_PARENTS or slug(h) not in known for h in table.headers):
        return table  # the first data row only looks like headers
    headers = list(table.headers)
    parent = ""
    for i in range(max(len(headers), len(sub))):
        head = headers[i] if i < len(headers) else ""
        if head.strip():
            parent = next((p for p in MERGED_PARENTS if slug(head).startswith(p) or p in slug(head)), "")
        s = sub[i] if i < len(sub) else ""
        if not s:
            continue
        mapped = MERGED_PARENTS.get(parent, {}).get(s)
        name = LABELS.get(mapped, cells[i]) if mapped else cells[i]
        if i < len(headers):
            headers[i] = name
        else:
            headers.append(name)
    table.headers = headers
    table.rows = table.rows[1:]
    return _merge_subheaders(table, aliases)


def _title_lines(ctx: FileContext, table: Table) -> list[str]:
    """The lines above the header row (title, «Đơn vị: …», «tính đến ngày …»)."""
    above = (table.header_row or 1) - 1
    if above <= 0:
        return []
    if ctx.path.suffix.lower() in (".xlsx", ".xlsm"):
        import io

        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(ctx.data), read_only=True, data_only=True)
        ws = wb.worksheets[0]
        lines = [
            " ".join(str(v).strip() for v in row if v is not None and str(v).strip())
            for row in ws.iter_rows(min_row=1, max_row=above, values_only=True)
        ]
        wb.close()
    else:
        from dlxh.core.tabular import decode_bytes

        text, _ = decode_bytes(ctx.data)
        lines = [" ".join(c.strip() for c in re.split(r"[,;\t|]", line) if c.strip()) for line in text.splitlines()[:above]]
    return [nfc(line) or "" for line in lines if line and line.strip()]


class CollaboratorsSource:
    spec: ClassVar[SourceSpec] = SPEC
    name: ClassVar[str] = SPEC.name
    suffixes: ClassVar[frozenset[str]] = SPEC.suffixes

    def __init__(self, scope: str | None = None) -> None:
        self.scope = (scope or "").strip() or None

    # -- dispatch -------------------------------------------------------------------------------
    def load_file(self, cur: Any, ctx: FileContext, outcome: FileOutcome) -> None:
        aliases = {**ROSTER_ALIASES, **{f"form_{k}": v for k, v in FORM_ALIASES.items()}}
        try:
            table = read_table(ctx.path, ctx.data, header_aliases=aliases)
        except TableError as exc:
            outcome.quarantine(Quarantined(exc.reason_code, str(exc)))
            return
        slugs = {slug(h) for h in table.headers}
        title = " ".join(fold(line) for line in _title_lines(ctx, table))
        is_form = "phieu tong hop y kien" in title or (
            bool(slugs & FORM_ALIASES["summary"]) and not slugs & (ROSTER_ALIASES["appointed_on"] | {"quyet_dinh", "quyet_dinh_cong_nhan"})
        )
        registry = UnitRegistry.from_db(cur)
        if not registry.versions:
            outcome.rows_read = len(table.rows)
            outcome.rows_quarantined = len(table.rows)
            outcome.quarantine(Quarantined("no_unit_registry", "Chưa có danh mục đơn vị: nạp danh mục (dlxh ingest units) trước."))
            return
        if is_form:
            outcome.detail["kind"] = "contribution_form"
            self._load_form(cur, ctx, outcome, table, registry)
        else:
            outcome.detail["kind"] = "roster"
            self._load_roster(cur, ctx, outcome, _merge_subheaders(table, ROSTER_ALIASES), registry)

    # -- rosters --------------------------------------------------------------------------------
    def _scope(self, ctx: FileContext, table: Table, index: dict[str, int], registry: UnitRegistry) -> tuple[_Scope | None, str]:
        """What the roster is a snapshot of: (scope, "") or (None, why not)."""
        candidates: list[tuple[str, str]] = []
        if self.scope:
            candidates.append((self.scope, "option"))
        for line in _title_lines(ctx, table):
            m = _SCOPE_LINE.match(fold(line))
            if m:
                # The value as written (diacritics kept) after the colon.
                candidates.append((line.split(":", 1)[1].strip() if ":" in line else m[2], "title"))
            elif any(w in fold(line) for w in ("toan tinh", "tat ca cac don vi")):
                candidates.append(("all", "title"))
        if "scope" in index:
            values = {
                nfc(cells[index["scope"]]) for _, cells in table.rows if index["scope"] < len(cells) and cells[index["scope"]].strip()
            }
            if len(values) > 1:
                return (
                    None,
                    f"Cột «Phạm vi» ghi nhiều phạm vi khác nhau ({', '.join(sorted(v or '' for v in values))}): mỗi tệp là một danh sách.",
                )
            if values:
                candidates.append((values.pop() or "", "column"))
        if not candidates:
            return None, (
                "Danh sách không nói rõ là của một đơn vị hay của toàn tỉnh. Ghi dòng «Đơn vị: <tên đơn vị>» hoặc "
                "«Phạm vi: toàn tỉnh» trên tiêu đề bảng, một cột «Phạm vi», hoặc nạp với --scope."
            )
        text, by = candidates[0]
        if fold(text) in ALL_WORDS:
            return _Scope(True, None, by), ""
        res = registry.resolve(text)
        if res.code is None:
            why = f"trùng nhiều đơn vị ({', '.join(res.candidates)})" if res.ambiguous else "không có trong danh mục đơn vị"
            return None, f"Phạm vi danh sách «{text}» {why}."
        return _Scope(False, res.code, by), ""

    def _load_roster(self, cur: Any, ctx: FileContext, outcome: FileOutcome, table: Table, registry: UnitRegistry) -> None:
        index = table.header_index(ROSTER_ALIASES)
        # «Đơn vị» may be left out of one unit's roster (its scope says it); a roster of all units needs it.
        missing = [LABELS[f] for f in ("full_name", "appointed_on") if f not in index]
        if missing:
            outcome.rows_read = outcome.rows_quarantined = len(table.rows)
            outcome.quarantine(
                Quarantined(
                    "missing_columns",
                    f"Tệp «{ctx.path.name}»: thiếu cột bắt buộc {', '.join(missing)} (danh sách CTV) hoặc «Tóm tắt ý kiến» (phiếu tổng "
                    f"hợp ý kiến). Cột có trong tệp: {', '.join(h for h in table.headers if h)}.",
                )
            )
            return
        scope, why = self._scope(ctx, table, index, registry)
        if scope is None:
            outcome.rows_read = outcome.rows_quarantined = len(table.rows)
            outcome.quarantine(Quarantined("scope_not_stated", f"Tệp «{ctx.path.name}»: {why}", field="scope"))
            return
        as_of = None
        for line in _title_lines(ctx, table):
            if "den ngay" in fold(line) and (m := _DATE_IN_TITLE.search(line)):
                as_of = date(int(m[3]), int(m[2]), int(m[1]))
        rows: list[tuple] = []
        people: list[tuple] = []
        versions: dict[str, list[tuple[date, date | None, int]]] = {}
        for row_number, rec in iter_cells(table, index):
            if not any(v.strip() for k, v in rec.items() if k not in ("stt", "scope")):
                continue  # a numbered but empty line under the table
            outcome.rows_read += 1
            problem, row = self._roster_row(ctx, row_number, rec, registry, scope, versions)
            if problem:
                outcome.quarantine(problem)
                continue
            assert row is not None
            rows.append(row[0])
            people.append(row[1])
        cur.execute("select 1 from raw.collaborator_rosters where file_hash = %s limit 1", (ctx.file_hash,))
        if cur.fetchone():
            # This very roster was loaded before (a file with quarantined rows is read again): nothing new.
            outcome.rows_unchanged = len(rows)
            outcome.rows_quarantined = len({q.row_number for q in outcome.quarantined})
            outcome.detail["note"] = "Danh sách này đã được nạp trước đây; không có gì mới."
            return
        cur.execute(
            "insert into raw.collaborator_rosters (load_id, file_hash, source_file, scope_all, scope_unit_code, scope_stated_by, "
            "as_of_date, rows_loaded) values (%s, %s, %s, %s, %s, %s, %s, %s) on conflict do nothing",
            (ctx.load_id, ctx.file_hash, str(ctx.path), scope.all_units, scope.unit_code, scope.stated_by, as_of, len(rows)),
        )
        copy_rows(cur, "raw.collaborator_roster_rows", ROSTER_COLUMNS, rows)
        copy_rows(cur, "restricted.collaborator_people", PEOPLE_COLUMNS, people)
        outcome.rows_loaded = len(rows)
        outcome.rows_quarantined = len({q.row_number for q in outcome.quarantined})
        outcome.detail["scope"] = "all" if scope.all_units else scope.unit_code
        outcome.detail["scope_stated_by"] = scope.stated_by
        if rows:
            unmatched = _unmatched_collectors(cur)
            if unmatched:
                outcome.detail["unmatched_collectors"] = unmatched
                outcome.detail["notes"] = [
                    f"{sum(n for _, _, n in unmatched)} phiếu khảo sát có người thu thập chưa khớp danh sách CTV: "
                    + "; ".join(f"«{who}» ({unit}, {n} phiếu)" for who, unit, n in unmatched[:15])
                ]

    def _roster_row(
        self,
        ctx: FileContext,
        row_number: int,
        rec: dict[str, str],
        registry: UnitRegistry,
        scope: _Scope,
        versions: dict[str, list[tuple[date, date | None, int]]],
    ) -> tuple[Quarantined | None, tuple[tuple, tuple] | None]:
        def bad(code: str, field: str, reason: str) -> tuple[Quarantined, None]:
            return Quarantined(
                code, f"Tệp «{ctx.path.name}», dòng {row_number}, trường «{LABELS.get(field, field)}»: {reason}", row_number, field
            ), None

        full_name = nfc(rec.get("full_name")) or ""
        if not full_name:
            return bad("missing_value", "full_name", "thiếu họ và tên cộng tác viên.")
        dates: dict[str, date | None] = {}
        for f in ("appointed_on", "ended_on"):
            raw = (rec.get(f) or "").strip()
            if not raw:
                dates[f] = None
                continue
            try:
                dates[f] = parse_date(raw)
            except ValueError as exc:
                return bad("bad_date", f, f"{exc}.")
            if not EARLIEST <= dates[f] <= add_months(date.today(), 120):  # type: ignore[operator]
                return bad("bad_date", f, f"ngày «{raw}» nằm ngoài khoảng hợp lý.")
        appointed, ended = dates["appointed_on"], dates["ended_on"]
        if appointed is None:
            return bad("missing_value", "appointed_on", "thiếu ngày quyết định công nhận (ngày bắt đầu làm CTV).")
        if ended is not None and ended < appointed:
            return bad("bad_date", "ended_on", f"ngày thôi ({rec['ended_on']}) trước ngày quyết định ({rec['appointed_on']}).")
        unit_text = (rec.get("unit") or "").strip()
        if not unit_text and not scope.all_units:
            unit_text = scope.unit_code or ""
        if not unit_text:
            return bad("missing_value", "unit", "thiếu đơn vị.")
        res = registry.resolve(unit_text, appointed)
        if res.code is None:
            if res.ambiguous:
                return bad("ambiguous_unit", "unit", f"«{unit_text}» khớp nhiều đơn vị ({', '.join(res.candidates)}); ghi mã đơn vị.")
            return bad("unknown_unit", "unit", f"«{unit_text}» không có trong danh mục đơn vị.")
        if not scope.all_units and res.code != scope.unit_code:
            return bad("outside_scope", "unit", f"«{unit_text}» ({res.code}) không thuộc danh sách của đơn vị {scope.unit_code}.")
        gender_raw = fold(rec.get("gender"))
        gender = GENDERS.get(gender_raw) if gender_raw else None
        if gender_raw and gender is None:
            return bad("bad_value", "gender", f"«{rec['gender']}» không phải Nam hoặc Nữ.")
        level_raw = fold(rec.get("level"))
        level = next((v for k, v in LEVELS if level_raw == k or level_raw.startswith(k + " ") or f" {k}" in f" {level_raw}"), None)
        if level_raw and level is None:
            return bad("bad_value", "level", f"«{rec['level']}» không phải cấp tỉnh, huyện hay cơ sở.")
        reason_raw = fold(rec.get("end_reason"))
        end_reason = next((v for k, v in END_REASONS if k in reason_raw), "other") if reason_raw else None
        if end_reason is not None and ended is None:
            return bad("missing_value", "ended_on", f"có lý do thôi («{rec['end_reason']}») nhưng thiếu ngày thôi.")
        email = (rec.get("email") or "").strip() or None
        if email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
            return bad("bad_value", "email", f"«{email}» không phải địa chỉ email.")
        phone = (rec.get("phone") or "").strip() or None
        if phone and not _PHONE.match(phone):
            return bad("bad_value", "phone", f"«{phone}» không phải số điện thoại.")
        written_code = " ".join((rec.get("code") or "").split()).upper()
        code = written_code or derived_code(res.code, full_name)
        for other_from, other_to, other_row in versions.get(code, []):
            if (ended is None or ended >= other_from) and (other_to is None or other_to >= appointed):
                return bad(
                    "overlapping_versions",
                    "appointed_on",
                    f"CTV {code} có hai dòng chồng thời gian (dòng {other_row} và dòng {row_number}).",
                )
        versions.setdefault(code, []).append((appointed, ended, row_number))
        row = (
            ctx.load_id,
            ctx.file_hash,
            row_number,
            str(ctx.path),
            code,
            not written_code,
            res.code,
            unit_text,
            res.rule,
            level,
            nfc(rec.get("area")) or None,
            nfc(rec.get("sector")) or None,
            nfc(rec.get("position")) or None,
            gender,
            nfc(rec.get("ethnicity")) or None,
            nfc(rec.get("decision_no")) or None,
            appointed,
            ended,
            end_reason,
            nfc(rec.get("end_reason")) or None,
            phone is not None,
            email is not None,
        )
        person = (ctx.load_id, ctx.file_hash, row_number, code, res.code, full_name, phone, email)
        return None, (row, person)

    # -- contribution forms ---------------------------------------------------------------------
    def _load_form(self, cur: Any, ctx: FileContext, outcome: FileOutcome, table: Table, registry: UnitRegistry) -> None:
        index = table.header_index(FORM_ALIASES)
        missing = [LABELS[f] for f in ("collaborator", "contributed_on", "summary") if f not in index]
        if missing:
            outcome.rows_read = outcome.rows_quarantined = len(table.rows)
            outcome.quarantine(
                Quarantined(
                    "missing_columns",
                    f"Tệp «{ctx.path.name}» (phiếu tổng hợp ý kiến CTV): thiếu cột {', '.join(missing)}. "
                    f"Cột có trong tệp: {', '.join(h for h in table.headers if h)}.",
                )
            )
            return
        title_unit = None
        for line in _title_lines(ctx, table):
            if (m := _SCOPE_LINE.match(fold(line))) and m[1] in ("don vi", "unit"):
                title_unit = line.split(":", 1)[1].strip()
        title_unit = title_unit or self.scope
        seen: set[str] = set()
        rows: list[tuple] = []
        texts: list[tuple] = []
        for row_number, rec in iter_cells(table, index):
            if not any(v.strip() for k, v in rec.items() if k != "stt"):
                continue
            outcome.rows_read += 1

            def bad(code: str, field: str, reason: str, row_number: int = row_number) -> None:
                outcome.quarantine(
                    Quarantined(
                        code, f"Tệp «{ctx.path.name}», dòng {row_number}, trường «{LABELS.get(field, field)}»: {reason}", row_number, field
                    )
                )

            who = nfc(rec.get("collaborator")) or ""
            if not who:
                bad("missing_value", "collaborator", "thiếu tên hoặc mã cộng tác viên.")
                continue
            raw_day = (rec.get("contributed_on") or "").strip()
            try:
                day = parse_date(raw_day) if raw_day else None
            except ValueError as exc:
                bad("bad_date", "contributed_on", f"{exc}.")
                continue
            if day is None:
                bad("missing_value", "contributed_on", "thiếu ngày ghi nhận ý kiến.")
                continue
            if not EARLIEST <= day <= date.today():
                bad("bad_date", "contributed_on", f"ngày «{raw_day}» nằm ngoài khoảng hợp lý (không sau hôm nay).")
                continue
            summary = nfc(rec.get("summary")) or ""
            if not summary:
                bad("missing_value", "summary", "thiếu tóm tắt ý kiến.")
                continue
            unit_text = (rec.get("unit") or "").strip() or title_unit or ""
            if not unit_text:
                bad("missing_value", "unit", "không rõ đơn vị (ghi «Đơn vị: …» trên tiêu đề phiếu hoặc cột «Đơn vị»).")
                continue
            res = registry.resolve(unit_text, day)
            if res.code is None:
                bad(
                    "unknown_unit",
                    "unit",
                    f"«{unit_text}» "
                    + (f"khớp nhiều đơn vị ({', '.join(res.candidates)})." if res.ambiguous else "không có trong danh mục đơn vị."),
                )
                continue
            topic = nfc(rec.get("topic")) or None
            key = hashlib.sha256("\x1f".join([res.code, day.isoformat(), match_key(who), fold(topic), fold(summary)]).encode()).hexdigest()[
                :32
            ]
            if key in seen:
                outcome.rows_unchanged += 1
                continue
            seen.add(key)
            rows.append((key, res.code, day, day.replace(day=1), topic, ctx.load_id, str(ctx.path), ctx.file_hash, row_number))
            texts.append((key, who, summary))
        written = 0
        for row, text in zip(rows, texts, strict=True):
            cur.execute(
                "insert into raw.collaborator_contributions (contribution_key, unit_code, contributed_on, period_month, topic_raw, load_id, "
                "source_file, file_hash, row_number) values (%s, %s, %s, %s, %s, %s, %s, %s, %s) on conflict do nothing",
                row,
            )
            if cur.rowcount:
                written += 1
                cur.execute("insert into restricted.collaborator_contribution_text values (%s, %s, %s) on conflict do nothing", text)
        outcome.rows_loaded = written
        outcome.rows_unchanged += len(rows) - written
        outcome.rows_quarantined = len({q.row_number for q in outcome.quarantined})
        unknown = _unknown_contributors(cur, [(r[1], t[1], r[2]) for r, t in zip(rows, texts, strict=True)])
        if unknown:
            outcome.detail["unmatched_contributors"] = unknown
            outcome.detail["notes"] = [
                "Cộng tác viên chưa có trong danh sách CTV của đơn vị (ý kiến vẫn được nạp, chưa tính cho ai): "
                + "; ".join(f"«{w}» ({u})" for w, u in unknown[:20])
            ]


ROSTER_COLUMNS = (
    "load_id",
    "file_hash",
    "row_number",
    "source_file",
    "collaborator_code",
    "code_derived",
    "unit_code",
    "unit_written",
    "unit_rule",
    "level",
    "area",
    "sector",
    "position",
    "gender",
    "ethnicity",
    "decision_no",
    "appointed_on",
    "ended_on",
    "end_reason",
    "end_reason_written",
    "has_phone",
    "has_email",
)
PEOPLE_COLUMNS = ("load_id", "file_hash", "row_number", "collaborator_code", "unit_code", "full_name", "phone", "email")

# The rows in force: for each unit, the latest roster covering it (as dbt's stg_collaborators__roster).
ROSTER_IN_FORCE_SQL = """
with covering as (
    select u.unit_code, max(s.roster_seq) as roster_seq
    from (select distinct unit_code from raw.collaborator_roster_rows) as u
    inner join raw.collaborator_rosters as s on s.scope_all or s.scope_unit_code = u.unit_code
    group by u.unit_code
)
select r.collaborator_code, r.unit_code, p.full_name, r.appointed_on, r.ended_on
from raw.collaborator_roster_rows as r
inner join raw.collaborator_rosters as s on s.load_id = r.load_id and s.file_hash = r.file_hash
inner join covering as c on c.unit_code = r.unit_code and c.roster_seq = s.roster_seq
inner join restricted.collaborator_people as p
    on p.load_id = r.load_id and p.file_hash = r.file_hash and p.row_number = r.row_number
"""


def _roster_keys(cur: Any) -> tuple[set[str], set[tuple[str, str]]]:
    cur.execute(ROSTER_IN_FORCE_SQL)
    codes, names = set(), set()
    for code, unit, name, _, _ in cur.fetchall():
        codes.add(match_key(code))
        names.add((unit, match_key(name)))
    return codes, names


def _unknown_contributors(cur: Any, rows: list[tuple[str, str, date]]) -> list[tuple[str, str]]:
    codes, names = _roster_keys(cur)
    return sorted({(who, unit) for unit, who, _ in rows if match_key(who) not in codes and (unit, match_key(who)) not in names})


# Survey collectors as the tools record them, strongest first after a form's own collector
# question (the same order as dbt's stg_collaborators__survey_collectors).
COLLECTOR_FIELDS = ("_submitted_by", "submittername", "submitterid")


def _unmatched_collectors(cur: Any) -> list[tuple[str, str, int]]:
    """Survey submissions none of whose recorded collectors is a roster member: (as written, unit, submissions)."""
    cur.execute(
        """select f.submission_uuid, r.unit_code, f.question_name, f.answer_text, coalesce(q.is_collector, false)
           from restricted.survey_free_text as f
           inner join raw.survey_responses as r on r.submission_uuid = f.submission_uuid
           left join raw.survey_questions as q on q.form_id = r.form_id and q.question_name = f.question_name
           where lower(f.question_name) = any(%s) or coalesce(q.is_collector, false)""",
        (list(COLLECTOR_FIELDS),),
    )
    by_submission: dict[str, list[tuple[int, str, str]]] = {}
    for uuid, unit, question, text, is_collector in cur.fetchall():
        rank = 0 if is_collector else 1 + COLLECTOR_FIELDS.index(question.lower())
        by_submission.setdefault(uuid, []).append((rank, text, unit))
    if not by_submission:
        return []
    codes, names = _roster_keys(cur)
    counts: dict[tuple[str, str], int] = {}
    for candidates in by_submission.values():
        if any(match_key(t) in codes or (u, match_key(t)) in names for _, t, u in candidates):
            continue
        _, text, unit = min(candidates)
        counts[(text, unit)] = counts.get((text, unit), 0) + 1
    return sorted(((t, u, n) for (t, u), n in counts.items()), key=lambda x: (-x[2], x[0]))
