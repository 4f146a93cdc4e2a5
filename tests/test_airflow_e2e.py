"""End to end with the real Airflow services: a late report dropped into the inbox reaches the
marts, the validation results and the alert log without anyone triggering a DAG.

The api-server (execution API for the tasks), scheduler (LocalExecutor) and dag-processor run as
subprocesses on the session's embedded PostgreSQL; the inbox is polled every minute
(DLXH_INBOX_POLL_CRON) and DAG files are re-scanned every few seconds
(DLXH_DAG_REFRESH_SECONDS). The unit registry is loaded directly (set-up); then one report form
arrives after its deadline and the chain ingest -> build (cosmos) -> validate -> alerts must run
by itself: `marts.fct_report_submission` shows it late, `quality.validation_runs` has the month,
`ops.alert_log` has the acknowledgement (rule `ack`) for the unit. A monitoring export dropped at
the same time is loaded by `dlxh_ingest_scans` in a real executor task (its parser runs in a
process forked from the task's). Takes a few minutes: marker `e2e`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from dlxh.core.calendar import LOCAL

UNIT = "CDVC"  # the demo leaves this unit's latest report missing: ours is the late one
WAIT_SECONDS = 8 * 60
POLL_SECONDS = 5
SERVICES = (
    ("api-server", ["api-server", "--host", "127.0.0.1", "--workers", "1"]),
    ("dag-processor", ["dag-processor"]),
    ("scheduler", ["scheduler"]),
)
E2E_SETTINGS = {
    "DLXH_DAG_REFRESH_SECONDS": "5",
    "DLXH_INBOX_POLL_CRON": "* * * * *",
    "DLXH_TASK_RETRIES": "1",
    "DLXH_RETRY_DELAY_SECONDS": "5",
    "DLXH_ALERT_CHANNELS": "log",
    "DLXH_ALERT_OPEN_DAYS": "45",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Services:
    """The Airflow service processes of the test, each in its own process group with its own log."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, args: list[str], extra_env: dict[str, str] | None = None) -> None:
        from dlxh.airflow_env import airflow_bin

        log = (self.log_dir / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            [airflow_bin(), *args], env={**self.env, **(extra_env or {})}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def check_alive(self) -> None:
        dead = {name: p.returncode for name, p in self.procs.items() if p.poll() is not None}
        assert not dead, f"Airflow service(s) exited: {dead}\n{self.log_tails()}"

    def stop(self, timeout: float = 30) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)  # the group this test started (executor workers included)
        deadline = time.monotonic() + timeout
        for p in self.procs.values():
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for p in self.procs.values():
            try:
                os.killpg(p.pid, signal.SIGKILL)  # leftovers of the group, even when the leader is gone
            except ProcessLookupError:
                pass
            if p.poll() is None:
                p.wait(timeout=10)

    def log_tails(self, lines: int = 60) -> str:
        out = []
        for name in self.procs:
            text = (self.log_dir / f"{name}.log").read_text(encoding="utf-8", errors="replace").splitlines()
            out.append(f"----- {name} (last {lines} lines) -----\n" + "\n".join(text[-lines:]))
        return "\n".join(out)


def wait_for_http(url: str, services: Services, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        services.check_alive()
        try:
            with urllib.request.urlopen(url, timeout=3) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise AssertionError(f"{url} did not answer within {timeout:.0f}s\n{services.log_tails()}")


def airflow_runs(env: dict[str, str]) -> str:
    """DAG runs and task states from the metadata database (for failure messages)."""
    import psycopg2

    from dlxh.core.settings import PgTarget

    target = PgTarget.from_url(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    conn = psycopg2.connect(**target.dsn_kwargs())
    try:
        with conn.cursor() as cur:
            cur.execute(
                """select r.dag_id, r.run_id, r.state, r.run_type,
                          string_agg(t.task_id || '=' || coalesce(t.state, 'none'), ', ' order by t.task_id)
                   from dag_run r left join task_instance t on t.dag_id = r.dag_id and t.run_id = r.run_id
                   where r.run_type <> 'manual'
                   group by r.dag_id, r.run_id, r.state, r.run_type, r.id order by r.id"""
            )
            return "\n".join(f"{d} {run} {state} [{tasks}]" for d, run, state, _type, tasks in cur.fetchall())
    finally:
        conn.close()


def write_late_report(folder: Path, period, received: datetime) -> Path:
    """A one-topic structured form (the demo's FORM_HEADER layout) received after the deadline."""
    import csv

    from dlxh.demo import FORM_HEADER, ITEMS, SECTORS, SENTIMENT_OF

    name = next(n for code, n, _type, _slug in SECTORS if code == UNIT)
    situation, cause, forecast, proposal = ITEMS["T11"]
    path = folder / f"BC_{UNIT}_{period:%Y-%m}_muon.csv"
    folder.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(FORM_HEADER)
        w.writerow(
            [
                UNIT,
                name,
                f"{period:%Y-%m}",
                "Tháng",
                "27/BC-CĐ",
                received.strftime("%Y-%m-%d %H:%M"),
                "T11",
                situation,
                SENTIMENT_OF["T11"],
                "Không",
                cause,
                forecast,
                proposal,
            ]
        )
    return path


@pytest.mark.e2e
@pytest.mark.timeout(WAIT_SECONDS + 300)
def test_late_report_flows_to_marts_validation_and_alert_by_itself(airflow_env, warehouse_target, dlxh_home):
    from dlxh.airflow_env import airflow_environ
    from dlxh.core.db import connect
    from dlxh.core.settings import load_settings
    from dlxh.demo import demo_months, write_demo
    from ingestion.framework import run_ingest
    from ingestion.units.source import UnitsSource
    from tests.conftest import truncate_all
    from tests.test_dag_runs import empty_inboxes
    from tests.test_scans_fixtures import reputa_csv

    port = free_port()
    overrides = {**E2E_SETTINGS, "DLXH_AIRFLOW_PORT": str(port)}
    saved = {k: os.environ.get(k) for k in overrides}
    os.environ.update(overrides)
    try:
        settings = load_settings()
        env = {**os.environ, **airflow_environ(settings)}
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    env.update(overrides)
    assert env["AIRFLOW__API__PORT"] == str(port) and f":{port}/" in env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"]

    # Set-up: an empty warehouse, empty inboxes, the unit registry loaded directly.
    conn = connect(warehouse_target)
    conn.autocommit = True
    truncate_all(conn)
    empty_inboxes(settings, ("units", "reports", "scans"))
    today = datetime.now(LOCAL).date()
    registry = write_demo(dlxh_home / "e2e-demo", as_of=today)["units"]
    units_inbox = settings.inbox_for("units")
    units_inbox.mkdir(parents=True, exist_ok=True)
    registry_file = units_inbox / registry[0].name
    registry_file.write_bytes(registry[0].read_bytes())
    assert run_ingest(UnitsSource(), [registry_file], conn, progress=None).reconciles()

    period = demo_months(today, 1)[-1]
    log_dir = dlxh_home / "logs" / "e2e"
    log_dir.mkdir(parents=True, exist_ok=True)
    services = Services(env, log_dir)
    t0 = time.monotonic()
    try:
        for name, args in SERVICES:
            services.start(name, args + (["--port", str(port)] if name == "api-server" else []))
        wait_for_http(f"http://127.0.0.1:{port}/api/v2/monitor/health", services)
        started = time.monotonic() - t0

        # The report arrives now, after the deadline (the 20th of its month, 00:00 local).
        received = datetime.now(LOCAL) - timedelta(minutes=5)
        write_late_report(settings.inbox_for("reports"), period, received)
        reputa_csv(_mkdir(settings.inbox_for("scans") / "reputa") / "reputa-e2e.csv")
        dropped = time.monotonic()

        found: dict[str, object] = {}
        deadline = dropped + WAIT_SECONDS
        while time.monotonic() < deadline and len(found) < 4:
            services.check_alive()
            with conn.cursor() as cur:
                if "scans" not in found:
                    cur.execute("select status, rows_read, rows_loaded, rows_quarantined from ops.files where source = 'scans'")
                    row = cur.fetchone()
                    if row:
                        found["scans"] = (row, round(time.monotonic() - dropped))
                if "mart" not in found and _exists(cur, "marts.fct_report_submission"):
                    cur.execute(
                        """select status, days_late, as_of from marts.fct_report_submission
                           where unit_code = %s and period_month = %s and report_type = 'monthly'
                             and received_at is not null""",
                        (UNIT, period),
                    )
                    row = cur.fetchone()
                    if row:
                        found["mart"] = (row[:2], round(time.monotonic() - dropped))
                        built_at = row[2]
                # Only a validation that ran after the build which saw the report counts (a run
                # queued by earlier asset events may validate the month before the report landed).
                if "mart" in found and "validation" not in found:
                    cur.execute(
                        """select run_id, success from quality.validation_runs
                           where period_month = %s and run_at >= %s order by run_id limit 1""",
                        (period, built_at),
                    )
                    row = cur.fetchone()
                    if row:
                        found["validation"] = (row, round(time.monotonic() - dropped))
                if "alert" not in found:
                    cur.execute(
                        "select rule, status, channel, subject from ops.alert_log where unit_code = %s and period_month = %s and rule = 'ack'",
                        (UNIT, period),
                    )
                    row = cur.fetchone()
                    # the outbox records a row as pending, then delivers it: wait for the delivery
                    if row and row[1] != "pending":
                        found["alert"] = (row, round(time.monotonic() - dropped))
            if len(found) < 4:
                time.sleep(POLL_SECONDS)
        elapsed = time.monotonic() - dropped
        print(f"\nservices up in {started:.0f}s; report to mart/validation/alert: {found} (total {elapsed:.0f}s)")
        missing = {"mart", "validation", "alert", "scans"} - set(found)
        assert not missing, (
            f"after {elapsed:.0f}s still missing {sorted(missing)} (found {found})\nDAG runs:\n{airflow_runs(env)}\n{services.log_tails()}"
        )
        (status, days_late), _ = found["mart"]
        assert status == "late" and days_late >= 1, found["mart"]
        (rule, alert_status, channel, subject), _ = found["alert"]
        assert alert_status == "sent" and channel == "log" and subject, found["alert"]
        # the fixture export: 8 rows, 3 new items, 1 update, 1 repeat, 3 rows quarantined with reasons
        (scan_status, scan_read, scan_loaded, scan_quarantined), _ = found["scans"]
        assert (scan_status, scan_read, scan_loaded, scan_quarantined) == ("partial", 8, 3, 3), found["scans"]
        with conn.cursor() as cur:
            cur.execute("select count(*) from raw.scan_items")
            assert cur.fetchone()[0] == 3
        # Nobody triggered anything by hand: every run in the chain was scheduled or asset-triggered.
        runs = airflow_runs(env)
        for dag_id in ("dlxh_ingest_reports", "dlxh_ingest_scans", "dlxh_build", "dlxh_validate", "dlxh_alerts"):
            assert f"{dag_id} " in runs, f"no scheduled/asset-triggered run of {dag_id}:\n{runs}"
    finally:
        services.stop()
        conn.close()


def _mkdir(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _exists(cur, table: str) -> bool:
    cur.execute("select to_regclass(%s) is not null", (table,))
    return bool(cur.fetchone()[0])
