"""Source `reports`: dispatch each inbox file to the structured-form, register or document parser,
attribute it to a registry unit, and land report versions in raw.reports (+ items, topics).

Primary key: report_key (hash of the normalised report content). Cursor: ops.files content hash.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from dlxh.core.db import copy_rows
from dlxh.core.tabular import TABULAR_SUFFIXES, TableError, read_table
from ingestion.framework import FileContext, FileOutcome, Quarantined, sha256_file
from ingestion.reference.units import UnitRegistry
from ingestion.reports import form, register
from ingestion.reports.records import ReportRecord
from ingestion.reports.spec import SPEC
from ingestion.spec import SourceSpec

log = logging.getLogger("dlxh")
DOCUMENT_SUFFIXES = frozenset({".docx", ".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".txt", ".doc"})

REPORT_COLUMNS = (
    "report_key",
    "load_id",
    "source_file",
    "file_hash",
    "source_format",
    "unit_code",
    "unit_name_raw",
    "period_month",
    "report_type",
    "due_at",
    "doc_number",
    "place_date_line",
    "issued_on",
    "title",
    "form_received_at",
    "inbox_received_at",
    "situation",
    "causes",
    "forecast",
    "proposals",
    "extraction",
)
ITEM_COLUMNS = ("report_key", "item_no", "topic_raw", "topic_code", "summary", "sentiment", "is_hot_spot", "cause", "forecast", "proposal")
TOPIC_COLUMNS = ("report_key", "topic_code", "evidence", "is_hot_spot")


class ReportsSource:
    spec: ClassVar[SourceSpec] = SPEC
    name: ClassVar[str] = SPEC.name
    suffixes: ClassVar[frozenset[str]] = SPEC.suffixes

    def __init__(self) -> None:
        self._adhoc: list | None = None
        self._ahead: Any = None  # documents.ahead.TextAhead during a batch (read_ahead)
        self.last_read_ahead: list[Path] = []  # the files the last batch read ahead

    @contextmanager
    def read_ahead(self, files: list[Path], conn: Any) -> Iterator[None]:
        """While the batch loads, extract the text of its scans and PDFs ahead in threads
        (ingestion/reports/documents/ahead.py): only files not loaded before."""
        from ingestion.reports.documents.ahead import TextAhead, workers_setting, worth_reading_ahead

        workers = workers_setting()
        candidates = [p for p in files if worth_reading_ahead(p)] if workers > 1 else []
        hashed = []
        for path in candidates:
            try:
                hashed.append((path, sha256_file(path)))
            except OSError:
                continue  # the loop reports an unreadable file itself
        if len(hashed) > 1:
            with conn, conn.cursor() as cur:
                cur.execute(
                    "select file_hash from ops.files where source = %s and status = 'loaded' and file_hash = any(%s)",
                    (self.name, [h for _p, h in hashed]),
                )
                loaded = {row[0] for row in cur.fetchall()}
            hashed = [(p, h) for p, h in hashed if h not in loaded]
        self.last_read_ahead = []
        if len(hashed) < 2:  # nothing to overlap
            yield
            return
        self._ahead = TextAhead(hashed, workers)
        log.info("reading %d scans/PDFs ahead in %d threads", len(hashed), workers)
        try:
            yield
        finally:
            self.last_read_ahead = list(self._ahead.submitted)
            self._ahead.close()
            self._ahead = None

    def adhoc_requests(self) -> list:
        if self._adhoc is None:
            from ingestion.reports.adhoc import load_requests

            self._adhoc = load_requests()
        return self._adhoc

    def load_file(self, cur: Any, ctx: FileContext, outcome: FileOutcome) -> None:
        suffix = ctx.path.suffix.lower()
        reports: list[ReportRecord] = []
        if suffix in TABULAR_SUFFIXES:
            data = ctx.data
            if suffix == ".json":
                data = form.flatten_online_form(data) or data
            try:
                table = read_table(ctx.path, data, header_aliases=register.ALIASES)
                if not register.is_register(table):
                    table = read_table(ctx.path, data, header_aliases=form.ALIASES)
            except TableError as exc:
                if suffix != ".txt":
                    _quarantine_file(outcome, Quarantined(exc.reason_code, str(exc)))
                    return
                table = None
            if table is not None and register.is_register(table):
                register.load_register(cur, ctx, outcome, table)
                self._rewitness_documents(cur, ctx, outcome)
                return
            if table is not None and form.is_form(table):
                reports, bad_rows, rows_read = form.parse_form(ctx.path, table)
                outcome.rows_read += rows_read
                for q in bad_rows:
                    outcome.quarantine(q)
            elif suffix != ".txt":
                found = ", ".join(f"«{h}»" for h in (table.headers if table is not None else [])[:8] if h) or "không có"
                _quarantine_file(
                    outcome,
                    Quarantined(
                        "not_a_report",
                        "Tệp không phải báo cáo của đơn vị và không phải sổ công văn đến: mẫu biểu báo cáo cần cột «Kỳ báo cáo» "
                        "và «Mã đơn vị» (hoặc «Tên đơn vị»), sổ công văn đến cần cột «Ngày đến»/«Thời gian nhận» và «File đính kèm» "
                        f"(hoặc «Số, ký hiệu VB» và «Nơi gửi»); các cột tìm thấy: {found}. Xem docs/report-form.md.",
                    ),
                )
                return
        if not reports and suffix in DOCUMENT_SUFFIXES and outcome.rows_read == 0:
            from_document = self._read_document(cur, ctx, outcome)
            if from_document is None:
                return
            reports = from_document
        self._land(cur, ctx, outcome, reports)

    def _read_document(self, cur: Any, ctx: FileContext, outcome: FileOutcome) -> list[ReportRecord] | None:
        """One document (DOCX, PDF, scan, photo, text) -> one report version; None when it was quarantined."""
        from ingestion.reports import documents

        assignment = current_assignment(cur, ctx.file_hash)
        sender = register.register_sender_for(cur, ctx.path.name)
        try:
            extracted = self._ahead.take(ctx.path, ctx.file_hash) if self._ahead is not None else None
            report = documents.parse_document(
                ctx.path,
                ctx.data,
                UnitRegistry.from_db(cur),
                self.adhoc_requests(),
                register_sender=register.expand_sender(sender) if sender else None,
                assignment=assignment,
                extracted=extracted,
            )
        except documents.DocumentError as exc:
            _quarantine_file(outcome, Quarantined(exc.reason_code, str(exc), record=exc.context))
            return None
        outcome.rows_read += 1
        report.row_numbers = [1]
        if assignment:
            outcome.detail["assignment_id"] = assignment["assignment_id"]
            _forget_previous(cur, ctx.file_hash)
            cur.execute(
                "update ops.report_assignments set applied_load_id = %s where assignment_id = %s",
                (ctx.load_id, assignment["assignment_id"]),
            )
        if report.extraction.get("confidence") == "low":
            outcome.detail["low_confidence"] = report.extraction.get("disagreement")
        return [report]

    def _rewitness_documents(self, cur: Any, ctx: FileContext, outcome: FileOutcome) -> None:
        """The register's «Nơi gửi» is a witness for the unit whatever the order of arrival: documents read
        before the register row naming them (earlier in this batch, or in an earlier run) without that
        witness are read again now, with it. Their earlier landing (or quarantine for want of a unit) is
        replaced; a person's assignment is never overridden. Recorded in the register's detail."""
        from ingestion.framework import _register

        cur.execute(
            """with named as (
                   select distinct lower(attachment_name) as name from raw.document_register
                   where load_id = %s and sender is not null and attachment_name is not null
               ), earlier as (
                   select r.file_hash, r.source_file as path from raw.reports r
                   where r.source_format in ('docx', 'pdf_text', 'pdf_scan', 'image_ocr', 'text')
                     and r.extraction -> 'witnesses' -> 'register' is null
                   union
                   select q.file_hash, q.file_path from ops.quarantine q
                   where q.source = 'reports' and q.resolved_at is null and q.row_number is null
                     and q.reason_code in ('unknown_unit', 'ambiguous_unit', 'missing_unit')
               )
               select distinct e.file_hash, e.path, f.first_seen_at, f.file_mtime
               from earlier e
               join named n on n.name = lower(regexp_replace(e.path, '^.*/', ''))
               join ops.files f on f.source = 'reports' and f.file_hash = e.file_hash
               where e.file_hash <> %s
                 and not exists (select 1 from ops.report_assignments a where a.file_hash = e.file_hash)
               order by e.path""",
            (ctx.load_id, ctx.file_hash),
        )
        redone, missing = [], []
        for file_hash, path_text, first_seen, mtime in cur.fetchall():
            path = Path(path_text)
            if not path.is_file() or sha256_file(path) != file_hash:
                missing.append(path_text)  # the file moved or changed: it is read with the witness when ingested again
                continue
            doc_ctx = FileContext(path, file_hash, ctx.load_id, first_seen, mtime)
            doc_outcome = FileOutcome(path_text, file_hash)
            _forget_previous(cur, file_hash)
            reports = self._read_document(cur, doc_ctx, doc_outcome)
            if reports is not None:
                self._land(cur, doc_ctx, doc_outcome, reports)
            doc_outcome.settle()
            _register(cur, self.name, doc_ctx, doc_outcome)
            redone.append({"file": path_text, "status": doc_outcome.status})
        if redone:
            outcome.detail["documents_rewitnessed"] = redone
        if missing:
            outcome.detail["documents_to_reingest"] = missing

    def _land(self, cur: Any, ctx: FileContext, outcome: FileOutcome, reports: list[ReportRecord]) -> None:
        registry = UnitRegistry.from_db(cur)
        inbox_time = min(ctx.file_mtime, ctx.first_seen_at)
        report_rows, item_rows, topic_rows = [], [], []
        landed_here: set[str] = set()
        existing_keys, existing_reports = _existing(cur, reports)
        for rep in reports:
            rows: list[int | None] = list(rep.row_numbers) or [None]
            unit_code = registry.by_code(rep.unit_code)
            if unit_code is None and rep.unit_code:
                # Offices write their unit column as they please: «LĐLĐ h. Tam Đường» as well as a code.
                unit_code = registry.resolve(rep.unit_code, rep.period_month).code
            if unit_code is None and rep.unit_code:
                for r in rows:
                    outcome.quarantine(
                        Quarantined(
                            "unknown_unit",
                            f"Mã đơn vị «{rep.unit_code}» không có trong danh mục đơn vị.",
                            r,
                            "unit_code",
                            {"unit_code": rep.unit_code, "unit_name": rep.unit_name_raw},
                        )
                    )
                continue
            if unit_code is None:
                if not rep.unit_name_raw:
                    for r in rows:
                        outcome.quarantine(
                            Quarantined("missing_unit", "Không xác định được đơn vị gửi báo cáo (thiếu mã và tên đơn vị).", r, "unit_code")
                        )
                    continue
                unit_code, candidates = registry.match_name(rep.unit_name_raw, rep.period_month)
                if unit_code is None:
                    reason = (
                        f"Tên đơn vị «{rep.unit_name_raw}» khớp với nhiều đơn vị ({', '.join(candidates)}); hãy ghi rõ mã đơn vị."
                        if len(candidates) > 1
                        else f"Tên đơn vị «{rep.unit_name_raw}» không khớp đơn vị nào trong danh mục."
                    )
                    for r in rows:
                        outcome.quarantine(
                            Quarantined(
                                "ambiguous_unit" if len(candidates) > 1 else "unknown_unit",
                                reason,
                                r,
                                "unit_name",
                                {"unit_name": rep.unit_name_raw, "candidates": candidates},
                            )
                        )
                    continue
            if rep.period_month is None:
                for r in rows:
                    outcome.quarantine(
                        Quarantined("missing_month", "Không tìm thấy tháng báo cáo (ví dụ «tháng 3 năm 2025»).", r, "period")
                    )
                continue
            key = rep.content_key(unit_code)
            if key in existing_keys or key in landed_here:
                outcome.rows_unchanged += len(rows)
                continue
            landed_here.add(key)

            report_rows.append(
                (
                    key,
                    ctx.load_id,
                    str(ctx.path),
                    ctx.file_hash,
                    rep.source_format,
                    unit_code,
                    rep.unit_name_raw,
                    rep.period_month,
                    rep.report_type,
                    rep.due_at,
                    rep.doc_number,
                    rep.place_date_line,
                    rep.issued_on,
                    rep.title,
                    rep.form_received_at,
                    inbox_time,
                    rep.situation,
                    rep.causes,
                    rep.forecast,
                    rep.proposals,
                    json.dumps(rep.extraction, ensure_ascii=False, default=str),
                )
            )
            item_rows += [
                (key, i.item_no, i.topic_raw, i.topic_code, i.summary, i.sentiment, i.is_hot_spot, i.cause, i.forecast, i.proposal)
                for i in rep.items
            ]
            topic_rows += [(key, t.topic_code, t.evidence, t.is_hot_spot) for t in {t.topic_code: t for t in rep.topics}.values()]
            # A new version of a report already received (same unit, month, type, request) counts as an update.
            if (unit_code, rep.period_month, rep.report_type, rep.due_at) in existing_reports:
                outcome.rows_updated += len(rows)
                outcome.detail.setdefault("new_versions", []).append(key)
            else:
                outcome.rows_loaded += len(rows)
        copy_rows(cur, "raw.reports", REPORT_COLUMNS, report_rows)
        copy_rows(cur, "raw.report_items", ITEM_COLUMNS, list({(r[0], r[1]): r for r in item_rows}.values()))
        copy_rows(cur, "raw.report_topics", TOPIC_COLUMNS, list({(r[0], r[1]): r for r in topic_rows}.values()))
        outcome.detail["reports"] = len(report_rows)


def current_assignment(cur: Any, file_hash: str) -> dict | None:
    """The latest decision a person recorded for this file (`dlxh reports assign`), if any."""
    cur.execute(
        """select assignment_id, unit_code, period_month, report_type, why, assigned_by, assigned_at
           from ops.report_assignments where file_hash = %s order by assigned_at desc, assignment_id desc limit 1""",
        (file_hash,),
    )
    row = cur.fetchone()
    if row is None:
        return None
    keys = ("assignment_id", "unit_code", "period_month", "report_type", "why", "assigned_by", "assigned_at")
    return dict(zip(keys, row, strict=True))


def _forget_previous(cur: Any, file_hash: str) -> None:
    """A file re-attributed by a person: the versions it landed before under the machine's reading go."""
    cur.execute("select report_key from raw.reports where file_hash = %s", (file_hash,))
    keys = [r[0] for r in cur.fetchall()]
    if keys:
        cur.execute("delete from raw.report_items where report_key = any(%s)", (keys,))
        cur.execute("delete from raw.report_topics where report_key = any(%s)", (keys,))
        cur.execute("delete from raw.reports where report_key = any(%s)", (keys,))


def _quarantine_file(outcome: FileOutcome, q: Quarantined) -> None:
    """The whole file is one unreadable report: read 1, quarantined 1, so the counts reconcile."""
    outcome.rows_read += 1
    outcome.rows_quarantined += 1
    outcome.quarantine(q)


def _existing(cur: Any, reports: list[ReportRecord]) -> tuple[set[str], set[tuple]]:
    """Report keys already landed, and (unit, month, type, deadline) of reports already received (two queries per file)."""
    months = sorted({r.period_month for r in reports if r.period_month})
    if not months:
        return set(), set()
    cur.execute("select report_key, unit_code, period_month, report_type, due_at from raw.reports where period_month = any(%s)", (months,))
    rows = cur.fetchall()
    return {r[0] for r in rows}, {tuple(r[1:]) for r in rows}
