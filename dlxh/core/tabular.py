"""Read tabular files (CSV/TSV in any common encoding, XLSX, JSON, JSONL) into header + rows.

Text is decoded from UTF-8 (with or without BOM), UTF-16 (Excel "Unicode text") or
Windows-1258 (Excel CSV on Vietnamese Windows) and normalised to NFC.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path
from typing import BinaryIO, TextIO

from dlxh.core.text import slug

# Python's csv module refuses a field over 131072 characters and stops the whole file; read any
# length and refuse only the row whose cell is over DLXH_MAX_CELL_CHARS (same default).
csv.field_size_limit(2**31 - 1)
MAX_CELL_CHARS = int(os.environ.get("DLXH_MAX_CELL_CHARS") or 131072)

TABULAR_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".json", ".jsonl", ".ndjson"}


class TableError(ValueError):
    """The file cannot be read as a table; the message says why (in Vietnamese, for people)."""

    def __init__(self, reason_code: str, message: str):
        super().__init__(message)
        self.reason_code = reason_code


RejectFn = Callable[[int, str, str, "str | None"], None]
_REJECT_SINK: ContextVar[RejectFn | None] = ContextVar("dlxh_reject_sink", default=None)


@contextmanager
def reject_sink(fn: RejectFn) -> Iterator[None]:
    """Rows the readers drop while `fn` is set are reported to it as (row, reason_code, reason, field).

    The ingestion framework sets it around each file, so a row a reader cannot keep (see
    `cell_problem`) is counted as read and quarantined, whichever source read it.
    """
    token = _REJECT_SINK.set(fn)
    try:
        yield
    finally:
        _REJECT_SINK.reset(token)


def reject_row(row_number: int, reason_code: str, reason: str, field: str | None = None) -> None:
    """Report one dropped row to the current sink (a no-op outside an ingest)."""
    sink = _REJECT_SINK.get()
    if sink is not None:
        sink(row_number, reason_code, reason, field)


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def cell_problem(cells: list[str], headers: list[str] | None = None) -> tuple[str, str, str | None] | None:
    """Why a row cannot be stored as it is: (reason_code, Vietnamese reason, column), or None.

    PostgreSQL text cannot hold a NUL character nor a lone UTF-16 surrogate (JSON "\\ud800"),
    and a cell over MAX_CELL_CHARS characters is not a value a person typed.
    """
    for i, cell in enumerate(cells):
        if not cell or (cell.isascii() and "\x00" not in cell and len(cell) <= MAX_CELL_CHARS):
            continue
        column = headers[i] if headers and i < len(headers) and headers[i] else f"cột {i + 1}"
        if "\x00" in cell:
            return "nul_byte", f"Cột «{column}» chứa ký tự NUL (mã 0), không lưu được; dòng bị cách ly.", column
        if _has_surrogate(cell):
            return "bad_unicode", f"Cột «{column}» chứa ký tự Unicode hỏng (nửa cặp surrogate), không lưu được; dòng bị cách ly.", column
        if len(cell) > MAX_CELL_CHARS:
            return (
                "cell_too_long",
                f"Cột «{column}» dài {len(cell)} ký tự, vượt giới hạn {MAX_CELL_CHARS} ký tự một ô; dòng bị cách ly.",
                column,
            )
    return None


def keep_row(row_number: int, cells: list[str], headers: list[str] | None = None) -> bool:
    """False (after reporting the row to the reject sink) when the row cannot be stored."""
    problem = cell_problem(cells, headers)
    if problem is None:
        return True
    code, reason, column = problem
    reject_row(row_number, code, f"Dòng {row_number}: {reason}", column)
    return False


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode bytes to NFC text, returning (text, encoding used)."""
    if data.startswith(b"\xef\xbb\xbf"):
        text, enc = data[3:].decode("utf-8"), "utf-8-sig"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text, enc = data.decode("utf-16"), "utf-16"
    elif len(data) >= 4 and data[1] == 0 and data[3] == 0 and data[0] != 0:
        text, enc = data.decode("utf-16-le"), "utf-16-le"
    else:
        try:
            text, enc = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, enc = data.decode("cp1258", errors="strict"), "cp1258"
    return unicodedata.normalize("NFC", text), enc


def detect_encoding(fh: BinaryIO) -> tuple[str, int]:
    """(codec, bytes to skip) of a binary file, read in 1 MiB blocks; leaves `fh` at the start.

    Same rules as `decode_bytes`, without holding the file in memory.
    """
    head = fh.read(4)
    fh.seek(0)
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8", 3
    if head.startswith(b"\xff\xfe"):
        return "utf-16-le", 2
    if head.startswith(b"\xfe\xff"):
        return "utf-16-be", 2
    if len(head) >= 4 and head[1] == 0 and head[3] == 0 and head[0] != 0:
        return "utf-16-le", 0
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while block := fh.read(1 << 20):
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1258", 0
    finally:
        fh.seek(0)
    return "utf-8", 0


def nfc_lines(text: TextIO) -> Iterator[str]:
    """Lines of a text stream, each normalised to NFC (cheap for lines already in NFC)."""
    normalize, is_nfc = unicodedata.normalize, unicodedata.is_normalized
    for line in text:
        yield line if line.isascii() or is_nfc("NFC", line) else normalize("NFC", line)


def open_text(fh: BinaryIO) -> tuple[TextIO, str]:
    """A streaming text view of a binary file in whatever encoding it is (see `detect_encoding`)."""
    encoding, skip = detect_encoding(fh)
    fh.seek(skip)
    return io.TextIOWrapper(fh, encoding=encoding, newline=""), ("utf-8-sig" if skip == 3 else encoding)


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (1-based row number as a person sees it in the file, cells)
    encoding: str | None = None
    header_row: int | None = None  # 1-based row of the header (title rows above it are skipped)
    # Rows dropped while reading: (row, reason_code, reason, column); `iter_cells` reports them.
    rejects: list[tuple[int, str, str, str | None]] = dc_field(default_factory=list)

    def screen(self) -> Table:
        """Move the rows that cannot be stored (`cell_problem`) from `rows` to `rejects`."""
        kept = []
        for row_number, cells in self.rows:
            problem = cell_problem(cells, self.headers)
            if problem is None:
                kept.append((row_number, cells))
            else:
                code, reason, column = problem
                self.rejects.append((row_number, code, f"Dòng {row_number}: {reason}", column))
        self.rows = kept
        return self

    def header_index(self, aliases: dict[str, set[str]]) -> dict[str, int]:
        """Map canonical field names to column positions using accent-insensitive aliases."""
        slugs = [slug(h) for h in self.headers]
        found: dict[str, int] = {}
        for field, names in aliases.items():
            for i, s in enumerate(slugs):
                if s in names or s == field:
                    found[field] = i
                    break
        return found


DELIMITERS = (",", ";", "\t", "|")


def sniff_delimiter(sample: str) -> str:
    """The delimiter that splits the first lines into the most consistent, widest rows.

    csv.Sniffer is fooled by Vietnamese headers such as «Đề xuất, kiến nghị» in a semicolon file
    (Excel on Vietnamese Windows writes `;`); parsing a sample with each candidate is not.
    """
    lines = [line for line in sample.splitlines() if line.strip()][:50]
    best, best_score = ",", (-1, -1)
    for delimiter in DELIMITERS:
        widths = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        if not widths:
            continue
        header = widths[0]
        score = (sum(w == header for w in widths) if header > 1 else 0, header)
        if score > best_score:
            best, best_score = delimiter, score
    return best


# How far down a sheet the header row is looked for (offices put a title, a subtitle and an
# "updated on" line above the table).
HEADER_SEARCH_ROWS = 30


def find_header_row(rows: list[list[str]], header_aliases: dict[str, set[str]] | None = None) -> int | None:
    """Index of the header row among the first rows of a sheet, skipping title rows.

    With aliases, the row naming the most known fields (at least two) wins. Otherwise (or when no
    row names two fields) the header is the first row with two or more filled cells: a title, a
    subtitle or a note above the table fills one merged cell.
    """
    head = rows[:HEADER_SEARCH_ROWS]
    if header_aliases:
        best, best_hits = None, 1
        for i, cells in enumerate(head):
            slugs = {slug(c) for c in cells if c.strip()}
            hits = sum(1 for field, names in header_aliases.items() if slugs & (names | {field}))
            if hits > best_hits:
                best, best_hits = i, hits
        if best is not None:
            return best
    filled = [sum(1 for c in cells if c.strip()) for cells in head]
    for i, n in enumerate(filled):
        if n >= 2:
            return i
    return next((i for i, n in enumerate(filled) if n), None)


def _read_csv_text(text: str, header_aliases: dict[str, set[str]] | None = None) -> Table:
    delimiter = sniff_delimiter(text[:20000])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = list(reader)
    at = find_header_row(rows, header_aliases)
    if at is None:
        raise TableError("empty_file", "Tệp rỗng: không có dòng tiêu đề hay dữ liệu nào.")
    headers = [h.strip() for h in rows[at]]
    data = [(i + 1, [c.strip() for c in r]) for i, r in enumerate(rows[at + 1 :], start=at + 1) if any(c.strip() for c in r)]
    return Table(headers, data, header_row=at + 1).screen()


def _cell_text(value: object) -> str:
    """A spreadsheet cell as text: dates ISO, times HH:MM[:SS], whole floats without '.0'."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).strip()


def _read_xlsx(data: bytes, sheet: str | None = None, header_aliases: dict[str, set[str]] | None = None) -> Table:
    import zipfile

    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except zipfile.BadZipFile as exc:
        if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            raise TableError(
                "protected_or_legacy_xlsx",
                "Tệp Excel được đặt mật khẩu hoặc là định dạng .xls cũ: hãy bỏ mật khẩu và lưu lại dạng .xlsx.",
            ) from exc
        raise TableError("corrupt_xlsx", f"Tệp Excel bị hỏng hoặc không phải .xlsx ({exc}).") from exc
    except Exception as exc:  # openpyxl raises many types for damaged archives
        raise TableError("corrupt_xlsx", f"Tệp Excel bị hỏng, không đọc được ({type(exc).__name__}: {exc}).") from exc
    ws = wb[sheet] if sheet and sheet in wb.sheetnames else wb.worksheets[0]
    # Some exporters write a stale <dimension ref="A1:C5"> for a longer sheet; read-only mode
    # trusts it and would silently stop at row 5. Forget it and read every row there is.
    ws.reset_dimensions()
    head: list[tuple[int, list[str]]] = []
    headers: list[str] | None = None
    data_rows: list[tuple[int, list[str]]] = []
    for excel_row, values in enumerate(ws.iter_rows(values_only=True), start=1):
        cells = [unicodedata.normalize("NFC", _cell_text(v)) for v in values]
        if headers is None:
            head.append((excel_row, cells))
            if len(head) < HEADER_SEARCH_ROWS:
                continue
            headers = _split_head(head, header_aliases, data_rows)
            continue
        if any(cells):
            data_rows.append((excel_row, cells))
    wb.close()
    if headers is None:
        headers = _split_head(head, header_aliases, data_rows)
    if headers is None:
        raise TableError("empty_file", "Tệp Excel rỗng: không có dòng tiêu đề.")
    return Table(headers, data_rows, header_row=next((r for r, c in head if c == headers), None)).screen()


def _split_head(
    head: list[tuple[int, list[str]]], header_aliases: dict[str, set[str]] | None, data_rows: list[tuple[int, list[str]]]
) -> list[str] | None:
    """Pick the header among the first rows read; the rows after it become data (appended)."""
    at = find_header_row([cells for _, cells in head], header_aliases)
    if at is None:
        return None
    data_rows.extend((r, cells) for r, cells in head[at + 1 :] if any(cells))
    return head[at][1]


def _record_lists(doc: object) -> list[tuple[str, list]]:
    """(key, list) of the lists directly inside an object whose elements are (mostly) objects."""
    if not isinstance(doc, dict):
        return []
    found = []
    for key, value in doc.items():
        if isinstance(value, list) and value:
            objects = sum(isinstance(v, dict) for v in value)
            if objects and objects * 2 >= len(value):
                found.append((str(key), value))
    return found


def json_records(text: str) -> list:
    """The list of records of a JSON document: the document itself when it is a list, else the
    list of objects inside the wrapping object (exports wrap it: {"errors": [], "items": [...]}):
    the longest list whose elements are objects; two such lists of the same length is an error.
    A single object without such a list is one record. Non-object elements are returned as they
    are: readers count them as quarantined rows."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TableError("bad_json", f"Tệp JSON hỏng ở dòng {exc.lineno}, cột {exc.colno}: {exc.msg}.") from exc
    except RecursionError as exc:
        raise TableError("bad_json", "Tệp JSON lồng nhau quá sâu (hàng nghìn cấp), không đọc được.") from exc
    if isinstance(doc, dict):
        lists = _record_lists(doc)
        if not lists:
            if any(isinstance(v, list) and v for v in doc.values()):
                raise TableError("bad_json", "Tệp JSON có danh sách nhưng không có danh sách bản ghi (đối tượng {...}) nào.")
            return [doc]
        lists.sort(key=lambda kv: -len(kv[1]))
        if len(lists) > 1 and len(lists[0][1]) == len(lists[1][1]):
            raise TableError(
                "ambiguous_json",
                f"Tệp JSON có nhiều danh sách bản ghi cùng độ dài («{lists[0][0]}», «{lists[1][0]}»): không biết danh sách nào là dữ liệu.",
            )
        doc = lists[0][1]
    if not isinstance(doc, list):
        raise TableError("bad_json", "Tệp JSON không chứa danh sách bản ghi.")
    return doc


def _not_object(n: int, what: str) -> tuple[int, str, str, None]:
    return (n, "not_an_object", f"{what} {n} không phải một đối tượng JSON ({{...}}); bị cách ly.", None)


def _read_json(text: str, lines: bool) -> Table:
    records: list[tuple[int, dict]] = []
    rejects: list[tuple[int, str, str, str | None]] = []
    if lines:
        for n, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as exc:
                    rejects.append((n, "bad_json", f"Dòng {n} không phải JSON hợp lệ: {exc.msg}; bị cách ly.", None))
                    continue
                except RecursionError:
                    rejects.append((n, "bad_json", f"Dòng {n}: JSON lồng nhau quá sâu, không đọc được; bị cách ly.", None))
                    continue
                if isinstance(value, dict):
                    records.append((n, value))
                else:
                    rejects.append(_not_object(n, "Dòng"))
    else:
        for n, value in enumerate(json_records(text), start=1):
            if isinstance(value, dict):
                records.append((n, value))
            else:
                rejects.append(_not_object(n, "Phần tử"))
    headers: list[str] = []
    for _, r in records:
        for k in r:
            if k not in headers:
                headers.append(k)
    rows = []
    for i, r in records:
        cells = []
        for h in headers:
            v = r.get(h)
            cells.append("" if v is None else (json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else str(v)))
        rows.append((i, cells))
    table = Table(headers, rows, rejects=rejects).screen()
    if not headers and rejects:
        table.headers = ["(không có)"]
    return table


def read_table(path: Path, data: bytes, sheet: str | None = None, header_aliases: dict[str, set[str]] | None = None) -> Table:
    """Parse a tabular file; raises TableError with a Vietnamese reason when it can't.

    Title rows above the table are skipped (`find_header_row`); pass the source's column aliases
    so that the row naming its fields is taken as the header.
    """
    if not data.strip():
        raise TableError("empty_file", "Tệp rỗng (0 byte hoặc chỉ có khoảng trắng).")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(data, sheet, header_aliases)
    try:
        text, encoding = decode_bytes(data)
    except UnicodeDecodeError as exc:
        raise TableError("bad_encoding", f"Không nhận ra bảng mã của tệp ({exc}).") from exc
    if suffix in (".jsonl", ".ndjson"):
        table = _read_json(text, lines=True)
    elif suffix == ".json":
        table = _read_json(text, lines=False)
    else:
        table = _read_csv_text(text, header_aliases)
    table.encoding = encoding
    return table


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?%?$")


def export_cell(value: object) -> object:
    """A value safe to write into a CSV or XLSX a person will open in a spreadsheet.

    Text starting like a formula (``=HYPERLINK(...)``, ``+cmd|...``, ``@SUM(...)``, ``-2+3``,
    a leading tab or CR, or their full-width forms) gets a leading apostrophe, so Excel, Calc
    and Sheets show it as text instead of running it (OWASP "CSV injection"). Numbers (``-5``,
    ``+84``) and non-text values are written as they are. Use it for every cell of every export
    of stored data.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def iter_cells(table: Table, index: dict[str, int]) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows as {field: cell}; the rows dropped while reading go to the reject sink first."""
    for reject in table.rejects:
        reject_row(*reject)
    for row_number, cells in table.rows:
        yield row_number, {f: (cells[i] if i < len(cells) else "") for f, i in index.items()}
