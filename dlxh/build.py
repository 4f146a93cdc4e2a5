"""Run the dbt project: seeds, models, unit tests and data tests into staging, intermediate, marts.

One `dbt build` call does everything (each dbt start costs a few seconds). Statuses are
evaluated as of `as_of`: a day means the end of that day in Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from dlxh.core.calendar import LOCAL
from dlxh.core.config import reporting_start_month
from dlxh.core.errors import DlxhError
from dlxh.core.secret_files import stored_secret
from dlxh.core.settings import Settings, load_settings
from dlxh.dbt import DBT_PROJECT_DIR, dbt_executable, run_dbt

BI_ROLE = "bi_reader"
MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"


def target_path(settings: Settings) -> Path:
    """dbt artifacts of builds live under DLXH_HOME, so two warehouses (or test sessions) never share them."""
    return settings.home / "dbt-target"


@dataclass
class BuildSummary:
    """What one `dbt build` did, from target/run_results.json."""

    as_of: str | None
    elapsed_s: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)  # status -> nodes
    failures: list[str] = field(default_factory=list)
    results: dict[str, dict[str, object]] = field(default_factory=dict)  # unique_id -> status, message, seconds

    @property
    def ok(self) -> bool:
        return not self.failures

    def render(self) -> str:
        parts = ", ".join(f"{n} {status}" for status, n in sorted(self.counts.items()))
        lines = [f"dbt build (as_of {self.as_of or 'now'}): {parts} in {self.elapsed_s:.1f}s"]
        lines += [f"  FAILED {name}" for name in self.failures]
        return "\n".join(lines)


def as_of_timestamp(as_of: date | datetime | None) -> str | None:
    """The instant a build evaluates at: a day means its last second in Asia/Ho_Chi_Minh."""
    if as_of is None:
        return None
    if isinstance(as_of, datetime):
        moment = as_of if as_of.tzinfo else as_of.replace(tzinfo=LOCAL)
    else:
        moment = datetime.combine(as_of, time(23, 59, 59), tzinfo=LOCAL)
    return moment.isoformat()


DEFAULT_TEST_WINDOW_DAYS = 35


def data_test_window_days(settings: Settings, full_refresh: bool) -> int | None:
    """Days of recently updated rows the data tests of the large incremental facts check (None = all rows).

    Incremental builds check DLXH_TEST_WINDOW_DAYS (default 35) days; `all` (or 0) and full refreshes
    check the whole history (see dbt_project/README.md, "Data tests").
    """
    configured = (settings.get("DLXH_TEST_WINDOW_DAYS") or "").strip().lower()
    if full_refresh or configured in ("all", "0"):
        return None
    if not configured:
        return DEFAULT_TEST_WINDOW_DAYS
    if not configured.isdigit():
        raise DlxhError(f"DLXH_TEST_WINDOW_DAYS must be a number of days or 'all', not {configured!r}")
    return int(configured)


def dbt_vars(as_of: date | datetime | None, settings: Settings, full_refresh: bool = False) -> dict[str, object]:
    values: dict[str, object] = {"as_of": as_of_timestamp(as_of)}
    window = data_test_window_days(settings, full_refresh)
    if window is not None:
        values["test_window_days"] = window
    if settings.get("DLXH_DEFAULT_DUE_DAY"):
        values["monthly_due_day"] = settings.default_due_day
    if settings.get("DLXH_MIN_CELL_SIZE"):
        values["min_cell_size"] = int(settings.get("DLXH_MIN_CELL_SIZE") or 5)
    for name, var in (("DLXH_HOT_SPOT_FACTOR", "hot_spot_factor"), ("DLXH_HOT_SPOT_MIN_NEGATIVE", "hot_spot_min_negative")):
        if settings.get(name):
            values[var] = float(settings.get(name) or 0)
    start = reporting_start_month(settings)
    if start is not None:
        values["reporting_start_month"] = start.isoformat()
    return values


def bi_password(settings: Settings) -> str:
    """DLXH_BI_PASSWORD, else a generated password kept in $DLXH_HOME/bi_reader-password."""
    configured = settings.get("DLXH_BI_PASSWORD")
    if configured:
        return configured
    return stored_secret(settings.home / "bi_reader-password", lambda: secrets.token_urlsafe(24))


def ensure_bi_reader(settings: Settings | None = None) -> None:
    """Give the bi_reader role (created by dlxh/core/sql/060_roles.sql) its login password."""
    from psycopg2 import sql

    from dlxh.core.db import connection

    settings = settings or load_settings()
    with connection(autocommit=True) as conn:
        with conn.cursor() as cur:
            cur.execute("select 1 from pg_roles where rolname = %s", (BI_ROLE,))
            if cur.fetchone() is None:
                raise DlxhError(
                    f"role {BI_ROLE} does not exist: the warehouse user could not create it (needs CREATEROLE). "
                    f"Create it once as a superuser: `create role {BI_ROLE} login`."
                )
            cur.execute(sql.SQL("alter role {} with login password %s").format(sql.Identifier(BI_ROLE)), (bi_password(settings),))
            from dlxh.core.db import airflow_target

            try:
                keep = {airflow_target(settings).user}
            except Exception:  # noqa: BLE001 - no Airflow database configured: nothing more to keep
                keep = set()
            for skipped in harden_bi_reader(cur, keep):
                print(f"warning: bi_reader hardening skipped (not allowed): {skipped}", file=sys.stderr)


def publish_config(settings: Settings | None = None) -> dict[str, int]:
    """The config folder's reference tables into the warehouse's `config` schema (dbt reads them)."""
    from dlxh.core.config.sync import sync_config
    from dlxh.core.db import connect, transaction
    from ingestion.sources import ensure_tables

    with transaction() as conn, conn.cursor() as cur:
        counts = sync_config(cur, settings)
    # The raw tables of sources that bring their own DDL exist before dbt reads them.
    conn = connect()
    try:
        ensure_tables(conn)
    finally:
        conn.close()
    return counts


BI_CONNECTION_LIMIT = 20
BI_STATEMENT_TIMEOUT = "60s"


def harden_bi_reader(cur, keep_connect: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """What bi_reader may do beyond SELECT on the marts and quality: nothing.

    * no CONNECT to any other database of the server (`airflow`, `postgres`, ...): PUBLIC loses
      CONNECT there (the owners and the warehouse user keep it); bi_reader gets CONNECT on the
      warehouse only;
    * no TEMP tables (PUBLIC loses TEMPORARY on the warehouse), no CREATE in schema public, so no
      tables or functions of its own;
    * at most 20 connections, statements cut at 60 s, idle transactions at 5 min.

    Each statement runs on its own (autocommit); one the warehouse user may not run (an external
    server where it is not superuser) is skipped and returned, so the caller can say so.
    """
    from psycopg2 import errors, sql

    skipped: list[str] = []

    def run(statement) -> None:
        try:
            cur.execute(statement)
        except (errors.InsufficientPrivilege, errors.DependentObjectsStillExist) as exc:
            skipped.append(f"{statement.as_string(cur) if hasattr(statement, 'as_string') else statement}: {str(exc).strip()}")

    role = sql.Identifier(BI_ROLE)
    cur.execute("select current_database(), current_user")
    warehouse, me = cur.fetchone()
    cur.execute(
        "select datname, pg_get_userbyid(datdba) from pg_database where datallowconn and not datistemplate and datname <> %s",
        (warehouse,),
    )
    for dbname, owner in cur.fetchall():
        db = sql.Identifier(dbname)
        run(sql.SQL("revoke connect, temporary on database {} from public").format(db))
        run(sql.SQL("revoke all on database {} from {}").format(db, role))
        for grantee in {owner, me, *keep_connect}:
            run(sql.SQL("grant connect on database {} to {}").format(db, sql.Identifier(grantee)))
    wh = sql.Identifier(warehouse)
    run(sql.SQL("revoke temporary on database {} from public").format(wh))
    run(sql.SQL("revoke temporary on database {} from {}").format(wh, role))
    run(sql.SQL("grant connect on database {} to {}").format(wh, role))
    run(sql.SQL("grant connect, temporary on database {} to {}").format(wh, sql.Identifier(me)))  # dbt's temp tables
    run(sql.SQL("revoke create on schema public from public"))
    run(
        sql.SQL("alter role {} nosuperuser nocreatedb nocreaterole noreplication connection limit {}").format(
            role, sql.Literal(BI_CONNECTION_LIMIT)
        )
    )
    run(sql.SQL("alter role {} set statement_timeout = {}").format(role, sql.Literal(BI_STATEMENT_TIMEOUT)))
    run(sql.SQL("alter role {} set idle_in_transaction_session_timeout = '5min'").format(role))
    run(sql.SQL("alter role {} set temp_file_limit = '1GB'").format(role))
    return skipped


def _summary(as_of: str | None, run_results: Path) -> BuildSummary:
    summary = BuildSummary(as_of=as_of)
    if not run_results.is_file():
        return summary
    data = json.loads(run_results.read_text(encoding="utf-8"))
    summary.elapsed_s = float(data.get("elapsed_time") or 0.0)
    for result in data.get("results", []):
        status = str(result.get("status"))
        summary.counts[status] = summary.counts.get(status, 0) + 1
        summary.results[str(result.get("unique_id"))] = {
            "status": status,
            "message": (result.get("message") or "").strip()[:300],
            "seconds": round(float(result.get("execution_time") or 0.0), 2),
        }
        if status in ("error", "fail", "runtime error"):
            summary.failures.append(f"{result.get('unique_id')}: {(result.get('message') or '').strip()[:300]}")
    return summary


def build(
    as_of: date | datetime | None = None,
    select: str | None = None,
    full_refresh: bool = False,
    indirect_selection: str | None = None,
    check: bool = True,
) -> BuildSummary:
    """`dbt build` (seeds, models, unit tests, data tests) with the as-of instant; raises DlxhError on failure
    (with check=False only when dbt wrote no results: the summary then carries each node's outcome)."""
    from dlxh.core.db import ensure_up

    settings = load_settings()
    ensure_up(settings)
    ensure_bi_reader(settings)
    publish_config(settings)
    variables = dbt_vars(as_of, settings, full_refresh)
    artifacts = target_path(settings)
    run_results = artifacts / "run_results.json"
    run_results.unlink(missing_ok=True)
    args = ["build", "--vars", json.dumps(variables), "--target-path", str(artifacts)]
    if select:
        args += ["--select", select]
    if full_refresh:
        args.append("--full-refresh")
    if indirect_selection:
        args += ["--indirect-selection", indirect_selection]
    error: DlxhError | None = None
    try:
        run_dbt(args, settings, capture=True)
    except DlxhError as exc:
        error = exc
    summary = _summary(variables["as_of"], run_results)  # type: ignore[arg-type]
    print(summary.render())
    if not check and summary.results:
        return summary
    if error is not None or not summary.ok:
        raise DlxhError(f"dbt build failed: {len(summary.failures)} node(s) failed.\n{summary.render()}\n{error or ''}".rstrip())
    return summary


def compile_manifest(settings: Settings | None = None) -> Path:
    """Write dbt_project/target/manifest.json (for astronomer-cosmos LoadMode.DBT_MANIFEST).

    `dbt parse` renders the profile but does not connect, so this never needs a database, a
    running server or its password: placeholder connection values are always used (reading the
    embedded server's password would fail on a fresh clone when DLXH_PG_PORT is set).
    """
    settings = settings or load_settings()
    env = {
        "DLXH_PG_HOST": "127.0.0.1",
        "DLXH_PG_PORT_RESOLVED": "5432",
        "DLXH_PG_USER": "dlxh",
        "DLXH_PG_PASSWORD": "",
        "DLXH_PG_DBNAME": "warehouse",
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
        "DBT_LOG_PATH": str(settings.logs_dir / "dbt"),
        "DBT_TARGET_PATH": str(DBT_PROJECT_DIR / "target"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }
    cmd = [dbt_executable(), "parse", "--project-dir", str(DBT_PROJECT_DIR)]
    proc = subprocess.run(cmd, env={**os.environ, **env}, cwd=DBT_PROJECT_DIR, capture_output=True, text=True)
    if proc.returncode != 0 or not MANIFEST.is_file():
        raise DlxhError(f"dbt parse failed (exit {proc.returncode}):\n{(proc.stdout or '')[-3000:]}{proc.stderr or ''}")
    return MANIFEST


def docs_generate(settings: Settings | None = None) -> Path:
    """`dbt docs generate` (reads the catalog from the warehouse); returns the folder with index.html."""
    settings = settings or load_settings()
    artifacts = target_path(settings)
    run_dbt(["docs", "generate", "--target-path", str(artifacts)], settings, capture=True)
    if not (artifacts / "catalog.json").is_file():
        raise DlxhError(f"dbt docs generate wrote no catalog.json in {artifacts}")
    return artifacts
