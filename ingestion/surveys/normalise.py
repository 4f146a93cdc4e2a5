"""Turn one export row into one submission: validated, anonymised, in long format, ready for COPY.

Answers are serialised straight to COPY text lines. Each question keeps a cache from raw
value to its serialised tail (topic, codes, labels, score, value, raw) or its problem, so a
Likert answer seen 50,000 times is interpreted once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from dlxh.core.parsing import LOCAL, ImplausibleDate, parse_date, plausible_moment
from dlxh.core.text import fold
from ingestion.surveys.anonymise import Salt, respondent_hash
from ingestion.surveys.columns import ColumnPlan
from ingestion.surveys.questionnaire import DATE_TYPES, NUMERIC_TYPES, Choice, Question, Questionnaire
from ingestion.surveys.timestamps import local_month, parse_google, parse_iso

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"
_CACHE_LIMIT = 5000
_TRUE = {"1", "1.0", "true", "x", "yes", "co", "có"}

RESPONSE_COLUMNS = (
    "submission_uuid",
    "form_id",
    "respondent_hash",
    "respondent_salt_id",
    "unit_code",
    "submitted_at",
    "period_month",
    "platform",
    "validation_status",
    "started_at",
    "ended_at",
    "content_hash",
    "load_id",
    "source_file",
    "file_hash",
    "source_row",
)
ANSWER_COLUMNS = (
    "submission_uuid",
    "question_name",
    "topic_code",
    "choice_codes",
    "choice_labels",
    "numeric_score",
    "numeric_value",
    "raw_value",
)
FREE_TEXT_COLUMNS = ("submission_uuid", "question_name", "answer_text")


def esc(value: str | None) -> str:
    """One field in COPY text format."""
    return NULL if value is None else value.translate(_ESCAPES)


def pg_array(items: list[str]) -> str:
    inner = ",".join('"' + i.replace("\\", "\\\\").replace('"', '\\"') + '"' for i in items)
    return esc("{" + inner + "}")


@dataclass
class Problem:
    reason_code: str
    reason: str
    field: str | None = None
    value: str | None = None  # only for non-identifying fields


@dataclass
class Submission:
    row_number: int
    uuid: str
    response: tuple
    answers_text: str
    free_text: list[tuple[str, str]]
    content_hash: str


@dataclass
class Rejected:
    row_number: int
    uuid: str | None
    problems: list[Problem]


@dataclass
class _Answer:
    tail: str | None
    problem: Problem | None


def _words(text: str) -> str:
    """Folded text with list separators (Google Forms joins checkbox answers with ', ') as spaces."""
    return " ".join(fold(text).replace(",", " ").replace(";", " ").split())


def _number(raw: str) -> Decimal:
    return Decimal(raw.strip().replace(",", "."))


def _fmt(d: Decimal) -> str:
    return format(d.normalize(), "f") if d == d.to_integral_value() else str(d)


@dataclass
class Normaliser:
    form: Questionnaire
    plan: ColumnPlan
    salt: Salt
    units: Any  # ingestion.reference.units.UnitRegistry
    load_id: int
    source_file: str
    file_hash: str
    date_order: str = "dmy"
    unit_choices: dict[str, str | None] = field(default_factory=dict)  # unit question: choice name -> registry code
    _cache: dict[str, dict[str, _Answer]] = field(default_factory=dict)
    _unit_cache: dict[tuple[str, date], tuple[str | None, tuple[str, ...]]] = field(default_factory=dict)

    # -- answers ------------------------------------------------------------------------------------
    def _choice(self, q: Question, raw: str) -> Choice | None:
        c = q.choices.get(raw)
        if c is not None:
            return c
        key = fold(raw)
        for c in q.choices.values():
            if fold(c.name) == key or (c.label and fold(c.label) == key):
                return c
        return None

    def _multi(self, q: Question, raw: str) -> list[Choice] | None:
        tokens = raw.split()
        found = [q.choices.get(t) for t in tokens]
        if all(found):
            return found  # type: ignore[return-value]
        # a "labels" export: choice labels (which contain spaces) joined by spaces
        rest = " " + _words(raw) + " "
        picked: list[Choice] = []
        for c in sorted(q.choices.values(), key=lambda c: -len(c.label or c.name)):
            for text in filter(None, (c.label, c.name)):
                needle = " " + _words(text) + " "
                if needle in rest:
                    rest = rest.replace(needle, " ", 1)
                    picked.append(c)
                    break
        return picked if picked and not rest.strip() else None

    def _interpret(self, q: Question, raw: str) -> _Answer:
        qname = q.name
        topic = q.topic_code or None
        codes: list[str] | None = None
        labels: list[str] | None = None
        value: Decimal | None = None
        raw_out = raw
        if q.qtype == "select_one" and q.choices:
            c = self._choice(q, raw)
            if c is None and q.scale_min is not None and q.scale_max is not None:  # q.is_scale
                try:
                    n = _number(raw)
                except InvalidOperation:
                    n = None
                if n is not None:
                    return _Answer(
                        None,
                        Problem(
                            "out_of_scale",
                            f"Câu «{qname}»: điểm {_fmt(n)} nằm ngoài thang đo {_fmt(q.scale_min)}–{_fmt(q.scale_max)}.",
                            qname,
                            raw,
                        ),
                    )
            if c is None:
                return _Answer(
                    None,
                    Problem(
                        "unknown_choice",
                        f"Câu «{qname}»: lựa chọn «{raw}» không có trong danh sách «{q.list_name}» của bảng hỏi.",
                        qname,
                        raw,
                    ),
                )
            codes, labels, value, raw_out = [c.name], [c.label or c.name], c.score, c.name
        elif q.qtype == "select_multiple" and q.choices:
            picked = self._multi(q, raw)
            if picked is None:
                return _Answer(
                    None,
                    Problem(
                        "unknown_choice",
                        f"Câu «{qname}»: giá trị «{raw}» có lựa chọn không có trong danh sách «{q.list_name}».",
                        qname,
                        raw,
                    ),
                )
            codes, labels, raw_out = [c.name for c in picked], [c.label or c.name for c in picked], " ".join(c.name for c in picked)
        elif q.qtype in NUMERIC_TYPES or q.is_scale:
            try:
                value = _number(raw)
            except InvalidOperation:
                return _Answer(None, Problem("bad_number", f"Câu «{qname}»: «{raw}» không phải là số.", qname, raw))
            raw_out = _fmt(value)
        elif q.qtype in DATE_TYPES:
            try:
                if q.qtype == "date":
                    raw_out = parse_date(raw).isoformat()
                elif q.qtype == "datetime":
                    raw_out = parse_iso(raw, naive_tz=LOCAL).isoformat()
            except ValueError:
                return _Answer(None, Problem("bad_date", f"Câu «{qname}»: không hiểu ngày «{raw}» (dùng dạng 2025-03-18).", qname, raw))
        score: Decimal | None = None
        if q.scale_min is not None and q.scale_max is not None:  # q.is_scale
            if value is None:
                return _Answer(
                    None,
                    Problem("out_of_scale", f"Câu «{qname}»: «{raw}» không phải điểm thang đo {q.scale_min}–{q.scale_max}.", qname, raw),
                )
            if not q.scale_min <= value <= q.scale_max:
                return _Answer(
                    None,
                    Problem(
                        "out_of_scale",
                        f"Câu «{qname}»: điểm {_fmt(value)} nằm ngoài thang đo {_fmt(q.scale_min)}–{_fmt(q.scale_max)}.",
                        qname,
                        raw,
                    ),
                )
            score = q.scale_min + q.scale_max - value if q.is_reversed else value
        tail = "\t".join(
            (
                esc(topic),
                NULL if codes is None else pg_array(codes),
                NULL if labels is None else pg_array(labels),
                NULL if score is None else _fmt(score),
                NULL if value is None else _fmt(value),
                esc(raw_out),
            )
        )
        return _Answer(tail, None)

    def answer(self, q: Question, raw: str) -> _Answer:
        cache = self._cache.get(q.name)
        if cache is None:
            cache = self._cache[q.name] = {}
        hit = cache.get(raw)
        if hit is None:
            hit = self._interpret(q, raw)
            if len(cache) < _CACHE_LIMIT:
                cache[raw] = hit
        return hit

    # -- unit ---------------------------------------------------------------------------------------
    def unit(self, raw: str, q: Question | None, month: date) -> tuple[str | None, tuple[str, ...]]:
        """(registry code, ()) or (None, candidates of an ambiguity): a choice of the unit question
        by its name or label (resolved once per file), else the answer itself through the resolver."""
        key = (raw, month)
        hit = self._unit_cache.get(key)
        if hit is not None:
            return hit
        c = self._choice(q, raw) if q is not None and q.choices else None
        if c is not None and self.unit_choices.get(c.name):
            hit = (self.unit_choices[c.name], ())
        else:
            texts = [c.name, *([c.label] if c.label else [])] if c is not None else [raw]
            best = None
            for text in texts:
                if best is not None and best.code and best.rule == "code":
                    break  # a registry code (score 1.0) is never beaten: no fuzzy match of the label
                res = self.units.resolve(text, month)
                if res.code and (best is None or not best.code or res.score > best.score):
                    best = res
                elif best is None or (not best.code and not best.candidates):
                    best = res
            assert best is not None  # texts is never empty
            hit = (best.code, () if best.code else tuple(best.candidates))
        self._unit_cache[key] = hit
        return hit

    def unit_problem(self, row_number: int, raw: str, q: Question | None, candidates: tuple[str, ...]) -> Problem:
        name = q.name if q else "dlxh_unit"
        where = f"Tệp «{self._file_name}», dòng {row_number}, trường «{name}»"
        if candidates:
            reason = (
                f"{where}: đơn vị «{raw}» khớp với nhiều đơn vị trong danh mục ({', '.join(candidates)}); "
                "hãy ghi mã đơn vị hoặc tên đầy đủ."
            )
        else:
            hint = "" if self.units.codes else " Danh mục đơn vị chưa được nạp: chạy «dlxh ingest units» trước."
            reason = f"{where}: đơn vị «{raw}» không có trong danh mục đơn vị (raw.units, lần nạp mới nhất).{hint}"
        return Problem("unknown_unit", reason, name, raw)

    # -- times --------------------------------------------------------------------------------------
    def submitted(self, cells: list[str]) -> tuple[datetime | None, Problem | None]:
        plan = self.plan
        raw = cells[plan.submitted_col].strip() if plan.submitted_col is not None and plan.submitted_col < len(cells) else ""
        kind = plan.submitted_kind
        if not raw and plan.end_col is not None and plan.end_col < len(cells):
            raw, kind = cells[plan.end_col].strip(), "end"
        if not raw:
            return None, Problem(
                "missing_date", "Thiếu thời điểm nộp phiếu (_submission_time / SubmissionDate / Timestamp).", "submitted_at"
            )
        try:
            moment = parse_google(raw, self.date_order) if kind == "google" else parse_iso(raw)
            return plausible_moment(moment, "Thời điểm nộp phiếu", raw), None
        except ImplausibleDate as exc:
            return None, Problem("bad_date", f"{exc}.", "submitted_at", raw)
        except (ValueError, OverflowError):
            return None, Problem("bad_date", f"Không hiểu thời điểm nộp phiếu «{raw}».", "submitted_at", raw)

    @staticmethod
    def _optional_time(cells: list[str], col: int | None) -> datetime | None:
        if col is None or col >= len(cells) or not cells[col].strip():
            return None
        try:
            return parse_iso(cells[col], naive_tz=LOCAL)
        except ValueError:
            return None  # device clocks write odd things; start/end are informative only

    # -- one row ------------------------------------------------------------------------------------
    def normalise(self, row_number: int, cells: list[str]) -> Submission | Rejected:
        plan, form = self.plan, self.form
        ncells = len(cells)
        problems: list[Problem] = []
        uuid = ""
        for i in plan.uuid_cols:
            if i < ncells and cells[i].strip():
                uuid = cells[i].strip().removeprefix("uuid:")
                break
        submitted_at, p = self.submitted(cells)
        if p:
            problems.append(p)
        month = local_month(submitted_at) if submitted_at else date.today().replace(day=1)
        # unit
        unit_code: str | None = None
        unit_problem: Problem | None = None
        raw_unit = ""
        uq: Question | None = None
        if plan.unit_col is not None:
            i, uq = plan.unit_col
            raw_unit = cells[i].strip() if i < ncells else ""
            if raw_unit:
                unit_code, candidates = self.unit(raw_unit, uq, month)
                if unit_code is None:
                    unit_problem = self.unit_problem(row_number, raw_unit, uq, candidates)
        if not raw_unit and form.default_unit:
            unit_code, candidates = self.unit(form.default_unit, None, month)
            if unit_code is None:
                unit_problem = self.unit_problem(row_number, form.default_unit, None, candidates)
        if unit_problem:
            problems.append(unit_problem)
        elif unit_code is None:
            problems.append(self._missing_unit(row_number, uq))
        # answers
        lines: list[str] = []
        free: list[tuple[str, str]] = []
        key_values: list[str] = []
        key_names = self._key_names
        for i, q in plan.answers:
            raw = cells[i].strip() if i < ncells else ""
            if not raw:
                continue
            if q.is_free_text:
                if q.qtype in DATE_TYPES and not q.is_identifying:
                    a = self.answer(q, raw)  # dates are checked, then kept in restricted like any non-numeric answer
                    if a.problem is not None:
                        problems.append(a.problem)
                free.append((q.name, raw))
                if q.name in key_names:
                    key_values.append(raw)
                continue
            a = self.answer(q, raw)
            if a.problem is not None:
                problems.append(a.problem)
            elif a.tail is not None:  # an answer has a tail or a problem
                lines.append(q.name + "\t" + a.tail)
        for q, cols in self._detail_only:
            picked = [c.name for i, c in cols if i < ncells and fold(cells[i].strip()) in _TRUE]
            if picked:
                a = self.answer(q, " ".join(picked))
                if a.problem is not None:
                    problems.append(a.problem)
                elif a.tail is not None:  # an answer has a tail or a problem
                    lines.append(q.name + "\t" + a.tail)
        for i, header in plan.submitter_cols:
            if i < ncells and cells[i].strip():
                free.append((header, cells[i].strip()))
        for i in plan.email_cols:
            if i < ncells and cells[i].strip():
                key_values.append(cells[i].strip())
        if plan.platform == "google_forms" and submitted_at is not None:
            basis = key_values or [c for c in cells]
            uuid = "gf-" + hashlib.sha256("\x1f".join([form.form_id, submitted_at.isoformat(), *basis]).encode()).hexdigest()[:32]
        if not uuid:
            problems.insert(
                0, Problem("missing_uuid", "Thiếu mã phiếu (_uuid / meta/instanceID / KEY): không thể nạp đúng một lần.", "_uuid")
            )
        if problems:
            for p in problems:
                if p.field and p.field in self._restricted_names:
                    p.value = None
            return Rejected(row_number, uuid or None, problems)
        assert submitted_at is not None  # else submitted() gave a problem and the row was rejected above
        resp_hash = respondent_hash(self.salt, key_values) if key_values else respondent_hash(self.salt, ["submission:" + uuid])
        validation = cells[plan.validation_col].strip() if plan.validation_col is not None and plan.validation_col < ncells else ""
        started = self._optional_time(cells, plan.start_col)
        ended = self._optional_time(cells, plan.end_col)
        prefix = esc(uuid) + "\t"
        answers_text = "".join(prefix + line + "\n" for line in lines)
        free.sort()
        digest = hashlib.sha256(
            "\x1e".join(
                (
                    form.form_id,
                    submitted_at.isoformat(),
                    unit_code or "",
                    resp_hash,
                    validation,
                    started.isoformat() if started else "",
                    ended.isoformat() if ended else "",
                    answers_text,
                    "\x1f".join(f"{k}\x1d{v}" for k, v in free),
                )
            ).encode("utf-8")
        ).hexdigest()
        response = (
            uuid,
            form.form_id,
            resp_hash,
            self.salt.salt_id,
            unit_code,
            submitted_at,
            month,
            plan.platform,
            validation or None,
            started,
            ended,
            digest,
            self.load_id,
            self.source_file,
            self.file_hash,
            row_number,
        )
        return Submission(row_number, uuid, response, answers_text, free, digest)

    def _missing_unit(self, row_number: int, uq: Question | None) -> Problem:
        where = f"Tệp «{self._file_name}», dòng {row_number}"
        if uq is not None:
            return Problem(
                "missing_unit",
                f"{where}, trường «{uq.name}»: câu hỏi đơn vị để trống và bảng hỏi không có đơn vị mặc định (settings dlxh_unit).",
                uq.name,
            )
        return Problem(
            "missing_unit",
            f"{where}: không xác định được đơn vị của phiếu: bảng hỏi không có câu hỏi đơn vị (cột dlxh_unit hoặc role = unit, "
            "tệp mapping, hay câu select_one có các lựa chọn là đơn vị trong danh mục) hoặc tệp không có cột của câu đó, "
            "và không có đơn vị mặc định (settings dlxh_unit).",
            "unit",
        )

    def __post_init__(self) -> None:
        from pathlib import Path

        self._file_name = Path(self.source_file).name
        self._key_names = {q.name for q in self.form.key_questions()}
        self._detail_only = self.plan.detail_only()
        self._restricted_names = {q.name for q in self.form.questions if q.is_free_text} | {h for _, h in self.plan.submitter_cols}
