"""Stream the records of a monitoring export (CSV/TSV, JSON, JSONL) as mapped field values.

Rows are yielded one at a time (no list of all rows), so memory stays bounded by the file's
text; CSV headers and JSON keys are matched accent-insensitively, JSON fields may be dotted
paths into nested objects ("engagement.likes").
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO, TextIO

import msgspec

from dlxh.core.tabular import TableError, decode_bytes, nfc_lines, open_text, sniff_delimiter
from dlxh.core.text import slug


@dataclass
class Export:
    kind: str  # csv | json | jsonl
    missing: list[str]  # mapped fields whose column is absent (CSV: from the header row)
    rows: Iterator[tuple[int, dict[str, str]]]  # (row number as a person sees it, field -> text)


def open_export(path: Path, data: bytes | None, columns: dict[str, str], records: str | None = None) -> Export:
    """Open an export for streaming: CSV and JSONL are read from disk line by line (memory stays
    bounded whatever the file size); a JSON document is parsed whole (its list of records: see
    `json_record_list`; `records` = the mapping's dotted path to it). `data` overrides the file."""
    fh: BinaryIO = io.BytesIO(data) if data is not None else path.open("rb")
    if not fh.read(1 << 16).strip():
        raise TableError("empty_file", "Tệp rỗng (0 byte hoặc chỉ có khoảng trắng).")
    fh.seek(0)
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            text, _ = decode_bytes(fh.read())
        except UnicodeDecodeError as exc:
            raise TableError("bad_encoding", f"Không nhận ra bảng mã của tệp ({exc}).") from exc
        return Export("json", [], _json_rows(json_record_list(text, columns, records), columns))
    stream, _ = open_text(fh)
    if suffix in (".jsonl", ".ndjson"):
        return Export("jsonl", [], _jsonl_rows(nfc_lines(stream), columns))
    return _csv_export(stream, columns)


def _csv_export(stream: TextIO, columns: dict[str, str]) -> Export:
    start = stream.tell()
    sample = stream.read(20000)
    stream.seek(start)
    delimiter = sniff_delimiter(sample)
    reader = csv.reader(nfc_lines(stream), delimiter=delimiter)
    headers: list[str] | None = None
    for row in reader:
        if any(c.strip() for c in row):
            headers = row
            break
    if headers is None:
        raise TableError("empty_file", "Tệp rỗng: không có dòng tiêu đề hay dữ liệu nào.")
    slugs = {slug(h): i for i, h in reversed(list(enumerate(headers)))}
    index = {f: slugs[slug(col)] for f, col in columns.items() if slug(col) in slugs}
    missing = [f for f in columns if f not in index]

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        items = list(index.items())
        fields = [f for f, _ in items]
        # itemgetter of one index returns the cell itself, not a tuple
        pick = itemgetter(*(i for _, i in items)) if len(items) > 1 else (lambda cells: tuple(cells[i] for _, i in items))
        needed = max((i for _, i in items), default=-1) + 1
        strip = str.strip
        for n, cells in enumerate(reader, start=1):
            if not any(c.strip() for c in cells):
                continue
            width = len(cells)
            if width >= needed:
                yield n, dict(zip(fields, map(strip, pick(cells)), strict=True))
            else:  # a short row: the columns it lacks are absent
                yield n, {f: cells[i].strip() for f, i in items if i < width}

    return Export("csv", missing, rows())


def _lookup(record: dict, path: str) -> object:
    if path in record:
        return record[path]
    node: object = record
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        if part in node:
            node = node[part]
            continue
        key = _slug(part)
        node = next((v for k, v in node.items() if _slug(k) == key), None)
        if node is None:
            return None
    return node


@lru_cache(maxsize=1024)
def _slug(key: str) -> str:
    return slug(key)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value).strip()


_ABSENT = object()
_MSGSPEC_REJECTED = object()


def _resolve(record: dict, path: str) -> tuple[str, ...] | None:
    """The actual keys `_lookup` follows for `path` in this record; None if its top level is absent."""
    if path in record:
        return (path,)
    keys: list[str] = []
    node: object = record
    for depth, part in enumerate(path.split(".")):
        if not isinstance(node, dict):
            return ()  # shape below the top level differs: look it up row by row
        key = part if part in node else next((k for k in node if _slug(k) == _slug(part)), None)
        if key is None:
            return None if depth == 0 else ()
        keys.append(key)
        node = node[key]
    return tuple(keys)


class FieldReader:
    """Mapped field values of JSON records, with the key path of each field resolved once per
    record shape (the top-level keys): records of one export almost always share a shape, and
    resolving accent-insensitive keys for every record cost more than parsing the JSON."""

    def __init__(self, columns: dict[str, str]):
        self.columns = columns
        self._plans: dict[tuple[str, ...], list[tuple[str, str, tuple[str, ...] | None]]] = {}

    def __call__(self, record: dict) -> dict[str, str]:
        shape = tuple(record)
        plan = self._plans.get(shape)
        if plan is None:
            if len(self._plans) >= 256:
                self._plans.clear()
            plan = self._plans[shape] = [(f, path, _resolve(record, path)) for f, path in self.columns.items()]
        out: dict[str, str] = {}
        for f, path, keys in plan:
            if keys is None:
                out[f] = ""
                continue
            node: object = record
            for key in keys:
                node = node.get(key, _ABSENT) if isinstance(node, dict) else _ABSENT
                if node is _ABSENT:
                    break
            out[f] = _cell(_lookup(record, path) if node is _ABSENT or not keys else node)
        return out


def _jsonl_rows(lines: Iterable[str], columns: dict[str, str]) -> Iterator[tuple[int, dict[str, str]]]:
    fields = FieldReader(columns)
    fast_decode, decode_error = msgspec.json.Decoder().decode, msgspec.MsgspecError
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = fast_decode(line)
        except (decode_error, RecursionError):
            record = _MSGSPEC_REJECTED
        try:
            if record is _MSGSPEC_REJECTED:
                # json.loads decides (it accepts NaN, lone surrogates, ...) and words the error
                record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield n, {"__error__": f"Dòng {n} không phải JSON hợp lệ: {exc.msg}."}
            continue
        except RecursionError:
            yield n, {"__error__": f"Dòng {n}: JSON lồng nhau quá sâu, không đọc được."}
            continue
        if not isinstance(record, dict):
            yield n, {"__error__": f"Dòng {n} không phải một đối tượng JSON ({{...}})."}
            continue
        yield n, fields(record)


def json_record_list(text: str, columns: dict[str, str], records: str | None = None) -> list:
    """The records of a JSON document export.

    * `records` (the mapping's `records = "data.items"`): the list at that dotted path;
    * a list: the document itself;
    * an object: the list of objects inside it (nested up to three levels) whose objects carry
      the most of the mapped keys ({"errors": [...], "items": [...]} -> items), else the object
      itself when it carries mapped keys (a one-record export); lists of objects without any
      mapped key are not records.

    A document with no records is a TableError `no_records` (the file is quarantined, never
    counted as loaded with 0 rows).
    """
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TableError("bad_json", f"Tệp JSON hỏng ở dòng {exc.lineno}, cột {exc.colno}: {exc.msg}.") from exc
    if records:
        found = _lookup(doc, records) if isinstance(doc, dict) else None
        if not isinstance(found, list):
            raise TableError(
                "no_records",
                f"Tệp JSON không có danh sách bản ghi ở khóa «{records}» (khai báo `records` trong bảng ánh xạ của công cụ).",
            )
        doc = found
    elif isinstance(doc, dict):
        doc = _best_record_list(doc, columns)
    if not isinstance(doc, list):
        raise TableError("bad_json", "Tệp JSON không chứa danh sách bản ghi.")
    if not doc:
        raise TableError(
            "no_records",
            "Tệp JSON không có bản ghi nào (danh sách tin bài rỗng hoặc không tìm thấy danh sách các đối tượng có các trường đã ánh xạ).",
        )
    return doc


def _best_record_list(doc: dict, columns: dict[str, str]) -> list:
    tops = {_slug(path.split(".")[0]) for path in columns.values()} | {_slug(path) for path in columns.values()}

    def score(items: list) -> tuple[int, int]:
        objects = [x for x in items if isinstance(x, dict)]
        return sum(any(_slug(k) in tops for k in x) for x in objects), len(objects)

    candidates: list[tuple[tuple[int, int], int, list]] = []
    level: list[dict] = [doc]
    for depth in range(3):
        nested: list[dict] = []
        for node in level:
            for value in node.values():
                if isinstance(value, list):
                    candidates.append((score(value), -depth, value))
                elif isinstance(value, dict):
                    nested.append(value)
        level = nested
    with_fields = [c for c in candidates if c[0][0] > 0]
    if with_fields:
        return max(with_fields, key=lambda c: (c[0], c[1]))[2]
    if any(_slug(k) in tops for k in doc):
        return [doc]
    return []  # lists of other objects ({"errors": [{"code": 429}]}) are not the records


def _json_rows(records: list, columns: dict[str, str]) -> Iterator[tuple[int, dict[str, str]]]:
    fields = FieldReader(columns)
    for n, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            yield n, {"__error__": f"Phần tử thứ {n} không phải một đối tượng JSON ({{...}})."}
            continue
        yield n, fields(record)
