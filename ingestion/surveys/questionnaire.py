"""The questionnaire a survey was built from: an XLSForm (Kobo/ODK) or a Google Forms mapping file.

Both become one `Questionnaire`: questions with their group path, type, choices, and the
warehouse annotations (topic, scale, reverse, identifying, unit, role). Annotations are read
under the warehouse's ``dlxh_*`` column names or under the names form owners use (``topic``,
``chủ đề``, ``reverse``, ``đảo chiều``, ``role``, ...; accent- and case-insensitive), and from an
optional question-mapping file beside the form (``mapping.csv`` / ``mapping.toml``). Topic
values are resolved through the deployment's topic aliases (`resolve_topic`, scope = form id);
a value that resolves to nothing is kept as written (``topic_raw``). See docs/surveys.md.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from dlxh.core.errors import ConfigError, InputError
from dlxh.core.parsing import parse_bool_vi
from dlxh.core.text import fold, nfc

# XLSForm types that carry no answer of the respondent.
STRUCTURAL_TYPES = {"begin_group", "end_group", "begin_repeat", "end_repeat", "note", "calculate", "hidden", "today"}
# Metadata questions whose value is about the submission, not an answer.
TIME_META_TYPES = {"start", "end"}
# Types whose value identifies a person or place: always restricted.
IDENTIFYING_TYPES = {
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
    "geopoint",
    "geotrace",
    "geoshape",
    "image",
    "audio",
    "video",
    "file",
    "barcode",
    "background-audio",
}
NUMERIC_TYPES = {"integer", "decimal", "range"}
CHOICE_TYPES = {"select_one", "select_multiple"}
DATE_TYPES = {"date", "datetime", "time"}
# Default-deny privacy: only these types are interpreted and may land in raw.survey_answers
# (choice types only with a choice list). Any other type (text, dates, rank, select_one_from_file,
# a type this reader does not know) goes to restricted.survey_free_text.
RAW_TYPES = NUMERIC_TYPES | CHOICE_TYPES
# Types this reader knows (anything else is listed in the import summary as unknown).
KNOWN_TYPES = (
    STRUCTURAL_TYPES
    | TIME_META_TYPES
    | IDENTIFYING_TYPES
    | RAW_TYPES
    | DATE_TYPES
    | {"text", "string", "acknowledge", "rank", "select_one_from_file", "select_multiple_from_file", "trigger"}
)
# Type spellings of pyxform and of Google Forms question kinds -> the XLSForm base type.
TYPE_ALIASES = {
    "select one": "select_one",
    "select1": "select_one",
    "select all that apply": "select_multiple",
    "select multiple": "select_multiple",
    "select one from file": "select_one_from_file",
    "select multiple from file": "select_multiple_from_file",
    "int": "integer",
    "number": "decimal",
    "scale": "integer",
    "linear scale": "integer",
    "multiple choice": "select_one",
    "dropdown": "select_one",
    "checkboxes": "select_multiple",
    "short answer": "text",
    "paragraph": "text",
    "multiple choice grid": "grid",
    "checkbox grid": "grid",
    "begin group": "begin_group",
    "end group": "end_group",
    "begin repeat": "begin_repeat",
    "end repeat": "end_repeat",
}

# Annotation columns of the survey sheet (and of a question-mapping file), keyed by field. Keys
# are folded (accents, case) with `_`, `-`, `.`, `:` read as spaces; the dlxh_* name comes first
# and wins when both it and an owner's column are filled.
ANNOTATION_COLUMNS: dict[str, tuple[str, ...]] = {
    "topic": ("dlxh topic", "topic", "topic code", "chu de", "ma chu de", "linh vuc", "nhom chu de"),
    "scale_min": ("dlxh scale min", "scale min", "thang do min", "diem thap nhat"),
    "scale_max": ("dlxh scale max", "scale max", "thang do max", "diem cao nhat"),
    "reverse": ("dlxh reverse", "reverse", "reversed", "reverse coded", "dao chieu", "dao nguoc", "nguoc", "cau nguoc", "nghich"),
    "identifying": ("dlxh identifying", "identifying", "dinh danh", "nhan dang"),
    "unit": ("dlxh unit", "unit", "is unit", "la don vi", "cau don vi"),
    "role": ("dlxh role", "role", "vai tro"),
}
# Values of the role column -> what the question is.
ROLES = {
    "unit": "unit",
    "don vi": "unit",
    "collector": "collector",
    "ctv": "collector",
    "cong tac vien": "collector",
    "nguoi thu thap": "collector",
    "dieu tra vien": "collector",
    "enumerator": "collector",
    "key": "key",
    "khoa": "key",
    "identifying": "identifying",
    "dinh danh": "identifying",
}


def column_key(header: object) -> str:
    """A column name compared accent-, case- and separator-insensitively: 'Chủ_đề' -> 'chu de'."""
    return " ".join(re.sub(r"[_\-.:]+", " ", fold("" if header is None else str(header))).split())


def parse_type(text: str) -> tuple[str, str | None]:
    """An XLSForm type cell ('select_one likert5', 'select one from file x.csv', 'integer', a Google
    Forms kind such as 'Linear scale') -> (base type, choice list or None)."""
    tokens = re.sub(r"\s+", " ", nfc(text) or "").strip().split(" ")
    for k in range(len(tokens), 0, -1):  # the longest prefix of words that is a known spelling
        alias = " ".join(fold(" ".join(tokens[:k])).replace("_", " ").split())
        if alias in TYPE_ALIASES:
            base, rest = TYPE_ALIASES[alias], tokens[k:]
            break
    else:
        base, rest = fold(tokens[0]), tokens[1:]
    if base.startswith("select_one") and base not in ("select_one", "select_one_from_file"):
        base = "select_one"  # 'select_one_external' and the like
    elif base.startswith("select_multiple") and base not in ("select_multiple", "select_multiple_from_file"):
        base = "select_multiple"
    has_list = base in CHOICE_TYPES or base in ("rank", "select_one_from_file", "select_multiple_from_file")
    list_name = rest[0] if has_list and rest and fold(rest[0]) != "or_other" else None
    return base, list_name


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
    topic_raw: str | None = None  # the topic value as the form wrote it (kept when it resolves to no topic)
    is_collector: bool = False  # the answer names who collected the submission (a collaborator): restricted
    unit_from: str | None = None  # how the unit question was found: annotation | mapping | choices

    @property
    def path(self) -> str:
        return "/".join((*self.group_path, self.name))

    @property
    def is_scale(self) -> bool:
        return self.scale_min is not None and self.scale_max is not None

    @property
    def is_free_text(self) -> bool:
        """Answers that go to restricted.survey_free_text only: everything but known numeric and
        choice questions (default deny: a type this reader does not know is treated as free text)."""
        if self.is_identifying or self.is_collector or self.qtype not in RAW_TYPES:
            return True
        return self.qtype in CHOICE_TYPES and not self.choices

    @property
    def restricted_why(self) -> str | None:
        """Why this question's answers are restricted (for the import summary), or None."""
        if not self.is_answer or not self.is_free_text:
            return None
        if self.is_collector:
            return "collector"
        if self.is_identifying:
            return "identifying"
        if self.qtype not in KNOWN_TYPES:
            return "unknown_type"
        if self.qtype in CHOICE_TYPES:
            return "no_choice_list"
        if self.qtype in ("text", "string"):
            return "free_text"
        return "date" if self.qtype in DATE_TYPES else "not_numeric_or_choice"

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
    mapping_file: str | None = None  # the question-mapping file applied, if any
    choice_lists: dict[str, dict[str, Choice]] = field(default_factory=dict, repr=False)  # as read, by list name
    choices_where: str = "the choices sheet"  # where choice lists are written (for messages)

    def answer_questions(self) -> list[Question]:
        return [q for q in self.questions if q.is_answer]

    def unit_question(self) -> Question | None:
        return next((q for q in self.questions if q.is_unit), None)

    def key_questions(self) -> list[Question]:
        keys = [q for q in self.questions if q.is_respondent_key]
        return keys or [q for q in self.questions if q.is_identifying and q.is_answer and not q.is_collector]

    def unresolved_topics(self) -> dict[str, list[str]]:
        """Topic values written on questions that resolve to no topic: value -> question names."""
        out: dict[str, list[str]] = {}
        for q in self.questions:
            if q.topic_raw and not q.topic_code:
                out.setdefault(q.topic_raw, []).append(q.name)
        return out


class FormError(InputError):
    """The questionnaire (or its question mapping) is unusable; the message names the file, the
    row and the field to fix. Exit code 2, like any bad configuration."""

    exit_code = 2


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
    if fold(text) in ("key", "khoa", "dao", "dao chieu", "nguoc", "reverse", "reversed"):
        return True
    try:
        return parse_bool_vi(text)
    except ValueError as exc:
        raise FormError(f"{where}: {exc}") from None


def _topic(value: object, where: str, scope: str | None) -> tuple[str | None, str | None]:
    """(topic code or None, the value as written or None). The deployment's topic aliases
    (scope = the survey's form id first), then the taxonomy's codes, numbers and names."""
    from dlxh.core.config import load
    from ingestion.reference.topics import load_topics, resolve_topic

    text = nfc("" if value is None else str(value).strip()) or ""
    if not text:
        return None, None
    code = resolve_topic(text, scope=scope)
    if code is not None and code not in {t.code for t in load_topics()}:
        aliases = load("topic_aliases")
        line = next(
            (n for r, n in zip(aliases.rows, aliases.lines, strict=True) if fold(r["alias"]) in (fold(text), fold(text).replace("_", " "))),
            "?",
        )
        raise ConfigError(
            f"{aliases.path}, line {line}, field topic_code: {code!r} (alias of «{text}», used by {where}) "
            "is not a topic_code of the taxonomy in force (topics.csv)"
        )
    return code, text


def _label_column(headers: list[str]) -> str | None:
    """`label`, or the Vietnamese `label::...` column of a multi-language form, else the first label."""
    labels = [h for h in headers if fold(h).startswith("label")]
    for h in labels:
        key = fold(h)
        if "(vi)" in key or "viet" in key or key.endswith("::vi"):
            return h
    return "label" if "label" in headers else (labels[0] if labels else None)


def _sheet_records(wb, name: str) -> list[tuple[int, dict[str, object]]]:
    """(row number as the spreadsheet shows it, record) of the sheet's filled rows."""
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
    for n, values in enumerate(rows, start=2):
        if values is None or not any(v not in (None, "") for v in values):
            continue
        rec = {k: v for k, v in zip(keys, values, strict=False) if k}
        out.append((n, rec))
    return out


def _cell(rec: dict[str, object], key: str | None) -> str:
    if key is None:
        return ""
    v = rec.get(key)
    return "" if v is None else nfc(str(v)) or ""


def annotation_columns(headers: list[str]) -> dict[str, list[str]]:
    """field -> the headers that carry it (dlxh_* first, then the owners' names), by `column_key`."""
    keys = {h: column_key(h) for h in headers}
    out: dict[str, list[str]] = {}
    for name, spellings in ANNOTATION_COLUMNS.items():
        found = [h for spelling in spellings for h in headers if keys[h] == spelling]
        if found:
            out[name] = found
    return out


def _annotation_values(rec: dict[str, object], columns: dict[str, list[str]]) -> dict[str, tuple[str, str]]:
    """field -> (column, value) of the first filled column of the field."""
    out: dict[str, tuple[str, str]] = {}
    for name, headers in columns.items():
        for h in headers:
            value = _cell(rec, h).strip()
            if value:
                out[name] = (h, value)
                break
    return out


def _annotate(q: Question, values: dict[str, tuple[str, str]], here: str, scope: str | None, origin: str) -> None:
    """Apply a question's annotations (from the form's columns or a mapping file) to `q`."""

    def at(name: str) -> str:
        return f"{here}, field «{values[name][0]}»"

    if "topic" in values:
        q.topic_code, q.topic_raw = _topic(values["topic"][1], at("topic"), scope)
    for bound in ("scale_min", "scale_max"):
        if bound in values:
            setattr(q, bound, _decimal(values[bound][1], at(bound)))
    if "reverse" in values:
        q.is_reversed = _flag(values["reverse"][1], at("reverse"))
    if "identifying" in values:
        value = values["identifying"][1]
        q.is_identifying = _flag(value, at("identifying")) or q.qtype in IDENTIFYING_TYPES
        q.is_respondent_key = fold(value) in ("key", "khoa")
    if "unit" in values:
        q.is_unit = _flag(values["unit"][1], at("unit"))
        q.unit_from = origin if q.is_unit else None
    if "role" in values:
        value = values["role"][1]
        role = ROLES.get(column_key(value))
        if role is None:
            raise FormError(f"{at('role')}: unknown role «{value}» (use unit, collector, key or identifying)")
        if role == "unit":
            q.is_unit, q.unit_from = True, origin
        elif role == "collector":
            q.is_collector = True
        elif role == "key":
            q.is_identifying = q.is_respondent_key = True
        else:
            q.is_identifying = True


def _finish_questions(questions: list[Question], choices: dict[str, dict[str, Choice]], where: str, choices_where: str) -> None:
    """Attach choice lists, infer scales from numeric choices, check the scale annotations."""
    seen: set[str] = set()
    for q in questions:
        if q.name in seen:  # the answers are keyed by question name: two questions cannot share one
            raise FormError(f"{where}: question name «{q.name}» is used twice; XLSForm question names must be unique")
        seen.add(q.name)
    for q in questions:
        if q.list_name:
            if q.qtype in CHOICE_TYPES and q.list_name not in choices:
                raise FormError(f"{where}: question «{q.name}» uses choice list «{q.list_name}» which is not in {choices_where}")
            q.choices = choices.get(q.list_name, {})
        scores = {c.score for c in q.choices.values()}
        numeric = [s for s in scores if s is not None]
        if (
            not q.is_scale
            and q.qtype == "select_one"
            and (q.topic_raw or q.is_reversed)
            and len(scores) >= 2
            and len(numeric) == len(scores)
        ):
            # An owner's Likert question: its numeric choices are the scale.
            q.scale_min, q.scale_max = min(numeric), max(numeric)
        if q.is_reversed and not q.is_scale:
            raise FormError(
                f"{where}: question «{q.name}» is marked reverse (negatively worded) but has no scale: give "
                "scale_min/scale_max (dlxh_scale_min/dlxh_scale_max) or numeric choices"
            )
        if q.scale_min is not None and q.scale_max is not None and q.scale_min >= q.scale_max:
            raise FormError(f"{where}: question «{q.name}»: scale_min must be below scale_max")


def _form_hash(data: bytes, mapping: bytes | None) -> str:
    h = hashlib.sha256(data)
    if mapping is not None:
        h.update(b"\x00mapping\x00" + mapping)
    return h.hexdigest()


def load_xlsform(path: Path, data: bytes) -> Questionnaire:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise FormError(f"{path}: cannot read the XLSForm ({type(exc).__name__}: {exc})") from exc
    survey = _sheet_records(wb, "survey")
    choice_recs = _sheet_records(wb, "choices")
    settings = (_sheet_records(wb, "settings") or [(2, {})])[0][1]
    wb.close()
    if not survey:
        raise FormError(f"{path}: the XLSForm has no «survey» sheet (or it is empty)")
    where = str(path)
    form_id = _cell(settings, "form_id") or _cell(settings, "id_string") or path.stem
    choice_label = _label_column(list(choice_recs[0][1].keys())) if choice_recs else None
    choices: dict[str, dict[str, Choice]] = {}
    for n, rec in choice_recs:
        choice_list, name = _cell(rec, "list_name") or _cell(rec, "list name"), _cell(rec, "name")
        if not choice_list or not name:
            continue
        score = _decimal(rec.get("dlxh_score"), f"{where} choices row {n}, field «dlxh_score»")
        if score is None:
            try:
                score = Decimal(name)
            except InvalidOperation:
                score = None
        choices.setdefault(choice_list, {})[name] = Choice(name, _cell(rec, choice_label) or None, score)
    headers = list(dict.fromkeys(k for _, rec in survey for k in rec))
    label_key = _label_column(headers)
    columns = annotation_columns(headers)
    questions: list[Question] = []
    groups: list[tuple[str, str]] = []
    for n, rec in survey:
        rtype = _cell(rec, "type").strip()
        name = _cell(rec, "name")
        base, list_name = parse_type(rtype) if rtype else ("", None)
        if base in ("begin_group", "begin_repeat", "begin"):
            groups.append((name, _cell(rec, label_key)))
            continue
        if base in ("end_group", "end_repeat") or (base == "end" and not name):
            if groups:
                groups.pop()
            continue
        if not name:
            continue
        here = f"{where} survey row {n} («{name}»)"
        q = Question(
            name=name,
            group_path=tuple(g for g, _ in groups),
            group_labels=tuple(lbl or g for g, lbl in groups),
            qtype=base,
            list_name=list_name,
            label=_cell(rec, label_key) or None,
            is_identifying=base in IDENTIFYING_TYPES,
        )
        _annotate(q, _annotation_values(rec, columns), here, form_id, "annotation")
        if base == "range" and not q.is_scale and (q.topic_raw or q.is_reversed):
            params = dict(re.findall(r"(\w+)\s*=\s*([-\d.]+)", _cell(rec, "parameters")))
            q.scale_min, q.scale_max = _decimal(params.get("start", "1"), here), _decimal(params.get("end", "10"), here)
        questions.append(q)
    return Questionnaire(
        form_id=form_id,
        version=_cell(settings, "version") or None,
        title=_cell(settings, "form_title") or _cell(settings, "title") or None,
        platform="xlsform",
        default_unit=(_cell(settings, "dlxh_unit") or "").upper() or None,
        questions=questions,
        source_file=str(path),
        file_hash=hashlib.sha256(data).hexdigest(),
        choice_lists=choices,
    )


def _choice_list(raw: object, here: str) -> dict[str, Choice]:
    """Choices written as {name: label}, a list of names or of {name, label, score}, or 'a=A|b=B'."""
    choices: dict[str, Choice] = {}
    if isinstance(raw, str):  # CSV form: "1=Rất không hài lòng|2=Không hài lòng"
        raw = dict(part.split("=", 1) for part in raw.split("|") if "=" in part)
    if isinstance(raw, dict):
        items = [{"name": k, "label": v} for k, v in raw.items()]
    elif isinstance(raw, list):
        items = [i if isinstance(i, dict) else {"name": i, "label": i} for i in raw]
    elif raw is None:
        return choices
    else:
        raise FormError(f"{here}, field «choices»: expected a list or name: label pairs")
    for item in items:
        code_s = str(item.get("name")).strip()
        if not code_s or item.get("name") is None:
            raise FormError(f"{here}, field «choices»: a choice without a name")
        label = item.get("label")
        score = _decimal(item.get("score"), f"{here}, field «choices» («{code_s}»)")
        if score is None:
            try:
                score = Decimal(code_s)
            except InvalidOperation:
                score = None
        choices[code_s] = Choice(code_s, nfc(str(label)) if label is not None else None, score)
    return choices


def _mapping_question(
    rec: dict[str, object], n: int, where: str, scope: str, lists: dict[str, dict[str, Choice]]
) -> tuple[Question, dict[str, Choice]]:
    header = nfc(str(rec.get("header") or rec.get("question") or "")) or ""
    name = nfc(str(rec.get("name") or "")) or ""
    if not header and not name:
        raise FormError(f"{where} question {n}: needs «header» (the question text in the export) or «name»")
    here = f"{where} question {n} («{header or name}»)"
    type_text = str(rec.get("type") or "text")
    qtype, list_name = parse_type(type_text)
    choices = _choice_list(rec.get("choices"), here)
    if not choices and list_name:
        choices = lists.get(list_name, {})
    q = Question(
        name=name or re.sub(r"[^0-9a-z]+", "_", fold(header)).strip("_")[:60],
        group_path=(),
        group_labels=(),
        qtype=qtype,
        list_name=list_name or (f"list_{n}" if choices else None),
        label=header or None,
        is_identifying=qtype in IDENTIFYING_TYPES,
    )
    if q.list_name and not choices and qtype in CHOICE_TYPES:
        raise FormError(
            f"{here}, field «type»: «{type_text}» uses choice list «{list_name}» which is given neither under "
            "the question («choices:») nor in the mapping's top-level «choices:»"
        )
    values = _annotation_values({str(k): v for k, v in rec.items()}, annotation_columns([str(k) for k in rec]))
    _annotate(q, values, here, scope, "annotation")
    return q, choices


def load_mapping(path: Path, data: bytes) -> Questionnaire:
    """A Google Forms mapping (YAML or CSV) — see docs/surveys.md."""
    from dlxh.core.tabular import decode_bytes

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
    form_id = str(meta.get("form_id") or path.stem)
    top = meta.get("choices") or {}
    if not isinstance(top, dict):
        raise FormError(f"{where}, field «choices»: the top-level choices are lists by name (likert5: {{1: Rất không đồng ý, ...}})")
    lists = {str(k): _choice_list(v, f"{where} choices «{k}»") for k, v in top.items()}
    questions: list[Question] = []
    choices: dict[str, dict[str, Choice]] = dict(lists)
    for n, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            raise FormError(f"{where} question {n}: expected a mapping with header/name/type/...")
        q, qchoices = _mapping_question(rec, n, where, form_id, lists)
        if q.list_name:
            choices[q.list_name] = qchoices
        questions.append(q)
    order = fold(str(meta.get("date_order") or "")) or None
    if order not in (None, "dmy", "mdy", "ymd"):
        raise FormError(f"{where}: date_order must be dmy, mdy or ymd (got «{order}»)")
    return Questionnaire(
        form_id=form_id,
        version=str(meta["version"]) if meta.get("version") is not None else None,
        title=nfc(str(meta["title"])) if meta.get("title") else None,
        platform="google_forms",
        default_unit=str(meta["unit"]).strip().upper() if meta.get("unit") else None,
        questions=questions,
        source_file=where,
        file_hash=hashlib.sha256(data).hexdigest(),
        date_order=order,
        choice_lists=choices,
        choices_where="the mapping",
    )


# -- the question-mapping file beside a form ------------------------------------------------------
MAPPING_NAMES = ("mapping.csv", "mapping.toml")
QUESTION_COLUMNS_KEYS = ("question", "name", "question name", "cau hoi", "ma cau hoi", "ten cau hoi", "header")
NOTE_COLUMNS_KEYS = ("label", "note", "ghi chu", "mo ta", "nhan", "description")


def mapping_candidates(form_path: Path) -> list[Path]:
    """Where a question-mapping file for `form_path` may be: `<form>.mapping.csv|toml`, `mapping.csv|toml`."""
    stem = form_path.with_suffix("")
    return [*(Path(f"{stem}.{n}") for n in MAPPING_NAMES), *(form_path.parent / n for n in MAPPING_NAMES)]


def find_mapping(form_path: Path) -> Path | None:
    return next((p for p in mapping_candidates(form_path) if p.is_file() and p.resolve() != form_path.resolve()), None)


def _find_question(form: Questionnaire, ref: str) -> Question | None:
    key = fold(ref)
    for q in form.questions:
        if key in (fold(q.name), fold(q.path), fold(q.path.replace("/", "-"))):
            return q
    return next((q for q in form.questions if q.label and fold(q.label) == key), None)


def apply_mapping(form: Questionnaire, path: Path, data: bytes) -> None:
    """Annotations of a question-mapping file (CSV or TOML) applied over the form's own columns."""
    from dlxh.core.tabular import decode_bytes

    where = str(path)
    entries: list[tuple[str, dict[str, object]]] = []  # (where, record with a "question" key)
    if path.suffix.lower() == ".toml":
        import tomllib

        try:
            doc = tomllib.loads(decode_bytes(data)[0])
        except tomllib.TOMLDecodeError as exc:
            raise FormError(f"{where}: not valid TOML ({exc})") from None
        unknown = [k for k in doc if k != "questions"]
        if unknown or not isinstance(doc.get("questions"), dict):
            raise FormError(
                f"{where}: a question mapping is «[questions.<question name>]» tables "
                f"(found: {', '.join(unknown) or 'no [questions.…] table'})"
            )
        for name, rec in doc["questions"].items():
            if not isinstance(rec, dict):
                raise FormError(f'{where}, [questions.{name}]: expected a table (topic = "…", reverse = true, role = "unit")')
            entries.append((f"{where}, [questions.{name}]", {"question": name, **rec}))
    else:
        text = decode_bytes(data)[0]
        reader = csv.DictReader(
            io.StringIO(text), delimiter=";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
        )
        headers = [h for h in (reader.fieldnames or []) if h]
        qcol = next((h for h in headers if column_key(h) in QUESTION_COLUMNS_KEYS), None)
        if qcol is None:
            raise FormError(f"{where}, line 1: no question column (name it «question»; the file has: {', '.join(headers)})")
        for rec in reader:
            rec = {k: v for k, v in rec.items() if k}
            if any((v or "").strip() for v in rec.values()):
                entries.append((f"{where}, line {reader.line_num}", {"question": rec.pop(qcol), **rec}))
    for here, rec in entries:
        fields = [k for k in rec if k != "question"]
        columns = annotation_columns(fields)
        known = {h for hs in columns.values() for h in hs}
        unknown = [k for k in fields if k not in known and column_key(k) not in NOTE_COLUMNS_KEYS]
        if unknown:
            raise FormError(
                f"{here}, field «{unknown[0]}»: unknown field (known: topic, reverse, role, scale_min, scale_max, "
                "identifying, unit; or a note column)"
            )
        ref = nfc(str(rec.get("question") or "")).strip() if rec.get("question") is not None else ""
        q = _find_question(form, ref) if ref else None
        if q is None:
            names = ", ".join(q.name for q in form.answer_questions()[:20])
            raise FormError(f"{here}, field «question»: no question «{ref}» in the form {form.source_file} (questions: {names})")
        _annotate(q, _annotation_values(rec, columns), f"{here} («{q.name}»)", form.form_id, "mapping")


def load_questionnaire(path: str | Path, mapping: str | Path | None = None) -> Questionnaire:
    """The form at `path` with its question mapping (`mapping`, else one found beside the form)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: questionnaire not found (pass the XLSForm or Google Forms mapping with --form)")
    data = p.read_bytes()
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        form = load_xlsform(p, data)
    elif p.suffix.lower() in (".yaml", ".yml", ".csv"):
        form = load_mapping(p, data)
    else:
        raise FormError(f"{p}: unsupported questionnaire type (use an XLSForm .xlsx, or a mapping .yaml/.csv)")
    mp = Path(mapping) if mapping else find_mapping(p)
    mapping_data = None
    if mp is not None:
        if not mp.is_file():
            raise InputError(f"{mp}: question mapping not found")
        mapping_data = mp.read_bytes()
        apply_mapping(form, mp, mapping_data)
        form.mapping_file = str(mp)
    _finish_questions(form.questions, form.choice_lists, f"{p} (with {mp})" if mp else str(p), form.choices_where)
    form.file_hash = _form_hash(data, mapping_data)
    return form
