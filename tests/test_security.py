"""Access: what bi_reader can and cannot do (probed over real connections as bi_reader), what the
servers the tool starts listen on, and the modes of the secret files it writes."""

from __future__ import annotations

import os
import stat
import subprocess
from datetime import date
from pathlib import Path

import psutil
import psycopg2
import pytest
from psycopg2 import errors

AS_OF = date(2026, 11, 26)


@pytest.fixture(scope="module")
def built(module_warehouse, dlxh_home: Path):
    from dlxh.build import build
    from dlxh.demo import write_demo
    from ingestion.framework import run_ingest
    from ingestion.sources import get_source

    written = write_demo(dlxh_home / "demo-security", AS_OF, months=2)
    run_ingest(get_source("units"), written["units"], module_warehouse, progress=None)
    run_ingest(get_source("reports"), written["reports"], module_warehouse, progress=None)
    assert build(as_of=AS_OF, full_refresh=True).ok
    return written


def _bi_connect(dbname: str = "warehouse"):
    from dlxh.build import bi_password
    from dlxh.core.db import warehouse_target
    from dlxh.core.settings import load_settings

    t = warehouse_target()
    return psycopg2.connect(
        host=t.host, port=t.port, user="bi_reader", password=bi_password(load_settings()), dbname=dbname, connect_timeout=10
    )


def _fails(conn, statement: str, *kinds) -> str:
    with conn.cursor() as cur:
        try:
            cur.execute(statement)
        except kinds as exc:
            conn.rollback()
            return type(exc).__name__
    conn.rollback()
    raise AssertionError(f"bi_reader could run: {statement}")


@pytest.mark.parametrize("dbname", ["airflow", "postgres"])
def test_bi_reader_cannot_connect_elsewhere(built, dbname):
    with pytest.raises(psycopg2.OperationalError, match="permission denied for database"):
        _bi_connect(dbname).close()


def test_bi_reader_probes(built):
    conn = _bi_connect()
    try:
        denied = errors.InsufficientPrivilege
        assert _fails(conn, "create temp table t (x int)", denied)
        assert _fails(conn, "create table public.t (x int)", denied)
        assert _fails(conn, "create function public.f() returns int language sql as 'select 1'", denied)
        assert _fails(conn, "create function pg_temp.f() returns int language sql as 'select 1'", denied)
        assert _fails(conn, "create table marts.t (x int)", denied)
        assert _fails(conn, "select * from raw.units limit 1", denied)
        assert _fails(conn, "select * from ops.quarantine limit 1", denied)
        assert _fails(conn, "select * from restricted.survey_free_text limit 1", denied)
        assert _fails(conn, "select * from intermediate.int_unit_contacts limit 1", denied)
        assert _fails(conn, "select contact_email from marts.dim_unit", errors.UndefinedColumn)
        assert _fails(conn, "select contact_webhook from marts.dim_unit", errors.UndefinedColumn)
        with conn.cursor() as cur:
            cur.execute("select count(*) from marts.dim_unit")
            assert cur.fetchone()[0] > 0, "BI still reads the marts"
            cur.execute("show statement_timeout")
            assert cur.fetchone()[0] == "1min"
            cur.execute("select rolconnlimit, rolcreatedb, rolcreaterole, rolsuper from pg_roles where rolname = current_user")
            assert cur.fetchone() == (20, False, False, False)
            cur.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'quality' and table_name = 'v_import_reconciliation'"
            )
            columns = {r[0] for r in cur.fetchall()}
            assert "file_name" in columns and "file_path" not in columns
            cur.execute("select column_name from information_schema.columns where table_schema = 'marts' and column_name like 'contact%'")
            assert cur.fetchall() == []
        conn.rollback()
    finally:
        conn.close()


def test_alerts_still_reach_unit_contacts(built):
    """The contacts left the marts, not the alerts: a dry run addresses the units' e-mails."""
    from alerts.source import load_units
    from dlxh.core.db import connect

    conn = connect()
    try:
        with conn.cursor() as cur:
            units = load_units(cur)
    finally:
        conn.close()
    assert any(v.contact_email for versions in units.values() for v in versions)


def _loopback(addr: str) -> bool:
    return addr in ("127.0.0.1", "::1") or addr.startswith("127.")


def test_embedded_postgres_listens_on_loopback_only(built):
    from dlxh.core.pg_embedded import EmbeddedPostgres
    from dlxh.core.settings import load_settings

    server = EmbeddedPostgres(load_settings())
    pid = int((server.data_dir / "postmaster.pid").read_text().split()[0])
    listening = [c for c in psutil.Process(pid).net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
    assert listening, "the postmaster listens on TCP"
    assert all(_loopback(c.laddr.ip) for c in listening), listening


def test_airflow_api_server_binds_loopback(airflow_env):
    from dlxh.airflow_env import airflow_bin

    env = {**os.environ, **airflow_env}
    out = subprocess.run([airflow_bin(), "config", "get-value", "api", "host"], env=env, capture_output=True, text=True, timeout=300)
    assert out.stdout.strip() == "127.0.0.1", out.stderr[-2000:]
    out = subprocess.run(
        [airflow_bin(), "config", "get-value", "core", "simple_auth_manager_all_admins"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.stdout.strip() == "True", out.stderr[-2000:]


def test_secret_files_are_0600(built, airflow_env, dlxh_home: Path):
    from dlxh.core.privacy import ensure_salt

    ensure_salt(None, dlxh_home)
    secrets = [
        dlxh_home / "pg" / "superuser-password",
        dlxh_home / "bi_reader-password",
        dlxh_home / "survey-salt",
        dlxh_home / "airflow" / "fernet.key",
        dlxh_home / "airflow" / "jwt.secret",
        dlxh_home / "airflow" / "simple_auth_manager_passwords.json",
    ]
    for path in secrets:
        assert path.is_file(), path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, (path, oct(path.stat().st_mode))


def test_secret_helper_is_race_safe_and_narrows(tmp_path: Path):
    from dlxh.core.secret_files import create_secret_file, read_secret_file, stored_secret

    path = tmp_path / "s" / "key"
    assert create_secret_file(path, "first")
    assert not create_secret_file(path, "second")  # O_EXCL: never overwritten by a racing process
    assert stored_secret(path, lambda: "third") == "first"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    os.chmod(path, 0o644)
    assert read_secret_file(path) == "first"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_airflow_api_server_listens_on_loopback_only(airflow_env, dlxh_home: Path):
    """The real `airflow api-server`, started the way `dlxh airflow api-server` starts it (no
    --host): every socket it listens on is a loopback address."""
    import socket
    import time

    from dlxh.airflow_env import airflow_bin

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, **airflow_env, "AIRFLOW__API__PORT": str(port)}
    log = (dlxh_home / "api-server-security.log").open("w")
    proc = subprocess.Popen(
        [airflow_bin(), "api-server", "--workers", "1"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 240
        listening: list = []
        while time.monotonic() < deadline and proc.poll() is None:
            family = psutil.Process(proc.pid)
            procs = [family, *family.children(recursive=True)]
            listening = [c for p in procs for c in _safe_connections(p) if c.status == psutil.CONN_LISTEN]
            if any(c.laddr.port == port for c in listening):
                break
            time.sleep(0.5)
        assert any(c.laddr.port == port for c in listening), (dlxh_home / "api-server-security.log").read_text()[-3000:]
        assert all(_loopback(c.laddr.ip) for c in listening), listening
    finally:
        import signal

        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
    generated = dlxh_home / "airflow" / "simple_auth_manager_passwords.json.generated"
    assert not generated.exists(), "no password file with the umask's mode"
    assert "Password for user" not in (dlxh_home / "api-server-security.log").read_text()


def _safe_connections(proc: psutil.Process) -> list:
    try:
        return proc.net_connections(kind="inet")
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return []


def test_dlxh_airflow_standalone_listens_on_loopback_only(airflow_env, dlxh_home: Path, warehouse_target):
    """`dlxh airflow standalone` (API server, scheduler, dag-processor, triggerer): once the
    scheduler and triggerer jobs run, every listening socket of the whole process tree is loopback
    (Airflow's own standalone would add log servers on all interfaces)."""
    import signal
    import socket
    import sys
    import time

    from dlxh.core.db import airflow_target, connect

    ports = []
    for _ in range(3):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    port = ports[0]
    # Log-server ports of our own, so another Airflow on the machine holding 8793/8794 cannot
    # hide a log server of ours that would listen on every interface.
    env = {
        **os.environ,
        "DLXH_AIRFLOW_PORT": str(port),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(ports[1]),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(ports[2]),
    }
    log_path = dlxh_home / "standalone-security.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("dlxh")), "airflow", "standalone"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def tree() -> list[psutil.Process]:
        root = psutil.Process(proc.pid)
        return [root, *root.children(recursive=True)]

    beats: dict[str, set] = {}

    def jobs_running() -> bool:
        """Scheduler and triggerer jobs each heartbeating for a while (their log servers, when
        started, start before their loops)."""
        conn = connect(airflow_target())
        try:
            with conn, conn.cursor() as cur:
                cur.execute(
                    "select job_type, latest_heartbeat from job where state = 'running'"
                    " and job_type in ('SchedulerJob', 'TriggererJob') and latest_heartbeat > now() - interval '1 minute'"
                )
                for job_type, beat in cur.fetchall():
                    beats.setdefault(job_type, set()).add(beat)
        finally:
            conn.close()
        return len(beats) == 2 and all(len(b) >= 3 for b in beats.values())

    try:
        deadline = time.monotonic() + 300
        listening: list = []
        while time.monotonic() < deadline and proc.poll() is None:
            listening = [c for p in tree() for c in _safe_connections(p) if c.status == psutil.CONN_LISTEN]
            if any(c.laddr.port == port for c in listening) and jobs_running():
                break
            time.sleep(1)
        assert any(c.laddr.port == port for c in listening) and jobs_running(), log_path.read_text()[-3000:]
        listening = [c for p in tree() for c in _safe_connections(p) if c.status == psutil.CONN_LISTEN]
        assert all(_loopback(c.laddr.ip) for c in listening), sorted({(c.laddr.ip, c.laddr.port) for c in listening})
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
    assert "Password for user" not in log_path.read_text()
