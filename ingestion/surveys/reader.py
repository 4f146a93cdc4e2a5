"""Stream the rows of a survey export (CSV with `,` `;` or tab, or XLSX) without building the table.

The header comes first, then (row number as a person sees it, cells) one at a time, so a
million-row export is never held as Python lists. Text is decoded like `dlxh.core.tabular`
(UTF-8 with/without BOM, UTF-16, Windows-1258) and normalised to NFC line by line.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from dlxh.core.tabular import TableError, keep_row, nfc_lines, open_text, sniff_delimiter

XLSX_SUFFIXES = {".xlsx", ".xlsm"}


@dataclass
class RowStream:
    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]
    encoding: str | None = None
    delimiter: str | None = None


def stream_csv(fh: BinaryIO) -> RowStream:
    text, encoding = open_text(fh)
    start = text.tell()
    delimiter = sniff_delimiter(text.read(20000))
    text.seek(start)
    lines = nfc_lines(text)
    first = ""
    for first in lines:
        if first.strip():
            break
    if not first.strip():
        raise TableError("empty_file", "Tệp rỗng: không có dòng tiêu đề hay dữ liệu nào.")

    def chained() -> Iterator[str]:
        yield first
        yield from lines

    reader = csv.reader(chained(), delimiter=delimiter)
    headers = [h.strip().replace("\ufeff", "") for h in next(reader)]

    def rows() -> Iterator[tuple[int, list[str]]]:
        for n, cells in enumerate(reader, start=2):  # the row number a spreadsheet shows
            if any(cells) and keep_row(n, cells, headers):
                yield n, cells

    return RowStream(headers, rows(), encoding, delimiter)


def _xlsx_cell(v: object) -> str:
    if v is None:
        return ""
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return unicodedata.normalize("NFC", str(v)).strip()


def stream_xlsx(fh: BinaryIO) -> RowStream:
    import zipfile

    import openpyxl

    try:
        wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
    except zipfile.BadZipFile as exc:
        raise TableError("corrupt_xlsx", f"Tệp Excel bị hỏng hoặc không phải .xlsx ({exc}).") from exc
    except Exception as exc:  # openpyxl raises many types for damaged archives
        raise TableError("corrupt_xlsx", f"Tệp Excel bị hỏng, không đọc được ({type(exc).__name__}: {exc}).") from exc
    sheet = wb.worksheets[0]
    sheet.reset_dimensions()  # a stale <dimension ref="A1:C5"> would end the read at row 5
    values = sheet.iter_rows(values_only=True)
    headers: list[str] | None = None
    header_row = 0
    for n, row in enumerate(values, start=1):
        cells = [_xlsx_cell(v) for v in row]
        if any(cells):
            headers, header_row = cells, n
            break
    if headers is None:
        wb.close()
        raise TableError("empty_file", "Tệp Excel rỗng: không có dòng tiêu đề.")

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for n, row in enumerate(values, start=header_row + 1):
                cells = [_xlsx_cell(v) for v in row]
                if any(cells) and keep_row(n, cells, headers):
                    yield n, cells
        finally:
            wb.close()

    return RowStream(headers, rows())


def stream_rows(path: Path, source: bytes | BinaryIO | None = None) -> RowStream:
    """Stream an export from `source` (bytes or a binary file), by default the file at `path`
    read from disk block by block."""
    fh: BinaryIO = io.BytesIO(source) if isinstance(source, bytes) else (source or path.open("rb"))
    head = fh.read(1 << 16)
    fh.seek(0)
    if not head.strip():
        raise TableError("empty_file", "Tệp rỗng (0 byte hoặc chỉ có khoảng trắng).")
    if path.suffix.lower() in XLSX_SUFFIXES:
        return stream_xlsx(fh)
    return stream_csv(fh)
