"""Write the reference tables in force into the warehouse's `config` schema, where dbt reads them
(`source('config', ...)`) and BI can join them. Run before every dbt build; one transaction, so a
build never sees half a table."""

from __future__ import annotations

from typing import Any

from dlxh.core.config import SPECS, FileSpec, check
from dlxh.core.settings import Settings


def _ddl(spec: FileSpec) -> str:
    columns = ", ".join(f"{c.name} {c.sql_type}" for c in spec.columns)
    return f"create table config.{spec.name} ({columns}, source_file text not null, line_number integer not null)"


def _cell(value: Any) -> Any:
    if isinstance(value, tuple):
        return ";".join(value)
    return value


def sync_config(cur: Any, settings: Settings | None = None) -> dict[str, int]:
    """Validate the config folder and replace the `config.*` tables with it; returns rows per table."""
    tables = check(settings)
    cur.execute("create schema if not exists config")
    counts: dict[str, int] = {}
    for name, loaded in tables.items():
        spec = SPECS[name]
        cur.execute(
            "select string_agg(column_name || ' ' || data_type, ',' order by ordinal_position) from information_schema.columns "
            "where table_schema = 'config' and table_name = %s",
            (name,),
        )
        existing = cur.fetchone()[0]
        wanted = [c.name for c in spec.columns] + ["source_file", "line_number"]
        if existing is None or [part.split(" ")[0] for part in existing.split(",")] != wanted:
            # New or changed layout (an upgrade): recreate; dbt rebuilds the views over it.
            cur.execute(f"drop table if exists config.{name} cascade")
            cur.execute(_ddl(spec))
        else:
            cur.execute(f"truncate config.{name}")
        columns = ", ".join(wanted)
        placeholders = ", ".join(["%s"] * len(wanted))
        rows = [
            tuple(_cell(row[c.name]) for c in spec.columns) + (str(loaded.path), line)
            for row, line in zip(loaded.rows, loaded.lines, strict=True)
        ]
        if rows:
            cur.executemany(f"insert into config.{name} ({columns}) values ({placeholders})", rows)
        counts[name] = len(rows)
    return counts
