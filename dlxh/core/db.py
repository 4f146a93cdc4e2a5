"""Connections to the warehouse and Airflow databases, whether embedded or external."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from dlxh.core.errors import DatabaseUnavailable
from dlxh.core.settings import PgTarget, Settings, load_settings


def warehouse_target(settings: Settings | None = None) -> PgTarget:
    settings = settings or load_settings()
    if settings.database_url:
        return PgTarget.from_url(settings.database_url)
    from dlxh.core.pg_embedded import EmbeddedPostgres

    return EmbeddedPostgres(settings).target("warehouse")


def airflow_target(settings: Settings | None = None) -> PgTarget:
    settings = settings or load_settings()
    if settings.airflow_database_url:
        return PgTarget.from_url(settings.airflow_database_url)
    if settings.database_url:
        wh = PgTarget.from_url(settings.database_url)
        return PgTarget(wh.host, wh.port, wh.user, wh.password, "airflow")
    from dlxh.core.pg_embedded import EmbeddedPostgres

    return EmbeddedPostgres(settings).target("airflow")


def ensure_up(settings: Settings | None = None) -> PgTarget:
    """Start the embedded server if it is the configured one, create databases and schemas."""
    settings = settings or load_settings()
    if settings.embedded:
        from dlxh.core.pg_embedded import EmbeddedPostgres

        server = EmbeddedPostgres(settings)
        server.start()
        server.ensure_databases()
    target = warehouse_target(settings)
    from dlxh.core.schema import apply_schema

    with connection(target) as conn:
        apply_schema(conn)
    return target


def connect(target: PgTarget | None = None, autocommit: bool = False):
    import psycopg2

    target = target or warehouse_target()
    try:
        conn = psycopg2.connect(**target.dsn_kwargs(), application_name="dlxh", connect_timeout=10)
    except psycopg2.OperationalError as exc:
        raise DatabaseUnavailable(
            f"cannot connect to PostgreSQL at {target.host}:{target.port}/{target.dbname}: {str(exc).strip()}\n"
            "Start the embedded server with `dlxh db up`, or check DLXH_DATABASE_URL."
        ) from exc
    conn.autocommit = autocommit
    return conn


@contextmanager
def connection(target: PgTarget | None = None, autocommit: bool = False) -> Iterator[Any]:
    """One connection, closed on leaving; transactions are the caller's (`with conn:`, commit, or autocommit)."""
    conn = connect(target, autocommit=autocommit)
    try:
        yield conn
    finally:
        conn.close()


@contextmanager
def transaction(target: PgTarget | None = None) -> Iterator[Any]:
    """One connection, one transaction: committed on success, rolled back on any error."""
    with connection(target) as conn:
        with conn:
            yield conn


def _copy_escape(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = value if isinstance(value, str) else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_rows(cur: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], chunk_bytes: int = 8 << 20) -> int:
    """Bulk-load rows with COPY FROM STDIN (text format), streaming in bounded chunks."""
    cols = ", ".join(f'"{c}"' for c in columns)
    sql = f"copy {table} ({cols}) from stdin"
    buf = io.StringIO()
    count = 0
    for row in rows:
        buf.write("\t".join(_copy_escape(v) for v in row))
        buf.write("\n")
        count += 1
        if buf.tell() >= chunk_bytes:
            buf.seek(0)
            cur.copy_expert(sql, buf)
            buf = io.StringIO()
    if buf.tell():
        buf.seek(0)
        cur.copy_expert(sql, buf)
    return count
