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

from dlxh.core.settings import load_settings
from dlxh.core.tabular import TableError
from ingestion.framework import FileContext, FileOutcome, Quarantined
from ingestion.spec import SourceSpec
from ingestion.surveys.anonymise import load_salt
from ingestion.surveys.columns import ColumnPlan, plan_columns
from ingestion.surveys.loader import SubmissionWriter, save_questionnaire
from ingestion.surveys.normalise import Normaliser, Rejected, Submission
from ingestion.surveys.questionnaire import Questionnaire, load_questionnaire
from ingestion.surveys.reader import stream_rows
from ingestion.surveys.spec import SPEC
from ingestion.surveys.timestamps import infer_date_order
from ingestion.surveys.unit_question import UnitQuestion, find_unit_question

DEFAULT_CHUNK_ROWS = 20_000


class SurveysSource:
    spec: ClassVar[SourceSpec] = SPEC
    name: ClassVar[str] = SPEC.name
    suffixes: ClassVar[frozenset[str]] = SPEC.suffixes

    def __init__(self, form: str | Path, chunk_rows: int | None = None, mapping: str | Path | None = None):
        self.form_path = Path(form)
        self.form: Questionnaire = load_questionnaire(self.form_path, mapping)
        settings = load_settings()
        self.chunk_rows = chunk_rows or int(settings.get("DLXH_SURVEY_CHUNK_ROWS", str(DEFAULT_CHUNK_ROWS)))

    def load_file(self, cur: Any, ctx: FileContext, outcome: FileOutcome) -> None:
        form_files = {self.form_path.resolve(), *([Path(self.form.mapping_file).resolve()] if self.form.mapping_file else [])}
        if ctx.path.resolve() in form_files:
            outcome.detail["note"] = "Đây là bảng hỏi (XLSForm/mapping), không phải tệp dữ liệu: bỏ qua."
            return
        try:
            stream = stream_rows(ctx.path)
        except TableError as exc:
            outcome.quarantine(Quarantined(exc.reason_code, str(exc)))
            return
        form = self.form
        from ingestion.reference.units import UnitRegistry

        units = UnitRegistry.from_db(cur)
        unit_question = find_unit_question(form, units)
        plan = plan_columns(stream.headers, form)
        outcome.detail.update(
            {
                "form_id": form.form_id,
                "platform": plan.platform,
                "encoding": stream.encoding,
                "delimiter": stream.delimiter,
                "ignored_columns": plan.ignored[:50],
            }
        )
        if not plan.answers and not plan.detail_questions:
            n = sum(1 for _ in stream.rows)
            outcome.rows_read = outcome.rows_quarantined = n
            outcome.quarantine(
                Quarantined(
                    "form_mismatch",
                    f"Không cột nào của tệp khớp với câu hỏi của bảng hỏi «{form.form_id}»: tệp có đúng là dữ liệu của bảng hỏi này "
                    f"không? Cột trong tệp: {', '.join(stream.headers[:15])}.",
                )
            )
            return
        salt = load_salt()
        if note := salt.note():
            outcome.detail["salt_note"] = note
        self._describe_form(outcome, plan, unit_question)
        save_questionnaire(cur, form, form.default_unit, ctx.load_id)
        date_order = form.date_order or "dmy"
        if plan.submitted_kind == "google" and form.date_order is None and plan.submitted_col is not None:
            col = plan.submitted_col
            date_order = infer_date_order(cells[col] for _, cells in stream_rows(ctx.path).rows if col < len(cells))
            outcome.detail["date_order"] = date_order
        normaliser = Normaliser(
            form, plan, salt, units, ctx.load_id, str(ctx.path), ctx.file_hash, date_order, {c.name: c.code for c in unit_question.choices}
        )
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

    def _describe_form(self, outcome: FileOutcome, plan: ColumnPlan, uq: UnitQuestion) -> None:
        """What the import summary says about the form: its unit question and the unit choices that
        name no registry unit, topic values that resolve to no topic, questions kept in restricted."""
        form = self.form
        warnings: list[str] = []
        if form.mapping_file:
            outcome.detail["mapping_file"] = form.mapping_file
        if uq.question is not None:
            outcome.detail["unit_question"] = {
                "question": uq.question.name,
                "found_by": uq.how,
                "choices": len(uq.choices),
                "resolved": len(uq.choices) - len(uq.unresolved()),
            }
            if plan.unit_col is None:
                warnings.append(f"Tệp không có cột của câu hỏi đơn vị «{uq.question.name}».")
        elif uq.competing:
            warnings.append(
                f"Không chọn được câu hỏi đơn vị: các câu {', '.join('«' + n + '»' for n in uq.competing)} đều có "
                "lựa chọn là đơn vị trong danh mục; hãy đánh dấu một câu (cột dlxh_unit / role = unit, hoặc tệp mapping)."
            )
        elif not form.default_unit:
            warnings.append(
                "Bảng hỏi không có câu hỏi đơn vị (cột dlxh_unit / role = unit, tệp mapping, hay câu select_one có "
                "các lựa chọn là đơn vị trong danh mục) và không có đơn vị mặc định: các phiếu sẽ bị cách ly."
            )
        unresolved = uq.unresolved()
        if unresolved:
            outcome.detail["unit_choices_unresolved"] = [
                {"choice": c.name, "label": c.label, **({"candidates": list(c.candidates)} if c.candidates else {})} for c in unresolved
            ]
            listed = "; ".join(
                f"«{c.name}»"
                + (f" ({c.label})" if c.label else "")
                + (f" — khớp nhiều đơn vị: {', '.join(c.candidates)}" if c.candidates else "")
                for c in unresolved
            )
            assert uq.question is not None  # choices come from the unit question
            warnings.append(
                f"{len(unresolved)} lựa chọn của câu hỏi đơn vị «{uq.question.name}» không khớp đơn vị nào trong "
                f"danh mục: {listed}. Phiếu chọn các lựa chọn này bị cách ly (unknown_unit)."
            )
        ended = uq.ended()
        if ended:
            outcome.detail["unit_choices_ended"] = [
                {"choice": c.name, "unit_code": c.code, "valid_to": c.ended_on.isoformat()} for c in ended if c.ended_on
            ]
            warnings.append(
                f"{len(ended)} lựa chọn của câu hỏi đơn vị là đơn vị đã giải thể/sáp nhập: "
                + "; ".join(f"«{c.name}» ({c.code}, đến {c.ended_on:%d/%m/%Y})" for c in ended)
                + "."
            )
        topics = form.unresolved_topics()
        if topics:
            answered = {q.name for _, q in plan.answers} | {q.name for q, _ in plan.detail_questions}
            outcome.detail["unresolved_topics"] = {
                value: {"questions": names, "questions_in_file": sum(n in answered for n in names)} for value, names in topics.items()
            }
            warnings.append(
                f"{len(topics)} giá trị chủ đề không khớp chủ đề nào (topics.csv / topic_aliases.csv, phạm vi «{form.form_id}»): "
                + "; ".join(f"«{v}» ({len(ns)} câu: {', '.join(ns)})" for v, ns in topics.items())
                + ". Các câu này được nạp với topic_code trống (giữ nguyên giá trị ở raw.survey_questions.topic_raw)."
            )
        restricted = [(q, q.restricted_why) for _, q in plan.answers if q.restricted_why]
        if restricted:
            outcome.detail["restricted_questions"] = [{"question": q.name, "type": q.qtype, "why": why} for q, why in restricted]
            unknown = [q for q, why in restricted if why in ("unknown_type", "no_choice_list", "not_numeric_or_choice")]
            if unknown:
                warnings.append(
                    "Câu hỏi có kiểu không phải số/lựa chọn mà hệ thống biết, câu trả lời chỉ được lưu ở restricted.survey_free_text "
                    "(không vào raw.survey_answers): " + "; ".join(f"«{q.name}» (kiểu «{q.qtype or '(trống)'}»)" for q in unknown) + "."
                )
        if warnings:
            outcome.detail["warnings"] = warnings

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
            outcome.quarantine(
                Quarantined(
                    "duplicate_uuid",
                    f"Mã phiếu «{rejected.uuid}» xuất hiện nhiều lần trong cùng tệp với nội dung khác nhau; chỉ nạp lần xuất hiện đầu tiên.",
                    rejected.row_number,
                    "_uuid",
                    {"submission_uuid": rejected.uuid},
                )
            )
            return
        for p in rejected.problems:
            record = {"submission_uuid": rejected.uuid}
            if p.value is not None:
                record["value"] = p.value
            outcome.quarantine(Quarantined(p.reason_code, p.reason, rejected.row_number, p.field, record))
