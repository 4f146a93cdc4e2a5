"""Write a questionnaire and batches of submissions to the warehouse.

Submissions: COPY into a temp table, then one ``insert ... on conflict (submission_uuid) do
update ... where content_hash differs``; its ``returning`` says which were new and which
changed, the rest are unchanged. Answers and free text of new/changed submissions are then
replaced (delete + COPY), so an answer removed in a newer export disappears too.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dlxh.core.db import copy_rows
from ingestion.surveys.normalise import ANSWER_COLUMNS, FREE_TEXT_COLUMNS, RESPONSE_COLUMNS, Submission, esc
from ingestion.surveys.questionnaire import Questionnaire

QUESTION_COLUMNS = (
    "form_id",
    "question_name",
    "question_path",
    "question_type",
    "list_name",
    "label_vi",
    "topic_code",
    "scale_min",
    "scale_max",
    "is_reversed",
    "is_identifying",
    "is_unit_question",
    "topic_raw",
    "is_collector",
    "unit_from",
)
CHOICE_COLUMNS = ("form_id", "list_name", "choice_name", "label_vi", "score")
_COPY_CHUNK = 8 << 20


@dataclass
class BatchResult:
    loaded: int
    updated: int
    unchanged: int


def save_questionnaire(cur: Any, form: Questionnaire, unit_code: str | None, load_id: int) -> None:
    cur.execute(
        """insert into raw.survey_forms (form_id, form_version, title, platform, unit_code, source_file, file_hash, load_id)
           values (%s, %s, %s, %s, %s, %s, %s, %s)
           on conflict (form_id) do update set form_version = excluded.form_version, title = excluded.title,
               platform = excluded.platform, unit_code = excluded.unit_code, source_file = excluded.source_file,
               file_hash = excluded.file_hash, load_id = excluded.load_id, loaded_at = now()
           where raw.survey_forms.file_hash is distinct from excluded.file_hash""",
        (form.form_id, form.version, form.title, form.platform, unit_code, form.source_file, form.file_hash, load_id),
    )
    if cur.rowcount == 0:
        # The same questionnaire file is already registered; only the unit question may differ
        # (found from its choice list against the registry in force).
        unit = form.unit_question()
        cur.execute(
            """update raw.survey_questions set is_unit_question = coalesce(question_name = %(q)s, false), unit_from = case
                   when question_name = %(q)s then %(how)s end
               where form_id = %(form)s and (is_unit_question is distinct from coalesce(question_name = %(q)s, false)
                   or unit_from is distinct from case when question_name = %(q)s then %(how)s end)""",
            {"q": unit.name if unit else None, "how": unit.unit_from if unit else None, "form": form.form_id},
        )
        return
    cur.execute("delete from raw.survey_questions where form_id = %s", (form.form_id,))
    cur.execute("delete from raw.survey_choices where form_id = %s", (form.form_id,))
    copy_rows(
        cur,
        "raw.survey_questions",
        QUESTION_COLUMNS,
        [
            (
                form.form_id,
                q.name,
                q.path,
                q.qtype,
                q.list_name,
                q.label,
                q.topic_code,
                q.scale_min,
                q.scale_max,
                q.is_reversed,
                q.is_identifying,
                q.is_unit,
                q.topic_raw,
                q.is_collector,
                q.unit_from,
            )
            for q in form.questions
        ],
    )
    seen: dict[tuple[str | None, str], tuple] = {}
    for q in form.questions:
        for c in q.choices.values():
            seen[(q.list_name, c.name)] = (form.form_id, q.list_name, c.name, c.label, c.score)
    copy_rows(cur, "raw.survey_choices", CHOICE_COLUMNS, list(seen.values()))


def _copy_text(cur: Any, table: str, columns: Sequence[str], parts: Sequence[str]) -> None:
    """COPY lines that are already in COPY text format, in bounded chunks."""
    sql = f"copy {table} ({', '.join(columns)}) from stdin"
    buf: list[str] = []
    size = 0
    for part in parts:
        buf.append(part)
        size += len(part)
        if size >= _COPY_CHUNK:
            cur.copy_expert(sql, io.StringIO("".join(buf)))
            buf, size = [], 0
    if buf:
        cur.copy_expert(sql, io.StringIO("".join(buf)))


class SubmissionWriter:
    """Upserts batches of submissions inside the caller's transaction."""

    def __init__(self, cur: Any):
        self.cur = cur
        cur.execute(
            """create temp table if not exists tmp_survey_responses
               (like raw.survey_responses including defaults) on commit drop"""
        )

    def write(self, batch: list[Submission]) -> BatchResult:
        if not batch:
            return BatchResult(0, 0, 0)
        cur = self.cur
        cur.execute("truncate tmp_survey_responses")
        copy_rows(cur, "tmp_survey_responses", RESPONSE_COLUMNS, (s.response for s in batch))
        cols = ", ".join(RESPONSE_COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in RESPONSE_COLUMNS if c != "submission_uuid")
        cur.execute(
            f"""insert into raw.survey_responses as r ({cols})
                select {cols} from tmp_survey_responses
                on conflict (submission_uuid) do update set {updates}, updated_at = now()
                where r.content_hash is distinct from excluded.content_hash
                returning r.submission_uuid, (r.xmax = 0) as inserted"""
        )
        changed = dict(cur.fetchall())
        updated = [u for u, inserted in changed.items() if not inserted]
        if updated:
            cur.execute("delete from raw.survey_answers where submission_uuid = any(%s)", (updated,))
            cur.execute("delete from restricted.survey_free_text where submission_uuid = any(%s)", (updated,))
        if changed:
            _copy_text(cur, "raw.survey_answers", ANSWER_COLUMNS, [s.answers_text for s in batch if s.uuid in changed])
            free = [f"{esc(s.uuid)}\t{esc(k)}\t{esc(v)}\n" for s in batch if s.uuid in changed for k, v in s.free_text]
            _copy_text(cur, "restricted.survey_free_text", FREE_TEXT_COLUMNS, free)
        loaded = len(changed) - len(updated)
        return BatchResult(loaded, len(updated), len(batch) - len(changed))
