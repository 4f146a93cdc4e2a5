"""The deployment's own reference data: unit types, topics and topic aliases, places, report types,
ad-hoc requests and the rules of the collaborator network.

One folder, ``DLXH_CONFIG_DIR`` (default ``$DLXH_HOME/config``), holds the federation's own files;
the repository ships defaults in ``dlxh/core/config/defaults/``. A file in the deployment folder
replaces the default of the same name whole (no merging: what is in force is what the file says).
Every layer reads these files through this module (ingestion, alerts) or through the ``config``
schema it writes (dbt, BI; see ``dlxh.core.config.sync``), so an identity is resolved one way
everywhere. Errors name the file, the line and the field, and exit with code 2.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any

from dlxh.core.errors import ConfigError
from dlxh.core.parsing import parse_bool_vi, parse_date, parse_local_datetime, parse_month
from dlxh.core.settings import Settings, load_settings
from dlxh.core.text import fold

DEFAULTS_DIR = Path(__file__).resolve().parent / "defaults"


def _text(value: str) -> str:
    return value.strip()


def _bool(value: str) -> bool:
    key = fold(value)
    if key in ("true", "false"):
        return key == "true"
    return parse_bool_vi(value)


def _int(value: str) -> int:
    return int(value.strip())


def _time(value: str) -> time:
    return time.fromisoformat(value.strip())


def _month(value: str) -> date:
    return parse_month(value)


def _timestamptz(value: str) -> datetime:
    return parse_local_datetime(value)


def _list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(";") if part.strip())


KINDS: dict[str, tuple[Callable[[str], Any], str]] = {
    "text": (_text, "text"),
    "bool": (_bool, "true or false"),
    "int": (_int, "a whole number"),
    "time": (_time, "a time of day such as 00:00 or 17:30"),
    "month": (_month, "a month such as 2025-03"),
    "timestamptz": (_timestamptz, "a date and time such as 2025-03-25 17:00 (local time unless +hh:mm is written)"),
    "list": (_list, "values separated by ';'"),
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"
    required: bool = False
    sql_type: str = "text"
    description: str = ""


@dataclass(frozen=True)
class FileSpec:
    """One reference table: its file, columns and unique key. The `config.<name>` table has the same columns."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"


SPECS: dict[str, FileSpec] = {
    spec.name: spec
    for spec in (
        FileSpec(
            "unit_types",
            (
                Column("unit_type", required=True, description="Code of the unit type as stored in the registry (raw.units.unit_type)."),
                Column("name_vi", required=True, description="Name in Vietnamese."),
                Column("level", required=True, description="province | district | sector | grassroots: the level in the union system."),
                Column("owes_reports", "bool", required=True, sql_type="boolean", description="Units of this type owe the monthly report."),
                Column(
                    "is_territorial",
                    "bool",
                    required=True,
                    sql_type="boolean",
                    description="The unit's name names a place (district, city, province): it feeds the gazetteer.",
                ),
                Column(
                    "aliases", "list", description="How registries write the type (accent- and abbreviation-insensitive), ';'-separated."
                ),
            ),
            ("unit_type",),
            "Unit types of the registry: which owe reports, at which level, and how offices write them.",
        ),
        FileSpec(
            "topics",
            (
                Column("topic_code", required=True, description="Stable topic code of the federation's taxonomy."),
                Column("parent_code", description="Parent topic for sub-topics; empty for top-level topics."),
                Column("sort_order", "int", required=True, sql_type="integer", description="Display order."),
                Column("name_vi", required=True, description="Topic name in Vietnamese."),
                Column("name_en", description="Topic name in English."),
                Column("keywords", description="';'-separated keywords matched (accent-insensitively) in report and scan text."),
            ),
            ("topic_code",),
            "The topic taxonomy (guidance section II.2 by default).",
        ),
        FileSpec(
            "topic_aliases",
            (
                Column("alias", required=True, description="A topic code or label as a form, a tool or a unit writes it."),
                Column("topic_code", required=True, description="The taxonomy code it means (topics.csv)."),
                Column("scope", description="Where the alias applies: a scan tool or survey name; empty = everywhere."),
                Column("note", description="Why (free text)."),
            ),
            ("alias", "scope"),
            "Other taxonomies' topic codes and labels mapped to the federation's codes.",
        ),
        FileSpec(
            "places",
            (
                Column("place_name", required=True, description="A ward, commune or other place name."),
                Column("place_type", required=True, description="ward | commune | town | district | city | province."),
                Column("unit_code", required=True, description="Registry code of the unit whose area holds the place."),
                Column("district_name", description="District (for people reading the file)."),
            ),
            ("place_name",),
            "Places the registry's unit names do not give (wards, communes), keyed by the registry's unit codes.",
        ),
        FileSpec(
            "report_types",
            (
                Column("report_type", required=True, description="monthly | ad_hoc | another periodic type."),
                Column("name_vi", required=True, description="Name in Vietnamese."),
                Column("is_periodic", "bool", required=True, sql_type="boolean", description="Owed every month by every reporting unit."),
                Column("due_day", "int", sql_type="integer", description="Day of the report month the report is due on (periodic types)."),
                Column("due_time_local", "time", sql_type="time", description="Local time of day of the deadline (Asia/Ho_Chi_Minh)."),
                Column("description", description="What the deadline means."),
            ),
            ("report_type",),
            "Report types and their deadlines.",
        ),
        FileSpec(
            "adhoc_requests",
            (
                Column("request_code", required=True, description="Code of the request (e.g. the federation's document number)."),
                Column("title_vi", description="Title of the request in Vietnamese."),
                Column("period_month", "month", required=True, sql_type="date", description="Reporting month (first day)."),
                Column("due_at", "timestamptz", required=True, sql_type="timestamptz", description="Deadline (local time unless written)."),
                Column(
                    "owed_by_unit_types", "list", description="';'-separated unit types that owe it; empty = every type that owes reports."
                ),
            ),
            ("request_code",),
            "Ad-hoc report requests (báo cáo đột xuất).",
        ),
        FileSpec(
            "collaborator_rules",
            (
                Column("unit_type", description="A unit type of unit_types.csv the row applies to; empty when unit_code is given."),
                Column("unit_code", description="A registry unit code: the row applies to that unit only and wins over its type's row."),
                Column(
                    "min_collaborators",
                    "int",
                    sql_type="integer",
                    description="Minimum number of collaborators the unit must have appointed (quota).",
                ),
                Column("required_areas", "list", description="Areas (địa bàn) the unit's collaborators must cover, ';'-separated."),
                Column(
                    "required_sectors", "list", description="Sectors or organisations (lĩnh vực, đoàn thể) they must cover, ';'-separated."
                ),
                Column(
                    "inactive_months",
                    "int",
                    sql_type="integer",
                    description="Inactive = no contribution in this many months, the month itself included (default 3).",
                ),
                Column(
                    "ineffective_min_contributions",
                    "int",
                    sql_type="integer",
                    description="Ineffective = fewer contributions than this over the window (and not inactive).",
                ),
                Column(
                    "ineffective_window_months",
                    "int",
                    sql_type="integer",
                    description="The window of the ineffective rule, in months ending with the month.",
                ),
                Column(
                    "grace_months",
                    "int",
                    sql_type="integer",
                    description="A collaborator appointed in the month or the grace_months - 1 months before it is neither "
                    "inactive nor ineffective yet (default 0: no grace).",
                ),
                Column("note", description="Why (free text)."),
            ),
            ("unit_type", "unit_code"),
            "Rules of the collaborator network (quota, coverage, inactive and ineffective); see docs/collaborators.md.",
        ),
    )
}
PERIODIC_DUE_DAY_RANGE = (1, 28)
PLACE_TYPES = ("ward", "commune", "town", "district", "city", "province")
UNIT_LEVELS = ("province", "district", "sector", "grassroots")


def config_dir(settings: Settings | None = None) -> Path:
    settings = settings or load_settings()
    configured = settings.get("DLXH_CONFIG_DIR")
    return Path(configured).expanduser().resolve() if configured else settings.home / "config"


def config_path(name: str, settings: Settings | None = None) -> Path:
    """The file in force for `name` (e.g. 'topics.csv' or 'scan_tools/x.toml'): the deployment's, else the default."""
    own = config_dir(settings) / name
    return own if own.exists() else DEFAULTS_DIR / name


@dataclass(frozen=True, eq=False)  # hashed by identity: one object per file version (cached)
class Loaded:
    """A reference table as read from its file: typed rows, each with the line it came from."""

    spec: FileSpec
    path: Path
    rows: tuple[dict[str, Any], ...]
    lines: tuple[int, ...]


def _read(spec: FileSpec, path: Path) -> Loaded:
    where = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{where}: cannot be read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{where}: not UTF-8 text (byte {exc.start}); save it as CSV UTF-8") from None
    import unicodedata

    text = unicodedata.normalize("NFC", text)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = [h.strip() for h in (reader.fieldnames or [])]
    if not headers:
        raise ConfigError(f"{where}: empty file; it needs at least the header line: {','.join(c.name for c in spec.columns)}")
    reader.fieldnames = headers
    known = {c.name for c in spec.columns}
    missing = [c.name for c in spec.columns if c.required and c.name not in headers]
    if missing:
        raise ConfigError(f"{where}, line 1: missing column(s) {', '.join(missing)} (the file has: {', '.join(headers)})")
    unknown = [h for h in headers if h and h not in known]
    if unknown:
        raise ConfigError(f"{where}, line 1: unknown column(s) {', '.join(unknown)} (known: {', '.join(c.name for c in spec.columns)})")
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    seen: dict[tuple, int] = {}
    for record in reader:
        line = reader.line_num
        if record.get(None):  # csv.DictReader files extra cells under the key None
            raise ConfigError(f"{where}, line {line}: more cells than columns (quote values that contain a comma)")
        if not any((v or "").strip() for v in record.values() if isinstance(v, str)):
            continue
        row: dict[str, Any] = {}
        for column in spec.columns:
            value = (record.get(column.name) or "").strip()
            if not value:
                if column.required:
                    raise ConfigError(f"{where}, line {line}, field {column.name}: a value is required")
                row[column.name] = () if column.kind == "list" else None
                continue
            convert, expected = KINDS[column.kind]
            try:
                row[column.name] = convert(value)
            except (ValueError, TypeError):
                raise ConfigError(f"{where}, line {line}, field {column.name}: {value!r} is not {expected}") from None
        key = tuple(fold(str(row[k] or "")) for k in spec.key)
        if key in seen:
            raise ConfigError(
                f"{where}, line {line}, field {'/'.join(spec.key)}: {' / '.join(str(row[k] or '') for k in spec.key)!r} "
                f"is already on line {seen[key]}"
            )
        seen[key] = line
        rows.append(row)
        lines.append(line)
    return Loaded(spec, path, tuple(rows), tuple(lines))


@lru_cache(maxsize=64)
def _read_cached(name: str, path: str, mtime_ns: int, size: int) -> Loaded:
    return _read(SPECS[name], Path(path))


def load(name: str, settings: Settings | None = None) -> Loaded:
    """The reference table `name` in force, validated on its own (see `check` for cross-file rules)."""
    path = config_path(SPECS[name].file_name, settings)
    try:
        st = path.stat()
    except OSError:
        raise ConfigError(f"{path}: missing (the shipped default is gone too; reinstall or restore it)") from None
    loaded = _read_cached(name, str(path), st.st_mtime_ns, st.st_size)
    _check_values(loaded)
    return loaded


def _fail(loaded: Loaded, index: int, field: str, message: str) -> ConfigError:
    return ConfigError(f"{loaded.path}, line {loaded.lines[index]}, field {field}: {message}")


def _check_values(loaded: Loaded) -> None:
    """Value rules of one file (beyond types)."""
    name = loaded.spec.name
    for i, row in enumerate(loaded.rows):
        if name == "unit_types" and row["level"] not in UNIT_LEVELS:
            raise _fail(loaded, i, "level", f"{row['level']!r} is not one of {', '.join(UNIT_LEVELS)}")
        if name == "places" and row["place_type"] not in PLACE_TYPES:
            raise _fail(loaded, i, "place_type", f"{row['place_type']!r} is not one of {', '.join(PLACE_TYPES)}")
        if name == "report_types" and row["is_periodic"]:
            low, high = PERIODIC_DUE_DAY_RANGE
            if row["due_day"] is None or not low <= row["due_day"] <= high:
                raise _fail(loaded, i, "due_day", f"a periodic report type needs a due day from {low} to {high}")
            if row["due_time_local"] is None:
                raise _fail(loaded, i, "due_time_local", "a periodic report type needs a due time (e.g. 00:00)")


def check(settings: Settings | None = None) -> dict[str, Loaded]:
    """Every reference table, validated alone and against each other; raises ConfigError on the first problem."""
    tables = {name: load(name, settings) for name in SPECS}
    # The unit types first: every other file's unit types are checked against them.
    if not any(r["owes_reports"] for r in tables["unit_types"].rows):
        raise ConfigError(f"{tables['unit_types'].path}: no unit type owes reports (set owes_reports=true on at least one)")
    alias_keys: dict[str, tuple[str, int]] = {}
    ut = tables["unit_types"]
    from dlxh.core.names import org_key

    for i, row in enumerate(ut.rows):
        for alias in (row["unit_type"], row["name_vi"], *row["aliases"]):
            key = org_key(alias)
            other = alias_keys.get(key)
            if other and other[0] != row["unit_type"]:
                raise _fail(ut, i, "aliases", f"{alias!r} also names unit type {other[0]!r} (line {other[1]})")
            alias_keys[key] = (row["unit_type"], ut.lines[i])
    topic_codes = {r["topic_code"] for r in tables["topics"].rows}
    type_codes = {r["unit_type"] for r in tables["unit_types"].rows}
    topics = tables["topics"]
    for i, row in enumerate(topics.rows):
        if row["parent_code"] and row["parent_code"] not in topic_codes:
            raise _fail(topics, i, "parent_code", f"{row['parent_code']!r} is not a topic_code of {topics.path.name}")
    aliases = tables["topic_aliases"]
    for i, row in enumerate(aliases.rows):
        if row["topic_code"] not in topic_codes:
            raise _fail(aliases, i, "topic_code", f"{row['topic_code']!r} is not a topic_code of {topics.path}")
    adhoc = tables["adhoc_requests"]
    for i, row in enumerate(adhoc.rows):
        bad = [t for t in row["owed_by_unit_types"] if t not in type_codes]
        if bad:
            raise _fail(
                adhoc, i, "owed_by_unit_types", f"{', '.join(bad)} not in {tables['unit_types'].path} ({', '.join(sorted(type_codes))})"
            )
    rules = tables["collaborator_rules"]
    for i, row in enumerate(rules.rows):
        if not row["unit_type"] and not row["unit_code"]:
            raise _fail(rules, i, "unit_type", "give a unit_type (a type's rule) or a unit_code (one unit's rule)")
        # The shipped rules name the shipped unit types: under a federation's own unit types they
        # match no unit (and say nothing); a rules file of the federation's own must name its types.
        if row["unit_type"] and row["unit_type"] not in type_codes and not rules.path.resolve().is_relative_to(DEFAULTS_DIR):
            raise _fail(rules, i, "unit_type", f"{row['unit_type']!r} is not a unit_type of {tables['unit_types'].path}")
        for field in ("min_collaborators", "inactive_months", "ineffective_min_contributions", "ineffective_window_months"):
            value = row[field]
            if value is not None and (value < 0 or (field.endswith("months") and not 1 <= value <= 36)):
                raise _fail(rules, i, field, f"{value} is out of range ({'1 to 36 months' if field.endswith('months') else '0 or more'})")
        if row["grace_months"] is not None and not 0 <= row["grace_months"] <= 36:
            raise _fail(rules, i, "grace_months", f"{row['grace_months']} is out of range (0 to 36 months)")
    if not any(r["report_type"] == "ad_hoc" for r in tables["report_types"].rows):
        raise ConfigError(f"{tables['report_types'].path}: the report type 'ad_hoc' is required (ad-hoc reports use it)")
    return tables


def reporting_start_month(settings: Settings) -> date | None:
    """DLXH_REPORTING_START_MONTH as the first day of its month ('2025-03', '2025-03-01', '03/2025')."""
    configured = (settings.get("DLXH_REPORTING_START_MONTH") or "").strip()
    if not configured:
        return None
    for parse in (parse_month, parse_date):
        try:
            return parse(configured).replace(day=1)
        except ValueError:
            continue
    raise ConfigError(f"DLXH_REPORTING_START_MONTH must be a month such as 2025-03 (or a day such as 2025-03-01), not {configured!r}")
