"""Create the warehouse schemas and tables idempotently from the numbered files in `dlxh/core/sql/`."""

from __future__ import annotations

from pathlib import Path

SQL_DIR = Path(__file__).parent / "sql"
# Any constant works: it serialises concurrent bootstraps (CLI and Airflow tasks at once).
SCHEMA_LOCK = 8_420_251


def schema_files() -> list[Path]:
    return sorted(SQL_DIR.glob("*.sql"))


def apply_schema(conn) -> list[str]:
    applied = []
    with conn, conn.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        for path in schema_files():
            cur.execute(path.read_text(encoding="utf-8"))
            applied.append(path.name)
    return applied
