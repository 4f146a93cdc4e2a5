"""Source specs are the one truth about sources: their keys are the database's, and a new source
package is picked up by the CLI, the ingest loop, the DAGs and `dlxh run` with no other edit."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_every_source_package_declares_a_spec_named_like_it():
    import ingestion
    from ingestion.sources import source_names

    packages = {p.parent.name for p in Path(ingestion.__path__[0]).glob("*/spec.py")}
    assert set(source_names()) == packages
    assert source_names()[0] == "units"  # every other source resolves units by the registry


def test_declared_keys_are_the_tables_primary_keys(warehouse):
    from ingestion.sources import ensure_tables, specs

    ensure_tables(warehouse)
    with warehouse.cursor() as cur:
        for spec in specs():
            for table in spec.tables:
                schema, name = table.name.split(".")
                cur.execute(
                    """select array_agg(a.attname::text order by k.ord)
                       from pg_index i
                       join pg_class c on c.oid = i.indrelid
                       join pg_namespace n on n.oid = c.relnamespace
                       cross join lateral unnest(i.indkey) with ordinality as k(attnum, ord)
                       join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
                       where i.indisprimary and n.nspname = %s and c.relname = %s""",
                    (schema, name),
                )
                assert tuple(cur.fetchone()[0] or ()) == table.key, f"{spec.name}: {table.name}"
            if spec.months_sql():
                cur.execute(spec.months_sql(), (-1,))  # the months query runs on the declared table
                assert cur.fetchall() == []


PILOT_SPEC = """
from pathlib import Path

from ingestion.spec import RawTable, SourceSpec

SPEC = SourceSpec(
    name="pilot",
    title="a pilot source added by one package",
    factory="ingestion.pilot.source:PilotSource",
    suffixes=frozenset({".csv"}),
    tables=(RawTable("raw.pilot_rows", ("file_hash", "row_number")),),
    months_from=("raw.pilot_rows", "period_month"),
    ddl=("sql/pilot.sql",),
    order=90,
    package_dir=Path(__file__).parent,
)
"""

PILOT_DDL = """
create table if not exists raw.pilot_rows (
    file_hash text not null,
    row_number integer not null,
    load_id bigint not null,
    period_month date not null,
    note text,
    primary key (file_hash, row_number)
);
"""

PILOT_SOURCE = """
import csv
import io
from datetime import date
from typing import ClassVar

from ingestion.framework import Quarantined
from ingestion.pilot.spec import SPEC
from ingestion.spec import SourceSpec


class PilotSource:
    spec: ClassVar[SourceSpec] = SPEC
    name: ClassVar[str] = SPEC.name
    suffixes: ClassVar[frozenset[str]] = SPEC.suffixes

    def load_file(self, cur, ctx, outcome):
        for n, row in enumerate(csv.DictReader(io.StringIO(ctx.data.decode("utf-8"))), start=2):
            outcome.rows_read += 1
            try:
                month = date.fromisoformat(row["month"] + "-01")
            except ValueError:
                outcome.quarantine(Quarantined("bad_month", f"month {row['month']!r} is not YYYY-MM", n, "month"))
                continue
            cur.execute(
                "insert into raw.pilot_rows values (%s, %s, %s, %s, %s) on conflict do nothing",
                (ctx.file_hash, n, ctx.load_id, month, row["note"]),
            )
            outcome.rows_loaded += cur.rowcount
            outcome.rows_unchanged += 1 - cur.rowcount
"""


@pytest.fixture()
def pilot_package(tmp_path, monkeypatch):
    """A new source package, written beside the real ones (on the `ingestion` package path)."""
    import ingestion
    from ingestion import sources

    extra = tmp_path / "extra_sources"
    pkg = extra / "pilot"
    (pkg / "sql").mkdir(parents=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "spec.py").write_text(PILOT_SPEC, encoding="utf-8")
    (pkg / "source.py").write_text(PILOT_SOURCE, encoding="utf-8")
    (pkg / "sql" / "pilot.sql").write_text(PILOT_DDL, encoding="utf-8")
    monkeypatch.setattr(ingestion, "__path__", [*ingestion.__path__, str(extra)])
    sources.specs.cache_clear()
    sys.modules.pop("dlxh.orchestration.assets", None)  # its assets are read from the specs once
    yield extra
    sources.specs.cache_clear()
    for name in [m for m in sys.modules if m.startswith("ingestion.pilot")] + ["dlxh.orchestration.assets"]:
        sys.modules.pop(name, None)


def test_a_new_source_package_is_ingested_with_no_other_edit(pilot_package, warehouse, tmp_path):
    from dlxh.orchestration.runner import pipeline
    from ingestion.framework import run_ingest
    from ingestion.sources import get_source, source_names, spec_of

    assert "pilot" in source_names()
    assert ("dlxh_ingest_pilot", None) in pipeline()
    assert [d for d, _ in pipeline()].index("dlxh_ingest_pilot") < [d for d, _ in pipeline()].index("dlxh_build")
    export = tmp_path / "pilot.csv"
    export.write_text("month,note\n2025-05,ok\n2025-06,second\nthang5,bad\n", encoding="utf-8")
    summary = run_ingest(get_source("pilot"), [export], warehouse, progress=None)  # its DDL applied on the way
    totals = summary.totals()
    assert (totals["rows_read"], totals["rows_loaded"], totals["rows_quarantined"]) == (3, 2, 1)
    assert summary.reconciles()
    with warehouse.cursor() as cur:
        cur.execute(spec_of("pilot").months_sql(), (summary.load_id,))
        assert sorted(r[0].isoformat() for r in cur.fetchall()) == ["2025-05-01", "2025-06-01"]
        cur.execute("select row_number, reason_code, field from ops.quarantine where source = 'pilot'")
        assert cur.fetchall() == [(4, "bad_month", "month")]
    again = run_ingest(get_source("pilot"), [export], warehouse, progress=None)
    assert again.totals()["rows_loaded"] == 0  # re-running never duplicates
    with warehouse.cursor() as cur:
        cur.execute("select count(*) from raw.pilot_rows")
        assert cur.fetchone()[0] == 2


def test_a_new_source_gets_its_cli_command_and_dag(pilot_package, airflow_env):
    from airflow.dag_processing.dagbag import DagBag

    env_path = str(pilot_package)
    # The CLI in a fresh process, with the extra package on `ingestion`'s path as in the fixture.
    code = textwrap.dedent(f"""
        import sys, ingestion
        ingestion.__path__.append({env_path!r})
        from dlxh.cli import main
        sys.exit(main(["ingest", "--help"]))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "pilot" in result.stdout and "a pilot source added by one package" in result.stdout

    bag = DagBag(dag_folder=str(ROOT / "dags" / "dlxh_ingest.py"))
    assert not bag.import_errors
    dag = bag.get_dag("dlxh_ingest_pilot")
    assert dag is not None
    assert {o.name for t in dag.tasks for o in t.outlets} == {"warehouse.raw.pilot"}
    build = DagBag(dag_folder=str(ROOT / "dags" / "dlxh_build.py")).get_dag("dlxh_build")
    assert "warehouse.raw.pilot" in {a.name for a in build.timetable.asset_condition.objects}
