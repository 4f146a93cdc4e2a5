"""The questionnaire a survey was built from: an XLSForm (Kobo/ODK) or a Google Forms mapping file.

Both become one `Questionnaire`: questions with their group path, type, choices, and the
warehouse extras (``dlxh_topic``, ``dlxh_scale_min``, ``dlxh_scale_max``, ``dlxh_reverse``,
``dlxh_identifying``, ``dlxh_unit``). See docs/surveys.md for the column reference.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from dlxh.errors import InputError
from dlxh.parsing import parse_bool_vi
from dlxh.text import fold, nfc

# XLSForm types that carry no answer of the respondent.
STRUCTURAL_TYPES = {"begin_group", "end_group", "begin_repeat", "end_repeat", "note", "calculate", "hidden", "today"}
# Metadata questions whose value is about the submission, not an answer.
TIME_META_TYPES = {"start", "end"}
# Types whose value identifies a person or place: always restricted.
IDENTIFYING_TYPES = {"deviceid", "subscriberid", "simserial", "phonenumber", "username", "email", "audit",
                     "geopoint", "geotrace", "geoshape", "image", "audio", "video", "file", "barcode", "background-audio"}
NUMERIC_TYPES = {"integer", "decimal", "range"}
DATE_TYPES = {"date", "datetime", "time"}


@dataclass
class Choice:
    name: str
    label: str | None
    score: Decimal | None


@dataclass
class Question:
    name: str
    group_path: tuple[str, ...]
    group_labels: tuple[str, ...]
    qtype: str  # base type: select_one, select_multiple, integer, text, ...
    list_name: str | None
    label: str | None
    topic_code: str | None = None
    scale_min: Decimal | None = None
    scale_max: Decimal | None = None
    is_reversed: bool = False
    is_identifying: bool = False
    is_respondent_key: bool = False
    is_unit: bool = False
    choices: dict[str, Choice] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return "/".join((*self.group_path, self.name))

    @property
    def is_scale(self) -> bool:
        return self.scale_min is not None and self.scale_max is not None

    @property
    def is_free_text(self) -> bool:
        """Answers that go to restricted.survey_free_text only."""
        return self.is_identifying or self.qtype in ("text", "string")

    @property
    def is_answer(self) -> bool:
        return self.qtype not in STRUCTURAL_TYPES and self.qtype not in TIME_META_TYPES


@dataclass
class Questionnaire:
    form_id: str
    version: str | None
    title: str | None
    platform: str  # xlsform | google_forms
    default_unit: str | None
    questions: list[Question]
    source_file: str
    file_hash: str
    date_order: str | None = None  # Google Forms timestamps: dmy | mdy | ymd (None = infer)

    def answer_questions(self) -> list[Question]:
        return [q for q in self.questions if q.is_answer]

    def unit_question(self) -> Question | None:
        return next((q for q in self.questions if q.is_unit), None)

    def key_questions(self) -> list[Question]:
        keys = [q for q in self.questions if q.is_respondent_key]
        return keys or [q for q in self.questions if q.is_identifying and q.is_answer]


class FormError(InputError):
    """The questionnaire itself is unusable; the message says what to fix."""


def _decimal(value: object, where: str) -> Decimal | None:
    text = "" if value is None else str(value).strip().replace(",", ".")
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise FormError(f"{where}: «{value}» is not a number") from None


def _flag(value: object, where: str) -> bool:
    text = "" if value is None else str(value).strip()
    if fold(text) in ("key", "khoa"):
        return True
    try:
        return parse_bool_vi(text)
    except ValueError as exc:
        raise FormError(f"{where}: {exc}") from None


def _topic(value: object, where: str) -> str | None:
    from ingestion.reports.topics import resolve_topic

    text = "" if value is None else str(value).strip()
    if not text:
        return None
    code = resolve_topic(text)
    if code is None:
        raise FormError(f"{where}: unknown topic «{text}» (use a code T01..T12 from dbt_project/seeds/topics.csv)")
    return code


def _label_column(headers: list[str]) -> str | None:
    """`label`, or the Vietnamese `label::...` column of a multi-language form, else the first label."""
    labels = [h for h in headers if fold(h).startswith("label")]
    for h in labels:
        key = fold(h)
        if "(vi)" in key or "viet" in key or key.endswith("::vi"):
            return h
    return "label" if "label" in headers else (labels[0] if labels else None)


def _sheet_records(wb, name: str) -> list[dict[str, object]]:
    sheet = next((ws for ws in wb.worksheets if fold(ws.title) == name), None)
    if sheet is None:
        return []
    if hasattr(sheet, "reset_dimensions"):  # a stale <dimension ref> would hide rows (read-only mode)
        sheet.reset_dimensions()
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if not header:
        return []
    keys = [str(h).strip() if h is not None else "" for h in header]
    out = []
    for values in rows:
        if values is None or not any(v not in (None, "") for v in values):
            continue
        rec = {k: v for k, v in zip(keys, values, strict=False) if k}
        out.append(rec)
    return out


def _cell(rec: dict[str, object], key: str | None) -> str:
    if key is None:
        return ""
    v = rec.get(key)
    return "" if v is None else nfc(str(v)) or ""


def _attach_choices(questions: list[Question], choices: dict[str, dict[str, Choice]], where: str) -> None:
    seen: set[str] = set()
    for q in questions:
        if q.name in seen:  # the answers are keyed by question name: two questions cannot share one
            raise FormError(f"{where}: question name «{q.name}» is used twice; XLSForm question names must be unique")
        seen.add(q.name)
    for q in questions:
        if q.list_name:
            if q.list_name not in choices and not q.list_name.endswith((".csv", ".xml", ".geojson")):
                raise FormError(f"{where}: question «{q.name}» uses choice list «{q.list_name}» which is not in the choices sheet")
            q.choices = choices.get(q.list_name, {})
        if q.is_reversed and not q.is_scale:
            raise FormError(f"{where}: question «{q.name}» is marked dlxh_reverse but has no dlxh_scale_min/dlxh_scale_max")
        if q.is_scale and q.scale_min >= q.scale_max:
            raise FormError(f"{where}: question «{q.name}»: dlxh_scale_min must be below dlxh_scale_max")


def load_xlsform(path: Path, data: bytes) -> Questionnaire:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise FormError(f"{path}: cannot read the XLSForm ({type(exc).__name__}: {exc})") from exc
    survey = _sheet_records(wb, "survey")
    choice_recs = _sheet_records(wb, "choices")
    settings = (_sheet_records(wb, "settings") or [{}])[0]
    wb.close()
    if not survey:
        raise FormError(f"{path}: the XLSForm has no «survey» sheet (or it is empty)")
    where = str(path)
    choice_label = _label_column(list(choice_recs[0].keys())) if choice_recs else None
    choices: dict[str, dict[str, Choice]] = {}
    for n, rec in enumerate(choice_recs, start=2):
        list_name, name = _cell(rec, "list_name") or _cell(rec, "list name"), _cell(rec, "name")
        if not list_name or not name:
            continue
        score = _decimal(rec.get("dlxh_score"), f"{where} choices row {n}")
        if score is None:
            try:
                score = Decimal(name)
            except InvalidOperation:
                score = None
        choices.setdefault(list_name, {})[name] = Choice(name, _cell(rec, choice_label) or None, score)
    label_key = _label_column(list(survey[0].keys()))
    questions: list[Question] = []
    groups: list[tuple[str, str]] = []
    for n, rec in enumerate(survey, start=2):
        rtype = re.sub(r"\s+", " ", _cell(rec, "type")).strip()
        name = _cell(rec, "name")
        parts = rtype.split(" ")
        base = parts[0].lower().replace(" ", "_")
        if base in ("begin_group", "begin_repeat", "begin"):
            groups.append((name, _cell(rec, label_key)))
            continue
        if base in ("end_group", "end_repeat", "end") and (len(parts) > 1 or base != "end"):
            if groups:
                groups.pop()
            continue
        if not name:
            continue
        here = f"{where} survey row {n} («{name}»)"
        list_name = parts[1] if base.startswith("select_") and len(parts) > 1 else None
        if base.startswith("select_one"):
            base = "select_one"
        elif base.startswith("select_multiple"):
            base = "select_multiple"
        q = Question(
            name=name,
            group_path=tuple(g for g, _ in groups),
            group_labels=tuple(lbl or g for g, lbl in groups),
            qtype=base,
            list_name=list_name,
            label=_cell(rec, label_key) or None,
            topic_code=_topic(rec.get("dlxh_topic"), here),
            scale_min=_decimal(rec.get("dlxh_scale_min"), here),
            scale_max=_decimal(rec.get("dlxh_scale_max"), here),
            is_reversed=_flag(rec.get("dlxh_reverse"), here),
            is_identifying=_flag(rec.get("dlxh_identifying"), here) or base in IDENTIFYING_TYPES,
            is_respondent_key=fold(_cell(rec, "dlxh_identifying")) in ("key", "khoa"),
            is_unit=_flag(rec.get("dlxh_unit"), here),
        )
        if base == "range" and not q.is_scale and q.topic_code:
            params = dict(re.findall(r"(\w+)\s*=\s*([-\d.]+)", _cell(rec, "parameters")))
            q.scale_min, q.scale_max = _decimal(params.get("start", "1"), here), _decimal(params.get("end", "10"), here)
        questions.append(q)
    _attach_choices(questions, choices, where)
    form_id = _cell(settings, "form_id") or _cell(settings, "id_string") or path.stem
    return Questionnaire(
        form_id=form_id,
        version=_cell(settings, "version") or None,
        title=_cell(settings, "form_title") or _cell(settings, "title") or None,
        platform="xlsform",
        default_unit=(_cell(settings, "dlxh_unit") or "").upper() or None,
        questions=questions,
        source_file=str(path),
        file_hash=hashlib.sha256(data).hexdigest(),
    )


def _mapping_question(rec: dict[str, object], n: int, where: str) -> tuple[Question, dict[str, Choice]]:
    header = nfc(str(rec.get("header") or rec.get("question") or "")) or ""
    name = nfc(str(rec.get("name") or "")) or ""
    if not header and not name:
        raise FormError(f"{where} question {n}: needs «header» (the question text in the export) or «name»")
    here = f"{where} question {n} («{header or name}»)"
    qtype = fold(str(rec.get("type") or "text")).replace(" ", "_")
    if qtype == "scale":
        qtype = "integer"
    choices: dict[str, Choice] = {}
    raw_choices = rec.get("choices")
    if isinstance(raw_choices, str):  # CSV form: "1=Rất không hài lòng|2=Không hài lòng"
        raw_choices = dict(part.split("=", 1) for part in raw_choices.split("|") if "=" in part)
    if isinstance(raw_choices, dict):
        for code, label in raw_choices.items():
            code_s = str(code).strip()
            try:
                score = Decimal(code_s)
            except InvalidOperation:
                score = None
            choices[code_s] = Choice(code_s, nfc(str(label)) if label is not None else None, score)
    elif isinstance(raw_choices, list):
        for item in raw_choices:
            code_s, label = (str(item.get("name")), item.get("label")) if isinstance(item, dict) else (str(item), str(item))
            choices[code_s] = Choice(code_s, nfc(str(label)) if label else None, _decimal(item.get("score"), here) if isinstance(item, dict) else None)
    ident = fold(str(rec.get("identifying") or rec.get("dlxh_identifying") or ""))
    q = Question(
        name=name or re.sub(r"[^0-9a-z]+", "_", fold(header)).strip("_")[:60],
        group_path=(),
        group_labels=(),
        qtype=qtype,
        list_name=f"list_{n}" if choices else None,
        label=header or None,
        topic_code=_topic(rec.get("topic") or rec.get("dlxh_topic"), here),
        scale_min=_decimal(rec.get("scale_min", rec.get("dlxh_scale_min")), here),
        scale_max=_decimal(rec.get("scale_max", rec.get("dlxh_scale_max")), here),
        is_reversed=_flag(rec.get("reverse", rec.get("dlxh_reverse")), here),
        is_identifying=_flag(ident, here),
        is_respondent_key=ident in ("key", "khoa"),
        is_unit=_flag(rec.get("unit", rec.get("dlxh_unit")), here),
    )
    return q, choices


def load_mapping(path: Path, data: bytes) -> Questionnaire:
    """A Google Forms mapping (YAML or CSV) — see docs/surveys.md."""
    from dlxh.tabular import decode_bytes

    text, _ = decode_bytes(data)
    where = str(path)
    meta: dict[str, object] = {}
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            doc = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise FormError(f"{where}: not valid YAML ({exc})") from exc
        if not isinstance(doc, dict) or not isinstance(doc.get("questions"), list):
            raise FormError(f"{where}: a mapping needs a «questions:» list (see docs/surveys.md)")
        meta, records = doc, doc["questions"]
    else:
        records = list(csv.DictReader(io.StringIO(text)))
        # Optional settings as rows whose header starts with '#': "#form_id", "#unit", ...
        for rec in list(records):
            key = str(rec.get("header") or "")
            if key.startswith("#"):
                meta[key[1:].strip()] = rec.get("name")
                records.remove(rec)
    questions: list[Question] = []
    choices: dict[str, dict[str, Choice]] = {}
    for n, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            raise FormError(f"{where} question {n}: expected a mapping with header/name/type/...")
        q, qchoices = _mapping_question(rec, n, where)
        if q.list_name:
            choices[q.list_name] = qchoices
        questions.append(q)
    _attach_choices(questions, choices, where)
    order = fold(str(meta.get("date_order") or "")) or None
    if order not in (None, "dmy", "mdy", "ymd"):
        raise FormError(f"{where}: date_order must be dmy, mdy or ymd (got «{order}»)")
    return Questionnaire(
        form_id=str(meta.get("form_id") or path.stem),
        version=str(meta["version"]) if meta.get("version") is not None else None,
        title=nfc(str(meta["title"])) if meta.get("title") else None,
        platform="google_forms",
        default_unit=str(meta["unit"]).strip().upper() if meta.get("unit") else None,
        questions=questions,
        source_file=where,
        file_hash=hashlib.sha256(data).hexdigest(),
        date_order=order,
    )


def load_questionnaire(path: str | Path) -> Questionnaire:
    p = Path(path)
    if not p.is_file():
        raise FormError(f"{p}: questionnaire not found (pass the XLSForm or Google Forms mapping with --form)")
    data = p.read_bytes()
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        return load_xlsform(p, data)
    if p.suffix.lower() in (".yaml", ".yml", ".csv"):
        return load_mapping(p, data)
    raise FormError(f"{p}: unsupported questionnaire type (use an XLSForm .xlsx, or a mapping .yaml/.csv)")
