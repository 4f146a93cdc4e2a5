"""Source `surveys`: KoboToolbox / ODK Central exports (CSV, XLSX) and Google Forms CSVs.

Primary key: submission_uuid (Kobo ``_uuid``/``meta/instanceID``, ODK Central ``KEY``, Google
Forms: a hash of the form, the timestamp and the respondent's identifiers). Cursor: the
submission's content hash — a re-export of the same submission is "unchanged", a changed one
"updated", never a duplicate. The file is streamed in chunks of ``DLXH_SURVEY_CHUNK_ROWS``
submissions (default 20,000); one transaction per file. See docs/surveys.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from dlxh.settings import load_settings
from dlxh.tabular import TableError
from ingestion.framework import FileContext, FileOutcome, Quarantined
from ingestion.sources import SOURCE_SUFFIXES
from ingestion.surveys.anonymise import load_salt
from ingestion.surveys.columns import plan_columns
from ingestion.surveys.loader import SubmissionWriter, save_questionnaire
from ingestion.surveys.normalise import Normaliser, Rejected, Submission
from ingestion.surveys.questionnaire import Questionnaire, load_questionnaire
from ingestion.surveys.reader import stream_rows
from ingestion.surveys.timestamps import infer_date_order

DEFAULT_CHUNK_ROWS = 20_000


class SurveysSource:
    name: ClassVar[str] = "surveys"
    table: ClassVar[str] = "raw.survey_responses"
    primary_key: ClassVar[tuple[str, ...]] = ("submission_uuid",)
    cursor: ClassVar[str] = "content_hash"
    suffixes: ClassVar[frozenset[str]] = SOURCE_SUFFIXES["surveys"]

    def __init__(self, form: str | Path, chunk_rows: int | None = None):
        self.form_path = Path(form)
        self.form: Questionnaire = load_questionnaire(self.form_path)
        settings = load_settings()
        self.chunk_rows = chunk_rows or int(settings.get("DLXH_SURVEY_CHUNK_ROWS", str(DEFAULT_CHUNK_ROWS)))

    def load_file(self, cur: Any, ctx: FileContext, outcome: FileOutcome) -> None:
        if ctx.path.resolve() == self.form_path.resolve():
            outcome.detail["note"] = "Đây là bảng hỏi (XLSForm/mapping), không phải tệp dữ liệu: bỏ qua."
            return
        try:
            stream = stream_rows(ctx.path)
        except TableError as exc:
            outcome.quarantine(Quarantined(exc.reason_code, str(exc)))
            return
        form = self.form
        plan = plan_columns(stream.headers, form)
        outcome.detail.update({"form_id": form.form_id, "platform": plan.platform, "encoding": stream.encoding,
                               "delimiter": stream.delimiter, "ignored_columns": plan.ignored[:50]})
        if not plan.answers and not plan.detail_questions:
            n = sum(1 for _ in stream.rows)
            outcome.rows_read = outcome.rows_quarantined = n
            outcome.quarantine(Quarantined(
                "form_mismatch",
                f"Không cột nào của tệp khớp với câu hỏi của bảng hỏi «{form.form_id}»: tệp có đúng là dữ liệu của bảng hỏi này "
                f"không? Cột trong tệp: {', '.join(stream.headers[:15])}.",
            ))
            return
        salt = load_salt()
        if note := salt.note():
            outcome.detail["salt_note"] = note
        from ingestion.reports.registry_lookup import UnitRegistry

        units = UnitRegistry.from_db(cur)
        save_questionnaire(cur, form, form.default_unit, ctx.load_id)
        date_order = form.date_order or "dmy"
        if plan.submitted_kind == "google" and form.date_order is None and plan.submitted_col is not None:
            col = plan.submitted_col
            date_order = infer_date_order(cells[col] for _, cells in stream_rows(ctx.path).rows if col < len(cells))
            outcome.detail["date_order"] = date_order
        normaliser = Normaliser(form, plan, salt, units, ctx.load_id, str(ctx.path), ctx.file_hash, date_order)
        writer = SubmissionWriter(cur)
        seen: dict[str, str] = {}
        batch: list[Submission] = []
        for row_number, cells in stream.rows:
            outcome.rows_read += 1
            result = normaliser.normalise(row_number, cells)
            if isinstance(result, Rejected):
                self._reject(outcome, result)
                continue
            previous = seen.get(result.uuid)
            if previous is not None:
                if previous == result.content_hash:
                    outcome.rows_unchanged += 1
                else:
                    self._reject(outcome, Rejected(row_number, result.uuid, []), duplicate=True)
                continue
            seen[result.uuid] = result.content_hash
            batch.append(result)
            if len(batch) >= self.chunk_rows:
                self._flush(writer, batch, outcome)
                batch = []
        self._flush(writer, batch, outcome)

    @staticmethod
    def _flush(writer: SubmissionWriter, batch: list[Submission], outcome: FileOutcome) -> None:
        result = writer.write(batch)
        outcome.rows_loaded += result.loaded
        outcome.rows_updated += result.updated
        outcome.rows_unchanged += result.unchanged

    @staticmethod
    def _reject(outcome: FileOutcome, rejected: Rejected, duplicate: bool = False) -> None:
        outcome.rows_quarantined += 1
        if duplicate:
            outcome.quarantine(Quarantined(
                "duplicate_uuid",
                f"Mã phiếu «{rejected.uuid}» xuất hiện nhiều lần trong cùng tệp với nội dung khác nhau; chỉ nạp lần xuất hiện đầu tiên.",
                rejected.row_number, "_uuid", {"submission_uuid": rejected.uuid},
            ))
            return
        for p in rejected.problems:
            record = {"submission_uuid": rejected.uuid}
            if p.value is not None:
                record["value"] = p.value
            outcome.quarantine(Quarantined(p.reason_code, p.reason, rejected.row_number, p.field, record))
