"""What a newcomer meets: `make run` (`dlxh run` of the demo), then `make airflow-ui`
(`dlxh airflow standalone`), then the Airflow UI in a real browser (headless Chromium from Debian).

Its own module so that pytest-xdist (`--dist loadfile`) runs it beside tests/test_airflow_e2e.py.
Everything is real: a private DLXH_HOME with its own embedded PostgreSQL, the Airflow services on
loopback at a free port. Takes a few minutes: marker `e2e`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dlxh.orchestration.runner import pipeline
from tests.test_airflow_e2e import free_port

PIPELINE_DAGS = tuple(dag_id for dag_id, _ in pipeline())  # every source's ingest DAG, build, validate, alerts
INGEST_DAGS = tuple(d for d in PIPELINE_DAGS if d.startswith("dlxh_ingest_"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _rest(base: str, path: str) -> dict:
    import json

    with urllib.request.urlopen(f"{base}{path}", timeout=30) as resp:  # no token: every local user is an admin
        return json.loads(resp.read().decode("utf-8"))


def _all(base: str, path: str, key: str) -> list[dict]:
    """Every entry of a list endpoint, page by page (the API caps a page at [api] maximum_page_limit)."""
    out: list[dict] = []
    while True:
        page = _rest(base, f"{path}{'&' if '?' in path else '?'}limit=100&offset={len(out)}")
        out += page[key]
        if not page[key] or len(out) >= page["total_entries"]:
            return out


def _runs(base: str, query: str = "") -> list[dict]:
    return _all(base, f"/api/v2/dags/~/dagRuns?order_by=id{query}", "dag_runs")


class Metadata:
    """Read-only queries on the private instance's Airflow metadata database."""

    def __init__(self, url: str) -> None:
        from dlxh.core.settings import PgTarget

        self.target = PgTarget.from_url(url)

    def rows(self, sql: str, args: tuple = ()) -> list[tuple]:
        import psycopg2

        conn = psycopg2.connect(**self.target.dsn_kwargs())
        try:
            with conn.cursor() as cur:
                cur.execute(sql, args)
                return cur.fetchall()
        finally:
            conn.close()

    def queued_dag_ids(self) -> set[str]:
        return {r[0] for r in self.rows("select distinct target_dag_id from asset_dag_run_queue")}

    def versions(self) -> dict[str, int]:
        return dict(self.rows("select dag_id, count(*)::int from dag_version group by dag_id"))

    def parsed_since(self, since) -> set[str]:
        return {r[0] for r in self.rows("select dag_id from dag where last_parsed_time >= %s", (since,))}


def _settled(
    base: str, db: Metadata, proc: subprocess.Popen, log: Path, expected: set[tuple[str, str]], timeout: float = 300
) -> list[dict]:
    """Bounded wait: the runs `expected` ((dag_id, run_type)) exist, none is queued or running and
    no asset event waits in asset_dag_run_queue, twice in a row 3 s apart; returns all runs."""
    deadline = time.monotonic() + timeout
    quiet = 0
    busy: list = []
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"dlxh airflow standalone exited ({proc.returncode}):\n{log.read_text()[-4000:]}"
        runs = _runs(base)
        busy = [(r["dag_id"], r["state"]) for r in runs if r["state"] in ("queued", "running")] + sorted(db.queued_dag_ids())
        present = {(r["dag_id"], r["run_type"]) for r in runs}
        quiet = 0 if busy or not expected <= present else quiet + 1
        if quiet >= 2:
            return runs
        time.sleep(3)
    raise AssertionError(f"after {timeout:.0f}s: busy {busy}; expected {expected - present} not there yet")


def _no_failed_try(base: str) -> list[dict]:
    """Every task instance of every run: none failed, none needed a second try (a run that went
    green on its retry still hides a first try that failed: the execution API timeout of issue 21)."""
    tis = _all(base, "/api/v2/dags/~/dagRuns/~/taskInstances?order_by=id", "task_instances")
    bad = [
        (t["dag_id"], t["task_id"], t.get("map_index"), t["state"], t["try_number"])
        for t in tis
        if t["state"] in ("failed", "upstream_failed", "up_for_retry") or (t["try_number"] or 0) > 1
    ]
    assert not bad, bad
    return tis


def _chromium(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TZ": "Asia/Ho_Chi_Minh"}  # the federation's computers: the UI follows the browser's zone
    proc = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1600,1200", "--virtual-time-budget=30000", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def _page_text(dom: str) -> str:
    import re

    text = re.sub(r"<script.*?</script>|<style.*?</style>", " ", dom, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))


def _stop(proc: subprocess.Popen, timeout: float = 60) -> int | None:
    """SIGTERM to `dlxh airflow standalone` (it stops the services it started), SIGKILL to its group after `timeout`."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    return proc.returncode


@pytest.mark.e2e
@pytest.mark.timeout(900)
def test_ui_after_make_run_has_no_failed_and_no_duplicate_run(tmp_path: Path):
    """`dlxh run` of the demo on a private DLXH_HOME, then `dlxh airflow standalone` on loopback:
    the UI opens without a login, its DAG runs page (rendered by headless Chromium) lists no
    failed run and the REST API agrees (no failed run, no task that needed a second try); no
    build/validate/alerts run was queued by the runner's asset events (the monthly report, which
    the runner does not run, was). The dag-processor's parse gives the DAG versions `dlxh run`
    wrote (one version per DAG). With the scheduler up, the runner triggers validate → alerts: one
    run of each, none asset-triggered on top (the monthly report once, queued by validate's
    event). With the services stopped, a second `dag.test()` run
    by the runner adds no DAG version and still runs with the runner's lowered retries.
    Screenshots: printed path, under tmp_path."""
    import json
    import shutil
    from datetime import UTC, datetime

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium (apt-get install chromium)")
    home = tmp_path / "home"
    home.mkdir()
    for folder in (home, *home.parents):  # the unprivileged PostgreSQL user must reach the cluster when run as root
        if str(folder).startswith(("/tmp", "/var/tmp")) and folder != Path("/tmp"):
            os.chmod(folder, 0o755)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "DLXH_"))}
    # the inbox polls fire once at start (catch-up of the latest tick), not again during the test
    env.update({"DLXH_HOME": str(home), "DLXH_AIRFLOW_PORT": str(port), "DLXH_INBOX_POLL_CRON": "0 0 1 1 *"})
    dlxh = str(Path(sys.executable).with_name("dlxh"))
    dags_folder = str(Path(__file__).resolve().parents[1] / "dags")
    base = f"http://127.0.0.1:{port}"
    shots = tmp_path / "screenshots"
    shots.mkdir()
    log = tmp_path / "standalone.log"
    figures: dict[str, float] = {}
    standalone = None
    try:
        t0 = time.monotonic()
        run = subprocess.run([dlxh, "run"], env=env, capture_output=True, text=True, timeout=600)
        figures["dlxh run"] = time.monotonic() - t0
        assert run.returncode == 0, f"{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
        af_env = {**env, **_airflow_env(env)}
        db = Metadata(af_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
        queued = db.queued_dag_ids()
        assert not queued & set(PIPELINE_DAGS), f"the runner's asset events queued runs of {queued}"
        versions = db.versions()
        assert set(PIPELINE_DAGS) <= set(versions) and set(versions.values()) == {1}, versions

        t0 = time.monotonic()
        started = datetime.now(UTC)
        with log.open("wb") as out:
            standalone = subprocess.Popen(
                [dlxh, "airflow", "standalone"], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 240
        while "Airflow UI:" not in log.read_text(errors="replace"):
            assert standalone.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[-4000:]
            time.sleep(1)
        banner = next(line for line in log.read_text().splitlines() if line.startswith("Airflow UI:"))
        assert banner.startswith(f"Airflow UI: {base} (no login"), banner
        # the scheduler's first loops: the latest tick of each inbox poll, and the monthly report the
        # validate run's event queued (the runner does not run that DAG)
        catch_up = {(d, "scheduled") for d in INGEST_DAGS} | {("dlxh_monthly_report", "asset_triggered")}
        runs = _settled(base, db, standalone, log, catch_up)
        figures["standalone up and settled"] = time.monotonic() - t0

        failed = _runs(base, "&state=failed")
        assert not failed, [(r["dag_id"], r["dag_run_id"]) for r in failed]
        _no_failed_try(base)
        by_type = {(r["dag_id"], r["run_type"]) for r in runs}
        assert {(d, "manual") for d in PIPELINE_DAGS} <= by_type, by_type
        assert not {(d, "asset_triggered") for d in ("dlxh_build", "dlxh_validate", "dlxh_alerts")} & by_type, by_type
        # the dag-processor has parsed every DAG file since it started, and wrote no new version
        deadline = time.monotonic() + 120
        while not set(versions) <= db.parsed_since(started):
            assert time.monotonic() < deadline, f"not parsed by the dag-processor: {set(versions) - db.parsed_since(started)}"
            time.sleep(2)
        assert db.versions() == versions, f"the dag-processor wrote new DAG versions: {versions} -> {db.versions()}"

        t0 = time.monotonic()
        profile = tmp_path / "chromium"
        dom = _chromium(chromium, profile, f"--screenshot={shots / 'dag-runs.png'}", "--dump-dom", f"{base}/dag_runs").stdout
        text = _page_text(dom)
        assert "Dag Runs" in text and "Sign in" not in text and "Password" not in text, text[:2000]
        assert all(dag_id in text for dag_id in PIPELINE_DAGS), text[:4000]
        assert text.count("Success") >= len(runs) and "Failed" not in text, text[:4000]
        assert "+07:00" in text, text[:1000]  # the UI shows the browser's zone: Asia/Ho_Chi_Minh
        _chromium(chromium, profile, f"--screenshot={shots / 'home.png'}", f"{base}/")
        for name in ("dag-runs", "home"):
            assert (shots / f"{name}.png").stat().st_size > 10000, name
        figures["browser"] = time.monotonic() - t0

        # The scheduler is up: the runner triggers validate → alerts for it, one run each. Validate's
        # asset event must not queue a second alerts run (the runner runs alerts next); it still
        # queues the monthly report, which the runner does not run. (build → validate is the same
        # mechanism at twice the cost: build's ~40 tasks are processes of their own here.)
        t0 = time.monotonic()
        before = {r["dag_run_id"] for r in runs}
        options = {"dags_folder": dags_folder, "only": ["dlxh_validate", "dlxh_alerts"]}
        runner = subprocess.run(
            [sys.executable, "-m", "dlxh.orchestration.runner", json.dumps(options)],
            env=af_env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert runner.returncode == 0, f"{runner.stdout[-4000:]}\n{runner.stderr[-4000:]}"
        assert "(triggered for the running scheduler)" in runner.stdout, runner.stdout[-3000:]
        new = [
            r for r in _settled(base, db, standalone, log, {("dlxh_monthly_report", "asset_triggered")}) if r["dag_run_id"] not in before
        ]
        figures["validate → alerts beside the scheduler"] = time.monotonic() - t0
        for dag_id in ("dlxh_validate", "dlxh_alerts"):
            mine = [(r["run_type"], r["dag_run_id"]) for r in new if r["dag_id"] == dag_id]
            assert len(mine) == 1 and mine[0][0] == "manual" and mine[0][1].startswith("dlxh_run__"), (dag_id, mine)
        # validate's event queues what the runner does not run after it: the monthly report, once
        asset_runs = sorted(r["dag_id"] for r in new if r["run_type"] == "asset_triggered")
        assert asset_runs == ["dlxh_monthly_report"], new
        assert not _runs(base, "&state=failed")
        _no_failed_try(base)
        assert db.versions() == versions, f"new DAG versions: {versions} -> {db.versions()}"

        # Services stopped: a second dag.test() run (alerts, the cheapest DAG) writes no new DAG
        # version, and runs with the runner's retries (1) while the DAG as parsed keeps its own.
        assert _stop(standalone) == 130, log.read_text(errors="replace")[-4000:]
        t0 = time.monotonic()
        options = {"dags_folder": dags_folder, "only": ["dlxh_alerts"], "retries": 1, "retry_delay_seconds": 5}
        runner = subprocess.run(
            [sys.executable, "-m", "dlxh.orchestration.runner", json.dumps(options)],
            env=af_env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert runner.returncode == 0, f"{runner.stdout[-4000:]}\n{runner.stderr[-4000:]}"
        assert "(triggered for the running scheduler)" not in runner.stdout, runner.stdout[-3000:]
        figures["second dag.test() run"] = time.monotonic() - t0
        assert db.versions() == versions, f"the second run wrote new DAG versions: {versions} -> {db.versions()}"
        tries = db.rows("""select distinct t.max_tries from task_instance t join dag_run r on r.id = (
                               select max(id) from dag_run where dag_id = 'dlxh_alerts')
                           where t.dag_id = r.dag_id and t.run_id = r.run_id""")
        assert tries == [(1,)], tries
        serialized = db.rows("""select distinct (t -> '__var' ->> 'retries')
                                from (select data from serialized_dag where dag_id = 'dlxh_alerts'
                                      order by created_at desc limit 1) s,
                                     json_array_elements(s.data::json -> 'dag' -> 'tasks') t""")
        assert serialized == [("3",)], serialized  # DEFAULT_ARGS (DLXH_TASK_RETRIES unset)
    finally:
        if standalone is not None:
            _stop(standalone)
        subprocess.run([dlxh, "db", "down"], env=env, capture_output=True, timeout=120)
        print(f"\nscreenshots: {shots}; Airflow logs: {home / 'logs'}, {log}; seconds: { {k: round(v, 1) for k, v in figures.items()} }")


def _airflow_env(env: dict[str, str]) -> dict[str, str]:
    """airflow_environ() of the private instance, computed in a child (settings come from the environment)."""
    import json

    code = "import json; from dlxh.airflow_env import airflow_environ; print(json.dumps(airflow_environ()))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])
