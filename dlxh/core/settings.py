"""One settings surface: environment variables prefixed ``DLXH_`` (plus an optional ``.env``).

Every component (CLI, Airflow tasks, dbt profile, GX context, tests) reads its configuration
through :func:`load_settings`, so a second instance only needs another ``DLXH_HOME`` and
``DLXH_PG_PORT``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload
from urllib.parse import quote, urlsplit

from dlxh.core.errors import ConfigError

# The project folder: dbt_project/, dags/, templates/ and .env are found here. DLXH_PROJECT_DIR when
# set (an installed wheel carries only the packages and their data), else the folder holding the
# `dlxh` package (a checkout or an editable install).
PROJECT_ROOT = Path(os.environ.get("DLXH_PROJECT_DIR") or Path(__file__).resolve().parents[2]).resolve()
LOCAL_TZ = "Asia/Ho_Chi_Minh"
# Range of a monthly due day (as config report_types.csv: every month has it).
DUE_DAY_RANGE = (1, 28)


def _read_dotenv(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw_line in path.read_text(encoding="utf-8").splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        value = value.strip().strip('"').strip("'")
        values[key] = value
    return values


def _env() -> dict[str, str]:
    """Process environment over `.env` (the process always wins)."""
    merged = _read_dotenv(Path.cwd() / ".env")
    if Path.cwd() != PROJECT_ROOT:
        merged = {**_read_dotenv(PROJECT_ROOT / ".env"), **merged}
    merged.update({k: v for k, v in os.environ.items() if k.startswith(("DLXH_", "AIRFLOW"))})
    return merged


@dataclass(frozen=True)
class PgTarget:
    """Connection parameters of one PostgreSQL database."""

    host: str
    port: int
    user: str
    password: str
    dbname: str

    def url(self, driver: str = "postgresql") -> str:
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        return f"{driver}://{auth}@{self.host}:{self.port}/{quote(self.dbname, safe='')}"

    def dsn_kwargs(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "dbname": self.dbname,
        }

    @classmethod
    def from_url(cls, url: str) -> PgTarget:
        from urllib.parse import unquote

        parts = urlsplit(url)
        if parts.scheme.split("+")[0] not in ("postgres", "postgresql"):
            raise ValueError(f"not a PostgreSQL URL (scheme {parts.scheme!r}): set DLXH_DATABASE_URL=postgresql://user:pass@host:port/db")
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            dbname=unquote(parts.path.lstrip("/")) or "warehouse",
        )


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str | None
    airflow_database_url: str | None
    pg_port: int | None
    pg_bin: str | None
    pg_os_user: str | None
    inbox: Path
    default_due_day: int
    alert_channels: tuple[str, ...]
    raw: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    @property
    def pg_dir(self) -> Path:
        return self.home / "pg"

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    def inbox_for(self, source: str) -> Path:
        return self.inbox / source

    @overload
    def get(self, name: str, default: str) -> str: ...
    @overload
    def get(self, name: str, default: None = None) -> str | None: ...

    def get(self, name: str, default: str | None = None) -> str | None:
        """Any other `DLXH_*` setting (used by alerts, surveys, ...)."""
        return self.raw.get(name, default)


def is_checkout(root: Path = PROJECT_ROOT) -> bool:
    """True when the code runs from a source checkout (not from an installed wheel)."""
    return (root / "pyproject.toml").is_file() and (root / "dbt_project" / "dbt_project.yml").is_file()


def default_home() -> Path:
    """DLXH_HOME when unset: the checkout's `.dlxh`, so `dlxh` run from any folder finds the same
    instance; an installed wheel has no checkout, so `./.dlxh` in the working directory."""
    return PROJECT_ROOT / ".dlxh" if is_checkout() else Path.cwd() / ".dlxh"


def _int_setting(env: dict[str, str], name: str, low: int, high: int) -> int | None:
    value = (env.get(name) or "").strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a whole number (expected {low}..{high})") from None
    if not low <= number <= high:
        raise ConfigError(f"{name}={number} is out of range (expected {low}..{high})")
    return number


def _check_home(home: Path) -> None:
    """DLXH_HOME must be a folder this process can create and write to."""
    existing = home
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"DLXH_HOME={home} is not usable: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"DLXH_HOME={home} is not writable by this user ({existing} is read-only for uid {os.getuid()})")


def _check_database_url(name: str, url: str | None) -> None:
    if not url:
        return
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ConfigError(f"{name} is not a valid URL ({exc}); expected postgresql://user:pass@host:port/db") from None
    if parts.scheme.split("+")[0] not in ("postgres", "postgresql") or not parts.netloc and not parts.path.strip("/"):
        raise ConfigError(f"{name}={url.split('@')[-1]!r} is not a PostgreSQL URL; expected postgresql://user:pass@host:port/db")


def load_settings() -> Settings:
    """Read and validate the settings; a bad one raises ConfigError (the CLI prints it, exit 2)."""
    env = _env()
    home = Path(env["DLXH_HOME"]).expanduser() if env.get("DLXH_HOME") else default_home()
    if not home.is_absolute():
        home = (Path.cwd() / home).resolve()
    _check_home(home)
    inbox = Path(env["DLXH_INBOX"]).expanduser().resolve() if env.get("DLXH_INBOX") else home / "inbox"
    _check_database_url("DLXH_DATABASE_URL", env.get("DLXH_DATABASE_URL"))
    _check_database_url("DLXH_AIRFLOW_DATABASE_URL", env.get("DLXH_AIRFLOW_DATABASE_URL"))
    port = _int_setting(env, "DLXH_PG_PORT", 1, 65535)
    for name in ("DLXH_AIRFLOW_PORT", "DLXH_SMTP_PORT"):
        _int_setting(env, name, 1, 65535)
    _int_setting(env, "DLXH_DOCS_PORT", 0, 65535)
    for name in ("DLXH_TASK_RETRIES", "DLXH_RETRY_DELAY_SECONDS", "DLXH_MIN_CELL_SIZE"):
        _int_setting(env, name, 0, 10**9)
    _int_setting(env, "DLXH_SURVEY_CHUNK_ROWS", 1, 10**9)
    due_day = _int_setting(env, "DLXH_DEFAULT_DUE_DAY", *DUE_DAY_RANGE)
    channels = tuple(c.strip() for c in env.get("DLXH_ALERT_CHANNELS", "log").split(",") if c.strip())
    return Settings(
        home=home,
        database_url=env.get("DLXH_DATABASE_URL") or None,
        airflow_database_url=env.get("DLXH_AIRFLOW_DATABASE_URL") or None,
        pg_port=port,
        pg_bin=env.get("DLXH_PG_BIN") or None,
        pg_os_user=env.get("DLXH_PG_OS_USER") or None,
        inbox=inbox,
        default_due_day=due_day if due_day is not None else 20,
        alert_channels=channels,
        raw=env,
    )
