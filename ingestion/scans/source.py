"""Source `scans`: media-monitoring exports ("rà quét thông tin") of one tool per run.

Primary key: item_key (canonical URL, else normalised text hash). Cursor: the file content
hash (ops.files) plus each capture's (file_hash, row_number). Every export row is parsed with
the tool's declarative mapping (`$DLXH_CONFIG_DIR/scan_tools/<tool>.toml`, else the shipped one
in dlxh/core/config/defaults/scan_tools/; or a mapping file's path), streamed into a
temporary table with COPY and merged set-based (ingestion/scans/load.py), in parts of PART_ROWS
rows: a child process parses the next part while the server merges this one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from dlxh.core.privacy import pseudonymiser
from dlxh.core.tabular import TableError
from ingestion.framework import FileContext, FileOutcome, Quarantined
from ingestion.reference.places import Gazetteer
from ingestion.scans.load import land_parts
from ingestion.scans.mapping import FIELD_LABELS_VI, ToolMapping, load_mapping
from ingestion.scans.matching import TopicMatcher
from ingestion.scans.prefetch import prefetch
from ingestion.scans.reader import Export, open_export
from ingestion.scans.records import RowParser, RowProblem, to_quarantine
from ingestion.scans.spec import SPEC
from ingestion.spec import SourceSpec

# Rows per part: the next part is parsed while the server merges this one (ingestion/scans/prefetch.py).
PART_ROWS = 5_000


@dataclass
class ParsedPart:
    """Up to PART_ROWS export rows: the COPY text of those parsed, what was quarantined, and the
    tool's topic parts and place values that resolved to nothing (counted per value)."""

    text: str
    rows_read: int
    quarantined: list[Quarantined] = field(default_factory=list)
    unmatched_topics: Counter[str] = field(default_factory=Counter)
    unmatched_places: Counter[str] = field(default_factory=Counter)


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
            yield _finish(part, lines, parser)
            lines, part = [], ParsedPart("", 0)
    if part.rows_read:
        yield _finish(part, lines, parser)


def _finish(part: ParsedPart, lines: list[str], parser: RowParser) -> ParsedPart:
    part.text = "".join(lines)
    part.unmatched_topics, parser.unmatched_topics = parser.unmatched_topics, Counter()
    part.unmatched_places, parser.unmatched_places = parser.unmatched_places, Counter()
    return part


class ScansSource:
    spec: ClassVar[SourceSpec] = SPEC
    name: ClassVar[str] = SPEC.name
    suffixes: ClassVar[frozenset[str]] = SPEC.suffixes

    def __init__(self, tool: str, part_rows: int = PART_ROWS, use_process: bool | None = None):
        self.part_rows = part_rows
        self.use_process = use_process  # None: a forked process on Linux, else a thread (prefetch.prefetch)
        self.mapping: ToolMapping = load_mapping(tool)  # a tool name or a mapping file's path
        self.tool = self.mapping.tool
        self.topics = TopicMatcher()
        self.pseudonymise = pseudonymiser()

    def load_file(self, cur: Any, ctx: FileContext, outcome: FileOutcome) -> None:
        try:
            export = open_export(ctx.path, None, self.mapping.columns, self.mapping.records)
        except TableError as exc:
            outcome.quarantine(Quarantined(exc.reason_code, str(exc)))
            return
        cols = self.mapping.columns
        if export.kind == "csv" and "url" in export.missing and "text" in export.missing:
            names = ", ".join(f"«{cols[f]}»" for f in ("url", "text") if f in cols)
            outcome.quarantine(
                Quarantined(
                    "missing_columns", f"Tệp không có cột đường dẫn hay nội dung ({names}) theo bảng ánh xạ của công cụ «{self.tool}»."
                )
            )
            return
        if export.missing:
            outcome.detail["missing_columns"] = [f"{cols[f]} ({FIELD_LABELS_VI[f]})" for f in export.missing]
        outcome.detail["tool"] = self.tool
        # The gazetteer of the registry in force (and the config folder's places), compiled once per file.
        gazetteer = Gazetteer.from_db(cur)
        parser = RowParser(self.mapping, gazetteer, self.topics, self.pseudonymise, ctx.file_mtime)
        unmatched_topics: Counter[str] = Counter()
        unmatched_places: Counter[str] = Counter()

        parsed = prefetch(lambda: parse_parts(export, parser, self.part_rows), use_process=self.use_process)

        def texts() -> Iterator[str]:
            for part in parsed:
                outcome.rows_read += part.rows_read
                for q in part.quarantined:
                    outcome.quarantine(q)
                unmatched_topics.update(part.unmatched_topics)
                unmatched_places.update(part.unmatched_places)
                yield part.text

        try:
            counts = land_parts(cur, texts(), tool=self.tool, load_id=ctx.load_id, source_file=str(ctx.path), file_hash=ctx.file_hash)
        finally:
            parsed.close()  # on a database error: stop and reap the parser process before `outcome` is read
        outcome.rows_loaded, outcome.rows_updated, outcome.rows_unchanged = counts.loaded, counts.updated, counts.unchanged
        outcome.rows_quarantined = len({q.row_number for q in outcome.quarantined})
        _note_attribution(outcome, gazetteer, unmatched_topics, unmatched_places, self.tool)


def _note_attribution(outcome: FileOutcome, gazetteer: Gazetteer, topics: Counter[str], places: Counter[str], tool: str) -> None:
    """What the import summary lists about attribution: the tool's topic values and place values
    that resolved to nothing (per value, with the number of rows; those items load without a
    topic / with unit_code null), and the config places that resolve to no current unit."""
    notes: list[str] = []
    if topics:
        outcome.detail["unmatched_topics"] = dict(topics.most_common())
        listed = ", ".join(f"«{v}» ({n})" for v, n in topics.most_common(20))
        notes.append(
            f"Chủ đề của công cụ «{tool}» chưa ánh xạ được vào danh mục chủ đề ({sum(topics.values())} dòng): {listed}. "
            f"Thêm vào topic_aliases.csv (scope = {tool}) trong thư mục cấu hình."
        )
    if places:
        outcome.detail["unmatched_places"] = dict(places.most_common())
        listed = ", ".join(f"«{v}» ({n})" for v, n in places.most_common(20))
        notes.append(
            f"Địa bàn không khớp đơn vị nào trong danh mục ({sum(places.values())} dòng; tin bài vẫn được nạp, chưa gán đơn vị "
            f"nếu nội dung không nêu địa danh): {listed}. Thêm địa danh vào places.csv trong thư mục cấu hình."
        )
    if gazetteer.problems:
        outcome.detail["place_problems"] = [p.message for p in gazetteer.problems]
        notes += [p.message for p in gazetteer.problems]
    if notes:
        outcome.detail["notes"] = notes
