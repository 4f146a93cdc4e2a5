"""Hostile input, generated: every source, every format it reads, one bad (or merely odd) value
at a time in one row of an otherwise good file.

Each case knows what its file holds (rows, which row is bad, in which field, for which reason)
and checks, after a real ingest into the real warehouse:

* the reconciliation read = loaded + updated + unchanged + quarantined, against the file;
* the quarantined row (and only it) with its reason code, row number and field, in the import
  summary and in ops.quarantine (path included);
* that no reason carries a traceback or an exception's English text, and that it is Vietnamese.

Odd-but-valid values (spreadsheet formulas, right-to-left marks, emoji, NFD text) must load.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

NUL = "Công nhân\x00lo lắng"
LONG = "Công nhân lo lắng về tiền lương. " * 4500  # ~148 000 characters: over Python's csv field limit
FORMULAS = ['=HYPERLINK("http://x.example/?q="&A1,"bấm")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3+cmd|' /C calc'!A0"]
ODD_OK = [
    "\u202eRTL override",
    "Đoàn viên 👍 phấn khởi",
    "Cong\u0302 nha\u0302n".replace("Cong\u0302", "Công"),
    "Tab\tgiữa ô",
    "Dòng 1\nDòng 2 trong một ô",
    "Trích dẫn \"kép\" và 'đơn'",
    "<script>alert(1)</script>",
]
VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđĐ]")
TRACEBACK = re.compile(r"Traceback|File \"|line \d+, in |Error\(|Exception:|psycopg2\.|\bError:")


@dataclass
class Case:
    id: str
    source: str  # units | reports | surveys | scans:<tool>
    filename: str
    make: Callable[[int], bytes]  # nonce -> file content
    read: int
    bad: list[tuple[int | None, str, str | None]] = field(default_factory=list)  # (row, reason_code, field)
    codes: frozenset[str] | None = None  # file-level cases: acceptable reason codes

    @property
    def quarantined(self) -> int:
        return len({r for r, _, _ in self.bad if r is not None}) if self.codes is None else self.read


# -- writers ---------------------------------------------------------------------------------------
def csv_bytes(header: list[str], rows: list[list[str]], delimiter: str = ",") -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delimiter)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8", errors="surrogatepass")


def xlsx_bytes(header: list[str], rows: list[list[str]], stale_dimension: bool = False) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text a person typed, not a formula
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    return shrink_dimension(data) if stale_dimension else data


def shrink_dimension(data: bytes, ref: str = "A1:C5") -> bytes:
    """Rewrite every sheet's <dimension ref> to a smaller range, as some exporters leave it."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                text = content.decode("utf-8")
                if "<dimension" in text:
                    text = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', text)
                else:
                    text = text.replace("<sheetData", f'<dimension ref="{ref}"/><sheetData', 1)
                content = text.encode("utf-8")
            dst.writestr(item, content)
    return out.getvalue()


def json_bytes(records: list, wrap: str | None = None) -> bytes:
    doc = {"errors": [], wrap: records, "meta": [{"page": 1}]} if wrap else records
    return json.dumps(doc, ensure_ascii=True).encode("utf-8")


def jsonl_bytes(lines: list) -> bytes:
    return ("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=True) for x in lines) + "\n").encode("utf-8")


# -- the base registry every units file carries (the latest registry load is the one in use) ---------
REPORT_UNITS = [(f"HOST-{i:02d}", f"Liên đoàn Lao động thử nghiệm số {i}") for i in range(1, 6)]
UNITS_HEADER = ["Mã đơn vị", "Tên đơn vị", "Loại đơn vị", "Đơn vị cấp trên", "Hiệu lực từ", "Hiệu lực đến", "Email liên hệ"]


def base_registry() -> list[list[str]]:
    from ingestion.surveys import sample

    rows = [[code, name, utype, parent, "2020-01-01", "", ""] for code, name, utype, parent in sample.UNITS]
    rows += [[code, name, "huyện", "LDLD-TINH", "2020-01-01", "", f"{code.lower()}@example.vn"] for code, name in REPORT_UNITS]
    return rows


# -- units -----------------------------------------------------------------------------------------
UNIT_MUTATIONS: list[tuple[str, str, str | None, str | None]] = [
    # (id, field index name, value, expected reason code or None = loads)
    ("valid_from_year1", "Hiệu lực từ", "0001-01-01", "bad_date"),
    ("valid_from_9999", "Hiệu lực từ", "9999-12-31", "bad_date"),
    ("valid_from_1899", "Hiệu lực từ", "1899-12-31", "bad_date"),
    ("valid_from_feb31", "Hiệu lực từ", "31/02/2025", "bad_date"),
    ("valid_from_epoch", "Hiệu lực từ", "1e20", "bad_date"),
    ("valid_from_empty", "Hiệu lực từ", "", "missing_value"),
    ("valid_to_9999", "Hiệu lực đến", "9999-12-31", None),  # registries write 31/12/9999 for "still exists": open-ended
    ("valid_to_year1", "Hiệu lực đến", "0001-01-01", "bad_date"),
    ("name_nul", "Tên đơn vị", NUL, "nul_byte"),
    ("name_long", "Tên đơn vị", LONG, "cell_too_long"),
    ("name_empty", "Tên đơn vị", "", "missing_value"),
    ("type_unknown", "Loại đơn vị", "không rõ loại", "unknown_unit_type"),
    *[(f"name_formula{i}", "Tên đơn vị", v, None) for i, v in enumerate(FORMULAS)],
    *[(f"name_odd{i}", "Tên đơn vị", v, None) for i, v in enumerate(ODD_OK)],
]
UNIT_FIELDS = {"Hiệu lực từ": "valid_from", "Hiệu lực đến": "valid_to", "Tên đơn vị": "unit_name", "Loại đơn vị": "unit_type"}


def unit_cases() -> list[Case]:
    cases = []
    for fmt in ("csv", "xlsx", "json"):
        for mid, column, value, code in UNIT_MUTATIONS:
            if fmt == "xlsx" and ("\x00" in value or "\t" in value or value == LONG):
                continue  # a spreadsheet cannot hold these (NUL, tab; Excel cells stop at 32 767 characters)  # a spreadsheet cannot hold these (openpyxl refuses them)

            def make(nonce: int, column=column, value=value, fmt=fmt) -> bytes:
                rows = base_registry()
                rows.append([f"XT-{nonce}-A", f"Đơn vị tốt A {nonce}", "huyện", "LDLD-TINH", "2021-01-01", "", ""])
                bad = [f"XT-{nonce}-B", f"Đơn vị thử {nonce}", "ngành", "LDLD-TINH", "2021-01-01", "", ""]
                bad[UNITS_HEADER.index(column)] = value
                rows.append(bad)
                rows.append([f"XT-{nonce}-C", f"Đơn vị tốt C {nonce}", "viên chức", "LDLD-TINH", "2021-01-01", "", ""])
                return _tabular(fmt, UNITS_HEADER, rows)

            n_rows = len(base_registry()) + 3
            bad_row = _row_number(fmt, len(base_registry()) + 1)
            field_name = _field_for(fmt, column, code, UNIT_FIELDS)
            cases.append(
                Case(f"units-{fmt}-{mid}", "units", f"danh_muc_{mid}.{fmt}", make, n_rows, [(bad_row, code, field_name)] if code else [])
            )
        # JSON arrays with elements that are not objects: each is a quarantined row
        for mid, junk in (("number", 42), ("string", "LDLD-TD"), ("null", None), ("list", [1, 2])):
            if fmt != "json":
                continue

            def make(nonce: int, junk=junk) -> bytes:
                recs = [dict(zip(UNITS_HEADER, r, strict=True)) for r in base_registry()]
                recs.insert(2, junk)
                recs.append(
                    dict(zip(UNITS_HEADER, [f"XT-{nonce}-J", f"Đơn vị {nonce}", "huyện", "LDLD-TINH", "2021-01-01", "", ""], strict=True))
                )
                return json_bytes(recs)

            cases.append(
                Case(
                    f"units-json-nonobject-{mid}",
                    "units",
                    f"danh_muc_junk_{mid}.json",
                    make,
                    len(base_registry()) + 2,
                    [(3, "not_an_object", None)],
                )
            )
    return cases


def _tabular(fmt: str, header: list[str], rows: list[list[str]]) -> bytes:
    if fmt == "csv":
        return csv_bytes(header, rows)
    if fmt == "xlsx":
        return xlsx_bytes(header, rows)
    if fmt == "json":
        return json_bytes([dict(zip(header, r, strict=True)) for r in rows])
    if fmt == "jsonl":
        return jsonl_bytes([dict(zip(header, r, strict=True)) for r in rows])
    raise ValueError(fmt)


def _row_number(fmt: str, index0: int) -> int:
    """Row number of the data row at 0-based index: spreadsheets count the header row, JSON counts elements."""
    return index0 + (2 if fmt in ("csv", "xlsx") else 1)


READER_CODES = {"nul_byte", "cell_too_long", "bad_unicode"}


def _field_for(fmt: str, column: str, code: str | None, fields: dict[str, str]) -> str | None:
    if code in READER_CODES:
        return column  # the reader names the column as the file does
    return fields.get(column)


# -- reports: structured form ------------------------------------------------------------------------
FORM_HEADER = ["Mã đơn vị", "Kỳ báo cáo", "Thời gian nhận", "Chủ đề", "Tình hình"]
FORM_MUTATIONS = [
    ("received_year1", "Thời gian nhận", "0001-01-01 00:00", "bad_datetime"),
    ("received_9999", "Thời gian nhận", "9999-12-31 23:59", "bad_datetime"),
    ("received_1970", "Thời gian nhận", "01/01/1970 07:00", "bad_datetime"),
    ("received_garbage", "Thời gian nhận", "hôm qua", "bad_datetime"),
    ("received_far_future", "Thời gian nhận", "2099-01-01 08:00", "bad_datetime"),
    ("period_1899", "Kỳ báo cáo", "1899-10", "bad_month"),
    ("period_9999", "Kỳ báo cáo", "9999-01", "bad_month"),
    ("period_year1", "Kỳ báo cáo", "0001-01", "bad_month"),
    ("period_month13", "Kỳ báo cáo", "13/2026", "bad_month"),
    ("period_empty", "Kỳ báo cáo", "", "missing_month"),
    ("summary_nul", "Tình hình", NUL, "nul_byte"),
    ("summary_long", "Tình hình", LONG, "cell_too_long"),
    ("topic_unknown", "Chủ đề", "T99", "unknown_topic"),
    ("unit_unknown", "Mã đơn vị", "KHONG-CO", "unknown_unit"),
    *[(f"summary_formula{i}", "Tình hình", v, None) for i, v in enumerate(FORMULAS)],
    *[(f"summary_odd{i}", "Tình hình", v, None) for i, v in enumerate(ODD_OK)],
]
FORM_FIELDS = {"Thời gian nhận": "received_at", "Kỳ báo cáo": "period", "Tình hình": "summary", "Chủ đề": "topic", "Mã đơn vị": "unit_code"}


def form_rows(nonce: int) -> list[list[str]]:
    return [
        [code, f"2026-{m:02d}", f"2026-{m:02d}-15 08:{nonce % 60:02d}", "T11", f"Báo cáo thử {nonce} của {code} tháng {m}"]
        for m, (code, _) in zip((4, 5, 6), REPORT_UNITS, strict=False)
    ]


def report_cases() -> list[Case]:
    cases = []
    for fmt in ("csv", "xlsx", "json", "jsonl"):
        for mid, column, value, code in FORM_MUTATIONS:
            if fmt == "xlsx" and ("\x00" in value or "\t" in value or value == LONG):
                continue  # a spreadsheet cannot hold these (NUL, tab; Excel cells stop at 32 767 characters)

            def make(nonce: int, column=column, value=value, fmt=fmt) -> bytes:
                rows = form_rows(nonce)
                rows[1][FORM_HEADER.index(column)] = value
                return _tabular(fmt, FORM_HEADER, rows)

            cases.append(
                Case(
                    f"reports-{fmt}-{mid}",
                    "reports",
                    f"bieu_mau_{mid}.{fmt}",
                    make,
                    3,
                    [(_row_number(fmt, 1), code, _field_for(fmt, column, code, FORM_FIELDS))] if code else [],
                )
            )
    for mid, junk in (("number", 7), ("string", "báo cáo"), ("null", None)):

        def make(nonce: int, junk=junk) -> bytes:
            recs: list = [dict(zip(FORM_HEADER, r, strict=True)) for r in form_rows(nonce)]
            recs.insert(1, junk)
            return json_bytes(recs)

        cases.append(Case(f"reports-json-nonobject-{mid}", "reports", f"bieu_mau_junk_{mid}.json", make, 4, [(2, "not_an_object", None)]))

        def make_l(nonce: int, junk=junk) -> bytes:
            recs: list = [dict(zip(FORM_HEADER, r, strict=True)) for r in form_rows(nonce)]
            recs.insert(1, json.dumps(junk))
            return jsonl_bytes(recs)

        cases.append(
            Case(f"reports-jsonl-nonobject-{mid}", "reports", f"bieu_mau_junk_{mid}.jsonl", make_l, 4, [(2, "not_an_object", None)])
        )
    for mid, line in (
        ("broken", '{"Mã đơn vị": "HOST-01", oops'),
        ("deep", "[" * 100_000 + "]" * 100_000),
        ("deep_object", '{"a":' * 50_000 + "1" + "}" * 50_000),
    ):

        def make(nonce: int, line=line) -> bytes:
            recs: list = [dict(zip(FORM_HEADER, r, strict=True)) for r in form_rows(nonce)]
            recs.insert(2, line)
            return jsonl_bytes(recs)

        cases.append(Case(f"reports-jsonl-{mid}", "reports", f"bieu_mau_{mid}.jsonl", make, 4, [(3, "bad_json", None)]))

    def surrogate(nonce: int) -> bytes:
        rows = form_rows(nonce)
        text = json.dumps([dict(zip(FORM_HEADER, r, strict=True)) for r in rows], ensure_ascii=True)
        return text.replace(f"B\\u00e1o c\\u00e1o th\\u1eed {nonce} c\\u1ee7a HOST-02", "\\ud800 l\\u1ed7i", 1).encode()

    cases.append(Case("reports-json-lone-surrogate", "reports", "bieu_mau_surrogate.json", surrogate, 3, [(2, "bad_unicode", "Tình hình")]))

    def wrapped(nonce: int) -> bytes:
        return json_bytes([dict(zip(FORM_HEADER, r, strict=True)) for r in form_rows(nonce)], wrap="items")

    cases.append(Case("reports-json-wrapped-errors-first", "reports", "bieu_mau_wrapped.json", wrapped, 3, []))
    return cases


# -- reports: incoming-documents register -------------------------------------------------------------
REGISTER_HEADER = ["Thời gian nhận", "Nơi gửi", "Số ký hiệu", "Tên tệp đính kèm"]
REGISTER_MUTATIONS = [
    ("received_year1", "Thời gian nhận", "0001-01-01 00:00", "bad_datetime"),
    ("received_9999", "Thời gian nhận", "9999-12-31 23:59", "bad_datetime"),
    ("received_garbage", "Thời gian nhận", "sáng thứ hai", "bad_datetime"),
    ("received_empty", "Thời gian nhận", "", "bad_datetime"),
    ("attachment_nul", "Tên tệp đính kèm", "bao\x00cao.docx", "nul_byte"),
    ("attachment_long", "Tên tệp đính kèm", LONG, "cell_too_long"),
    ("no_identity", "Tên tệp đính kèm", "", None),
    *[(f"sender_formula{i}", "Nơi gửi", v, None) for i, v in enumerate(FORMULAS)],
]


def register_cases() -> list[Case]:
    cases = []
    for fmt in ("csv", "xlsx"):
        for mid, column, value, code in REGISTER_MUTATIONS:
            if fmt == "xlsx" and ("\x00" in value or value == LONG):
                continue

            def make(nonce: int, column=column, value=value, fmt=fmt, mid=mid) -> bytes:
                rows = [
                    [f"2026-0{m}-18 09:{nonce % 60:02d}", name, f"{nonce}{m}/BC-LĐLĐ", f"bc_{nonce}_{m}.docx"]
                    for m, (_, name) in zip((4, 5, 6), REPORT_UNITS, strict=False)
                ]
                rows[1][REGISTER_HEADER.index(column)] = value
                if mid == "no_identity":
                    rows[1][2] = ""  # neither attachment nor document number: cannot be matched
                return _tabular(fmt, REGISTER_HEADER, rows)

            # A row with neither attachment nor number matches no report, but the register is the
            # office's record: every row is kept (ingestion/reports/register.py), none quarantined.
            expect = code
            fld = _field_for(fmt, column, code, {"Thời gian nhận": "received_at"}) if code else None
            cases.append(
                Case(
                    f"register-{fmt}-{mid}",
                    "reports",
                    f"so_cong_van_den_{mid}.{fmt}",
                    make,
                    3,
                    [(_row_number(fmt, 1), expect, fld)] if expect else [],
                )
            )
    return cases


# -- reports: documents (one file = one report) -------------------------------------------------------
def document_cases() -> list[Case]:
    def pdf_named_csv(nonce: int) -> bytes:
        return b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(range(256)) * 4 + f"\n%{nonce}\n".encode()

    def nul_text(nonce: int) -> bytes:
        return b"\x00" * 5000 + f"{nonce}".encode()

    def long_line_text(nonce: int) -> bytes:
        return (f"BÁO CÁO {nonce} " + "Tình hình tư tưởng " * 20_000).encode("utf-8")

    def broken_docx(nonce: int) -> bytes:
        return b"PK\x03\x04" + b"\x00" * 200 + str(nonce).encode()

    def empty_pdf(nonce: int) -> bytes:
        return f"%PDF-1.4\n% {nonce}\n%%EOF\n".encode()

    def zip_named_xlsx(nonce: int) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("hello.txt", f"không phải Excel {nonce}")
        return buf.getvalue()

    file_level = frozenset(
        {
            "unknown_layout",
            "bad_encoding",
            "unreadable",
            "corrupt_xlsx",
            "empty_file",
            "no_text",
            "bad_docx",
            "bad_pdf",
            "corrupt_document",
            "corrupt_docx",
            "corrupt_pdf",
            "unknown_unit",
            "missing_unit",
            "missing_month",
            "unreadable_document",
            "ocr_failed",
            "no_period",
            "not_a_report",
            "empty_document",
            "bad_json",
            "ambiguous_unit",
        }
    )
    return [
        Case("documents-pdf-named-csv", "reports", "bao_cao.csv", pdf_named_csv, 1, codes=file_level),
        Case("documents-nul-text", "reports", "bao_cao_nul.txt", nul_text, 1, codes=file_level),
        Case("documents-long-line-text", "reports", "bao_cao_dong_dai.txt", long_line_text, 1, codes=file_level),
        Case("documents-broken-docx", "reports", "bao_cao_hong.docx", broken_docx, 1, codes=file_level),
        Case("documents-empty-pdf", "reports", "bao_cao_rong.pdf", empty_pdf, 1, codes=file_level),
        Case("documents-zip-named-xlsx", "reports", "bieu_mau_gia.xlsx", zip_named_xlsx, 1, codes=file_level),
    ]


# -- surveys ---------------------------------------------------------------------------------------
SURVEY_MUTATIONS = [
    ("submitted_year1", "_submission_time", "0001-01-01T00:00:00", "bad_date", "submitted_at"),
    ("submitted_9999", "_submission_time", "9999-12-31T23:59:59", "bad_date", "submitted_at"),
    ("submitted_1970", "_submission_time", "1970-01-01T00:00:00", "bad_date", "submitted_at"),
    ("submitted_garbage", "_submission_time", "ngày mai", "bad_date", "submitted_at"),
    ("comment_nul", "y_kien", NUL, "nul_byte", "y_kien"),
    ("comment_long", "y_kien", LONG, "cell_too_long", "y_kien"),
    ("uuid_empty", "_uuid", "", "missing_uuid", "_uuid"),
    ("unit_unknown", "thong_tin/don_vi", "KHONG-CO", "unknown_unit", "don_vi"),
    ("age_text", "thong_tin/tuoi", "ba mươi", "bad_number", "tuoi"),
    *[(f"comment_formula{i}", "y_kien", v, None, None) for i, v in enumerate(FORMULAS)],
    *[(f"comment_odd{i}", "y_kien", v, None, None) for i, v in enumerate(ODD_OK)],
]


def survey_cases() -> list[Case]:
    from ingestion.surveys import sample

    header = sample.kobo_header(sample.FormShape())
    cases = []
    for fmt in ("csv", "xlsx"):
        for mid, column, value, code, fld in SURVEY_MUTATIONS:
            if fmt == "xlsx" and ("\x00" in value or "\t" in value or value == LONG):
                continue  # a spreadsheet cannot hold these (NUL, tab; Excel cells stop at 32 767 characters)

            def make(nonce: int, column=column, value=value, fmt=fmt) -> bytes:
                answers = list(sample.generate(4, (2026, 10), seed=10_000 + nonce))
                rows = [sample.kobo_row(a, i, sample.FormShape()) for i, a in enumerate(answers, start=1)]
                rows[1][header.index(column)] = value
                if fmt == "csv":
                    return csv_bytes(header, rows, delimiter=";")
                return xlsx_bytes(header, rows)

            cases.append(Case(f"surveys-{fmt}-{mid}", "surveys", f"kobo_{mid}.{fmt}", make, 4, [(3, code, fld)] if code else []))
    return cases


# -- scans -----------------------------------------------------------------------------------------
REPUTA_HEADER = [
    "Đường dẫn",
    "Nền tảng",
    "Thời gian đăng",
    "Thời gian quét",
    "Tiêu đề",
    "Nội dung",
    "Tài khoản",
    "Lượt thích",
    "Lượt chia sẻ",
    "Bình luận",
    "Lượt xem",
    "Sắc thái",
    "Chủ đề",
    "Địa bàn",
]
REPUTA_MUTATIONS = [
    ("likes_beyond_bigint", "Lượt thích", "99999999999999999999999", "bad_number", "likes"),
    ("views_beyond_bigint", "Lượt xem", "1e30", "bad_number", "views"),
    ("likes_negative", "Lượt thích", "-5", "bad_number", "likes"),
    ("published_year1", "Thời gian đăng", "01/01/0001 00:00", "bad_date", "published_at"),
    ("published_9999", "Thời gian đăng", "31/12/9999 23:59", "bad_date", "published_at"),
    ("published_1970", "Thời gian đăng", "01/01/1970 07:00", "bad_date", "published_at"),
    ("captured_garbage", "Thời gian quét", "vừa xong", "bad_date", "captured_at"),
    ("text_nul", "Nội dung", NUL, "nul_byte", "text"),
    ("text_long", "Nội dung", LONG, "cell_too_long", "text"),
    ("sentiment_unknown", "Sắc thái", "rất vui", None, "sentiment"),
    *[(f"text_formula{i}", "Nội dung", v, None, None) for i, v in enumerate(FORMULAS)],
    *[(f"text_odd{i}", "Nội dung", v, None, None) for i, v in enumerate(ODD_OK)],
]


def reputa_rows(nonce: int) -> list[list[str]]:
    return [
        [
            f"https://www.facebook.com/groups/thu{nonce}/posts/{i}",
            "Facebook",
            f"1{i}/10/2026 08:30",
            f"1{i}/10/2026 09:30",
            "",
            f"Công nhân ở Tam Đường phản ánh chậm lương {nonce}-{i}",
            f"@tk{i}",
            "12",
            "3",
            "4",
            "100",
            "Tiêu cực",
            "",
            "",
        ]
        for i in range(1, 5)
    ]


def newsmon_record(nonce: int, i: int) -> dict:
    return {
        "link": f"https://m.facebook.com/groups/tin{nonce}/posts/{i}",
        "published": f"2026-10-1{i}T01:30:00Z",
        "crawled_at": f"2026-10-1{i}T02:30:00Z",
        "body": f"Người lao động bàn về tiền lương {nonce}-{i}",
        "source": {"type": "fb", "handle": f"tk{i}"},
        "engagement": {"likes": 5, "shares": 1, "comments": 0, "views": 50},
        "sentiment_score": 30,
    }


NEWSMON_MUTATIONS: list[tuple[str, Callable[[dict], object], str | None, str | None]] = [
    ("published_year1", lambda r: {**r, "published": "0001-01-01T00:00:00Z"}, "bad_date", "published_at"),
    ("published_9999", lambda r: {**r, "published": "9999-12-31T23:59:59Z"}, "bad_date", "published_at"),
    ("published_epoch_1e20", lambda r: {**r, "published": 1e20}, "bad_date", "published_at"),
    ("likes_beyond_bigint", lambda r: {**r, "engagement": {**r["engagement"], "likes": 10**25}}, "bad_number", "likes"),
    ("body_nul", lambda r: {**r, "body": NUL}, "nul_byte", "text"),
    ("body_long", lambda r: {**r, "body": LONG}, "cell_too_long", "text"),
    ("body_surrogate", lambda r: {**r, "body": "\ud800 lỗi"}, "bad_unicode", "text"),
    ("not_an_object_number", lambda r: 42, "bad_json", None),
    ("not_an_object_list", lambda r: [r], "bad_json", None),
    ("not_an_object_null", lambda r: None, "bad_json", None),
    ("body_nested", lambda r: {**r, "body": {"a": {"b": [1, 2, {"c": "sâu"}]}}}, None, None),
    ("body_formula", lambda r: {**r, "body": FORMULAS[0]}, None, None),
    ("body_empty_no_link", lambda r: {**r, "body": "", "link": ""}, "no_url_no_text", "url"),
]


def scan_cases() -> list[Case]:
    cases = []
    for mid, column, value, code, fld in REPUTA_MUTATIONS:

        def make(nonce: int, column=column, value=value) -> bytes:
            rows = reputa_rows(nonce)
            rows[1][REPUTA_HEADER.index(column)] = value
            return csv_bytes(REPUTA_HEADER, rows)

        cases.append(
            Case(
                f"scans-reputa-csv-{mid}",
                "scans:reputa",
                f"reputa_{mid}.csv",
                make,
                4,
                [(2, code, fld)] if code else [(2, "__any__", fld)] if fld else [],
            )
        )
    for fmt in ("jsonl", "json"):
        for mid, mutate, code, fld in NEWSMON_MUTATIONS:

            def make(nonce: int, mutate=mutate, fmt=fmt) -> bytes:
                recs: list = [newsmon_record(nonce, i) for i in range(1, 5)]
                recs[1] = mutate(recs[1])
                if fmt == "jsonl":
                    return ("\n".join(json.dumps(r, ensure_ascii=True) for r in recs) + "\n").encode()
                return json.dumps({"errors": [], "items": recs}, ensure_ascii=True).encode()

            cases.append(
                Case(f"scans-newsmon-{fmt}-{mid}", "scans:newsmon", f"newsmon_{mid}.{fmt}", make, 4, [(2, code, fld)] if code else [])
            )
    for mid, line in (("broken", '{"link": "https://x.example/1", oops'), ("deep", "[" * 100_000 + "]" * 100_000)):

        def make(nonce: int, line=line) -> bytes:
            recs = [json.dumps(newsmon_record(nonce, i)) for i in range(1, 5)]
            recs.insert(2, line)
            return ("\n".join(recs) + "\n").encode()

        cases.append(Case(f"scans-newsmon-jsonl-{mid}", "scans:newsmon", f"newsmon_{mid}.jsonl", make, 5, [(3, "bad_json", None)]))
    return cases


ALL_CASES = unit_cases() + report_cases() + register_cases() + document_cases() + survey_cases() + scan_cases()


def test_the_suite_is_large_and_covers_every_source():
    by_source: dict[str, int] = {}
    for c in ALL_CASES:
        by_source[c.source.split(":")[0]] = by_source.get(c.source.split(":")[0], 0) + 1
    assert len(ALL_CASES) >= 200, len(ALL_CASES)
    assert set(by_source) == {"units", "reports", "surveys", "scans"} and min(by_source.values()) >= 20, by_source
    assert len({c.id for c in ALL_CASES}) == len(ALL_CASES)


# -- running ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def env(module_warehouse, tmp_path_factory):
    from ingestion.framework import run_ingest
    from ingestion.scans.source import ScansSource
    from ingestion.sources import get_source
    from ingestion.surveys import sample
    from ingestion.surveys.source import SurveysSource

    folder = tmp_path_factory.mktemp("hostile")
    registry = folder / "danh_muc_goc.csv"
    registry.write_bytes(csv_bytes(UNITS_HEADER, base_registry()))
    summary = run_ingest(get_source("units"), [registry], module_warehouse, progress=None)
    assert summary.totals()["rows_quarantined"] == 0
    form = sample.write_xlsform(folder / "form.xlsx")
    sources = {
        # Every case is its own registry file: a full snapshot that replaces the one before on purpose.
        "units": get_source("units", replace=True),
        "reports": get_source("reports"),
        "surveys": SurveysSource(form),
        "scans:reputa": ScansSource("reputa", use_process=False),
        "scans:newsmon": ScansSource("newsmon", use_process=False),
    }
    return {"conn": module_warehouse, "folder": folder, "sources": sources}


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.id for c in ALL_CASES])
def test_hostile_file(env, case: Case):
    from ingestion.framework import run_ingest

    nonce = abs(hash(case.id)) % 10**6
    path = env["folder"] / case.id / case.filename
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(case.make(nonce))
    summary = run_ingest(env["sources"][case.source], [path], env["conn"], progress=None)
    assert summary.reconciles(), summary.totals()
    (f,) = summary.files
    landed = f.rows_loaded + f.rows_updated + f.rows_unchanged
    reasons = [(q.row_number, q.reason_code, q.field, q.reason) for q in f.quarantined]
    assert f.rows_read == case.read, (f.rows_read, reasons)
    if case.codes is not None:  # the file cannot be read as data: refused whole, with a reason
        assert f.status == "quarantined", (f.status, reasons)
        assert f.rows_quarantined == f.rows_read and landed == 0
        assert {q.reason_code for q in f.quarantined} <= case.codes, reasons
    else:
        assert (f.rows_quarantined, landed) == (case.quarantined, case.read - case.quarantined), reasons
        expected = {(r, c, fl) for r, c, fl in case.bad if c != "__any__"}
        got = {(q.row_number, q.reason_code, q.field) for q in f.quarantined}
        assert expected <= got, reasons
        assert {q.row_number for q in f.quarantined} == {r for r, _, _ in case.bad}, reasons
        assert all(q.row_number is not None for q in f.quarantined), reasons
    for _, _, _, reason in reasons:
        assert not TRACEBACK.search(reason), reason
        assert VIETNAMESE.search(reason), reason
    with env["conn"].cursor() as cur:
        cur.execute(
            "select row_number, reason_code, field, reason from ops.quarantine where file_hash = %s and file_path = %s and resolved_at is null",
            (f.file_hash, str(path)),
        )
        stored = cur.fetchall()
    assert {(r, c, fl) for r, c, fl, _ in stored} == {(r, c, fl) for r, c, fl, _ in reasons}
    assert all(not TRACEBACK.search(reason) for *_, reason in stored)


def test_stale_xlsx_dimension_loses_no_rows(env):
    """An XLSX whose <dimension ref> says A1:C5 for a longer sheet: every source reading XLSX loads every row."""
    from ingestion.framework import run_ingest
    from ingestion.surveys import sample

    folder = env["folder"] / "stale-dimension"
    folder.mkdir()
    registry = base_registry() + [[f"DIM-{i:02d}", f"Đơn vị kích thước {i}", "huyện", "LDLD-TINH", "2021-01-01", "", ""] for i in range(12)]
    units = folder / "danh_muc.xlsx"
    units.write_bytes(xlsx_bytes(UNITS_HEADER, registry, stale_dimension=True))
    rows = [
        [code, f"2026-{m:02d}", f"2026-{m:02d}-1{m % 10} 08:00", "T11", f"Kích thước {code} {m}"]
        for code, _ in REPORT_UNITS
        for m in (1, 2, 3)
    ]
    form = folder / "bieu_mau.xlsx"
    form.write_bytes(xlsx_bytes(FORM_HEADER, rows, stale_dimension=True))
    header = sample.kobo_header(sample.FormShape())
    answers = list(sample.generate(15, (2026, 9), seed=4242))
    survey = folder / "kobo.xlsx"
    survey.write_bytes(
        xlsx_bytes(header, [sample.kobo_row(a, i, sample.FormShape()) for i, a in enumerate(answers, 1)], stale_dimension=True)
    )
    for data in (units.read_bytes(), form.read_bytes(), survey.read_bytes()):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            assert '<dimension ref="A1:C5"/>' in z.read("xl/worksheets/sheet1.xml").decode()
    for source, path, n in (("units", units, len(registry)), ("reports", form, len(rows)), ("surveys", survey, len(answers))):
        s = run_ingest(env["sources"][source], [path], env["conn"], progress=None)
        (f,) = s.files
        assert (f.rows_read, f.rows_quarantined) == (n, 0), (source, f.rows_read, f.quarantined[:3])
        assert f.rows_loaded + f.rows_updated + f.rows_unchanged == n


# -- the rest of issue 15's hostile inputs -----------------------------------------------------------
def test_identical_bad_files_from_two_senders_are_two_entries(env):
    from ingestion.framework import run_ingest

    body = csv_bytes(FORM_HEADER, [["HOST-01", "1899-01", "2026-01-15 08:00", "T11", "Hai đơn vị gửi cùng một tệp lỗi"]])
    paths = []
    for sender in ("don_vi_a", "don_vi_b"):
        p = env["folder"] / "same-bad" / sender / "bieu_mau.csv"
        p.parent.mkdir(parents=True)
        p.write_bytes(body)
        paths.append(p)
    summary = run_ingest(env["sources"]["reports"], paths, env["conn"], progress=None)
    assert [f.status for f in summary.files] == ["quarantined", "quarantined"]
    with env["conn"].cursor() as cur:
        cur.execute(
            "select file_path from ops.quarantine where file_hash = %s and resolved_at is null order by 1", (summary.files[0].file_hash,)
        )
        assert [r[0] for r in cur.fetchall()] == sorted(str(p) for p in paths)


def test_dangling_symlink_is_reported(env):
    from ingestion.framework import run_ingest

    folder = env["folder"] / "links"
    folder.mkdir()
    (folder / "bieu_mau_mat.csv").symlink_to(folder / "khong_ton_tai.csv")
    good = folder / "bieu_mau.csv"
    good.write_bytes(csv_bytes(FORM_HEADER, [["HOST-02", "2026-02", "2026-02-15 08:00", "T11", "Tệp thật bên cạnh liên kết hỏng"]]))
    summary = run_ingest(env["sources"]["reports"], [folder], env["conn"], progress=None)
    statuses = {Path(f.path).name: f.status for f in summary.files}
    assert statuses == {"bieu_mau_mat.csv": "quarantined", "bieu_mau.csv": "loaded"}
    (link,) = [f for f in summary.files if f.status == "quarantined"]
    assert link.quarantined[0].reason_code == "dangling_link" and "khong_ton_tai.csv" in link.quarantined[0].reason
    assert "liên kết" in summary.render().lower() or "Liên kết" in summary.render()


def test_file_named_with_a_leading_dash_is_a_path(env, monkeypatch, capsys):
    from dlxh.cli import main

    folder = env["folder"] / "dash"
    folder.mkdir()
    (folder / "-bieu-mau.csv").write_bytes(
        csv_bytes(FORM_HEADER, [["HOST-03", "2026-03", "2026-03-15 08:00", "T11", "Tên tệp bắt đầu bằng gạch"]])
    )
    monkeypatch.chdir(folder)
    assert main(["ingest", "reports", "-bieu-mau.csv", "--json", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["totals"]["rows_read"] == 1 and out["files"][0]["status"] == "loaded"


def test_formula_strings_are_escaped_on_export(tmp_path):
    from dlxh.core.tabular import export_cell
    from dlxh.demo import _write_csv

    path = _write_csv(tmp_path / "xuat.csv", ["Tên", "Số"], [[v, "-5"] for v in FORMULAS] + [["bình thường", "+84"]])
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    assert [r[0] for r in rows] == ["'" + v for v in FORMULAS] + ["bình thường"]
    assert {r[1] for r in rows} == {"-5", "+84"}  # numbers stay numbers
    assert export_cell("\uff1dSUM(A1)") == "'\uff1dSUM(A1)" and export_cell(7) == 7


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ('tool = "x"\n[columns]\nurl = "link"\n[dates]\nformat = 5\n', "format"),
        ('tool = "x"\ncolumns = "url"\n', "columns"),
        ('tool = "x"\n[columns]\nurl = 3\n', "url"),
        ('tool = "x"\n[columns]\nurl = "link"\ndates = "iso"\n', "dates"),
        ('tool = "x"\n[columns]\nurl = "link"\n[dates]\ntimezone = 7\n', "timezone"),
        ('tool = 5\n[columns]\nurl = "link"\n', "tool"),
    ],
)
def test_malformed_scan_mapping_is_a_clear_error(tmp_path, body, key):
    from dlxh.core.errors import ConfigError
    from ingestion.scans.mapping import load_mapping

    (tmp_path / "hong.toml").write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_mapping(tmp_path / "hong.toml")
    message = str(err.value)
    assert "hong.toml" in message and key in message and "Traceback" not in message


def test_duplicate_xlsform_question_names_are_a_clear_error(tmp_path):
    import openpyxl

    from ingestion.surveys import sample
    from ingestion.surveys.questionnaire import FormError
    from ingestion.surveys.source import SurveysSource

    form = sample.write_xlsform(tmp_path / "form.xlsx")
    wb = openpyxl.load_workbook(form)
    ws = wb["survey"]
    header = [c.value for c in ws[1]]
    ws.append(["integer" if h == "type" else "tuoi" if h == "name" else None for h in header])
    wb.save(form)
    with pytest.raises(FormError, match="«tuoi» is used twice") as err:
        SurveysSource(form)
    assert "form.xlsx" in str(err.value)


@pytest.mark.parametrize("raw", ["1e20", "-1e20", "99999999999999999999", "253402300800"])
def test_epoch_times_beyond_any_date_are_row_problems(dlxh_home, raw):
    """A tool whose mapping declares epoch seconds: 1e20 overflows datetime, 253402300800 is year 10000."""
    import dataclasses
    from datetime import UTC, datetime

    from dlxh.core.privacy import pseudonymiser
    from ingestion.reference.places import Gazetteer
    from ingestion.scans.mapping import DateFormat, load_mapping
    from ingestion.scans.matching import TopicMatcher
    from ingestion.scans.records import RowParser, RowProblem

    mapping = dataclasses.replace(load_mapping("newsmon"), dates=DateFormat(("epoch",), UTC))
    parser = RowParser(mapping, Gazetteer([]), TopicMatcher(), pseudonymiser(), datetime(2026, 10, 1, tzinfo=UTC))
    with pytest.raises(RowProblem) as err:
        parser.parse(1, {"url": "https://x.example/1", "text": "Tin thử", "published_at": raw})
    assert err.value.reason_code == "bad_date" and err.value.field == "published_at"
    assert VIETNAMESE.search(err.value.reason) and not TRACEBACK.search(err.value.reason)
    assert parser.parse(2, {"url": "https://x.example/2", "text": "Tin thử", "published_at": "1790000000"})
