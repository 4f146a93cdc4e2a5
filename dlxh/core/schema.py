"""Create the warehouse schemas and tables idempotently from the numbered files in `dlxh/core/sql/`.

Every `dlxh` process and Airflow task starts by bringing the schema up to date, so that step must
cost nothing when the schema is current: DDL such as `alter table ... add column if not exists`
or `create index if not exists` locks its table even when there is nothing to do, and a second
process re-running it while the first loads a file deadlocked the two (ops.files locked by one,
raw.scan_items by the other). The fingerprint of the SQL applied last is kept per scope in
ops.schema_applied; DDL runs only when the files changed (or that row is gone).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SQL_DIR = Path(__file__).parent / "sql"
# Any constant works: it serialises concurrent bootstraps (CLI and Airflow tasks at once).
SCHEMA_LOCK = 8_420_251

_FINGERPRINT_TABLE = """
create table if not exists ops.schema_applied (
    scope text primary key,
    fingerprint text not null,
    applied_at timestamptz not null default now()
)"""


def schema_files() -> list[Path]:
    return sorted(SQL_DIR.glob("*.sql"))


def fingerprint(files: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def apply_sql_files(conn: Any, files: Sequence[Path], scope: str) -> list[str]:
    """Run `files` in one transaction unless the same files were applied last for `scope`.

    Returns the names of the files run (empty when the schema was current). The check takes
    no lock on any table, only the schema advisory lock.
    """
    wanted = fingerprint(files)
    with conn, conn.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        cur.execute("select to_regclass('ops.schema_applied') is not null")
        if cur.fetchone()[0]:
            cur.execute("select fingerprint from ops.schema_applied where scope = %s", (scope,))
            row = cur.fetchone()
            if row and row[0] == wanted:
                return []
        for path in files:
            cur.execute(path.read_text(encoding="utf-8"))
        cur.execute("create schema if not exists ops")
        cur.execute(_FINGERPRINT_TABLE)
        cur.execute(
            """insert into ops.schema_applied (scope, fingerprint) values (%s, %s)
               on conflict (scope) do update set fingerprint = excluded.fingerprint, applied_at = now()""",
            (scope, wanted),
        )
    return [path.name for path in files]


def apply_schema(conn: Any) -> list[str]:
    return apply_sql_files(conn, schema_files(), "warehouse")
