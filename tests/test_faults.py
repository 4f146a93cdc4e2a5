"""Faults: two `dlxh ingest` processes on the same files at once, and the real embedded server
stopped (`pg_ctl stop -m immediate`) in the middle of an ingest.

Nothing is simulated: the ingests are real `dlxh` processes, the server is really stopped. No
test waits a fixed time: each waits for a state it can observe (a backend blocked on a lock,
rows being written), with a generous ceiling.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

AS_OF = date(2026, 11, 26)
DLXH = str(Path(sys.executable).with_name("dlxh"))


@pytest.fixture(scope="module")
def demo(dlxh_home: Path, warehouse_target) -> dict[str, list[Path]]:
    from dlxh.demo import write_demo

    return write_demo(dlxh_home / "demo-faults", AS_OF, months=3)


def _args(source: str, demo: dict[str, list[Path]]) -> list[list[str]]:
    """The `dlxh ingest` argument lists that load a source's demo files (scans: one per tool)."""
    if source == "surveys":
        form = next(p for p in demo["surveys"] if p.name == "form.xlsx")
        return [["surveys", *[str(p) for p in demo["surveys"] if p != form], "--form", str(form)]]
    if source == "scans":
        tools = sorted({p.parent.name for p in demo["scans"]})
        return [["scans", *[str(p) for p in demo["scans"] if p.parent.name == t], "--tool", t] for t in tools]
    return [[source, *[str(p) for p in demo[source]]]]


class _Ingest(subprocess.Popen):
    """A `dlxh ingest` process whose output goes to files (a full pipe would block it)."""

    def communicate(self, timeout=None):  # type: ignore[override]
        self.wait(timeout)
        self._out.seek(0)
        self._err.seek(0)
        return self._out.read(), self._err.read()


def _spawn(args: list[str]) -> _Ingest:
    out, err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
    proc = _Ingest([DLXH, "ingest", *args, "--json", "--quiet"], stdout=out, stderr=err, text=True, env=os.environ.copy())
    proc._out, proc._err = out, err
    return proc


def _wait_for(predicate: Callable[[], bool], what: str, ceiling: float = 180.0) -> None:
    deadline = time.monotonic() + ceiling
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def _scalar(conn, sql: str, params=()):
    with conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


def _ingests_waiting(conn, wait_event: str) -> int:
    """How many `dlxh` backends wait on a lock of this kind (advisory, relation, transactionid)."""
    return _scalar(
        conn,
        "select count(*) from pg_stat_activity where application_name = 'dlxh' and wait_event_type = 'Lock' and wait_event = %s",
        (wait_event,),
    )


def _load_units(conn, demo) -> None:
    from ingestion.framework import run_ingest
    from ingestion.sources import get_source

    run_ingest(get_source("units"), demo["units"], conn, progress=None)


@pytest.mark.parametrize("source", ["units", "reports", "surveys", "scans"])
def test_two_processes_ingesting_the_same_files(warehouse, demo, source):
    if source != "units":
        _load_units(warehouse, demo)
    for args in _args(source, demo):
        a, b = _spawn(args), _spawn(args)
        out_a, err_a = a.communicate(timeout=600)
        out_b, err_b = b.communicate(timeout=600)
        assert (a.returncode, b.returncode) == (0, 0), (err_a[-2000:], err_b[-2000:])
        runs = [json.loads(out_a), json.loads(out_b)]
        by_file: dict[str, list[str]] = {}
        for run in runs:
            assert run["reconciles"], run["totals"]
            for f in run["files"]:
                by_file.setdefault(f["file_hash"], []).append(f["status"])
                assert not f["quarantined"], f["quarantined"]
        # Each file was loaded by exactly one process; the other saw it as a duplicate.
        assert all(sorted(statuses) == ["duplicate", "loaded"] for statuses in by_file.values()), by_file
        loaded = sum(r["totals"]["rows_loaded"] + r["totals"]["rows_updated"] for r in runs)
        read = sum(r["totals"]["rows_read"] for r in runs)
        assert loaded == read > 0
    assert _scalar(warehouse, "select count(*) from ops.quarantine where source = %s", (source,)) == 0
    assert _scalar(warehouse, "select count(*) from ops.loads where status <> 'succeeded'") == 0
    if source == "units":
        assert _scalar(warehouse, "select count(*) from raw.units") == read


def test_a_file_transaction_aborted_by_a_deadlock_is_run_again(warehouse, demo):
    """A real deadlock with a `dlxh ingest` process: this test's transaction holds a share lock
    on ops.files, the ingest (inside a file's transaction, holding the source lock) waits for it
    to record the file, then this test asks for the source lock. PostgreSQL aborts the ingest's
    transaction (this session waits longer before checking); the ingest runs the file again and
    loads it once, with no error."""
    from dlxh.core.schema import apply_schema
    from ingestion.sources import ensure_tables

    apply_schema(warehouse)  # (emptied with ops: applied again now, not by the ingest under the lock)
    ensure_tables(warehouse)
    args = _args("units", demo)[0]
    deadlocks_before = _scalar(warehouse, "select deadlocks from pg_stat_database where datname = current_database()")
    other = _restart()
    try:
        with other.cursor() as cur:
            cur.execute("set deadlock_timeout = '60s'")  # so the ingest's backend is the one that detects it
            cur.execute("lock table ops.files in share mode")
            proc = _spawn(args)
            _wait_for(
                lambda: (_ingests_waiting(warehouse, "relation") >= 1) or proc.poll() is not None,
                "the ingest to wait on ops.files",
            )
            assert proc.poll() is None, proc.communicate()
            cur.execute("select pg_advisory_xact_lock(%s, hashtext(%s))", (0x444C5832, "units"))
        other.commit()
        out, err = proc.communicate(timeout=300)
    finally:
        other.close()
    assert proc.returncode == 0, err[-3000:]
    run = json.loads(out)
    assert run["reconciles"] and [f["status"] for f in run["files"]] == ["loaded"] * len(run["files"])
    assert run["totals"]["rows_loaded"] == run["totals"]["rows_read"] > 0
    assert _scalar(warehouse, "select count(*) from raw.units") == run["totals"]["rows_read"]
    assert _scalar(warehouse, "select status from ops.loads where load_id = %s", (run["load_id"],)) == "succeeded"
    assert _scalar(warehouse, "select deadlocks from pg_stat_database where datname = current_database()") > deadlocks_before


def test_a_current_schema_is_applied_without_locking_a_table(warehouse):
    """What every process does first takes no table lock when nothing changed: it does not wait
    for a transaction that holds every raw and ops table exclusively (but the fingerprints)."""
    from dlxh.core.schema import apply_schema
    from ingestion.sources import ensure_tables

    apply_schema(warehouse)
    ensure_tables(warehouse)
    holder = _restart()
    try:
        with holder.cursor() as cur:
            cur.execute(
                "select string_agg(format('%I.%I', schemaname, tablename), ', ') from pg_tables where schemaname in ('raw', 'ops') "
                "and tablename <> 'schema_applied'"
            )
            cur.execute(f"lock table {cur.fetchone()[0]} in access exclusive mode")
            with warehouse.cursor() as mine:
                mine.execute("set lock_timeout = '5s'")  # a wait fails the test instead of hanging it
            warehouse.commit()
            try:
                assert apply_schema(warehouse) == []
                assert ensure_tables(warehouse)
            finally:
                with warehouse.cursor() as mine:
                    mine.execute("reset lock_timeout")
                warehouse.commit()
        holder.rollback()
    finally:
        holder.close()


def _server():
    from dlxh.core.pg_embedded import EmbeddedPostgres
    from dlxh.core.settings import load_settings

    return EmbeddedPostgres(load_settings())


def _stop_immediately() -> None:
    from dlxh.core.pg_embedded import find_pg_bin

    server = _server()
    server._run([str(find_pg_bin(server.settings) / "pg_ctl"), "-D", str(server.data_dir), "-m", "immediate", "-w", "stop"])


def _restart():
    from dlxh.core.db import connect, ensure_up

    return connect(ensure_up())


def _assert_one_line_exit_3(proc: subprocess.Popen) -> None:
    out, err = proc.communicate(timeout=300)
    lines = [line for line in err.splitlines() if line.strip()]
    assert proc.returncode == 3, (proc.returncode, err[-3000:])
    assert len(lines) == 1 and lines[0].startswith("dlxh: error: "), err
    assert "Traceback" not in err


def _retry_cleanly(source: str, args: list[str], stale_load: int, expect_rows: int | None) -> None:
    conn = _restart()
    try:
        assert _scalar(conn, "select status from ops.loads where load_id = %s", (stale_load,)) == "running"
        proc = _spawn(args)
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err[-3000:]
        run = json.loads(out)
        assert run["reconciles"]
        assert _scalar(conn, "select status from ops.loads where load_id = %s", (stale_load,)) == "failed"
        assert all(f["status"] == "loaded" for f in run["files"]), [(f["path"], f["status"]) for f in run["files"]]
        if expect_rows is not None:
            assert run["totals"]["rows_loaded"] == expect_rows
        # Nothing of the killed attempt landed: one more run finds every file already loaded.
        again = json.loads(subprocess.run([DLXH, "ingest", *args, "--json", "--quiet"], capture_output=True, text=True, check=True).stdout)
        assert all(f["status"] == "duplicate" for f in again["files"])
    finally:
        conn.close()


@pytest.mark.parametrize("source", ["units", "reports", "surveys", "scans"])
def test_server_stopped_while_a_file_is_being_loaded(warehouse, demo, source):
    """The process is inside a file's transaction (blocked on the source lock this test holds)
    when the server stops: exit 3, one line; the next run marks the load failed and loads all."""
    if source != "units":
        _load_units(warehouse, demo)
    args = _args(source, demo)[0]
    blocker = _restart()
    with blocker.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(%s, hashtext(%s))", (0x444C5832, source))
        proc = _spawn(args)
        _wait_for(
            lambda: _ingests_waiting(warehouse, "advisory") >= 1,
            "the ingest to wait on the lock",
        )
        load_id = _scalar(warehouse, "select max(load_id) from ops.loads where status = 'running'")
        warehouse.close()
        _stop_immediately()
    _assert_one_line_exit_3(proc)
    blocker.close()
    _retry_cleanly(source, args, load_id, None)


def test_server_stopped_while_a_large_survey_export_is_written(warehouse, dlxh_home: Path):
    """A large export, the server stopped after two chunks of its rows were written: the
    ingest's insert of the third chunk waits on a submission this test is inserting too (an open
    transaction), so the stop lands mid-file."""
    from ingestion.framework import run_ingest
    from ingestion.sources import get_source
    from ingestion.surveys import sample

    folder = dlxh_home / "faults-large-survey"
    folder.mkdir(parents=True, exist_ok=True)
    run_ingest(get_source("units"), [sample.write_units(folder / "units.csv")], warehouse, progress=None)
    form = sample.write_xlsform(folder / "form.xlsx")
    n = 30_000
    answers = list(sample.generate(n, (2026, 10)))
    export = sample.kobo_export(folder / "kobo_large.csv", answers)
    args = ["surveys", str(export), "--form", str(form)]
    blocker = _restart()
    os.environ["DLXH_SURVEY_CHUNK_ROWS"] = "5000"
    try:
        with blocker.cursor() as cur:
            proc = _spawn(args)
            # Once the load runs (the schema is applied, which would wait on this transaction's
            # insert), claim a submission of the third chunk before the ingest gets there.
            _wait_for(
                lambda: _scalar(warehouse, "select count(*) from ops.loads where status = 'running'") >= 1 or proc.poll() is not None,
                "the load to start",
            )
            cur.execute(
                """insert into raw.survey_responses (submission_uuid, form_id, unit_code, submitted_at, period_month,
                                                     content_hash, load_id, source_file, file_hash)
                   values (%s, 'x', 'x', now(), '2026-10-01', 'x', 0, 'x', 'x')""",
                (answers[12_345].uuid,),
            )
            _wait_for(
                lambda: _ingests_waiting(warehouse, "transactionid") >= 1 or proc.poll() is not None,
                "the ingest to reach the third chunk",
            )
            assert proc.poll() is None, proc.communicate()
            load_id = _scalar(warehouse, "select max(load_id) from ops.loads where status = 'running'")
            warehouse.close()
            _stop_immediately()
        _assert_one_line_exit_3(proc)
        blocker.close()
        _retry_cleanly("surveys", args, load_id, n)
    finally:
        os.environ.pop("DLXH_SURVEY_CHUNK_ROWS", None)
