"""Declarative mapping of one monitoring tool's export onto the scan fields.

One file per tool (TOML, YAML or JSON): the deployment's ``$DLXH_CONFIG_DIR/scan_tools/<tool>.toml``
first, then the shipped ones in ``dlxh/core/config/defaults/scan_tools/``; supporting a new tool means
adding a file, not code. See docs/scans.md for the format.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dlxh.core.config import DEFAULTS_DIR, config_dir
from dlxh.core.errors import ConfigError
from dlxh.core.settings import Settings
from ingestion.scans.sentiment import SentimentScale

FIELDS = (
    "url",
    "platform",
    "published_at",
    "captured_at",
    "title",
    "text",
    "author",
    "likes",
    "shares",
    "comments",
    "views",
    "sentiment",
    "topic",
    "place",
)
ENGAGEMENT = ("likes", "shares", "comments", "views")
DATE_FIELDS = ("published_at", "captured_at")
FIELD_LABELS_VI = {
    "url": "đường dẫn",
    "platform": "nền tảng",
    "published_at": "thời gian đăng",
    "captured_at": "thời gian quét",
    "title": "tiêu đề",
    "text": "nội dung",
    "author": "tác giả",
    "likes": "lượt thích",
    "shares": "lượt chia sẻ",
    "comments": "bình luận",
    "views": "lượt xem",
    "sentiment": "sắc thái",
    "topic": "chủ đề",
    "place": "địa bàn",
}


# The regexes strptime itself uses for these directives (CPython's _strptime.TimeRE).
_NUMERIC_DIRECTIVES = {
    "%d": r"(3[01]|[12]\d|0[1-9]|[1-9]| [1-9])",
    "%m": r"(1[0-2]|0[1-9]|[1-9])",
    "%Y": r"(\d\d\d\d)",
    "%H": r"(2[0-3]|[0-1]\d|\d)",
    "%M": r"([0-5]\d|\d)",
    "%S": r"(6[0-1]|[0-5]\d|\d)",
}
_DATE_PARTS = ("%Y", "%m", "%d", "%H", "%M", "%S")
_DATE_CACHE_LIMIT = 65536


def _numeric_pattern(fmt: str) -> tuple[re.Pattern[str], tuple[int, ...]] | None:
    """A regex for a strptime format made only of %d %m %Y %H %M %S and literals, else None.

    Built like strptime builds its own (same directive regexes, whitespace = \\s+), so a
    non-match is strptime's "does not match format" and a match gives strptime's datetime;
    an impossible date (31/02) fails in the datetime constructor as it does in strptime.
    """
    if re.search(r"%.%.", fmt):
        return None  # adjacent directives: strptime's first-match semantics differ from a full match
    pieces, order = [], []
    for token in re.split(r"(%.)", fmt):
        if token in _NUMERIC_DIRECTIVES:
            if token in order:
                return None
            pieces.append(_NUMERIC_DIRECTIVES[token])
            order.append(token)
        elif token.startswith("%") and len(token) == 2:
            return None
        else:
            pieces.append(r"\s+".join(re.escape(part) for part in re.split(r"\s+", token)))
    if "%Y" not in order or "%m" not in order or "%d" not in order:
        return None
    return re.compile("".join(pieces) + r"\Z"), tuple(order.index(p) if p in order else -1 for p in _DATE_PARTS)


@dataclass(frozen=True)
class DateFormat:
    formats: tuple[str, ...]  # strptime formats, or "iso", "epoch", "epoch_ms"
    tz: tzinfo
    _fast: tuple = field(default=(), init=False, repr=False, compare=False)
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_fast", tuple(_numeric_pattern(f) if f not in ("iso", "epoch", "epoch_ms") else None for f in self.formats)
        )

    def parse(self, value: str) -> datetime:
        """The aware datetime of `value` (cached per distinct text: export times repeat)."""
        hit = self._cache.get(value)
        if hit is None:
            hit = self._parse(value)
            if len(self._cache) >= _DATE_CACHE_LIMIT:
                self._cache.clear()
            self._cache[value] = hit
        return hit

    def _parse(self, value: str) -> datetime:
        text = value.strip()
        for fmt, fast in zip(self.formats, self._fast, strict=True):
            if fast is not None:  # the common case: no exception raised for a format that does not match
                m = fast[0].match(text)
                if m is not None:
                    try:
                        return _numeric_datetime(m.groups(), fast[1], self.tz)
                    except ValueError:
                        pass  # 31/02: strptime rejects it too
                continue
            try:
                if fmt == "iso":
                    dt = datetime.fromisoformat(text)
                elif fmt in ("epoch", "epoch_ms"):
                    seconds = float(text) / (1000 if fmt == "epoch_ms" else 1)
                    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
                else:
                    dt = datetime.strptime(text, fmt)
            except ValueError:
                continue
            return dt if dt.tzinfo else dt.replace(tzinfo=self.tz)
        raise ValueError(f"không hiểu thời gian «{value}» (định dạng khai báo: {', '.join(self.formats)})")


def _numeric_datetime(g: tuple[str, ...], order: tuple[int, ...], tz: tzinfo) -> datetime:
    """The datetime of a `_numeric_pattern` match: groups in `order` (Y m d H M S; -1 = absent)."""
    y, mo, d, h, mi, sec = order
    return datetime(
        int(g[y]),
        int(g[mo]),
        int(g[d]),
        int(g[h]) if h >= 0 else 0,
        int(g[mi]) if mi >= 0 else 0,
        int(g[sec]) if sec >= 0 else 0,
        tzinfo=tz,
    )


TOP_KEYS = ("tool", "description", "columns", "dates", "sentiment", "platform", "platforms", "topics", "records")
SECTION_KEYS = {"dates": ("format", "timezone"), "sentiment": ("labels", "range"), "topics": ("fallback",)}
TOPIC_FALLBACKS = ("keywords", "none")
MAPPING_SUFFIXES = (".toml", ".yaml", ".yml", ".json")
TOOLS_FOLDER = "scan_tools"  # in the config folder ($DLXH_CONFIG_DIR) and among the shipped defaults
SHIPPED_DIR = DEFAULTS_DIR / TOOLS_FOLDER


@dataclass(frozen=True)
class ToolMapping:
    tool: str
    description: str
    columns: dict[str, str]  # field -> column name or dotted path (JSON)
    dates: DateFormat
    sentiment: SentimentScale | None
    platform: str | None = None  # constant platform when the export has no platform column
    platforms: dict[str, str] = field(default_factory=dict)  # folded tool value -> platform code
    source_path: Path | None = None
    # When the tool gives topics (a `topic` column), rows without a recognised topic get none,
    # unless `[topics] fallback = "keywords"`; tools without a topic column always use keywords.
    topic_fallback: str = "none"
    records: str | None = None  # dotted path of the list of records in a JSON document

    @property
    def keyword_topics(self) -> bool:
        """Whether rows without a recognised tool topic are matched on the taxonomy keywords."""
        return "topic" not in self.columns or self.topic_fallback == "keywords"


def mapping_dirs(settings: Settings | None = None) -> tuple[Path, ...]:
    """Where tool mappings are looked up, in order: the deployment's config folder, then the shipped ones."""
    return (config_dir(settings) / TOOLS_FOLDER, SHIPPED_DIR)


def available_tools(directories: tuple[Path, ...] | Path | None = None) -> list[str]:
    dirs = (directories,) if isinstance(directories, Path) else (directories or mapping_dirs())
    return sorted({p.stem for d in dirs for p in d.glob("*") if p.suffix in MAPPING_SUFFIXES})


def _looks_like_path(tool: str) -> bool:
    return "/" in tool or "\\" in tool or Path(tool).suffix.lower() in MAPPING_SUFFIXES


def find_mapping(tool: str | Path, settings: Settings | None = None) -> Path:
    """The mapping file of `tool`: a path to a mapping file, or a tool name looked up as
    `<config folder>/scan_tools/<tool>.toml|.yaml|.yml|.json`, then among the shipped mappings."""
    text = str(tool).strip()
    if not text:
        raise ConfigError("scan tool: give a tool name or the path of its mapping file (--tool NAME|PATH)")
    if isinstance(tool, Path) or _looks_like_path(text):
        path = Path(text).expanduser()
        if not path.is_file():
            raise ConfigError(f"{path}: no such mapping file for a scan tool")
        if path.suffix.lower() not in MAPPING_SUFFIXES:
            raise ConfigError(f"{path}: a scan tool mapping must be a {', '.join(MAPPING_SUFFIXES)} file")
        return path
    dirs = mapping_dirs(settings)
    for d in dirs:
        for ext in MAPPING_SUFFIXES:
            if (d / f"{text}{ext}").is_file():
                return d / f"{text}{ext}"
    raise ConfigError(
        f"no mapping for scan tool {text!r}: looked for {dirs[0] / (text + '.toml')} (or .yaml/.yml/.json) "
        f"and among the shipped tools; known tools: {', '.join(available_tools(dirs)) or 'none'}"
    )


def _read_spec(path: Path) -> dict:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        if path.suffix == ".toml":
            spec = tomllib.loads(text)
        elif path.suffix == ".json":
            spec = json.loads(text)
        else:
            import yaml

            spec = yaml.safe_load(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except Exception as exc:  # yaml.YAMLError and its subclasses carry the line in their text
        raise ConfigError(f"{path}: cannot parse mapping ({type(exc).__name__}: {' '.join(str(exc).split())})") from None
    if not isinstance(spec, dict):
        raise ConfigError(f"{path}: a mapping must be a table of keys (tool, columns, dates, ...), not {_kind(spec)}")
    return spec


def _kind(value: object) -> str:
    return {str: "text", int: "a number", float: "a number", bool: "true/false", list: "a list", dict: "a table"}.get(
        type(value), type(value).__name__
    ) + (f" ({value!r})" if isinstance(value, (str, int, float, bool)) else "")


def _table(path: Path, spec: dict, key: str) -> dict:
    value = spec.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{path}, field {key}: must be a table ([{key}] with key = value lines), not {_kind(value)}")
    allowed = SECTION_KEYS.get(key)
    if allowed is not None:
        unknown = sorted(str(k) for k in value if k not in allowed)
        if unknown:
            raise ConfigError(f"{path}, field {key}.{unknown[0]}: unknown key; allowed in [{key}]: {', '.join(allowed)}")
    return value


def _string(path: Path, where: str, value: object) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{path}, field {where}: must be text in quotes, not {_kind(value)}")
    return value


def load_mapping(tool: str | Path, settings: Settings | None = None) -> ToolMapping:
    """The mapping of `tool` (a name or a path, see `find_mapping`); ConfigError names the file and the field."""
    from dlxh.core.text import fold

    path = find_mapping(tool, settings)
    spec = _read_spec(path)
    unknown = sorted(str(k) for k in spec if k not in TOP_KEYS)
    if unknown:
        raise ConfigError(f"{path}, field {unknown[0]}: unknown key; allowed: {', '.join(TOP_KEYS)}")
    for key in ("tool", "description", "platform", "records"):
        if spec.get(key) is not None:
            _string(path, key, spec[key])
    columns_spec = _table(path, spec, "columns")
    for k, v in columns_spec.items():
        if k not in FIELDS:
            raise ConfigError(f"{path}, field columns.{k}: unknown field; allowed: {', '.join(FIELDS)}")
        _string(path, f"columns.{k}", v)
    columns = {str(k): v.strip() for k, v in columns_spec.items() if v.strip()}
    if "url" not in columns and "text" not in columns:
        raise ConfigError(f"{path}, field columns: [columns] must map at least `url` or `text`")
    dates_spec = _table(path, spec, "dates")
    formats = dates_spec.get("format", "iso")
    formats = (formats,) if isinstance(formats, str) else formats
    if not isinstance(formats, list | tuple) or not formats or not all(isinstance(f, str) and f.strip() for f in formats):
        raise ConfigError(
            f"{path}, field dates.format: must be a strptime format in quotes or a list of them "
            f'(e.g. "%d/%m/%Y %H:%M"), or "iso", "epoch", "epoch_ms"; got {_kind(dates_spec.get("format"))}'
        )
    timezone = _string(path, "dates.timezone", dates_spec.get("timezone", "Asia/Ho_Chi_Minh"))
    try:
        tz = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{path}, field dates.timezone: unknown timezone {timezone!r} (e.g. Asia/Ho_Chi_Minh, UTC)") from None
    sentiment = None
    sentiment_spec = _table(path, spec, "sentiment")
    if sentiment_spec:
        if "labels" in sentiment_spec and not isinstance(sentiment_spec["labels"], dict):
            raise ConfigError(f"{path}, field sentiment.labels: must be a table of label = value, not {_kind(sentiment_spec['labels'])}")
        rng = sentiment_spec.get("range")
        if rng is not None and not (isinstance(rng, list) and len(rng) == 2 and all(isinstance(x, int | float) for x in rng)):
            raise ConfigError(f"{path}, field sentiment.range: must be [low, high] (two numbers), not {_kind(rng)}")
        try:
            sentiment = SentimentScale.from_spec(sentiment_spec)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{path}, field sentiment: {exc}") from None
    if "sentiment" in columns and sentiment is None:
        raise ConfigError(f"{path}, field sentiment: column `sentiment` is mapped but no [sentiment] scale is declared")
    platforms_spec = _table(path, spec, "platforms")
    for k, v in platforms_spec.items():
        _string(path, f"platforms.{k}", v)
    fallback = _string(path, "topics.fallback", _table(path, spec, "topics").get("fallback", "none"))
    if fallback not in TOPIC_FALLBACKS:
        raise ConfigError(f"{path}, field topics.fallback: {fallback!r} is not one of {', '.join(TOPIC_FALLBACKS)}")
    return ToolMapping(
        tool=spec.get("tool") or path.stem,
        description=spec.get("description", ""),
        columns=columns,
        dates=DateFormat(tuple(formats), tz),
        sentiment=sentiment,
        platform=spec.get("platform"),
        platforms={fold(str(k)): str(v) for k, v in platforms_spec.items()},
        source_path=path,
        topic_fallback=fallback,
        records=spec.get("records"),
    )
