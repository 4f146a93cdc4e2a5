"""Source `scans`: media-monitoring exports ("rà quét thông tin") of one tool per run.

Primary key: item_key (canonical URL, else normalised text hash). Cursor: the file content
hash (ops.files) plus each capture's (file_hash, row_number). Every export row is parsed with
the tool's declarative mapping (ingestion/scans/mappings/<tool>.toml), streamed into a
temporary table with COPY and merged set-based (ingestion/scans/load.py), in parts of PART_ROWS
rows: a child process parses the next part while the server merges this one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from dlxh.privacy import pseudonymiser
from dlxh.tabular import TableError
from ingestion.framework import FileContext, FileOutcome, Quarantined
from ingestion.scans.load import land_parts
from ingestion.scans.mapping import FIELD_LABELS_VI, ToolMapping, load_mapping
from ingestion.scans.matching import Gazetteer, TopicMatcher
from ingestion.scans.prefetch import prefetch
from ingestion.scans.reader import SUFFIXES, Export, open_export
from ingestion.scans.records import RowParser, RowProblem, to_quarantine

# Rows per part: the next part is parsed while the server merges this one (ingestion/scans/prefetch.py).
PART_ROWS = 5_000


@dataclass
class ParsedPart:
    """Up to PART_ROWS export rows: the COPY text of those parsed, and what was quarantined."""

    text: str
    rows_read: int
    quarantined: list[Quarantined] = field(default_factory=list)


def parse_parts(export: Export, parser: RowParser, part_rows: int) -> Iterator[ParsedPart]:
    """Parse an export's rows into parts (runs in the prefetch process)."""
    lines: list[str] = []
    part = ParsedPart("", 0)
    for row_number, rec in export.rows:
        part.rows_read += 1
        try:
            lines.append(parser.copy_line(row_number, rec))
        except RowProblem as problem:
            part.quarantined.append(to_quarantine(problem, row_number, rec))
        if part.rows_read >= part_rows:
            part.text = "".join(lines)
            yield part
            lines, part = [], ParsedPart("", 0)
    if part.rows_read:
        part.text = "".join(lines)
        yield part


class ScansSource:
    name: ClassVar[str] = "scans"
    table: ClassVar[str] = "raw.scan_items"
    primary_key: ClassVar[tuple[str, ...]] = ("item_key",)
    cursor: ClassVar[str] = "file_hash"
    suffixes: ClassVar[frozenset[str]] = SUFFIXES

    def __init__(self, tool: str, part_rows: int = PART_ROWS, use_process: bool | None = None):
        self.tool = tool
        self.part_rows = part_rows
        self.use_process = use_process  # None: a forked process on Linux, else a thread (prefetch.prefetch)
        self.mapping: ToolMapping = load_mapping(tool)
        self.gazetteer = Gazetteer.from_csv()
        self.topics = TopicMatcher()
        self.pseudonymise = pseudonymiser()

    def load_file(self, cur: Any, ctx: FileContext, outcome: FileOutcome) -> None:
        try:
            export = open_export(ctx.path, None, self.mapping.columns)
        except TableError as exc:
            outcome.quarantine(Quarantined(exc.reason_code, str(exc)))
            return
        cols = self.mapping.columns
        if export.kind == "csv" and "url" in export.missing and "text" in export.missing:
            names = ", ".join(f"«{cols[f]}»" for f in ("url", "text") if f in cols)
            outcome.quarantine(
                Quarantined("missing_columns", f"Tệp không có cột đường dẫn hay nội dung ({names}) theo bảng ánh xạ của công cụ «{self.tool}».")
            )
            return
        if export.missing:
            outcome.detail["missing_columns"] = [f"{cols[f]} ({FIELD_LABELS_VI[f]})" for f in export.missing]
        outcome.detail["tool"] = self.tool
        parser = RowParser(self.mapping, self.gazetteer, self.topics, self.pseudonymise, ctx.file_mtime)

        parsed = prefetch(lambda: parse_parts(export, parser, self.part_rows), use_process=self.use_process)

        def texts() -> Iterator[str]:
            for part in parsed:
                outcome.rows_read += part.rows_read
                for q in part.quarantined:
                    outcome.quarantine(q)
                yield part.text

        try:
            counts = land_parts(cur, texts(), tool=self.tool, load_id=ctx.load_id, source_file=str(ctx.path), file_hash=ctx.file_hash)
        finally:
            parsed.close()  # on a database error: stop and reap the parser process before `outcome` is read
        outcome.rows_loaded, outcome.rows_updated, outcome.rows_unchanged = counts.loaded, counts.updated, counts.unchanged
        outcome.rows_quarantined = len({q.row_number for q in outcome.quarantined})
