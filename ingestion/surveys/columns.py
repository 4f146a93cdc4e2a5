"""Which export column is what: metadata, an answer, a select_multiple choice column, or ignored.

Headers are matched accent- and case-insensitively against, in order: platform metadata,
question names and group paths (Kobo ``group/question``, ODK Central ``group-question``),
question labels (Kobo "labels" exports, Google Forms question text, with or without group
labels), and ``question/choice`` columns of select_multiple questions (0/1 per choice).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dlxh.core.text import fold
from ingestion.surveys.questionnaire import Choice, Question, Questionnaire

UUID_KEYS = ("_uuid", "key", "meta/instanceid", "meta-instanceid", "meta.instanceid", "instanceid")
SUBMITTED_KEYS = {"_submission_time": "kobo", "submissiondate": "odk", "timestamp": "google", "dau thoi gian": "google"}
VALIDATION_KEYS = ("_validation_status", "reviewstate")
# Personal metadata: kept only in restricted.survey_free_text (question_name = the header).
SUBMITTER_KEYS = {
    "_submitted_by",
    "submitterid",
    "submittername",
    "deviceid",
    "email address",
    "dia chi email",
    "email",
    "username",
    "phonenumber",
    "subscriberid",
    "simserial",
    "_geolocation",
}
RESPONDENT_EMAIL_KEYS = {"email address", "dia chi email"}  # Google Forms: the respondent's own address
IGNORED_KEYS = {
    "_id",
    "_index",
    "_notes",
    "_status",
    "__version__",
    "_tags",
    "_attachments",
    "attachmentspresent",
    "attachmentsexpected",
    "status",
    "edits",
    "formversion",
    "formhub/uuid",
    "meta/rootuuid",
    "meta/deprecatedid",
    "meta-deprecatedid",
    "meta-rootuuid",
    "score",
    "diem",
    "today",
    "_xform_id_string",
    "_media_count",
    "_total_media",
    "_media_all_received",
    "meta/audit",
    "meta-audit",
}
GROUP_SEPARATORS = ("/", "-", ".", ":")


@dataclass
class ColumnPlan:
    platform: str  # kobo | odk_central | google_forms
    submitted_kind: str  # kobo | odk | google
    uuid_cols: list[int] = field(default_factory=list)
    submitted_col: int | None = None
    start_col: int | None = None
    end_col: int | None = None
    validation_col: int | None = None
    submitter_cols: list[tuple[int, str]] = field(default_factory=list)
    email_cols: list[int] = field(default_factory=list)
    answers: list[tuple[int, Question]] = field(default_factory=list)
    details: dict[str, list[tuple[int, Choice]]] = field(default_factory=dict)
    unit_col: tuple[int, Question] | None = None
    ignored: list[str] = field(default_factory=list)
    # select_multiple questions with their 0/1 choice columns
    detail_questions: list[tuple[Question, list[tuple[int, Choice]]]] = field(default_factory=list)

    def detail_only(self) -> list[tuple[Question, list[tuple[int, Choice]]]]:
        """select_multiple questions exported only as 0/1 choice columns (no summary column)."""
        with_summary = {q.name for _, q in self.answers}
        return [(q, cols) for q, cols in self.detail_questions if q.name not in with_summary]


def _question_keys(q: Question) -> tuple[list[str], list[str]]:
    """(name-like keys, label-like keys) for a question."""
    names = [q.name, *(sep.join((*q.group_path, q.name)) for sep in GROUP_SEPARATORS if q.group_path)]
    labels = []
    if q.label:
        labels.append(q.label)
        if q.group_labels:
            labels += [sep.join((*q.group_labels, q.label)) for sep in ("/", " / ", "-")]
    return [fold(k) for k in names], [fold(k) for k in labels]


def plan_columns(headers: list[str], form: Questionnaire) -> ColumnPlan:
    keys = [fold(h) for h in headers]
    if form.platform == "google_forms" or any(k in ("timestamp", "dau thoi gian") for k in keys):
        plan = ColumnPlan("google_forms", "google")
    elif "submissiondate" in keys or "key" in keys:
        plan = ColumnPlan("odk_central", "odk")
    else:
        plan = ColumnPlan("kobo", "kobo")
    by_name: dict[str, Question] = {}
    by_label: dict[str, Question] = {}
    detail_keys: dict[str, tuple[Question, Choice]] = {}
    for q in form.questions:
        names, labels = _question_keys(q)
        for k in names:
            by_name.setdefault(k, q)
        for k in labels:
            by_label.setdefault(k, q)
        if q.qtype == "select_multiple":
            for c in q.choices.values():
                for base in names + labels:
                    for sep in GROUP_SEPARATORS + ("_",):
                        detail_keys.setdefault(f"{base}{sep}{fold(c.name)}", (q, c))
                        if c.label:
                            detail_keys.setdefault(f"{base}{sep}{fold(c.label)}", (q, c))
                            detail_keys.setdefault(f"{base} [{fold(c.label)}]", (q, c))
    uuid_rank = {k: r for r, k in enumerate(UUID_KEYS)}
    uuid_found: list[tuple[int, int]] = []
    details: dict[str, tuple[Question, list[tuple[int, Choice]]]] = {}
    for i, key in enumerate(keys):
        if key in uuid_rank:
            uuid_found.append((uuid_rank[key], i))
        elif key in SUBMITTED_KEYS and plan.submitted_col is None:
            plan.submitted_col = i
            plan.submitted_kind = SUBMITTED_KEYS[key]
        elif key in ("start", "end") and (key not in by_name or by_name[key].qtype in ("start", "end")):
            setattr(plan, f"{key}_col", i)
        elif key in VALIDATION_KEYS:
            plan.validation_col = i
        elif key in SUBMITTER_KEYS and key not in by_name:
            plan.submitter_cols.append((i, headers[i]))
            if key in RESPONDENT_EMAIL_KEYS:
                plan.email_cols.append(i)
        elif (question := by_name.get(key) or by_label.get(key)) is not None:
            if question.qtype in ("start", "end"):
                setattr(plan, f"{question.qtype}_col", i)
            elif question.is_unit:
                plan.unit_col = (i, question)
            elif question.is_answer:
                plan.answers.append((i, question))
            else:
                plan.ignored.append(headers[i])
        elif key in detail_keys:
            q, c = detail_keys[key]
            details.setdefault(q.name, (q, []))[1].append((i, c))
        else:
            plan.ignored.append(headers[i])
    plan.uuid_cols = [i for _, i in sorted(uuid_found)]
    plan.detail_questions = list(details.values())
    return plan
