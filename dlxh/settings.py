"""One settings surface: environment variables prefixed ``DLXH_`` (plus an optional ``.env``).

Every component (CLI, Airflow tasks, dbt profile, GX context, tests) reads its configuration
through :func:`load_settings`, so a second instance only needs another ``DLXH_HOME`` and
``DLXH_PG_PORT``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOCAL_TZ = "Asia/Ho_Chi_Minh"

# name -> (default, description); the README table is generated from this mapping.
DOCUMENTED_SETTINGS: dict[str, tuple[str, str]] = {
    "DLXH_HOME": ("./.dlxh", "All local state: embedded cluster, AIRFLOW_HOME, inboxes, logs."),
    "DLXH_DATABASE_URL": ("(embedded)", "libpq URL of an existing warehouse database; unset = embedded server."),
    "DLXH_AIRFLOW_DATABASE_URL": ("(embedded)", "Airflow metadata database URL; unset = `airflow` db beside the warehouse."),
    "DLXH_PG_PORT": ("(free port, remembered)", "Port of the embedded PostgreSQL on 127.0.0.1."),
    "DLXH_PG_BIN": ("(auto-detected)", "Folder with initdb/pg_ctl/postgres binaries."),
    "DLXH_PG_OS_USER": ("postgres, else nobody", "Unprivileged OS user that runs the embedded server when started as root."),
    "DLXH_INBOX": ("$DLXH_HOME/inbox", "Inbox root; one sub-folder per source (units, reports, surveys, scans)."),
    "DLXH_DEFAULT_DUE_DAY": ("20", "Day of the report month on which a monthly report is due (00:00 local time)."),
    "DLXH_ALERT_CHANNELS": ("log", "Comma-separated alert channels: log, email, webhook."),
}


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

    def dsn_kwargs(self) -> dict[str, object]:
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

    def get(self, name: str, default: str | None = None) -> str | None:
        """Any other `DLXH_*` setting (used by alerts, surveys, ...)."""
        return self.raw.get(name, default)


def load_settings() -> Settings:
    env = _env()
    home = Path(env.get("DLXH_HOME") or "./.dlxh").expanduser()
    if not home.is_absolute():
        home = (Path.cwd() / home).resolve()
    inbox = Path(env["DLXH_INBOX"]).expanduser().resolve() if env.get("DLXH_INBOX") else home / "inbox"
    port = env.get("DLXH_PG_PORT")
    channels = tuple(c.strip() for c in env.get("DLXH_ALERT_CHANNELS", "log").split(",") if c.strip())
    return Settings(
        home=home,
        database_url=env.get("DLXH_DATABASE_URL") or None,
        airflow_database_url=env.get("DLXH_AIRFLOW_DATABASE_URL") or None,
        pg_port=int(port) if port else None,
        pg_bin=env.get("DLXH_PG_BIN") or None,
        pg_os_user=env.get("DLXH_PG_OS_USER") or None,
        inbox=inbox,
        default_due_day=int(env.get("DLXH_DEFAULT_DUE_DAY", "20")),
        alert_channels=channels,
        raw=env,
    )
