"""The hot-spot response scenarios (kịch bản ứng phó) in force: `hot_spot_scenarios.toml` of the
config folder (else the shipped default), validated against the topic taxonomy in force.

Errors name the file, the line (where TOML lets us find it) and the field, like every config file.
See docs/hot-spots.md for the format.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlxh.core.config import DEFAULTS_DIR, config_path
from dlxh.core.config import check as check_tables
from dlxh.core.errors import ConfigError
from dlxh.core.settings import Settings

FILE_NAME = "hot_spot_scenarios.toml"
ANY_TOPIC = "*"
OWNERS = ("unit", "office")
UNTIL = ("acknowledged", "resolved")
FACTORS = ("flagged_by_unit", "spike_ratio", "negative_signals", "units_on_topic", "engagement", "negative_sentiment")
# Variables the message templates may use (docs/hot-spots.md); a template using another is an error.
MESSAGE_VARIABLES = {
    "case_id": 1,
    "unit_code": "DV",
    "unit_name": "Đơn vị",
    "topic_code": "T",
    "topic_name": "Chủ đề",
    "period": "tháng 1/2025",
    "severity": "Cao",
    "scenario_name": "Kịch bản",
    "owner_name": "Người phụ trách",
    "office_name": "Văn phòng",
    "step": {"code": "b", "what": "Việc", "lead": "Đơn vị", "coordinating": "", "due": "00:00 ngày 01/01/2025"},
}


@dataclass(frozen=True)
class Step:
    code: str
    what: str
    lead: str
    coordinating: tuple[str, ...]
    within_hours: float
    until: str  # acknowledged | resolved
    min_severity: str | None


@dataclass(frozen=True)
class Scenario:
    code: str
    name_vi: str
    topics: tuple[str, ...]
    severities: tuple[str, ...]  # empty = every level
    owner: str  # unit | office
    steps: tuple[Step, ...]
    message_opened: str
    message_escalation: str


@dataclass(frozen=True)
class Level:
    code: str
    name_vi: str
    min_points: int


@dataclass(frozen=True)
class SeverityRule:
    factor: str
    at_least: float
    points: int


@dataclass(frozen=True)
class ScenarioLibrary:
    path: Path
    version: str
    owner: str
    reopen_within_months: int
    link_valid_days: int
    baseline_floor: float
    levels: tuple[Level, ...]  # ascending min_points
    rules: tuple[SeverityRule, ...]
    scenarios: tuple[Scenario, ...]
    topic_parents: dict[str, str | None]  # the taxonomy in force: code -> parent
    topic_names: dict[str, str]

    def level(self, code: str) -> Level:
        return next(lv for lv in self.levels if lv.code == code)

    def rank(self, code: str) -> int:
        return [lv.code for lv in self.levels].index(code)

    def severity(self, factors: dict[str, float]) -> tuple[str, int]:
        """(level code, points) of a hot spot's factors: the highest level whose min_points the points reach."""
        points = sum(r.points for r in self.rules if float(factors.get(r.factor) or 0) >= r.at_least)
        chosen = self.levels[0]
        for lv in self.levels:
            if points >= lv.min_points:
                chosen = lv
        return chosen.code, points

    def _lineage(self, topic: str) -> list[str]:
        out, seen = [], set()
        while topic and topic not in seen:
            out.append(topic)
            seen.add(topic)
            topic = self.topic_parents.get(topic) or ""
        return out

    def scenario_for(self, topic_code: str | None, severity: str) -> Scenario:
        """The scenario of the topic (or its nearest ancestor) at the level, else the '*' one."""
        candidates = [s for s in self.scenarios if not s.severities or severity in s.severities]
        for code in self._lineage(topic_code or ""):
            for s in candidates:
                if code in s.topics:
                    return s
        for s in candidates:
            if ANY_TOPIC in s.topics:
                return s
        raise ConfigError(f"{self.path}: no scenario for topic {topic_code!r} at severity {severity!r}")

    def steps_for(self, scenario: Scenario, severity: str) -> list[Step]:
        return [st for st in scenario.steps if st.min_severity is None or self.rank(severity) >= self.rank(st.min_severity)]


def _line_of(text: str, needle: str, start: int = 0) -> int | None:
    at = text.find(needle, start)
    return text.count("\n", 0, at) + 1 if at >= 0 else None


class _Reader:
    def __init__(self, path: Path, text: str):
        self.path, self.text = path, text

    def fail(self, field: str, message: str, near: str | None = None) -> ConfigError:
        line = _line_of(self.text, near) if near else None
        where = f"{self.path}, line {line}" if line else str(self.path)
        return ConfigError(f"{where}, field {field}: {message}")

    def get(self, table: dict, key: str, kind: type | tuple, field: str, near: str | None = None, default: Any = ...) -> Any:
        if key not in table:
            if default is ...:
                raise self.fail(field, "a value is required", near)
            return default
        value = table[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float)):
            names: dict[type | tuple, str] = {str: "text", int: "a whole number", float: "a number", list: "a list", dict: "a table"}
            raise self.fail(field, f"{value!r} is not {names.get(kind, kind)}", near)
        if isinstance(value, str):
            value = value.strip()
            if not value and default is ...:
                raise self.fail(field, "a value is required", near)
        return value


def _check_template(reader: _Reader, source: str, field: str, near: str) -> None:
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined)
    try:
        env.from_string(source).render(MESSAGE_VARIABLES)
    except jinja2.TemplateError as exc:
        raise reader.fail(field, f"template error: {exc} (variables: {', '.join(sorted(MESSAGE_VARIABLES))})", near) from None


def load_library(settings: Settings | None = None) -> ScenarioLibrary:
    """The scenario library in force, validated on its own and against the taxonomy in force."""
    path = config_path(FILE_NAME, settings)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    import unicodedata

    text = unicodedata.normalize("NFC", text)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    r = _Reader(path, text)
    topics = check_tables(settings)["topics"]
    parents = {row["topic_code"]: row["parent_code"] for row in topics.rows}
    names = {row["topic_code"]: row["name_vi"] for row in topics.rows}
    is_default = DEFAULTS_DIR in path.parents
    is_default_taxonomy = DEFAULTS_DIR in topics.path.parents

    version = doc.get("version")
    if isinstance(version, int | float) and not isinstance(version, bool):
        version = str(version)
    if not isinstance(version, str) or not version.strip():
        raise r.fail(
            "version", 'a version is required (e.g. version = "2025.1"); cases record the version they were opened under', "version"
        )
    cases = r.get(doc, "cases", dict, "cases", default={})
    owner = r.get(cases, "owner", str, "cases.owner", "owner", default="unit")
    if owner not in OWNERS:
        raise r.fail("cases.owner", f"{owner!r} is not one of {', '.join(OWNERS)}", "owner")
    reopen = r.get(cases, "reopen_within_months", int, "cases.reopen_within_months", "reopen_within_months", default=3)
    link_days = r.get(cases, "link_valid_days", int, "cases.link_valid_days", "link_valid_days", default=14)
    if reopen < 0 or link_days < 1:
        raise r.fail("cases", "reopen_within_months must be >= 0 and link_valid_days >= 1", "[cases]")

    sev = r.get(doc, "severity", dict, "severity", "[severity]")
    floor = r.get(sev, "baseline_floor", float, "severity.baseline_floor", "baseline_floor", default=1 / 6)
    if floor <= 0:
        raise r.fail("severity.baseline_floor", "must be above 0", "baseline_floor")
    levels: list[Level] = []
    raw_levels = r.get(sev, "levels", list, "severity.levels", "[severity]")
    for i, lv in enumerate(raw_levels):
        field = f"severity.levels[{i}]"
        if not isinstance(lv, dict):
            raise r.fail(field, "must be a [[severity.levels]] table")
        code = r.get(lv, "code", str, f"{field}.code", "[[severity.levels]]")
        near = f'code = "{code}"'
        if any(x.code == code for x in levels):
            raise r.fail(f"{field}.code", f"{code!r} is defined twice", near)
        levels.append(
            Level(code, r.get(lv, "name_vi", str, f"{field}.name_vi", near), r.get(lv, "min_points", int, f"{field}.min_points", near))
        )
    if not levels:
        raise r.fail("severity.levels", "at least one level is required", "[severity]")
    if [lv.min_points for lv in levels] != sorted(lv.min_points for lv in levels) or len({lv.min_points for lv in levels}) != len(levels):
        raise r.fail("severity.levels", "levels must be listed from the mildest up, with increasing min_points", "[[severity.levels]]")
    level_codes = [lv.code for lv in levels]
    rules: list[SeverityRule] = []
    for i, rule in enumerate(r.get(sev, "rules", list, "severity.rules", "[severity]", default=[])):
        field = f"severity.rules[{i}]"
        if not isinstance(rule, dict):
            raise r.fail(field, "must be a [[severity.rules]] table")
        factor = r.get(rule, "factor", str, f"{field}.factor", "[[severity.rules]]")
        if factor not in FACTORS:
            raise r.fail(f"{field}.factor", f"{factor!r} is not one of {', '.join(FACTORS)}", f'factor = "{factor}"')
        rules.append(
            SeverityRule(
                factor,
                r.get(rule, "at_least", float, f"{field}.at_least", f'factor = "{factor}"'),
                r.get(rule, "points", int, f"{field}.points", f'factor = "{factor}"'),
            )
        )

    scenarios: list[Scenario] = []
    for i, sc in enumerate(r.get(doc, "scenarios", list, "scenarios", "[[scenarios]]")):
        field = f"scenarios[{i}]"
        if not isinstance(sc, dict):
            raise r.fail(field, "must be a [[scenarios]] table")
        code = r.get(sc, "code", str, f"{field}.code", "[[scenarios]]")
        near = f'code = "{code}"'
        if any(s.code == code for s in scenarios):
            raise r.fail(f"{field}.code", f"{code!r} is defined twice", near)
        scenario_at = text.find(near)
        topic_list = r.get(sc, "topics", list, f"{field}.topics", near)
        if is_default and not is_default_taxonomy:
            # The shipped file was written for the shipped taxonomy: with the federation's own
            # taxonomy only its '*' scenario applies (a deployment's own file is checked strictly).
            topic_list = [t for t in topic_list if t == ANY_TOPIC]
            if not topic_list:
                continue
        for t in topic_list:
            if not isinstance(t, str) or (t != ANY_TOPIC and t not in parents):
                line = _line_of(text, f'"{t}"', max(scenario_at, 0))
                where = f"{path}, line {line}" if line else str(path)
                raise ConfigError(f"{where}, field {field}.topics: {t!r} is not a topic_code of {topics.path} (nor '*')")
        if not topic_list:
            raise r.fail(f"{field}.topics", "at least one topic code (or '*') is required", near)
        severities = r.get(sc, "severities", list, f"{field}.severities", near, default=[])
        bad = [s for s in severities if s not in level_codes]
        if bad:
            raise r.fail(
                f"{field}.severities", f"{', '.join(map(str, bad))} not among the severity levels ({', '.join(level_codes)})", near
            )
        sc_owner = r.get(sc, "owner", str, f"{field}.owner", near, default=owner)
        if sc_owner not in OWNERS:
            raise r.fail(f"{field}.owner", f"{sc_owner!r} is not one of {', '.join(OWNERS)}", near)
        messages = r.get(sc, "messages", dict, f"{field}.messages", near)
        opened = r.get(messages, "opened", str, f"{field}.messages.opened", near)
        escalation = r.get(messages, "escalation", str, f"{field}.messages.escalation", near)
        _check_template(r, opened, f"{field}.messages.opened", near)
        _check_template(r, escalation, f"{field}.messages.escalation", near)
        steps: list[Step] = []
        for j, st in enumerate(r.get(sc, "steps", list, f"{field}.steps", near)):
            sf = f"{field}.steps[{j}]"
            if not isinstance(st, dict):
                raise r.fail(sf, "must be a [[scenarios.steps]] table", near)
            scode = r.get(st, "code", str, f"{sf}.code", near)
            snear = near
            if any(x.code == scode for x in steps):
                raise r.fail(f"{sf}.code", f"{scode!r} is already a step of scenario {code!r}", near)
            hours = r.get(st, "within_hours", float, f"{sf}.within_hours", near, default=None)
            days = r.get(st, "within_days", float, f"{sf}.within_days", near, default=None)
            if (hours is None) == (days is None):
                raise r.fail(sf, "give the time limit as exactly one of within_hours or within_days", snear)
            limit = hours if hours is not None else days * 24
            if limit <= 0:
                raise r.fail(sf, "the time limit must be above 0", snear)
            until = r.get(st, "until", str, f"{sf}.until", near, default="resolved")
            if until not in UNTIL:
                raise r.fail(f"{sf}.until", f"{until!r} is not one of {', '.join(UNTIL)}", near)
            min_sev = r.get(st, "min_severity", str, f"{sf}.min_severity", near, default=None)
            if min_sev is not None and min_sev not in level_codes:
                raise r.fail(f"{sf}.min_severity", f"{min_sev!r} is not a severity level ({', '.join(level_codes)})", near)
            coordinating = r.get(st, "coordinating", list, f"{sf}.coordinating", near, default=[])
            steps.append(
                Step(
                    scode,
                    r.get(st, "what", str, f"{sf}.what", near),
                    r.get(st, "lead", str, f"{sf}.lead", near),
                    tuple(str(c).strip() for c in coordinating if str(c).strip()),
                    float(limit),
                    until,
                    min_sev,
                )
            )
        if not steps:
            raise r.fail(f"{field}.steps", "a scenario needs at least one step", near)
        scenarios.append(
            Scenario(
                code,
                r.get(sc, "name_vi", str, f"{field}.name_vi", near),
                tuple(topic_list),
                tuple(severities),
                sc_owner,
                tuple(steps),
                opened,
                escalation,
            )
        )
    library = ScenarioLibrary(
        path, version.strip(), owner, reopen, link_days, floor, tuple(levels), tuple(rules), tuple(scenarios), parents, names
    )
    for topic in parents:
        for level in level_codes:
            try:
                library.scenario_for(topic, level)
            except ConfigError:
                raise ConfigError(
                    f"{path}, field scenarios: no scenario covers topic {topic!r} at severity {level!r} "
                    '(add it to a scenario\'s topics, or add a scenario with topics = ["*"])'
                ) from None
    return library


def describe(library: ScenarioLibrary) -> str:
    origin = "default" if DEFAULTS_DIR in library.path.parents else "deployment"
    return (
        f"  {FILE_NAME:<20} {len(library.scenarios):>4} scenarios  {origin:<10} {library.path}\n"
        f"      version {library.version}; severity levels: {', '.join(lv.code for lv in library.levels)}; "
        f"owner by default: {library.owner}"
    )
