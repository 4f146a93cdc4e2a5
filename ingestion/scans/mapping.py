"""Declarative mapping of one monitoring tool's export onto the scan fields.

One file per tool in ``ingestion/scans/mappings/`` (TOML, YAML or JSON); supporting a new tool
means adding a file, not code. See docs/scans.md for the format.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dlxh.errors import ConfigError
from ingestion.scans.sentiment import SentimentScale

MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"
FIELDS = (
    "url", "platform", "published_at", "captured_at", "title", "text", "author",
    "likes", "shares", "comments", "views", "sentiment", "topic", "place",
)
ENGAGEMENT = ("likes", "shares", "comments", "views")
DATE_FIELDS = ("published_at", "captured_at")
FIELD_LABELS_VI = {
    "url": "đường dẫn", "platform": "nền tảng", "published_at": "thời gian đăng", "captured_at": "thời gian quét",
    "title": "tiêu đề", "text": "nội dung", "author": "tác giả", "likes": "lượt thích", "shares": "lượt chia sẻ",
    "comments": "bình luận", "views": "lượt xem", "sentiment": "sắc thái", "topic": "chủ đề", "place": "địa bàn",
}


# The regexes strptime itself uses for these directives (CPython's _strptime.TimeRE).
_NUMERIC_DIRECTIVES = {
    "%d": r"(3[01]|[12]\d|0[1-9]|[1-9]| [1-9])", "%m": r"(1[0-2]|0[1-9]|[1-9])", "%Y": r"(\d\d\d\d)",
    "%H": r"(2[0-3]|[0-1]\d|\d)", "%M": r"([0-5]\d|\d)", "%S": r"(6[0-1]|[0-5]\d|\d)",
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
        object.__setattr__(self, "_fast", tuple(_numeric_pattern(f) if f not in ("iso", "epoch", "epoch_ms") else None for f in self.formats))

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
        int(g[y]), int(g[mo]), int(g[d]), int(g[h]) if h >= 0 else 0, int(g[mi]) if mi >= 0 else 0,
        int(g[sec]) if sec >= 0 else 0, tzinfo=tz,
    )


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


def available_tools(directory: Path = MAPPINGS_DIR) -> list[str]:
    return sorted({p.stem for p in directory.glob("*") if p.suffix in (".toml", ".json", ".yaml", ".yml")})


def _read_spec(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".toml":
        return tomllib.loads(text)
    if path.suffix == ".json":
        return json.loads(text)
    import yaml

    return yaml.safe_load(text)


def _check_shape(path: Path, spec: object) -> None:
    """ConfigError naming the file and key when a mapping's value has the wrong type
    (`format = 5`, `columns = "url"`), instead of a traceback further down."""
    if not isinstance(spec, dict):
        raise ConfigError(f"{path}: a mapping must be a table of settings, not {type(spec).__name__}")
    tables = {"columns": "[columns] table of field = column", "dates": "[dates] table", "platforms": "[platforms] table",
              "sentiment": "[sentiment] table"}
    for key, what in tables.items():
        if key in spec and not isinstance(spec[key], dict):
            raise ConfigError(f"{path}: `{key}` must be a {what}, not {type(spec[key]).__name__} {spec[key]!r}")
    for key, value in (spec.get("columns") or {}).items():
        if not isinstance(value, str):
            raise ConfigError(f"{path}: [columns] `{key}` must be a column name (a string), not {value!r}")
    dates = spec.get("dates") or {}
    fmt = dates.get("format", "iso")
    if not (isinstance(fmt, str) or (isinstance(fmt, list) and fmt and all(isinstance(f, str) for f in fmt))):
        raise ConfigError(f"{path}: [dates] `format` must be a string or a list of strings (e.g. \"%d/%m/%Y %H:%M\"), not {fmt!r}")
    if "timezone" in dates and not isinstance(dates["timezone"], str):
        raise ConfigError(f"{path}: [dates] `timezone` must be a string such as \"Asia/Ho_Chi_Minh\", not {dates['timezone']!r}")
    for key in ("tool", "description", "platform"):
        if key in spec and not isinstance(spec[key], str):
            raise ConfigError(f"{path}: `{key}` must be a string, not {spec[key]!r}")


def load_mapping(tool: str, directory: Path = MAPPINGS_DIR) -> ToolMapping:
    """The mapping of `tool` (file `<tool>.toml|.yaml|.yml|.json`); ConfigError says what is wrong."""
    from dlxh.text import fold

    candidates = [directory / f"{tool}{ext}" for ext in (".toml", ".yaml", ".yml", ".json")]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise ConfigError(f"no mapping for scan tool {tool!r} in {directory}; known tools: {', '.join(available_tools(directory)) or 'none'}")
    try:
        spec = _read_spec(path)
    except Exception as exc:
        raise ConfigError(f"{path}: cannot parse mapping ({type(exc).__name__}: {exc})") from exc
    _check_shape(path, spec)
    columns = {str(k): str(v) for k, v in (spec.get("columns") or {}).items() if v}
    unknown = sorted(set(columns) - set(FIELDS))
    if unknown:
        raise ConfigError(f"{path}: unknown fields in [columns]: {', '.join(unknown)}; allowed: {', '.join(FIELDS)}")
    if "url" not in columns and "text" not in columns:
        raise ConfigError(f"{path}: [columns] must map at least `url` or `text`")
    dates_spec = spec.get("dates") or {}
    formats = dates_spec.get("format", "iso")
    formats = (formats,) if isinstance(formats, str) else tuple(formats)
    try:
        tz = ZoneInfo(dates_spec.get("timezone", "Asia/Ho_Chi_Minh"))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{path}: unknown timezone {dates_spec.get('timezone')!r}") from exc
    sentiment = None
    if spec.get("sentiment"):
        try:
            sentiment = SentimentScale.from_spec(spec["sentiment"])
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc
    if "sentiment" in columns and sentiment is None:
        raise ConfigError(f"{path}: column `sentiment` is mapped but no [sentiment] scale is declared")
    return ToolMapping(
        tool=spec.get("tool", tool),
        description=spec.get("description", ""),
        columns=columns,
        dates=DateFormat(formats, tz),
        sentiment=sentiment,
        platform=spec.get("platform"),
        platforms={fold(str(k)): str(v) for k, v in (spec.get("platforms") or {}).items()},
        source_path=path,
    )
